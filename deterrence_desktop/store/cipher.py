"""Raw SQLCipher connections: keying, proving the key, and telling failures apart.

The passphrase goes to SQLCipher's own key derivation (PBKDF2-HMAC-SHA512,
256,000 iterations: the SQLCipher 4 defaults), so a workspace opens in any
SQLCipher 4 tool with nothing but its passphrase. Nothing here writes the key
anywhere but into the SQLCipher connection (the test hook ``derived_keys``, off in
the app, keeps derived keys in the test process's memory).
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import sqlcipher3
from sqlcipher3 import dbapi2

from .errors import (
    DAMAGED_MESSAGE, NoSQLCipher, NotAWorkspace, WorkspaceDamaged, WorkspaceMissing,
    WorkspaceReadOnly, WrongPassphrase,
)
from . import walguard

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
APPLICATION_ID = 0x44445731            # "DDW1": marks a Deterrence Desktop workspace
MIN_PASSPHRASE = 10
WRONG_OR_DAMAGED = (
    "The passphrase is wrong, or the file is not a Deterrence Desktop workspace, or it is "
    "damaged (damage to its first page cannot be told from a wrong passphrase). If you are "
    "sure of the passphrase, `deterrence-desktop check` names the newest good backup.")
CACHE_PAGES_KIB = 65536                # 64 MiB page cache: decrypted pages stay warm
KDF_ITER, KEY_BYTES, SALT_BYTES = 256_000, 32, 16   # SQLCipher 4's PBKDF2-HMAC-SHA512 defaults

# A TEST HOOK, off in the app. Every connection pays SQLCipher's key derivation (about
# 0.2 s of CPU), and the test suite opens copies of one demo file (one salt, one
# passphrase) over a thousand times. tests/conftest.py sets ``derived_keys`` to a dict:
# then, from the second connection that proves a (passphrase, salt) with the passphrase,
# this process keeps the key derived from them and keys later connections to a file
# with that salt with it, in SQLCipher's raw-key form (x'...'). The key is the same one
# and the file format is unchanged; a raw key that opens the file proves the derivation
# here equals SQLCipher's. None (the app): every connection derives its key, nothing
# keeps it.
derived_keys: dict[tuple[str, bytes], str | None] | None = None


def quote_key(passphrase: str) -> str:
    """The passphrase as an SQL string literal for PRAGMA key/rekey."""
    if "\x00" in passphrase:
        raise ValueError("a passphrase cannot contain a NUL character")
    return "'" + passphrase.replace("'", "''") + "'"


def cipher_version() -> str:
    """SQLCipher's version string; empty when the loaded SQLite has no SQLCipher."""
    conn = sqlcipher3.connect(":memory:")
    try:
        row = conn.execute("PRAGMA cipher_version").fetchone()
        return row[0] if row and row[0] else ""
    finally:
        conn.close()


def require_sqlcipher() -> str:
    version = cipher_version()
    if not version:
        raise NoSQLCipher(
            "The SQLite library loaded has no SQLCipher: workspaces cannot be encrypted. "
            "Reinstall the sqlcipher3 package.")
    return version


def is_writable(path: Path, mode: int) -> bool:
    """Writable by us, and not marked read-only: an administrator (root) passes every
    ``os.access`` check, but a file or folder without any write permission bit was
    marked read-only on purpose and is refused for them too. (On Windows ``os.access``
    already honours a file's read-only attribute, and a folder's is no lock, so it decides.)"""
    if os.name == "nt":
        return os.access(path, mode)
    return os.access(path, mode) and bool(path.stat().st_mode & 0o222)


def _looks_like_text(path: Path) -> bool:
    """True when the file's first 512 bytes are printable text. A workspace's are random
    (salt, then ciphertext), and 512 random bytes are printable text practically never."""
    with path.open("rb") as fh:
        head = fh.read(512)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n\f" for ch in text)


def check_openable(path: Path, *, writable: bool = True) -> None:
    """Refuse, before any byte is touched, a file that cannot be a workspace."""
    if not path.exists():
        raise WorkspaceMissing(f"No workspace file at {path}")
    if not path.is_file():
        raise NotAWorkspace(f"{path} is a folder, not a workspace file")
    size = path.stat().st_size
    if size == 0:
        raise NotAWorkspace(f"{path.name} is empty: it is not a workspace file")
    with path.open("rb") as fh:
        head = fh.read(16)
    if head == SQLITE_HEADER:
        raise NotAWorkspace(
            f"{path.name} is an unencrypted SQLite database, not a Deterrence Desktop workspace")
    if size < 1024 or size % 512:
        raise NotAWorkspace(f"{path.name} is not a Deterrence Desktop workspace file")
    if _looks_like_text(path):
        raise NotAWorkspace(f"{path.name} is a text file, not a Deterrence Desktop workspace")
    if not os.access(path, os.R_OK):
        raise WorkspaceReadOnly(f"{path.name} cannot be read: check the file's permissions")
    if writable:
        if not is_writable(path, os.W_OK):
            raise WorkspaceReadOnly(
                f"{path.name} is read-only: the workspace needs to be writable to open")
        if not is_writable(path.parent, os.W_OK | os.X_OK):
            raise WorkspaceReadOnly(
                f"The folder holding {path.name} is read-only: the workspace keeps its "
                "journal beside the file, so the folder must be writable")


def connect(path: Path, passphrase: str, *, create: bool = False,
            check_same_thread: bool = True, notices: list[str] | None = None,
            ) -> dbapi2.Connection:
    """Open ``path`` keyed with ``passphrase`` and prove the key by reading the schema.

    An existing file's journal files are proved to belong to it first
    (:func:`.walguard.vet`); those that do not are set aside, and what the user should
    be told is added to ``notices`` (logged when no list is given).
    Raises :class:`WrongPassphrase` when the key does not decrypt the file and
    :class:`NotAWorkspace` when the file is a different SQLCipher database.
    """
    if not create:
        told = walguard.vet(Path(path), passphrase)
        if notices is not None:
            notices.extend(told)
        else:
            for notice in told:
                log.warning("%s", notice)
    key, salt = quote_key(passphrase), None
    if derived_keys is not None and not create:
        key, salt = _derived_key(Path(path), passphrase, key)
    conn = sqlcipher3.connect(str(path), check_same_thread=check_same_thread,
                              isolation_level=None)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {key}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not create:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise NotAWorkspace(
                    f"{path.name} is an encrypted database, but not a Deterrence Desktop workspace")
            if salt is not None:
                _remember_key(passphrase, salt)
    except dbapi2.DatabaseError as exc:
        conn.close()
        if getattr(exc, "sqlite_errorcode", None) == 26 or "not a database" in str(exc):
            if not create and (salt_blank(path) or first_page_damaged(path, passphrase)):
                raise WorkspaceDamaged(DAMAGED_MESSAGE) from None
            raise WrongPassphrase(WRONG_OR_DAMAGED) from None
        raise
    except BaseException:
        conn.close()
        raise
    return conn


def _derived_key(path: Path, passphrase: str, key: str) -> tuple[str, bytes | None]:
    """The test hook (see ``derived_keys``): the raw key kept for this file's salt, or
    the passphrase's ``key`` and the salt to remember once the passphrase is proved."""
    try:
        with path.open("rb") as fh:
            salt = fh.read(SALT_BYTES)
    except OSError:
        return key, None
    if len(salt) < SALT_BYTES:
        return key, None
    raw = derived_keys.get((passphrase, salt))
    return (quote_key(f"x'{raw}'"), None) if raw else (key, salt)


def _remember_key(passphrase: str, salt: bytes) -> None:
    """Seen once: note it. Seen twice: derive the key here, once, for later connections."""
    if (passphrase, salt) in derived_keys:
        derived_keys[(passphrase, salt)] = hashlib.pbkdf2_hmac(
            "sha512", passphrase.encode("utf-8"), salt, KDF_ITER, KEY_BYTES).hex()
    else:
        derived_keys[(passphrase, salt)] = None


def salt_blank(path: Path) -> bool:
    """True when the file's first 16 bytes (SQLCipher's random salt) are all zero or all
    one byte: no real workspace starts so; the first page was wiped."""
    try:
        with Path(path).open("rb") as fh:
            salt = fh.read(16)
    except OSError:
        return False
    return len(salt) == 16 and len(set(salt)) == 1


def first_page_damaged(path: Path, passphrase: str) -> bool:
    """True when page 1 fails its HMAC but other pages pass with this passphrase: the
    passphrase is right and the file is damaged (a wrong passphrase fails every page)."""
    try:
        conn = sqlcipher3.connect(str(path), isolation_level=None)
    except dbapi2.Error:
        return False
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {quote_key(passphrase)}")
        failures = conn.execute("PRAGMA cipher_integrity_check").fetchall()
        pages = path.stat().st_size // int(conn.execute("PRAGMA cipher_page_size").fetchone()[0])
        return pages > 1 and 0 < len(failures) < pages
    except (dbapi2.Error, OSError, ValueError, TypeError):
        return False
    finally:
        conn.close()


def configure(conn: dbapi2.Connection, *, read_only: bool = False) -> None:
    """Per-connection settings: durable WAL, foreign keys, a warm page cache."""
    if not read_only:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_PAGES_KIB}")
    conn.execute("PRAGMA busy_timeout = 5000")
    if read_only:
        conn.execute("PRAGMA query_only = ON")


def cipher_settings(conn: dbapi2.Connection) -> dict[str, str]:
    out = {}
    for pragma in ("cipher_version", "cipher_provider", "cipher_provider_version",
                   "kdf_iter", "cipher_page_size", "cipher_hmac_algorithm",
                   "cipher_kdf_algorithm"):
        row = conn.execute(f"PRAGMA {pragma}").fetchone()
        out[pragma] = str(row[0]) if row else ""
    return out
