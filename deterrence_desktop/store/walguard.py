"""Prove that the journal files beside a workspace belong to it before SQLite sees them.

SQLite trusts whatever ``NAME-wal`` (or ``NAME-journal``) lies beside ``NAME``: the
first connection replays it, and the last one to close copies its frames into the
file verbatim, whether or not the key ever decrypted them. A WAL from another
database (or an old WAL left beside a backup copied over the workspace) therefore
turns the workspace into something else, even when the open fails with "wrong
passphrase" (SQLite's "How To Corrupt An SQLite Database File", sections 1 and 2).

So before anything opens an existing workspace, :func:`vet` looks at what lies beside it:

* nothing, or an empty WAL: nothing to prove;
* a WAL that a live connection has open (its ``-shm`` holds SQLite's locks): it is
  that connection's own, and opening beside it is how SQLite shares a file;
* otherwise (a crash, or a file copied in): the main file and the WAL are copied,
  as ciphertext, into a private 0700 folder beside the workspace. The key is proved
  on the copy of the main file alone (a wrong passphrase stops here, having written
  nothing). Then the WAL is put beside the copy and that copy must open, pass
  ``PRAGMA integrity_check`` (every page of the WAL is decrypted and its HMAC
  checked on the way), be a workspace, carry the same workspace id, and have an
  audit trail no shorter than the main file's. A WAL of another database fails
  its HMACs (another key or another salt). A WAL of another byte copy of the same
  file (same key, same id) is caught by the structure check: its pages do not fit
  the main file (tests/unit/test_attack_wal.py). SQLite keeps no link between a WAL
  and its file, so a WAL whose pages happened to fit could not be told apart.
* a rollback journal (``-journal``) beside a workspace is never its own: workspaces
  always run in WAL mode.

A file that does not belong is set aside, never deleted: ``NAME-wal.foreign-<time>``,
and the stale ``-shm`` (an index of the set-aside WAL, no content) is removed. The
caller gets a notice to show. The private folder holds only ciphertext copies and is
removed at once; one left by a killed process is removed by :func:`sweep`.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3
from sqlcipher3 import dbapi2

from ..domain import clock
from .errors import StorageError, WorkspaceError
from .leftovers import left_by_dead_process, owner_tag, this_host

CHECK_PREFIX = "walcheck"
_open_here: dict[str, int] = {}          # resolved path -> open Workspaces in this process
_open_lock = threading.Lock()


# -- who has the file open ------------------------------------------------------------------

def _key(path: Path) -> str:
    return str(Path(path).resolve())


def hold(path: Path) -> None:
    """This process has ``path`` open (a Workspace): its WAL is its own."""
    with _open_lock:
        _open_here[_key(path)] = _open_here.get(_key(path), 0) + 1


def release(path: Path) -> None:
    with _open_lock:
        n = _open_here.get(_key(path), 0) - 1
        if n > 0:
            _open_here[_key(path)] = n
        else:
            _open_here.pop(_key(path), None)


def in_use(path: Path, *, open_here: bool = True) -> bool:
    """True while a live connection (this process or another) has the workspace open
    (``open_here=False``: whether any connection still holds its locks, ignoring that a
    Workspace of this process has it open).

    Every SQLite connection to a WAL database holds a lock on its ``-shm`` file. On
    Linux the kernel lists them in /proc/locks, read without opening the file (closing
    any descriptor of a file drops this process's own POSIX locks on it, which would
    pull the floor from under SQLite). Elsewhere the lock byte SQLite uses is probed."""
    if open_here and _key(path) in _open_here:
        return True
    if _writer_elsewhere(path):
        return True
    shm = Path(f"{path}-shm")
    try:
        st = shm.stat()
    except OSError:
        return False
    locks = Path("/proc/locks")
    if sys.platform.startswith("linux") and locks.exists():
        dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        with contextlib.suppress(OSError):
            return any(dev in line.split() for line in locks.read_text().splitlines())
    return _probe_lock(shm)


def _writer_elsewhere(path: Path) -> bool:
    """True when the writer lock beside ``path`` (see security.writer_lock) names another
    computer: on a shared drive its connection's locks cannot be seen from here, so its
    WAL may be live and is never touched."""
    try:
        holder = json.loads(Path(f"{path}.lock").read_text(encoding="utf-8"))
        return str(holder["host"]) != this_host()
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _probe_lock(shm: Path) -> bool:
    """Whether another process holds SQLite's "DMS" byte (128) of the -shm file."""
    try:
        fd = os.open(shm, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except OSError:
        return True          # cannot tell: do not touch a file that may be live
    try:
        if os.name == "nt":
            import msvcrt
            os.lseek(fd, 128, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                return True
            os.lseek(fd, 128, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            return False
        import fcntl
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 128)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 128)
        return False
    finally:
        os.close(fd)


# -- the private folder ---------------------------------------------------------------------

def private_folders(path: Path) -> Iterator[Path]:
    """New 0700 folders for ciphertext copies, in the order to try them: beside the
    workspace (same disk), then $XDG_RUNTIME_DIR, then the system temp folder. Their
    names carry our host and pid, so :func:`sweep` knows one a killed process left."""
    prefix = f".{path.name}.{CHECK_PREFIX}-{owner_tag()}-"
    for where in (path.parent, os.environ.get("XDG_RUNTIME_DIR"), None):
        if where is not None and not Path(where).is_dir():
            continue
        try:
            yield Path(tempfile.mkdtemp(prefix=prefix, dir=where))
        except OSError:
            continue


def sweep(path: Path) -> list[Path]:
    """Remove check folders left beside ``path`` by killed processes of this host."""
    removed = []
    prefix = f".{path.name}.{CHECK_PREFIX}-"
    with contextlib.suppress(OSError):
        for p in path.parent.iterdir():
            if p.name.startswith(prefix) and p.is_dir():
                tag = "-".join(p.name[len(prefix):].split("-")[:2])
                if left_by_dead_process(tag):
                    shutil.rmtree(p, ignore_errors=True)
                    removed.append(p)
    return removed


# -- proving a WAL ---------------------------------------------------------------------------

def _identity(conn: dbapi2.Connection) -> tuple[str, int]:
    """(workspace id, audit sequence) of an open, keyed connection."""
    rows = dict(conn.execute(
        "SELECT key, value FROM workspace_meta WHERE key IN ('workspace_id', 'audit_head')"))
    head = rows.get("audit_head") or "0:"
    try:
        seq = int(head.split(":", 1)[0])
    except ValueError:
        seq = 0
    return rows.get("workspace_id") or "", seq


def _why_not_ours(copy: Path, passphrase: str, alone: tuple[str, int] | None) -> str | None:
    """Open ``copy`` with the WAL beside it; None if it proves to belong, else why not."""
    from . import cipher

    try:
        conn = sqlcipher3.connect(str(copy), isolation_level=None)
    except dbapi2.Error:
        return "it could not be read"
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {cipher.quote_key(passphrase)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if conn.execute("PRAGMA application_id").fetchone()[0] != cipher.APPLICATION_ID:
            return "with it the file is no longer a workspace"
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if rows != ["ok"]:
            return "with it the file fails its integrity check"
        ident, seq = _identity(conn)
        if alone is None:
            return None
        if ident != alone[0]:
            return "it belongs to another workspace"
        if seq < alone[1]:
            return "it is older than the file"
        return None
    except dbapi2.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == 26 or "not a database" in str(exc):
            return "its pages do not decrypt with this file's key"
        return "with it the file is damaged"
    finally:
        conn.close()


def _set_aside(p: Path, stamp: str) -> Path:
    aside = p.with_name(f"{p.name}.foreign-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = p.with_name(f"{p.name}.foreign-{stamp}-{n}")
    os.replace(p, aside)
    return aside


def vet(path: Path, passphrase: str) -> list[str]:
    """Prove the key on ``path`` and that the journal files beside it belong to it,
    before any connection opens it; set aside those that do not. Returns notices for
    the user (empty when nothing was set aside). Raises what :func:`.cipher.connect`
    raises when the key does not open the main file; nothing is written then."""
    path = Path(path)
    wal, journal = Path(f"{path}-wal"), Path(f"{path}-journal")
    has_wal = wal.exists() and wal.stat().st_size > 0
    has_journal = journal.exists() and journal.stat().st_size > 0
    if not (has_wal or has_journal) or in_use(path):
        return []
    from . import cipher

    why, proved = None, False
    for folder in private_folders(path):
        try:
            copy = folder / path.name
            try:
                shutil.copyfile(path, copy)
                if has_wal:
                    shutil.copyfile(wal, folder / "wal.copy")
            except OSError:
                continue            # no room here (a full disk): try the next place
            try:
                # The key, proved on the main file alone (a wrong one raises, having
                # written nothing). Then who the file alone says it is.
                conn = cipher.connect(copy, passphrase)
            except dbapi2.DatabaseError:
                conn = None     # page 1 opened, a later one is missing: see below
            alone = None        # None: a checkpoint was cut short, only the pair is whole
            if conn is not None:
                try:
                    alone = _identity(conn)
                except dbapi2.Error:
                    pass
                finally:
                    conn.close()
            if has_wal:
                for extra in ("-wal", "-shm"):
                    Path(f"{copy}{extra}").unlink(missing_ok=True)
                os.replace(folder / "wal.copy", f"{copy}-wal")
                why = _why_not_ours(copy, passphrase, alone)
            proved = True
            break
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if not proved:
        raise StorageError(
            f"There is no room to check the journal beside {path.name} before opening it: "
            "free some space on that disk (or the temporary folder's) and try again.")
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    notices = []
    try:
        if has_journal:
            aside = _set_aside(journal, stamp)
            notices.append(
                f"A rollback journal beside {path.name} was not its own (workspaces keep a "
                f"WAL, never a rollback journal): it was set aside as {aside.name} and not applied.")
        if why is not None:
            aside = _set_aside(wal, stamp)
            Path(f"{path}-shm").unlink(missing_ok=True)
            notices.append(
                f"The write-ahead log beside {path.name} did not belong to it ({why}): it was "
                f"set aside as {aside.name} and not applied. This is expected when the file was "
                "just replaced by a backup or a copy; otherwise restore the newest good backup "
                "if anything is missing.")
    except OSError as exc:
        raise WorkspaceError(
            f"A journal file beside {path.name} does not belong to it and could not be set "
            f"aside ({exc.strerror or 'rename failed'}); move {path.name}-wal away, then "
            "open the workspace again.") from None
    return notices
