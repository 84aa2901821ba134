"""The team server made by packaging/team-server.sh (or CI's, from the DD_PG_* environment):
TLS is required and verified, passwords are SCRAM, and the fixture's database helpers work."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

server = pytest.mark.server


def connect(pg, host=None, **options):
    return psycopg.connect(host=host or pg.host, port=pg.port, user=pg.admin, password=pg.admin_password,
                           dbname="postgres", connect_timeout=10, **options)


@server
def test_a_connection_without_tls_is_refused(pg_server):
    with pytest.raises(psycopg.OperationalError, match="no pg_hba.conf entry.*no encryption"):
        connect(pg_server, sslmode="disable")


@server
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_server_certificate_verifies_for_both_names(pg_server, host):
    with connect(pg_server, host, sslmode="verify-full", sslrootcert=pg_server.ca_file) as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (True,)


@server
def test_a_server_not_signed_by_the_given_ca_is_refused(pg_server, tmp_path):
    other_ca = tmp_path / "other-ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(tmp_path / "other-ca.key"), "-out", str(other_ca),
                    "-days", "1", "-subj", "/CN=Another CA"], check=True, capture_output=True)
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        connect(pg_server, sslmode="verify-full", sslrootcert=str(other_ca))


@server
def test_only_tls_with_scram_is_accepted_from_the_network(pg_server):
    with connect(pg_server, sslmode="verify-full", sslrootcert=pg_server.ca_file) as conn:
        rules = conn.execute("SELECT type, auth_method FROM pg_hba_file_rules WHERE type <> 'local'").fetchall()
        assert rules and set(rules) == {("hostssl", "scram-sha-256")}


@server
def test_passwords_are_stored_as_scram(pg_server):
    login = pg_server.unique_name("login")
    with connect(pg_server, sslmode="verify-full", sslrootcert=pg_server.ca_file, autocommit=True) as conn:
        assert conn.execute("SHOW password_encryption").fetchone() == ("scram-sha-256",)
        conn.execute(psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'fictional test password'").format(
            psycopg.sql.Identifier(login)))
        try:
            stored = dict(conn.execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (%s, %s)",
                                       (pg_server.admin, login)).fetchall())
        finally:
            conn.execute(psycopg.sql.SQL("DROP ROLE {}").format(psycopg.sql.Identifier(login)))
    assert stored[pg_server.admin].startswith("SCRAM-SHA-256$")
    assert stored[login].startswith("SCRAM-SHA-256$")


@server
def test_create_a_database_from_a_template_and_drop_it(pg_server):
    first, second = pg_server.unique_name("cluster"), pg_server.unique_name("cluster")
    pg_server.create_database(first)
    try:
        with pg_server.admin_engine(first).begin() as conn:
            conn.execute(text("CREATE TABLE lever (name text)"))
            conn.execute(text("INSERT INTO lever VALUES ('Fictional curfew check')"))
        pg_server.admin_engine(first).dispose()             # a template must have no one connected
        pg_server.create_database(second, template=first)
        with pg_server.admin_engine(second).connect() as conn:
            assert conn.execute(text("SELECT current_database(), name FROM lever")).one() == (
                second, "Fictional curfew check")
    finally:
        pg_server.drop_database(second)
        pg_server.drop_database(first)
    with pg_server.admin_engine().connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM pg_database WHERE datname IN (:a, :b)"),
                            {"a": first, "b": second}).scalar()
    assert left == 0


@server
def test_address_names_the_server_database_login_and_ca(pg_server):
    address = pg_server.address("deterrence", "fictional_coordinator")
    assert (address.host, address.port, address.database, address.user, address.ca_file) == (
        pg_server.host, pg_server.port, "deterrence", "fictional_coordinator", pg_server.ca_file)


@server
def test_the_secrets_are_private_and_start_reuses_a_running_cluster(pg_server):
    directory = pg_server.directory or Path(pg_server.ca_file).parent      # CI's: DD_PG_CA is in its folder
    if not (directory / "data" / "PG_VERSION").exists():
        pytest.skip("the DD_PG_* environment names a server packaging/team-server.sh did not make")
    for name in ("admin-password", "ca.key", "server.key"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600, name
    assert (directory / "server.key").stat().st_uid == (directory / "data").stat().st_uid   # the server's user
    script = Path(__file__).resolve().parents[2] / "packaging" / "team-server.sh"
    again = subprocess.run([str(script), "start", str(directory)], check=True, capture_output=True, text=True)
    assert "already running" in again.stderr
    assert f"postgresql://postgres@127.0.0.1:{pg_server.port}/postgres?sslrootcert={pg_server.ca_file}" in again.stderr
    assert pg_server.admin_password not in again.stdout + again.stderr
    evaluated = subprocess.run(                 # the README's eval "$(packaging/team-server.sh start DIR)"
        ["bash", "-c", 'eval "$1" && env | grep ^DD_PG_ | sort', "-", again.stdout],
        check=True, capture_output=True, text=True, env={"PATH": os.environ["PATH"]}).stdout
    assert evaluated.splitlines() == [
        "DD_PG_ADMIN=postgres", f"DD_PG_ADMIN_PASSWORD_FILE={directory / 'admin-password'}",
        f"DD_PG_CA={pg_server.ca_file}", "DD_PG_HOST=127.0.0.1", f"DD_PG_PORT={pg_server.port}"]


@server
def test_a_crashed_server_comes_back_with_what_was_committed(pg_private_server):
    pg = pg_private_server
    with pg.admin_engine().begin() as conn:
        conn.execute(text("CREATE TABLE call_in (title text)"))
        conn.execute(text("INSERT INTO call_in VALUES ('Fictional spring call-in')"))
    pg.stop("immediate")
    with pytest.raises(psycopg.OperationalError):
        connect(pg, sslmode="verify-full", sslrootcert=pg.ca_file)
    pg.start()
    with pg.admin_engine().connect() as conn:
        assert conn.execute(text("SELECT title FROM call_in")).scalar() == "Fictional spring call-in"


NO_SERVER_TEST = """
def test_needs_a_server(pg_server):
    pass
"""


@pytest.mark.parametrize("required, outcome", [("", "1 skipped"), ("1", "1 error")])
def test_without_postgresql_the_server_tests_skip_unless_required(tmp_path, required, outcome):
    (tmp_path / "test_needs_a_server.py").write_text(NO_SERVER_TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DD_PG_")}
    env.update(DD_PG_BIN=str(tmp_path / "nowhere"), DD_REQUIRE_SERVER=required, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "server_fixtures", "-p", "no:cacheprovider",
                          "-rsE", "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path)],
                         env=env, capture_output=True, text=True, timeout=120)
    assert outcome in run.stdout, run.stdout
    assert "PostgreSQL's binaries are not installed" in run.stdout
