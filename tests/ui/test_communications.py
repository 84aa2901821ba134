"""The communications screens on the demo workspace: quick contact, timeline, log page."""
from __future__ import annotations


from PySide6.QtCore import Qt
from sqlalchemy import func, select

from conftest import save_screenshot
from deterrence_desktop.store.tables import CommunicationRow
from deterrence_desktop.ui.communications.dialog import CommunicationDialog
from deterrence_desktop.ui.communications.page import CommunicationsPage
from deterrence_desktop.ui.communications.timeline import PersonTimeline


def shot(widget, folder: str, name: str) -> None:
    save_screenshot(widget, folder, name)


def count_comms(app, person_id: int | None = None) -> int:
    with app.workspace.session() as s:
        q = select(func.count()).select_from(CommunicationRow)
        if person_id is not None:
            q = q.where(CommunicationRow.person_id == person_id)
        return s.scalar(q)


def busy_person(app) -> int:
    held = next(c for c in app.callins.list() if c.status == "held")
    return app.callins.page(held.id).invitations[0].person_id


def test_adding_a_contact_is_two_clicks_from_the_timeline(qtbot, ctx, demo_app):
    person_id = busy_person(demo_app)
    before = count_comms(demo_app, person_id)
    timeline = PersonTimeline(ctx)
    qtbot.addWidget(timeline)
    timeline.resize(1000, 420)
    timeline.show()
    with qtbot.waitSignal(timeline.loaded, timeout=10_000) as first:
        timeline.set_person(person_id)
    kinds = {r.kind for r in timeline.model.rows}
    assert "call_in" in kinds and "communication" in kinds
    assert timeline.summary.text().startswith(f"{before} contacts")
    shot(timeline, "callins", "person-timeline")
    qtbot.mouseClick(timeline.add_btn, Qt.MouseButton.LeftButton)                 # click 1
    dialog = timeline.dialog
    qtbot.waitUntil(dialog.save_btn.isEnabled, timeout=10_000)
    shot(dialog, "communications", "add-contact")
    with qtbot.waitSignal(timeline.loaded, timeout=10_000) as second:
        qtbot.mouseClick(dialog.save_btn, Qt.MouseButton.LeftButton)              # click 2
    assert count_comms(demo_app, person_id) == before + 1
    assert second.args[0] == first.args[0] + 1
    newest = timeline.model.rows[0]
    assert newest.kind == "communication" and newest.channel == "home_visit"
    assert newest.outcome == "delivered" and newest.messages == "deterrence"


def test_dialog_defaults_follow_the_channel_and_refuse_the_future(qtbot, ctx, demo_app):
    person_id = busy_person(demo_app)
    dialog = CommunicationDialog(ctx, person_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.save_btn.isEnabled, timeout=10_000)
    dialog.channel.setCurrentIndex(dialog.channel.findData("call_in"))
    assert dialog.outcome.currentData() == "attended"
    assert dialog.call_in.currentData() is not None and dialog.call_in.isEnabled()
    dialog.channel.setCurrentIndex(dialog.channel.findData("letter"))
    assert dialog.outcome.currentData() == "sent" and dialog.call_in.currentData() is None
    comm = dialog.communication()
    assert comm.person_id == person_id and comm.channel == "letter"
    dialog.when.setMaximumDateTime(dialog.when.dateTime().addDays(400))
    dialog.when.setDateTime(dialog.when.dateTime().addDays(3))
    before = count_comms(demo_app)
    dialog.save_btn.click()
    assert dialog.error.isVisible() and "future" in dialog.error.text()
    assert count_comms(demo_app) == before


def test_communications_page_log_counts_and_not_contacted(qtbot, ctx, demo_app):
    page = CommunicationsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 640)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.log_model.rowCount() > 0 and page.count_total.text() != "", timeout=10_000)
    recent = demo_app.contacts.counts(90)
    assert page.log_model.rowCount() == recent.total
    page.period.setCurrentIndex(page.period.findData(None))
    qtbot.waitUntil(lambda: page.count_total.text().startswith("200 contacts"), timeout=10_000)
    qtbot.waitUntil(lambda: page.log_model.rowCount() == 200, timeout=10_000)
    partners = {r.name: r.n for r in page.count_models["partner"].rows}
    assert sum(partners.values()) == 200
    shot(page, "communications", "log")
    page.tabs.setCurrentIndex(3)
    shot(page, "communications", "counts")
    # Not contacted in 30 days, for the first cohort.
    page.tabs.setCurrentIndex(1)
    cohort_index = 1
    qtbot.waitUntil(lambda: page.cohort.count() > 1, timeout=10_000)
    cohort_id = page.cohort.itemData(cohort_index)
    page.cohort.setCurrentIndex(cohort_index)
    expected = ctx.call_sync(lambda s: s.contacts.not_contacted(30, cohort_id))   # on the worker, in turn
    qtbot.waitUntil(lambda: page.stale_model.rowCount() == len(expected) and
                    "have had no contact in 30 days" in page.stale_summary.text(), timeout=10_000)
    shot(page, "communications", "not-contacted")
    page.stale_view.selectRow(0)
    target = page.stale_model.row_object(0)
    dialog = page.add_contact_for_selected()
    qtbot.waitUntil(dialog.save_btn.isEnabled, timeout=10_000)
    dialog.save_btn.click()
    qtbot.waitUntil(lambda: page.stale_model.rowCount() == len(expected) - 1, timeout=10_000)
    assert target.person_id not in {r.person_id for r in page.stale_model.rows}


def test_outstanding_custom_notifications_and_their_outcome(qtbot, ctx, demo_app):
    from datetime import date

    from deterrence_desktop.services.notifications import CustomNotification
    people = [p for p in demo_app.people.list() if p.groups][:2]
    for p in people:
        risk = demo_app.notifications.legal_risk(p.id)
        demo_app.notifications.plan(CustomNotification(
            person_id=p.id, partner_id=risk.suggested_partner_id, delivered_by=risk.suggested_deliverer,
            legal_risk_summary=risk.text, lever_ids=list(risk.lever_ids), offer_ids=list(risk.offer_ids),
            place="Home address", planned_for=date(2026, 11, 28)))
    page = CommunicationsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1200, 500)
    page.show()
    page.reload()
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.notification_model.rowCount() == 2, timeout=10_000)
    shot(page, "communications", "custom-notifications")
    page.notification_view.selectRow(0)
    target = page.notification_model.row_object(0)
    dialog = page.record_outcome_for_selected()
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("refused"))
    with qtbot.waitSignal(dialog.recorded, timeout=10_000):
        dialog.save_btn.click()
    qtbot.waitUntil(lambda: page.notification_model.rowCount() == 1, timeout=10_000)
    assert page.notification_model.rows[0].id != target.id
    page.open_only.setChecked(False)
    qtbot.waitUntil(lambda: page.notification_model.rowCount() == 2, timeout=10_000)
    assert {r.outcome for r in page.notification_model.rows} == {"", "refused"}


def test_screens_drop_rows_when_the_workspace_locks(qtbot, ctx, demo_app):
    person_id = busy_person(demo_app)      # before the worker starts writing audit entries
    page = CommunicationsPage(ctx)
    timeline = PersonTimeline(ctx)
    for w in (page, timeline):
        qtbot.addWidget(w)
        w.show()
    page.reload()
    with qtbot.waitSignal(timeline.loaded, timeout=10_000):
        timeline.set_person(person_id)
    qtbot.waitUntil(lambda: page.log_model.rowCount() > 0, timeout=10_000)
    ctx.drop_services()
    assert page.log_model.rowCount() == 0 and timeline.model.rowCount() == 0
    assert timeline.summary.text() == ""


def test_finished_tasks_let_go_of_their_callbacks_on_the_gui_thread(qtbot, ctx):
    """Regression: a widget kept alive only by a task's callback was freed on the worker
    thread when the worker dropped the task last, and Qt crashed."""
    timeline = PersonTimeline(ctx)
    qtbot.addWidget(timeline)
    task = ctx.call(lambda s: s.contacts.counts(), lambda _: timeline.clear())
    qtbot.waitUntil(lambda: task.done and not ctx.runner.busy, timeout=10_000)
    assert task.on_success is None and task.on_failure is None and task.fn is None


def test_the_page_returns_to_its_place_after_a_lock(qtbot, ctx, demo_app):
    page = CommunicationsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.cohort.count() > 1, timeout=10_000)
    page.tabs.setCurrentIndex(1)
    page.days.setValue(45)
    page.cohort.setCurrentIndex(2)
    state = page.view_state()
    ctx.drop_services()
    ctx.set_services(demo_app)
    page.restore_view_state(state)
    cohort_id = state["cohort"]
    expected = ctx.call_sync(lambda s: s.contacts.not_contacted(45, cohort_id))
    qtbot.waitUntil(lambda: page.cohort.currentData() == cohort_id
                    and page.stale_model.rowCount() == len(expected), timeout=10_000)
    assert page.tabs.currentIndex() == 1 and page.days.value() == 45
