"""The service suite on both backends: a module (or test) marked ``both_backends`` runs
each test that uses ``demo_app`` or ``empty_app`` twice, on an encrypted file and on a
workspace on the test PostgreSQL server (``pg_server``, tests/server_fixtures.py).

On the server each test gets its own database, copied from a template made once per
test process (``CREATE DATABASE ... TEMPLATE``), and signs in as the workspace's user
with a login of that name, so the server's grants, row-level security and audit
function are the ones the services meet in use.
"""
from __future__ import annotations

import itertools
import os

import pytest

from conftest import DEMO_TODAY

# Every test login's password (fictional, long enough for the app's password rule).
LOGIN_PASSWORD = "fictional test login passphrase 17"
_serial = itertools.count()


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_backends: run on a workspace file and on a server workspace")
    config.addinivalue_line(
        "markers", "file_only: in a both_backends module, a test about the file itself")


def pytest_generate_tests(metafunc):
    marked = metafunc.definition.get_closest_marker
    if "backend" in metafunc.fixturenames and marked("both_backends") and not marked("file_only"):
        metafunc.parametrize("backend", ["file", pytest.param("server", marks=pytest.mark.server)])


@pytest.fixture
def backend() -> str:
    """Which backend the workspace fixtures use: a file, unless the test is marked
    ``both_backends`` (then once each)."""
    return "file"


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _credentials(_username: str) -> str:
    return LOGIN_PASSWORD


def _logins(pg_server, database: str, users: dict[str, "object"]) -> None:
    """Server logins for ``users`` (username -> Role). Logins are the cluster's, shared by
    every test process: made under an advisory lock so two never race."""
    from deterrence_desktop.store.server_roles import create_login

    engine = pg_server.admin_engine(database)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(1717)")
            for username, role in users.items():
                create_login(conn, username, LOGIN_PASSWORD, role)
    finally:
        engine.dispose()


def _template(pg_server, kind: str) -> str:
    from deterrence_desktop.domain.enums import Role
    from deterrence_desktop.domain.model import Partnership, User
    from deterrence_desktop.services import demo, server_admin

    name = f"dd_tpl_{kind}_{_worker()}"
    pg_server.drop_database(name)
    pg_server.create_database(name)
    address = pg_server.address(name, pg_server.admin)
    if kind == "demo":
        server_admin.init(address, pg_server.admin_password, demo.demo_partnership(),
                          demo.demo_coordinator(), LOGIN_PASSWORD, demo=True, today=DEMO_TODAY)
        users = {"demo.coordinator": Role.COORDINATOR, "demo.analyst": Role.ANALYST,
                 "demo.officer": Role.PARTNER_OFFICER}
    else:
        server_admin.init(address, pg_server.admin_password,
                          Partnership(name="Test Partnership (fictional)", area="Testshire"),
                          User(username="coord", display_name="Casey Testcoord"), LOGIN_PASSWORD)
        users = {"coord": Role.COORDINATOR}
    _logins(pg_server, name, users)
    return name


class _Templates:
    """The template databases of this test process, each made when first asked for."""

    def __init__(self, pg_server):
        self.pg_server = pg_server
        self.made: dict[str, str] = {}

    def __call__(self, kind: str) -> str:
        if kind not in self.made:
            self.made[kind] = _template(self.pg_server, kind)
        return self.made[kind]


@pytest.fixture(scope="session")
def _server_templates(pg_server):
    templates = _Templates(pg_server)
    yield templates
    for name in templates.made.values():
        pg_server.drop_database(name)


def server_app(pg_server, templates, kind: str, username: str):
    """A new database copied from the ``kind`` template, signed in as ``username``;
    returns (services, cleanup)."""
    from deterrence_desktop.domain.clock import FixedClock
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.store.server import ServerWorkspace

    template = templates(kind)
    name = f"dd_t_{_worker()}_{os.getpid()}_{next(_serial)}"
    pg_server.create_database(name, template=template)
    ws = ServerWorkspace.connect(pg_server.address(name, username), LOGIN_PASSWORD,
                                 credentials=_credentials)
    app = WorkspaceServices.for_server(ws, clock=FixedClock(DEMO_TODAY))

    def cleanup():
        ws.close()
        pg_server.drop_database(name)
    return app, cleanup


@pytest.fixture
def server_demo_app(pg_server, _server_templates):
    app, cleanup = server_app(pg_server, _server_templates, "demo", "demo.coordinator")
    yield app
    cleanup()


@pytest.fixture
def server_empty_app(pg_server, _server_templates):
    app, cleanup = server_app(pg_server, _server_templates, "empty", "coord")
    yield app
    cleanup()
