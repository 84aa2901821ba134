"""Damaged files: `check` names the failing check and the newest good backup; opening or
reading a damaged page gives a clear WorkspaceError, never a traceback or the page's data."""
from __future__ import annotations

import pytest

from deterrence_desktop.cli import main
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.errors import WorkspaceDamaged, WorkspaceError, WrongPassphrase
from deterrence_desktop.store.workspace import Workspace, open_or_explain

from conftest import DEMO_TODAY, PASSPHRASE

PAGE = 4096


def _flip(path, page: int, offset: int = 1500, n: int = 8) -> None:
    data = bytearray(path.read_bytes())
    at = page * PAGE + offset
    data[at:at + n] = bytes(b ^ 0x5A for b in data[at:at + n])
    path.write_bytes(bytes(data))


def _root_page(path, table: str) -> int:
    with Workspace.open(path, PASSPHRASE, read_only=True) as ws:
        with ws.engine.connect() as c:
            return c.exec_driver_sql(
                "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).scalar()


@pytest.fixture
def backed_up(demo_path):
    ws = Workspace.open(demo_path, PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
    good = app.backup.backup_now()
    ws.close()
    return demo_path, good


def test_check_names_the_failed_check_and_the_newest_good_backup(backed_up, capsys, monkeypatch):
    path, good = backed_up
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    assert main(["check", str(path)]) == 0
    capsys.readouterr()
    root = _root_page(path, "person")
    _flip(path, root - 1)                       # page numbers start at 1
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  cipher integrity (page HMACs)" in out
    assert f"HMAC verification failed for page {root}" in out
    assert f"Newest good backup: {good.path}" in out
    assert "Traceback" not in out


def test_reading_a_damaged_page_is_a_clear_error_with_no_data(backed_up):
    path, _ = backed_up
    _flip(path, _root_page(path, "person") - 1)
    ws = open_or_explain(path, PASSPHRASE)
    try:
        app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
        with pytest.raises(WorkspaceDamaged) as err:
            app.people.list()
        assert "damaged" in str(err.value) and "backup" in str(err.value)
        assert err.value.__cause__ is None and err.value.__suppress_context__
        report = app.maintenance.check()
        assert not report.ok
        assert {r.name for r in report.results if not r.ok} >= {"cipher integrity (page HMACs)"}
    finally:
        ws.close()


def test_damaged_first_page_is_told_apart_from_a_wrong_passphrase(backed_up, capsys, monkeypatch):
    path, good = backed_up
    _flip(path, 0, offset=2000)
    with pytest.raises(WorkspaceDamaged):
        open_or_explain(path, PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        open_or_explain(path, "a wrong passphrase entirely")
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  opening the workspace" in out and str(good.path) in out


def test_damaged_schema_page_fails_to_open_clearly(backed_up):
    path, _ = backed_up
    # Damage every page after the first: the file cannot be used at all.
    size = path.stat().st_size // PAGE
    for page in range(1, size):
        _flip(path, page, offset=100, n=2)
    with pytest.raises(WorkspaceError) as err:
        ws = open_or_explain(path, PASSPHRASE)
        try:
            WorkspaceServices(ws).users.list()
        finally:
            ws.close()
    assert "damaged" in str(err.value) or "not a Deterrence" in str(err.value)


def test_open_with_page_check_refuses_a_damaged_file_at_once(backed_up):
    from deterrence_desktop.security import writer_lock

    path, _ = backed_up
    ws = writer_lock.open_workspace(path, PASSPHRASE, check_pages=True)
    ws.close()
    _flip(path, _root_page(path, "action") - 1)
    with pytest.raises(WorkspaceDamaged, match="restore the newest good backup"):
        writer_lock.open_workspace(path, PASSPHRASE, check_pages=True)
    assert not writer_lock.lock_path(path).exists()      # the refused open left no lock
