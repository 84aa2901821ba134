"""A workspace on a PostgreSQL server, for a partnership that outgrows one laptop.

The same tables, the same Alembic history and the same services as the encrypted file
(:mod:`.workspace`); only the connection differs. Every connection is TLS with the
server's certificate verified against the partnership's CA file (``sslmode=verify-full``),
and signs in with the user's own server login (SCRAM-SHA-256): the login *is* the user,
so there is no file passphrase and no second sign-in. What each role may read and write
is enforced by the server (grants and row-level security, migration 0007); the services'
own checks stay, so a refusal is explained before the server has to make it.

A dropped connection during a transaction becomes :class:`ConnectionLost` (the
transaction rolled back; the form keeps its contents and the app reconnects: the pool
pings a connection before it hands it out).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from ..domain.enums import Role
from ..domain.errors import PermissionDenied
from .errors import (
    CONNECTION_LOST_MESSAGE, ConnectionLost, ServerRefused, StorageError,
    WorkspaceError,
)
from . import migrations
from .base import WorkspaceBase

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
DEFAULT_PORT = 5432
GROUP_ROLES = {Role.COORDINATOR: "dd_coordinator", Role.ANALYST: "dd_analyst",
               Role.PARTNER_OFFICER: "dd_partner_officer"}
ANALYST_SCHEMA = "dd_analyst_view"
APPLICATION_NAME = "deterrence-desktop"

# A password for another login (tests; a tool that holds several logins): username -> password.
Credentials = Callable[[str], "str | None"]


@dataclass(frozen=True)
class ServerAddress:
    """Where a server workspace is: never holds a password. ``host`` may list several
    hosts separated by commas (a primary and its standby); the connection then goes to
    whichever accepts writes (``target_session_attrs=read-write``)."""
    host: str
    port: int = DEFAULT_PORT
    database: str = "deterrence"
    user: str = ""
    ca_file: str = ""

    def label(self) -> str:
        """``user@host:port/database``: for the recent list and messages."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"

    def text(self) -> str:
        """The address as a URL without a password, e.g. for the recent list."""
        url = f"postgresql://{quote(self.user, safe='')}@{self.host}:{self.port}/" \
              f"{quote(self.database, safe='')}"
        return f"{url}?sslrootcert={quote(self.ca_file, safe='/')}" if self.ca_file else url

    def with_user(self, user: str) -> "ServerAddress":
        return replace(self, user=user)

    def conninfo(self, password: str | None = None, **extra: object) -> dict[str, object]:
        params: dict[str, object] = dict(
            host=self.host, port=",".join([str(self.port)] * len(self.host.split(","))),
            dbname=self.database, user=self.user, sslmode="verify-full",
            sslrootcert=self.ca_file, connect_timeout=5, application_name=APPLICATION_NAME,
            # A peer that vanishes (cable pulled, server host down) is noticed in seconds.
            keepalives=1, keepalives_idle=10, keepalives_interval=3, keepalives_count=3)
        if "," in self.host:
            params["target_session_attrs"] = "read-write"
        if password is not None:
            params["password"] = password
        params.update(extra)
        return params

    def dsn(self, password: str | None = None, **extra: object) -> str:
        """A libpq connection string (for psycopg.connect, e.g. the change listener)."""
        from psycopg.conninfo import make_conninfo
        return make_conninfo(**{k: str(v) for k, v in self.conninfo(password, **extra).items()})

    @classmethod
    def is_address(cls, text: str) -> bool:
        return any(str(text).startswith(f"{scheme}://") for scheme in SCHEMES)

    @classmethod
    def parse(cls, text: str) -> "ServerAddress":
        """``postgresql://user@host:port/database?sslrootcert=PATH``. A password in the
        URL is refused: it would end up in shell histories and the recent list."""
        parts = urlsplit(str(text).strip())
        if parts.scheme not in SCHEMES:
            raise ServerRefused("A server address starts with postgresql://, e.g. "
                                "postgresql://user@host:5432/deterrence?sslrootcert=ca.crt")
        if parts.password is not None:
            raise ServerRefused("Leave the password out of the server address: the app asks "
                                "for it (or reads $DD_SERVER_PASSWORD)")
        netloc = parts.netloc.rpartition("@")[2]
        hosts, ports = [], []
        for hp in netloc.split(","):
            host, sep, port = hp.rpartition(":") if hp.count(":") == 1 else (hp, "", "")
            hosts.append(host if sep else hp)
            if sep:
                ports.append(port)
        try:
            port = int(ports[0]) if ports else DEFAULT_PORT
        except ValueError:
            raise ServerRefused("The port in the server address is not a number") from None
        query = parse_qs(parts.query)
        database = unquote(parts.path.lstrip("/")) or "deterrence"
        host = ",".join(h for h in hosts if h)
        if not host:
            raise ServerRefused("The server address has no host name")
        return cls(host=host, port=port, database=database,
                   user=unquote(parts.username or ""),
                   ca_file=(query.get("sslrootcert") or [""])[0])


def _connect_function(address: ServerAddress, password: str | None):
    def connect():
        import psycopg
        return psycopg.connect(**address.conninfo(password))
    return connect


def admin_engine(address: ServerAddress, password: str | None, **kw) -> Engine:
    """An engine for the server's administrator (``server init``/``upload``/``download``
    and tests): the same TLS rules, no workspace checks."""
    check_ca_file(address)
    return create_engine("postgresql+psycopg://", creator=_connect_function(address, password),
                         hide_parameters=True, **kw)


def check_ca_file(address: ServerAddress) -> None:
    if not address.ca_file:
        raise ServerRefused(
            "Choose the partnership's CA certificate file: the server's certificate is "
            "checked against it (add ?sslrootcert=PATH to the address)")
    if not Path(address.ca_file).is_file():
        raise ServerRefused(f"The CA certificate file {Path(address.ca_file).name} cannot be "
                            "found or read")


def refusal(exc: BaseException, address: ServerAddress) -> ServerRefused:
    """A clear sentence for a connection the server (or the network) refused."""
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or ""
    msg = str(orig).lower()
    where = f"{address.host}:{address.port}"
    if state in ("28P01", "28000") and "pg_hba" not in msg or "password authentication failed" in msg:
        return ServerRefused("The server refused the user name or password")
    if "certificate" in msg or "ssl" in msg and "verify" in msg:
        return ServerRefused(
            f"The certificate of the server at {where} could not be verified with the CA file "
            f"{Path(address.ca_file).name}: check the CA file and that the host name is the one "
            "on the server's certificate")
    if "pg_hba" in msg or "no encryption" in msg:
        return ServerRefused(f"The server at {where} does not accept this connection (its access "
                             "rules have no entry for this user, database and TLS connection)")
    if state == "42501" or "permission denied" in msg:
        return ServerRefused(f"The server at {where} refused this login the workspace (it has no "
                             "rights on the database): a coordinator grants them with "
                             "`deterrence-desktop server add-user`")
    if state == "3D000" or ("database" in msg and "does not exist" in msg):
        return ServerRefused(f"There is no database {address.database} on the server at {where}")
    if state == "57P03" or "starting up" in msg or "shutting down" in msg:
        return ServerRefused(f"The server at {where} is starting or stopping: try again in a moment")
    return ServerRefused(f"The server at {where} cannot be reached: check the address, the "
                         "network and that the server is running")


def _is_disconnect(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    import psycopg
    orig = exc.orig
    if isinstance(orig, psycopg.OperationalError):
        state = getattr(orig, "sqlstate", None) or ""
        return state[:2] in ("", "08", "57")      # connection exceptions, operator intervention
    return False


def translate(exc: DBAPIError) -> Exception | None:
    """A clear error for a failed statement on the server, or None to let it through."""
    import psycopg
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or ""
    if _is_disconnect(exc):
        return ConnectionLost(CONNECTION_LOST_MESSAGE)
    if state == "42501" or isinstance(orig, psycopg.errors.InsufficientPrivilege):
        return PermissionDenied("The server refused: your role cannot do this")
    if state == "53100":
        return StorageError("The server's disk is full: nothing was saved. Ask its "
                            "administrator to free some space.")
    if state[:2] == "53":
        return StorageError("The server is out of resources: nothing was saved. Try again "
                            "in a moment.")
    if "nul" in str(orig).lower() and "0x00" in str(orig).lower():
        return StorageError("A value holds a NUL character, which the server cannot store: "
                            "nothing was saved. Remove it and save again.")
    if state == "22001":
        return StorageError("A value is longer than the workspace allows: nothing was saved. "
                            "Shorten it and save again.")
    return None


class ServerWorkspace(WorkspaceBase):
    """An open server workspace; the same duck type as :class:`.workspace.Workspace`."""

    kind = "server"
    path = None
    read_only = False

    def __init__(self, address: ServerAddress, password: str | None, *,
                 credentials: Credentials | None = None):
        check_ca_file(address)
        self.address = address
        self.username = address.user
        self.credentials = credentials
        self.notices: list[str] = []
        self._password = password
        self._closed = False
        self._role: Role | None = None
        self._others: dict[str, ServerWorkspace] = {}
        self.engine: Engine = create_engine(
            "postgresql+psycopg://", creator=_connect_function(address, password),
            pool_size=4, max_overflow=4, pool_pre_ping=True, pool_timeout=10,
            hide_parameters=True)       # SQL errors never carry the values (personal data)
        event.listen(self.engine, "connect", self._on_connect)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _on_connect(self, dbapi_conn, _record) -> None:
        # An analyst reads the tables that hold names through views without them: the
        # views come first on the search path, so the same queries read them.
        role = self._role if self._role is not None else _role_of(dbapi_conn)
        self._role = role
        if role == Role.ANALYST:
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT set_config('search_path', %s, false)",
                            (f"{ANALYST_SCHEMA}, public",))
        dbapi_conn.commit()

    # -- lifecycle -------------------------------------------------------------
    @classmethod
    def connect(cls, address: ServerAddress, password: str | None, *,
                credentials: Credentials | None = None) -> "ServerWorkspace":
        """Sign in to the server and check it holds this app's workspace at this version."""
        ws = cls(address, password, credentials=credentials)
        try:
            with ws.engine.connect() as conn:
                state = migrations.state_on(conn)
                name = conn.exec_driver_sql("SELECT session_user").scalar()
        except WorkspaceError:
            ws.close()
            raise
        except DBAPIError as exc:
            ws.close()
            raise refusal(exc, address) from None
        if state.current is None:
            ws.close()
            raise ServerRefused(
                f"The database {address.database} is not a Deterrence Desktop workspace yet: "
                "its administrator sets it up with `deterrence-desktop server init`")
        if state.pending:
            ws.close()
            raise ServerRefused(
                f"The workspace on the server needs an upgrade to this version: ask its "
                f"administrator to run `deterrence-desktop server upgrade` (schema {state.current} "
                f"to {state.head})")
        ws.username = str(name)
        return ws

    def connect_as(self, username: str) -> "ServerWorkspace":
        """The same server workspace signed in as another login (its password comes from
        the credentials given when connecting; without them, refused)."""
        if username == self.username:
            return self
        if username in self._others and not self._others[username].closed:
            return self._others[username]
        password = self.credentials(username) if self.credentials else None
        if password is None:
            raise PermissionDenied(
                "On a server workspace each user signs in with their own login")
        other = ServerWorkspace.connect(self.address.with_user(username), password,
                                        credentials=self.credentials)
        self._others[username] = other
        return other

    def close(self) -> None:
        for other in self._others.values():
            other.close()
        self._others.clear()
        self.engine.dispose()
        self._password = None
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

    # -- work ------------------------------------------------------------------
    def _clear_error(self, exc: DBAPIError) -> Exception | None:
        return translate(exc)

    def ping(self) -> bool:
        """True when the server answers now (a fresh connection if the old ones died)."""
        if self._closed:
            return False
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except DBAPIError:
            return False

    def role(self) -> Role | None:
        """The group role the server gives this login (what its grants enforce)."""
        if self._role is None:
            with self.engine.connect() as conn:
                self._role = _role_of(conn.connection.dbapi_connection)
        return self._role

    def checkpoint(self) -> None:
        """Nothing to merge on a server (its WAL is the server's business)."""


def _role_of(dbapi_conn) -> Role | None:
    """:func:`.server_roles.role_of` on a driver connection (the pool's connect event)."""
    from .server_roles import MEMBERSHIPS, role_among
    with dbapi_conn.cursor() as cur:
        cur.execute(MEMBERSHIPS)
        return role_among({name for (name,) in cur.fetchall()})
