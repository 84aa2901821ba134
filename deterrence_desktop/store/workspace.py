"""The workspace: one encrypted SQLCipher file, opened through SQLAlchemy.

Every connection is made by :func:`.cipher.connect` (key, proof of key) and
:func:`.cipher.configure` (WAL, synchronous=FULL, foreign keys). Connections
belong to the thread that made them and are closed there (:class:`.pool.ThreadBoundPool`):
a SQLCipher connection never crosses threads, and the GUI does all its database work
on one worker thread so that the 0.2 s key derivation is paid once. Before the first
connection, the journal files beside an existing file are proved to belong to it
(:mod:`.walguard`); what was set aside is in :attr:`Workspace.notices`.
"""
from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import uuid
from datetime import timezone
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlcipher3 import dbapi2

from ..domain import clock
from . import cipher, migrations, walguard
from .errors import (
    DAMAGED_MESSAGE, WorkspaceDamaged,
    NotAWorkspace, StorageError, WeakPassphrase, WorkspaceError, WorkspaceExists,
    WorkspaceReadOnly, WrongPassphrase,
)
from .base import WorkspaceBase
from .pool import ThreadBoundPool
from .tables import WorkspaceMeta

SUFFIX = ".ddw"


MOVED_MESSAGE = (
    "The workspace file was renamed, moved or replaced while it was open: nothing was "
    "saved. Close the workspace and open the file where it is now.")


def _file_id(path: Path) -> tuple[int, int] | None:
    """Which file ``path`` names now (device, inode); None when nothing is there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < cipher.MIN_PASSPHRASE:
        raise WeakPassphrase(
            f"Choose a passphrase of at least {cipher.MIN_PASSPHRASE} characters; "
            "a few unrelated words are easy to remember and hard to guess")
    if passphrase != passphrase.strip():
        raise WeakPassphrase("A passphrase cannot start or end with a space")


def storage_error(exc: BaseException) -> WorkspaceError | None:
    """A clear StorageError for a failed write (disk full, I/O error, read-only), a
    WorkspaceDamaged for a page that fails its check, or None."""
    orig = getattr(exc, "orig", exc)
    code = getattr(orig, "sqlite_errorcode", None)
    msg = str(orig).lower()
    if code in (11, 26) or "malformed" in msg or "not a database" in msg:
        return WorkspaceDamaged(DAMAGED_MESSAGE)
    if code == 13 or "database or disk is full" in msg or getattr(orig, "errno", None) == errno.ENOSPC:
        return StorageError("The disk is full: nothing was saved. Free some space and try again.")
    if code in (10, 8) or "disk i/o error" in msg or "readonly" in msg or "read-only" in msg:
        return StorageError(
            "The workspace file could not be written (it may have been moved, the device "
            "removed, or made read-only): nothing was saved.")
    return None


def stamp_identity(session: Session) -> None:
    """A new workspace's identity (file or server): a random id and when it was made."""
    session.add(WorkspaceMeta(key="workspace_id", value=str(uuid.uuid4())))
    session.add(WorkspaceMeta(key="created_at", value=clock.utcnow().replace(
        tzinfo=timezone.utc).isoformat(timespec="seconds")))


class Workspace(WorkspaceBase):
    """An open workspace. Close it (or use it as a context manager) to drop the key."""

    def __init__(self, path: Path, passphrase: str, *, read_only: bool = False,
                 first_connection: dbapi2.Connection | None = None):
        self.path = Path(path)
        self.read_only = read_only
        self.notices: list[str] = []        # journal files set aside on opening, for the user
        self._passphrase: str | None = passphrase
        self._pending = first_connection
        walguard.hold(self.path)            # its WAL is live now: never vetted from here
        self._file_id = _file_id(self.path)
        self.engine: Engine = create_engine(
            "sqlite://", creator=self._connect, module=dbapi2,
            poolclass=ThreadBoundPool,
            hide_parameters=True)       # SQL errors never carry the values (personal data)
        event.listen(self.engine, "begin", self._begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # -- connections -----------------------------------------------------------
    def _connect(self) -> dbapi2.Connection:
        if self._passphrase is None:
            raise WorkspaceError("The workspace is closed")
        conn, self._pending = self._pending, None
        self._file_id = _file_id(self.path)     # the file this connection opens
        if conn is None:
            # Each connection stays on the thread that made it (the pool is per thread);
            # keep SQLite's thread check on, so a slip fails loudly instead of crashing.
            conn = cipher.connect(self.path, self._passphrase)
        cipher.configure(conn, read_only=self.read_only)
        return conn

    def _begin(self, conn) -> None:
        # A file renamed, moved or replaced while open: the connection still reaches the
        # old one while its WAL and locks are found by the name, so another process
        # opening the name would write beside it unseen. Refuse every transaction.
        if _file_id(self.path) != self._file_id:
            raise StorageError(MOVED_MESSAGE)
        # The driver runs in autocommit (isolation_level=None); we open the
        # transaction ourselves so DDL and DML share it (SQLAlchemy's pysqlite recipe).
        conn.exec_driver_sql("BEGIN")

    # -- lifecycle -------------------------------------------------------------
    @classmethod
    def create(cls, path: Path | str, passphrase: str) -> "Workspace":
        """Create a new, empty workspace at ``path`` with the current schema."""
        cipher.require_sqlcipher()
        path = Path(path)
        check_new_passphrase(passphrase)
        if path.exists():
            raise WorkspaceExists(f"{path.name} already exists: choose another file name")
        if not path.parent.is_dir():
            raise WorkspaceError(f"The folder {path.parent} does not exist")
        if not cipher.is_writable(path.parent, os.W_OK | os.X_OK):
            raise WorkspaceReadOnly(f"Cannot create {path.name} here: the folder is read-only")
        try:
            # The first connection may be handed to whichever thread first uses the
            # engine; after that the pool keeps it on that one thread.
            conn = cipher.connect(path, passphrase, create=True, check_same_thread=False)
            conn.execute(f"PRAGMA application_id = {cipher.APPLICATION_ID}")
        except sqlite3.OperationalError as exc:  # pragma: no cover - depends on the OS
            raise WorkspaceReadOnly(f"Cannot create {path.name}: {exc}") from None
        except dbapi2.OperationalError:
            raise WorkspaceReadOnly(f"Cannot create {path.name} here: the folder is not writable") from None
        ws = cls(path, passphrase, first_connection=conn)
        try:
            migrations.upgrade(ws.engine)
            with ws.session() as s:
                stamp_identity(s)
        except BaseException:
            ws.close()
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                p.unlink(missing_ok=True)
            raise
        return ws

    @classmethod
    def open(cls, path: Path | str, passphrase: str, *, read_only: bool = False,
             migrate: bool = True) -> "Workspace":
        """Open an existing workspace, migrating it (after a backup copy) when it is older."""
        cipher.require_sqlcipher()
        path = Path(path)
        cipher.check_openable(path, writable=not read_only)
        walguard.sweep(path)
        notices: list[str] = []
        conn = cipher.connect(path, passphrase, check_same_thread=False, notices=notices)
        try:
            state = migrations.state(conn)      # raises NewerWorkspace
        except BaseException:
            conn.close()
            raise
        ws = cls(path, passphrase, read_only=read_only, first_connection=conn)
        ws.notices = notices
        if state.pending and migrate:
            if read_only:
                ws.close()
                raise WorkspaceReadOnly(
                    f"{path.name} needs an upgrade to this version; open it writable once first")
            try:
                ws._migrate(state)
            except BaseException:
                ws.close()
                raise
        return ws

    def _migrate(self, state: "migrations.State") -> Path:
        """Back up the file (encrypted, as it is), then run the pending migrations in one
        transaction. A failure rolls back and leaves the original file as it was."""
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        backup = self.path.with_name(f"{self.path.name}.before-{state.current or 'empty'}-{stamp}.bak")
        with self.engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy2(self.path, backup)
        try:
            migrations.upgrade(self.engine)
        except Exception as exc:
            from .errors import MigrationFailed
            raise MigrationFailed(
                f"Upgrading {self.path.name} failed and was rolled back; a copy made before "
                f"the upgrade is at {backup.name}") from exc
        return backup

    def close(self) -> None:
        """Drop every connection and forget the passphrase. Call it on the thread that
        used the workspace: its connection is closed there at once (another thread's is
        closed when that thread gives it back, or released if it sits idle)."""
        if self._pending is not None:
            self._pending.close()
            self._pending = None
        self.engine.dispose()
        if self._passphrase is not None:
            walguard.release(self.path)
        self._passphrase = None

    @property
    def closed(self) -> bool:
        return self._passphrase is None

    # -- work ------------------------------------------------------------------
    CLOSED_MESSAGE = "The workspace is locked or closed"

    def _clear_error(self, exc: DBAPIError) -> WorkspaceError | None:
        if self.read_only and "readonly" in str(getattr(exc, "orig", exc)).lower():
            return WorkspaceReadOnly(
                "This workspace is open read-only (another copy of the app is changing "
                "it): nothing was saved.")
        return storage_error(exc)

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-encrypt the file under a new passphrase (PRAGMA rekey)."""
        check_new_passphrase(new)
        if old != self._passphrase:
            raise WrongPassphrase("The current passphrase is wrong")
        if self._pending is not None:       # keyed with the old passphrase: drop it too
            self._pending.close()
            self._pending = None
        self.engine.dispose()
        conn = cipher.connect(self.path, old)
        try:
            conn.execute(f"PRAGMA rekey = {cipher.quote_key(new)}")
        finally:
            conn.close()
        self._passphrase = new
        self.engine.dispose()

    def raw_cipher_settings(self) -> dict[str, str]:
        with self.engine.connect() as c:
            return cipher.cipher_settings(c.connection.dbapi_connection)

    def checkpoint(self) -> None:
        with self.engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def open_or_explain(path: Path | str, passphrase: str, **kw) -> Workspace:
    """Open a workspace; OperationalErrors from SQLite become clear WorkspaceErrors."""
    try:
        return Workspace.open(path, passphrase, **kw)
    except (DBAPIError, dbapi2.DatabaseError) as exc:
        clear = storage_error(exc)
        if clear:
            raise clear from None
        raise NotAWorkspace(f"{Path(path).name} could not be opened as a workspace") from None
