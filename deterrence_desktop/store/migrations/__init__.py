"""Schema versions of the workspace, applied with Alembic.

Alembic runs against the workspace's own engine (handed over in
``config.attributes``), so migrations use the keyed SQLCipher connection.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from ..errors import NewerWorkspace

HERE = Path(__file__).parent


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    return cfg


def script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    return script().get_current_head()


@dataclass
class State:
    current: str | None
    head: str

    @property
    def pending(self) -> bool:
        return self.current != self.head


def state(dbapi_conn) -> State:
    """Where a raw, keyed connection's schema stands; NewerWorkspace if ahead of this app."""
    has_table = dbapi_conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
    current = None
    if has_table:
        row = dbapi_conn.execute("SELECT version_num FROM alembic_version").fetchone()
        current = row[0] if row else None
    return _checked(current)


def state_on(connection) -> State:
    """:func:`state` on a SQLAlchemy connection (a server workspace)."""
    return _checked(MigrationContext.configure(connection).get_current_revision())


def _checked(current: str | None) -> State:
    """The state at revision ``current``; NewerWorkspace if this app does not know it."""
    scr = script()
    if current is not None and current not in {rev.revision for rev in scr.walk_revisions()}:
        raise NewerWorkspace(
            "This workspace was saved by a newer version of Deterrence Desktop "
            f"(schema {current}); install the newer version to open it")
    return State(current=current, head=scr.get_current_head())


def upgrade(engine: Engine, target: str = "head") -> None:
    with engine.begin() as connection:
        upgrade_on(connection, target)


def upgrade_on(connection, target: str = "head") -> None:
    """Run the migrations inside the caller's open transaction (DDL is transactional on
    both backends): a server upload migrates and copies in one transaction."""
    cfg = config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, target)


def current(engine: Engine) -> str | None:
    with engine.connect() as c:
        return MigrationContext.configure(c).get_current_revision()
