"""Journey 1: a newcomer tries the demo, unlocks, and sees everyone in the People list."""
from __future__ import annotations

from driver import WAIT, press, shot


def test_try_the_demo_unlock_and_see_everyone(qtbot, fresh_demo_window):
    win = fresh_demo_window
    qtbot.waitUntil(lambda: win.unlock_screen.isVisible(), timeout=60_000)   # demo made on first run
    shot(win, "newcomer", "unlock")
    press(qtbot, "Unlock")
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
    people = win.pages["people"]
    total = win.ctx.call_sync(lambda s: len(s.people.list()))
    assert total > 0
    qtbot.waitUntil(lambda: people.model.rowCount() == total, timeout=WAIT)
    shot(win, "newcomer", "people")
