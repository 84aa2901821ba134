"""The team mode commands as an administrator and a coordinator type them: `server init`,
`server add-user`, then `witness` and `check` on the server's address."""
from __future__ import annotations

import re

import pytest

from deterrence_desktop.cli import main

pytestmark = pytest.mark.server

COORDINATOR_PASSWORD = "fictional coordinator passphrase 17"
OFFICER_PASSWORD = "fictional officer passphrase 17"


def url(pg_server, database: str, user: str) -> str:
    return pg_server.address(database, user).text()


def run(capsys, monkeypatch, *args, password: str, new_password: str | None = None):
    monkeypatch.setenv("DD_SERVER_PASSWORD", password)
    if new_password is not None:
        monkeypatch.setenv("DD_NEW_USER_PASSWORD", new_password)
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_init_add_user_witness_and_check_on_a_server(pg_server, empty_database, tmp_path,
                                                      capsys, monkeypatch):
    database = empty_database
    admin = url(pg_server, database, pg_server.admin)
    coordinator = pg_server.unique_name("alex")
    officer = pg_server.unique_name("drew")
    code, out, err = run(capsys, monkeypatch, "server", "init", admin, "--coordinator", coordinator,
                         "--display-name", "Alex Example (fictional)", "--partnership",
                         "Bluetown Violence Reduction Partnership (fictional)", "--area", "Bluetown",
                         "--demo", password=pg_server.admin_password,
                         new_password=COORDINATOR_PASSWORD)
    assert code == 0, err
    assert "with the demo" in out and coordinator in out
    assert COORDINATOR_PASSWORD not in out + err and pg_server.admin_password not in out + err

    # A second init changes nothing.
    code, out, err = run(capsys, monkeypatch, "server", "init", admin, "--coordinator", "someone.else",
                         password=pg_server.admin_password, new_password=COORDINATOR_PASSWORD)
    assert code != 0 and "already holds a workspace" in err

    code, out, err = run(capsys, monkeypatch, "server", "add-user", admin, officer, "--role",
                         "partner_officer", "--partner", "Fictionbury Police",
                         "--display-name", "Drew Example (fictional)",
                         password=pg_server.admin_password, new_password=OFFICER_PASSWORD)
    assert code == 0, err
    assert "partner officer" in out

    # The coordinator writes a witness of the trail's head, and check compares it.
    as_coordinator = url(pg_server, database, coordinator)
    witness = tmp_path / "witness.txt"
    code, out, err = run(capsys, monkeypatch, "witness", as_coordinator, "--out", witness,
                         password=COORDINATOR_PASSWORD)
    assert code == 0, err
    code, out, err = run(capsys, monkeypatch, "check", as_coordinator, "--anchor", witness,
                         password=COORDINATOR_PASSWORD)
    assert code == 0, out + err
    assert "PASS  audit chain" in out and "PASS  audit anchors" in out and "1 witness file" in out

    # A witness that does not hold (someone changed the trail, or the file) fails check.
    text = witness.read_text()
    forged = re.sub(r"\b([0-9a-f]{64})\b", lambda m: "0" * 64, text, count=1)
    assert forged != text
    witness.write_text(forged)
    code, out, err = run(capsys, monkeypatch, "check", as_coordinator, "--anchor", witness,
                         password=COORDINATOR_PASSWORD)
    assert code == 1 and "FAIL  audit anchors" in out

    # A partner officer sees only part of the trail: check is not theirs to run.
    code, out, err = run(capsys, monkeypatch, "check", url(pg_server, database, officer),
                         password=OFFICER_PASSWORD)
    assert code != 0 and "partner officer" in err
    # A wrong password is a clear one-line refusal.
    code, out, err = run(capsys, monkeypatch, "check", as_coordinator, password="not it at all")
    assert code != 0 and "refused the user name or password" in err
    assert "Traceback" not in err
