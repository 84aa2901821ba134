"""Live refresh on a server workspace: LISTEN for the tables others change (no Qt).

The server's statement-level triggers send ``NOTIFY dd_change, '<table name>'`` after
every insert, update or delete of a data table (the payload is the table's name only,
never personal data). :class:`ChangeListener` holds its own autocommit connection on a
daemon thread, gathers the names that arrive within a short window (one save touches
several tables, and a tracker import thousands of rows) and hands them over as one set.

When the connection drops it says so (``on_state(False)``), tries again every second,
and once back (``on_state(True)``) reports ``"*"``: anything may have changed meanwhile.
What a table name means to the pages is the Qt layer's business (ui/team/refresh.py).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHANNEL = "dd_change"
EVERYTHING = "*"            # reported after a reconnect: notifications may have been missed


class ChangeListener:
    """``on_change(set_of_table_names)`` on the listener's thread, debounced.

    ``dsn`` is a libpq conninfo string (``ServerAddress.dsn(password)``: TLS verified, a
    connect timeout, and TCP keepalives so that a server that vanishes without closing the
    connection is noticed in seconds); ``connect`` is ``psycopg.connect`` unless a test
    gives another. ``on_state(connected)`` is called on every change of the connection's
    state (the first successful connection included). ``ignore(pid)`` drops what a server
    session sent (e.g. this app's own writes, see :func:`own_sessions`).
    Callbacks run on the listener's own thread: a GUI marshals them to its own.
    """

    def __init__(self, dsn: str, on_change: Callable[[set[str]], Any],
                 on_state: Callable[[bool], Any] | None = None, *, channel: str = CHANNEL,
                 debounce: float = 0.05, retry: float = 1.0, poll: float = 0.2,
                 ignore: Callable[[int], bool] | None = None,
                 connect: Callable[..., Any] | None = None):
        self._dsn = dsn
        self._ignore = ignore or (lambda _pid: False)
        self._on_change = on_change
        self._on_state = on_state
        self._channel = channel
        self._debounce = debounce
        self._retry = retry
        self._poll = poll
        self._connect = connect
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dd-change-listener", daemon=True)
        self.connected: bool | None = None     # None until the first attempt
        self.reconnects = 0

    # -- life ----------------------------------------------------------------------------
    def start(self) -> "ChangeListener":
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """End the thread; returns within about ``poll`` seconds (``timeout`` at most)."""
        self._stopping.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- the thread --------------------------------------------------------------------------
    def _run(self) -> None:
        missed = False          # True after a failure: what happened meanwhile is unknown
        while not self._stopping.is_set():
            try:
                conn = self._open()
            except Exception as exc:  # noqa: BLE001 - any failure to connect: retry
                log.info("change listener cannot connect: %s", type(exc).__name__)
                self._set_state(False)
                missed = True
                self._stopping.wait(self._retry)
                continue
            try:
                self._set_state(True)
                if missed:
                    self.reconnects += 1
                    self._report({EVERYTHING})
                missed = False
                self._listen(conn)
            except Exception as exc:  # noqa: BLE001 - the connection broke: retry
                if not self._stopping.is_set():
                    log.info("change listener lost its connection: %s", type(exc).__name__)
                    self._set_state(False)
                    missed = True
                    self._stopping.wait(self._retry)
            finally:
                _close_quietly(conn)

    def _open(self):
        connect = self._connect
        if connect is None:
            import psycopg
            connect = psycopg.connect
        conn = connect(self._dsn, autocommit=True)
        try:
            conn.execute(f"LISTEN {self._channel}")
        except BaseException:
            _close_quietly(conn)
            raise
        return conn

    def _listen(self, conn) -> None:
        pending: set[str] = set()
        deadline = 0.0
        while not self._stopping.is_set():
            wait = self._poll if not pending else max(0.0, deadline - time.monotonic())
            for note in conn.notifies(timeout=wait, stop_after=1):
                if not note.payload or self._ignore(note.pid):
                    continue
                if not pending:
                    deadline = time.monotonic() + self._debounce
                pending.add(note.payload)
            if pending and time.monotonic() >= deadline:
                batch, pending = pending, set()
                self._report(batch)
            elif not pending and conn.closed:
                raise ConnectionError("the listening connection closed")

    def _report(self, tables: set[str]) -> None:
        if self._stopping.is_set():
            return
        try:
            self._on_change(tables)
        except Exception:  # noqa: BLE001 - a failing callback must not stop the listening
            log.exception("change listener callback failed")

    def _set_state(self, connected: bool) -> None:
        """Tell a change of state once (not on every retry while the server is away)."""
        if connected is self.connected:
            return
        self.connected = connected
        if self._on_state is not None and not self._stopping.is_set():
            try:
                self._on_state(connected)
            except Exception:  # noqa: BLE001
                log.exception("change listener state callback failed")


def own_sessions(engine) -> Callable[[int], bool]:
    """Whether a server session (its backend pid) is one of ``engine``'s connections.

    A window's own saves already reload its pages (the forms and the board say what they
    changed); reloading them again when the server echoes the change back costs a second
    load of the page (the whole board, after every move). Each connection is recorded as
    it is checked out of the pool, so before anything is written through it."""
    from sqlalchemy import event
    pids: set[int] = set()

    def checked_out(dbapi_conn, _record, _proxy) -> None:
        pids.add(dbapi_conn.info.backend_pid)
    event.listen(engine, "checkout", checked_out)
    return pids.__contains__


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a broken connection
        pass
