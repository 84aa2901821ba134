"""What the window says back: a group's members changed from the group's page with
undo; one consultation per number settled on, not per keystroke; headers and the window
title whole; messages in plain English."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from driver import (
    WAIT, choose, click_row, dialog, field, keys, navigate, press, shot, tab, type_into,
)


def _status(win) -> str:
    return win.statusBar().currentMessage()


def test_members_changed_from_the_group_page_and_undone(qtbot, app_window):
    win = app_window
    groups = navigate(qtbot, win, "Groups")
    group = win.ctx.call_sync(lambda s: s.groups.list()[0])
    members = {m.person_id for m in win.ctx.call_sync(lambda s: s.groups.page(group.id)).members
               if m.end is None}
    newcomer = next(p for p in win.ctx.call_sync(lambda s: s.people.list()) if p.id not in members)
    click_row(qtbot, groups.table, group.name, double=True)
    view = groups.record_view
    qtbot.waitUntil(lambda: view.isVisible() and view.group_name == group.name, timeout=WAIT)

    press(qtbot, "Add member…")
    form = dialog(qtbot, "Add a member")
    choose(qtbot, field(qtbot, form, "Person"), f"{newcomer.reference} · {newcomer.display_name}")
    type_into(qtbot, field(qtbot, form, "Role"), "runner")
    press(qtbot, "Save", root=form)
    qtbot.waitUntil(lambda: _status(win) == f"Added {newcomer.reference} to the group",
                    timeout=WAIT)
    table = view.findChild(QTableView, "groupMembers")

    # end the membership today: select the row, press End
    click_row(qtbot, table, newcomer.reference)
    press(qtbot, "End", root=view)
    qtbot.waitUntil(lambda: _status(win) == f"Ended the group membership of {newcomer.reference}",
                    timeout=WAIT)
    until = table.model().columns.index(next(c for c in table.model().columns
                                             if c.header == "Until"))
    qtbot.waitUntil(lambda: any(table.model().index(r, 0).data() == newcomer.reference
                                and table.model().index(r, until).data()
                                for r in range(table.model().rowCount())), timeout=WAIT)
    shot(win, "feedback", "group-member-ended")

    def membership():
        page = win.ctx.call_sync(lambda s: s.groups.page(group.id))
        return next(m for m in page.members if m.person_id == newcomer.id)
    ended = membership()
    assert ended.role == "runner" and ended.end == win.ctx.services.today()

    # Edit → Undo takes the ending back
    keys(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _status(win) ==
                    f"Undone: end the group membership of {newcomer.reference}", timeout=WAIT)
    assert membership().end is None

    # and Remove deletes it (a membership recorded in error), audited as an erasure
    click_row(qtbot, table, newcomer.reference)
    press(qtbot, "Remove", root=view)
    qtbot.waitUntil(lambda: _status(win) == f"Removed {newcomer.reference} from the group",
                    timeout=WAIT)
    page = win.ctx.call_sync(lambda s: s.groups.page(group.id))
    assert newcomer.id not in {m.person_id for m in page.members}
    newest = win.ctx.call_sync(lambda s: s.audit_log.entries(5))
    assert any(e.operation == "erasure" and e.entity == "membership" for e in newest)


def test_one_consultation_per_number_settled_on(qtbot, app_window):
    win = app_window
    page = navigate(qtbot, win, "Communications")
    tab(qtbot, page, "Not contacted")

    def looks():
        return [e for e in win.ctx.call_sync(lambda s: s.audit_log.entries(500))
                if e.detail.startswith("not contacted in")]
    qtbot.waitUntil(lambda: len(looks()) >= 1, timeout=WAIT)
    qtbot.wait(1000)
    before = len(looks())
    days = field(qtbot, page, "Not contacted in days")
    days.setFocus()
    days.lineEdit().selectAll()
    qtbot.keyClicks(days, "45")                       # "4", then "45"
    qtbot.keyClick(days, Qt.Key.Key_Return)
    for _ in range(3):                                # three arrow steps: 46, 47, 48
        qtbot.keyClick(days, Qt.Key.Key_Up)
    qtbot.wait(1500)
    qtbot.waitUntil(lambda: "48 days" in page.stale_summary.text(), timeout=WAIT)
    details = [e.detail for e in looks()][: len(looks()) - before]
    assert [d.split(";")[0] for d in details] == ["not contacted in 48 days",
                                                  "not contacted in 45 days"]
    assert re.match(r"^\d+ (person has|people have) had no contact in 48 days",
                    page.stale_summary.text())
    assert " in everyone" not in page.stale_summary.text()


def test_title_headers_and_messages_read_well(qtbot, app_window):
    win = app_window
    people = win.pages["people"]
    # every People header whole ("Legal status" included)
    header = people.table.horizontalHeader()
    for c in range(people.model.columnCount() - 1):
        assert header.sectionSize(c) >= header.sectionSizeHint(c), people.model.headerData(
            c, Qt.Orientation.Horizontal)
    shot(win, "feedback", "people")

    target = win.ctx.call_sync(lambda s: s.people.list()[0])
    search = field(qtbot, people, "Search people")
    type_into(qtbot, search, target.reference)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: people.record_view.reference == target.reference, timeout=WAIT)
    # the app's name once, a reference and never a name
    assert win.windowTitle() == f"Deterrence Desktop — Person {target.reference}"

    # a rule broken: the message reads as English, under its field
    press(qtbot, "Edit…")
    form = dialog(qtbot, f"Person {target.reference}")
    type_into(qtbot, field(qtbot, form, "Date of birth"), "2099-01-01")
    press(qtbot, "Save", root=form)
    error = form.fields["date_of_birth"].error
    qtbot.waitUntil(error.isVisible, timeout=WAIT)
    assert error.text() == "Date of birth must not be in the future."
    form.close_quietly()


def test_cohort_place_added_removed_and_put_back_from_the_person_page(qtbot, app_window):
    win = app_window
    people = win.pages["people"]
    cohort = win.ctx.call_sync(lambda s: s.cohorts.list()[0])
    inside = {m.person_id for m in win.ctx.call_sync(lambda s: s.cohorts.members(cohort.id))}
    target = next(p for p in win.ctx.call_sync(lambda s: s.people.list()) if p.id not in inside)
    click_row(qtbot, people.table, target.reference, double=True)
    view = people.record_view
    qtbot.waitUntil(lambda: view.isVisible() and view.reference == target.reference, timeout=WAIT)

    press(qtbot, "Add to cohort…")
    form = dialog(qtbot, "Add to a cohort")
    choose(qtbot, field(qtbot, form, "Cohort"), cohort.name)
    type_into(qtbot, field(qtbot, form, "Reason"), "Linked to the Bluebell Line (fictional)")
    press(qtbot, "Save", root=form)
    qtbot.waitUntil(lambda: _status(win) == f"Added {target.reference} to the cohort", timeout=WAIT)
    card = view.cohorts.parentWidget()
    click_row(qtbot, view.cohorts, cohort.name)
    press(qtbot, "Remove", root=card)
    qtbot.waitUntil(lambda: _status(win) == f"Removed {target.reference} from the cohort",
                    timeout=WAIT)
    members = lambda: {m.person_id for m in win.ctx.call_sync(lambda s: s.cohorts.members(cohort.id))}  # noqa: E731
    assert target.id not in members()

    keys(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _status(win) == f"Undone: remove {target.reference} from a cohort",
                    timeout=WAIT)
    assert target.id in members()
    place = next(c for c in win.ctx.call_sync(lambda s: s.people.page(target.id)).cohort_memberships
                 if c.cohort_id == cohort.id)
    assert place.reason == "Linked to the Bluebell Line (fictional)"
