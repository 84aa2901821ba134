"""Journey 7: lock with Ctrl+L, unlock by typing the passphrase, back up now from the
Workspace menu, and see the backup as the newest entry on the Audit log page."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from deterrence_desktop.services.demo import DEMO_PASSPHRASE
from driver import (
    WAIT, dialog, field, keys, menu, navigate, plain, press, row_of, shot, type_into,
)


def _menu_enabled(win, title: str) -> bool:
    return next(a for a in win.menuBar().actions() if plain(a.text()) == title).isEnabled()


def test_lock_unlock_back_up_and_see_it_in_the_audit_log(qtbot, app_window):
    win = app_window
    # the Audit log is seen once before, so the page must read the trail again later
    navigate(qtbot, win, "Audit log")
    audit = win.pages["audit"]
    qtbot.waitUntil(lambda: audit.model.rowCount() > 0, timeout=WAIT)
    navigate(qtbot, win, "People")

    # Ctrl+L locks: the unlock screen, and the menus that need the workspace are greyed
    keys(qtbot, win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not win.ctx.unlocked and win.unlock_screen.isVisible(), timeout=WAIT)
    assert win.windowTitle() == "Deterrence Desktop — Locked"
    for title in ("Edit", "Go", "Workspace"):
        assert not _menu_enabled(win, title), f"{title} looks usable while locked"
    assert _menu_enabled(win, "File") and _menu_enabled(win, "Help")
    shot(win, "trust", "locked")

    # unlock by typing the passphrase and pressing Unlock
    type_into(qtbot, field(qtbot, win.unlock_screen, "Passphrase"), DEMO_PASSPHRASE)
    press(qtbot, "Unlock")
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
    for title in ("Edit", "Go", "Workspace"):
        assert _menu_enabled(win, title)

    # back up now, from the Workspace menu
    menu(qtbot, win, "Workspace", "Backups…")
    backups = dialog(qtbot, "Backups")
    press(qtbot, "Back up now", root=backups)
    qtbot.waitUntil(lambda: any("Backed up and verified" in lab.text()
                                for lab in backups.findChildren(QLabel)), timeout=WAIT)
    newest = win.ctx.call_sync(lambda s: s.backup.list())[0]
    assert newest.path.exists() and newest.path.stat().st_size > 0
    shot(backups, "trust", "backed-up")
    press(qtbot, "Close", root=backups)

    # the Audit log shows the backup as its newest entry, and the whole trail
    navigate(qtbot, win, "Audit log")
    chain = win.ctx.call_sync(lambda s: s.audit_log.verify())
    idx = row_of(qtbot, audit.table, newest.name)
    # newest of all but what pages read while it showed (their consultation entries)
    above = [audit.model.row_object(r) for r in range(idx.row())]
    assert all(e.operation == "consultation" and e.entity != "backup" for e in above), \
        [(e.operation, e.entity, e.detail) for e in above]
    assert audit.model.row_object(idx.row()).entity == "backup"
    total = win.ctx.call_sync(lambda s: len(s.audit_log.entries(100_000)))
    assert chain.ok and total >= chain.entries - 5       # read after the page: a few more
    qtbot.waitUntil(lambda: audit.model.rowCount() >= chain.entries, timeout=WAIT)
    assert audit.count_label.text().startswith(f"{audit.model.rowCount():,} entries")

    # "#" shows the whole number (the newest is the widest)
    seq = str(audit.model.row_object(0).seq)
    assert audit.table.horizontalHeader().sectionSize(0) > \
        audit.table.fontMetrics().horizontalAdvance(seq)
    shot(win, "trust", "audit-log")
