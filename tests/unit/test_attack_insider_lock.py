"""Issue 12, finding 10: the command line's writers ignored the writer lock.

Two `import tracker --apply` at once: the loser died with a traceback ("database is
locked"). `passwd` while another process had the workspace open made that process call the
file damaged. Now every writer takes the lock (or waits for it with --wait), passwd refuses
while anyone else has the file open, and nothing prints a traceback.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap
import openpyxl
import pytest

from deterrence_desktop.cli import main
from deterrence_desktop.exports.tracker_xlsx import ACTIONS_SHEET, HEADERS
from deterrence_desktop.services.backup import verify_backup

from conftest import PASSPHRASE
from test_cli import COMMAND, clean_env

BUSY = 75

# Another process with the workspace open: as the app's writer (holding the lock), or
# read-only (a second copy of the app: no lock, only an open connection).
HOLDER = textwrap.dedent("""
    import sys, time
    from deterrence_desktop.security.writer_lock import open_workspace
    from deterrence_desktop.services.app import WorkspaceServices
    path, passphrase, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    ws = open_workspace(path, passphrase, read_only=(mode == "read-only"))
    app = WorkspaceServices(ws).as_user("demo.coordinator")
    before = len(app.people.list())
    print("open", flush=True)
    sys.stdin.readline()                     # until the test says "close"
    after = len(app.people.list())          # still reads: nobody changed the key under it
    ws.close()
    print("closed", before == after, flush=True)
""")


def hold(path, mode: str = "writer") -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), PASSPHRASE, mode],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "open"
    return proc


def release(proc: subprocess.Popen) -> list[str]:
    """Tell the holder to read once more and close; what it said on closing."""
    proc.stdin.write("close\n")
    proc.stdin.flush()
    said = proc.stdout.readline().split()
    proc.wait(60)
    return said


def run(*args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=180,
                          env=clean_env(DETERRENCE_PASSPHRASE=PASSPHRASE, **env))


def no_traceback(*results) -> None:
    for r in results:
        assert "Traceback" not in r.stderr and "OperationalError" not in r.stderr, r.stderr


@pytest.fixture
def tracker_return(demo_path, tmp_path, monkeypatch, capsys):
    """A police tracker, exported by the coordinator, with two statuses changed."""
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    out = tmp_path / "police.xlsx"
    assert main(["export", "tracker", str(demo_path), "--out", str(out),
                 "--partner", "Fictionbury Police"]) == 0
    capsys.readouterr()
    wb = openpyxl.load_workbook(out)
    ws = wb[ACTIONS_SHEET]
    status = HEADERS.index("Status") + 1
    for row in (2, 3):
        ws.cell(row, status).value = "Done" if ws.cell(row, status).value != "Done" else "Planned"
    wb.save(out)
    return out


def test_two_imports_at_once_no_traceback_one_waits_or_is_told(demo_path, tracker_return):
    procs = [subprocess.Popen([*COMMAND, "import", "tracker", str(demo_path), str(tracker_return),
                               "--apply"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, stdin=subprocess.DEVNULL,
                              env=clean_env(DETERRENCE_PASSPHRASE=PASSPHRASE))
             for _ in range(2)]
    results = [subprocess.CompletedProcess(p.args, p.wait(180), p.stdout.read(), p.stderr.read())
               for p in procs]
    no_traceback(*results)
    codes = sorted(r.returncode for r in results)
    assert codes[0] == 0, results
    assert codes[1] in (0, BUSY), results
    for r in results:
        if r.returncode == BUSY:
            line, = r.stderr.splitlines()
            assert "is open in another copy of Deterrence Desktop on this computer" in line
            assert "Nothing was changed" in line and "--wait" in line

    # With --wait, two at once both run, one after the other.
    procs = [subprocess.Popen([*COMMAND, "import", "tracker", str(demo_path), str(tracker_return),
                               "--apply", "--wait", "120"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                              env=clean_env(DETERRENCE_PASSPHRASE=PASSPHRASE))
             for _ in range(2)]
    results = [subprocess.CompletedProcess(p.args, p.wait(180), p.stdout.read(), p.stderr.read())
               for p in procs]
    no_traceback(*results)
    assert [r.returncode for r in results] == [0, 0], results
    assert run("check", demo_path).returncode == 0


def test_writers_are_refused_while_the_app_has_the_workspace(demo_path, tracker_return, tmp_path):
    holder = hold(demo_path)
    try:
        results = [
            run("import", "tracker", demo_path, tracker_return, "--apply"),
            run("backup", demo_path),
            run("passwd", demo_path, "--keep-backups",
                DETERRENCE_NEW_PASSPHRASE="another fictional passphrase"),
            run("export", "tracker", demo_path, "--out", tmp_path / "x.xlsx"),
        ]
        no_traceback(*results)
        for r in results:
            assert r.returncode == BUSY, r
            assert f"process {holder.pid}" in r.stderr and "Nothing was changed" in r.stderr
        assert not (tmp_path / "demo-backups").exists() and not (tmp_path / "x.xlsx").exists()
        # The passphrase is unchanged; the holder still reads the file.
        assert verify_backup(demo_path, PASSPHRASE) == []
        # Reading commands still run, read-only, beside it.
        info = run("info", demo_path)
        assert info.returncode == 0 and "read-only" in info.stdout
    finally:
        holder.kill()
        holder.wait()


def test_passwd_refuses_while_a_read_only_copy_has_the_file_open(demo_path):
    holder = hold(demo_path, "read-only")
    try:
        result = run("passwd", demo_path, "--keep-backups",
                     DETERRENCE_NEW_PASSPHRASE="another fictional passphrase")
        no_traceback(result)
        assert result.returncode == BUSY, result
        assert f"process {holder.pid}" in result.stderr and "close it there" in result.stderr
        assert verify_backup(demo_path, PASSPHRASE) == []
        # The other copy goes on reading, and never hears its file is "damaged".
        assert release(holder) == ["closed", "True"]
    finally:
        holder.kill()
        holder.wait()
    # Once it has closed, passwd runs.
    result = run("passwd", demo_path, "--keep-backups",
                 DETERRENCE_NEW_PASSPHRASE="another fictional passphrase")
    assert result.returncode == 0, result.stderr
    assert verify_backup(demo_path, "another fictional passphrase") == []


def test_wait_for_the_lock_says_so_then_runs(demo_path):
    holder = hold(demo_path)
    try:
        waiting = subprocess.Popen([*COMMAND, "backup", str(demo_path), "--wait", "120"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   stdin=subprocess.DEVNULL,
                                   env=clean_env(DETERRENCE_PASSPHRASE=PASSPHRASE))
        said = waiting.stderr.readline()
        assert said.startswith("Waiting up to 120 s") and f"process {holder.pid}" in said
        assert release(holder) == ["closed", "True"]
        assert waiting.wait(120) == 0
        assert "Backed up and verified" in waiting.stdout.read()
        assert "Traceback" not in waiting.stderr.read()
    finally:
        holder.kill()
        holder.wait()
    # A wait that runs out is a clear refusal.
    holder = hold(demo_path)
    try:
        result = run("backup", demo_path, "--wait", "0.5")
        no_traceback(result)
        assert result.returncode == BUSY and "(waited 0.5 s)" in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_database_is_locked_becomes_a_clear_message(capsys, monkeypatch):
    """Whatever slips past the lock (another tool writing the file) is one line, not a
    traceback."""
    import sqlcipher3
    from sqlalchemy.exc import OperationalError

    from deterrence_desktop.cli import workspace_cmds

    def busy(args):
        raise OperationalError("INSERT", {}, sqlcipher3.dbapi2.OperationalError("database is locked"))

    monkeypatch.setattr(workspace_cmds, "cmd_info", busy)
    assert main(["info", "x.ddw"]) == BUSY
    err = capsys.readouterr().err
    assert err.startswith("deterrence-desktop: error: another process was writing")
    assert "Traceback" not in err
