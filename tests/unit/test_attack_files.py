"""File mechanics under attack (issue 12, findings 3, 4 and 11): restore and the old
journal files, leftovers of killed processes, and passphrase files that cannot be one."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deterrence_desktop.cli import main
from deterrence_desktop.domain.model import Partner
from deterrence_desktop.security import writer_lock
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.services.backup import clean_leftovers, default_folder, restore_backup
from deterrence_desktop.store.leftovers import host_tag
from deterrence_desktop.store.workspace import Workspace

from conftest import DEMO_TODAY, PASSPHRASE


def _partners(path: Path) -> int:
    with Workspace.open(path, PASSPHRASE, read_only=True) as ws, ws.engine.connect() as c:
        return c.exec_driver_sql("SELECT count(*) FROM partner").scalar()


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def backed_up(demo_path):
    """The demo with a backup, then one more partner added after it."""
    ws = Workspace.open(demo_path, PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
    backup = app.backup.backup_now().path
    app.partners.create(Partner(name="Fictional partner after the backup", type="other"))
    ws.close()
    return demo_path, backup


# -- restore: one rename over the path, and the old journal files dealt with ------------------

def test_restore_over_a_workspace_with_its_own_wal_keeps_that_state_aside(backed_up):
    path, backup = backed_up
    in_backup = _partners(backup)
    # A crash: the workspace's newest commits are only in its WAL.
    ws = Workspace.open(path, PASSPHRASE)
    WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator").partners.create(
        Partner(name="Fictional partner only in the WAL", type="other"))
    crashed = path.with_name("crashed")
    crashed.mkdir()
    for suffix in ("", "-wal", "-shm"):
        shutil.copyfile(f"{path}{suffix}", crashed / f"{path.name}{suffix}")
    ws.close()
    path = crashed / path.name
    before = in_backup + 2

    aside = restore_backup(path, backup, PASSPHRASE)
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()
    assert _partners(path) == in_backup
    assert _partners(aside) == before              # the old state, WAL included, kept aside


def test_restore_sets_a_foreign_wal_aside_and_keeps_the_old_file(backed_up, tmp_path):
    path, backup = backed_up
    other = tmp_path / "other.ddw"
    shutil.copyfile(backup, other)        # another file, keyed the same: a backup of it
    ws = Workspace.open(other, PASSPHRASE)
    WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator").partners.create(
        Partner(name="Fictional partner of the other file", type="other"))
    foreign = Path(f"{other}-wal").read_bytes()
    ws.close()
    Path(f"{path}-wal").write_bytes(foreign)
    old = _partners(backup) + 1

    aside = restore_backup(path, backup, PASSPHRASE)
    assert _partners(path) == _partners(backup)
    assert _partners(aside) == old
    assert [p.read_bytes() for p in path.parent.glob(f"{path.name}-wal.foreign-*")] == [foreign]


def test_restore_keeps_the_old_file_under_a_second_name_before_the_rename(backed_up, monkeypatch):
    """At the moment the restored copy is renamed over the path, the old file already has
    its second name: the path is never empty, and the old file is never lost."""
    path, backup = backed_up
    old_inode = path.stat().st_ino
    seen = {}
    real_replace = os.replace

    def watching_replace(src, dst):
        if Path(dst) == path:
            seen["path exists"] = path.exists()
            seen["aside"] = [p.stat().st_ino for p in path.parent.glob(f"{path.name}.before-restore-*")]
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", watching_replace)
    restore_backup(path, backup, PASSPHRASE)
    assert seen == {"path exists": True, "aside": [old_inode]}


def test_two_restores_in_one_second_keep_both_old_files(backed_up):
    path, backup = backed_up
    first = restore_backup(path, backup, PASSPHRASE)
    second = restore_backup(path, backup, PASSPHRASE)
    assert first != second and first.exists() and second.exists()


def test_restore_refuses_while_the_workspace_is_open_elsewhere(backed_up):
    path, backup = backed_up
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from deterrence_desktop.store.workspace import Workspace\n"
         "ws = Workspace.open(sys.argv[1], sys.argv[2], read_only=True)\n"
         "ws.meta('workspace_id'); print('open', flush=True); sys.stdin.read()",
         str(path), PASSPHRASE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        before = path.read_bytes()
        with pytest.raises(Exception, match="open .* in another copy"):
            restore_backup(path, backup, PASSPHRASE)
        assert path.read_bytes() == before
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


# -- leftovers of killed processes ---------------------------------------------------------------

def test_leftovers_of_dead_processes_are_removed_and_nothing_else(demo_path):
    folder = default_folder(demo_path)
    folder.mkdir()
    dead, alive = _dead_pid(), os.getppid()
    name = "demo-20261126-090000.ddw"
    gone = [folder / f".{name}.{host_tag()}-{dead}.part",
            folder / f".{name}.{host_tag()}-{dead}.part-journal",
            demo_path.with_name(f".demo.ddw.restore-{host_tag()}-{dead}.tmp")]
    kept = [folder / f".{name}.{host_tag()}-{alive}.part",         # a live backup's
            folder / f".{name}.0badc0de-{dead}.part",               # another computer's
            folder / "notes.txt",
            demo_path.with_name(f".demo.ddw.restore-{host_tag()}-{alive}.tmp")]
    for p in gone + kept:
        p.write_bytes(b"\x8f" * 4096)
    old_style = [folder / f"{name}.part", folder / f"{name}.part-journal"]
    for p in old_style:                                 # from before parts carried a pid
        p.write_bytes(b"\x8f" * 4096)
        os.utime(p, (1e9, 1e9))
    removed = clean_leftovers(demo_path)
    assert sorted(removed) == sorted(gone + old_style)
    assert all(p.exists() for p in kept)


def test_a_stale_lock_is_removed_by_the_next_run(demo_path, capsys, monkeypatch):
    lock = writer_lock.lock_path(demo_path)
    stale = {"host": writer_lock.this_host(), "pid": _dead_pid(),
             "started": "2026-11-26T08:00:00+00:00", "token": "t" * 32}
    lock.write_text(json.dumps(stale))
    ws = writer_lock.open_workspace(demo_path, PASSPHRASE, read_only=True)
    ws.close()
    assert not lock.exists()                            # a read-only open clears it

    lock.write_text(json.dumps(stale))
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    assert main(["backup", str(demo_path)]) == 0
    assert not lock.exists()                            # and so does a backup


def test_a_live_or_foreign_lock_is_left_alone(demo_path):
    lock = writer_lock.lock_path(demo_path)
    for holder in ({"host": writer_lock.this_host(), "pid": os.getppid()},
                   {"host": "another-computer", "pid": _dead_pid()}):
        lock.write_text(json.dumps({**holder, "started": "2026-11-26T08:00:00+00:00",
                                    "token": "t" * 32}))
        assert not writer_lock.clear_stale(demo_path)
        assert lock.exists()


def test_a_backup_leaves_no_journal_beside_its_part(demo_app, monkeypatch):
    """The part is written with its journal in memory: a kill can leave one file, not two."""
    from deterrence_desktop.services import backup as backup_module

    seen = []
    real = backup_module.verify_backup

    def spy(path, passphrase):
        seen.append(sorted(p.name for p in Path(path).parent.iterdir()))
        return real(path, passphrase)

    monkeypatch.setattr(backup_module, "verify_backup", spy)
    demo_app.backup.backup_now()
    (names,) = seen
    assert len(names) == 1 and names[0].endswith(".part") and names[0].startswith(".")


# -- passphrase files that cannot hold a passphrase -------------------------------------------

@pytest.mark.parametrize("content, needle", [
    (b"fictional\x00passphrase\n", "NUL character"),
    (b"caf\xe9 fictional passphrase\n", "not UTF-8"),
    (b"", "empty passphrase"),
    (b"\n", "empty passphrase"),
    (b"first fictional line\nsecond line\n", "more than one line"),
])
@pytest.mark.parametrize("command", ["info", "check", "backup", "passwd"])
def test_a_passphrase_file_that_cannot_hold_a_passphrase_is_one_clear_line(
        demo_path, tmp_path, capsys, monkeypatch, content, needle, command):
    secret = tmp_path / "pass.txt"
    secret.write_bytes(content)
    for key in [k for k in os.environ if k.startswith("DETERRENCE_")]:
        monkeypatch.delenv(key)
    before = demo_path.read_bytes()
    capsys.readouterr()
    assert main([command, "--passphrase-file", str(secret), str(demo_path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith("deterrence-desktop: error: the passphrase file ") and needle in err
    assert len(err.splitlines()) == 1
    assert demo_path.read_bytes() == before


def test_a_passphrase_file_with_a_byte_order_mark_still_works(demo_path, tmp_path, capsys,
                                                              monkeypatch):
    secret = tmp_path / "pass.txt"
    secret.write_bytes(b"\xef\xbb\xbf" + PASSPHRASE.encode("utf-8") + b"\r\n")
    capsys.readouterr()
    assert main(["info", "--passphrase-file", str(secret), str(demo_path)]) == 0
