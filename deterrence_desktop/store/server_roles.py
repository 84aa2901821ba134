"""The server's group roles and users' logins (placeholder until team-security lands)."""
from __future__ import annotations

from sqlalchemy import text

from ..domain.enums import Role
from .server import GROUP_ROLES


def _ident(conn, name: str) -> str:
    return conn.exec_driver_sql("SELECT quote_ident(%(n)s)", {"n": name}).scalar()


def ensure_group_roles(conn) -> None:
    for group in GROUP_ROLES.values():
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": group}).scalar():
            conn.exec_driver_sql(f"CREATE ROLE {_ident(conn, group)} NOLOGIN")


def create_login(conn, username: str, password: str, role: Role) -> None:
    ensure_group_roles(conn)
    who = _ident(conn, username)
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": username}).scalar()
    pw = conn.exec_driver_sql("SELECT quote_literal(%(p)s)", {"p": password}).scalar()
    conn.exec_driver_sql(f"{'ALTER' if exists else 'CREATE'} ROLE {who} LOGIN PASSWORD {pw}")
    conn.exec_driver_sql(f"GRANT {_ident(conn, GROUP_ROLES[Role(role)])} TO {who}")
    db = conn.exec_driver_sql("SELECT quote_ident(current_database())").scalar()
    conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE {db} TO {who}")
    conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {who}")
    conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {who}")
    conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {who}")
