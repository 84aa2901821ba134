"""Issue 12 item 7: history rewritten by whoever holds the passphrase is caught by `check`.

Every attack is made on a real workspace file by an independent SQLCipher client
(sqlcipher3, PRAGMA key, then DROP TRIGGER / DELETE / INSERT / UPDATE), recomputing
the hashes with ``audit.entry_hash`` where the attack would, and putting the triggers
back as they were, and clearing the workspace's own record of the anchors it gave out,
so that only anchors kept outside the file can catch it. An earlier anchor is present
each time: the backups folder (its index and its newest backup), a witness file, or a
letter PDF. `check` must exit non-zero and name the first entry where history differs
(exactly when a backup reaches it; otherwise the span the anchors allow, which holds it).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlcipher3
from openpyxl import Workbook
from pypdf import PdfReader

from deterrence_desktop.cli import main
from deterrence_desktop.services import anchors, audit
from deterrence_desktop.services.letters import LetterRequest
from deterrence_desktop.store import cipher

from conftest import DEMO_TODAY, PASSPHRASE


# ------------------------------------------------------------------ one anchored workspace

@pytest.fixture(scope="module")
def _anchored(tmp_path_factory):
    """A demo workspace with history before and after three anchors: a backup (its index
    line and its chain), a witness file and a letter PDF."""
    from deterrence_desktop.services.demo import create_demo_workspace

    folder = tmp_path_factory.mktemp("anchored")
    app = create_demo_workspace(folder / "team.ddw", PASSPHRASE, today=DEMO_TODAY)
    app = app.as_user("demo.coordinator")
    app.letters.add_signatory("Sam Sampleton", "Head of Probation", 2)
    for _ in range(5):
        app.people.page(1)                                  # audited consultations
    app.backup.backup_now("test")
    for _ in range(3):
        app.people.page(1)
    app.anchors.witness(folder / "witness.txt")
    app.letters.generate(LetterRequest("support_offer", references=("FD-0001",)),
                         folder / "letters.pdf")
    for _ in range(4):
        app.people.page(1)
    app.workspace.checkpoint()
    app.close()
    return folder


@pytest.fixture
def anchored(_anchored, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "anchored"
    shutil.copytree(_anchored, folder)
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    return folder


def run_check(folder: Path, capsys, *anchor_files: str) -> tuple[int, str]:
    argv = ["check", str(folder / "team.ddw")]
    for name in anchor_files:
        argv += ["--anchor", str(folder / name)]
    code = main(argv)
    return code, capsys.readouterr().out


def seqs(folder: Path) -> dict[str, int]:
    """The entry each anchor recorded, read back from the files themselves."""
    out = {name: anchors.read_anchor_file(folder / name)[1][-1].seq
           for name in ("witness.txt", "letters.pdf")}
    out["index"] = anchors.parse_text((folder / "team-backups" / "team-anchors.txt").read_text(),
                                      "")[-1].seq
    return out


# ------------------------------------------------------------------ the attacker

def attacker(path: Path):
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(f"PRAGMA key = {cipher.quote_key(PASSPHRASE)}")
    return conn


def entries(conn) -> list[tuple]:
    return conn.execute(f"SELECT {', '.join(audit.ENTRY_COLUMNS)} FROM audit_entry "
                        "ORDER BY seq").fetchall()


def rewrite(path: Path, change) -> None:
    """Drop the triggers, let ``change`` edit the list of entries (the fields that matter:
    at, username, operation, entity, entity_ref, detail, recipient), renumber and rechain
    them with entry_hash, update audit_head, clear the workspace's own anchor record and
    put the triggers back exactly as they were."""
    conn = attacker(path)
    try:
        triggers = [r[0] for r in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'")]
        conn.execute("BEGIN")
        conn.execute("DROP TRIGGER audit_entry_no_update")
        conn.execute("DROP TRIGGER audit_entry_no_delete")
        bodies = [list(r[1:8]) for r in entries(conn)]
        bodies = change(bodies)
        conn.execute("DELETE FROM audit_entry")
        prev, seq = audit.GENESIS, 0
        for seq, body in enumerate(bodies, start=1):
            digest = audit.entry_hash(seq, *body, prev)
            conn.execute(f"INSERT INTO audit_entry ({', '.join(audit.ENTRY_COLUMNS)}) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?)", (seq, *body, prev, digest))
            prev = digest
        if seq:
            conn.execute("UPDATE workspace_meta SET value = ? WHERE key = ?",
                         (f"{seq}:{prev}", audit.HEAD_KEY))
        else:
            conn.execute("DELETE FROM workspace_meta WHERE key = ?", (audit.HEAD_KEY,))
        conn.execute("DELETE FROM workspace_meta WHERE key = ?", (anchors.RECORD_KEY,))
        for sql in triggers:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


def delete_and_renumber(k: int):
    return lambda bodies: bodies[:k - 1] + bodies[k:]


def forge(k: int):
    forged = ["2026-01-05T10:00:00.000000+00:00", "demo.coordinator", "consultation",
              "person", "FD-0003", "viewed (forged, fictional)", ""]
    return lambda bodies: bodies[:k - 1] + [forged] + bodies[k - 1:]


def truncate(n: int):
    return lambda bodies: bodies[:n]


def empty(bodies):
    return []


ANCHOR_FILES = {"backup": (), "witness": ("witness.txt",), "pdf": ("letters.pdf",)}


def use_only(folder: Path, kind: str) -> tuple[str, ...]:
    """Keep just one kind of anchor: the backups folder, or one file given with --anchor."""
    if kind != "backup":
        shutil.rmtree(folder / "team-backups")
    return ANCHOR_FILES[kind]


def named_span(out: str) -> tuple[int, int]:
    m = re.search(r"the first entry that differs (?:is entry (\d+)\.|"
                  r"lies between entry (\d+) and entry (\d+))", out)
    assert m, out
    return (int(m[1]), int(m[1])) if m[1] else (int(m[2]), int(m[3]))


def assert_caught(code: int, out: str, first: int, kind: str) -> None:
    assert code == 1, out
    assert "FAIL  audit anchors" in out
    lower, upper = named_span(out)
    if kind in ("backup", "witness"):
        # A backup's chain, and a witness file's entry fingerprints, name it exactly.
        assert (lower, upper) == (first, first), out
    else:
        assert lower <= first <= upper, out              # a PDF's one head: the span
    assert "PASS  audit trail append-only triggers" in out
    assert "Traceback" not in out


# ------------------------------------------------------------------ the attacks

def test_untouched_history_passes_with_every_anchor(anchored, capsys):
    code, out = run_check(anchored, capsys, "witness.txt", "letters.pdf")
    assert code == 0, out
    assert re.search(r"PASS  audit anchors \(\d+ compared: .*1 witness file, 1 PDF", out), out
    assert "PASS  audit trail append-only triggers" in out


@pytest.mark.parametrize("kind", ["backup", "witness", "pdf"])
def test_deleting_entries_and_renumbering_is_caught(anchored, capsys, kind):
    files = use_only(anchored, kind)
    rewrite(anchored / "team.ddw", delete_and_renumber(4))
    assert_caught(*run_check(anchored, capsys, *files), first=4, kind=kind)


@pytest.mark.parametrize("kind", ["backup", "witness", "pdf"])
def test_a_forged_correctly_chained_entry_is_caught(anchored, capsys, kind):
    files = use_only(anchored, kind)
    rewrite(anchored / "team.ddw", forge(3))
    assert_caught(*run_check(anchored, capsys, *files), first=3, kind=kind)


@pytest.mark.parametrize("kind", ["backup", "witness", "pdf"])
def test_emptying_the_trail_is_caught(anchored, capsys, kind):
    files = use_only(anchored, kind)
    rewrite(anchored / "team.ddw", empty)
    code, out = run_check(anchored, capsys, *files)
    assert_caught(code, out, first=1, kind=kind)
    assert named_span(out) == (1, 1)           # nothing left: it differs from the first entry
    assert "PASS  audit chain (0 entries)" in out


def test_truncating_the_tail_and_updating_the_head_is_caught(anchored, capsys):
    at = seqs(anchored)
    # Cut back to two entries after the backup: the backup and its index line still hold,
    # the witness file and the letter PDF do not.
    n = at["index"] + 2
    assert n < at["witness.txt"] < at["letters.pdf"]
    rewrite(anchored / "team.ddw", truncate(n))
    code, out = run_check(anchored, capsys, "letters.pdf")
    assert_caught(code, out, first=n + 1, kind="pdf")
    assert named_span(out) == (at["index"] + 1, n + 1), out   # between the backup and the cut
    assert f"PDF letters.pdf recorded entry {at['letters.pdf']}" in out
    assert "the trail no longer reaches it" in out
    code, out = run_check(anchored, capsys, "witness.txt")
    assert_caught(code, out, first=n + 1, kind="witness")
    assert f"witness file witness.txt: entry {n + 1} is not the entry it recorded" in out


@pytest.mark.parametrize("kind", ["backup", "witness"])
def test_truncating_below_every_anchor_is_named_exactly_by_a_backup(anchored, capsys, kind):
    files = use_only(anchored, kind)
    rewrite(anchored / "team.ddw", truncate(2))
    assert_caught(*run_check(anchored, capsys, *files), first=3, kind=kind)


def test_dropping_the_triggers_is_caught(anchored, capsys):
    conn = attacker(anchored / "team.ddw")
    conn.execute("DROP TRIGGER audit_entry_no_delete")
    conn.execute("DROP TRIGGER audit_entry_no_update")
    conn.execute("CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
                 "BEGIN SELECT 1; END")             # looks the same by name, does nothing
    conn.close()
    code, out = run_check(anchored, capsys, "witness.txt")
    assert code == 1, out
    assert "FAIL  audit trail append-only triggers" in out
    assert "audit_entry_no_delete is missing" in out
    assert "audit_entry_no_update has been altered" in out
    assert "PASS  audit anchors" in out            # history itself was not changed


def test_an_extra_trigger_on_the_trail_is_reported(anchored, capsys):
    conn = attacker(anchored / "team.ddw")
    conn.execute("CREATE TRIGGER quiet AFTER INSERT ON audit_entry "
                 "BEGIN DELETE FROM person WHERE 0; END")
    conn.close()
    code, out = run_check(anchored, capsys)
    assert code == 1 and "an unexpected trigger quiet acts on the audit trail" in out


def test_the_workspaces_own_record_catches_a_careless_rewrite(anchored, capsys):
    """Not trusted (it is in the same file), but a rewrite that forgets it shows."""
    shutil.rmtree(anchored / "team-backups")
    conn = attacker(anchored / "team.ddw")
    record = conn.execute("SELECT value FROM workspace_meta WHERE key = ?",
                          (anchors.RECORD_KEY,)).fetchone()[0]
    conn.close()
    rewrite(anchored / "team.ddw", delete_and_renumber(2))
    conn = attacker(anchored / "team.ddw")
    conn.execute("INSERT INTO workspace_meta (key, value) VALUES (?, ?)",
                 (anchors.RECORD_KEY, record))
    conn.close()
    code, out = run_check(anchored, capsys)
    assert code == 1 and "the workspace's own record (witness witness.txt)" in out


def test_editing_a_person_without_an_audit_entry_shows_against_the_backups(anchored, capsys):
    """The trail cannot show a record changed with no entry; two copies can. A person whose
    record differs from the newest backup's with no audit entry naming them since is
    reported; a change made through the app is not."""
    from dataclasses import replace

    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.store.workspace import Workspace

    def edit_in_app(reference: str, **changes) -> WorkspaceServices:
        ws = Workspace.open(anchored / "team.ddw", PASSPHRASE)
        app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
        app.people.update(replace(app.people.by_reference(reference), **changes))
        return app

    edit_in_app("FD-0003", notes="Changed through the app (fictional)").close()
    conn = attacker(anchored / "team.ddw")
    conn.execute("UPDATE person SET family_name = 'Rewrittenfiction' WHERE reference = 'FD-0002'")
    conn.close()
    code, out = run_check(anchored, capsys, "witness.txt", "letters.pdf")
    assert code == 1, out
    assert "FAIL  people changed outside the app (since backup team-" in out
    assert "1 people's records changed since backup" in out and ": FD-0002" in out
    assert "FD-0003" not in out and "Rewrittenfiction" not in out
    assert "PASS  audit anchors" in out                 # the trail itself is untouched
    # A later backup takes the edit in; `backups` still finds it between the two backups.
    app = edit_in_app("FD-0003", notes="A later change (fictional)")
    app.backup.backup_now("test")
    app.close()
    assert main(["backups", str(anchored / "team.ddw")]) == 1
    out = capsys.readouterr().out
    assert "PEOPLE CHANGED OUTSIDE THE APP: 1 people's records changed between backup" in out
    assert out.count("FD-0002") == 1 and "FD-0003" not in out
    # The limit: with no backup older than the edit, nothing shows it.
    shutil.rmtree(anchored / "team-backups")
    code, out = run_check(anchored, capsys, "witness.txt", "letters.pdf")
    assert code == 0, out


# ------------------------------------------------------------------ backups compares chains

def test_backups_names_where_a_backups_history_leaves_the_live_file(anchored, capsys):
    assert main(["backups", str(anchored / "team.ddw")]) == 0
    assert "good\n      its audit trail is in the workspace's" in capsys.readouterr().out
    rewrite(anchored / "team.ddw", delete_and_renumber(5))
    assert main(["backups", str(anchored / "team.ddw")]) == 1
    out = capsys.readouterr().out
    assert "HISTORY DIFFERS" in out and "differs from the workspace's from entry 5" in out


# ------------------------------------------------------------------ where anchors are carried

def test_the_letter_pdf_carries_its_anchor_in_keywords_and_small_print(anchored):
    reader = PdfReader(str(anchored / "letters.pdf"))
    kind, found = anchors.read_anchor_file(anchored / "letters.pdf")
    assert kind == "PDF" and found[0].seq == seqs(anchored)["letters.pdf"]
    assert f"deterrence-audit={found[0].seq}:{found[0].hash}" in reader.metadata["/Keywords"]
    assert f"Audit {found[0].seq}:{found[0].hash[:16]}" in reader.pages[0].extract_text()


def test_witness_appends_a_line_and_check_reads_every_line(anchored, capsys):
    out_file = anchored / "witness.txt"
    before = anchors.read_anchor_file(out_file)[1]
    assert main(["witness", str(anchored / "team.ddw"), "--out", str(out_file)]) == 0
    assert "written to" in capsys.readouterr().out
    after = anchors.read_anchor_file(out_file)[1]
    heads = [a for a in after if not a.fingerprint]
    assert heads[:-1] == [a for a in before if not a.fingerprint]
    # Every entry up to the new head has its fingerprint, each once.
    assert sorted(a.seq for a in after if a.fingerprint) == list(range(1, heads[-1].seq + 1))
    assert heads[-1].at.startswith(f"{DEMO_TODAY:%Y-%m-%d}")      # the app's one clock
    assert oct(out_file.stat().st_mode & 0o777) == "0o600"
    code, out = run_check(anchored, capsys, "witness.txt")
    assert code == 0, out


def test_witness_refuses_to_append_to_a_file_whose_history_no_longer_holds(anchored, capsys):
    rewrite(anchored / "team.ddw", delete_and_renumber(6))
    before = (anchored / "witness.txt").read_bytes()
    assert main(["witness", str(anchored / "team.ddw"), "--out",
                 str(anchored / "witness.txt")]) == 2
    assert "no longer holds the history recorded in witness.txt" in capsys.readouterr().err
    assert (anchored / "witness.txt").read_bytes() == before


def test_a_tracker_anchor_is_read_from_its_hidden_sheet(anchored, capsys):
    """The trackers export writes ``audit_head`` in its hidden sheet; `check` reads it."""
    head = anchors.read_anchor_file(anchored / "letters.pdf")[1][0]
    wb = Workbook()
    data = wb.create_sheet("TrackerData")
    data.sheet_state = "hidden"
    data.append(["format", "fictional"])
    data.append(["workspace_id", head.workspace_id])
    data.append(["audit_head", f"{head.seq}:{head.hash}"])
    wb.save(anchored / "tracker.xlsx")
    assert anchors.read_anchor_file(anchored / "tracker.xlsx")[0] == "tracker"
    code, out = run_check(anchored, capsys, "tracker.xlsx")
    assert code == 0 and "1 tracker" in out, out
    rewrite(anchored / "team.ddw", delete_and_renumber(1))
    code, out = run_check(anchored, capsys, "tracker.xlsx")
    assert code == 1 and "tracker tracker.xlsx" in out


def test_a_file_without_an_anchor_is_a_clear_failure(anchored, capsys):
    (anchored / "notes.txt").write_text("nothing here\n")
    (anchored / "bytes.bin").write_bytes(b"\xff\xfe\x00junk")
    code, out = run_check(anchored, capsys, "notes.txt", "bytes.bin", "missing.txt")
    assert code == 1
    assert "notes.txt (witness file) carries no audit anchor" in out
    assert "bytes.bin is not a witness file, a PDF or a tracker" in out
    assert "missing.txt cannot be read" in out
    assert "Traceback" not in out


def test_an_anchor_of_another_workspace_is_not_taken_for_this_one(anchored, capsys):
    text = (anchored / "witness.txt").read_text()
    wid = re.search(r"workspace=(\S+)", text)[1]
    (anchored / "other.txt").write_text(text.replace(wid, "00000000-0000-0000-0000-000000000000"))
    code, out = run_check(anchored, capsys, "other.txt")
    assert code == 1 and "names another workspace" in out


# ------------------------------------------------------------------ a restore is not a rewrite

def test_a_restore_gives_up_later_backups_without_failing_check(anchored, capsys):
    """Restoring the older backup gives up the entries after it: the backups made after it
    are noted as given up in the index, not reported as a rewrite. A witness file taken
    after the backup still fails, with a note that names the restore."""
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.store.workspace import Workspace

    [older] = (anchored / "team-backups").glob("team-*.ddw")
    ws = Workspace.open(anchored / "team.ddw", PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
    app.people.page(1)
    newer = app.backup.backup_now("test")
    assert newer.path != older
    app.backup.restore(older)
    ws.close()
    code, out = run_check(anchored, capsys)
    assert code == 0, out
    assert "1 backups made after the backup a restore brought back were not compared" in out
    code, out = run_check(anchored, capsys, "witness.txt")
    assert code == 1 and "The trail records a restore from a backup" in out, out
    assert main(["backups", str(anchored / "team.ddw")]) == 0
    out = capsys.readouterr().out
    assert "made after the backup a restore brought back: its later entries were given up" in out
    assert "HISTORY DIFFERS" not in out


def test_minutes_carry_the_head_at_export(demo_app, tmp_path):
    from test_meetings import make_meeting

    detail, _people, _partners = make_meeting(demo_app)
    with demo_app.workspace.session() as s:
        before = audit.head(s)
    demo_app.meetings.export_minutes(detail.meeting.id, tmp_path / "minutes.pdf")
    kind, [anchor] = anchors.read_anchor_file(tmp_path / "minutes.pdf")
    assert kind == "PDF" and (anchor.seq, anchor.hash) == before
    text = PdfReader(str(tmp_path / "minutes.pdf")).pages[0].extract_text()
    assert f"Audit {anchor.seq}:{anchor.hash[:16]}" in text
    report = demo_app.maintenance.check((tmp_path / "minutes.pdf",))
    assert report.ok, report
