"""Load and faults, short: three clients for about 15 s, the server killed once in the middle
(``pg_ctl stop -m immediate``) and started again. No accepted write is lost, none is written
twice, and the audit chain is intact. The figures are the benchmark's
(tests/benchmarks/bench_team_load.py); no latency is asserted here."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_team_load as load  # noqa: E402

pytestmark = pytest.mark.server


def test_three_clients_lose_no_accepted_write_when_the_server_is_killed(pg_private_server,
                                                                         tmp_path):
    setup = load.set_up(pg_private_server, "load", clients=3, workdir=tmp_path)
    assert [login.role for login in setup.logins] == ["coordinator", "partner_officer",
                                                      "partner_officer"]
    summary = load.run(pg_private_server, "load", setup, duration=15, kill_at=6, down=1.0,
                       workdir=tmp_path)
    print(load.report(summary))
    assert summary["problems"] == [], summary["error_samples"]
    assert not summary["errors"], summary["error_samples"]
    assert summary["chain_ok"]
    accepted = summary["accepted"]
    assert accepted["board_move"] > 0 and accepted["communication"] > 0
    # The kill was felt, and every client came back to work after it.
    assert summary["outage_seconds"] is not None and sum(summary["retries"].values()) > 0

    # The check is not vacuous: a write said to be accepted but not there, and two accepted
    # writes that made the same version of one action (a lost update), are both caught.
    now = load.action_state(pg_private_server, "load")
    aid, row = next(iter(now.items()))
    made = [[aid, row.version + 1, "done", "mine"], [aid, row.version + 1, "blocked", "theirs"]]
    caught = load.check(pg_private_server, "load", now, [{
        "username": "fabricated", "moves": made,
        "communications": [[10**9, "Load test contact never written (fictional)"]]}])
    assert any("lost update" in p for p in caught["problems"])
    assert any("version went up by 0 for 2" in p for p in caught["problems"])
    assert any(f"communication {10**9}: found 0 times" in p for p in caught["problems"])
