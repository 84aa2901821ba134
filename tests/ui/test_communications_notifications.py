"""Planning a custom notification from a person's timeline and recording its outcome."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from deterrence_desktop.store.tables import ActionRow, CommunicationRow, CustomNotificationRow
from deterrence_desktop.ui.communications.timeline import PersonTimeline

SHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "communications"


def test_plan_a_notification_then_record_it_delivered(qtbot, ctx, demo_app):
    person = next(p for p in demo_app.people.list() if p.legal_status == "licence" and p.groups)
    timeline = PersonTimeline(ctx)
    qtbot.addWidget(timeline)
    timeline.show()
    with qtbot.waitSignal(timeline.loaded, timeout=10_000) as before:
        timeline.set_person(person.id)
    dialog = timeline.plan_notification()
    qtbot.waitUntil(dialog.save_btn.isEnabled, timeout=10_000)
    assert "Licence recall" in {dialog.levers.item(i).text() for i in range(dialog.levers.count())
                                if dialog.levers.item(i).checkState().value == 2}
    assert dialog.deliverer.currentData() == "probation"
    assert dialog.partner.currentText() == "Fictionbury Probation Service"
    assert person.reference in dialog.summary.toPlainText()
    QApplication.processEvents()
    SHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SHOTS / "plan-custom-notification.png"))
    with qtbot.waitSignal(timeline.loaded, timeout=10_000) as after:
        dialog.save_btn.click()
    assert after.args[0] == before.args[0] + 1
    planned = next(e for e in timeline.model.rows if e.kind == "notification_planned")
    with demo_app.workspace.session() as s:
        row = s.get(CustomNotificationRow, planned.ref_id)
        action = s.get(ActionRow, row.action_id)
    assert action.status == "planned" and action.person_id == person.id
    outcome = timeline.record_outcome(planned.ref_id)
    outcome.note.setText("Mother present (fictional)")
    with qtbot.waitSignal(timeline.loaded, timeout=10_000):
        outcome.save_btn.click()
    with demo_app.workspace.session() as s:
        row = s.get(CustomNotificationRow, planned.ref_id)
        comm = s.get(CommunicationRow, row.communication_id)
        action = s.get(ActionRow, row.action_id)
    assert row.outcome == "delivered" and comm.channel == "custom_notification"
    assert action.status == "done"
    assert not any(e.kind == "notification_planned" for e in timeline.model.rows)
    assert timeline.model.rows[0].channel == "custom_notification"


def test_the_when_fields_follow_the_services_clock_not_the_machines(qtbot, ctx, demo_app):
    """Years from the machine's date either way, "When" starts at the workspace's now and
    saving at that moment is accepted (it was refused as "in the future" before)."""
    from datetime import datetime

    from deterrence_desktop.domain.clock import FixedClock
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.ui.communications.dialog import CommunicationDialog

    person = next(p for p in demo_app.people.list() if p.legal_status == "licence")
    for moment in (datetime(2019, 3, 4, 10, 15), datetime(2033, 7, 8, 16, 45)):
        services = WorkspaceServices(demo_app.workspace, demo_app.actor, clock=FixedClock(moment))
        ctx.set_services(services)
        dialog = CommunicationDialog(ctx, person.id)
        qtbot.addWidget(dialog)
        qtbot.waitUntil(dialog.save_btn.isEnabled, timeout=10_000)
        shown = dialog.when.dateTime()
        assert (shown.date().year(), shown.date().month(), shown.date().day()) == \
            (moment.year, moment.month, moment.day)
        with qtbot.waitSignal(dialog.recorded, timeout=10_000) as saved:
            dialog.save_btn.click()
        assert saved.args[0].occurred_at.date() == moment.date()
