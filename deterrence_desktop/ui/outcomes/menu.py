"""Edit → Record outcomes for many people…, added through ``MainWindow.add_menu_action``;
the Evaluation page and this entry are shown only to roles that may use them."""
from __future__ import annotations

from PySide6.QtCore import Qt

from ...security.roles import Can

MENU = "&Edit"


def install(window) -> None:
    from .quick_entry import open_quick_entry
    ctx = window.ctx

    def start() -> None:
        if ctx.unlocked and ctx.permits(Can.RECORD_OUTCOMES):
            open_quick_entry(ctx, window)

    action = window.add_menu_action(MENU, "Record &outcomes for many people…", start,
                                    "Ctrl+Shift+O", object_name="quickOutcomesAction")

    def opened() -> None:
        action.setVisible(ctx.permits(Can.RECORD_OUTCOMES))
        for i in range(window.nav.count()):
            item = window.nav.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == "evaluation":
                item.setHidden(not ctx.permits(Can.SEE_EVALUATION))
    ctx.workspace_opened.connect(opened)
    if ctx.unlocked:
        opened()
