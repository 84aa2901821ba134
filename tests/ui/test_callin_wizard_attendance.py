"""The call-ins page and the attendance dialog on the demo workspace."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from conftest import save_screenshot
from deterrence_desktop.domain.enums import AttendanceStatus as A
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.tables import ActionRow, CustomNotificationRow
from deterrence_desktop.ui.callins.page import CallInsPage
from deterrence_desktop.ui.callins.wizard import CallInWizard


def shot(widget, name):
    save_screenshot(widget, 'callins', name)


def test_attendance_with_two_no_shows_proposes_two_follow_ups(qtbot, ctx, demo_app):
    # The evening after the planned call-in (10 Dec): attendance can be recorded.
    later = WorkspaceServices(demo_app.workspace, demo_app.actor, today=date(2026, 12, 11))
    ctx.set_services(later)
    page = CallInsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    planned = next(r for r in page.model.rows if r.status == "planned")
    page.select(planned.id)
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.call_in.id == planned.id, timeout=10_000)
    assert page.attendance_btn.isEnabled() and not page.resume_btn.isEnabled()
    assert page.figures.values["Attendance rate"].text() == "—"
    assert page.model.index(page.model.row_of_id(planned.id), 3).data() == "—"
    dialog = page.record_attendance()
    qtbot.waitUntil(lambda: dialog.save_btn.isEnabled(), timeout=10_000)
    invs = page.detail.invitations
    no_shows = [invs[0].person_id, invs[1].person_id]
    for pid in no_shows:
        dialog.set_attendance(pid, A.NO_SHOW)
    dialog.set_attendance(invs[2].person_id, A.EXCUSED)
    dialog.rest_btn.click()
    shot(dialog, "attendance-1-record")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save_btn.click()
    follow = [p for p in dialog.proposals if p.kind == "custom_notification"]
    assert sorted(p.person_id for p in follow) == sorted(no_shows)
    assert len(dialog.proposals) == 2
    assert dialog.proposal_table.rowCount() == 2
    shot(dialog, "attendance-2-proposals")
    dialog.choose(no_shows[1], "home_visit")
    with qtbot.waitSignal(dialog.follow_ups_created, timeout=10_000):
        dialog.create_btn.click()
    with demo_app.workspace.session() as s:
        acts = {a.person_id: a for a in s.scalars(select(ActionRow).where(ActionRow.id.in_(dialog.created)))}
        notes = list(s.scalars(select(CustomNotificationRow).where(
            CustomNotificationRow.person_id.in_(no_shows))))
    assert set(acts) == set(no_shows)
    assert "Custom notification" in acts[no_shows[0]].description
    assert acts[no_shows[1]].description.startswith("Home visit")
    assert [n.person_id for n in notes] == [no_shows[0]]
    # The page reloads: 12 of 14 expected attended (one excused), two follow-ups.
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.follow_ups == 2, timeout=10_000)
    assert page.figures.values["Attendance rate"].text() == f"{12 / 14:.0%}"
    assert page.figures.values["Follow-ups"].text() == "2"
    shot(page, "callins-page")


def test_drafts_can_be_resumed_from_the_page(qtbot, ctx, demo_app):
    from deterrence_desktop.services import callins as flow
    state = flow.record(demo_app.callins.start(), {"title": "Draft call-in (fictional)"})
    saved = demo_app.callins.save_draft(state)
    page = CallInsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=10_000)
    page.select(saved.draft_id)
    assert page.resume_btn.isEnabled() and not page.attendance_btn.isEnabled()
    page.resume_btn.click()
    qtbot.waitUntil(lambda: getattr(page, "wizard", None) is not None, timeout=10_000)
    wizard = page.wizard
    event = wizard.page_for(flow.EVENT)
    qtbot.waitUntil(lambda: event.isComplete(), timeout=10_000)
    assert event.title_edit.text() == "Draft call-in (fictional)"
    assert wizard.state.draft_id == saved.draft_id
    wizard.reject()


def test_locking_closes_the_wizard_and_empties_the_page(qtbot, ctx, demo_app):
    from deterrence_desktop.services import callins as flow
    page = CallInsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and page.detail is not None, timeout=10_000)
    wizard = page.open_wizard(CallInWizard(ctx, parent=page))
    event = wizard.page_for(flow.EVENT)
    qtbot.waitUntil(event.isComplete, timeout=10_000)
    with qtbot.waitSignal(wizard.rejected, timeout=5_000):
        ctx.drop_services()
    assert page.model.rowCount() == 0 and page.invitations.model_.rowCount() == 0
    assert not page.event_card.isVisible()


def test_an_analyst_can_look_but_not_plan_or_record(qtbot, ctx, demo_app):
    ctx.set_services(demo_app.as_user("demo.analyst"))
    page = CallInsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.detail is not None, timeout=10_000)
    assert not page.plan_btn.isEnabled() and not page.attendance_btn.isEnabled()
    assert page.invitations.model_.rowCount() == 15


def test_the_call_ins_page_keeps_its_selection_across_a_lock(qtbot, ctx, demo_app):
    page = CallInsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    held = next(r for r in page.model.rows if r.status == "held")
    assert page.open_record(held.id)
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.call_in.id == held.id, timeout=10_000)
    state = page.view_state()
    ctx.drop_services()
    assert page.detail is None or not page.figures_card.isVisible()
    page.restore_view_state(state)
    ctx.set_services(demo_app)          # workspace_opened reloads the page
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.call_in.id == held.id
                    and page.figures_card.isVisible(), timeout=10_000)


def test_attendance_for_a_future_call_in_says_why_before_anything_is_typed(qtbot, ctx, demo_app):
    # The demo's planned call-in is on 10 Dec 2026; the services' today is 26 Nov 2026.
    page = CallInsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    planned = next(r for r in page.model.rows if r.status == "planned")
    page.select(planned.id)
    why = "Attendance can be recorded from the day of the call-in, 10 December 2026."
    assert page.attendance_btn.toolTip() == why
    page.attendance_btn.click()
    dialog = page.attendance_dialog
    qtbot.waitUntil(lambda: dialog.page is not None and dialog.table.rowCount() > 0, timeout=10_000)
    assert dialog.not_yet.isVisible() and dialog.not_yet.text() == why
    assert not dialog.table.isEnabled() and not dialog.save_btn.isEnabled()
    assert not dialog.rest_btn.isEnabled()
    shot(dialog, "attendance-0-not-yet")
    dialog.reject()


def test_cancel_call_in_asks_first(qtbot, ctx, demo_app, monkeypatch):
    """The button's clicked(bool) once came in as ``confirm=False``: it cancelled unasked."""
    from PySide6.QtWidgets import QMessageBox

    asked = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda *args, **kw: asked.append(args) or QMessageBox.StandardButton.No))
    page = CallInsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=10_000)
    planned = next(r for r in page.model.rows if r.status == "planned")
    page.select(planned.id)
    assert page.cancel_btn.isEnabled()
    page.cancel_btn.click()
    qtbot.wait(200)
    assert len(asked) == 1 and demo_app.callins.get(planned.id).status == "planned"
