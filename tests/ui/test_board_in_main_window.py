"""The board and meetings pages inside the main window (placed as the lead will place
them): unlock, look at the board at the window's size, lock (every card dropped)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from deterrence_desktop import paths
from deterrence_desktop.ui import main_window
from deterrence_desktop.ui.board import BoardPage
from deterrence_desktop.ui.context import AppContext
from deterrence_desktop.ui.settings import AppSettings
from tests.conftest import DEMO_TODAY, PASSPHRASE
from tests.journeys.driver import press
from tests.ui.board_support import save_shot

WAIT = 20_000


@pytest.fixture
def window(qtbot, tmp_path):
    paths.set_data_dir(tmp_path / "appdata")
    ctx = AppContext()
    win = main_window.MainWindow(ctx, AppSettings(), today=DEMO_TODAY)
    qtbot.waitUntil(lambda: win.features_loaded, timeout=20_000)   # pages load on the worker
    unexpected: list[BaseException] = []
    ctx.runner.unhandled_error.connect(unexpected.append)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if ctx.unlocked:
        services = ctx.services
        ctx.drop_services()
        ctx.runner.call_sync(services.close)
    ctx.runner.shutdown()
    paths.set_data_dir(None)
    assert not unexpected, [type(e).__name__ for e in unexpected]


def test_board_and_meetings_in_the_main_window(qtbot, window, demo_path):
    window.show_unlock(str(demo_path), "demo.coordinator")
    screen = window.unlock_screen
    screen.passphrase.clear()
    screen.passphrase.insert(PASSPHRASE)
    qtbot.keyClick(screen.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.ctx.unlocked, timeout=WAIT)
    board = window.go_to("board")
    qtbot.waitUntil(lambda: board._data is not None, timeout=WAIT)
    assert isinstance(board, BoardPage) and board.count_label.text().endswith("actions")
    assert "FD-" not in window.windowTitle()
    qtbot.wait(50)
    save_shot(window, "board-in-main-window.png")
    meetings = window.go_to("meetings")
    qtbot.waitUntil(lambda: meetings.meetings.rowCount() > 0, timeout=WAIT)
    meetings.table.selectRow(0)
    press(qtbot, "Meeting mode", meetings)
    qtbot.waitUntil(lambda: meetings.mode.brief is not None, timeout=WAIT)
    save_shot(window, "meetings-in-main-window.png")
    window.lock(ask=False)
    qtbot.waitUntil(lambda: not window.ctx.unlocked, timeout=WAIT)
    assert board._cards == {} and all(m.rowCount() == 0 for m in board.columns.models.values())
    assert meetings.meetings.rowCount() == 0 and meetings.mode.open_actions.rowCount() == 0
