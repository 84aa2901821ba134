"""Setting up and looking after a server workspace (as the server's administrator).

``init`` makes the schema (the same Alembic history as a file), the group roles with
their grants and row-level security (migration 0007), the partnership and its first
coordinator (a server login of their own). ``add_user`` gives a user a login in one
of the three group roles, keeping the workspace's user row and the server's group
membership the same. ``upgrade`` runs the migrations a newer app brings.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..domain.enums import Role
from ..domain.errors import ValidationError
from ..domain.model import Partnership, User
from ..store import migrations
from ..store.errors import ServerRefused
from ..store.server import ServerAddress, ServerWorkspace, admin_engine, refusal
from ..store.tables import UserRow, WorkspaceMeta
from ..store.workspace import stamp_identity
from .base import Actor

ADMIN = "server administrator"


@dataclass
class InitResult:
    schema: str
    coordinator: str
    demo: bool


@contextlib.contextmanager
def _administering(address: ServerAddress, admin_password: str | None) -> Iterator[Engine]:
    """The administrator's engine; a connection the server refuses (sign-in, TLS, no such
    database) becomes its clear sentence."""
    engine = admin_engine(address, admin_password)
    try:
        yield engine
    except DBAPIError as exc:
        state = str(getattr(exc.orig, "sqlstate", None) or "")
        if not state or state.startswith(("08", "28", "3D", "42501")):
            raise refusal(exc, address) from None
        raise
    finally:
        engine.dispose()


def _migrate(address: ServerAddress, admin_password: str | None) -> str:
    with _administering(address, admin_password) as engine:
        migrations.upgrade(engine)
        return migrations.current(engine) or ""


def init(address: ServerAddress, admin_password: str | None, partnership: Partnership,
         coordinator: User, coordinator_password: str, *, demo: bool = False,
         today=None) -> InitResult:
    """Set up an empty database as a workspace; refused when it already holds one."""
    from .app import WorkspaceServices

    partnership.validate()
    coordinator.role = Role.COORDINATOR
    coordinator.validate()
    _check_password(coordinator.username, coordinator_password)
    with _administering(address, admin_password) as engine, engine.connect() as conn:
        if migrations.state_on(conn).current is not None:
            raise ServerRefused(f"The database {address.database} already holds a workspace: "
                                "nothing was changed")
    schema = _migrate(address, admin_password)
    with ServerWorkspace(address, admin_password) as ws:
        app = WorkspaceServices(ws, Actor(address.user, ADMIN, Role.COORDINATOR), today=today)
        with ws.session() as s:
            if s.get(WorkspaceMeta, "workspace_id") is None:
                stamp_identity(s)
        app.partnership.save(partnership)
        app.users.create(coordinator)
        _grant_login(ws, coordinator.username, coordinator_password, Role.COORDINATOR)
        if demo:
            from . import demo as demo_data
            demo_data.generate(app, today=today)
    return InitResult(schema, coordinator.username, demo)


def add_user(address: ServerAddress, admin_password: str | None, user: User,
             password: str) -> User:
    """Give ``user`` a server login in their role's group; adds their workspace user row
    if it is not there (a file moved up with ``server upload`` already has them)."""
    from .app import WorkspaceServices

    user.validate()
    _check_password(user.username, password)
    ws = ServerWorkspace(address, admin_password)
    try:
        app = WorkspaceServices(ws, Actor(address.user, ADMIN, Role.COORDINATOR))
        with ws.session() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == user.username))
        if row is None:
            app.users.create(user)
        else:
            user.id = row.id
            app.users.update(user)
        _grant_login(ws, user.username, password, Role(user.role))
        return user
    finally:
        ws.close()


def upgrade(address: ServerAddress, admin_password: str | None) -> str:
    """Run the migrations this version brings (as the administrator, who owns the tables)."""
    return _migrate(address, admin_password)


def _grant_login(ws: ServerWorkspace, username: str, password: str, role: Role) -> None:
    from ..store.server_roles import create_login, set_password
    with ws.engine.begin() as conn:
        create_login(conn, username, None, role)
        set_password(conn, username, password)    # a login that existed keeps none of its old one


def _check_password(username: str, password: str) -> None:
    from ..security import passwords
    try:
        passwords.check_new_password(password, username=username)
    except passwords.PasswordRule as exc:
        raise ValidationError("password", str(exc)) from None
