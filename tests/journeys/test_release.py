"""Journey (issue 16): no one walks out on a Friday to nothing.

On Tuesday 1 December 2026 the coordinator records that a person has been remanded,
learns that they will be released three days later, on Friday 4 December, applies the
continuity template from the Release planner, sees the Friday flag there and the new
actions on the board (with the incomplete plan on its summary strip), then learns that
the release moves to Thursday 24 December, the day before Christmas, and sees every due
date follow: each hand-checked against the 2026 bank holidays of England.
"""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from shiboken6 import isValid

from deterrence_desktop.domain.clock import FixedClock, set_clock
from driver import (
    WAIT, choose, click_row, dialog, field, navigate, press, row_of, see, shot, type_into,
)

TUESDAY = datetime(2026, 12, 1, 9, 0)
FRIDAY = date(2026, 12, 4)              # three days ahead
CHRISTMAS_EVE = date(2026, 12, 24)      # a Thursday; Fri 25 and Mon 28 (for Sat 26) are bank holidays

FLAGS, PLAN = 4, 5                      # the planner's Flags and Plan columns

# The example template's steps (offset, direction off a closed day) and their due dates,
# worked out by hand from the calendar.
DUE = {
    "Probation appointment on the day of release": (FRIDAY, CHRISTMAS_EVE),            # 0, later
    "Accommodation confirmed": (date(2026, 11, 27), date(2026, 12, 17)),              # -7
    "Treatment appointment within 1 day of release":                                 # +1, earlier:
        (FRIDAY, CHRISTMAS_EVE),                       # Sat 5 -> Fri 4; Fri 25 -> Thu 24
    "Opioid substitution continuity": (FRIDAY, CHRISTMAS_EVE),
    "Naloxone at the gate": (FRIDAY, CHRISTMAS_EVE),
    "GP registration": (date(2026, 12, 9), date(2026, 12, 29)),                       # +5, later
    "Custom notification within 3 days of release":                                  # +3, earlier:
        (date(2026, 12, 7), CHRISTMAS_EVE),            # Mon 7; Sun 27 -> Sat, Fri 25 -> Thu 24
    "Family support contact":                                                        # +2, later:
        (date(2026, 12, 7), date(2026, 12, 29)),       # Sun 6 -> Mon 7; Sat 26 -> Mon 28 -> Tue 29
}


@pytest.fixture
def tuesday():
    previous = set_clock(FixedClock(TUESDAY))
    yield
    set_clock(previous)


def _dues(win, episode_id: int) -> dict[str, date]:
    plan = win.ctx.call_sync(lambda s: s.continuity.plan(episode_id))
    return {step.title: step.action.due_date for step in plan.steps}


def _closed(qtbot, form) -> None:
    qtbot.waitUntil(lambda: not isValid(form) or not form.isVisible(), timeout=WAIT)


def _open_person(qtbot, win, reference: str):
    people = navigate(qtbot, win, "People")
    view = people.record_view
    if not (view.isVisible() and view.reference == reference):
        click_row(qtbot, people.table, reference, double=True)
    qtbot.waitUntil(lambda: view.isVisible() and view.reference == reference, timeout=WAIT)
    return view


def _learn_release_date(qtbot, win, reference: str, day: date) -> None:
    view = _open_person(qtbot, win, reference)
    press(qtbot, "Learn release date…", view)
    form = dialog(qtbot, f"New release date for {reference}")
    type_into(qtbot, field(qtbot, form, "New expected release"), day.isoformat())
    press(qtbot, "Save", form)
    _closed(qtbot, form)


def test_remand_then_a_friday_release_with_its_continuity_plan(qtbot, tuesday, fresh_demo_window):
    win = fresh_demo_window
    qtbot.waitUntil(lambda: win.unlock_screen.isVisible(), timeout=60_000)
    press(qtbot, "Unlock")
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
    assert win.ctx.services.today() == TUESDAY.date()
    person = win.ctx.call_sync(lambda s: next(
        p for p in s.people.list() if s.custody.current(p.id) is None
        and str(p.legal_status) not in ("custody", "remand")))
    prison = win.ctx.call_sync(lambda s: next(p for p in s.partners.all() if str(p.type) == "prison"))
    ref = person.reference

    # -- remanded today: recorded from the person's page --------------------------------------
    view = _open_person(qtbot, win, ref)
    press(qtbot, "Record custody episode…", view)
    form = dialog(qtbot, f"Custody episode for {ref}")
    choose(qtbot, field(qtbot, form, "Custody"), "Remand")
    choose(qtbot, field(qtbot, form, "Establishment"), prison.name)
    type_into(qtbot, field(qtbot, form, "Prison number"), "a1234bc")
    press(qtbot, "Save", form)
    _closed(qtbot, form)

    # what starts on entry is proposed line by line; the coordinator accepts them
    proposals = dialog(qtbot, "On entry into custody")
    shot(proposals, "release", "entry-proposals")
    lines = proposals.list.count()
    assert lines >= 1
    assert "Start: Referral to the prison drug service" in proposals.list.item(0).text()
    press(qtbot, f"Accept {lines} ticked", proposals)
    _closed(qtbot, proposals)
    episode = win.ctx.call_sync(lambda s: s.custody.current(person.id)).episode
    assert (str(episode.kind), episode.expected_release, episode.prison_number) == \
        ("remand", None, "A1234BC")
    assert str(win.ctx.call_sync(lambda s: s.people.get(person.id)).legal_status) == "remand"
    referral = [a for a in win.ctx.call_sync(lambda s: s.people.page(person.id)).actions
                if a.description.startswith("Referral to the prison drug service")]
    assert referral and referral[0].partner_id == prison.id

    # -- remand with no date is on the planner, flagged ---------------------------------------
    planner = navigate(qtbot, win, "Release planner")
    row = row_of(qtbot, planner.table, ref, column=2).row()
    assert planner.model.index(row, FLAGS).data() == "Remand, no date"
    assert planner.model.index(row, 0).data() == "No date"

    # -- the release date is learned: Friday, three days ahead ---------------------------------
    _learn_release_date(qtbot, win, ref, FRIDAY)
    qtbot.waitUntil(lambda: win.ctx.call_sync(
        lambda s: s.custody.current(person.id)).episode.expected_release == FRIDAY, timeout=WAIT)
    see(qtbot, "Expected release, as learned: Fri 04 Dec 2026", view)
    shot(win, "release", "person-custody")

    # -- the planner flags it; the template is applied to that release --------------------------
    planner = navigate(qtbot, win, "Release planner")
    qtbot.waitUntil(lambda: planner.model.index(row_of(qtbot, planner.table, ref, column=2).row(), 0)
                    .data() == "Fri 04 Dec 2026", timeout=WAIT)
    row = row_of(qtbot, planner.table, ref, column=2).row()
    assert "Friday" in planner.model.index(row, FLAGS).data()
    assert planner.model.index(row, 1).data() == "3 days"
    assert planner.model.index(row, PLAN).data() == "No plan"
    assert planner.model.index(0, 0).data() != "No date"          # dated releases first
    click_row(qtbot, planner.table, ref, column=2)
    press(qtbot, "Apply continuity plan…")
    apply = dialog(qtbot, "Apply continuity plan")
    template = field(qtbot, apply, "Template")
    qtbot.waitUntil(lambda: template.count() > 0, timeout=WAIT)          # the templates load
    choose(qtbot, template, "Release from custody: continuity of care")
    see(qtbot, "Naloxone at the gate: day of release", apply)
    press(qtbot, "Apply", apply)
    _closed(qtbot, apply)
    # a step whose partner type the partnership lacks is left out, and the user is told so
    types = win.ctx.call_sync(lambda s: {str(p.type) for p in s.partners.all()})
    expected = {t: d for t, d in DUE.items() if t != "GP registration" or "health" in types}
    if "health" not in types:
        told = dialog(qtbot, "Continuity plan applied")
        see(qtbot, "no partner of type health", told)
        press(qtbot, "OK", told)
    assert _dues(win, episode.id) == {title: due[0] for title, due in expected.items()}
    qtbot.waitUntil(lambda: planner.plan.plan is not None and planner.plan.steps.isVisible(),
                    timeout=WAIT)
    row = row_of(qtbot, planner.table, ref, column=2).row()
    assert planner.model.index(row, PLAN).data() == "Incomplete"
    n = len(expected)
    see(qtbot, f"Incomplete: {n} of {n} actions open", planner)
    assert win.statusBar().currentMessage().startswith(f"Continuity plan applied: {n} actions")
    shot(win, "release", "planner")

    # -- the board has the new actions, and the incomplete plan on its summary strip -------------
    plan = win.ctx.call_sync(lambda s: s.continuity.plan(episode.id))
    board = navigate(qtbot, win, "Action board")
    qtbot.waitUntil(lambda: board.count_label.text().endswith("actions"), timeout=WAIT)
    planned = next(v for v in board.columns.views() if v.accessibleName() == "Planned column")
    for step in plan.steps:
        qtbot.waitUntil(lambda: planned.model().row_of(step.action.id) is not None, timeout=WAIT)
    strip = see(qtbot, re.compile(r"Continuity plans? not complete"), board)
    assert f"{ref}: release Fri 04 Dec 2026, {n} actions open" in strip
    assert person.family_name not in strip                    # references only on the board
    shot(win, "release", "board")

    # -- the release moves to Christmas Eve: every due date follows ------------------------------
    _learn_release_date(qtbot, win, ref, CHRISTMAS_EVE)
    qtbot.waitUntil(lambda: _dues(win, episode.id) == {t: d[1] for t, d in expected.items()},
                    timeout=WAIT)
    moved = win.ctx.call_sync(lambda s: s.actions.get(plan.steps[0].action.id))
    assert "24 Dec 2026" in (moved.notes or "")                   # the owner sees why it moved

    planner = navigate(qtbot, win, "Release planner")
    qtbot.waitUntil(lambda: planner.model.index(row_of(qtbot, planner.table, ref, column=2).row(), 0)
                    .data() == "Thu 24 Dec 2026", timeout=WAIT)
    row = row_of(qtbot, planner.table, ref, column=2).row()
    assert planner.model.index(row, FLAGS).data() == "Before bank holiday"
    click_row(qtbot, planner.table, ref, column=2)
    steps = planner.plan.steps
    qtbot.waitUntil(lambda: steps.isVisible() and steps.model_.rowCount() == n, timeout=WAIT)
    family = row_of(qtbot, steps, "Family support contact", column=1).row()     # Due, Step, …
    qtbot.waitUntil(lambda: steps.model_.index(family, 0).data() == "Tue 29 Dec", timeout=WAIT)
    shot(win, "release", "planner-moved")

    # -- the plan view from the person's page ---------------------------------------------------
    view = _open_person(qtbot, win, ref)
    press(qtbot, "Continuity plan…", view)
    plan_dialog = dialog(qtbot, "Continuity plan")
    qtbot.waitUntil(lambda: plan_dialog.panel.plan is not None, timeout=WAIT)
    see(qtbot, "Thu 24 Dec 2026", plan_dialog)
    steps = plan_dialog.panel.steps
    treatment = row_of(qtbot, steps, "Treatment appointment within 1 day of release", column=1).row()
    assert steps.model_.index(treatment, 4).data() == "1 day after release, moved off Fri 25 Dec"
    shot(plan_dialog, "release", "plan")
    press(qtbot, "Close", plan_dialog)
