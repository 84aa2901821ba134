"""A connection pool that keeps each SQLCipher connection on the thread that made it,
and has it closed there.

SQLAlchemy's ``SingletonThreadPool`` closes every thread's connection from whichever
thread disposes it; the driver refuses ("SQLite objects created in a thread can only
be used in that same thread"), the refusal is logged, and the connection stays open
until garbage collection, its WAL unmerged and its lock held.

Here a thread's connection is closed:

* by that thread, when it disposes the pool (``Workspace.close()`` on the thread that
  used it, as the GUI's database worker does), or when it gives the connection back
  after the pool was disposed elsewhere (a close while it was still working);
* when the pool is disposed on another thread while the connection sits idle, by
  releasing it: the driver's finaliser closes it (SQLite allows that on any thread
  once the connection is idle; only the driver's ``close()`` method forbids it).
"""
from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.pool import ConnectionPoolEntry, Pool


class ThreadBoundPool(Pool):
    """One connection per thread, never used, nor closed with ``close()``, by another."""

    def __init__(self, creator, **kw: Any):
        super().__init__(creator, **kw)
        self._lock = threading.Lock()
        # thread ident -> (the thread, its connection); a thread's ident may be reused
        # once it ends, so the thread itself is kept to tell the two apart.
        self._records: dict[int, tuple[threading.Thread, ConnectionPoolEntry]] = {}
        self._busy: set[int] = set()          # threads with their connection checked out
        self._closing: set[int] = set()       # threads to close theirs at check-in

    def recreate(self) -> "ThreadBoundPool":
        return self.__class__(self._creator, recycle=self._recycle, echo=self.echo,
                              pre_ping=self._pre_ping, logging_name=self._orig_logging_name,
                              reset_on_return=self._reset_on_return, _dispatch=self.dispatch,
                              dialect=self._dialect)

    def status(self) -> str:
        return f"ThreadBoundPool id:{id(self)} threads: {len(self._records)}"

    def _do_get(self) -> ConnectionPoolEntry:
        me, thread = threading.get_ident(), threading.current_thread()
        with self._lock:
            owner, record = self._records.get(me, (None, None))
        if owner is not thread or record is None or record.dbapi_connection is None:
            if record is not None:
                _release(record)                 # left by an ended thread with this ident
            record = self._create_connection()
            with self._lock:
                self._records[me] = (thread, record)
        with self._lock:
            self._busy.add(me)
            self._closing.discard(me)
        return record

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        me = threading.get_ident()
        with self._lock:
            self._busy.discard(me)
            close = me in self._closing
            self._closing.discard(me)
            if close:
                self._records.pop(me, None)
        if close:
            record.close()

    def dispose(self) -> None:
        me = threading.get_ident()
        with self._lock:
            mine = self._records.pop(me, None)
            others = {i: r for i, r in self._records.items() if i not in self._busy}
            self._closing |= self._records.keys() - others.keys()   # closed when given back
            for ident in others:
                del self._records[ident]
        if mine is not None:
            mine[1].close()
        for _thread, record in others.values():
            _release(record)


def _release(record: ConnectionPoolEntry) -> None:
    """Drop an idle connection of another thread: the driver's finaliser closes it, which
    SQLite allows on any thread (the driver's ``close()`` method alone refuses)."""
    record.dbapi_connection = None
