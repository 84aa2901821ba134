"""Personal passwords: Argon2id hashes (argon2-cffi), kept inside the encrypted workspace.

The workspace passphrase opens the file; a personal password proves which
member of the team is at the keyboard, so the audit trail can name them. The
hash uses argon2-cffi's RFC 9106 low-memory profile (Argon2id, 64 MiB, t=3,
p=4: about 0.2 s), and is upgraded on the next sign-in when the profile grows.
"""
from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD = 8

_hasher = PasswordHasher(type=Type.ID)


class PasswordRule(ValueError):
    """A new password breaks the rule; the message says which."""


def check_new_password(password: str, *, username: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise PasswordRule(f"Choose a password of at least {MIN_PASSWORD} characters")
    if password != password.strip():
        raise PasswordRule("A password cannot start or end with a space")
    if username and password.casefold() == username.casefold():
        raise PasswordRule("A password cannot be the same as the user name")


def hash_password(password: str) -> str:
    """An Argon2id hash in PHC string form ($argon2id$v=19$m=...,t=...,p=...$salt$hash)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str | None) -> bool:
    """True when ``password`` matches ``stored_hash``. Never raises for a bad or
    missing hash: that is simply no match."""
    if not stored_hash or password is None:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """Verified against when the user name is unknown, so a wrong name takes as long as
    a wrong password (the hash of a random string nobody knows)."""
    return _hasher.hash("unknown user: " + secrets.token_hex(16))


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True
