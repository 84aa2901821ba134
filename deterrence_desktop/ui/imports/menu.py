"""File → Import from a spreadsheet…, added through ``MainWindow.add_menu_action``."""
from __future__ import annotations

MENU = "&File"


def install(window) -> None:
    from .wizard import open_import_wizard

    def start() -> None:
        if window.ctx.unlocked:
            open_import_wizard(window.ctx, window)

    action = window.add_menu_action(MENU, "&Import from a spreadsheet…", start, "Ctrl+I",
                                    object_name="importSpreadsheetAction")
    menu = window._menus[MENU]
    lock = getattr(window, "lock_action", None)
    if lock is not None:                 # beside the workspace's own entries, not after Quit
        menu.removeAction(action)
        menu.insertAction(lock, action)
        menu.insertSeparator(lock)
