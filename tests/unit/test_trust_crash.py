"""Crash safety: an import of 10,000 actions in one transaction, killed with SIGKILL at
moments spread over its run, 20 times. After each kill the workspace opens (the dead
process's lock is taken over), both integrity checks pass, and the action count is the
old count or the old count plus 10,000: never anything in between."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from deterrence_desktop.domain.model import Partner, Partnership, Person, User
from deterrence_desktop.security.writer_lock import open_workspace
from deterrence_desktop.services.app import WorkspaceServices

from conftest import PASSPHRASE

BATCH = 10_000
RUNS = 20

# A "zygote" imports the app once, then forks one importer child per run, so each run
# pays for the key derivation and the import, not for starting Python. Each child is a
# separate process, killed with SIGKILL by the test; the zygote reaps it and says so.
ZYGOTE = textwrap.dedent("""
    import os, sys, time
    from deterrence_desktop.domain.model import Action
    from deterrence_desktop.security.writer_lock import open_workspace
    from deterrence_desktop.services.app import WorkspaceServices
    path, passphrase, partner_id, person_id = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            ws = open_workspace(path, passphrase)
            app = WorkspaceServices(ws).as_user("coord")
            actions = [Action(partner_id=partner_id, kind="support", person_id=person_id,
                              description=f"Imported fictional action {i}") for i in range(%d)]
            print("ready", os.getpid(), flush=True)
            start = time.perf_counter()
            app.actions.import_many(actions)
            print("done", time.perf_counter() - start, flush=True)
            ws.close()
            if line.strip() == "go":
                time.sleep(120)           # wait for the kill
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("reaped", status, flush=True)
""" % BATCH)


def _state(path):
    """(action count, cipher_integrity_check rows, integrity_check rows) after a crash."""
    ws = open_workspace(path, PASSPHRASE)
    try:
        with ws.engine.connect() as c:
            count = c.exec_driver_sql("SELECT count(*) FROM action").scalar()
        app = WorkspaceServices(ws).as_user("coord")
        report = {r.name: r for r in app.maintenance.check().results}
        return count, report
    finally:
        ws.close()


class Zygote:
    def __init__(self, path, partner_id, person_id):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, str(path), PASSPHRASE, str(partner_id), str(person_id)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self, wait_for_kill: bool = True) -> int:
        self.proc.stdin.write("go\n" if wait_for_kill else "run\n")
        self.proc.stdin.flush()
        word, pid = self.proc.stdout.readline().split()
        assert word == "ready"
        return int(pid)

    def read(self) -> list[str]:
        return self.proc.stdout.readline().split()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.mark.slow
def test_import_killed_at_random_moments_leaves_old_or_new_never_half(tmp_path):
    path = tmp_path / "crash.ddw"
    app = WorkspaceServices.create_workspace(
        path, PASSPHRASE, Partnership(name="Crash test (fictional)", area="Testshire"),
        User(username="coord", display_name="Casey Testcoord"))
    partner = app.partners.create(Partner(name="Fictional Police", type="police"))
    person = app.people.create(Person(reference="", given_name="Fictional", family_name="Person"))
    app.close()

    zygote = Zygote(path, partner.id, person.id)
    try:
        # Calibrate: one import run to the end tells how long the transaction takes here.
        zygote.start(wait_for_kill=False)
        word, took = zygote.read()
        assert word == "done" and zygote.read()[0] == "reaped"
        took = float(took)
        old, _ = _state(path)
        assert old == BATCH

        rnd = random.Random(8)
        outcomes = []
        for run in range(RUNS):
            pid = zygote.start()
            # Spread the kills from the start of the import to well after its end.
            time.sleep(took * 1.6 * (run + rnd.random()) / RUNS)
            os.kill(pid, signal.SIGKILL)
            while (line := zygote.read())[0] != "reaped":
                assert line[0] == "done"
            count, report = _state(path)
            assert report["cipher integrity (page HMACs)"].ok, report
            assert report["SQLite integrity"].ok, report
            assert report[next(k for k in report if k.startswith("audit chain"))].ok
            assert count in (old, old + BATCH), (run, old, count)
            outcomes.append(count == old + BATCH)
            old = count
    finally:
        zygote.close()
    # The kills landed both inside the transaction and after it committed.
    print("import took", took, "s; committed before the kill:", outcomes)
    assert not all(outcomes) and any(outcomes), outcomes
