"""services/team.py: a server password is kept in the system keyring only when asked, and a
computer without a keyring is told so plainly."""
from __future__ import annotations

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from deterrence_desktop.services import team
from deterrence_desktop.store.server import ServerAddress

ADDRESS = ServerAddress("dd.example.invalid", 5432, "deterrence", "j.smith", "/tmp/ca.crt")


class MemoryKeyring(KeyringBackend):
    """A keyring backend held in this process (the system's is not touched by tests)."""
    priority = 1

    def __init__(self):
        super().__init__()
        self.kept: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.kept.get((service, username))

    def set_password(self, service, username, password):
        self.kept[(service, username)] = password

    def delete_password(self, service, username):
        del self.kept[(service, username)]


@pytest.fixture
def backend():
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_kept_under_the_servers_label_and_forgotten(backend):
    assert team.remembered_password(ADDRESS) is None
    team.remember_password(ADDRESS, "fictional password")
    assert backend.kept == {(team.KEYRING_SERVICE, "j.smith@dd.example.invalid:5432/deterrence"):
                            "fictional password"}
    assert team.remembered_password(ADDRESS) == "fictional password"
    team.forget_password(ADDRESS)
    assert backend.kept == {}
    team.forget_password(ADDRESS)               # nothing kept: nothing to do


def test_without_a_keyring_the_sentence_says_so_and_nothing_breaks(no_keyring):
    assert not team.keyring_available()
    with pytest.raises(team.KeyringUnavailable, match="no system keyring"):
        team.remember_password(ADDRESS, "fictional password")
    assert team.remembered_password(ADDRESS) is None
    team.forget_password(ADDRESS)
    assert "fictional password" not in team.NO_KEYRING


def test_a_keyring_that_refuses_is_a_plain_sentence(backend):
    def refuse(*_a):
        raise RuntimeError("the keyring is locked")
    backend.set_password = refuse
    with pytest.raises(team.KeyringUnavailable, match="did not keep the password"):
        team.remember_password(ADDRESS, "fictional password")
