"""A journal file left beside the workspace (a crash of another program, a file copied
about) is set aside before anything is written, and the app says so on unlocking."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from deterrence_desktop import paths
from driver import WAIT, dialog, press


def test_unlocking_beside_a_stray_journal_says_it_was_set_aside(qtbot, demo_window):
    win = demo_window
    stray = paths.demo_workspace_path().with_name("demo.ddw-journal")
    stray.write_bytes(b"not this workspace's journal (fictional test data)" * 20)
    qtbot.waitUntil(lambda: win.unlock_screen.isVisible(), timeout=WAIT)
    press(qtbot, "Unlock")
    box = dialog(qtbot, "A file was set aside", QMessageBox)
    assert "journal" in box.text()
    assert not stray.exists()
    assert list(stray.parent.glob("demo.ddw-journal*"))        # kept, under another name
    press(qtbot, "OK", box)
    assert win.ctx.unlocked
