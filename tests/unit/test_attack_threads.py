"""Connections are closed on the thread that opened them (issue 12, finding 12).

SQLAlchemy's SingletonThreadPool closed every thread's connection from the thread that
disposed it; the driver refused ("SQLite objects created in a thread can only be used
in that same thread"), the refusal was logged at shutdown, and the connection stayed
open: its WAL unmerged, its lock held. A real process opens a workspace, uses it from
the main thread, from a thread that has ended, from a live worker that sits idle and
from one that is still inside a transaction when the workspace closes."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from conftest import PASSPHRASE

SCRIPT = textwrap.dedent("""
    import logging, os, sys, threading, warnings
    from pathlib import Path
    from sqlalchemy import text
    from deterrence_desktop.store.workspace import Workspace

    logging.basicConfig(level=logging.WARNING)        # what the pool logs, on stderr
    warnings.simplefilter("always")
    path, passphrase = Path(sys.argv[1]), sys.argv[2]
    ws = Workspace.open(path, passphrase)
    owners = {}

    def use(n):
        with ws.session() as s:
            s.execute(text("INSERT INTO workspace_meta (key, value) VALUES (:k, 'x')"),
                      {"k": f"thread-{n}"})
        owners[n] = threading.get_ident()

    use("main")
    ended = threading.Thread(target=use, args=("ended",))
    ended.start(); ended.join()

    stop, used = threading.Event(), threading.Event()
    def idle_worker():                                 # like the GUI's database worker
        use("idle")
        used.set()
        stop.wait()
    idle = threading.Thread(target=idle_worker); idle.start()
    used.wait(60)

    inside, go_on = threading.Event(), threading.Event()
    def busy_worker():                                 # still working when close() comes
        with ws.session() as s:
            s.execute(text("INSERT INTO workspace_meta (key, value) VALUES ('thread-busy', 'x')"))
            inside.set()
            go_on.wait()
    busy = threading.Thread(target=busy_worker); busy.start()
    inside.wait(60)

    ws.close()                                         # on the main thread
    go_on.set(); busy.join()                           # the busy worker gives its connection back
    print("wal after close:", os.path.exists(f"{path}-wal"), flush=True)
    stop.set(); idle.join()

    again = Workspace.open(path, passphrase, read_only=True)
    with again.session() as s:
        keys = sorted(k for (k,) in s.execute(text(
            "SELECT key FROM workspace_meta WHERE key LIKE 'thread-%'")))
    again.close()
    print("saved:", " ".join(keys), flush=True)
""")


def test_no_connection_is_closed_on_a_thread_that_did_not_open_it(demo_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_path), PASSPHRASE],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "ProgrammingError" not in result.stderr, result.stderr
    assert "same thread" not in result.stderr and "Exception closing" not in result.stderr
    assert result.stderr == "", result.stderr
    # Every connection was closed, so the last one merged the WAL and removed it.
    assert "wal after close: False" in result.stdout, result.stdout
    assert "saved: thread-busy thread-ended thread-idle thread-main" in result.stdout
