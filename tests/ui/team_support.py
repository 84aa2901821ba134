"""Server workspaces for the team-mode UI tests: the demo partnership on a PostgreSQL server,
with a coordinator's and a police partner officer's logins (fictional people only).

The demo is made once a run in a template database; each test gets a copy of its own
(``pg_server.create_database(name, template=...)``) with the logins' CONNECT granted again.
Logins are cluster-wide, so their names come from ``pg_server.unique_name``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

COORDINATOR_PASSWORD = "fictional coordinator password"
OFFICER_PASSWORD = "fictional officer password"


@dataclass
class TeamDatabase:
    pg: object                   # tests/server_fixtures.PgServer
    database: str
    coordinator: str             # login = app username
    officer: str
    officer_partner: str = ""

    def address(self, user: str):
        return self.pg.address(self.database, user)


def init_demo(pg, database: str, coordinator: str, officer: str = "", *, demo: bool = True,
              admin_address=None) -> TeamDatabase:
    """``server init`` (the demo's fictional partnership, unless not ``demo``) and a police
    officer's login (when ``officer`` is given)."""
    from sqlalchemy import text

    from conftest import DEMO_TODAY
    from deterrence_desktop.domain.enums import Role
    from deterrence_desktop.domain.model import Partnership, User
    from deterrence_desktop.services import server_admin
    from deterrence_desktop.store.server import admin_engine

    admin = admin_address or pg.address(database, pg.admin)
    server_admin.init(admin, pg.admin_password,
                      Partnership(name="Northtown Partnership (fictional)", area="Northtown"),
                      User(username=coordinator, display_name="Casey Coordinator (fictional)"),
                      COORDINATOR_PASSWORD, demo=demo, today=DEMO_TODAY)
    engine = admin_engine(admin, pg.admin_password)
    try:
        with engine.connect() as conn:
            partner_id, partner = conn.execute(text(
                "SELECT id, name FROM partner ORDER BY (type = 'police') DESC, id LIMIT 1")
            ).one() if officer else (None, "")
    finally:
        engine.dispose()
    if officer:
        server_admin.add_user(admin, pg.admin_password,
                              User(username=officer, display_name="Drew Officer (fictional)",
                                   role=Role.PARTNER_OFFICER, partner_id=partner_id),
                              OFFICER_PASSWORD)
    return TeamDatabase(pg, database, coordinator, officer, partner)


def copy_of(template: TeamDatabase, name: str) -> TeamDatabase:
    """A copy of the template database, its logins able to connect to it."""
    from sqlalchemy import text

    pg = template.pg
    pg.create_database(name, template=template.database)
    with pg.admin_engine(name).begin() as conn:
        for login in (template.coordinator, template.officer):
            conn.execute(text(f'GRANT CONNECT ON DATABASE "{name}" TO "{login}"'))
    return TeamDatabase(pg, name, template.coordinator, template.officer, template.officer_partner)


def other_ca(tmp_path: Path) -> Path:
    """A CA certificate that did not sign the server's certificate."""
    import subprocess
    ca = tmp_path / "other-ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(tmp_path / "other-ca.key"),
                    "-out", str(ca), "-days", "1", "-subj", "/CN=Another CA (test)"],
                   check=True, capture_output=True)
    return ca


# -- fixtures (imported by the test modules that use them) -----------------------------------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def team_template(pg_server):
    """The demo on the run's server, made once; tests take copies."""
    name = pg_server.unique_name("teamui_tpl")
    pg_server.create_database(name)
    db = init_demo(pg_server, name, pg_server.unique_name("coord"), pg_server.unique_name("officer"))
    yield db
    pg_server.drop_database(name)


@pytest.fixture
def team_db(pg_server, team_template):
    """A database of this test's own, holding the demo partnership."""
    db = copy_of(team_template, pg_server.unique_name("teamui"))
    yield db
    pg_server.drop_database(db.database)


def start_window(qtbot, data_dir: Path, size=None):
    """The main window as ``deterrence-desktop`` starts it (the start screen), in ``data_dir``."""
    from journeys.fixtures import open_window
    return open_window(qtbot, data_dir, demo=False, size=size)


def stop_window(win) -> None:
    from deterrence_desktop import paths
    win.before_close()
    win.ctx.runner.shutdown()
    paths.set_data_dir(None)
    assert not win.unexpected, [f"{type(e).__name__}: {e}" for e in win.unexpected]


def connect_through_dialog(qtbot, win, address, password: str, *, choose_ca: bool = True):
    """Press "Connect to a server…", type the fields, choose the CA file, press Connect.
    Returns the dialog (closed once connected)."""
    from tests.journeys.driver import dialog, field, file_dialog, press, type_into

    press(qtbot, "Connect to a server…", win)
    dlg = dialog(qtbot, "Connect to a server")
    type_into(qtbot, field(qtbot, dlg, "Host"), address.host)
    type_into(qtbot, field(qtbot, dlg, "Port"), str(address.port))
    type_into(qtbot, field(qtbot, dlg, "Database"), address.database)
    type_into(qtbot, field(qtbot, dlg, "User name"), address.user)
    if choose_ca:
        press(qtbot, "Choose…", dlg)
        file_dialog(qtbot, "The partnership's CA certificate", address.ca_file)
    type_into(qtbot, field(qtbot, dlg, "Password"), password)
    press(qtbot, "Connect", dlg)
    return dlg
