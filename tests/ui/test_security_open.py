"""Opening a damaged workspace in the app: a clear message, never a traceback or data
from a page that fails its check."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from deterrence_desktop import paths
from deterrence_desktop.store.workspace import Workspace
from deterrence_desktop.ui.context import AppContext
from deterrence_desktop.ui.errors import ErrorDialog
from deterrence_desktop.ui.main_window import MainWindow
from deterrence_desktop.ui.settings import AppSettings

from conftest import DEMO_TODAY, PASSPHRASE

WAIT = 20_000
PAGE = 4096


def _flip(path, page, offset=1500):
    data = bytearray(path.read_bytes())
    at = page * PAGE + offset
    data[at:at + 8] = bytes(b ^ 0x5A for b in data[at:at + 8])
    path.write_bytes(bytes(data))


def _root_page(path, table):
    with Workspace.open(path, PASSPHRASE, read_only=True) as ws:
        with ws.engine.connect() as c:
            return c.exec_driver_sql("SELECT rootpage FROM sqlite_master WHERE name = ?",
                                     (table,)).scalar()


@pytest.fixture
def window(qtbot, tmp_path):
    paths.set_data_dir(tmp_path / "appdata")
    ctx = AppContext()
    win = MainWindow(ctx, AppSettings(), today=DEMO_TODAY)
    qtbot.waitUntil(lambda: win.features_loaded, timeout=20_000)   # pages load on the worker
    unexpected = []
    ctx.runner.unhandled_error.connect(unexpected.append)
    win.unexpected = unexpected
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMessageBox | ErrorDialog) and w.isVisible():
            w.close()
    if ctx.unlocked:
        services = ctx.services
        ctx.drop_services()
        ctx.runner.call_sync(services.close)
    ctx.runner.shutdown()
    paths.set_data_dir(None)


def _unlock(qtbot, win, path):
    win.show_unlock(str(path), "demo.coordinator")
    screen = win.unlock_screen
    screen.passphrase.clear()
    screen.passphrase.insert(PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.ctx.unlocked or screen.error.isVisible(), timeout=WAIT)
    return screen


def _error_dialogs():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, ErrorDialog) and w.isVisible()]


def test_damaged_first_page_is_a_clear_message_on_the_unlock_screen(qtbot, window, demo_path):
    _flip(demo_path, 0, offset=2000)
    screen = _unlock(qtbot, window, demo_path)
    assert not window.ctx.unlocked
    assert "damaged" in screen.error.text() and "backup" in screen.error.text()
    assert "Traceback" not in screen.error.text() and not _error_dialogs()
    assert not window.unexpected


def test_damaged_people_page_shows_a_message_and_no_rows(qtbot, window, demo_path):
    _flip(demo_path, _root_page(demo_path, "person") - 1)
    _unlock(qtbot, window, demo_path)
    assert window.ctx.unlocked
    window.go_to("people")
    page = window.pages["people"]
    qtbot.waitUntil(lambda: not window.ctx.runner.busy, timeout=WAIT)
    qtbot.waitUntil(lambda: any(isinstance(w, QMessageBox) and w.isVisible()
                                and "damaged" in w.text()
                                for w in QApplication.topLevelWidgets()), timeout=WAIT)
    assert page.model.rowCount() == 0
    assert not _error_dialogs() and not window.unexpected
