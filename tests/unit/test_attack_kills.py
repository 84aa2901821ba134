"""`backup` and `restore` killed with SIGKILL at random moments (issue 12, findings 3 and 4).

After every kill the workspace opens, holds the old state or the new one and never a
WAL set aside as foreign (its own WAL is proved and kept); every backup the folder
shows verifies. After the next run, nothing a kill left is still there: no half-written
backup, no journal, no restore copy, no check folder, no stale lock."""
from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from deterrence_desktop.domain.model import Partner
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.services.backup import default_folder, list_backups, verify_backup
from deterrence_desktop.store.workspace import Workspace

from conftest import DEMO_TODAY, PASSPHRASE

RUNS = 20

# The zygote imports the app once and forks one child per command, which runs the real
# command line (`deterrence-desktop ...`) and is killed by the test.
ZYGOTE = textwrap.dedent("""
    import os, sys, time
    from deterrence_desktop.cli import main
    import deterrence_desktop.services.app, deterrence_desktop.services.backup  # imported once
    import deterrence_desktop.security.writer_lock
    for line in sys.stdin:
        args = line.split("\\t")
        args[-1] = args[-1].rstrip("\\n")
        pid = os.fork()
        if pid == 0:
            os.close(0)
            print("ready", os.getpid(), flush=True)
            start = time.perf_counter()
            code = main(args)
            print("done", code, time.perf_counter() - start, flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("reaped", status, flush=True)
""")


class Zygote:
    def __init__(self):
        env = dict(os.environ, DETERRENCE_PASSPHRASE=PASSPHRASE)
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self, *args) -> int:
        self.proc.stdin.write("\t".join(map(str, args)) + "\n")
        self.proc.stdin.flush()
        word, pid = self.proc.stdout.readline().split()
        assert word == "ready"
        return int(pid)

    def finish(self) -> tuple[int, float]:
        """Wait for the child to end; (exit code or -1 when killed, seconds it ran)."""
        code, took = -1, 0.0
        while (line := self.proc.stdout.readline().split())[0] != "reaped":
            if line[0] == "done":
                code, took = int(line[1]), float(line[2])
        return code, took

    def run(self, *args) -> float:
        self.start(*args)
        code, took = self.finish()
        assert code == 0, args
        return took

    def kill_at(self, delay: float, *args) -> int:
        pid = self.start(*args)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):     # it may have finished already
            os.kill(pid, signal.SIGKILL)
        return self.finish()[0]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _partners(path: Path) -> int:
    with Workspace.open(path, PASSPHRASE, read_only=True) as ws, ws.engine.connect() as c:
        return c.exec_driver_sql("SELECT count(*) FROM partner").scalar()


def _leftovers(path: Path) -> list[str]:
    """Names a kill may leave that must be gone after the next run."""
    names = [p.name for p in path.parent.iterdir()]
    folder = default_folder(path)
    names += [f"{folder.name}/{p.name}" for p in folder.iterdir()] if folder.is_dir() else []
    return sorted(n for n in names if n.endswith((".part", "-journal", ".tmp", ".lock"))
                  or "walcheck" in n or ".restore-" in n)


def _foreign(path: Path) -> list[str]:
    return [p.name for p in path.parent.iterdir() if ".foreign-" in p.name]


@pytest.fixture
def zygote():
    z = Zygote()
    yield z
    z.close()


@pytest.mark.slow
def test_backup_killed_at_random_moments(demo_path, zygote):
    folder = default_folder(demo_path)
    took = zygote.run("backup", demo_path)
    rnd = random.Random(12)
    checked = {b.name for b in list_backups(folder, demo_path.stem)}
    outcomes = []
    for run in range(RUNS):
        code = zygote.kill_at(took * 1.5 * (run + rnd.random()) / RUNS, "backup", demo_path)
        outcomes.append(code == 0)
        assert not _foreign(demo_path), run
        for b in list_backups(folder, demo_path.stem):      # every backup shown is whole
            if b.name not in checked:
                assert verify_backup(b.path, PASSPHRASE) == [], (run, b.name)
                checked.add(b.name)
        assert _partners(demo_path) > 0
    assert not all(outcomes)
    zygote.run("backup", demo_path)                  # the next run cleans up after the kills
    assert _leftovers(demo_path) == []
    assert not _foreign(demo_path)


@pytest.mark.slow
def test_restore_killed_at_random_moments(demo_path, tmp_path, zygote):
    ws = Workspace.open(demo_path, PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
    backup = app.backup.backup_now().path
    app.partners.create(Partner(name="Fictional partner added after the backup", type="other"))
    ws.checkpoint()
    ws.close()
    old_state = tmp_path / "old.ddw"
    shutil.copyfile(demo_path, old_state)
    old, new = _partners(demo_path), _partners(backup)
    assert old == new + 1

    took = max(zygote.run("restore", demo_path, backup, "--yes") for _ in range(2))
    rnd = random.Random(3)
    seen = set()
    for run in range(RUNS):
        shutil.copyfile(old_state, demo_path)
        zygote.kill_at(took * 1.6 * (run + rnd.random()) / RUNS, "restore", demo_path, backup, "--yes")
        assert demo_path.exists(), run                  # never a moment without the file
        count = _partners(demo_path)
        assert count in (old, new), (run, count)
        seen.add(count)
        assert not _foreign(demo_path), run
    assert seen == {old, new}                           # kills landed before and after the rename
    zygote.run("restore", demo_path, backup, "--yes")   # the next run cleans up after the kills
    assert _leftovers(demo_path) == []
    assert _partners(demo_path) == new
