"""The release screens on the demo workspace, driven from the keyboard: the planner and its
weeks, the local closures, a template's steps, and entry proposals accepted line by line."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QListWidget

from conftest import save_screenshot
from deterrence_desktop.domain.custody import CustodyEpisode, CustodyKind
from deterrence_desktop.ui.release.custody import EntryProposalsDialog
from deterrence_desktop.ui.release.dialogs import ClosuresDialog
from deterrence_desktop.ui.release.page import ReleasePlannerPage
from deterrence_desktop.ui.release.templates import TemplatesDialog

WAIT = 20_000


def _references(page) -> list[str]:
    return [page.model.index(r, 2).data() for r in range(page.model.rowCount())]


def test_the_planner_lists_soonest_first_and_follows_the_weeks(qtbot, ctx):
    page = ReleasePlannerPage(ctx)
    qtbot.addWidget(page)
    page.resize(1180, 640)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=WAIT)
    # the demo, on Thursday 26 November 2026: a Friday release tomorrow after a long sentence,
    # one the day before Christmas, and two on remand (one far off, one with no date)
    assert _references(page) == ["FD-0033", "FD-0037", "FD-0013", "FD-0036"]
    assert [page.model.index(r, 4).data() for r in range(4)] == [
        "Friday, Long sentence", "Before bank holiday", "", "Remand, no date"]
    assert page.model.index(0, 0).data() == "Fri 27 Nov 2026"
    assert page.model.index(0, 1).data() == "1 day"
    assert page.counts.text().startswith("2 releases in the next 6 weeks · 2 on remand, 1 with no date")
    save_screenshot(page, "release", "planner")

    # fewer weeks: the release at Christmas drops out, remand stays
    page.weeks.setFocus()
    qtbot.keyClick(page.weeks, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(page.weeks, "2")
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT)
    assert "FD-0037" not in _references(page)

    # one selected release: its plan shows beside the list; Apply needs a dated release
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.model.index(0, 2)).center())
    qtbot.waitUntil(lambda: page.plan.plan is not None, timeout=WAIT)
    assert page.plan.plan.person_reference == "FD-0033" and page.apply_btn.isEnabled()
    with qtbot.waitSignal(ctx.open_requested, timeout=WAIT) as opened:     # Enter: the person
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert opened.args == ["person", page.model.row_object(0).person_id]
    last = page.model.rowCount() - 1
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.model.index(last, 2)).center())
    qtbot.waitUntil(lambda: not page.apply_btn.isEnabled(), timeout=WAIT)
    assert "learn it first" in page.apply_btn.toolTip()


def test_closures_are_added_and_removed_from_the_keyboard(qtbot, ctx, demo_app):
    dialog = ClosuresDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=WAIT)      # the demo's closure
    assert dialog.nation.currentText() == "England"
    assert "Fri 25 Dec 2026 (Christmas Day)" in dialog.holidays.text()
    assert "Andrew" not in dialog.holidays.text()
    dialog.nation.setFocus()
    qtbot.keyClicks(dialog.nation, "S")                                    # Scotland
    qtbot.waitUntil(lambda: "Mon 30 Nov 2026 (Saint Andrew's Day)" in dialog.holidays.text(),
                    timeout=WAIT)
    assert ctx.call_sync(lambda s: s.release_planner.nation()) == "scotland"
    dialog.on.setFocus()
    qtbot.keyClicks(dialog.on, "31/02/2027")
    qtbot.keyClick(dialog.on, Qt.Key.Key_Return)                         # on to the description
    assert dialog.focusWidget() is dialog.description
    qtbot.keyClicks(dialog.description, "Council closure day (fictional)")
    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
    assert dialog.error.isVisible() and "YYYY-MM-DD" in dialog.error.text()
    assert dialog.description.text() == "Council closure day (fictional)"    # nothing lost

    dialog.on.selectAll()
    qtbot.keyClicks(dialog.on, "2026-12-29")
    qtbot.keyClick(dialog.on, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=WAIT)
    assert not dialog.error.isVisible() and dialog.on.text() == ""
    closures = ctx.call_sync(lambda s: s.release_planner.closures())
    assert (date(2026, 12, 29), "Council closure day (fictional)") in [(c.on, c.description) for c in closures]
    save_screenshot(dialog, "release", "closures")

    row = next(i for i in range(dialog.list.count()) if "29 Dec" in dialog.list.item(i).text())
    dialog.list.setCurrentRow(row)
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=WAIT)
    assert date(2026, 12, 29) not in [c.on for c in ctx.call_sync(lambda s: s.release_planner.closures())]


def test_a_step_is_added_to_a_template_and_saved_with_it(qtbot, ctx):
    dialog = TemplatesDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.steps.model_.rowCount() == 8, timeout=WAIT)
    assert not dialog.save_btn.isEnabled()
    qtbot.mouseClick(dialog.add_step_btn, Qt.MouseButton.LeftButton)
    form = next(w for w in QApplication.topLevelWidgets()
                if w.isVisible() and w.windowTitle().startswith("New step of"))
    qtbot.keyClicks(form.fields["title"].widget, "Bank account opened (fictional)")
    offset = form.fields["offset_days"].widget
    offset.selectAll()
    qtbot.keyClicks(offset, "a week")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.fields["offset_days"].error.isVisible(), timeout=WAIT)
    assert "whole number" in form.fields["offset_days"].error.text()
    offset.selectAll()
    qtbot.keyClicks(offset, "14")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.steps.model_.rowCount() == 9, timeout=WAIT)
    assert dialog.steps.model_.index(8, 3).data() == "14 days after release"
    assert dialog.save_btn.isEnabled()
    save_screenshot(dialog, "release", "templates")
    qtbot.mouseClick(dialog.save_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.save_btn.isEnabled(), timeout=WAIT)
    steps = ctx.call_sync(lambda s: s.continuity.templates())[0].steps
    assert steps[-1].title == "Bank account opened (fictional)" and steps[-1].offset_days == 14


def test_entry_proposals_are_accepted_line_by_line(qtbot, ctx, demo_app):
    person = next(p for p in demo_app.people.list() if demo_app.custody.current(p.id) is None)
    proposals = demo_app.custody.record_episode(CustodyEpisode(
        person_id=person.id, kind=CustodyKind.REMAND, started_on=demo_app.today()))
    assert len(proposals.proposals) >= 2
    before = {a.id for a in demo_app.people.page(person.id).actions}
    dialog = EntryProposalsDialog(ctx, proposals)
    qtbot.addWidget(dialog)
    dialog.show()
    n = dialog.list.count()
    assert dialog.accept_button.text() == f"Accept {n} ticked"
    dialog.list.setFocus()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Space)                # the first line: not now
    assert dialog.accept_button.text() == f"Accept {n - 1} ticked"
    save_screenshot(dialog, "release", "entry-proposals")
    qtbot.keyClick(dialog.list, Qt.Key.Key_Return)               # the default button
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)
    actions = demo_app.people.page(person.id).actions
    new = [a for a in actions if a.id not in before]
    first = proposals.proposals[0]
    assert first.what == "referral" and not any(a.description == first.description for a in new)
    made = [p for p in proposals.proposals[1:] if p.what != "pause"]
    assert {a.description for a in new} == {p.description for p in made}


def test_an_incomplete_plan_shows_on_the_board_strip_and_on_the_agenda_item(qtbot, demo_app):
    from deterrence_desktop.domain.model import Meeting
    from deterrence_desktop.services.meetings import AgendaEntry
    from deterrence_desktop.ui.board.page import BoardPage
    from deterrence_desktop.ui.meetings import MeetingsPage
    from tests.ui.board_support import open_page, wait_idle

    # the demo's release tomorrow (Friday) after a long sentence has an incomplete plan
    leaving = next(p for p in demo_app.people.list() if p.reference == "FD-0033")
    ctx, board = open_page(qtbot, demo_app, BoardPage)
    strip = board.incomplete_plans
    qtbot.waitUntil(lambda: strip.isVisible(), timeout=WAIT)
    assert "FD-0033: release Fri 27 Nov 2026, 7 actions open" in strip.text()
    assert leaving.family_name not in strip.text()
    wait_idle(qtbot, ctx)
    ctx.runner.shutdown()

    ctx, page = open_page(qtbot, demo_app, MeetingsPage)
    wait_idle(qtbot, ctx)
    other = next(p for p in demo_app.people.list() if p.id != leaving.id)
    page.create_meeting(Meeting(title="Release planning (fictional)", held_on=demo_app.today(),
                                attendees=[demo_app.partners.all()[0].id]),
                        [AgendaEntry(person_id=leaving.id), AgendaEntry(person_id=other.id)])
    note = page.mode.release_note
    qtbot.waitUntil(lambda: note.isVisible(), timeout=WAIT)
    assert note.text() == ("Continuity plan not complete: FD-0033: release Fri 27 Nov 2026, "
                           "7 actions open")
    save_screenshot(page, "release", "agenda-item")
    page.mode.select_item(1)
    qtbot.waitUntil(lambda: page.mode.brief is not None
                    and page.mode.brief.item.person_id == other.id, timeout=WAIT)
    wait_idle(qtbot, ctx)
    assert not note.isVisible()
    ctx.runner.shutdown()


def _top(title: str):
    found = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w.windowTitle() == title]
    return found[0] if found else None


def test_a_plan_applied_from_the_planner_is_undone_in_one_step(qtbot, ctx, demo_app):
    page = ReleasePlannerPage(ctx)
    qtbot.addWidget(page)
    page.resize(1180, 640)
    page.show()
    qtbot.waitUntil(lambda: "FD-0037" in _references(page), timeout=WAIT)
    row = _references(page).index("FD-0037")                     # Thu 24 Dec, no plan yet
    episode_id = page.model.row_object(row).episode_id
    actions_before = len(demo_app.actions.list())
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.model.index(row, 2)).center())
    qtbot.mouseClick(page.apply_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _top("Apply continuity plan") is not None, timeout=WAIT)
    apply = _top("Apply continuity plan")
    qtbot.waitUntil(lambda: apply.apply_button.isEnabled(), timeout=WAIT)
    assert "Before bank holiday" in apply.findChild(QListWidget, "applyReleases").item(0).text()
    qtbot.mouseClick(apply.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ctx.call_sync(lambda s: s.continuity.plan(episode_id)) is not None,
                    timeout=WAIT)
    made = len(demo_app.actions.list()) - actions_before
    assert made >= 7 and ctx.undo_stack.canUndo()
    qtbot.waitUntil(lambda: page.model.index(_references(page).index("FD-0037"), 5).data()
                    == "Incomplete", timeout=WAIT)
    box = _top("Continuity plan applied")                       # the demo has no health partner
    if box is not None:
        box.close()

    ctx.undo_stack.undo()                                       # Ctrl+Z: one step takes it all back
    qtbot.waitUntil(lambda: ctx.call_sync(lambda s: s.continuity.plan(episode_id)) is None,
                    timeout=WAIT)
    assert len(demo_app.actions.list()) == actions_before
    qtbot.waitUntil(lambda: page.model.index(_references(page).index("FD-0037"), 5).data()
                    == "No plan", timeout=WAIT)


def test_a_release_date_is_learned_from_the_planners_list(qtbot, ctx):
    page = ReleasePlannerPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: "FD-0036" in _references(page), timeout=WAIT)
    row = _references(page).index("FD-0036")                     # remand, no date
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.model.index(row, 2)).center())
    qtbot.mouseClick(page.learn_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _top("New release date for FD-0036") is not None, timeout=WAIT)
    form = _top("New release date for FD-0036")
    qtbot.keyClicks(form.fields["expected_release"].widget, "2026-12-11")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.index(_references(page).index("FD-0036"), 0).data()
                    == "Fri 11 Dec 2026", timeout=WAIT)
    # a Friday, and the Monday after is the demo's council closure day (14 Dec)
    assert page.model.index(_references(page).index("FD-0036"), 4).data() == \
        "Friday, Before bank holiday"


def test_custody_suite_contacts_by_day_and_hour(qtbot, ctx, demo_app):
    from deterrence_desktop.ui.release.suite import SuiteCountsDialog
    dialog = SuiteCountsDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.counts is not None, timeout=WAIT)
    first, last = date(2026, 11, 26) - timedelta(weeks=12), date(2026, 11, 26)
    counts = demo_app.custody.custody_suite_counts(first, last)
    assert counts.total > 0                                   # the demo's drug workers' contacts
    assert dialog.model.rowCount() == 8 and dialog.model.columnCount() == 25
    assert dialog.model.index(7, 24).data() == str(counts.total)
    day, hour = next((d, h) for d in range(7) for h in range(24) if counts.grid[d][h])
    assert dialog.model.index(day, hour).data() == str(counts.grid[day][hour])
    assert dialog.model.index(day, hour).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert f"{counts.total} contacts: Referral made" in dialog.summary.text()
    save_screenshot(dialog, "release", "custody-suite")

    dialog.date_from.setFocus()
    dialog.date_from.selectAll()
    qtbot.keyClicks(dialog.date_from, "2026-12-01")            # after the end: a clear message
    qtbot.keyClick(dialog.date_from, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=WAIT)
    assert "before the start" in dialog.error.text()


def test_an_episode_is_recorded_from_the_planner_for_a_person_chosen_there(qtbot, ctx, demo_app):
    person = next(p for p in demo_app.people.list() if demo_app.custody.current(p.id) is None
                  and str(p.legal_status) not in ("custody", "remand"))
    page = ReleasePlannerPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=WAIT)
    qtbot.mouseClick(page.record_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _top("Custody episode") is not None, timeout=WAIT)
    form = _top("Custody episode")
    who = form.fields["person_id"].widget
    who.setCurrentIndex(who.findData(person.id))
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _top("On entry into custody") is not None, timeout=WAIT)
    proposals = _top("On entry into custody")
    not_now = next(b for b in proposals.buttons.buttons() if b.text() == "Not now")
    qtbot.mouseClick(not_now, Qt.MouseButton.LeftButton)            # nothing proposed is done
    qtbot.waitUntil(lambda: person.reference in _references(page), timeout=WAIT)
    row = _references(page).index(person.reference)
    assert page.model.index(row, 4).data() == "Remand, no date"
    assert str(demo_app.custody.current(person.id).episode.kind) == "remand"


def test_a_release_is_recorded_from_the_persons_custody_card(qtbot, ctx, demo_app):
    from deterrence_desktop.ui.record_pages import PersonView
    person = next(p for p in demo_app.people.list() if p.reference == "FD-0033")
    view = PersonView(ctx)
    qtbot.addWidget(view)
    view.resize(1180, 900)
    view.show()
    view.show_page(demo_app.people.page(person.id))
    card = view.custody
    qtbot.waitUntil(lambda: card.table.model_.rowCount() == 1, timeout=WAIT)
    assert card.table.model_.index(0, 0).data() == "Sentenced"
    assert card.table.model_.index(0, 1).data() == "Fri 27 Nov 2026"
    assert card.table.model_.index(0, 2).data() == "Friday, Long sentence"
    assert card.learn_btn.isEnabled() and card.release_btn.isEnabled()
    assert not card.record_btn.isEnabled() and "current episode first" in card.record_btn.toolTip()
    qtbot.waitUntil(lambda: card.history.isVisible(), timeout=WAIT)
    assert card.history.text().startswith("Expected release, as learned:")
    save_screenshot(view, "release", "person-custody-card")

    qtbot.mouseClick(card.release_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _top("Release of FD-0033") is not None, timeout=WAIT)
    form = _top("Release of FD-0033")
    status = form.fields["status_after"].widget
    status.setCurrentIndex(status.findText("Licence"))
    qtbot.keyClicks(form.fields["status_end"].widget, "2027-11-26")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    # on licence needs their supervising partner, named on the person's own form: said plainly
    qtbot.waitUntil(lambda: form.general_error.isVisible(), timeout=WAIT)
    assert "supervising partner" in form.general_error.text()
    status.setCurrentIndex(status.findText("None"))
    form.fields["status_end"].widget.clear()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.table.model_.index(0, 7).data() == "26 Nov 2026", timeout=WAIT)
    assert not card.learn_btn.isEnabled() and card.record_btn.isEnabled()
    after = demo_app.people.get(person.id)
    assert (str(after.legal_status), after.custody_release) == ("none", None)


def test_the_planner_shows_charging_timeliness_month_by_month(qtbot, ctx, demo_app):
    """Item 6 of the custody issue: the median and the slowest days from arrest to the
    charging decision per month, from the demo's arrest and charge outcomes."""
    from PySide6.QtWidgets import QPushButton

    from deterrence_desktop.domain.dates import add_months
    from deterrence_desktop.ui.release.charging import ChargingDialog

    page = ReleasePlannerPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    qtbot.waitUntil(lambda: page.charging_rows is not None, timeout=WAIT)
    today = date(2026, 11, 26)
    months = demo_app.outcomes.charging_timeliness(add_months(today.replace(day=1), -11), today)
    decided = [m for m in months if m.count]
    assert decided, "the demo records charges with their arrests"
    last = max(decided, key=lambda m: m.month)
    assert page.charging.text().startswith(
        f"Arrest to charging decision: {last.month:%b %Y} median {last.median_days:g} days, "
        f"slowest {last.slowest_days} ")
    assert f"slowest in 12 months: {max(m.slowest_days for m in decided)} days" in page.charging.text()

    button = next(b for b in page.findChildren(QPushButton)
                  if b.text().replace("&", "") == "Charging timeliness…")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = next(w for w in QApplication.topLevelWidgets()
                  if isinstance(w, ChargingDialog) and w.isVisible())
    shown = {dialog.model.index(r, 0).data(): (dialog.model.index(r, 1).data(),
                                               dialog.model.index(r, 2).data(),
                                               dialog.model.index(r, 3).data())
             for r in range(dialog.model.rowCount())}
    assert shown[f"{last.month:%b %Y}"] == (str(last.count), f"{last.median_days:g}",
                                            str(last.slowest_days))
    save_screenshot(dialog, "release", "charging-timeliness")
    dialog.reject()
