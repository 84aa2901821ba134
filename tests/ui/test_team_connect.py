"""Connecting to a server workspace from the start screen, as a user does: press "Connect to
a server…", type the fields, choose the partnership's CA file, press Connect."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from deterrence_desktop.services.team import NO_KEYRING
from tests.journeys.driver import (
    WAIT, click_row, dialog, field, menu, navigate, press, see, shot, type_into,
)
from tests.ui.team_support import (  # noqa: F401 - fixtures
    COORDINATOR_PASSWORD, connect_through_dialog, other_ca, start_window, stop_window, team_db,
    team_template,
)


@pytest.fixture
def win(qtbot, tmp_path):
    window = start_window(qtbot, tmp_path / "appdata")
    yield window
    stop_window(window)


@pytest.mark.server
def test_connect_opens_the_server_workspace_and_remembers_it_without_the_password(
        qtbot, win, team_db, tmp_path):
    address = team_db.address(team_db.coordinator)
    dlg = connect_through_dialog(qtbot, win, address, COORDINATOR_PASSWORD)
    qtbot.waitUntil(lambda: win.ctx.unlocked or not dlg.error.isHidden(), timeout=WAIT)
    assert win.ctx.unlocked, dlg.error.text()
    services = win.ctx.services
    assert services.workspace.kind == "server"
    assert services.actor.username == team_db.coordinator
    assert services.actor.role.value == "coordinator"
    qtbot.waitUntil(lambda: win.pages["people"].model.rowCount() > 0, timeout=WAIT)
    # the title names the partnership and the server, never the login or a person
    title = win.windowTitle()
    assert "Northtown Partnership (fictional) (server)" in title
    assert team_db.coordinator not in title
    assert win.user_label.text() == "Signed in as Casey Coordinator (fictional)"
    shot(win, "team-connect", "people-on-the-server")
    # the live refresh listens while the workspace is open
    qtbot.waitUntil(lambda: win.team.live is not None and win.team.live.listener.connected,
                    timeout=WAIT)

    # the recent list holds the server (its address, no password); the settings file never
    # holds the password
    recent = win.settings.recent_workspaces()
    assert recent[0] == address.text()
    assert recent[0].startswith("postgresql://") and "sslrootcert=" in recent[0]
    assert win.settings.get("server/ca_file") == address.ca_file
    settings_text = (tmp_path / "appdata" / "settings.ini").read_text()
    assert COORDINATOR_PASSWORD not in settings_text
    for f in (tmp_path / "appdata").rglob("*"):
        if f.is_file():
            assert COORDINATOR_PASSWORD.encode() not in f.read_bytes(), f

    # closing the workspace stops the listener; the start screen lists the server by its label
    menu(qtbot, win, "File", "Close workspace")
    qtbot.waitUntil(lambda: not win.ctx.unlocked and win.start.isVisible(), timeout=WAIT)
    assert win.team.live is None
    label = f"{address.label()} — server"
    shot(win, "team-connect", "start-screen-recent-server")
    click_row(qtbot, win.start.recent, label, double=True)
    again = dialog(qtbot, "Connect to a server")
    assert field(qtbot, again, "Host").text() == address.host
    assert field(qtbot, again, "User name").text() == address.user
    assert field(qtbot, again, "Database").text() == address.database
    assert field(qtbot, again, "CA certificate").text() == address.ca_file
    password = field(qtbot, again, "Password")
    assert password.text() == ""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is password, timeout=WAIT)
    type_into(qtbot, password, COORDINATOR_PASSWORD)
    press(qtbot, "Connect", again)
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)

    # locking closes the connection; the password is asked again, on the same page
    navigate(qtbot, win, "Partners")
    menu(qtbot, win, "File", "Lock")
    qtbot.waitUntil(lambda: not win.ctx.unlocked, timeout=WAIT)
    assert win.team.live is None
    locked = dialog(qtbot, "Connect to a server")
    see(qtbot, "Locked: the connection was closed.", locked)
    assert field(qtbot, locked, "User name").text() == address.user
    type_into(qtbot, field(qtbot, locked, "Password"), COORDINATOR_PASSWORD)
    press(qtbot, "Connect", locked)
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
    assert win.current_key() == "partners"


@pytest.mark.server
def test_a_wrong_password_is_said_and_nothing_typed_is_lost(qtbot, win, team_db):
    address = team_db.address(team_db.coordinator)
    dlg = connect_through_dialog(qtbot, win, address, "not the password")
    see(qtbot, "The server refused the user name or password.", dlg)
    assert dlg.isVisible() and not win.ctx.unlocked
    assert field(qtbot, dlg, "Host").text() == address.host
    assert field(qtbot, dlg, "User name").text() == address.user
    assert field(qtbot, dlg, "Database").text() == address.database
    assert field(qtbot, dlg, "CA certificate").text() == address.ca_file
    assert field(qtbot, dlg, "Password").text() == "not the password"
    shot(dlg, "team-connect", "wrong-password")
    # typing the right one and pressing Connect again opens it
    type_into(qtbot, field(qtbot, dlg, "Password"), COORDINATOR_PASSWORD)
    press(qtbot, "Connect", dlg)
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)


@pytest.mark.server
def test_a_ca_file_that_did_not_sign_the_server_is_a_certificate_message(qtbot, win, team_db,
                                                                        tmp_path):
    address = team_db.address(team_db.coordinator)
    wrong = address.__class__(address.host, address.port, address.database, address.user,
                              str(other_ca(tmp_path)))
    dlg = connect_through_dialog(qtbot, win, wrong, COORDINATOR_PASSWORD)
    text = see(qtbot, re.compile("certificate of the server .* could not be verified"), dlg)
    assert "other-ca.crt" in text
    assert not win.ctx.unlocked and dlg.isVisible()
    assert field(qtbot, dlg, "Password").text() == COORDINATOR_PASSWORD
    shot(dlg, "team-connect", "certificate-refused")


def test_remember_in_the_keyring_on_a_computer_without_one_says_so(qtbot, win):
    import keyring
    from keyring.backends import fail
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())          # a computer without any keyring
    try:
        press(qtbot, "Connect to a server…", win)
        dlg = dialog(qtbot, "Connect to a server")
        qtbot.mouseClick(dlg.remember, Qt.MouseButton.LeftButton)
        see(qtbot, NO_KEYRING[:60], dlg)
        assert not dlg.remember.isChecked()
        shot(dlg, "team-connect", "dialog-no-keyring")
    finally:
        keyring.set_keyring(previous)


def test_connect_asks_for_what_is_missing_first(qtbot, win):
    press(qtbot, "Connect to a server…", win)
    dlg = dialog(qtbot, "Connect to a server")
    press(qtbot, "Connect", dlg)
    see(qtbot, "Type the server's host name.", dlg)
    type_into(qtbot, field(qtbot, dlg, "Host"), "127.0.0.1")
    type_into(qtbot, field(qtbot, dlg, "User name"), "someone")
    field(qtbot, dlg, "CA certificate").clear()
    press(qtbot, "Connect", dlg)
    see(qtbot, "Choose the partnership's CA certificate file", dlg)
    assert not win.ctx.unlocked


@pytest.mark.server
def test_a_password_kept_in_the_keyring_fills_itself_in_next_time(qtbot, win, team_db, tmp_path):
    import keyring

    from tests.unit.test_team_keyring import MemoryKeyring
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        address = team_db.address(team_db.coordinator)
        press(qtbot, "Connect to a server…", win)
        dlg = dialog(qtbot, "Connect to a server")
        for label, text in (("Host", address.host), ("Port", str(address.port)),
                            ("Database", address.database), ("User name", address.user),
                            ("CA certificate", address.ca_file),
                            ("Password", COORDINATOR_PASSWORD)):
            type_into(qtbot, field(qtbot, dlg, label), text)
        qtbot.mouseClick(dlg.remember, Qt.MouseButton.LeftButton)
        assert dlg.remember.isChecked()
        shot(dlg, "team-connect", "dialog-filled-in")
        press(qtbot, "Connect", dlg)
        qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
        assert list(memory.kept.values()) == [COORDINATOR_PASSWORD]
        assert COORDINATOR_PASSWORD not in (tmp_path / "appdata" / "settings.ini").read_text()

        menu(qtbot, win, "File", "Close workspace")
        qtbot.waitUntil(lambda: win.start.isVisible(), timeout=WAIT)
        click_row(qtbot, win.start.recent, f"{address.label()} — server", double=True)
        again = dialog(qtbot, "Connect to a server")
        qtbot.waitUntil(lambda: field(qtbot, again, "Password").text() == COORDINATOR_PASSWORD,
                        timeout=WAIT)
        assert again.remember.isChecked()
        # unticking it forgets the password once connected
        qtbot.mouseClick(again.remember, Qt.MouseButton.LeftButton)
        press(qtbot, "Connect", again)
        qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
        qtbot.waitUntil(lambda: not memory.kept, timeout=WAIT)
    finally:
        keyring.set_keyring(previous)
