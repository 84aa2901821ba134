"""The command line, run as a real process: `deterrence-desktop demo/info/check/passwd/init`."""
from __future__ import annotations

import hashlib
import json
import os
import pty
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlcipher3

from deterrence_desktop.services.demo import DEMO_PASSPHRASE
from deterrence_desktop.store import cipher, migrations

from conftest import PASSPHRASE

SCRIPT = Path(sys.executable).with_name("deterrence-desktop")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "deterrence_desktop"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETERRENCE_")}
    env.update(extra)
    return env


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        ) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env=env if env is not None else clean_env(),
                          cwd=cwd, timeout=120)


def run_here(capsys, monkeypatch, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The same command in this process (faster): for the error paths, which open nothing."""
    from deterrence_desktop.cli import main

    for key in [k for k in os.environ if k.startswith("DETERRENCE_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("deterrence-desktop: error: ")
    for needle in needles:
        assert needle in lines[0]


def secret_file(folder: Path, text: str, name: str = "pass.txt") -> Path:
    path = folder / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cli_demo(tmp_path_factory) -> Path:
    """A demo workspace made by the real console script, with the demo passphrase."""
    folder = tmp_path_factory.mktemp("cli")
    result = run("demo", "x.ddw", cwd=folder)
    assert result.returncode == 0, result.stderr
    # 150 actions, and the levers and offers the demo records for its letters
    assert re.search(r"40 people, (1[5-9]\d|2\d\d) actions \(all fictional\)", result.stdout)
    assert f"Demo passphrase: {DEMO_PASSPHRASE}" in result.stdout
    return folder / "x.ddw"


@pytest.fixture
def demo_copy(cli_demo, tmp_path) -> Path:
    path = tmp_path / "x.ddw"
    path.write_bytes(cli_demo.read_bytes())
    return path


# -- the file `demo` writes is a standard SQLCipher 4 database ---------------------------

def test_demo_file_reads_with_nothing_but_the_key(cli_demo):
    conn = sqlcipher3.connect(str(cli_demo))
    conn.execute(f"PRAGMA key = {cipher.quote_key(DEMO_PASSPHRASE)}")
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    assert {"person", "action", "communication", "audit_entry", "partner"} <= set(tables)
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    for t in tables:                   # every row of every table can be read
        conn.execute(f'SELECT * FROM "{t}"').fetchall()
    levers = conn.execute("SELECT count(*) FROM action WHERE intervention_id IS NOT NULL").fetchone()[0]
    conn.close()
    # 150 actions, plus the levers and offers the demo records for its letters and its continuity plan
    assert counts["person"] == 40 and counts["communication"] == 200
    assert counts["action"] == 150 + levers + counts["plan_action"]
    assert counts["signatory"] == 2


def test_plain_sqlite_cannot_read_the_demo_file(cli_demo):
    conn = sqlite3.connect(cli_demo)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        conn.execute("SELECT name FROM sqlite_master").fetchall()
    conn.close()


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell on this machine")
def test_sqlite3_shell_cannot_read_the_demo_file(cli_demo):
    result = subprocess.run(["sqlite3", str(cli_demo), "SELECT count(*) FROM person;"],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    assert result.returncode != 0
    assert "file is not a database" in result.stderr
    assert result.stdout == ""


# -- info and check ------------------------------------------------------------------------

def test_info(demo_copy, capsys, monkeypatch):
    result = run("info", demo_copy, env=clean_env(DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Schema version: {migrations.head()}" in out
    assert "Partnership:    DEMO Fictionbury" in out
    assert "kdf_iter=256000" in out and "cipher_hmac_algorithm=HMAC_SHA512" in out
    rows = dict(line.split() for line in out.split("Records:\n")[1].splitlines())
    assert rows["person"] == "40" and int(rows["action"]) > 150 and rows["call_in"] == "2"

    result = run_here(capsys, monkeypatch, "info", "--json", demo_copy,
                      DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE)
    info = json.loads(result.stdout)
    assert info["counts"]["communication"] == 200
    assert info["cipher"]["cipher_kdf_algorithm"] == "PBKDF2_HMAC_SHA512"


def test_check_passes_on_a_good_workspace(demo_copy):
    result = run("check", demo_copy, env=clean_env(DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["PASS"] * 6
    assert any("audit chain" in line for line in lines)
    assert any("append-only triggers" in line for line in lines)
    assert any("audit anchors" in line for line in lines)


def test_check_fails_naming_an_edited_audit_entry(demo_copy):
    conn = sqlcipher3.connect(str(demo_copy))
    conn.execute(f"PRAGMA key = {cipher.quote_key(DEMO_PASSPHRASE)}")
    conn.execute("DROP TRIGGER audit_entry_no_update")
    conn.execute("UPDATE audit_entry SET detail = detail || ' (edited)' WHERE seq = 2")
    conn.commit()
    conn.close()
    result = run("check", demo_copy, env=clean_env(DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE))
    assert result.returncode == 1
    assert "FAIL  audit chain" in result.stdout
    assert "audit entry 2 was altered after it was written" in result.stdout
    assert "PASS  cipher integrity" in result.stdout


def test_check_fails_when_the_last_entries_are_deleted(demo_copy, capsys, monkeypatch):
    conn = sqlcipher3.connect(str(demo_copy))
    conn.execute(f"PRAGMA key = {cipher.quote_key(DEMO_PASSPHRASE)}")
    last = conn.execute("SELECT max(seq) FROM audit_entry").fetchone()[0]
    conn.execute("DROP TRIGGER audit_entry_no_delete")
    conn.execute("DELETE FROM audit_entry WHERE seq = ?", (last,))
    conn.commit()
    conn.close()
    result = run_here(capsys, monkeypatch, "check", demo_copy, DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE)
    assert result.returncode == 1
    assert f"recorded head is entry {last}: entries were removed from the end" in result.stdout


# -- where the passphrase comes from -------------------------------------------------------

def test_passphrase_file_beats_the_environment(demo_copy, tmp_path, capsys, monkeypatch):
    good = secret_file(tmp_path, DEMO_PASSPHRASE)
    bad = secret_file(tmp_path, "a wrong fictional passphrase", "bad.txt")
    env = clean_env(DETERRENCE_PASSPHRASE="a wrong fictional passphrase")
    assert run("info", "--passphrase-file", good, demo_copy, env=env).returncode == 0
    result = run_here(capsys, monkeypatch, "info", "--passphrase-file", bad, demo_copy,
                      DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE)
    assert_one_line_error(result, "passphrase is wrong")


def test_environment_is_used_without_a_file(demo_copy, capsys, monkeypatch):
    assert run("info", demo_copy, env=clean_env(DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE)).returncode == 0
    result = run_here(capsys, monkeypatch, "info", demo_copy,
                      DETERRENCE_PASSPHRASE="wrong but long enough")
    assert_one_line_error(result, "passphrase is wrong")


def test_no_passphrase_and_no_terminal(demo_copy):
    before = sha256(demo_copy)
    result = run("info", demo_copy)
    assert_one_line_error(result, "no passphrase", "--passphrase-file", "DETERRENCE_PASSPHRASE")
    assert sha256(demo_copy) == before


def run_on_terminal(args: list[str], answers: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the command with a real pseudo-terminal, answering each prompt in turn."""
    pid, fd = pty.fork()
    if pid == 0:                                   # child: the command on the terminal
        try:
            os.execve(COMMAND[0], [*COMMAND, *args], env)
        finally:
            os._exit(127)
    output, deadline = b"", time.monotonic() + 60
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_prompt_when_nothing_else_is_given(demo_copy):
    code, out = run_on_terminal(["info", str(demo_copy)], [DEMO_PASSPHRASE], clean_env())
    assert "Passphrase:" in out
    assert DEMO_PASSPHRASE not in out                # not echoed
    assert code == 0, out
    assert f"Schema version: {migrations.head()}" in out


# -- errors: one line on stderr, non-zero exit, the file unchanged ------------------------------

def test_wrong_passphrase_error(demo_copy):
    before = sha256(demo_copy)
    result = run("check", demo_copy, env=clean_env(DETERRENCE_PASSPHRASE="not the passphrase"))
    assert_one_line_error(result, "passphrase is wrong")
    assert sha256(demo_copy) == before


@pytest.mark.parametrize("content, needle", [
    (b"", "is empty"),
    (b"fictional notes\n" * 256, "text file"),
    (b"SQLite format 3\x00" + b"\x00" * 4080, "unencrypted SQLite"),
])
def test_not_a_workspace_errors(tmp_path, capsys, monkeypatch, content, needle):
    path = tmp_path / "odd.ddw"
    path.write_bytes(content)
    result = run_here(capsys, monkeypatch, "info", path, DETERRENCE_PASSPHRASE=PASSPHRASE)
    assert_one_line_error(result, needle)
    assert path.read_bytes() == content


def test_missing_file_error(tmp_path, capsys, monkeypatch):
    result = run_here(capsys, monkeypatch, "info", tmp_path / "gone.ddw",
                      DETERRENCE_PASSPHRASE=PASSPHRASE)
    assert_one_line_error(result, "No workspace file")
    assert not (tmp_path / "gone.ddw").exists()


def test_unreadable_passphrase_file(demo_copy, tmp_path, capsys, monkeypatch):
    result = run_here(capsys, monkeypatch, "info", "--passphrase-file", tmp_path / "nope.txt",
                      demo_copy)
    assert_one_line_error(result, "cannot read the passphrase file")


# -- init and passwd -------------------------------------------------------------------------

def test_init_refuses_a_short_passphrase(tmp_path, capsys, monkeypatch):
    short = secret_file(tmp_path, "short")
    result = run_here(capsys, monkeypatch, "init", "--passphrase-file", short, tmp_path / "new.ddw")
    assert_one_line_error(result, f"at least {cipher.MIN_PASSPHRASE} characters")
    assert not (tmp_path / "new.ddw").exists()


def test_init_then_passwd_with_awkward_passphrases(tmp_path, capsys, monkeypatch):
    old = "Zoë's \"fictional\" back\\slash passphrase"
    new = "nouveau mot de passe: «ça marche» \\'"
    old_file, new_file = secret_file(tmp_path, old, "old.txt"), secret_file(tmp_path, new, "new.txt")
    path = tmp_path / "partnership.ddw"
    result = run_here(capsys, monkeypatch, "init", "--passphrase-file", old_file,
                      "--partnership", "Fictional Partnership", path)
    assert result.returncode == 0, result.stderr
    result = run("passwd", "--passphrase-file", old_file, "--new-passphrase-file", new_file, path)
    assert result.returncode == 0, result.stderr
    assert "Passphrase changed." in result.stdout
    assert_one_line_error(run_here(capsys, monkeypatch, "info", "--passphrase-file", old_file, path),
                          "passphrase is wrong")
    result = run("info", "--passphrase-file", new_file, path)
    assert result.returncode == 0, result.stderr
    assert "Fictional Partnership" in result.stdout


def test_passwd_through_the_environment(demo_copy, capsys, monkeypatch):
    new = "another fictional passphrase"
    result = run_here(capsys, monkeypatch, "passwd", demo_copy,
                      DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE, DETERRENCE_NEW_PASSPHRASE=new)
    assert result.returncode == 0, result.stderr
    assert run_here(capsys, monkeypatch, "info", demo_copy, DETERRENCE_PASSPHRASE=new).returncode == 0


def test_passwd_refuses_a_short_new_passphrase(demo_copy, capsys, monkeypatch):
    before = sha256(demo_copy)
    result = run_here(capsys, monkeypatch, "passwd", demo_copy,
                      DETERRENCE_PASSPHRASE=DEMO_PASSPHRASE, DETERRENCE_NEW_PASSPHRASE="tiny")
    assert_one_line_error(result, f"at least {cipher.MIN_PASSPHRASE} characters")
    assert sha256(demo_copy) == before
