"""The server's accounts: three group roles, one login per app user (team mode, issue 17).

On a PostgreSQL workspace the app roles are server roles. Each user signs in with a
login of their own (their app username) that is a member of exactly one group role;
migration 0007 grants the groups their rights and the row-level security policies name
them. The tables are owned by the administrator, so every policy applies to every login.

No Qt here, and never a password in a log or a message: the server hashes it (SCRAM).
"""
from __future__ import annotations

from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..domain.enums import Role
from .server import GROUP_ROLES     # {Role.COORDINATOR: "dd_coordinator", ...}

__all__ = ["GROUP_ROLES", "create_login", "ensure_group_roles", "row_hidden", "role_of",
           "set_password"]


def _raw(conn: Connection):
    """The psycopg connection under ``conn`` (so identifiers are quoted by psycopg.sql)."""
    return conn.connection.driver_connection


def _execute(conn: Connection, statement: sql.Composable, params: tuple = ()) -> None:
    raw = _raw(conn)
    with raw.cursor() as cur:
        cur.execute(statement, params)


def _role_exists(conn: Connection, name: str) -> bool:
    with _raw(conn).cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
        return cur.fetchone() is not None


def ensure_group_roles(conn: Connection) -> None:
    """Create the three group roles if missing (NOLOGIN; needs CREATEROLE). They are
    cluster-wide, so a second partnership's database on the same server shares them."""
    for name in GROUP_ROLES.values():
        if not _role_exists(conn, name):
            _execute(conn, sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))


def create_login(conn: Connection, username: str, password: str | None, role: Role) -> None:
    """A login for ``username`` in ``role``'s group, allowed to connect to this database.
    If the login exists, only (re)grants: its password is left as it is. A login moved to
    another role leaves the other groups, so it is a member of one group only."""
    role = Role(role)
    ensure_group_roles(conn)
    login = sql.Identifier(username)
    if not _role_exists(conn, username):
        _execute(conn, sql.SQL("SET password_encryption = 'scram-sha-256'"))
        if password:
            # The password goes as a literal (CREATE ROLE takes no parameters); psycopg
            # quotes it, and the server stores only its SCRAM verifier.
            _execute(conn, sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                login, sql.Literal(password)))
        else:
            _execute(conn, sql.SQL("CREATE ROLE {} LOGIN").format(login))
    for other_role, group in GROUP_ROLES.items():
        if other_role != role and _member_of(conn, username, group):
            _execute(conn, sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), login))
    _execute(conn, sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUP_ROLES[role]), login))
    database = conn.exec_driver_sql("SELECT current_database()").scalar_one()
    _execute(conn, sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
        sql.Identifier(database), login))


def set_password(conn: Connection, username: str, password: str) -> None:
    """A new password for an existing login (the server keeps only its SCRAM verifier)."""
    _execute(conn, sql.SQL("SET password_encryption = 'scram-sha-256'"))
    _execute(conn, sql.SQL("ALTER ROLE {} PASSWORD {}").format(
        sql.Identifier(username), sql.Literal(password)))


def _member_of(conn: Connection, username: str, group: str) -> bool:
    with _raw(conn).cursor() as cur:
        cur.execute("SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                    "JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = %s AND u.rolname = %s",
                    (group, username))
        return cur.fetchone() is not None


def role_of(conn: Connection) -> Role | None:
    """The group role the session's login belongs to, directly or through another role
    (coordinator before analyst before partner officer). None for a login in none of them,
    e.g. the administrator: a superuser passes pg_has_role for every role, so membership is
    read from pg_auth_members instead."""
    found = set(conn.exec_driver_sql(
        "WITH RECURSIVE m(oid) AS (SELECT oid FROM pg_roles WHERE rolname = session_user "
        "UNION SELECT a.roleid FROM pg_auth_members a JOIN m ON a.member = m.oid) "
        "SELECT r.rolname FROM pg_roles r JOIN m ON r.oid = m.oid").scalars())
    for role, group in GROUP_ROLES.items():
        if group in found:
            return role
    return None


def row_hidden(session, table: str, key: object) -> bool:
    """On a server: True when row ``key`` of ``table`` exists but the session's row-level
    security hides it (another partner's action, a person their actions do not concern).
    Says nothing more about the row than that it exists."""
    if session.get_bind().dialect.name != "postgresql" or not isinstance(key, int):
        return False
    return bool(session.execute(
        text("SELECT dd_row_exists(CAST(:t AS regclass), :k)"),
        {"t": f"public.{table}", "k": key}).scalar())
