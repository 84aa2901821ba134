"""Issue 12, item 8: a returned tracker is trusted only as far as its seal.

The hidden TrackerData sheet is sealed with an HMAC keyed by a secret kept inside the
encrypted workspace. A forged return (the partner blanked, another partner's action
added) is refused and changes nothing; a row for an action that was not in the export
is an error; a tracker made before seals existed is refused with a request to export
afresh; and a worksheet hidden behind an image's name and content type is refused.
"""
from __future__ import annotations

import io
import os
import re
import stat
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from deterrence_desktop.cli import main
from deterrence_desktop.exports.tracker_xlsx import (
    ACTIONS_SHEET, DATA_SHEET, HEADERS, TrackerFileError, remove_leftovers,
)
from deterrence_desktop.services import audit
from deterrence_desktop.services.trackers import SEAL_KEY, RowState, clean_leftovers
from deterrence_desktop.store.tables import ActionRow, AuditEntryRow, WorkspaceMeta
from tests.conftest import PASSPHRASE

POLICE = "Fictionbury Police"
COUNCIL = "Fictionbury Council"
SEALED = "not as this workspace exported it"


def col(name: str) -> int:
    return HEADERS.index(name) + 1


def snapshot(app):
    """Everything an import could change: every action row, and the audit trail's length
    (less the command line's own sign-ins, which are audited whatever the command does)."""
    with app.workspace.session() as s:
        actions = [tuple(r) for r in s.execute(
            select(ActionRow.id, ActionRow.partner_id, ActionRow.status, ActionRow.outcome,
                   ActionRow.notes, ActionRow.due_date, ActionRow.version).order_by(ActionRow.id))]
        return actions, s.scalar(select(func.count()).select_from(AuditEntryRow).where(
            AuditEntryRow.entity != "session"))


def data_rows(wb) -> dict[str, int]:
    """The hidden sheet's rows by their first cell: {key: row number}."""
    ws = wb[DATA_SHEET]
    return {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}


@pytest.fixture
def police(demo_app, tmp_path):
    pid = demo_app.partners.by_name(POLICE).id
    out = tmp_path / "police.xlsx"
    result = demo_app.trackers.export(out, partner_id=pid)
    council = demo_app.partners.by_name(COUNCIL).id
    council_action = demo_app.actions.get(next(
        a.id for a in demo_app.actions.list() if a.partner_id == council and a.status != "done"))
    return demo_app, pid, out, result, council_action


def forge(path, council_action, *, blank_partner=True, add_data_line=True):
    """What the attacker did: blank the partner, add a row for a council action (and,
    to get past the version check, a line for it in the hidden sheet)."""
    wb = openpyxl.load_workbook(path)
    data = wb[DATA_SHEET]
    keys = data_rows(wb)
    if blank_partner:
        data.cell(keys["partner_id"], 2).value = None
        data.cell(keys["partner"], 2).value = None
    if add_data_line:
        line = next(k for k in keys if re.match(r"\d+:\d+:", str(k)))
        digest = line.split(":", 2)[2]
        data.cell(keys["seal"] - 1, 1).value = f"{council_action.id}:{council_action.version}:{digest}"
    ws = wb[ACTIONS_SHEET]
    ws.append([council_action.id, "", "Person", council_action.description, "Support",
               POLICE, "", None, "Done", "", "Closed by the police (forged)"])
    wb.save(path)


def test_the_forged_return_of_the_report_is_refused_and_changes_nothing(police, tmp_path,
                                                                           monkeypatch, capsys):
    app, pid, out, _, council_action = police
    forge(out, council_action)
    before = snapshot(app)
    with pytest.raises(TrackerFileError, match=SEALED):
        app.trackers.check_return(out)
    # The same through the command line, with --apply: one clear line, nothing written.
    app.workspace.checkpoint()
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DETERRENCE_USER", "demo.coordinator")
    code = main(["import", "tracker", str(app.workspace.path), str(out), "--apply"])
    err = capsys.readouterr().err
    assert code == 2 and SEALED in err and "nothing was imported" in err
    assert "Traceback" not in err
    assert snapshot(app) == before
    after = app.actions.get(council_action.id)
    assert after.status == council_action.status and after.due_date == council_action.due_date
    assert after.notes == council_action.notes


def test_a_row_for_an_action_not_in_the_export_is_an_error_never_applied(police):
    """Only the visible sheet edited, the seal intact: the council's action is refused
    row by row, the police's own edits still go through."""
    app, pid, out, _, council_action = police
    wb = openpyxl.load_workbook(out)
    ws = wb[ACTIONS_SHEET]
    own = ws.cell(2, 1).value
    ws.cell(2, col("Notes")).value = "Seen at the hostel (fictional)"
    wb.save(out)
    forge(out, council_action, blank_partner=False, add_data_line=False)
    plan = app.trackers.check_return(out)
    rows = {r.action_id: r for r in plan.rows}
    assert rows[council_action.id].state == RowState.ERROR
    assert "not in the exported tracker" in rows[council_action.id].message
    assert rows[own].state == RowState.CHANGE
    result = app.trackers.apply_return(plan)
    assert result.action_ids == (own,)
    assert app.actions.get(council_action.id) == council_action


@pytest.mark.parametrize("key, value", [
    ("export_id", "000000000000"),
    ("exported_at", "2026-11-01T09:00:00"),
    ("partner_id", None),
    ("partner", "Fictionbury Council"),
    ("names", "yes"),
    ("audit_head", "1:" + "0" * 64),
    ("seal", "hmac-sha256:" + "0" * 64),
    ("seal", None),
])
def test_the_seal_covers_every_value_of_the_hidden_sheet(police, key, value):
    app, pid, out, _, _ = police
    wb = openpyxl.load_workbook(out)
    wb[DATA_SHEET].cell(data_rows(wb)[key], 2).value = value
    wb.save(out)
    with pytest.raises(TrackerFileError, match=f"{SEALED}|has been changed"):
        app.trackers.check_return(out)


@pytest.mark.parametrize("change", ["version", "drop", "digest"])
def test_the_seal_covers_the_action_ids_and_versions(police, change):
    app, pid, out, _, _ = police
    wb = openpyxl.load_workbook(out)
    data = wb[DATA_SHEET]
    r = next(r for k, r in data_rows(wb).items() if re.match(r"\d+:\d+:", str(k)))
    aid, version, digest = data.cell(r, 1).value.split(":", 2)
    if change == "version":
        data.cell(r, 1).value = f"{aid}:{int(version) + 1}:{digest}"
    elif change == "digest":
        data.cell(r, 1).value = f"{aid}:{version}:{'0' * 8}{digest[8:]}"
    else:
        data.delete_rows(r)
    wb.save(out)
    with pytest.raises(TrackerFileError, match=SEALED):
        app.trackers.check_return(out)


def test_an_unsealed_tracker_from_before_is_refused_with_a_way_forward(police):
    app, pid, out, _, _ = police
    wb = openpyxl.load_workbook(out)
    data = wb[DATA_SHEET]
    keys = data_rows(wb)
    data.cell(keys["format"], 2).value = "deterrence-desktop/action-tracker/1"
    data.delete_rows(keys["seal"])
    wb.save(out)
    with pytest.raises(TrackerFileError, match="earlier version.*export a fresh tracker"):
        app.trackers.check_return(out)


def test_a_tracker_from_a_workspace_without_the_key_is_refused(police):
    """Same workspace id, but not this workspace's key (a copy whose key was replaced)."""
    app, pid, out, _, _ = police
    with app.workspace.session() as s:
        s.get(WorkspaceMeta, SEAL_KEY).value = os.urandom(32).hex()
    with pytest.raises(TrackerFileError, match=SEALED):
        app.trackers.check_return(out)


def test_the_key_lives_only_in_the_encrypted_workspace(demo_path, demo_app, tmp_path):
    with demo_app.workspace.session() as s:
        assert s.get(WorkspaceMeta, SEAL_KEY) is None          # made by the first export
    demo_app.trackers.export(tmp_path / "a.xlsx")
    demo_app.trackers.export(tmp_path / "b.xlsx")
    key = demo_app.workspace.meta(SEAL_KEY)
    assert key and len(bytes.fromhex(key)) == 32
    demo_app.workspace.checkpoint()
    files = [tmp_path / "a.xlsx", tmp_path / "b.xlsx", demo_path,
             *demo_path.parent.glob(demo_path.name + "-*")]
    for f in files:
        raw = f.read_bytes()
        assert key.encode() not in raw and bytes.fromhex(key) not in raw, f.name
        if f.suffix == ".xlsx":
            with zipfile.ZipFile(f) as zf:
                assert not any(key.encode() in zf.read(n) for n in zf.namelist())


def test_the_dry_run_names_the_partner_and_the_export(police, monkeypatch, capsys):
    app, pid, out, result, _ = police
    wb = openpyxl.load_workbook(out)
    keys = data_rows(wb)
    meta = {k: wb[DATA_SHEET].cell(r, 2).value for k, r in keys.items()}
    assert meta["export_id"] == result.export_id and re.fullmatch(r"[0-9a-f]{12}", result.export_id)
    # The audit chain's head when exported, an anchor check can hold the chain to.
    seq, digest = meta["audit_head"].split(":")
    with app.workspace.session() as s:
        assert s.scalar(select(AuditEntryRow.hash).where(AuditEntryRow.seq == int(seq))) == digest
        disclosure = s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc())).first()
        assert audit.head(s)[0] == int(seq) + 1
    assert f"export={result.export_id}" in disclosure.detail
    plan = app.trackers.check_return(out)
    assert plan.export_id == result.export_id and plan.recipient == POLICE
    assert re.fullmatch(rf"export {result.export_id} of 2026-11-26 \d\d:\d\d:\d\d UTC",
                        plan.export_label)
    app.workspace.checkpoint()
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DETERRENCE_USER", "demo.coordinator")
    main(["import", "tracker", str(app.workspace.path), str(out)])
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith(f"Return from {POLICE}, export {result.export_id} of 2026-11-26")


# -- the part that is parsed, not the part's name ------------------------------------

def _rewrite(src, dst, edit):
    """Copy a workbook part by part; ``edit(name, data)`` returns (name, data) or None."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            got = edit(info.filename, zin.read(info))
            if got is not None:
                zout.writestr(got[0], got[1])


def _hide_sheet_as_png(src, dst, content_type: bytes, doctype: bool):
    """The attack: the Actions sheet moved to a .png name in the rels and the content types
    (and, with ``doctype``, carrying an entity declaration that the DTD check would refuse)."""
    def edit(name, data):
        if name == "xl/worksheets/sheet2.xml":
            if doctype:
                data = data.replace(b"?>", b"?><!DOCTYPE w [<!ENTITY n \"Forged\">]>", 1) \
                    if data.startswith(b"<?xml") else b"<!DOCTYPE w [<!ENTITY n \"Forged\">]>" + data
            return "xl/media/image7.png", data
        if name == "xl/_rels/workbook.xml.rels":
            return name, data.replace(b"worksheets/sheet2.xml", b"media/image7.png") \
                .replace(b"/xl/worksheets/sheet2.xml", b"/xl/media/image7.png")
        if name == "[Content_Types].xml":
            data = re.sub(rb'<Override PartName="/xl/worksheets/sheet2.xml"[^>]*/>', b"", data)
            return name, data.replace(
                b"</Types>", b'<Override PartName="/xl/media/image7.png" ContentType="'
                + content_type + b'"/></Types>')
        return name, data
    _rewrite(src, dst, edit)


def test_a_worksheet_renamed_as_an_image_is_refused(police, tmp_path, monkeypatch, capsys):
    app, pid, out, _, _ = police
    sneaky = tmp_path / "renamed.xlsx"
    _hide_sheet_as_png(out, sneaky, b"image/png", doctype=True)
    with zipfile.ZipFile(sneaky) as zf:
        assert "xl/worksheets/sheet2.xml" not in zf.namelist()
        assert b"image7.png" in zf.read("xl/_rels/workbook.xml.rels")
    # openpyxl itself would read it as the Actions sheet: this is the part to check.
    assert len(list(openpyxl.load_workbook(sneaky, read_only=True)[ACTIONS_SHEET].iter_rows())) > 1
    before = snapshot(app)
    with pytest.raises(TrackerFileError, match="sheet stored as another kind of part"):
        app.trackers.check_return(sneaky)
    app.workspace.checkpoint()
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DETERRENCE_USER", "demo.coordinator")
    assert main(["import", "tracker", str(app.workspace.path), str(sneaky), "--apply"]) == 2
    assert "another kind of part" in capsys.readouterr().err
    assert snapshot(app) == before


def test_a_worksheet_named_as_an_image_still_gets_the_dtd_check(police, tmp_path):
    app, pid, out, _, _ = police
    sneaky = tmp_path / "declared.xlsx"
    _hide_sheet_as_png(out, sneaky,
                       b"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
                       doctype=True)
    with pytest.raises(TrackerFileError, match="document type"):
        app.trackers.check_return(sneaky)
    plain = tmp_path / "declared-plain.xlsx"     # the same, without the entity: it is a sheet
    _hide_sheet_as_png(out, plain,
                       b"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
                       doctype=False)
    assert app.trackers.check_return(plain).rows


def test_a_real_picture_in_a_return_is_still_accepted(police, tmp_path):
    """A partner who pastes a logo: binary parts that nothing parses as XML pass."""
    app, pid, out, _, _ = police
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
           b"\x00\x00\x00\x1f\x15\xc4\x89" + b"\x00" * 64)
    with_logo = tmp_path / "logo.xlsx"

    def edit(name, data):
        if name == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Default Extension="png" ContentType="image/png"/>'
                                b"</Types>")
        return name, data
    _rewrite(out, with_logo, edit)
    with zipfile.ZipFile(with_logo, "a") as zf:
        zf.writestr("xl/media/image1.png", png)
    assert app.trackers.check_return(with_logo).rows


# -- files: 0600 from the first byte, nothing left behind -----------------------------

def test_trackers_are_written_0600_even_over_an_older_0644_file(demo_app, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "named.xlsx"
    out.write_bytes(b"an older export")
    os.chmod(out, 0o644)
    old_umask = os.umask(0o022)
    try:
        demo_app.trackers.export(out, names=True)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["named.xlsx"]


def test_leftovers_of_killed_exports_are_removed_and_nothing_else(demo_app, tmp_path):
    dead = tmp_path / ".tracker-export-999999-ab12cd34.xlsx.part"        # no such process
    alive = tmp_path / f".tracker-export-{os.getppid()}-ef56ab78.xlsx.part"  # still running
    old = tmp_path / ".tracker-k2j4h5g6"                                  # an earlier version's
    old.mkdir()
    (old / "actions.xml.part").write_text("<row>plaintext</row>")
    (old / "tracker.xlsx.part").write_text("partial")
    mine = tmp_path / ".tracker-notes"                                    # not ours: kept
    mine.mkdir()
    (mine / "todo.txt").write_text("kept")
    for f in (dead, alive):
        f.write_bytes(b"PK partial")
    assert remove_leftovers(tmp_path) == 2
    assert not dead.exists() and not old.exists() and alive.exists() and mine.exists()
    dead.write_bytes(b"PK partial")
    demo_app.trackers.export(tmp_path / "next.xlsx")                     # the next export
    assert not dead.exists() and alive.exists()
    alive.unlink()
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / ".tracker-export-999998-zz99yy88.xlsx.part").write_bytes(b"PK")
    assert clean_leftovers(other) == 1                                   # at app start
    assert list(other.iterdir()) == []


def test_a_missing_folder_is_a_clear_message_or_created_when_asked(demo_app, tmp_path):
    missing = tmp_path / "Documents" / "tracker.xlsx"
    with pytest.raises(TrackerFileError, match="does not exist"):
        demo_app.trackers.export(missing)
    result = demo_app.trackers.export(missing, create_folder=True)
    assert missing.exists() and result.rows > 0
    assert stat.S_IMODE(missing.parent.stat().st_mode) == 0o700


def test_check_package_alone_refuses_the_renamed_sheet(police, tmp_path):
    from deterrence_desktop.exports.tracker_return import check_package
    app, pid, out, _, _ = police
    sneaky = tmp_path / "r.xlsx"
    _hide_sheet_as_png(out, sneaky, b"image/png", doctype=False)
    with pytest.raises(TrackerFileError, match="another kind of part"):
        check_package(sneaky.read_bytes(), sneaky.name)
    check_package(out.read_bytes(), out.name)            # the export as sent passes
    assert io.BytesIO(out.read_bytes()).read(2) == b"PK"
