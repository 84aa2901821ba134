"""The trust features in the main window: shown by role, and a backup when the workspace locks."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from deterrence_desktop import paths
from deterrence_desktop.services.backup import default_folder, list_backups
from deterrence_desktop.ui.context import AppContext
from deterrence_desktop.ui.main_window import MainWindow
from deterrence_desktop.ui.settings import AppSettings

from conftest import DEMO_TODAY, PASSPHRASE

WAIT = 20_000


@pytest.fixture
def window(qtbot, tmp_path):
    paths.set_data_dir(tmp_path / "appdata")
    ctx = AppContext()
    win = MainWindow(ctx, AppSettings(), today=DEMO_TODAY)     # installs the trust features
    qtbot.waitUntil(lambda: win.features_loaded, timeout=20_000)   # pages load on the worker
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if ctx.unlocked:
        services = ctx.services
        ctx.drop_services()
        ctx.runner.call_sync(services.close)
    ctx.runner.shutdown()
    paths.set_data_dir(None)


def _unlock(qtbot, win, path, username):
    win.show_unlock(str(path), username)
    screen = win.unlock_screen
    screen.passphrase.clear()
    screen.passphrase.insert(PASSPHRASE)
    if hasattr(screen, "username"):
        screen.username.setText(username)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.ctx.unlocked or screen.error.isVisible(), timeout=WAIT)
    assert win.ctx.unlocked, screen.error.text()


def _audit_item(win):
    return next(win.nav.item(i) for i in range(win.nav.count())
                if win.nav.item(i).data(Qt.ItemDataRole.UserRole) == "audit")


def test_features_follow_the_role_and_lock_makes_a_backup(qtbot, window, demo_path):
    sec = window.security
    _unlock(qtbot, window, demo_path, "demo.coordinator")
    assert window.ctx.services.actor.username == "demo.coordinator"
    assert sec.users_action.isVisible() and sec.backups_action.isVisible()
    assert not _audit_item(window).isHidden()
    window.lock(ask=False)
    qtbot.waitUntil(lambda: not window.ctx.runner.busy, timeout=WAIT)
    backups = list_backups(default_folder(demo_path), demo_path.stem)
    assert len(backups) == 1 and sec.last_close_backup.path == backups[0].path

    _unlock(qtbot, window, demo_path, "demo.officer")
    assert window.ctx.services.actor.role == "partner_officer"
    assert not sec.users_action.isVisible() and not sec.retention_action.isVisible()
    assert _audit_item(window).isHidden()
