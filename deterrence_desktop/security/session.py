"""Open a workspace as its one writer (or read-only) and sign a user in: what the unlock
screen runs on the database worker; and whether another process has the file open."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from .writer_lock import open_workspace


def open_signed_in(path: Path | str, passphrase: str, username: str, password: str | None,
                   *, today: date | None = None, read_only: bool = False,
                   take_over: bool = False, check_pages: bool = False):
    """The signed-in ``WorkspaceServices``. Raises ``WorkspaceInUse`` (offer read-only),
    ``WorkspaceDamaged``, ``WrongPassphrase`` or ``SignInFailed``; the workspace and its
    lock are released on any failure."""
    from ..services.app import WorkspaceServices

    ws = open_workspace(path, passphrase, read_only=read_only, take_over=take_over,
                        check_pages=check_pages)
    try:
        base = WorkspaceServices(ws, today=today)
        actor = base.users.sign_in(username, password or None)
        return WorkspaceServices(ws, actor, today)
    except BaseException:
        ws.close()
        raise


# SQLite's unix VFS: while a connection has a WAL-mode database open it holds a shared
# lock on the "dead man switch" byte of the -shm file (UNIX_SHM_DMS, offset 128). Asking
# the kernel who would block an exclusive lock there names another process that has the
# file open, read-only copies of the app included (they hold no writer lock).
_SHM_DMS = 128


def open_elsewhere(path: Path | str) -> int | None:
    """The id of another process on this computer that has the workspace open (0 when one
    does but the system does not say which), or None when none does or this cannot be
    told (Windows, or a file system without POSIX locks).

    Call it before this process opens the file: closing the probe's descriptor drops
    this process's own POSIX locks on the -shm file.
    """
    import struct
    import sys

    try:
        import fcntl
    except ImportError:         # Windows: the writer lock is the only guard
        return None
    if sys.platform.startswith("linux"):
        layout, order = "hhqqi4x", ("type", "whence", "start", "len", "pid")
    elif sys.platform == "darwin":
        layout, order = "qqihh", ("start", "len", "pid", "type", "whence")
    else:
        return None
    shm = Path(f"{path}-shm")
    try:
        fd = os.open(shm, os.O_RDONLY)
    except OSError:
        return None             # no -shm: nobody has it open in WAL mode
    try:
        ask = dict(type=fcntl.F_WRLCK, whence=0, start=_SHM_DMS, len=1, pid=0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(layout, *(ask[k] for k in order)))
        got = dict(zip(order, struct.unpack(layout, answer)))
    except OSError:
        return None
    finally:
        os.close(fd)
    if got["type"] == fcntl.F_UNLCK:
        return None
    return int(got["pid"]) if got["pid"] > 0 else 0
