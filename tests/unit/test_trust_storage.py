"""A write that fails (disk full, device gone read-only) raises StorageError with a clear
message and leaves the workspace exactly as before the transaction."""
from __future__ import annotations

import subprocess

import pytest

from deterrence_desktop.domain.model import Action, Group, Partner, Partnership, Person, User
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.services.backup import BackupFailed
from deterrence_desktop.store.errors import StorageError
from deterrence_desktop.store.workspace import Workspace

from conftest import PASSPHRASE


@pytest.fixture
def tiny_fs(tmp_path):
    """A 1.5 MiB tmpfs (we run as root in CI); skipped where mounting is not allowed."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1536k,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a small filesystem here")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _workspace(folder):
    app = WorkspaceServices.create_workspace(
        folder / "tiny.ddw", PASSPHRASE, Partnership(name="Tiny (fictional)", area="Testshire"),
        User(username="coord", display_name="Casey Testcoord"))
    partner = app.partners.create(Partner(name="Fictional Police", type="police"))
    person = app.people.create(Person(reference="", given_name="Fictional", family_name="Person"))
    return app, partner, person


def _count(app, table):
    with app.workspace.engine.connect() as c:
        return c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def test_disk_full_raises_storage_error_and_keeps_the_workspace_as_it_was(tiny_fs):
    app, partner, person = _workspace(tiny_fs)
    try:
        app.groups.create(Group(name="Before the disk filled (fictional)", type="street_group"))
        before = (_count(app, "action"), _count(app, "audit_entry"), _count(app, "group_record"))
        many = [Action(partner_id=partner.id, kind="support", person_id=person.id,
                       description=f"Fictional action {i} " + "x" * 900) for i in range(4000)]
        with pytest.raises(StorageError, match="disk is full: nothing was saved"):
            app.actions.import_many(many)
        assert (_count(app, "action"), _count(app, "audit_entry"),
                _count(app, "group_record")) == before
        # Still usable for small writes, and whole.
        assert app.maintenance.check().ok
    finally:
        app.close()
    with Workspace.open(tiny_fs / "tiny.ddw", PASSPHRASE) as ws:
        reopened = WorkspaceServices(ws).as_user("coord")
        assert reopened.maintenance.check().ok
        assert _count(reopened, "action") == before[0]


def test_backup_to_a_full_disk_fails_cleanly(tiny_fs, tmp_path):
    app, partner, person = _workspace(tmp_path)
    try:
        filler = tiny_fs / "filler"
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k", "count=22"],
                       capture_output=True)
        app.settings.set("backup_folder", str(tiny_fs / "backups"))
        with pytest.raises(BackupFailed):
            app.backup.backup_now()
        assert not list((tiny_fs / "backups").glob("*"))     # no half file left
        assert app.maintenance.check().ok
    finally:
        app.close()


def test_injected_write_failure_during_backup_leaves_no_part_file(demo_app, monkeypatch):
    import deterrence_desktop.services.backup as backup_mod

    def failing_replace(src, dst):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(backup_mod.os, "replace", failing_replace)
    with pytest.raises(BackupFailed, match="could not be written"):
        demo_app.backup.backup_now()
    monkeypatch.undo()
    folder = demo_app.backup.folder()
    assert not list(folder.glob("*.part")) and demo_app.backup.list() == []


def test_disk_full_injected_without_mounting(demo_app):
    """Where no small filesystem can be mounted (CI without root), SQLite's own page limit
    gives the same SQLITE_FULL in the middle of a transaction."""
    app = demo_app
    with app.workspace.engine.connect() as c:
        pages = c.exec_driver_sql("PRAGMA page_count").scalar()
        c.exec_driver_sql(f"PRAGMA max_page_count = {pages + 5}")
        before = c.exec_driver_sql("SELECT count(*) FROM action").scalar()
        audit_before = c.exec_driver_sql("SELECT count(*) FROM audit_entry").scalar()
    person = app.people.list()[0].id
    partner = app.partners.all()[0].id
    many = [Action(partner_id=partner, kind="support", person_id=person,
                   description="Fictional bulk action " + "y" * 500) for _ in range(3000)]
    with pytest.raises(StorageError, match="disk is full"):
        app.actions.import_many(many)
    with app.workspace.engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM action").scalar() == before
        assert c.exec_driver_sql("SELECT count(*) FROM audit_entry").scalar() == audit_before
        c.exec_driver_sql(f"PRAGMA max_page_count = {2**30}")
    app.groups.create(Group(name="After space was freed (fictional)", type="street_group"))
    assert app.maintenance.check().ok
