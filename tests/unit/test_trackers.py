"""Excel action trackers: export to a partner, edit as the partner would, import the return."""
from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select

from deterrence_desktop.domain.enums import ActionKind, ActionStatus
from deterrence_desktop.domain.errors import ConflictError, PermissionDenied, ValidationError
from deterrence_desktop.domain.model import Action
from deterrence_desktop.exports.tracker_xlsx import (
    ACTIONS_SHEET, DATA_SHEET, HEADERS, SUMMARY_SHEET, TrackerFileError,
)
from deterrence_desktop.services.trackers import AgreementNotInForce, RowState
from deterrence_desktop.exports.tracker_outcomes import OUTCOMES_SHEET
from deterrence_desktop.store.tables import ActionRow, AuditEntryRow, PersonRow

POLICE = "Fictionbury Police"
HOMES = "Fictionbury Homes"          # its information-sharing agreement has ended (demo)


def col(name: str) -> int:
    return HEADERS.index(name) + 1


def partner_id(app, name: str) -> int:
    return app.partners.by_name(name).id


def audit_entries(app, operation: str):
    with app.workspace.session() as s:
        return list(s.scalars(select(AuditEntryRow).where(AuditEntryRow.operation == operation)
                              .order_by(AuditEntryRow.seq)))


def action_rows(ws):
    """Sheet rows by action id: {id: row number}."""
    return {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}


@pytest.fixture
def police_export(demo_app, tmp_path):
    pid = partner_id(demo_app, POLICE)
    out = tmp_path / "police.xlsx"
    result = demo_app.trackers.export(out, partner_id=pid)
    return demo_app, pid, out, result


def test_partner_tracker_holds_only_its_own_actions_and_references(police_export):
    app, pid, out, result = police_export
    own = {a.id for a in app.actions.list() if a.partner_id == pid}
    assert result.rows == len(own) > 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [SUMMARY_SHEET, ACTIONS_SHEET, OUTCOMES_SHEET, DATA_SHEET]
    ws = wb[ACTIONS_SHEET]
    assert [c.value for c in ws[1]] == list(HEADERS)
    ids = set(action_rows(ws))
    assert ids == own
    assert {ws.cell(r, col("Owning partner")).value for r in range(2, ws.max_row + 1)} == {POLICE}
    # No names: no family name of the people concerned appears anywhere in the workbook.
    with app.workspace.session() as sess:
        families = set(sess.scalars(select(PersonRow.family_name).join(
            ActionRow, ActionRow.person_id == PersonRow.id).where(ActionRow.partner_id == pid)))
    assert families
    text = " ".join(str(c.value) for sheet in wb for row in sheet.iter_rows()
                    for c in row if c.value is not None)
    assert not [f for f in families if f in text]
    subjects = {ws.cell(r, col("Person or group")).value for r in range(2, ws.max_row + 1)}
    assert all(s == "Person" or s.startswith("Group: ") for s in subjects)
    refs = [ws.cell(r, col("Partnership reference")).value for r in range(2, ws.max_row + 1)]
    assert any(r and r.startswith("FD-") for r in refs)


def test_workbook_layout_dates_validation_formatting_print(police_export):
    app, pid, out, result = police_export
    wb = openpyxl.load_workbook(out)
    ws = wb[ACTIONS_SHEET]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:M{result.rows + 1}"
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].type == "list" and "In progress" in dv[0].formula1
    assert str(dv[0].sqref) == f"J2:J{result.rows + 1}"
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert rules and "TODAY()" in rules[0].formula[0]
    due = [ws.cell(r, col("Due date")) for r in range(2, ws.max_row + 1)]
    dated = [c for c in due if c.value is not None]
    assert dated and all(isinstance(c.value, datetime) and c.is_date for c in dated)
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == "$1:$1"
    assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"
    assert ws.oddFooter.center.text == "OFFICIAL-SENSITIVE"
    assert ws.column_dimensions["D"].width > 30 and ws["D2"].alignment.wrap_text
    data = wb[DATA_SHEET]
    assert data.sheet_state == "hidden" and data.protection.sheet
    meta = {data.cell(r, 1).value: data.cell(r, 2).value for r in range(1, 7)}
    assert meta["workspace_id"] == app.workspace.workspace_id
    assert meta["partner_id"] == pid and meta["exported_at"]
    summary = wb[SUMMARY_SHEET]
    cells = [c.value for row in summary.iter_rows() for c in row]
    assert "OFFICIAL-SENSITIVE" in cells and "Overdue" in cells
    total_row = next(row for row in summary.iter_rows(values_only=True) if row[0] == "Total")
    open_n = sum(1 for a in app.actions.list() if a.partner_id == pid
                 and ActionStatus(a.status).is_open)
    overdue_n = sum(1 for a in app.actions.list() if a.partner_id == pid
                    and a.is_overdue(app.today()))
    assert total_row[2:4] == (open_n, overdue_n)


def test_export_is_audited_as_a_disclosure_to_the_partner(police_export):
    app, pid, out, result = police_export
    entries = audit_entries(app, "disclosure")
    assert entries[-1].recipient == POLICE
    assert f"rows={result.rows}" in entries[-1].detail
    assert "names=no" in entries[-1].detail and "person_name" not in entries[-1].detail
    assert app.maintenance.verify_audit().ok if hasattr(app.maintenance, "verify_audit") else True


def test_names_only_when_chosen(demo_app, tmp_path):
    pid = partner_id(demo_app, POLICE)
    out = tmp_path / "named.xlsx"
    demo_app.trackers.export(out, partner_id=pid, names=True)
    ws = openpyxl.load_workbook(out)[ACTIONS_SHEET]
    subjects = {ws.cell(r, col("Person or group")).value for r in range(2, ws.max_row + 1)}
    assert "Person" not in subjects
    assert "person_name" in audit_entries(demo_app, "disclosure")[-1].detail


def test_agreement_not_in_force_needs_an_override(demo_app, tmp_path):
    pid = partner_id(demo_app, HOMES)
    out = tmp_path / "homes.xlsx"
    with pytest.raises(AgreementNotInForce, match="override"):
        demo_app.trackers.export(out, partner_id=pid)
    assert not out.exists()
    assert "override=yes" not in " ".join(e.detail for e in audit_entries(demo_app, "disclosure"))
    result = demo_app.trackers.export(out, partner_id=pid, force=True)
    assert out.exists() and result.overridden
    assert "override=yes" in audit_entries(demo_app, "disclosure")[-1].detail


def test_analyst_cannot_send_names(demo_app, tmp_path):
    analyst = demo_app.as_user("demo.analyst")
    with pytest.raises(PermissionDenied):
        analyst.trackers.export(tmp_path / "a.xlsx", names=True)


def test_whole_partnership_tracker(demo_app, tmp_path):
    result = demo_app.trackers.export(tmp_path / "all.xlsx")
    assert result.rows == len(demo_app.actions.list())
    assert audit_entries(demo_app, "disclosure")[-1].recipient == "all partners"


@pytest.mark.file_only   # a NUL in a value: a server refuses to store it (ServerWorkspace says so)
def test_formula_injection_is_written_as_text(demo_app, tmp_path):
    pid = partner_id(demo_app, POLICE)
    person = next(a.person_id for a in demo_app.actions.list() if a.person_id)
    risky = ['=HYPERLINK("http://example.invalid/x","Click")', "+1", "-2", "@SUM(A1)",
             "\tcmd", "=1+1\x00\x07 bell"]
    made = [demo_app.actions.create(Action(partner_id=pid, kind=ActionKind.SUPPORT,
                                           description=t, person_id=person, notes=t,
                                           outcome="=cmd|' /C calc'!A0"))
            for t in risky]
    out = tmp_path / "risky.xlsx"
    demo_app.trackers.export(out, partner_id=pid)
    ws = openpyxl.load_workbook(out)[ACTIONS_SHEET]
    rows = action_rows(ws)
    for a in made:
        r = rows[a.id]
        for name in ("Action", "Notes", "Outcome"):
            c = ws.cell(r, col(name))
            assert c.data_type == "s", (name, c.value)
            assert not str(c.value).startswith("=") or c.quotePrefix
        assert ws.cell(r, col("Action")).value == a.description.replace("\x00", "").replace("\x07", "")
    # A file with control characters did not abort, and nothing reads as a formula anywhere.
    wb = openpyxl.load_workbook(out)
    assert not any(c.data_type == "f" for s in wb for row in s.iter_rows() for c in row)


def test_failed_or_cancelled_export_leaves_no_file_and_no_disclosure(demo_app, tmp_path):
    out = tmp_path / "cancelled.xlsx"
    seen = []

    def progress(done, total, text):
        seen.append(done)
        raise KeyboardInterrupt       # what a cancel looks like from inside the export

    disclosures = len(audit_entries(demo_app, "disclosure"))
    with pytest.raises(KeyboardInterrupt):
        demo_app.trackers.export(out, progress=progress)
    assert seen == [0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in tmp_path.iterdir() if not p.name.startswith((".tracker-", "cancelled")))
    assert len(audit_entries(demo_app, "disclosure")) == disclosures


def test_exporter_stopped_mid_stream_leaves_nothing(tmp_path):
    from deterrence_desktop.exports.tracker_xlsx import TrackerMeta, TrackerRow, write_tracker

    def rows():
        for i in range(1, 50):
            yield TrackerRow(i, f"FD-{1000 + i}", "Person", "Fictional action", "support",
                             "Fictional Partner", "", date(2026, 1, 1), "planned", "", "",
                             None, 1)
            if i == 30:
                raise OSError("disk full (simulated)")

    meta = TrackerMeta("ws", datetime(2026, 11, 26, 9, 0), None, "")
    with pytest.raises(OSError):
        write_tracker(tmp_path / "t.xlsx", rows(), meta)
    assert list(tmp_path.iterdir()) == []


# -- the return ----------------------------------------------------------------------

def edit(path, change):
    """Open a tracker as a partner would (openpyxl, full mode), change it, save it."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def test_partner_return_round_trip(police_export, tmp_path):
    app, pid, out, result = police_export
    ws = openpyxl.load_workbook(out)[ACTIONS_SHEET]
    rows = action_rows(ws)
    ids = sorted(rows)
    done_id, outcome_id, bad_status_id, bad_date_id, due_id, conflict_id, other_id = ids[:7]
    other_partner_action = next(a.id for a in app.actions.list() if a.partner_id != pid)
    before = {i: app.actions.get(i) for i in ids}

    def partner_edits(wb):
        s = wb[ACTIONS_SHEET]
        s.cell(rows[done_id], col("Status")).value = "Done"
        s.cell(rows[done_id], col("Outcome")).value = "Attended the assessment (fictional)"
        s.cell(rows[outcome_id], col("Outcome")).value = "Referral accepted"
        s.cell(rows[outcome_id], col("Status")).value = "in progress"       # value, any case
        s.cell(rows[bad_status_id], col("Status")).value = "Finished"       # not in the list
        s.cell(rows[bad_date_id], col("Due date")).value = "next week"      # not a date
        s.cell(rows[due_id], col("Due date")).value = datetime(2027, 1, 15)
        s.cell(rows[conflict_id], col("Notes")).value = "Partner's note"
        s.cell(rows[other_id], 1).value = other_partner_action              # another partner's
        s.append([999_999, "FD-0000", "Person", "made up", "Support"])       # unknown action id

    edit(out, partner_edits)
    # Meanwhile someone changes one action in the workspace.
    app.actions.set_status(conflict_id, ActionStatus.BLOCKED, outcome="waiting")
    plan = app.trackers.check_return(out)
    by_id = {r.action_id: r for r in plan.rows}
    assert plan.partner_id == pid and plan.partner_name == POLICE
    assert by_id[done_id].state == RowState.CHANGE
    assert {c.field: c.new for c in by_id[done_id].changes} == {
        "status": "done", "outcome": "Attended the assessment (fictional)"}
    assert by_id[outcome_id].state == RowState.CHANGE
    assert by_id[bad_status_id].state == RowState.ERROR
    assert "status is not one of" in by_id[bad_status_id].message
    assert by_id[bad_date_id].state == RowState.ERROR and "not a date" in by_id[bad_date_id].message
    assert [(c.field, c.new) for c in by_id[due_id].changes] == [("due_date", date(2027, 1, 15))]
    assert by_id[conflict_id].state == RowState.CONFLICT
    # Only what the partner changed: the status and outcome set here meanwhile are not reverted.
    assert [c.field for c in by_id[conflict_id].changes] == ["notes"]
    assert by_id[other_partner_action].state == RowState.ERROR
    assert "not in the exported tracker" in by_id[other_partner_action].message
    assert by_id[999_999].state == RowState.ERROR
    untouched = set(ids) - {done_id, outcome_id, bad_status_id, bad_date_id, due_id,
                            conflict_id, other_id}
    assert all(by_id[i].state == RowState.UNCHANGED for i in untouched)
    # The dry run changed nothing.
    assert app.actions.get(done_id) == before[done_id]

    audit_before = len(audit_entries(app, "alteration"))
    applied = app.trackers.apply_return(plan)
    assert applied.applied == 3 and set(applied.action_ids) == {done_id, outcome_id, due_id}
    after = app.actions.get(done_id)
    assert after.status == ActionStatus.DONE
    assert after.outcome == "Attended the assessment (fictional)"
    assert after.version == before[done_id].version + 1
    assert app.actions.get(outcome_id).status == ActionStatus.IN_PROGRESS
    assert app.actions.get(due_id).due_date == date(2027, 1, 15)
    assert app.actions.get(conflict_id).notes == before[conflict_id].notes      # not accepted
    assert app.actions.get(bad_status_id) == before[bad_status_id]
    new_entries = audit_entries(app, "alteration")[audit_before:]
    assert len(new_entries) == 3
    assert all(f"tracker return from partner {pid}" in e.detail for e in new_entries)
    assert {e.entity_ref for e in new_entries} == {str(done_id), str(outcome_id), str(due_id)}
    # The same plan cannot be applied twice: versions moved on.
    with pytest.raises(ConflictError):
        app.trackers.apply_return(plan)


def test_conflict_applied_only_when_accepted_and_errors_never(police_export):
    app, pid, out, _ = police_export
    rows = action_rows(openpyxl.load_workbook(out)[ACTIONS_SHEET])
    a, b = sorted(rows)[:2]
    edit(out, lambda wb: (wb[ACTIONS_SHEET].cell(rows[a], col("Notes")).__setattr__("value", "N1"),
                          wb[ACTIONS_SHEET].cell(rows[b], col("Status")).__setattr__("value", "?")))
    app.actions.set_status(a, ActionStatus.BLOCKED)
    plan = app.trackers.check_return(out)
    with pytest.raises(ValidationError):
        app.trackers.apply_return(plan, accept=[a, b])
    assert app.actions.get(a).notes != "N1"
    assert app.trackers.apply_return(plan, accept=[a]).applied == 1
    assert app.actions.get(a).notes == "N1"


def test_deleted_column_is_reported_and_left_alone(police_export):
    app, pid, out, _ = police_export
    rows = action_rows(openpyxl.load_workbook(out)[ACTIONS_SHEET])
    first = sorted(rows)[0]
    before = app.actions.get(first)

    def drop_notes(wb):
        s = wb[ACTIONS_SHEET]
        s.cell(rows[first], col("Status")).value = "Cancelled"
        s.delete_cols(col("Notes"))

    edit(out, drop_notes)
    plan = app.trackers.check_return(out)
    assert any("'Notes' column is missing" in p for p in plan.problems)
    row = next(r for r in plan.rows if r.action_id == first)
    assert [c.field for c in row.changes] == ["status"]
    app.trackers.apply_return(plan)
    assert app.actions.get(first).notes == before.notes
    assert app.actions.get(first).status == ActionStatus.CANCELLED


@pytest.mark.parametrize("damage, message", [
    (lambda wb: setattr(wb[ACTIONS_SHEET], "title", "My actions"), "no sheet called 'Actions'"),
    (lambda wb: wb.remove(wb[ACTIONS_SHEET]), "no sheet called 'Actions'"),
    (lambda wb: wb.remove(wb[DATA_SHEET]), "not a tracker exported"),
    (lambda wb: wb[ACTIONS_SHEET].delete_cols(1), "no 'Action id' column"),
    (lambda wb: setattr(wb[DATA_SHEET].cell(2, 2), "value", "another-workspace"),
     "another workspace"),
])
def test_whole_file_problems_are_refused_with_a_clear_message(police_export, damage, message):
    app, pid, out, _ = police_export
    edit(out, damage)
    with pytest.raises(TrackerFileError, match=message):
        app.trackers.check_return(out)


# -- hostile and wrong files ------------------------------------------------------------

def _zip(path, parts: dict[str, bytes], method=None):
    import zipfile
    with zipfile.ZipFile(path, "w", method or zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_not_an_xlsx_is_refused(demo_app, tmp_path):
    csv = tmp_path / "tracker.xlsx"
    csv.write_text("Action id,Status\n1,done\n")
    with pytest.raises(TrackerFileError, match="not an Excel workbook"):
        demo_app.trackers.check_return(csv)
    ole = tmp_path / "old.xls"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(TrackerFileError, match="old-style .xls"):
        demo_app.trackers.check_return(ole)


def test_macros_are_refused(police_export, tmp_path):
    app, pid, out, _ = police_export
    xlsm = tmp_path / "tracker.xlsm"
    xlsm.write_bytes(out.read_bytes())
    with pytest.raises(TrackerFileError, match="Macro-enabled"):
        app.trackers.check_return(xlsm)
    import zipfile
    sneaky = tmp_path / "sneaky.xlsx"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(sneaky, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/vbaProject.bin", b"\0" * 100)
    with pytest.raises(TrackerFileError, match="macros"):
        app.trackers.check_return(sneaky)


def test_zip_bomb_is_refused_quickly(demo_app, tmp_path):
    import time
    bomb = tmp_path / "bomb.xlsx"
    _zip(bomb, {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>",
                "xl/worksheets/sheet1.xml": b"<a>" + b" " * (200 * 1024 * 1024) + b"</a>"})
    assert bomb.stat().st_size < 1024 * 1024
    started = time.monotonic()
    with pytest.raises(TrackerFileError, match="zip bomb"):
        demo_app.trackers.check_return(bomb)
    assert time.monotonic() - started < 20


def test_entity_declarations_are_refused(police_export, tmp_path):
    app, pid, out, _ = police_export
    import zipfile
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/workbook.xml":
                decl = b'<!DOCTYPE lol [<!ENTITY a "aaaa">]>'
                data = (data.replace(b"?>", b"?>" + decl, 1) if data.startswith(b"<?xml")
                        else decl + data)
                assert b"DOCTYPE" in data
            dst.writestr(info, data)
    with pytest.raises(TrackerFileError, match="document type"):
        app.trackers.check_return(evil)


def test_million_empty_rows_are_refused_or_cut_short(police_export, tmp_path):
    """A sheet that declares a million rows is refused outright; one that hides them
    (no dimension) stops after a run of empty rows, in bounded time."""
    import re
    import time
    import zipfile
    app, pid, out, _ = police_export
    for declare in (True, False):
        big = tmp_path / f"empty-{declare}.xlsx"
        with zipfile.ZipFile(out) as src, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == "xl/worksheets/sheet2.xml":
                    empty = b"".join(b'<row r="%d"/>' % i for i in range(200, 1_000_200))
                    data = data.replace(b"</sheetData>", empty + b"</sheetData>")
                    data = re.sub(rb'<dimension ref="[^"]*"/>', b"", data)
                    if declare:
                        data = data.replace(b"<sheetViews>",
                                            b'<dimension ref="A1:L1000200"/><sheetViews>', 1)
                dst.writestr(info.filename, data)
        started = time.monotonic()
        if declare:
            with pytest.raises(TrackerFileError, match="declares 1,000,200 rows"):
                app.trackers.check_return(big)
        else:
            plan = app.trackers.check_return(big)
            assert any("Reading stopped" in p for p in plan.problems)
            assert all(r.state == RowState.UNCHANGED for r in plan.rows)
        assert time.monotonic() - started < 30


def test_entity_declaration_in_a_part_not_named_xml_is_refused(police_export, tmp_path):
    """openpyxl follows relationships, not file names: every textual part is checked."""
    import zipfile
    app, pid, out, _ = police_export
    evil = tmp_path / "evil2.xlsx"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/strings.dat", b'<!DOCTYPE x [<!ENTITY a "b">]><sst/>')
    with pytest.raises(TrackerFileError, match="document type"):
        app.trackers.check_return(evil)


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
