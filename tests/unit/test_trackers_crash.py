"""Issue 12, item 9: `export tracker --names` killed with SIGKILL at moments spread over
its writing, 8 times (at least 5 of them while it writes). Whatever it leaves is 0600
and is removed by the next export; no file with a person's name in plain text is left
under the output folder or in the temp folder, and nothing was written to the system
temp folder at all."""
from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.model import Action
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.tables import PersonRow
from deterrence_desktop.store.workspace import Workspace

from conftest import DEMO_TODAY, PASSPHRASE

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

KILLS = 8
EXTRA_ACTIONS = 3_000           # enough rows that a kill lands while the file is written


def _names(path: Path) -> set[str]:
    ws = Workspace.open(path, PASSPHRASE)
    try:
        with ws.session() as s:
            rows = s.execute(select(PersonRow.given_name, PersonRow.family_name)).all()
    finally:
        ws.close()
    return {n for r in rows for n in r if n and len(n) >= 5}


def _grow(path: Path) -> None:
    """Many actions about named people, for the police."""
    ws = Workspace.open(path, PASSPHRASE)
    try:
        app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
        police = app.partners.by_name("Fictionbury Police").id
        people = [p.id for p in app.people.list()]
        app.actions.import_many([
            Action(partner_id=police, kind="support", person_id=people[i % len(people)],
                   description=f"Fictional follow-up {i}", notes="Seen at home (fictional)")
            for i in range(EXTRA_ACTIONS)])
        ws.checkpoint()
    finally:
        ws.close()


def _complete(path: Path) -> bool:
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    return sum(1 for _ in wb["Actions"].iter_rows()) > EXTRA_ACTIONS


def _leftovers(folder: Path, keep: set[str]) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name not in keep]


def _plaintext(files, names: set[str]) -> list[str]:
    hits = []
    for f in files:
        if f.is_file():
            data = f.read_bytes()
            hits += [f"{f.name}: {n}" for n in names if n.encode("utf-8") in data]
    return hits


@pytest.mark.slow
def test_killed_exports_leave_no_plaintext_and_the_next_export_cleans_up(demo_path, tmp_path):
    _grow(demo_path)
    names = _names(demo_path)
    assert names
    out = tmp_path / "exports"
    temp = tmp_path / "tmp"
    home = tmp_path / "home"
    for d in (out, temp, home):
        d.mkdir()
    env = dict(os.environ, DETERRENCE_PASSPHRASE=PASSPHRASE, DETERRENCE_USER="demo.coordinator",
               TMPDIR=str(temp), TMP=str(temp), TEMP=str(temp), HOME=str(home))
    env.pop("DETERRENCE_DATA_DIR", None)

    def start(name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "deterrence_desktop", "export", "tracker", str(demo_path),
             "--out", str(out / name), "--names", "--partner", "Fictionbury Police"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def temp_files():
        return [p for p in out.iterdir() if p.name.startswith(".tracker-export-")]

    # One export run to the end: how long does the writing take?
    proc = start("whole.xlsx")
    started = None
    while proc.poll() is None:
        if started is None and temp_files():
            started = time.monotonic()
        time.sleep(0.002)
    assert proc.returncode == 0, proc.stderr.read()
    writing = time.monotonic() - started if started else 0.5
    assert stat.S_IMODE((out / "whole.xlsx").stat().st_mode) == 0o600

    rng = random.Random(12)
    killed = 0
    for i in range(KILLS):
        proc = start(f"killed-{i}.xlsx")
        while proc.poll() is None and not temp_files():
            time.sleep(0.001)
        time.sleep(rng.uniform(0, writing * 0.9))        # a moment while it writes
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if proc.returncode == -signal.SIGKILL:
            killed += 1
            for left in temp_files():                      # what a kill leaves is private
                assert stat.S_IMODE(left.stat().st_mode) == 0o600
            done = out / f"killed-{i}.xlsx"                 # in place only when complete
            assert not done.exists() or _complete(done)
        proc.stderr.close()
    assert killed >= 5, f"only {killed} of {KILLS} runs were killed while writing"

    # The next export removes what the killed ones left.
    proc = start("next.xlsx")
    assert proc.wait() == 0, proc.stderr.read()
    proc.stderr.close()
    finished = {"whole.xlsx", "next.xlsx"} | {f"killed-{i}.xlsx" for i in range(KILLS)}
    assert _leftovers(out, finished) == []
    assert _plaintext(_leftovers(out, {"whole.xlsx", "next.xlsx"}), names) == []
    assert list(temp.rglob("*")) == []                     # nothing ever went to the temp dir
    assert _complete(out / "next.xlsx")
