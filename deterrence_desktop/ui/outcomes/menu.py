"""Edit → Record outcomes for many people…, added through ``MainWindow.add_menu_action``."""
from __future__ import annotations

from ...security.roles import Can

MENU = "&Edit"


def install(window) -> None:
    from .quick_entry import open_quick_entry

    def start() -> None:
        if window.ctx.unlocked and window.ctx.permits(Can.EDIT_PEOPLE):
            open_quick_entry(window.ctx, window)

    window.add_menu_action(MENU, "Record &outcomes for many people…", start, "Ctrl+Shift+O",
                           object_name="quickOutcomesAction")
