"""Laptops: every page of the main window is usable on a 1280x720 screen (and 1366x768),
with room for a taskbar and a title bar: the window can be that small, the status bar
stays in the window, and no button overlaps another or cuts its text."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QApplication, QScrollArea, QWidget

from driver import SCREENSHOTS, WAIT, click_row, navigate, plain, press

TASKBAR, TITLE_BAR = 48, 32          # what a desktop takes from the screen's height


def usable(screen: tuple[int, int]) -> tuple[int, int]:
    w, h = screen
    return w, h - TASKBAR - TITLE_BAR


def in_window(win, w: QWidget) -> QRect:
    return QRect(w.mapTo(win, w.rect().topLeft()), w.size())


def visible_in(win, w: QWidget) -> bool:
    """Shown, and not only because a scroll area could scroll to it."""
    return w.isVisibleTo(win) and w.isVisible()


def shown_buttons(win, root: QWidget) -> list[QAbstractButton]:
    out = []
    for b in root.findChildren(QAbstractButton):
        if not visible_in(win, b) or not b.text() or b.width() <= 0:
            continue
        area = b.parent()
        while area is not None and area is not root and not isinstance(area, QScrollArea):
            area = area.parent()
        if isinstance(area, QScrollArea):       # a scroll area's content may scroll out of view
            continue
        out.append(b)
    return out


def text_fits(b: QAbstractButton) -> bool:
    text = plain(b.text())
    needed = b.fontMetrics().horizontalAdvance(text)
    if b.icon() and not b.icon().isNull():
        needed += b.iconSize().width()
    return needed <= b.width()


def check_page(win, name: str, root: QWidget) -> list[str]:
    """What a person would see wrong on this page: clipped or overlapping buttons, a status
    bar out of view, a page larger than the window."""
    QApplication.processEvents()
    problems = []
    bar = win.statusBar()
    if not bar.isVisible() or not win.rect().contains(in_window(win, bar)):
        problems.append(f"{name}: status bar not within the window")
    if not win.rect().contains(in_window(win, root)):
        problems.append(f"{name}: page {in_window(win, root)} runs out of the window {win.rect()}")
    buttons = shown_buttons(win, root)
    for b in buttons:
        if not text_fits(b):
            problems.append(f"{name}: {plain(b.text())!r} is cut ({b.width()} px for "
                            f"{b.fontMetrics().horizontalAdvance(plain(b.text()))})")
        if not win.rect().contains(in_window(win, b)):
            problems.append(f"{name}: {plain(b.text())!r} is outside the window")
    for i, a in enumerate(buttons):
        for b in buttons[i + 1:]:
            if in_window(win, a).intersects(in_window(win, b)):
                problems.append(f"{name}: {plain(a.text())!r} overlaps {plain(b.text())!r}")
    return problems


def idle(qtbot, win):
    """The page's rows loaded (the database work is done), and laid out."""
    qtbot.wait(50)
    qtbot.waitUntil(lambda: not win.ctx.runner.busy, timeout=WAIT)
    qtbot.wait(50)


def save(win, screen, name):
    folder = SCREENSHOTS / f"{screen[0]}x{screen[1]}"
    folder.mkdir(parents=True, exist_ok=True)
    win.grab().save(str(folder / f"laptop-{name}.png"))


@pytest.mark.parametrize("screen", [(1280, 720), (1366, 768)])
def test_every_page_fits_a_laptop_screen(qtbot, app_window, screen):
    win = app_window
    w, h = usable(screen)
    hint = win.minimumSizeHint()
    assert hint.width() <= w and hint.height() <= h, f"the window needs {hint.width()}x{hint.height()}"
    for other in (win.start, win.unlock_screen):
        assert other.minimumSizeHint().height() <= h and other.minimumSizeHint().width() <= w
    win.resize(w, h)
    qtbot.waitUntil(lambda: win.size().width() == w and win.size().height() == h, timeout=WAIT)
    problems = []
    for i in range(win.nav.count()):
        title = win.nav.item(i).text()
        page = navigate(qtbot, win, title)
        if win.current_key() == "board":
            qtbot.waitUntil(lambda: page._data is not None, timeout=WAIT)
        idle(qtbot, win)
        problems += check_page(win, title, page)
        save(win, screen, f"{i:02d}-{win.current_key()}")
        if win.current_key() == "meetings":         # and meeting mode, one meeting open
            qtbot.waitUntil(lambda: page.meetings.rowCount() > 0, timeout=WAIT)
            click_row(qtbot, page.table, page.meetings.row(0).title)
            press(qtbot, "Meeting mode")
            qtbot.waitUntil(lambda: page.mode.brief is not None, timeout=WAIT)
            idle(qtbot, win)
            problems += check_page(win, "Meeting mode", page)
            save(win, screen, f"{i:02d}-meeting-mode")
            press(qtbot, "◀ All meetings")
    assert not problems, "\n".join(problems)


def test_board_header_keeps_its_controls_apart_when_narrow(qtbot, app_window):
    """At the window's narrowest, the board's header controls wrap rather than overlap."""
    win = app_window
    board = navigate(qtbot, win, "Action board")
    qtbot.waitUntil(lambda: board._data is not None, timeout=WAIT)
    narrowest = win.minimumSizeHint().width()
    for width in (narrowest, 1024, 1180):
        win.resize(max(width, narrowest), usable((1280, 720))[1])
        qtbot.wait(50)
        header = [b for b in shown_buttons(win, board)
                  if in_window(win, b).bottom() < in_window(win, board.columns).top()]
        texts = {plain(b.text()) for b in header}
        assert {"Project on a screen…", "References only", "Clear filters"} <= texts
        problems = check_page(win, f"board at {win.width()} px", board)
        for label in (board.count_label, board.grouping_combo, board.zoom_combo):
            assert win.rect().contains(in_window(win, label)), label
        assert not problems, "\n".join(problems)
        save(win, (1280, 720), f"board-at-{win.width()}px")
