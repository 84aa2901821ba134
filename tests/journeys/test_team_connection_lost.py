"""Journey: the server goes away while a coordinator is typing a new partner. Save says
the connection was lost, the banner runs across the window, the form keeps every value;
the server comes back, the banner says so, Save works, and the partner is there once.

The server stopped here is a cluster of this test's own (``pg_ctl stop -m immediate``),
never the run's shared one.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import shiboken6

from driver import WAIT, dialog, field, navigate, press, see, shot, type_into
from tests.ui.team_support import (
    COORDINATOR_PASSWORD, TeamDatabase, connect_through_dialog, init_demo, start_window,
    stop_window,
)

pytestmark = pytest.mark.server

NAME = "Eastfield Youth Service (fictional)"


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() == 0:           # the cluster runs as postgres (initdb refuses root)
        return ["su", "postgres", "-s", "/bin/bash", "-c", " ".join(map(str, args))]
    return args


def _pg_ctl() -> str:
    """pg_ctl as packaging/team-server.sh finds it: $DD_PG_BIN, the newest Debian one, PATH."""
    bins = [os.environ.get("DD_PG_BIN", "")] + sorted(
        (str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True)
    for b in bins:
        if b and Path(b, "pg_ctl").exists():
            return str(Path(b, "pg_ctl"))
    return shutil.which("pg_ctl") or "pg_ctl"


@pytest.fixture
def own_server():
    """A PostgreSQL cluster for this test alone (packaging/team-server.sh), stopped and
    removed at the end."""
    import server_fixtures as sf
    reason = sf._why_no_server()
    if reason:
        if os.environ.get("DD_REQUIRE_SERVER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    directory = sf._start_cluster()
    server = sf._server_in(directory)
    pg_ctl = _pg_ctl()

    def stop():
        subprocess.run(_as_server_user([pg_ctl, "-D", directory / "data", "stop", "-m", "immediate"]),
                       check=True, capture_output=True, timeout=60)

    def start():
        subprocess.run([str(sf.SCRIPT), "start", str(directory)], check=True, capture_output=True,
                       env={**os.environ, "DD_PG_FAST": "1"}, timeout=120)
    server.stop, server.start = stop, start
    yield server
    server.close()
    sf._stop_cluster(directory)


def test_a_lost_connection_shows_the_banner_keeps_the_form_and_saves_once_back(
        qtbot, tmp_path, own_server):
    server = own_server
    server.create_database("teamui_lost")
    db: TeamDatabase = init_demo(server, "teamui_lost", "lost.coordinator", demo=False)
    server.close()                       # the admin's pool: nothing of ours left on it
    win = start_window(qtbot, tmp_path / "appdata")
    try:
        connect_through_dialog(qtbot, win, db.address(db.coordinator), COORDINATOR_PASSWORD)
        qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
        qtbot.waitUntil(lambda: win.team.live is not None and win.team.live.listener.connected,
                        timeout=WAIT)
        partners = navigate(qtbot, win, "Partners")
        press(qtbot, "New partner…", win)
        form = dialog(qtbot, "New partner")
        type_into(qtbot, field(qtbot, form, "Name"), NAME)
        type_into(qtbot, field(qtbot, form, "Lead contact"), "A. Manager (fictional)")
        before = form._snapshot()

        # -- the server goes away; Save -----------------------------------------------------
        server.stop()
        press(qtbot, "Save", form)
        see(qtbot, "The connection to the server was lost", form)
        see(qtbot, "The connection to the server was lost. Your work is kept; reconnecting…", win)
        assert win.team.banner.isVisible()
        assert form.isVisible() and form._snapshot() == before         # nothing typed is lost
        assert field(qtbot, form, "Name").text() == NAME
        shot(win, "team-lost", "banner")
        shot(form, "team-lost", "form-kept")

        # -- the server comes back: the banner says so, and Save works ----------------------
        server.start()
        see(qtbot, "Reconnected", win)
        press(qtbot, "Save", form)
        qtbot.waitUntil(lambda: not shiboken6.isValid(form) or not form.isVisible(), timeout=WAIT)
        qtbot.waitUntil(lambda: not win.team.banner.isVisible(), timeout=WAIT)
        names = win.ctx.call_sync(lambda s: [p.name for p in s.partners.all()])
        assert names.count(NAME) == 1
        qtbot.waitUntil(lambda: any(NAME in str(partners.model.index(r, 0).data())
                                    for r in range(partners.model.rowCount())), timeout=WAIT)
        assert not win.unexpected
    finally:
        stop_window(win)
