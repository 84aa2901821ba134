"""Edit conflicts in the window (issue 17): a person's form saved after someone else
changed the same person shows both versions; Keep mine, Take theirs and Back to my
edits each lose nothing. A card moved after someone else changed it does the same."""
from __future__ import annotations

import re
from dataclasses import replace

import shiboken6
from PySide6.QtCore import Qt

from deterrence_desktop.services.app import WorkspaceServices
from tests.conftest import save_screenshot
from tests.journeys.driver import (
    WAIT, dialog, field, keys, navigate, press, see, shot, type_into,
)

MINE, THEIRS = "Mine-Testy", "Theirs-Testy"


def someone_else(services) -> WorkspaceServices:
    """Another coordinator's services on the same workspace."""
    return WorkspaceServices(services.workspace, clock=services._clock).as_user("demo.coordinator")


def change_behind_the_form(win, person_id: int, **values):
    def change(s):
        other = someone_else(s)
        return other.people.update(replace(other.people.get(person_id), **values))
    return win.ctx.call_sync(change)


def open_person_form(qtbot, win):
    """Open the first person from the People list with Enter, then press Edit…"""
    people = win.pages["people"]
    target = win.ctx.call_sync(lambda s: s.people.list()[0])
    search = field(qtbot, people, "Search people")
    type_into(qtbot, search, target.family_name)
    qtbot.waitUntil(lambda: 0 < people.proxy.rowCount() < people.model.rowCount(), timeout=WAIT)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    view = people.record_view
    qtbot.waitUntil(lambda: view.isVisible() and view.reference == target.reference, timeout=WAIT)
    press(qtbot, "Edit…")
    return target, dialog(qtbot, f"Person {target.reference}")


def rows_of(conflict_dialog) -> list[tuple[str, str, str]]:
    model = conflict_dialog.table.model()
    return [tuple(model.index(r, c).data() for c in range(3)) for r in range(model.rowCount())]


def stored(win, person_id):
    return win.ctx.call_sync(lambda s: s.people.get(person_id))


def save_and_meet_the_conflict(qtbot, win, form, target):
    type_into(qtbot, field(qtbot, form, "Preferred name"), MINE)
    theirs = change_behind_the_form(win, target.id, preferred_name=THEIRS, notes="Their note")
    press(qtbot, "Save", root=form)
    conflict = dialog(qtbot, "Someone else changed this person")
    return theirs, conflict


def test_keep_mine_saves_my_value_and_keeps_their_other_change(qtbot, app_window):
    win = app_window
    target, form = open_person_form(qtbot, win)
    theirs, conflict = save_and_meet_the_conflict(qtbot, win, form, target)
    rows = rows_of(conflict)
    assert ("Preferred name", MINE, THEIRS) in rows
    notes = next(r for r in rows if r[0] == "Notes")
    assert notes[1].startswith("(not changed by you") and notes[2] == "Their note"
    assert [conflict.table.model().headerData(c, Qt.Orientation.Horizontal)
            for c in range(3)] == ["Field", "Yours", "Theirs"]
    see(qtbot, re.compile(r"^Theirs: saved by Casey Demo \(coordinator\), at \d\d \w{3} 2026"),
        conflict)
    assert stored(win, target.id).preferred_name == THEIRS          # nothing written yet
    shot(conflict, "conflict", "person-form")
    save_screenshot(conflict, "conflicts", "person-form")

    press(qtbot, "Keep mine", root=conflict)
    qtbot.waitUntil(lambda: win.statusBar().currentMessage() == f"Saved {target.reference}",
                    timeout=WAIT)
    now = stored(win, target.id)
    assert now.preferred_name == MINE                    # mine where I changed it
    assert now.notes == "Their note"                     # theirs where I did not
    assert now.version == theirs.version + 1
    assert not shiboken6.isValid(form) or not form.isVisible()     # the form closed

    # Undo takes back my edit over theirs: their version comes back, not the older one.
    keys(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: stored(win, target.id).preferred_name == THEIRS, timeout=WAIT)
    assert stored(win, target.id).notes == "Their note"


def test_take_theirs_fills_the_form_with_the_saved_values(qtbot, app_window):
    win = app_window
    target, form = open_person_form(qtbot, win)
    theirs, conflict = save_and_meet_the_conflict(qtbot, win, form, target)
    press(qtbot, "Take theirs", root=conflict)
    box = field(qtbot, form, "Preferred name")
    qtbot.waitUntil(lambda: box.text() == THEIRS, timeout=WAIT)
    assert form.isVisible() and not form.is_dirty()
    shot(form, "conflict", "took-theirs")
    assert stored(win, target.id) == theirs             # the workspace keeps theirs
    # The form now carries their version: a further edit saves without a conflict.
    type_into(qtbot, box, "Third-Testy")
    press(qtbot, "Save", root=form)
    qtbot.waitUntil(lambda: stored(win, target.id).preferred_name == "Third-Testy", timeout=WAIT)
    assert stored(win, target.id).notes == "Their note"


def test_escape_goes_back_to_my_edits_untouched(qtbot, app_window):
    win = app_window
    target, form = open_person_form(qtbot, win)
    theirs, conflict = save_and_meet_the_conflict(qtbot, win, form, target)
    qtbot.keyClick(conflict.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not conflict.isVisible(), timeout=WAIT)
    assert form.isVisible()
    assert field(qtbot, form, "Preferred name").text() == MINE
    assert "Nothing was saved" in form.general_error.text()
    assert stored(win, target.id) == theirs
    # Saving again asks again (their version still stands), and Alt+K keeps mine.
    press(qtbot, "Save", root=form)
    again = dialog(qtbot, "Someone else changed this person")
    qtbot.keyClick(again, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: stored(win, target.id).preferred_name == MINE, timeout=WAIT)


def test_a_card_moved_after_someone_else_changed_it(qtbot, app_window):
    from deterrence_desktop.domain.enums import ActionStatus
    win = app_window
    board = navigate(qtbot, win, "Action board")
    qtbot.waitUntil(lambda: board._data is not None, timeout=WAIT)
    model = board.columns.models["planned"]
    row = next(r for r in range(model.rowCount()) if model.card_at(r) is not None)
    card = model.card_at(row)
    # Someone else blocks the action after this board drew the card.
    win.ctx.call_sync(lambda s: someone_else(s).board.move(
        card.id, ActionStatus.BLOCKED, "Waiting for a (fictional) referral",
        expected_version=card.action.version))
    view = board.columns.columns["planned"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(row))
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    conflict = dialog(qtbot, "Someone else changed this card")
    assert ("Status", "In progress", "Blocked") in rows_of(conflict)
    shot(conflict, "conflict", "board-card")
    save_screenshot(conflict, "conflicts", "board-card")
    assert win.ctx.call_sync(lambda s: s.actions.get(card.id)).status == ActionStatus.BLOCKED
    press(qtbot, "Keep mine", root=conflict)
    qtbot.waitUntil(lambda: win.ctx.call_sync(lambda s: s.actions.get(card.id)).status
                    == ActionStatus.IN_PROGRESS, timeout=WAIT)
    qtbot.waitUntil(lambda: board.columns.models["in_progress"].row_of(card.id) is not None,
                    timeout=WAIT)


def test_take_theirs_on_the_board_shows_the_card_where_it_is_saved(qtbot, app_window):
    from deterrence_desktop.domain.enums import ActionStatus
    win = app_window
    board = navigate(qtbot, win, "Action board")
    qtbot.waitUntil(lambda: board._data is not None, timeout=WAIT)
    model = board.columns.models["planned"]
    row = next(r for r in range(model.rowCount()) if model.card_at(r) is not None)
    card = model.card_at(row)
    win.ctx.call_sync(lambda s: someone_else(s).board.move(
        card.id, ActionStatus.BLOCKED, "Waiting for a (fictional) referral",
        expected_version=card.action.version))
    view = board.columns.columns["planned"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(row))
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    conflict = dialog(qtbot, "Someone else changed this card")
    press(qtbot, "Take theirs", root=conflict)
    qtbot.waitUntil(lambda: board.columns.models["blocked"].row_of(card.id) is not None,
                    timeout=WAIT)
    assert win.ctx.call_sync(lambda s: s.actions.get(card.id)).status == ActionStatus.BLOCKED


def test_an_incident_edit_keeps_mine_over_theirs_and_undo_goes_back_to_theirs(qtbot, demo_app):
    """A form of its own (the incident dialog) meets the same conflict; its undo saves
    over the version its save left, so it restores their version, not the older one."""
    from deterrence_desktop.ui.incidents.page import IncidentsPage
    from tests.journeys.driver import click_row
    from tests.ui.board_support import open_page, wait_idle
    ctx, page = open_page(qtbot, demo_app, IncidentsPage)
    qtbot.waitUntil(lambda: page.loaded_at_least_once, timeout=WAIT)
    def incident(iid=None):
        return ctx.call_sync(lambda s: s.incidents.get(iid or s.incidents.list()[0].id).incident)
    first = incident()
    click_row(qtbot, page.table, first.place, double=True)
    form = dialog(qtbot, "Edit incident")
    qtbot.waitUntil(lambda: form.place.text() == first.place, timeout=WAIT)
    type_into(qtbot, field(qtbot, form, "Place"), "Mine Place (fictional)")
    def change(s):
        detail = s.incidents.get(first.id)
        return someone_else(s).incidents.update(
            first.id, replace(first, description="Their account"), detail.roles,
            [g.group_id for g in detail.groups])
    theirs = ctx.call_sync(change)
    press(qtbot, "Save and close", form)
    conflict = dialog(qtbot, "Someone else changed this incident")
    rows = rows_of(conflict)
    assert ("Place", "Mine Place (fictional)", first.place) in rows
    assert next(r for r in rows if r[0] == "Description")[2] == "Their account"
    press(qtbot, "Keep mine", root=conflict)
    qtbot.waitUntil(lambda: incident(first.id).place
                    == "Mine Place (fictional)", timeout=WAIT)
    saved = incident(first.id)
    assert saved.description == "Their account" and saved.version == theirs.version + 1
    wait_idle(qtbot, ctx)
    ctx.undo_stack.undo()
    qtbot.waitUntil(lambda: incident(first.id).place == first.place,
                    timeout=WAIT)
    assert incident(first.id).description == "Their account"
    for _ in range(3):
        wait_idle(qtbot, ctx)
        qtbot.wait(50)
    ctx.runner.shutdown()
