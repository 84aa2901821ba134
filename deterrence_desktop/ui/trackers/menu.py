"""Menu entries for the tracker dialogs, added through ``MainWindow.add_menu_action``.

The main window calls ``install(self)`` once; the entries are disabled while locked.
Installing also removes, on the worker, what tracker exports killed in an earlier
session left in the documents folder and the temp folder (:func:`clean_at_start`).
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
    clean_at_start(window.ctx)


def clean_at_start(ctx) -> None:
    """Remove leftovers of killed tracker exports (see ``services.trackers.clean_leftovers``)
    from the default export folder and the temp folder, on the worker; failures are quiet
    (an unreadable folder is simply left)."""
    from ...services.trackers import clean_leftovers
    from .dialogs import documents_folder

    folder = documents_folder()
    ctx.runner.run(lambda: clean_leftovers(folder), None, lambda exc: None,
                   label="tracker leftovers")
