"""Menu entries for the tracker dialogs, added through ``MainWindow.add_menu_action``.

The main window calls ``install(self)`` once; the entries are disabled while locked.
"""
from __future__ import annotations

MENU = "T&rackers"


def install(window) -> None:
    from PySide6.QtCore import Qt

    from .dialogs import ExportTrackerDialog, ImportTrackerDialog

    def open_dialog(cls) -> None:
        if not window.ctx.unlocked:
            return
        dialog = cls(window.ctx, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    window.add_menu_action(MENU, "&Export action tracker…", lambda: open_dialog(ExportTrackerDialog),
                           object_name="exportTrackerAction")
    window.add_menu_action(MENU, "&Import a returned tracker…",
                           lambda: open_dialog(ImportTrackerDialog),
                           object_name="importTrackerAction")
