"""Rotating encrypted backups: made, verified, rotated, and restored."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlcipher3

from deterrence_desktop.domain.errors import PermissionDenied
from deterrence_desktop.domain.model import Group
from deterrence_desktop.services import backup
from deterrence_desktop.services.backup import BackupDamaged, BackupInfo, to_prune
from deterrence_desktop.store.workspace import Workspace

from conftest import PASSPHRASE


def test_backup_is_encrypted_verified_and_restorable(demo_app):
    app = demo_app
    marker = app.people.list()[0].family_name
    info = app.backup.backup_now()
    assert info.path.parent == app.workspace.path.with_name("demo-backups")
    assert info.path.name.startswith("demo-") and info.path.suffix == ".ddw"
    assert not list(info.path.parent.glob("*.part"))
    data = info.path.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert marker.encode() not in data and marker.encode("utf-16-le") not in data
    assert app.backup.verify(info.path) == []
    # It opens on its own with the workspace passphrase, as a workspace, with the same rows.
    with Workspace.open(info.path, PASSPHRASE, read_only=True) as copy:
        with copy.engine.connect() as c:
            n = c.exec_driver_sql("SELECT count(*) FROM person").scalar()
    assert n == len(app.people.list())
    # A wrong passphrase does not open it.
    assert backup.verify_backup(info.path, "not the passphrase") != []
    # Nothing changed since: the close backup is skipped; after a change it is made.
    assert app.backup.backup_on_close() is None
    app.groups.create(Group(name="Changed after backup (fictional)", type="street_group"))
    assert app.backup.backup_on_close() is not None
    assert len(app.backup.list()) == 2


def test_restore_brings_back_the_backup_and_keeps_the_current_file_aside(demo_app):
    app = demo_app
    info = app.backup.backup_now()
    app.groups.create(Group(name="Made after the backup (fictional)", type="street_group"))
    before = {g.name for g in app.groups.list()}
    aside = app.backup.restore(info.path)
    after = {g.name for g in app.groups.list()}
    assert before - after == {"Made after the backup (fictional)"}
    assert aside.exists() and aside.name.startswith("demo.ddw.before-restore-")
    assert app.maintenance.check().ok
    # The file kept aside still holds the newer state.
    with Workspace.open(aside, PASSPHRASE, read_only=True, migrate=False) as old:
        with old.engine.connect() as c:
            assert c.exec_driver_sql(
                "SELECT count(*) FROM group_record WHERE name LIKE 'Made after%'").scalar() == 1
    with pytest.raises(PermissionDenied):
        app.as_user("demo.analyst").backup.restore(info.path)


def test_a_damaged_backup_is_refused_and_nothing_changes(demo_app, tmp_path):
    app = demo_app
    info = app.backup.backup_now()
    data = bytearray(info.path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 16] = bytes(b ^ 0xFF for b in data[middle:middle + 16])
    info.path.write_bytes(bytes(data))
    assert app.backup.verify(info.path)
    original = app.workspace.path.read_bytes()
    with pytest.raises(BackupDamaged, match="failed its checks"):
        app.backup.restore(info.path)
    assert not list(app.workspace.path.parent.glob("*.before-restore-*"))
    assert app.workspace.path.read_bytes() == original


def _infos(stamps):
    return [BackupInfo(Path(f"w-{t:%Y%m%d-%H%M%S}.ddw"), t, 1) for t in stamps]


def test_rotation_keeps_last_ten_and_one_a_week_for_eight_weeks():
    now = datetime(2026, 11, 26, 12, 0)
    # Three backups a day for 70 days.
    stamps = [now - timedelta(hours=8 * i) for i in range(210)]
    infos = _infos(stamps)
    removed = to_prune(infos, keep_last=10, keep_weeks=8, now=now)
    kept = sorted(set(b.path for b in infos) - set(b.path for b in removed))
    kept_infos = [b for b in infos if b.path in kept]
    newest10 = sorted(infos, key=lambda b: b.made_at, reverse=True)[:10]
    assert all(b.path in kept for b in newest10)
    weeks = {(now - b.made_at).days // 7 for b in kept_infos}
    assert weeks == set(range(8))
    assert len(kept_infos) == 10 + 7          # week 0 is already among the newest ten
    assert all((now - b.made_at).days < 56 for b in kept_infos)


def test_real_rotation_removes_old_files(demo_app):
    app = demo_app
    folder = app.backup.folder()
    folder.mkdir()
    first = app.backup.backup_now()
    for i in range(12):
        copy = folder / f"demo-{datetime(2026, 1, 1) + timedelta(days=i):%Y%m%d-%H%M%S}.ddw"
        copy.write_bytes(first.path.read_bytes())
    (folder / "someone-else.txt").write_text("not a backup")
    app.backup.prune()
    names = [b.name for b in app.backup.list()]
    assert len(names) == 10 and names[0] == first.name
    assert (folder / "someone-else.txt").exists()


def test_backup_folder_setting(demo_app, tmp_path):
    target = tmp_path / "elsewhere"
    demo_app.settings.set("backup_folder", str(target))
    info = demo_app.backup.backup_now()
    assert info.path.parent == target
    assert demo_app.backup.backup_if_due() is None     # the newest is fresh


def test_backup_uses_sqlcipher(demo_app):
    info = demo_app.backup.backup_now()
    conn = sqlcipher3.connect(str(info.path))
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()


def test_command_line_backup_list_and_restore(demo_path, capsys, monkeypatch):
    from deterrence_desktop.cli import main

    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    assert main(["backup", str(demo_path)]) == 0
    out = capsys.readouterr().out
    assert "Backed up and verified" in out
    assert main(["backups", str(demo_path)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[0]
    assert line.endswith("good")
    made = line.split()[-2]
    backup_file = demo_path.with_name("demo-backups") / made
    assert main(["restore", str(demo_path), str(backup_file)]) == 2      # needs --yes
    assert "--yes" in capsys.readouterr().err
    assert main(["restore", str(demo_path), str(backup_file), "--yes"]) == 0
    assert "kept as demo.ddw.before-restore-" in capsys.readouterr().out
    assert main(["check", str(demo_path)]) == 0


def test_two_backups_in_one_second_list_the_second_first(tmp_path):
    """The second backup of a second is named "-2", which sorts before the first by name;
    the list (and "the newest backup" everywhere) goes by when and the number."""
    from deterrence_desktop.services.backup import list_backups
    for name in ("demo-20261126-090000.ddw", "demo-20261126-090000-2.ddw",
                 "demo-20261126-085959.ddw", "demo-20261126-090000-10.ddw"):
        (tmp_path / name).write_bytes(b"x")
    assert [b.name for b in list_backups(tmp_path, "demo")] == [
        "demo-20261126-090000-10.ddw", "demo-20261126-090000-2.ddw",
        "demo-20261126-090000.ddw", "demo-20261126-085959.ddw"]


def test_a_killed_anchors_index_write_is_cleaned_with_the_backups(tmp_path):
    """A kill while the backups folder's anchors index was being rewritten leaves a hidden
    part named with the writer's host and pid: cleaned once that process is gone, kept
    while it runs."""
    import os
    import subprocess
    import sys

    from deterrence_desktop.services.backup import clean_leftovers, default_folder
    from deterrence_desktop.store.leftovers import host_tag
    workspace = tmp_path / "demo.ddw"
    workspace.write_bytes(b"x")
    folder = default_folder(workspace)
    folder.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dead = folder / f".demo-anchors.txt.{host_tag()}-{gone}.k2x9_q1a.part"
    live = folder / f".demo-anchors.txt.{host_tag()}-{os.getpid()}.a8b7c6d5.part"
    for p in (dead, live):
        p.write_text("partial")
    removed = clean_leftovers(workspace, folder)
    assert dead in removed and not dead.exists()
    assert live.exists()
