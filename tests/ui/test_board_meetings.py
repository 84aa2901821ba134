"""The meetings page: create a meeting, walk the agenda in meeting mode, record a
decision and a new action, export the minutes (read back), project the agenda."""
from __future__ import annotations

from datetime import timedelta

import pytest
import shiboken6
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from deterrence_desktop.domain.enums import ActionKind
from deterrence_desktop.domain.model import Action, Meeting
from deterrence_desktop.services.meetings import AgendaEntry
from deterrence_desktop.ui.meetings import MeetingsPage
from deterrence_desktop.ui.meetings.dialogs import CreateMeetingDialog
from tests.conftest import DEMO_TODAY
from tests.ui.board_support import (audit_for, open_page, project_by_pressing, save_shot,
                                    wait_idle)


@pytest.fixture
def meetings(qtbot, demo_app):
    ctx, page = open_page(qtbot, demo_app, MeetingsPage)
    page.resize(1400, 900)
    page.show()
    wait_idle(qtbot, ctx)
    yield ctx, page
    if page.projection is not None and shiboken6.isValid(page.projection):
        page.projection.close()
    wait_idle(qtbot, ctx)
    ctx.runner.shutdown()


def new_meeting(qtbot, ctx, page, demo_app):
    partners = demo_app.partners.all()
    people = demo_app.people.list()
    group = demo_app.groups.list()[0]
    page.create_meeting(Meeting(title="Weekly partnership meeting (fictional)", held_on=DEMO_TODAY,
                                attendees=[partners[0].id, partners[1].id, partners[2].id]),
                        [AgendaEntry(person_id=people[0].id), AgendaEntry(person_id=people[1].id),
                         AgendaEntry(group_id=group.id)])
    wait_idle(qtbot, ctx)
    qtbot.waitUntil(lambda: page.mode.brief is not None, timeout=10_000)
    wait_idle(qtbot, ctx)
    return partners, people, group


def test_meeting_mode_decision_action_and_minutes(meetings, qtbot, demo_app, tmp_path):
    ctx, page = meetings
    partners, people, group = new_meeting(qtbot, ctx, page, demo_app)
    assert page.stack.currentIndex() == 1
    assert page.mode.agenda.rowCount() == 3
    assert page.mode.brief.item.person_id == people[0].id
    assert page.mode.open_actions.rowCount() == len(page.mode.brief.open_actions)
    assert page.meetings.rowCount() == len(demo_app.meetings.list())
    # The chair records a decision and moves on.
    page.mode.decision.setPlainText("Offer the housing referral again; mother to attend (fictional).")
    page.mode.decision.setFocus()
    qtbot.keyClick(page.mode.decision, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.mode.item_index == 1 and page.mode.brief is not None
                    and page.mode.brief.item.person_id == people[1].id, timeout=10_000)
    detail = demo_app.meetings.detail(page.mode.detail.meeting.id)
    assert detail.items[0].discussed and detail.items[0].decision.startswith("Offer the housing")
    # A new action agreed for the second person, stamped with the meeting.
    page.mode.add_action(Action(partner_id=partners[1].id, kind=ActionKind.SUPPORT,
                                description="Book mental health appointment", assignee="C. Keyworker",
                                due_date=DEMO_TODAY + timedelta(days=10)))
    qtbot.waitUntil(lambda: page.mode.agreed.rowCount() == 1, timeout=10_000)
    agreed = page.mode.agreed.row(0)
    assert agreed.meeting_id == detail.meeting.id and agreed.person_id == people[1].id
    save_shot(page, "meeting-mode.png")
    # Minutes, written on the worker, read back.
    path = tmp_path / "minutes.pdf"
    page.export_minutes(path)
    wait_idle(qtbot, ctx)
    assert page.last_export == [path]
    text = "\n".join(p.extract_text() for p in PdfReader(str(path)).pages)
    assert "OFFICIAL-SENSITIVE" in text and "Weekly partnership meeting (fictional)" in text
    assert "Offer the housing referral again" in text and "Book mental health appointment" in text
    assert people[1].reference in text and people[1].family_name not in text
    entry = audit_for(demo_app, "meeting", detail.meeting.id)[-1]
    assert entry.operation == "disclosure" and partners[2].name in entry.recipient
    # Each owning partner's list.
    out = tmp_path / "lists"
    out.mkdir()
    page.export_partner_lists(out)
    wait_idle(qtbot, ctx)
    assert len(page.last_export) == 1
    assert page.last_export[0].name.startswith(f"{DEMO_TODAY:%Y-%m-%d}-actions-")
    assert partners[1].name in PdfReader(str(page.last_export[0])).pages[0].extract_text()
    assert len(list(out.iterdir())) == 1


def test_create_dialog_checks_and_returns_the_agenda(qtbot, demo_app):
    partners = demo_app.partners.all()
    people = demo_app.people.list()
    dialog = CreateMeetingDialog(partners, demo_app.cohorts.list(), people, demo_app.groups.list(),
                                 DEMO_TODAY)
    qtbot.addWidget(dialog)
    dialog.use_list.setChecked(True)
    dialog._accept()
    assert "partners" in dialog.error.text()
    dialog.check("partner", partners[0].id)
    dialog._accept()
    assert "cohort" in dialog.error.text()
    dialog.check("person", people[3].id)
    dialog.search.setText(people[3].reference)
    visible = [dialog.subjects.item(r).text() for r in range(dialog.subjects.count())
               if not dialog.subjects.item(r).isHidden()]
    assert visible and all(people[3].reference in t for t in visible)
    dialog.search.clear()
    dialog.show()
    save_shot(dialog, "create-meeting-dialog.png")
    meeting, agenda = dialog.result_value()
    assert meeting.attendees == [partners[0].id]
    assert agenda == [AgendaEntry(person_id=people[3].id)]
    dialog.use_cohort.setChecked(True)
    meeting, agenda = dialog.result_value()
    assert agenda == [] and meeting.cohort_id == dialog.cohort.currentData()


def test_projecting_the_agenda_walks_items_without_names(meetings, qtbot, demo_app):
    ctx, page = meetings
    partners, people, group = new_meeting(qtbot, ctx, page, demo_app)
    project_by_pressing(qtbot, page, "Project agenda…", zoom=150, isa_only=False,
                        present=[partners[0].name, partners[1].name])
    qtbot.waitUntil(lambda: page.projection is not None, timeout=10_000)
    window = page.projection
    assert [i.label for i in window.items] == [people[0].reference, people[1].reference, group.name]
    names = {demo_app.people.get(p.id).family_name for p in people[:2]}
    for i in range(3):
        window.show_item(i)
        text = "\n".join(window.rendered_texts())
        assert not any(n in text for n in names)
        assert "open" in window.details.text()
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: page.mode.item_index == window.index, timeout=5000)
    wait_idle(qtbot, ctx)
    # The chair records a new action: the wall shows it on the same item.
    before = len(window.current.cards)
    page.mode.add_action(Action(partner_id=partners[0].id, kind=ActionKind.COMMUNICATION,
                                description="Send follow-up letter"))
    qtbot.waitUntil(lambda: len(window.current.cards) == before + 1, timeout=10_000)
    assert window.index == page.mode.item_index and "1 agreed at this meeting" in window.details.text()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    wait_idle(qtbot, ctx)
    entries = audit_for(demo_app, "projection")
    assert [e.detail.split(";")[0] for e in entries[-2:]] == ["projection started", "projection ended"]
    assert entries[-1].entity_ref.startswith("meeting ")


def test_agenda_item_on_the_wall_screenshot(qtbot, demo_app):
    from deterrence_desktop.ui.board.projection import ProjectionWindow
    from deterrence_desktop.ui.context import AppContext
    meeting = demo_app.meetings.list()[0]
    detail = demo_app.meetings.detail(meeting.id)
    data = demo_app.board.load()
    items = MeetingsPage.projection_items(data, detail)
    assert [i.label for i in items] == [i.label for i in detail.items]
    busiest = max(range(len(items)), key=lambda n: len(items[n].cards))
    ctx = AppContext()
    window = ProjectionWindow(ctx, items, title=detail.meeting.title, scope="meeting",
                              recipients=[], zoom=200, today=data.today)
    window.resize(1920, 1080)
    window.show()
    window.show_item(busiest)
    qtbot.wait(50)
    assert window.heading.text() == items[busiest].label
    assert "open" in window.details.text() and "agreed at this meeting" in window.details.text()
    save_shot(window, "projection-meeting-item-200.png")
    window.close()
    ctx.runner.shutdown()


def test_meeting_mode_with_no_meeting_says_so_and_offers_one(qtbot, empty_app):
    """Meeting mode with nothing selected asks which meeting; with none at all, it says so
    and offers to create one."""
    from tests.journeys.driver import dialog, press
    ctx, page = open_page(qtbot, empty_app, MeetingsPage)
    wait_idle(qtbot, ctx)
    assert page.meetings.rowCount() == 0
    press(qtbot, "Meeting mode", page)
    ask = dialog(qtbot, "Choose a meeting")
    assert any("no meetings yet" in lab.text() for lab in ask.findChildren(QLabel))
    assert not ask.open_button.isVisible()
    save_shot(ask, "choose-meeting-none.png")
    press(qtbot, "New meeting…", ask)
    create = dialog(qtbot, "New partnership meeting")
    assert page.stack.currentIndex() == 0
    press(qtbot, "Cancel", create)
    qtbot.waitUntil(lambda: not create.isVisible(), timeout=5000)
    wait_idle(qtbot, ctx)
    ctx.runner.shutdown()
