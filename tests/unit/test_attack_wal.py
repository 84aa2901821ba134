"""Journal files that are not the workspace's own (issue 12, finding 1).

SQLite replays whatever ``NAME-wal`` lies beside ``NAME``, and its last connection
copies the frames into the file even when the key never opened them. Each trial puts
a journal that does not belong beside a workspace, runs what a user runs (`info`,
`check`, the app's open, a read-only open) and checks that the workspace still holds
itself, that the journal was set aside untouched with a clear notice, and that a
workspace's own WAL after a crash is still applied."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import sqlcipher3

from deterrence_desktop.cli import main
from deterrence_desktop.domain.model import Partner, Partnership, User
from deterrence_desktop.security.writer_lock import open_workspace
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store import cipher
from deterrence_desktop.store.workspace import Workspace

from conftest import DEMO_TODAY, PASSPHRASE

OTHER = "another fictional partnership's passphrase"


def _count(path: Path, table: str, passphrase: str = PASSPHRASE) -> int:
    with Workspace.open(path, passphrase, read_only=True) as ws, ws.engine.connect() as c:
        return c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def _identity(path: Path, passphrase: str = PASSPHRASE) -> str:
    with Workspace.open(path, passphrase, read_only=True) as ws:
        return ws.workspace_id


def _new_workspace(path: Path, passphrase: str) -> None:
    WorkspaceServices.create_workspace(
        path, passphrase, Partnership(name="Other partnership (fictional)", area="Elsewhere"),
        User(username="coord", display_name="Casey Testcoord")).close()


def _wal_with_writes(path: Path, passphrase: str, user: str, n: int = 3) -> bytes:
    """The WAL of ``path`` while it holds ``n`` new partners not yet checkpointed:
    what a crash, or a copy taken while the app is open, leaves beside the file."""
    ws = Workspace.open(path, passphrase)
    try:
        app = WorkspaceServices(ws, today=DEMO_TODAY).as_user(user)
        for i in range(n):
            app.partners.create(Partner(name=f"Fictional partner {i}", type="other"))
        return Path(f"{path}-wal").read_bytes()
    finally:
        ws.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _aside(path: Path, suffix: str = "-wal") -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}{suffix}.foreign-*"))


def _run(capsys, monkeypatch, *args) -> tuple[int, str, str]:
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _open_app(path):
    ws = open_workspace(path, PASSPHRASE)
    notices = ws.notices
    ws.close()
    return notices


def _open_read_only(path):
    ws = Workspace.open(path, PASSPHRASE, read_only=True)
    notices = ws.notices
    ws.close()
    return notices


@pytest.fixture
def others(tmp_path):
    """Foreign WALs: of a workspace with another passphrase, and of one with the same."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    out = {}
    for key, passphrase in (("other passphrase", OTHER), ("same passphrase", PASSPHRASE)):
        path = folder / f"{len(out)}.ddw"
        _new_workspace(path, passphrase)
        out[key] = _wal_with_writes(path, passphrase, "coord")
    return out


@pytest.mark.parametrize("source, how", [
    ("other passphrase", "info"), ("other passphrase", "check"),
    ("other passphrase", "app"), ("other passphrase", "read-only"),
    ("same passphrase", "info"), ("same passphrase", "check"),
    ("same passphrase", "app"), ("same passphrase", "read-only"),
])
def test_a_foreign_wal_is_set_aside_never_written_into_the_workspace(
        demo_path, others, source, how, capsys, monkeypatch):
    ident, partners = _identity(demo_path), _count(demo_path, "partner")
    foreign = others[source]
    Path(f"{demo_path}-wal").write_bytes(foreign)
    Path(f"{demo_path}-shm").write_bytes(b"\0" * 32768)       # a stale index beside it too
    if how in ("info", "check"):
        code, out, err = _run(capsys, monkeypatch, how, demo_path)
        assert code == 0, err
        assert "Traceback" not in out + err
        assert "did not belong" in err and ".ddw-wal.foreign-" in err
    else:
        notices = _open_app(demo_path) if how == "app" else _open_read_only(demo_path)
        assert len(notices) == 1 and "did not belong" in notices[0]
    aside = _aside(demo_path)
    assert len(aside) == 1 and aside[0].read_bytes() == foreign       # kept, untouched
    assert not Path(f"{demo_path}-wal").exists() or Path(f"{demo_path}-wal").stat().st_size == 0
    assert _identity(demo_path) == ident
    assert _count(demo_path, "partner") == partners
    assert _run(capsys, monkeypatch, "check", demo_path)[0] == 0


@pytest.mark.parametrize("how", ["info", "check", "app", "read-only"])
def test_a_backup_copied_over_a_workspace_with_its_old_wal_is_the_backup(
        demo_path, capsys, monkeypatch, how):
    """What a user following `check`'s advice does: copy the backup over the file, while
    the file's own WAL (from a crash) is still beside it."""
    ws = Workspace.open(demo_path, PASSPHRASE)
    backup = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator").backup.backup_now()
    ws.close()
    in_backup = _count(backup.path, "partner")
    stale = _wal_with_writes(demo_path, PASSPHRASE, "demo.coordinator", n=2)
    shutil.copyfile(backup.path, demo_path)
    Path(f"{demo_path}-wal").write_bytes(stale)
    if how in ("info", "check"):
        code, out, err = _run(capsys, monkeypatch, how, demo_path)
        assert code == 0, out + err
        assert "did not belong" in err
    else:
        notices = _open_app(demo_path) if how == "app" else _open_read_only(demo_path)
        assert notices and "did not belong" in notices[0]
    assert [p.read_bytes() for p in _aside(demo_path)] == [stale]
    assert _count(demo_path, "partner") == in_backup


def test_a_workspace_s_own_wal_after_a_crash_is_applied_not_set_aside(demo_path, tmp_path,
                                                                       capsys, monkeypatch):
    partners = _count(demo_path, "partner")
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
        app.partners.create(Partner(name="Fictional partner after the last checkpoint", type="other"))
        for suffix in ("", "-wal", "-shm"):          # the files as a kill leaves them
            shutil.copyfile(f"{demo_path}{suffix}", crashed / f"demo.ddw{suffix}")
    finally:
        ws.close()
    path = crashed / "demo.ddw"
    code, out, err = _run(capsys, monkeypatch, "info", path)
    assert code == 0 and err == "", err
    assert not _aside(path)
    assert _count(path, "partner") == partners + 1


def test_a_wal_is_proved_on_a_ciphertext_copy_that_is_removed(demo_path, others):
    Path(f"{demo_path}-wal").write_bytes(others["same passphrase"])
    _open_read_only(demo_path)
    assert sorted(p.name for p in demo_path.parent.iterdir() if "walcheck" in p.name) == []


def test_a_wrong_passphrase_beside_a_wal_writes_nothing(demo_path, others, capsys, monkeypatch):
    """The key is proved on a copy of the main file alone: a wrong passphrase stops there,
    before SQLite has seen the file or its WAL."""
    foreign = others["other passphrase"]
    Path(f"{demo_path}-wal").write_bytes(foreign)
    before = _sha(demo_path)
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", "a wrong fictional passphrase")
    capsys.readouterr()
    assert main(["info", str(demo_path)]) == 2
    assert "passphrase is wrong" in capsys.readouterr().err
    assert _sha(demo_path) == before
    assert Path(f"{demo_path}-wal").read_bytes() == foreign and not _aside(demo_path)


def test_a_rollback_journal_beside_a_workspace_is_set_aside(demo_path, tmp_path, capsys, monkeypatch):
    """Workspaces always keep a WAL: a rollback journal beside one (here, a hot journal
    of another database) is never its own, and SQLite would otherwise play it back."""
    other = tmp_path / "other.db"
    conn = sqlcipher3.connect(str(other), isolation_level=None)
    conn.execute(f"PRAGMA key = {cipher.quote_key(OTHER)}")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"\1" * 500,)] * 200)
    conn.execute("BEGIN")
    conn.execute("UPDATE t SET x = zeroblob(500)")
    conn.execute("PRAGMA cache_spill = 1")
    journal = Path(f"{other}-journal").read_bytes()
    conn.execute("ROLLBACK")
    conn.close()
    assert len(journal) > 4096
    ident = _identity(demo_path)
    Path(f"{demo_path}-journal").write_bytes(journal)
    code, _, err = _run(capsys, monkeypatch, "check", demo_path)
    assert code == 0 and "rollback journal" in err
    assert [p.read_bytes() for p in _aside(demo_path, "-journal")] == [journal]
    assert _identity(demo_path) == ident


@pytest.mark.parametrize("how", ["renamed", "replaced"])
def test_a_workspace_renamed_or_replaced_while_open_refuses_to_write(demo_path, tmp_path, how):
    """SQLite's "unlinking or renaming a database file while in use": the open connection
    keeps the old file while its WAL and locks are found by name. Nothing more is
    written, and both files stay whole."""
    from deterrence_desktop.store.errors import StorageError

    ws = Workspace.open(demo_path, PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
    partners = len(app.partners.list())
    moved = tmp_path / "moved.ddw"
    shutil.copyfile(demo_path, tmp_path / "other.ddw")
    demo_path.rename(moved)
    if how == "replaced":
        (tmp_path / "other.ddw").rename(demo_path)
    try:
        with pytest.raises(StorageError, match="renamed, moved or replaced while it was open"):
            app.partners.create(Partner(name="Fictional partner after the move", type="other"))
    finally:
        ws.close()
    assert _count(moved, "partner") == partners
    if how == "replaced":
        assert _count(demo_path, "partner") == partners


def _people_then_wal(path: Path, checkpointed: int, in_wal: int) -> bytes:
    from deterrence_desktop.domain.model import Person

    ws = Workspace.open(path, PASSPHRASE)
    try:
        app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
        for i in range(checkpointed):
            app.people.create(Person(reference="", given_name=f"Fictional{i}", family_name="Merged"))
        ws.checkpoint()
        for i in range(in_wal):
            app.people.create(Person(reference="", given_name=f"Fictional{i}", family_name="Pending"))
        return Path(f"{path}-wal").read_bytes()
    finally:
        ws.close()


@pytest.mark.parametrize("case, checkpointed, in_wal", [
    ("sibling", 20, 5), ("sibling", 40, 25), ("older copy", 20, 5), ("older copy", 40, 25)])
def test_a_wal_of_another_byte_copy_of_the_same_file_is_set_aside(
        demo_path, tmp_path, case, checkpointed, in_wal):
    """Same key, same salt, same workspace id: the WAL of a sibling copy that moved on, or
    the file's own WAL after an older copy of the file (a `.before-restore` one, a copy
    kept by hand) was put back over it. Its pages do not fit the main file."""
    people = _count(demo_path, "person")
    if case == "sibling":
        sibling = tmp_path / "sibling.ddw"
        shutil.copyfile(demo_path, sibling)
        wal = _people_then_wal(sibling, checkpointed, in_wal)
    else:
        older = tmp_path / "older.ddw"
        shutil.copyfile(demo_path, older)
        wal = _people_then_wal(demo_path, checkpointed, in_wal)
        shutil.copyfile(older, demo_path)
    Path(f"{demo_path}-wal").write_bytes(wal)
    notices = _open_read_only(demo_path)
    assert notices and "did not belong" in notices[0]
    assert [p.read_bytes() for p in _aside(demo_path)] == [wal]
    assert _count(demo_path, "person") == people


def test_a_wal_beside_a_workspace_another_computer_holds_is_never_touched(demo_path, others):
    """On a shared drive the other computer's SQLite locks cannot be seen from here: its
    writer lock says the WAL may be live there, so it is left as it is."""
    import json

    wal = Path(f"{demo_path}-wal")
    wal.write_bytes(others["same passphrase"])
    Path(f"{demo_path}.lock").write_text(json.dumps(
        {"host": "another-computer", "pid": 4242, "started": "2026-11-26T08:00:00+00:00",
         "token": "t" * 32}))
    from deterrence_desktop.store import walguard
    assert walguard.vet(demo_path, PASSPHRASE) == []
    assert wal.read_bytes() == others["same passphrase"] and not _aside(demo_path)
