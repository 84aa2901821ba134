"""Moving a workspace between an encrypted file and a PostgreSQL server, verified.

Upload (file -> server) and download (server -> new file) copy every table of the
schema (``Base.metadata.sorted_tables``, parents before children; ``alembic_version``
is each side's own) in batches inside ONE transaction on the receiving side, keeping
every id, so nothing is half-done: a failure rolls the server back, or removes the
half-written file. The audit entries travel as they are: each hash covers the entry's
own fields and the previous hash, so the chain verifies on the other side unchanged.

Each side is read in one snapshot (a SQLite read transaction; a REPEATABLE READ
transaction on the server), so what is copied and what it is compared with afterwards
is the same moment even while others keep working.

Verification, before the receiving transaction commits: row counts per table equal on
both sides, the audit chain verifies on the receiving side, and its head is the
source's. The caller prints :meth:`TransferReport.table`.

The move itself is then the next entry of the same chain, written by the server's own
function (its user the session's login): an upload is a collection, recorded in the
upload's transaction; a download is a disclosure, recorded once the file is in place,
and the file is removed if the server cannot record it.

No Qt here; the CLI (``server upload`` / ``server download``) connects and reports.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Table, func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..domain.enums import AuditOperation, Role
from ..store import migrations
from ..store.errors import (
    NewerWorkspace, StorageError, WorkspaceError, WorkspaceExists,
)
from ..store.leftovers import owner_tag
from ..store.tables import Base, UserRow
from ..store.workspace import Workspace, check_new_passphrase, storage_error
from . import audit
from .backup import _fsync_dir

BATCH = 1000

Progress = Callable[[str], None]


class TransferFailed(WorkspaceError):
    """The upload or download did not complete; nothing was changed on the receiving side."""


class ServerNotEmpty(TransferFailed):
    """The server's database already holds Deterrence Desktop data (or another app's tables)."""


class NotAllowed(TransferFailed):
    """This login may not read or write the whole workspace."""


class VerificationFailed(TransferFailed):
    """The copy differs from its source; it was rolled back (server) or removed (file)."""


@dataclass
class TransferReport:
    # (table, rows in the source, rows in the copy), in copy order
    counts: list[tuple[str, int, int]] = field(default_factory=list)
    head: tuple[int, str] = (0, audit.GENESIS)      # the audit chain's head on both sides
    usernames: list[str] = field(default_factory=list)   # the workspace's users

    @property
    def rows(self) -> int:
        return sum(c for _, _, c in self.counts)

    def table(self) -> str:
        """The counts as a plain text table (no personal data: names of tables, numbers)."""
        width = max([len("table"), *(len(t) for t, _, _ in self.counts)])
        lines = [f"{'table':<{width}}  {'source':>8}  {'copy':>8}"]
        lines += [f"{t:<{width}}  {s:>8}  {c:>8}" for t, s, c in self.counts]
        lines.append(f"{'total':<{width}}  {sum(s for _, s, _ in self.counts):>8}  {self.rows:>8}")
        return "\n".join(lines)


def tables() -> list[Table]:
    """Every table of the workspace, parents before children (foreign-key order)."""
    return [t for t in Base.metadata.sorted_tables if t.name != "alembic_version"]


# -- the copy -------------------------------------------------------------------------
def copy_tables(source: Connection, target: Connection, progress: Progress | None = None,
                batch: int = BATCH) -> dict[str, int]:
    """Copy every row of every table from ``source`` to ``target`` (both inside their
    transactions), ids kept, ``batch`` rows per insert. Returns rows copied per table."""
    copied: dict[str, int] = {}
    for table in tables():
        order = list(table.primary_key.columns) or list(table.columns)
        result = source.execution_options(yield_per=batch).execute(select(table).order_by(*order))
        n = 0
        try:
            for part in result.partitions(batch):
                target.execute(table.insert(), [dict(row._mapping) for row in part])
                n += len(part)
        except DBAPIError as exc:
            raise explain(exc, table.name) from None
        finally:
            result.close()
        copied[table.name] = n
        if progress is not None:
            progress(f"  {table.name}: {n} rows")
    return copied


def explain(exc: DBAPIError, table: str | None = None) -> WorkspaceError:
    """One clear sentence for a failed statement of the transfer, naming the table but never
    a value (a server's message may quote the row). Nothing was kept either way."""
    what = f"the copy of table {table}" if table else "the transfer"
    orig = getattr(exc, "orig", None)
    if not hasattr(orig, "sqlstate"):               # the file's side (SQLite)
        return storage_error(exc) or TransferFailed(
            f"The workspace file refused {what}: nothing was kept")
    state = orig.sqlstate or ""
    if exc.connection_invalidated or state[:2] in ("", "08", "57"):
        return TransferFailed("The connection to the server was lost during the transfer: "
                              "nothing was kept. Try again.")
    if state == "42501":
        return NotAllowed("The server refused: this login may not do that (permission "
                          "denied). Nothing was kept.")
    if state[:2] == "53":
        return StorageError("The server's disk is full or it is out of resources: nothing "
                            "was kept. Ask its administrator to free some space.")
    return TransferFailed(f"The server refused {what} ({state}): nothing was kept")


def count_rows(conn: Connection) -> dict[str, int]:
    return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables()}


def chain_report(conn: Connection) -> audit.ChainReport:
    """The audit chain as found through ``conn`` (either backend)."""
    rows = conn.exec_driver_sql(
        f"SELECT {', '.join(audit.ENTRY_COLUMNS)} FROM audit_entry ORDER BY seq")
    head = conn.execute(text("SELECT value FROM workspace_meta WHERE key = :k"),
                        {"k": audit.HEAD_KEY}).scalar()
    return audit.verify_rows(rows, head)


def _head(conn: Connection) -> tuple[int, str]:
    row = conn.exec_driver_sql(
        "SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1").first()
    return (int(row[0]), str(row[1])) if row else (0, audit.GENESIS)


def verify(source_counts: dict[str, int], target: Connection,
           source_head: tuple[int, str]) -> TransferReport:
    """Counts per table equal, the chain intact on ``target`` and ending at the source's
    head; raises :class:`VerificationFailed` naming every difference."""
    target_counts = count_rows(target)
    report = TransferReport(counts=[(t, source_counts.get(t, 0), target_counts[t])
                                    for t in target_counts])
    problems = [f"table {t} has {c} rows in the copy but {s} in the source"
                for t, s, c in report.counts if s != c]
    chain = chain_report(target)
    problems += [f"audit chain: {p}" for p in chain.problems]
    report.head = _head(target)
    if report.head != source_head:
        problems.append(f"the copy's audit trail ends at entry {report.head[0]}, the source's "
                        f"at entry {source_head[0]}")
    if problems:
        raise VerificationFailed("The copy did not verify, so nothing was kept: "
                                 + "; ".join(problems))
    return report


def usernames(conn: Connection) -> list[str]:
    return list(conn.scalars(select(UserRow.username).order_by(UserRow.username)))


# -- upload: file -> server ----------------------------------------------------------
def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def existing_data(conn: Connection) -> tuple[str | None, dict[str, int], list[str]]:
    """What the server's database already holds in its ``public`` schema: its schema
    version (None: no ``alembic_version``), rows in our tables that have any, and tables
    that are not ours."""
    names = set(inspect(conn).get_table_names(schema="public"))
    version = None
    if "alembic_version" in names:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    ours = {t.name: t for t in tables()}
    rows = {}
    for name in sorted(names & set(ours)):
        n = conn.scalar(select(func.count()).select_from(ours[name]))
        if n:
            rows[name] = int(n)
    foreign = sorted(names - set(ours) - {"alembic_version"})
    return version, rows, foreign


def require_empty(conn: Connection) -> None:
    """Refuse a database holding Deterrence Desktop data, or another application's tables
    (a database made by our migrations and still empty is fine)."""
    version, rows, foreign = existing_data(conn)
    if version is not None and version not in _known_revisions():
        raise NewerWorkspace(
            f"The server's database has schema {version}, newer than this version of "
            "Deterrence Desktop: install the newer version. Nothing was uploaded.")
    if rows:
        total = sum(rows.values())
        raise ServerNotEmpty(
            f"The server's database already holds Deterrence Desktop data ({total} rows in "
            f"{len(rows)} tables, e.g. {', '.join(sorted(rows)[:3])}): upload only into a new, "
            "empty database (the administrator makes one with createdb). Nothing was uploaded.")
    if foreign and version is None:
        raise ServerNotEmpty(
            f"The server's database holds tables of another application ({len(foreign)}, e.g. "
            f"{', '.join(foreign[:3])}): upload only into a new, empty database. Nothing was "
            "uploaded.")


def _known_revisions() -> set[str]:
    return {rev.revision for rev in migrations.script().walk_revisions()}


def reset_sequences(conn: Connection) -> None:
    """After rows were inserted with their ids: each serial column's sequence continues
    after the largest id (PostgreSQL; SQLite needs nothing)."""
    for table in tables():
        for column in table.primary_key.columns:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": _quote(conn, table.name), "c": column.name}).scalar()
            if not seq:
                continue
            conn.execute(text(
                f"SELECT setval(:seq, COALESCE((SELECT max({_quote(conn, column.name)}) FROM "
                f"{_quote(conn, table.name)}), 0) + 1, false)"), {"seq": seq})


def upload(workspace: Workspace, server: Engine, progress: Progress | None = None,
           batch: int = BATCH) -> TransferReport:
    """Copy the open file ``workspace`` into the empty database behind ``server`` (an
    administrator's engine: the tables will be its own), migrating it to the head first,
    all in one server transaction. Returns the verified counts."""
    say = progress or (lambda _line: None)
    try:
        with server.connect() as conn:
            with conn.begin():
                # One upload at a time into one database; the second finds the first's rows.
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('deterrence upload'))"))
                require_empty(conn)
                say("Creating the schema on the server")
                migrations.upgrade_on(conn)
                require_empty(conn)         # the migrations made tables, no rows
                with workspace.session() as s:          # one read snapshot of the file
                    source = s.connection()
                    source_counts = count_rows(source)
                    source_head = _head(source)
                    say(f"Copying {sum(source_counts.values())} rows")
                    copy_tables(source, conn, say, batch)
                    names = usernames(source)
                reset_sequences(conn)
                say("Verifying")
                report = verify(source_counts, conn, source_head)
                # The move itself, the next entry of the same chain (written by the server).
                record(conn, AuditOperation.COLLECTION,
                       f"uploaded from a workspace file: {report.rows} rows in "
                       f"{len(report.counts)} tables, audit trail to entry {report.head[0]}")
            report.usernames = names
            return report
    except DBAPIError as exc:
        raise explain(exc) from None


def record(conn: Connection, operation: AuditOperation, detail: str, recipient: str = "") -> None:
    """One audit entry for the move, written by the server's own function (its user is the
    session's login, its time the server's): the chain goes on from the copied head."""
    with Session(bind=conn) as session:
        audit.append(session, "", operation, "workspace", "", detail, recipient)


def logins_missing(server: Engine, names: Iterable[str]) -> list[str]:
    """The usernames that cannot sign in to this database yet (``server add-user`` gives
    them a login and the right to connect). Logins are the whole server's: one made for
    another partnership's database does not reach this one."""
    names = list(names)
    if not names:
        return []
    with server.connect() as conn:
        have = set(conn.scalars(text(
            "SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolname = ANY(:names) "
            "AND has_database_privilege(oid, current_database(), 'CONNECT')"),
            {"names": names}))
    return [n for n in names if n not in have]


# -- download: server -> new file ----------------------------------------------------
def require_whole_view(conn: Connection) -> None:
    """Only the administrator (the tables' owner) or a coordinator reads everything; for
    anyone else row-level security and the analyst views would hand over a part."""
    from ..store.server_roles import role_of

    owner = conn.exec_driver_sql(
        "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename = 'audit_entry'").scalar()
    if owner is None:
        raise TransferFailed("The server's database holds no Deterrence Desktop workspace: "
                             "nothing to download.")
    is_owner = conn.execute(text("SELECT pg_has_role(session_user, :owner, 'MEMBER')"),
                            {"owner": owner}).scalar()
    if not is_owner and role_of(conn) != Role.COORDINATOR:
        raise NotAllowed("Only the server's administrator or a coordinator can download the "
                         "whole workspace: sign in as one of them. Nothing was written.")


def _require_same_schema(conn: Connection) -> None:
    version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    head = migrations.head()
    if version == head:
        return
    if version in _known_revisions():
        raise TransferFailed(
            f"The server's workspace has schema {version}, older than this app's ({head}): "
            "the administrator upgrades it first. Nothing was written.")
    raise NewerWorkspace(
        f"The server's workspace has schema {version}, newer than this version of "
        "Deterrence Desktop: install the newer version. Nothing was written.")


def _part_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{owner_tag()}.part")


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _place(part: Path, target: Path) -> None:
    """Put the finished file at ``target`` without replacing anything that appeared there
    meanwhile (a hard link fails if the name is taken), then drop the temporary name."""
    try:
        os.link(part, target)
    except FileExistsError:
        raise WorkspaceExists(f"{target.name} appeared while downloading: nothing was "
                              "written. Choose another file name.") from None
    except OSError:         # a file system without hard links
        if target.exists():
            raise WorkspaceExists(f"{target.name} already exists: choose another file name") \
                from None
        os.replace(part, target)
    else:
        part.unlink()
    _fsync_dir(target.parent)


def download(server: Engine, target: Path | str, passphrase: str,
             progress: Progress | None = None, batch: int = BATCH) -> TransferReport:
    """Copy the server's workspace into a NEW encrypted file at ``target`` (mode 0600,
    written under a temporary name and renamed when verified). Returns the counts."""
    say = progress or (lambda _line: None)
    target = Path(target)
    if target.exists():
        raise WorkspaceExists(f"{target.name} already exists: choose another file name. "
                              "Nothing was downloaded.")
    if not target.parent.is_dir():
        raise WorkspaceError(f"The folder {target.parent} does not exist")
    check_new_passphrase(passphrase)
    part = _part_name(target)
    ws: Workspace | None = None
    placed = False
    try:
        with server.connect() as conn:
            # One consistent moment of the server, whoever keeps working meanwhile.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                require_whole_view(conn)
                _require_same_schema(conn)
                source_counts = count_rows(conn)
                source_head = _head(conn)
                say(f"Creating {target.name}")
                _remove(part)
                ws = Workspace.create(part, passphrase)
                for p in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
                    with contextlib.suppress(FileNotFoundError):
                        os.chmod(p, 0o600)      # before any personal data is written
                say(f"Copying {sum(source_counts.values())} rows")
                with ws.session() as s:
                    dest = s.connection()
                    dest.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                    dest.exec_driver_sql("DELETE FROM workspace_meta")  # the server's own come
                    copy_tables(conn, dest, say, batch)
                    say("Verifying")
                    report = verify(source_counts, dest, source_head)
                    report.usernames = usernames(dest)
        ws.checkpoint()
        ws.close()
        ws = None
        _place(part, target)
        placed = True
        # A disclosure of the whole workspace: the file is kept only once it is recorded.
        with server.begin() as conn:
            record(conn, AuditOperation.DISCLOSURE,
                   f"downloaded to an encrypted workspace file: {report.rows} rows in "
                   f"{len(report.counts)} tables, audit trail to entry {report.head[0]}",
                   recipient="encrypted workspace file")
    except BaseException as exc:
        if placed:
            _remove(target)
        if ws is not None:
            ws.close()
        _remove(part)
        clear = explain(exc) if isinstance(exc, DBAPIError) else exc
        if isinstance(clear, StorageError):
            raise StorageError(f"{clear} The download was not written; nothing was left "
                               "behind.") from None
        if clear is not exc:
            raise clear from None
        if isinstance(exc, SQLAlchemyError):
            raise TransferFailed("The download failed: nothing was written.") from None
        raise
    return report
