"""One writer per workspace: a lock file beside it naming the host, process and start time.

``team.ddw`` is guarded by ``team.ddw.lock``, created atomically (``O_EXCL``), so
a second instance on this computer, or a second computer on a shared drive,
sees who holds it and may open the workspace read-only instead. The lock
holds no personal data: a host name, a process id, a start time and a random
token. A lock whose process is gone (same host, pid no longer running) was
left by a crash and is taken over. A lock from another host cannot be probed;
the user may take it over explicitly when they know that computer is off.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..domain import clock
from ..store.errors import WorkspaceError
from ..store.leftovers import pid_alive, this_host  # noqa: F401 - part of this module's API

LOCK_SUFFIX = ".lock"
_held: dict[str, str] = {}          # lock path -> token, for locks this process holds


class WorkspaceInUse(WorkspaceError):
    """Another instance holds the writer lock. ``holder`` says who (host, pid, since)."""

    def __init__(self, message: str, holder: "LockInfo"):
        super().__init__(message)
        self.holder = holder


@dataclass(frozen=True)
class LockInfo:
    host: str
    pid: int
    started: str            # ISO 8601, UTC
    token: str = ""

    @property
    def since(self) -> str:
        try:
            when = datetime.fromisoformat(self.started).astimezone()
        except ValueError:
            return "an unknown time"
        return f"{when:%d %b %Y %H:%M}"

    def describe(self) -> str:
        where = "on this computer" if self.host == this_host() else f"on the computer {self.host!r}"
        return f"another copy of Deterrence Desktop {where} (process {self.pid}) since {self.since}"


def lock_path(workspace: Path | str) -> Path:
    workspace = Path(workspace)
    return workspace.with_name(workspace.name + LOCK_SUFFIX)


def read_lock(path: Path) -> LockInfo | None:
    """The holder named in the lock file; None if there is none. An unreadable or
    half-written lock file is reported as held by an unknown process on this host
    with pid 0 (so it counts as stale)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockInfo(str(data["host"]), int(data["pid"]), str(data["started"]),
                        str(data.get("token", "")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return LockInfo(this_host(), 0, "")


class WriterLock:
    """The writer lock of one workspace file. ``acquire()`` or raise WorkspaceInUse."""

    def __init__(self, workspace: Path | str):
        self.workspace = Path(workspace)
        self.path = lock_path(self.workspace)
        self.token = ""
        self.took_over: LockInfo | None = None     # the stale holder replaced, if any

    @property
    def held(self) -> bool:
        return bool(self.token) and _held.get(str(self.path)) == self.token

    def holder(self) -> LockInfo | None:
        return read_lock(self.path)

    def is_stale(self, info: LockInfo) -> bool:
        if info.host != this_host():
            return False
        if info.pid == os.getpid():
            # Our own pid: stale unless this process really holds it.
            return _held.get(str(self.path)) != info.token
        return not pid_alive(info.pid)

    def acquire(self, *, take_over: bool = False) -> "WriterLock":
        """Take the lock. A stale lock (crashed process on this host) is taken over;
        a live one raises :class:`WorkspaceInUse` unless ``take_over`` (the user said
        the other computer is no longer using it)."""
        for _ in range(3):
            if self._create():
                return self
            info = read_lock(self.path)
            if info is None:
                continue                 # released meanwhile: try again
            if self.is_stale(info) or take_over:
                self.took_over = info
                self._replace(info)
                return self
            raise WorkspaceInUse(
                f"{self.workspace.name} is open in {info.describe()}. Only one copy can "
                "change it at a time: close it there, or open this workspace read-only.",
                info)
        raise WorkspaceError(f"The lock beside {self.workspace.name} keeps changing; try again")

    def _payload(self) -> bytes:
        self.token = uuid.uuid4().hex
        return json.dumps({
            "host": this_host(), "pid": os.getpid(),
            "started": clock.utcnow().replace(tzinfo=timezone.utc).isoformat(timespec="seconds"),
            "token": self.token, "app": "Deterrence Desktop",
        }).encode("utf-8")

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise WorkspaceError(
                f"Cannot create the lock file beside {self.workspace.name}: "
                f"{exc.strerror or 'the folder is not writable'}") from None
        try:
            os.write(fd, self._payload())
            os.fsync(fd)
        finally:
            os.close(fd)
        _held[str(self.path)] = self.token
        return True

    def _replace(self, stale: LockInfo) -> None:
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(self._payload())
        os.replace(tmp, self.path)
        # Two instances taking over at once: only the one whose token is in the file wins.
        info = read_lock(self.path)
        if info is None or info.token != self.token:
            self.token = ""
            raise WorkspaceInUse(
                f"{self.workspace.name} was just opened by another copy of the app", info or stale)
        _held[str(self.path)] = self.token

    def release(self) -> None:
        """Remove the lock file if it is still ours."""
        if not self.token:
            return
        info = read_lock(self.path)
        if info is not None and info.token == self.token:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        _held.pop(str(self.path), None)
        self.token = ""

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def clear_stale(workspace: Path | str) -> bool:
    """Remove the lock beside ``workspace`` when a process of this computer that is gone
    left it (a kill, a crash); True if one was removed. A lock of another computer, of a
    live process, or one still being written (a few seconds old) is left alone."""
    lock = WriterLock(workspace)
    info = read_lock(lock.path)
    if info is None or not lock.is_stale(info):
        return False
    if info.pid == 0:                   # unreadable: perhaps being written this instant
        with contextlib.suppress(OSError):
            if time.time() - lock.path.stat().st_mtime < 5:
                return False
    again = read_lock(lock.path)
    if again != info:                   # taken over meanwhile: it is someone's now
        return False
    with contextlib.suppress(FileNotFoundError):
        lock.path.unlink()
    for tmp in lock.path.parent.glob(f"{lock.path.name}.*.tmp"):   # a take-over cut short
        pid = tmp.name[len(lock.path.name) + 1:-len(".tmp")]
        if pid.isdigit() and not pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)
    return True


def open_workspace(path: Path | str, passphrase: str, *, read_only: bool = False,
                   take_over: bool = False, check_pages: bool = False, **kw):
    """Open a workspace as its one writer (or read-only, without the lock).

    Raises :class:`WorkspaceInUse` when another live instance holds the lock; the
    caller may then offer read-only. The lock is released when the workspace closes.
    With ``check_pages`` every page's HMAC is checked first (about 0.3 s for a
    60 MB workspace), so a damaged file is refused at once with a clear
    :class:`WorkspaceDamaged` instead of failing on the first damaged page read.
    """
    from ..store.workspace import open_or_explain

    lock = None
    if not read_only:
        lock = WriterLock(path).acquire(take_over=take_over)
    else:
        clear_stale(path)
    try:
        ws = open_or_explain(path, passphrase, read_only=read_only, **kw)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    if lock is not None:
        attach(ws, lock)
    else:
        ws.writer_lock = None
    if check_pages:
        try:
            failures = damaged_pages(ws)
        except BaseException:
            ws.close()
            raise
        if failures:
            ws.close()
            from ..store.errors import DAMAGED_MESSAGE, WorkspaceDamaged
            raise WorkspaceDamaged(DAMAGED_MESSAGE)
    return ws


def damaged_pages(ws) -> list[str]:
    """``PRAGMA cipher_integrity_check`` of the open workspace file: one line per bad page."""
    raw = ws.engine.raw_connection()
    try:
        return [r[0] for r in raw.dbapi_connection.execute("PRAGMA cipher_integrity_check")]
    finally:
        raw.close()


def attach(ws, lock: WriterLock) -> None:
    """Release ``lock`` when ``ws`` closes."""
    close = ws.close

    def close_and_release() -> None:
        try:
            close()
        finally:
            lock.release()

    ws.writer_lock = lock
    ws.close = close_and_release
