"""The trust pieces of the GUI: the audit log page, users, backups and retention dialogs."""
from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from deterrence_desktop.domain.model import Group
from deterrence_desktop.ui.audit.page import AuditLogPage
from deterrence_desktop.ui.security.backups import BackupsDialog
from deterrence_desktop.ui.security.guards import BackupScheduler, copy_sensitive
from deterrence_desktop.ui.security.retention import RetentionDialog
from deterrence_desktop.ui.security.users import UserManagementDialog

from conftest import DEMO_TODAY, save_screenshot

WAIT = 20_000


def shot(widget, name):
    save_screenshot(widget, 'security', name)


def idle(qtbot, ctx):
    qtbot.waitUntil(lambda: not ctx.runner.busy, timeout=WAIT)


def test_audit_page_lists_newest_first_filters_and_verifies(qtbot, ctx, demo_app):
    demo_app.groups.create(Group(name="Audited group (fictional)", type="street_group"))
    page = AuditLogPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 600)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() > 3, timeout=WAIT)
    seqs = [page.model.row_object(i).seq for i in range(page.model.rowCount())]
    assert seqs == sorted(seqs, reverse=True)
    assert page.model.row_object(0).entity == "group"
    page.operation.setCurrentIndex(page.operation.findData("collection"))
    qtbot.waitUntil(lambda: page.model.rowCount() > 0 and all(
        page.model.row_object(i).operation == "collection"
        for i in range(page.model.rowCount())), timeout=WAIT)
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "intact" in page.chain_label.text(), timeout=WAIT)
    shot(page, "audit_log.png")
    # Someone edits an entry behind the app's back: the check says so.
    with demo_app.workspace.session() as s:
        s.connection().exec_driver_sql("DROP TRIGGER audit_entry_no_update")
        s.connection().exec_driver_sql("UPDATE audit_entry SET detail = 'tampered' WHERE seq = 2")
    qtbot.mouseClick(page.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "altered" in page.chain_label.text(), timeout=WAIT)
    assert "entry 2" in page.chain_label.text()
    ctx.drop_services()
    assert page.model.rowCount() == 0 and page.chain_label.text() == ""


def test_user_dialog_adds_a_user_with_a_password(qtbot, ctx, demo_app):
    dlg = UserManagementDialog(ctx)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 3, timeout=WAIT)
    qtbot.keyClicks(dlg.username, "new.officer")
    qtbot.keyClicks(dlg.display_name, "Nova Fictional")
    dlg.role.setCurrentIndex(dlg.role.findData("partner_officer"))
    assert dlg.partner.isEnabled()
    dlg.partner.setCurrentIndex(dlg.partner.findText("Fictionbury Police"))
    qtbot.keyClicks(dlg.new_password, "fictional pass 9")
    qtbot.keyClicks(dlg.repeat, "fictional pass 8")
    qtbot.mouseClick(dlg.add_button, Qt.MouseButton.LeftButton)
    assert "differ" in dlg.form_error.text()
    dlg.repeat.clear()
    qtbot.keyClicks(dlg.repeat, "fictional pass 9")
    qtbot.mouseClick(dlg.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 4, timeout=WAIT)
    idle(qtbot, ctx)
    line = next(dlg.model.row_object(i) for i in range(4)
                if dlg.model.row_object(i).username == "new.officer")
    assert line.password and line.role == "partner_officer" and line.partner == "Fictionbury Police"
    actor = ctx.call_sync(lambda s: s.users.sign_in("new.officer", "fictional pass 9"))
    assert actor.partner_id is not None
    # A rule broken: the message shows and what was typed stays.
    qtbot.keyClicks(dlg.username, "x")
    qtbot.keyClicks(dlg.display_name, "Too Short")
    qtbot.mouseClick(dlg.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "username" in dlg.form_error.text(), timeout=WAIT)
    assert dlg.username.text() == "x" and dlg.display_name.text() == "Too Short"
    shot(dlg, "users.png")


def test_backups_dialog_backs_up_and_restores_after_confirmation(qtbot, ctx, demo_app):
    answers = []
    dlg = BackupsDialog(ctx, confirm=lambda parent, text: answers.pop(0))
    qtbot.addWidget(dlg)
    dlg.show()
    idle(qtbot, ctx)
    assert dlg.model.rowCount() == 0 and not dlg.restore_button.isEnabled()
    qtbot.mouseClick(dlg.backup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 1, timeout=WAIT)
    assert "verified" in dlg.status.text()
    demo_app.groups.create(Group(name="After the backup (fictional)", type="street_group"))
    reloaded = []
    ctx.workspace_opened.connect(lambda: reloaded.append(True))
    answers.append(False)
    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    idle(qtbot, ctx)
    assert "After the backup (fictional)" in {g.name for g in demo_app.groups.list()}
    answers.append(True)
    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Restored" in dlg.status.text(), timeout=WAIT)
    idle(qtbot, ctx)
    assert "After the backup (fictional)" not in {g.name for g in demo_app.groups.list()}
    assert reloaded and "before-restore" in dlg.status.text()
    shot(dlg, "backups.png")


def test_retention_dialog_keeps_and_erases(qtbot, ctx, demo_app):
    people = demo_app.people.list()[:2]
    for p in people:
        person = demo_app.people.get(p.id)
        person.review_date = DEMO_TODAY - timedelta(days=5)
        demo_app.people.update(person)
    dlg = RetentionDialog(ctx, confirm=lambda parent, text: "cannot be undone" in text)
    qtbot.addWidget(dlg)
    dlg.resize(900, 560)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.model.rowCount() >= 2, timeout=WAIT)
    shot(dlg, "retention.png")
    n = dlg.model.rowCount()
    refs = {dlg.model.row_object(i).reference for i in range(n)}
    assert {p.reference for p in people} <= refs
    dlg.table.selectRow(0)
    first = dlg.model.row_object(0)
    assert not dlg.keep_button.isEnabled()             # a reason first
    qtbot.keyClicks(dlg.reason, "Still in the cohort (fictional)")
    qtbot.mouseClick(dlg.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.model.rowCount() == n - 1, timeout=WAIT)
    assert "kept" in dlg.status.text() and first.reference in dlg.status.text()
    dlg.table.selectRow(0)
    second = dlg.model.row_object(0)
    qtbot.keyClicks(dlg.reason, "Left the area (fictional)")
    qtbot.mouseClick(dlg.erase_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "erased" in dlg.status.text(), timeout=WAIT)
    idle(qtbot, ctx)
    assert second.person_id not in {p.id for p in demo_app.people.list()}


def test_clipboard_clears_itself_and_backup_timer_runs(qtbot, ctx, demo_app):
    timer = copy_sensitive("FD-0001 Fictional Person", seconds=30)
    assert QGuiApplication.clipboard().text() == "FD-0001 Fictional Person"
    timer.timeout.emit()
    assert QGuiApplication.clipboard().text() == ""
    # Something else copied meanwhile is left alone.
    timer = copy_sensitive("FD-0002", seconds=30)
    QGuiApplication.clipboard().setText("the user's own text")
    timer.timeout.emit()
    assert QGuiApplication.clipboard().text() == "the user's own text"

    scheduler = BackupScheduler(ctx)
    assert scheduler.timer.isActive()
    scheduler.tick()
    qtbot.waitUntil(lambda: scheduler.last_result is not None, timeout=WAIT)
    assert scheduler.last_result.path.exists()
    ctx.drop_services()
    assert not scheduler.timer.isActive()
