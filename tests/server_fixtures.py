"""A PostgreSQL team server for the tests marked ``server`` (a plugin of tests/conftest.py).

The session fixture ``pg_server`` gives the server's ``host, port, admin, admin_password,
ca_file`` and ``address(database, user)``, ``admin_engine(database)``,
``create_database(name, template=None)``, ``drop_database(name)`` and
``unique_name(prefix)``. Where the server comes from:

- the ``DD_PG_*`` environment when ``DD_PG_HOST`` is set (CI starts one with
  ``eval "$(packaging/team-server.sh start DIR PORT)"`` in ``.ci/run``);
- else a private cluster made by ``packaging/team-server.sh`` in a temp folder on a free
  port, with ``DD_PG_FAST=1`` (no fsync), stopped and removed when the run ends. Under
  pytest-xdist the workers share one: the first to need it starts it under a file lock,
  and the controller stops it after every worker has finished.

Without PostgreSQL's binaries (or openssl, or psycopg) the server tests are skipped with
the reason, unless ``DD_REQUIRE_SERVER=1``, where they fail. Several tests and workers
share one server: give databases and logins names from ``pg_server.unique_name``.

A test that stops or crashes the server (``stop("immediate")`` then ``start()``) asks for
``pg_private_server`` instead: a cluster of its own for the test module, whatever the
environment says, so the other tests never see it go away.
"""
from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections import namedtuple
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "packaging" / "team-server.sh"
_SHARED_DIR = "dd_pg_shared_dir"         # workerinput key: where xdist workers meet

try:                                     # team-core's address; a stand-in until it lands
    from deterrence_desktop.store.server import ServerAddress
except ImportError:                      # pragma: no cover - only before the merge
    ServerAddress = namedtuple("ServerAddress", "host port database user ca_file")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist controller: every worker gets the same folder to meet in (made by the first)."""
    config = node.config
    if not hasattr(config, "_dd_pg_shared"):
        config._dd_pg_shared = os.path.join(
            tempfile.gettempdir(), f"dd-pg-shared-{os.getpid()}-{secrets.token_hex(4)}")
    node.workerinput[_SHARED_DIR] = config._dd_pg_shared


def pytest_sessionfinish(session):
    """xdist controller: stop the cluster the workers shared, once all of them are done."""
    shared = getattr(session.config, "_dd_pg_shared", None)
    if shared and os.path.isdir(shared):
        info = Path(shared) / "cluster.json"
        if info.exists():
            _stop_cluster(Path(json.loads(info.read_text())["dir"]))
        shutil.rmtree(shared, ignore_errors=True)


@dataclass
class PgServer:
    host: str
    port: int
    admin: str
    admin_password: str = field(repr=False)
    ca_file: str
    directory: Path | None = None        # the cluster's folder when this run started it
    private: bool = False                # only pg_private_server may be stopped and started
    _engines: dict = field(default_factory=dict, repr=False)
    _names: itertools.count = field(default_factory=itertools.count, repr=False)

    def address(self, database: str = "deterrence", user: str = "") -> ServerAddress:
        return ServerAddress(host=self.host, port=self.port, database=database,
                             user=user or self.admin, ca_file=self.ca_file)

    def url(self, database: str = "postgres", user: str | None = None, password: str | None = None):
        """A SQLAlchemy URL (postgresql+psycopg, TLS verified against the CA), default the admin."""
        from sqlalchemy import URL
        if user is None:
            user, password = self.admin, self.admin_password
        return URL.create("postgresql+psycopg", username=user, password=password, host=self.host,
                          port=self.port, database=database,
                          query={"sslmode": "verify-full", "sslrootcert": self.ca_file})

    def admin_engine(self, database: str = "postgres"):
        """The administrator's engine on ``database`` (one per database, disposed at the end)."""
        if database not in self._engines:
            from sqlalchemy import create_engine
            self._engines[database] = create_engine(self.url(database), pool_pre_ping=True)
        return self._engines[database]

    def create_database(self, name: str, template: str | None = None) -> None:
        from psycopg import sql
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            # FILE_COPY: a small database copies in half the time WAL_LOG takes (0.6 s
            # against 1.3 s for the demo), at the price of a checkpoint a test cluster
            # without fsync hardly pays.
            statement += sql.SQL(" TEMPLATE {} STRATEGY FILE_COPY").format(sql.Identifier(template))
        self._autocommit(statement)

    def drop_database(self, name: str) -> None:
        from psycopg import sql
        engine = self._engines.pop(name, None)
        if engine is not None:
            engine.dispose()
        self._autocommit(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def unique_name(self, prefix: str = "dd") -> str:
        """A database or login name no other test or xdist worker of this run uses."""
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        return f"{prefix}_{worker}_{os.getpid()}_{next(self._names)}"

    def _autocommit(self, statement) -> None:
        engine = self.admin_engine("postgres").execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(statement.as_string())

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" (sessions ended cleanly) or "immediate" (a crash: the
        next start recovers from the WAL)."""
        self._own_cluster()
        self.close()
        subprocess.run([str(SCRIPT), "stop", str(self.directory), mode], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        """Start it again on the same port (after ``stop``)."""
        self._own_cluster()
        _run_script("start", self.directory, self.port)

    def _own_cluster(self) -> None:
        if not self.private:
            raise RuntimeError("the run's shared server is not stopped by a test: use pg_private_server")

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


def _from_environment() -> PgServer | None:
    if not os.environ.get("DD_PG_HOST"):
        return None
    missing = [n for n in ("DD_PG_PORT", "DD_PG_CA", "DD_PG_ADMIN_PASSWORD_FILE") if not os.environ.get(n)]
    if missing:
        pytest.fail(f"DD_PG_HOST is set but not {', '.join(missing)} (see packaging/team-server.sh)")
    return PgServer(host=os.environ["DD_PG_HOST"], port=int(os.environ["DD_PG_PORT"]),
                    admin=os.environ.get("DD_PG_ADMIN", "postgres"),
                    admin_password=Path(os.environ["DD_PG_ADMIN_PASSWORD_FILE"]).read_text().strip(),
                    ca_file=os.environ["DD_PG_CA"])


def _why_no_server() -> str | None:
    """Why this machine cannot run a test cluster, or None when it can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    if shutil.which("openssl") is None:
        return "openssl is not installed (apt-get install openssl)"
    if os.environ.get("DD_PG_BIN"):         # as packaging/team-server.sh looks for them
        found = Path(os.environ["DD_PG_BIN"], "initdb").exists()
    else:
        found = any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or shutil.which("initdb") is not None
    if not found:
        return "PostgreSQL's binaries are not installed (apt-get install postgresql, or set DD_PG_BIN)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_script(command: str, directory: Path, port: int) -> None:
    try:
        subprocess.run([str(SCRIPT), command, str(directory), str(port)], check=True,
                       env={**os.environ, "DD_PG_FAST": "1"}, capture_output=True, text=True,
                       timeout=120)
    except subprocess.CalledProcessError as e:
        pytest.fail(f"packaging/team-server.sh could not start a test cluster:\n{e.stderr}")


def _start_cluster() -> Path:
    """A new cluster in a folder of its own (under the system temp folder: run as root, the
    server's user must be able to enter it, and pytest's own temp folder is root's alone)."""
    directory = Path(tempfile.mkdtemp(prefix="dd-pg-"))
    try:
        _run_script("start", directory, _free_port())
    except BaseException:
        _stop_cluster(directory)
        raise
    return directory


def _stop_cluster(directory: Path) -> None:
    subprocess.run([str(SCRIPT), "stop", str(directory)], capture_output=True, timeout=120)
    shutil.rmtree(directory, ignore_errors=True)


def _server_in(directory: Path) -> PgServer:
    return PgServer(host="127.0.0.1", port=int((directory / "port").read_text()), admin="postgres",
                    admin_password=(directory / "admin-password").read_text().strip(),
                    ca_file=str(directory / "ca.crt"), directory=directory)


def _shared_cluster(shared: str) -> Path:
    """The cluster this run's xdist workers share: started by the first that asks."""
    import fcntl
    os.makedirs(shared, mode=0o700, exist_ok=True)
    info = Path(shared) / "cluster.json"
    with open(Path(shared) / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not info.exists():
            info.write_text(json.dumps({"dir": str(_start_cluster())}))
        return Path(json.loads(info.read_text())["dir"])


def _skip_without_server() -> None:
    reason = _why_no_server()
    if reason:
        if os.environ.get("DD_REQUIRE_SERVER") == "1":
            pytest.fail(f"DD_REQUIRE_SERVER=1 but no server can be started: {reason}")
        pytest.skip(f"no PostgreSQL server for the team-mode tests: {reason}")


@pytest.fixture(scope="session")
def pg_server(request):
    """The run's PostgreSQL server (see this module's docstring)."""
    server = _from_environment()
    if server is not None:
        yield server
        server.close()
        return
    _skip_without_server()
    workerinput = getattr(request.config, "workerinput", {})
    shared = workerinput.get(_SHARED_DIR)
    if shared and os.name == "posix":
        server = _server_in(_shared_cluster(shared))     # the controller stops it
        yield server
        server.close()
        return
    directory = _start_cluster()
    try:
        server = _server_in(directory)
        yield server
        server.close()
    finally:
        _stop_cluster(directory)


@pytest.fixture(scope="module")
def pg_private_server():
    """A cluster of the test module's own, which its tests may stop, crash and start."""
    _skip_without_server()
    directory = _start_cluster()
    try:
        server = _server_in(directory)
        server.private = True
        yield server
        server.close()
    finally:
        _stop_cluster(directory)


@pytest.fixture
def empty_database(pg_server):
    """A new, empty database of this test's own on the shared server (dropped after)."""
    name = pg_server.unique_name("db")
    pg_server.create_database(name)
    yield name
    pg_server.drop_database(name)
