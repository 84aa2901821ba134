"""Schema migrations: an older workspace is backed up (encrypted) before it is upgraded,
and a failing upgrade leaves the original file's bytes as they were."""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlcipher3

from deterrence_desktop.store import cipher, migrations
from deterrence_desktop.store.errors import MigrationFailed
from deterrence_desktop.store.workspace import Workspace

from conftest import PASSPHRASE

REVISION = '''"""test revision {rev}"""
from alembic import op
import sqlalchemy as sa

revision = "{rev}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("fictional_extra", sa.Column("id", sa.Integer(), primary_key=True))
    op.execute("INSERT INTO fictional_extra (id) VALUES (1)")
{tail}


def downgrade() -> None:
    op.drop_table("fictional_extra")
'''


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version_of(path: Path, passphrase: str = PASSPHRASE) -> str:
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = {cipher.quote_key(passphrase)}")
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


def tables_of(path: Path) -> set[str]:
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = {cipher.quote_key(PASSPHRASE)}")
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


SHIPPED_HEAD = "0007"        # the newest revision in store/migrations/versions
TEST_REV = "9001"            # a revision only these tests add


@pytest.fixture
def newer_migrations(tmp_path, monkeypatch):
    """Point the app at a copy of its migrations with one more revision, TEST_REV.
    Call with fail=True for a revision that raises half-way through."""
    def make(fail: bool = False) -> Path:
        here = tmp_path / "migrations"
        shutil.copytree(migrations.HERE, here, ignore=shutil.ignore_patterns("__pycache__"))
        tail = '    raise RuntimeError("fictional failure in the middle of an upgrade")' if fail else ""
        (here / "versions" / f"{TEST_REV}_test.py").write_text(
            REVISION.format(rev=TEST_REV, down=migrations.head(), tail=tail))
        monkeypatch.setattr(migrations, "HERE", here)
        assert migrations.head() == TEST_REV
        return here
    return make


def test_head_is_the_newest_shipped_schema():
    assert migrations.head() == SHIPPED_HEAD


def test_new_workspace_is_at_head(demo_path):
    assert version_of(demo_path) == migrations.head()
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        assert migrations.current(ws.engine) == migrations.head()
    assert not list(demo_path.parent.glob("*.bak"))


def test_older_workspace_is_backed_up_then_upgraded(demo_path, newer_migrations):
    before = sha256(demo_path)
    newer_migrations()
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        assert migrations.current(ws.engine) == TEST_REV
        with ws.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM fictional_extra").scalar() == 1
            assert c.exec_driver_sql("SELECT count(*) FROM person").scalar() == 40
    assert version_of(demo_path) == TEST_REV

    backups = list(demo_path.parent.glob(f"demo.ddw.before-{SHIPPED_HEAD}-*.bak"))
    assert len(backups) == 1
    backup = backups[0]
    # The backup is the file as it was: encrypted, same passphrase, old schema.
    assert sha256(backup) == before
    assert not backup.read_bytes().startswith(cipher.SQLITE_HEADER)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(backup).execute("SELECT * FROM sqlite_master").fetchall()
    assert version_of(backup) == SHIPPED_HEAD
    assert "fictional_extra" not in tables_of(backup)


def test_failing_migration_leaves_the_original_untouched(demo_path, newer_migrations):
    before = sha256(demo_path)
    newer_migrations(fail=True)
    with pytest.raises(MigrationFailed, match="failed and was rolled back") as err:
        Workspace.open(demo_path, PASSPHRASE)
    assert f"before-{SHIPPED_HEAD}" in str(err.value)
    assert sha256(demo_path) == before
    assert version_of(demo_path) == SHIPPED_HEAD
    assert "fictional_extra" not in tables_of(demo_path)
    # No journal is left behind either, and the file still opens at its old version.
    assert not Path(f"{demo_path}-wal").exists() or Path(f"{demo_path}-wal").stat().st_size == 0
    assert len(list(demo_path.parent.glob("*.bak"))) == 1


def test_failing_migration_then_the_old_app_still_opens_it(demo_path, newer_migrations, monkeypatch):
    real_here = migrations.HERE
    newer_migrations(fail=True)
    with pytest.raises(MigrationFailed):
        Workspace.open(demo_path, PASSPHRASE)
    monkeypatch.setattr(migrations, "HERE", real_here)
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        with ws.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM person").scalar() == 40


def test_read_only_open_of_an_older_workspace_is_refused(demo_path, newer_migrations):
    from deterrence_desktop.store.errors import WorkspaceReadOnly

    before = sha256(demo_path)
    newer_migrations()
    with pytest.raises(WorkspaceReadOnly, match="needs an upgrade"):
        Workspace.open(demo_path, PASSPHRASE, read_only=True)
    assert sha256(demo_path) == before
    assert not list(demo_path.parent.glob("*.bak"))


def undo_0004(conn) -> None:
    """Take out what migration 0004 adds (outcome events, the day a person left a cohort)."""
    conn.execute("DROP TABLE outcome_event")
    conn.execute("ALTER TABLE cohort_member DROP COLUMN left_on")
    conn.execute("DROP INDEX ix_action_evaluation")
    conn.execute("DROP INDEX ix_communication_evaluation")


def undo_0005(conn) -> None:
    """Take out what migration 0005 adds (custody episodes and continuity plans)."""
    for table in ("plan_action", "continuity_plan", "template_step", "continuity_template",
                  "local_closure", "release_date_change", "custody_episode"):
        conn.execute(f"DROP TABLE {table}")


def test_a_0001_workspace_is_upgraded_to_keep_issued_letters_apart(demo_path):
    """The real 0001 -> 0002 step: a file made before letter issues had their own
    tables gets them, after an encrypted backup, with its records intact."""
    conn = cipher.connect(demo_path, PASSPHRASE)
    conn.execute("BEGIN")
    undo_0005(conn)                                # what later steps add, made again on the way up
    undo_0004(conn)
    for table in ("incident_person", "incident_group", "incident", "person_link",
                  "group_audit"):                  # 0003's tables
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DROP TABLE letter_issue")
    conn.execute("DROP TABLE letter_batch")
    conn.execute("DROP INDEX ix_action_person_status")
    conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.execute("COMMIT")
    conn.close()
    assert version_of(demo_path) == "0001"
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        with ws.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM letter_issue").scalar() == 0
            assert c.exec_driver_sql("SELECT count(*) FROM person").scalar() == 40
            assert c.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE "
                                     "name = 'ix_action_person_status'").scalar() == 1
    assert version_of(demo_path) == SHIPPED_HEAD
    assert len(list(demo_path.parent.glob("demo.ddw.before-0001-*.bak"))) == 1


def test_a_0003_workspace_gains_outcome_events(demo_path):
    """The 0003 -> 0004 step: outcome events get their table and cohort members the day
    they left, after an encrypted backup, with the records intact."""
    conn = cipher.connect(demo_path, PASSPHRASE)
    conn.execute("BEGIN")
    undo_0005(conn)
    undo_0004(conn)
    conn.execute("UPDATE alembic_version SET version_num = '0003'")
    conn.execute("COMMIT")
    conn.close()
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        with ws.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM outcome_event").scalar() == 0
            assert c.exec_driver_sql("SELECT count(*) FROM cohort_member "
                                     "WHERE left_on IS NULL").scalar() > 0
            assert c.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name IN "
                                     "('ix_action_evaluation', 'ix_communication_evaluation')"
                                     ).scalar() == 2
    assert version_of(demo_path) == SHIPPED_HEAD
    assert len(list(demo_path.parent.glob("demo.ddw.before-0003-*.bak"))) == 1


def test_the_migrations_build_exactly_the_tables_the_code_uses(empty_app):
    """A column or index added to store/tables.py without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from deterrence_desktop.store.tables import Base
    with empty_app.workspace.engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
