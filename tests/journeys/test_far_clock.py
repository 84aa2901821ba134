"""The one clock: a whole journey on a date years away from the machine's.

The demo is made on first run for the app's today, a contact is added from a
person's page with the form's default time, and everything written (the
communication, its audit entry) carries the app's date, not the machine's.
"""
from __future__ import annotations

from datetime import date

import pytest
from shiboken6 import isValid

from deterrence_desktop.domain.clock import FixedClock, set_clock
from driver import WAIT, click_row, dialog, navigate, press, shot

FAR = date(2031, 6, 16)             # a Monday, years after any machine running this today


@pytest.fixture
def far_clock():
    previous = set_clock(FixedClock(FAR))
    yield
    set_clock(previous)


def test_a_journey_years_away_from_the_machines_date(qtbot, far_clock, fresh_demo_window):
    win = fresh_demo_window
    qtbot.waitUntil(lambda: win.unlock_screen.isVisible(), timeout=60_000)
    press(qtbot, "Unlock")
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
    assert win.ctx.services.today() == FAR

    people = navigate(qtbot, win, "People")
    person = win.ctx.call_sync(lambda s: s.people.list()[0])
    click_row(qtbot, people.table, person.reference, double=True)
    press(qtbot, "Add contact…")
    form = dialog(qtbot, "Add a contact")
    shot(win, "far-clock", "add-contact")
    assert form.when.dateTime().date().toPython() == FAR         # the form's default: the app's today
    press(qtbot, "Save", form)
    qtbot.waitUntil(lambda: not isValid(form) or not form.isVisible(), timeout=WAIT)   # saved, closed

    comms = win.ctx.call_sync(lambda s: s.communications.timeline(person.id))
    assert FAR in [c.occurred_at.date() for c in comms]
    entries = win.ctx.call_sync(lambda s: s.audit_log.entries(limit=5))
    assert entries and all(e.at.startswith("2031-06-1") for e in entries)   # written on the app's clock
