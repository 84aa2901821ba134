"""The tracker dialogs on the demo workspace: export, edit as a partner, check, tick, apply."""
from __future__ import annotations

from pathlib import Path

import openpyxl
from PySide6.QtCore import Qt

from conftest import save_screenshot
from deterrence_desktop.domain.enums import ActionStatus
from deterrence_desktop.exports.tracker_xlsx import ACTIONS_SHEET, HEADERS
from deterrence_desktop.services.trackers import RowState
from deterrence_desktop.ui.context import AppContext
from deterrence_desktop.ui.trackers import ExportTrackerDialog, ImportTrackerDialog


def shot(widget, name):
    save_screenshot(widget, 'trackers', name)


def partner_index(dialog, name: str) -> int:
    return next(i for i in range(dialog.partner.count())
                if dialog.partner.itemText(i).startswith(name))


def export_via_dialog(qtbot, ctx, out: Path, partner: str) -> ExportTrackerDialog:
    dialog = ExportTrackerDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.partner.count() > 1, timeout=10_000)
    dialog.partner.setCurrentIndex(partner_index(dialog, partner))
    dialog.path.setText(str(out))
    return dialog


def test_export_dialog_needs_override_for_ended_agreement(qtbot, ctx, tmp_path):
    out = tmp_path / "homes.xlsx"
    dialog = export_via_dialog(qtbot, ctx, out, "Fictionbury Homes")
    assert dialog.override.isVisibleTo(dialog) and "has ended" in dialog.agreement.text()
    assert not dialog.export_button.isEnabled()
    shot(dialog, "export-dialog-override")
    dialog.override.setChecked(True)
    assert dialog.export_button.isEnabled()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_export is not None, timeout=20_000)
    assert out.exists() and dialog.result_export.overridden
    assert "Saved" in dialog.message.text()
    assert "Fictionbury" not in dialog.windowTitle()


def test_export_edit_check_tick_apply(qtbot, ctx, tmp_path, demo_app):
    out = tmp_path / "police.xlsx"
    dialog = export_via_dialog(qtbot, ctx, out, "Fictionbury Police")
    assert not dialog.override.isVisibleTo(dialog) and dialog.export_button.isEnabled()
    shot(dialog, "export-dialog")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.result_export is not None, timeout=20_000)
    shot(dialog, "export-dialog-done")
    dialog.close()

    # The partner edits the file.
    wb = openpyxl.load_workbook(out)
    ws = wb[ACTIONS_SHEET]
    status, notes = HEADERS.index("Status") + 1, HEADERS.index("Notes") + 1
    ids = [ws.cell(r, 1).value for r in range(2, 6)]
    ws.cell(2, status).value = "Blocked" if ws.cell(2, status).value != "Blocked" else "Done"
    ws.cell(3, notes).value = "Seen at the hostel (fictional)"
    ws.cell(4, status).value = "Nearly"
    ws.cell(5, notes).value = "Partner's view"
    wb.save(out)
    ctx.call_sync(lambda s: s.actions.set_status(ids[3], ActionStatus.CANCELLED))   # conflict

    imp = ImportTrackerDialog(ctx)
    qtbot.addWidget(imp)
    imp.show()
    imp.path.setText(str(out))
    qtbot.mouseClick(imp.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: imp.plan is not None, timeout=20_000)
    model = imp.model
    states = {model.row_object(r).action_id: model.row_object(r).state
              for r in range(model.rowCount())}
    assert states == {ids[0]: RowState.CHANGE, ids[1]: RowState.CHANGE,
                      ids[2]: RowState.ERROR, ids[3]: RowState.CONFLICT}
    assert model.accepted_ids() == {ids[0], ids[1]}
    assert "Apply 2" in imp.apply_button.text()
    shot(imp, "import-dry-run")

    # Untick the notes change, tick the conflict to overwrite it; errors cannot be ticked.
    row_of = {model.row_object(r).action_id: r for r in range(model.rowCount())}
    model.setData(model.index(row_of[ids[1]], model.ACCEPT), Qt.CheckState.Unchecked.value,
                  Qt.ItemDataRole.CheckStateRole)
    model.setData(model.index(row_of[ids[3]], model.ACCEPT), Qt.CheckState.Checked.value,
                  Qt.ItemDataRole.CheckStateRole)
    assert not model.setData(model.index(row_of[ids[2]], model.ACCEPT),
                             Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert not (model.flags(model.index(row_of[ids[2]], model.ACCEPT))
                & Qt.ItemFlag.ItemIsUserCheckable)
    before_notes = demo_app.actions.get(ids[1]).notes
    with qtbot.waitSignal(ctx.data_changed, timeout=20_000):
        qtbot.mouseClick(imp.apply_button, Qt.MouseButton.LeftButton)
    assert imp.result_apply.applied == 2
    assert demo_app.actions.get(ids[3]).notes == "Partner's view"
    assert demo_app.actions.get(ids[3]).status == ActionStatus.CANCELLED     # not reverted
    assert demo_app.actions.get(ids[1]).notes == before_notes
    assert model.rowCount() == 0 and imp.plan is None
    shot(imp, "import-applied")


def test_import_dialog_shows_refusal_inline(qtbot, ctx, tmp_path):
    bad = tmp_path / "tracker.xlsm"
    bad.write_bytes(b"PK\x03\x04 not really")
    imp = ImportTrackerDialog(ctx)
    qtbot.addWidget(imp)
    imp.show()
    imp.path.setText(str(bad))
    qtbot.mouseClick(imp.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Macro-enabled" in imp.message.text(), timeout=10_000)
    assert imp.model.rowCount() == 0 and not imp.apply_button.isEnabled()
    shot(imp, "import-refused")


def test_lock_closes_import_dialog_and_drops_rows(qtbot, ctx, tmp_path, demo_app):
    out = tmp_path / "all.xlsx"
    demo_app.trackers.export(out)
    wb = openpyxl.load_workbook(out)
    wb[ACTIONS_SHEET].cell(2, HEADERS.index("Notes") + 1).value = "changed (fictional)"
    wb.save(out)
    imp = ImportTrackerDialog(ctx)
    qtbot.addWidget(imp)
    imp.show()
    imp.path.setText(str(out))
    imp.check()
    qtbot.waitUntil(lambda: imp.plan is not None, timeout=20_000)
    assert imp.model.rowCount() == 1
    ctx.drop_services()
    assert imp.plan is None and imp.model.rowCount() == 0 and not imp.isVisible()


def test_menu_entries_open_the_dialogs(qtbot, ctx, tmp_path):
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMainWindow

    from deterrence_desktop.ui.trackers import menu

    class Host(QMainWindow):
        """Just the main window's contract: ctx and add_menu_action."""

        def __init__(self, ctx):
            super().__init__()
            self.ctx = ctx
            self.menus = {}

        def add_menu_action(self, menu_name, text, slot, shortcut=None, *,
                            needs_workspace=True, object_name=""):
            m = self.menus.setdefault(menu_name, self.menuBar().addMenu(menu_name))
            action = QAction(text, self)
            action.setObjectName(object_name)
            action.triggered.connect(lambda checked=False: slot())
            m.addAction(action)
            return action

    host = Host(ctx)
    qtbot.addWidget(host)
    menu.install(host)
    export_action = host.findChild(QAction, "exportTrackerAction")
    import_action = host.findChild(QAction, "importTrackerAction")
    export_action.trigger()
    dialog = host.findChild(ExportTrackerDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()
    import_action.trigger()
    assert host.findChild(ImportTrackerDialog) is not None


def test_cancelled_export_leaves_no_file(qtbot, ctx, tmp_path):
    import threading
    out = tmp_path / "cancel.xlsx"
    dialog = export_via_dialog(qtbot, ctx, out, "All partners")
    gate = threading.Event()
    ctx.runner.run(lambda: gate.wait(10))          # keep the worker busy for a moment
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.task is not None and dialog.close_button.text() == "Cancel"
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)   # cancels, stays open
    gate.set()
    qtbot.waitUntil(lambda: "Cancelled" in dialog.message.text(), timeout=10_000)
    assert dialog.isVisible() and dialog.result_export is None
    assert not out.exists()
    assert not any(p.name.startswith(".tracker-") for p in tmp_path.iterdir())


def test_analyst_cannot_tick_names(qtbot, qapp, demo_app):
    context = AppContext()
    context.set_services(demo_app.as_user("demo.analyst"))
    try:
        dialog = ExportTrackerDialog(context)
        qtbot.addWidget(dialog)
        assert not dialog.names.isEnabled()
    finally:
        context.runner.shutdown()


def test_starting_removes_what_killed_exports_left_in_documents(qtbot, ctx, tmp_path,
                                                                 monkeypatch):
    from deterrence_desktop.ui.trackers import menu

    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    left = home / "Documents" / ".tracker-export-999999-ab12cd34.xlsx.part"
    left.write_bytes(b"PK partial")

    class Host:
        def __init__(self, ctx):
            self.ctx = ctx

        def add_menu_action(self, *args, **kwargs):
            return None

    menu.install(Host(ctx))
    qtbot.waitUntil(lambda: not left.exists(), timeout=10_000)
