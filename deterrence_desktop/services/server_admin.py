"""Setting up and looking after a server workspace (as the server's administrator).

``init`` makes the schema (the same Alembic history as a file), the group roles with
their grants and row-level security (migration 0007), the partnership and its first
coordinator (a server login of their own). ``add_user`` gives a user a login in one
of the three group roles, keeping the workspace's user row and the server's group
membership the same. ``upgrade`` runs the migrations a newer app brings.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

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


def _admin_workspace(address: ServerAddress, admin_password: str | None) -> ServerWorkspace:
    """The workspace as its administrator, without the checks a user's sign-in makes."""
    return ServerWorkspace(address, admin_password)


def _migrate(address: ServerAddress, admin_password: str | None) -> str:
    from sqlalchemy.exc import DBAPIError
    engine = admin_engine(address, admin_password)
    try:
        migrations.upgrade(engine)
        return migrations.current(engine) or ""
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) is None or str(
                getattr(exc.orig, "sqlstate", "")).startswith(("08", "28")):
            raise refusal(exc, address) from None
        raise
    finally:
        engine.dispose()


def init(address: ServerAddress, admin_password: str | None, partnership: Partnership,
         coordinator: User, coordinator_password: str, *, demo: bool = False,
         today=None) -> InitResult:
    """Set up an empty database as a workspace; refused when it already holds one."""
    from .app import WorkspaceServices

    partnership.validate()
    coordinator.role = Role.COORDINATOR
    coordinator.validate()
    _check_password(coordinator.username, coordinator_password)
    ws = _admin_workspace(address, admin_password)
    try:
        with ws.engine.connect() as conn:
            from .. store.server import _schema_state
            current, _head = _schema_state(conn)
        if current is not None:
            raise ServerRefused(f"The database {address.database} already holds a workspace: "
                                "nothing was changed")
    except ServerRefused:
        ws.close()
        raise
    except Exception as exc:
        ws.close()
        from sqlalchemy.exc import DBAPIError
        if isinstance(exc, DBAPIError):
            raise refusal(exc, address) from None
        raise
    try:
        schema = _migrate(address, admin_password)
        admin = Actor(address.user, ADMIN, Role.COORDINATOR)
        app = WorkspaceServices(ws, admin, today=today)
        with ws.session() as s:
            if s.get(WorkspaceMeta, "workspace_id") is None:
                stamp_identity(s)
        app.partnership.save(partnership)
        app.users.create(coordinator)
        _grant_login(ws, coordinator.username, coordinator_password, Role.COORDINATOR)
        if demo:
            from . import demo as demo_data
            demo_data.generate(app, today=today)
    finally:
        ws.close()
    return InitResult(schema, coordinator.username, demo)


def add_user(address: ServerAddress, admin_password: str | None, user: User,
             password: str) -> User:
    """Give ``user`` a server login in their role's group; adds their workspace user row
    if it is not there (a file moved up with ``server upload`` already has them)."""
    from .app import WorkspaceServices

    user.validate()
    _check_password(user.username, password)
    ws = _admin_workspace(address, admin_password)
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
    from ..store.server_roles import create_login
    with ws.engine.begin() as conn:
        create_login(conn, username, password, role)


def _check_password(username: str, password: str) -> None:
    from ..security import passwords
    try:
        passwords.check_new_password(password, username=username)
    except passwords.PasswordRule as exc:
        raise ValidationError("password", str(exc)) from None
