"""The encrypted workspace file: bad inputs, passphrases, durability pragmas.

Every refused file keeps its bytes: each bad-input test compares SHA-256 before and after.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
import sqlcipher3
from sqlalchemy.exc import IntegrityError

from deterrence_desktop.store import cipher
from deterrence_desktop.store.errors import (
    NewerWorkspace, NotAWorkspace, WeakPassphrase, WorkspaceError, WorkspaceExists,
    WorkspaceMissing, WorkspaceReadOnly, WrongPassphrase,
)
from deterrence_desktop.store.workspace import Workspace, open_or_explain

from conftest import PASSPHRASE


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def raw_keyed(path: Path, passphrase: str = PASSPHRASE) -> sqlcipher3.Connection:
    """A connection as a SQLCipher 4 tool makes it: nothing but PRAGMA key."""
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = {cipher.quote_key(passphrase)}")
    return conn


@pytest.fixture
def writable_again():
    """Paths whose write bits a test removed; restored afterwards so tmp_path can be cleaned."""
    paths: list[Path] = []
    yield paths
    for p in paths:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


# -- bad inputs: a clear, distinct error and the file's bytes unchanged ---------------

def test_wrong_passphrase(demo_path):
    before = sha256(demo_path)
    with pytest.raises(WrongPassphrase, match="passphrase is wrong"):
        Workspace.open(demo_path, PASSPHRASE + " but wrong")
    assert sha256(demo_path) == before


def test_plain_sqlite_file(tmp_path):
    path = tmp_path / "plain.ddw"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO person (name) VALUES ('Fictional Person')")
    conn.commit()
    conn.close()
    before = sha256(path)
    with pytest.raises(NotAWorkspace, match="unencrypted SQLite database"):
        Workspace.open(path, PASSPHRASE)
    assert sha256(path) == before


@pytest.mark.parametrize("size", [300, 4096])
def test_text_file(tmp_path, size):
    # 4096 bytes passes the size checks (a multiple of the page size), so only the
    # content tells it from an encrypted file.
    path = tmp_path / "notes.ddw"
    path.write_bytes((b"This is a fictional note, not a workspace.\n" * 100)[:size])
    before = sha256(path)
    with pytest.raises(NotAWorkspace, match="not a Deterrence Desktop workspace"):
        Workspace.open(path, PASSPHRASE)
    assert sha256(path) == before


def test_empty_file(tmp_path):
    path = tmp_path / "empty.ddw"
    path.touch()
    with pytest.raises(NotAWorkspace, match="is empty"):
        Workspace.open(path, PASSPHRASE)
    assert path.stat().st_size == 0
    assert sha256(path) == hashlib.sha256(b"").hexdigest()


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.ddw"
    with pytest.raises(WorkspaceMissing, match="No workspace file"):
        Workspace.open(path, PASSPHRASE)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_workspace_of_a_newer_version(demo_path):
    conn = raw_keyed(demo_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = sha256(demo_path)
    with pytest.raises(NewerWorkspace, match="newer version of Deterrence Desktop"):
        Workspace.open(demo_path, PASSPHRASE)
    assert sha256(demo_path) == before
    assert not list(demo_path.parent.glob("*.bak")), "no backup or migration was attempted"


def test_read_only_file(demo_path, writable_again):
    demo_path.chmod(0o444)
    writable_again.append(demo_path)
    before = sha256(demo_path)
    with pytest.raises(WorkspaceReadOnly, match="demo.ddw is read-only"):
        Workspace.open(demo_path, PASSPHRASE)
    assert sha256(demo_path) == before


def test_read_only_file_can_still_be_opened_read_only(demo_path, writable_again):
    demo_path.chmod(0o444)
    writable_again.append(demo_path)
    before = sha256(demo_path)
    ws = Workspace.open(demo_path, PASSPHRASE, read_only=True)
    try:
        with ws.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM person").scalar() == 40
    finally:
        ws.close()
    assert sha256(demo_path) == before


def test_read_only_folder(demo_path, writable_again):
    folder = demo_path.parent
    folder.chmod(0o555)
    writable_again.append(folder)
    before = sha256(demo_path)
    with pytest.raises(WorkspaceReadOnly, match="folder holding demo.ddw is read-only"):
        Workspace.open(demo_path, PASSPHRASE)
    assert sha256(demo_path) == before
    assert sorted(p.name for p in folder.iterdir()) == ["demo.ddw"]


def test_create_in_read_only_folder(tmp_path, writable_again):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    writable_again.append(folder)
    with pytest.raises(WorkspaceReadOnly, match="folder is read-only"):
        Workspace.create(folder / "new.ddw", PASSPHRASE)
    assert list(folder.iterdir()) == []


def test_a_different_sqlcipher_database(tmp_path):
    path = tmp_path / "someone-elses.db"
    conn = raw_keyed(path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    before = sha256(path)
    with pytest.raises(NotAWorkspace, match="encrypted database, but not a Deterrence Desktop"):
        Workspace.open(path, PASSPHRASE)
    assert sha256(path) == before


def test_a_folder(tmp_path):
    folder = tmp_path / "looks-like.ddw"
    folder.mkdir()
    with pytest.raises(NotAWorkspace, match="is a folder"):
        Workspace.open(folder, PASSPHRASE)
    assert list(folder.iterdir()) == []


def test_random_bytes_cannot_be_told_from_a_wrong_passphrase(tmp_path):
    # Encrypted data looks random: the message says it may be either, and nothing is written.
    path = tmp_path / "noise.ddw"
    path.write_bytes(os.urandom(8192))
    before = sha256(path)
    with pytest.raises(WrongPassphrase, match="or the file is not a Deterrence Desktop workspace"):
        Workspace.open(path, PASSPHRASE)
    assert sha256(path) == before


def test_errors_are_distinct_types():
    kinds = {WrongPassphrase, NotAWorkspace, NewerWorkspace, WorkspaceReadOnly, WorkspaceMissing}
    assert len(kinds) == 5
    for a in kinds:
        assert issubclass(a, WorkspaceError)
        assert not any(issubclass(a, b) for b in kinds - {a})


def test_open_or_explain_passes_clear_errors_through(demo_path):
    with pytest.raises(WrongPassphrase):
        open_or_explain(demo_path, "another fictional passphrase")


def test_create_refuses_an_existing_file(demo_path):
    before = sha256(demo_path)
    with pytest.raises(WorkspaceExists, match="already exists"):
        Workspace.create(demo_path, PASSPHRASE)
    assert sha256(demo_path) == before


# -- passphrases ----------------------------------------------------------------------

AWKWARD = [
    "it's a \"quoted\" passphrase",
    "back\\slash \\\\ and ' ; -- DROP TABLE person",
    "Zoë Łódź Ó Súilleabháin пароль 鍵",
]


@pytest.mark.parametrize("passphrase", AWKWARD)
def test_awkward_passphrases_create_open_and_change(tmp_path, passphrase):
    path = tmp_path / "awkward.ddw"
    Workspace.create(path, passphrase).close()
    # A standard SQLCipher 4 connection with the same key reads it.
    conn = raw_keyed(path, passphrase)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == cipher.APPLICATION_ID
    conn.close()

    ws = Workspace.open(path, passphrase)
    new = passphrase[::-1] + " (changed)"
    ws.change_passphrase(passphrase, new)
    ws.close()
    with pytest.raises(WrongPassphrase):
        Workspace.open(path, passphrase)
    with Workspace.open(path, new) as ws:
        assert ws.workspace_id


def test_too_short_passphrase_is_refused(tmp_path):
    path = tmp_path / "short.ddw"
    with pytest.raises(WeakPassphrase, match=f"at least {cipher.MIN_PASSPHRASE} characters"):
        Workspace.create(path, "short")
    assert not path.exists()


def test_passphrase_with_outer_spaces_is_refused(tmp_path):
    with pytest.raises(WeakPassphrase, match="start or end with a space"):
        Workspace.create(tmp_path / "x.ddw", " long enough passphrase ")


def test_change_passphrase(demo_path):
    new = "a new fictional passphrase ✓"
    ws = Workspace.open(demo_path, PASSPHRASE)
    with pytest.raises(WeakPassphrase):
        ws.change_passphrase(PASSPHRASE, "tiny")
    with pytest.raises(WrongPassphrase):
        ws.change_passphrase("not the current passphrase", new)
    ws.change_passphrase(PASSPHRASE, new)
    # The open workspace goes on working with the new key.
    with ws.session() as s:
        from sqlalchemy import text
        assert s.execute(text("SELECT count(*) FROM person")).scalar() == 40
    ws.close()
    with pytest.raises(WrongPassphrase):
        Workspace.open(demo_path, PASSPHRASE)
    ws = Workspace.open(demo_path, new)
    ws.close()


def test_quote_key_refuses_nul():
    with pytest.raises(ValueError):
        cipher.quote_key("abc\x00def")
    assert cipher.quote_key("it's") == "'it''s'"


# -- the file format and the connection settings ----------------------------------------

def test_sqlcipher_is_loaded_with_sqlcipher4_defaults(demo_path, real_key_derivation):
    assert cipher.require_sqlcipher().startswith("4.")
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        settings = ws.raw_cipher_settings()
    assert settings["kdf_iter"] == "256000"
    assert settings["cipher_page_size"] == "4096"
    assert settings["cipher_hmac_algorithm"] == "HMAC_SHA512"
    assert settings["cipher_kdf_algorithm"] == "PBKDF2_HMAC_SHA512"


def test_file_is_encrypted_on_disk(demo_path):
    data = demo_path.read_bytes()
    assert not data.startswith(cipher.SQLITE_HEADER)
    for fictional_value in (b"Fictionbury", b"FD-0001", b"person", b"CREATE TABLE"):
        assert fictional_value not in data


def _pragmas(ws: Workspace) -> tuple:
    with ws.engine.connect() as c:
        return (c.exec_driver_sql("PRAGMA journal_mode").scalar(),
                c.exec_driver_sql("PRAGMA foreign_keys").scalar(),
                c.exec_driver_sql("PRAGMA synchronous").scalar())


def test_wal_foreign_keys_and_full_sync_on_every_connection(demo_path):
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        assert _pragmas(ws) == ("wal", 1, 2)          # synchronous 2 = FULL
        # A connection made on another thread is configured the same way.
        out = []
        t = threading.Thread(target=lambda: out.append(_pragmas(ws)))
        t.start()
        t.join()
        assert out == [("wal", 1, 2)]


def test_foreign_keys_are_enforced(demo_path):
    from deterrence_desktop.store.tables import MembershipRow

    with Workspace.open(demo_path, PASSPHRASE) as ws:
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            with ws.session() as s:
                s.add(MembershipRow(person_id=999_999, group_id=1, role="member"))
                s.flush()


def test_session_rolls_back_on_error(demo_path):
    from sqlalchemy import func, select

    from deterrence_desktop.store.tables import GroupRow

    with Workspace.open(demo_path, PASSPHRASE) as ws:
        with pytest.raises(RuntimeError):
            with ws.session() as s:
                s.add(GroupRow(name="Fictional Rollback Crew", type="street_group"))
                s.flush()
                raise RuntimeError("stop")
        with ws.session() as s:
            assert s.scalar(select(func.count()).select_from(GroupRow)) == 5


def test_closed_workspace_refuses_work(demo_path):
    ws = Workspace.open(demo_path, PASSPHRASE)
    ws.close()
    assert ws.closed
    with pytest.raises(WorkspaceError, match="locked or closed"):
        with ws.session():
            pass


def test_create_leaves_a_file_only_tools_with_the_key_can_read(tmp_path):
    path = tmp_path / "fresh.ddw"
    Workspace.create(path, PASSPHRASE).close()
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()
    conn = raw_keyed(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert {"person", "action", "audit_entry", "alembic_version"} <= names
    assert os.path.getsize(path) % 4096 == 0
