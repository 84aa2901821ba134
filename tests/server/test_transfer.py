"""`server upload` and `server download`: the demo goes up to a new database and comes down
into a new file with every row and the audit trail as they were, verified; and each refusal
leaves nothing half-done."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from deterrence_desktop.domain.enums import Role
from deterrence_desktop.services import audit, transfer
from deterrence_desktop.store.errors import StorageError, WorkspaceExists
from deterrence_desktop.store.server import admin_engine
from deterrence_desktop.store.server_roles import create_login
from deterrence_desktop.store.workspace import Workspace

from conftest import PASSPHRASE

pytestmark = pytest.mark.server

NEW_PASSPHRASE = "a new fictional passphrase for the copy"
SERVER_ROWS_ADDED = {"audit_entry"}     # the upload's own entry (and the head that follows it)


@pytest.fixture
def database(empty_database):
    return empty_database


@pytest.fixture
def out(tmp_path) -> Path:
    """A folder of its own for the downloads (the demo file sits in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def engine(pg_server, database):
    engine = admin_engine(pg_server.address(database), pg_server.admin_password)
    yield engine
    engine.dispose()


def url(pg_server, database: str, user: str | None = None) -> str:
    return pg_server.address(database, user or pg_server.admin).text()


def rows_by_table(conn) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as Python values."""
    out = {}
    for table in transfer.tables():
        order = list(table.primary_key.columns)
        out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


def read_file(path: Path, passphrase: str) -> dict[str, list[tuple]]:
    ws = Workspace.open(path, passphrase)
    try:
        with ws.session() as s:
            return rows_by_table(s.connection())
    finally:
        ws.close()


def chain_of(conn) -> audit.ChainReport:
    return transfer.chain_report(conn)


def test_upload_then_download_keeps_every_row_and_the_chain(demo_path, engine, out):
    original = read_file(demo_path, PASSPHRASE)
    lines: list[str] = []
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        report = transfer.upload(ws, engine, lines.append)
    finally:
        ws.close()
    assert [t for t, _, _ in report.counts] == [t.name for t in transfer.tables()]
    assert all(s == c == len(original[t]) for t, s, c in report.counts)
    assert report.rows == sum(map(len, original.values()))
    assert any(line.strip().startswith("person:") for line in lines)     # table by table
    assert report.usernames == sorted(r[1] for r in original["app_user"])
    file_head = original["audit_entry"][-1]
    assert report.head == (file_head[0], file_head[-1])

    with engine.connect() as conn:
        on_server = rows_by_table(conn)
        chain = chain_of(conn)
    assert chain.ok, chain.problems
    # The server holds the file's rows exactly, and one entry more: the upload itself,
    # chained to the file's head and written by the server for its administrator.
    for name, rows in original.items():
        if name == "audit_entry":
            assert on_server[name][:-1] == rows
        elif name == "workspace_meta":
            assert [r for r in on_server[name] if r[0] != audit.HEAD_KEY] == \
                [r for r in rows if r[0] != audit.HEAD_KEY]
        else:
            assert on_server[name] == rows, name
    upload_entry = on_server["audit_entry"][-1]
    assert upload_entry[0] == file_head[0] + 1 and upload_entry[8] == file_head[-1]
    assert upload_entry[3] == "collection" and "uploaded" in upload_entry[6]

    # New rows continue after the copied ids (the sequences were reset).
    with engine.begin() as conn:
        top = conn.scalar(select(func.max(transfer.Base.metadata.tables["person"].c.id)))
        next_id = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('person', 'id'))").scalar()
    assert next_id == top + 1

    target = out / "copy.ddw"
    report = transfer.download(engine, target, NEW_PASSPHRASE, lines.append)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.ddw"]
    copied = read_file(target, NEW_PASSPHRASE)
    assert copied == on_server                  # every row of every table, not only counts
    ws = Workspace.open(target, NEW_PASSPHRASE)
    try:
        with ws.session() as s:
            assert audit.verify(s).ok
            assert audit.head(s) == report.head == (upload_entry[0], upload_entry[-1])
    finally:
        ws.close()
    # The download is a disclosure, recorded on the server after the copy's head.
    with engine.connect() as conn:
        chain = chain_of(conn)
        last = conn.exec_driver_sql(
            "SELECT seq, operation, detail FROM audit_entry ORDER BY seq DESC LIMIT 1").one()
    assert chain.ok and last[0] == report.head[0] + 1 and last[1] == "disclosure"


def test_upload_refuses_a_database_that_holds_data(demo_path, engine):
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        transfer.upload(ws, engine)
        with engine.connect() as conn:
            before = transfer.count_rows(conn)
        with pytest.raises(transfer.ServerNotEmpty, match="already holds Deterrence Desktop data"):
            transfer.upload(ws, engine)
    finally:
        ws.close()
    with engine.connect() as conn:
        assert transfer.count_rows(conn) == before


def test_upload_into_a_database_the_migrations_made_but_left_empty(demo_path, engine):
    from deterrence_desktop.store import migrations

    migrations.upgrade(engine)          # e.g. `server upgrade` run on the new database
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        report = transfer.upload(ws, engine)
    finally:
        ws.close()
    with engine.connect() as conn:
        assert transfer.chain_report(conn).ok
        assert transfer.count_rows(conn)["person"] == dict(
            (t, c) for t, _, c in report.counts)["person"] > 0


def test_a_failed_upload_rolls_everything_back(demo_path, engine, monkeypatch):
    """A failure after half the tables (here: verification) leaves the database as it was:
    no schema, no rows; the same upload then succeeds."""
    def broken(*_a, **_k):
        raise transfer.VerificationFailed("The copy did not verify, so nothing was kept: test")

    monkeypatch.setattr(transfer, "verify", broken)
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        with pytest.raises(transfer.VerificationFailed):
            transfer.upload(ws, engine)
        with engine.connect() as conn:
            assert transfer.existing_data(conn) == (None, {}, [])
        monkeypatch.undo()
        assert transfer.upload(ws, engine).rows > 0
    finally:
        ws.close()


def test_a_coordinator_may_download_but_a_partner_officer_may_not(demo_path, engine, pg_server,
                                                                    database, out):
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        transfer.upload(ws, engine)
    finally:
        ws.close()
    coordinator, officer = pg_server.unique_name("coord"), pg_server.unique_name("officer")
    password = "a fictional login password 1"
    with engine.begin() as conn:
        create_login(conn, coordinator, password, Role.COORDINATOR)
        create_login(conn, officer, password, Role.PARTNER_OFFICER)
    for login, allowed in ((coordinator, True), (officer, False)):
        as_login = admin_engine(pg_server.address(database, login), password)
        target = out / f"{login}.ddw"
        try:
            if allowed:
                assert transfer.download(as_login, target, NEW_PASSPHRASE).rows > 0
                assert target.exists()
            else:
                with pytest.raises(transfer.NotAllowed, match="administrator or a coordinator"):
                    transfer.download(as_login, target, NEW_PASSPHRASE)
                assert list(out.iterdir()) == [out / f"{coordinator}.ddw"]
        finally:
            as_login.dispose()


def test_a_failed_download_leaves_no_file(demo_path, engine, out, monkeypatch):
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        transfer.upload(ws, engine)
    finally:
        ws.close()

    def broken(*_a, **_k):
        raise transfer.VerificationFailed("The copy did not verify, so nothing was kept: test")

    monkeypatch.setattr(transfer, "verify", broken)
    target = out / "copy.ddw"
    with pytest.raises(transfer.VerificationFailed):
        transfer.download(engine, target, NEW_PASSPHRASE)
    assert list(out.iterdir()) == []
    with pytest.raises(WorkspaceExists):
        transfer.download(engine, demo_path, NEW_PASSPHRASE)


# -- the command line -----------------------------------------------------------------------
def run_cli(capsys, monkeypatch, *args, **env):
    from deterrence_desktop.cli import main

    for key in [k for k in os.environ if k.startswith(("DETERRENCE_", "DD_SERVER"))]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_upload_and_download(demo_path, pg_server, database, out, capsys, monkeypatch):
    address = url(pg_server, database)
    code, text, err = run_cli(capsys, monkeypatch, "server", "upload", demo_path, address,
                              DETERRENCE_PASSPHRASE=PASSPHRASE,
                              DD_SERVER_PASSWORD=pg_server.admin_password)
    assert code == 0, err
    assert "  person: 40 rows" in text and "Verified" in text
    assert "cannot sign in to it yet: demo.analyst, demo.coordinator, demo.officer" in text
    assert "server add-user" in text
    table = [line.split() for line in text.splitlines() if line.startswith("action ")]
    assert table and table[0][1] == table[0][2]
    assert pg_server.admin_password not in text + err

    # Again into the same database: refused, one line, nothing changed.
    code, text, err = run_cli(capsys, monkeypatch, "server", "upload", demo_path, address,
                              DETERRENCE_PASSPHRASE=PASSPHRASE,
                              DD_SERVER_PASSWORD=pg_server.admin_password)
    assert code != 0 and "already holds Deterrence Desktop data" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1

    target = out / "copy.ddw"
    code, text, err = run_cli(capsys, monkeypatch, "server", "download", address, target,
                              DETERRENCE_NEW_PASSPHRASE=NEW_PASSPHRASE,
                              DD_SERVER_PASSWORD=pg_server.admin_password)
    assert code == 0, err
    assert "  communication: " in text and "Verified" in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

    # The target exists: refused before anything is asked or written.
    before = target.read_bytes()
    code, text, err = run_cli(capsys, monkeypatch, "server", "download", address, target,
                              DETERRENCE_NEW_PASSPHRASE=NEW_PASSPHRASE,
                              DD_SERVER_PASSWORD=pg_server.admin_password)
    assert code != 0 and "copy.ddw already exists" in err
    assert target.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["copy.ddw"]


def test_cli_refuses_a_wrong_passphrase_and_a_wrong_password(demo_path, pg_server, database,
                                                            out, capsys, monkeypatch, engine):
    address = url(pg_server, database)
    code, _, err = run_cli(capsys, monkeypatch, "server", "upload", demo_path, address,
                           DETERRENCE_PASSPHRASE="not the passphrase at all",
                           DD_SERVER_PASSWORD=pg_server.admin_password)
    assert code != 0 and "passphrase" in err.lower() and "Traceback" not in err
    code, _, err = run_cli(capsys, monkeypatch, "server", "upload", demo_path, address,
                           DETERRENCE_PASSPHRASE=PASSPHRASE,
                           DD_SERVER_PASSWORD="not the password")
    assert code != 0 and "refused the user name or password" in err
    assert "not the password" not in err
    with engine.connect() as conn:
        assert transfer.existing_data(conn) == (None, {}, [])
    code, _, err = run_cli(capsys, monkeypatch, "server", "download", address,
                           out / "copy.ddw", DETERRENCE_NEW_PASSPHRASE=NEW_PASSPHRASE,
                           DD_SERVER_PASSWORD=pg_server.admin_password)
    assert code != 0 and "no Deterrence Desktop workspace" in err
    assert list(out.iterdir()) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A 256 kB file system (tmpfs), where a download runs out of space; skipped where
    this process may not mount one (not root, or no CAP_SYS_ADMIN)."""
    import subprocess

    folder = tmp_path / "tiny"
    folder.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                          capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a small file system here to fill")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_a_full_disk_stops_the_download_with_nothing_left(demo_path, engine, tiny_disk):
    ws = Workspace.open(demo_path, PASSPHRASE)
    try:
        transfer.upload(ws, engine)
    finally:
        ws.close()
    with engine.connect() as conn:
        entries = transfer.chain_report(conn).entries
    with pytest.raises(StorageError, match="disk is full.*nothing was left behind"):
        transfer.download(engine, tiny_disk / "copy.ddw", NEW_PASSPHRASE)
    assert list(tiny_disk.iterdir()) == []
    with engine.connect() as conn:          # no disclosure recorded for a file not written
        assert transfer.chain_report(conn).entries == entries
