"""store/listen.py: LISTEN dd_change on a connection of its own, debounced, reconnecting."""
from __future__ import annotations

import threading
import time

import pytest

from deterrence_desktop.store.listen import EVERYTHING, ChangeListener


class Heard:
    """What a listener reported, with the moment it did (its own thread)."""

    def __init__(self):
        self.changes: list[tuple[float, set[str]]] = []
        self.states: list[bool] = []
        self.event = threading.Event()

    def change(self, tables: set[str]) -> None:
        self.changes.append((time.perf_counter(), set(tables)))
        self.event.set()

    def state(self, connected: bool) -> None:
        self.states.append(connected)

    def wait(self, what, timeout: float = 5.0) -> None:
        end = time.monotonic() + timeout
        while not what():
            assert time.monotonic() < end, f"not heard: changes {self.changes}, states {self.states}"
            time.sleep(0.01)


def test_a_server_that_never_answers_is_retried_and_stop_is_prompt():
    attempts = []

    def refuse(*_a, **_kw):
        attempts.append(time.monotonic())
        raise OSError("connection refused")
    heard = Heard()
    listener = ChangeListener("host=nowhere", heard.change, heard.state, retry=0.05,
                              connect=refuse).start()
    heard.wait(lambda: len(attempts) >= 3)
    assert heard.states == [False]          # said once, not on every retry
    t0 = time.monotonic()
    listener.stop()
    assert time.monotonic() - t0 < 3 and not listener.running   # promptly, not after a timeout
    assert heard.changes == []



@pytest.fixture
def listening(pg_server):
    """A listener on the run's server as its administrator, and a connection to notify on."""
    psycopg = pytest.importorskip("psycopg")
    address = pg_server.address("postgres", pg_server.admin)
    dsn = address.dsn(pg_server.admin_password)
    heard = Heard()
    listener = ChangeListener(dsn, heard.change, heard.state).start()
    heard.wait(lambda: heard.states == [True])
    other = psycopg.connect(dsn, autocommit=True)
    yield listener, heard, other
    listener.stop()
    other.close()


@pytest.mark.server
def test_notifications_arrive_as_one_debounced_set(listening):
    listener, heard, other = listening
    t0 = time.perf_counter()
    with other.transaction():
        for table in ("action", "person", "action", "audit_entry"):
            other.execute("SELECT pg_notify('dd_change', %s)", (table,))
    heard.wait(lambda: heard.changes)
    at, tables = heard.changes[0]
    assert tables == {"action", "person", "audit_entry"}
    assert at - t0 >= 0.04        # after the 50 ms window (the time to a card: the journey)
    time.sleep(0.2)
    assert len(heard.changes) == 1
    # another channel is not heard
    other.execute("NOTIFY some_other_channel, 'action'")
    time.sleep(0.2)
    assert len(heard.changes) == 1


@pytest.mark.server
def test_a_dropped_connection_is_said_retried_and_reported_as_everything(listening, pg_server):
    listener, heard, other = listening
    pid = other.execute("SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN dd_change' "
                        "AND pid <> pg_backend_pid()").fetchall()
    assert pid, "the listener's connection is not on the server"
    for (p,) in pid:
        other.execute("SELECT pg_terminate_backend(%s)", (p,))
    heard.wait(lambda: heard.states[-2:] == [False, True])
    heard.wait(lambda: any(EVERYTHING in t for _, t in heard.changes))
    assert listener.reconnects == 1
    # and it listens again
    other.execute("NOTIFY dd_change, 'meeting'")
    heard.wait(lambda: any(t == {"meeting"} for _, t in heard.changes))
    t0 = time.monotonic()
    listener.stop()
    assert time.monotonic() - t0 < 3


@pytest.mark.server
def test_the_apps_own_sessions_are_not_heard_again(pg_server):
    """What this window wrote through its own engine it has shown already: the echo from
    the server is dropped, while another session's change is heard."""
    psycopg = pytest.importorskip("psycopg")
    from deterrence_desktop.store.listen import own_sessions
    from deterrence_desktop.store.server import admin_engine

    address = pg_server.address("postgres", pg_server.admin)
    engine = admin_engine(address, pg_server.admin_password)
    mine = own_sessions(engine)
    heard = Heard()
    listener = ChangeListener(address.dsn(pg_server.admin_password), heard.change, heard.state,
                              ignore=mine).start()
    try:
        heard.wait(lambda: heard.states == [True])
        with engine.begin() as conn:                 # this app's own write
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            conn.exec_driver_sql("NOTIFY dd_change, 'action'")
        assert mine(pid)
        with psycopg.connect(address.dsn(pg_server.admin_password), autocommit=True) as other:
            other.execute("NOTIFY dd_change, 'person'")   # someone else's
        heard.wait(lambda: heard.changes)
        time.sleep(0.2)
        assert [t for _, t in heard.changes] == [{"person"}]
    finally:
        listener.stop()
        engine.dispose()
