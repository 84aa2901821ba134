"""The incidents page and its keyboard-first quick entry: type a place, pick people by
typing (Enter adds the highlighted match with the role beside it), Ctrl+Enter saves and
starts the next one keeping date and place; Ctrl+Z takes the last one back."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from deterrence_desktop.ui.incidents.page import IncidentsPage
from tests.journeys.driver import WAIT, choose, dialog, field, press, type_into
from tests.ui.board_support import open_page, wait_idle


@pytest.fixture
def incidents(qtbot, demo_app):
    ctx, page = open_page(qtbot, demo_app, IncidentsPage)
    qtbot.waitUntil(lambda: page.loaded_at_least_once, timeout=WAIT)
    yield ctx, page
    for _ in range(3):                  # a reload a finished save asked for, then its answer
        wait_idle(qtbot, ctx)
        qtbot.wait(50)
    ctx.runner.shutdown()


def count(ctx) -> int:
    return ctx.call_sync(lambda s: len(s.incidents.list()))


def _two_people(ctx):
    found = ctx.call_sync(lambda s: s.incidents.find_people("FD", limit=50))
    assert len(found) >= 2
    return found[0], found[1]


def _pick(qtbot, dlg, reference, role):
    choose(qtbot, field(qtbot, dlg, "Role", QComboBox), role)
    search = field(qtbot, dlg, "Find a person")
    type_into(qtbot, search, reference)
    qtbot.waitUntil(lambda: dlg.picker.matches.count() > 0
                    and dlg.picker.matches.item(0).text().startswith(reference), timeout=WAIT)
    qtbot.keyClick(search, Qt.Key.Key_Return)


def test_record_two_incidents_by_keyboard_then_undo_the_last(qtbot, incidents, demo_app):
    ctx, page = incidents
    a, b = _two_people(ctx)
    before = count(ctx)
    press(qtbot, "Record incidents…", page)
    dlg = dialog(qtbot, "Record incidents")
    type_into(qtbot, field(qtbot, dlg, "Place"), "Marlpit Lane (fictional)")
    choose(qtbot, field(qtbot, dlg, "Kind", QComboBox), "Stabbing")
    type_into(qtbot, field(qtbot, dlg, "Description"), "Two groups met outside the chip shop")
    _pick(qtbot, dlg, a.reference, "Suspect")
    _pick(qtbot, dlg, b.reference, "Victim")
    assert dlg.people.count() == 2
    assert dlg.people.item(1).text().endswith("— victim")
    qtbot.keyClick(dlg, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)   # save and next
    qtbot.waitUntil(lambda: dlg.saved_count == 1, timeout=WAIT)
    assert dlg.people.count() == 0 and dlg.place.text() == "Marlpit Lane (fictional)"
    assert "1 incident recorded" in dlg.session.text()

    # the second, with one person, saved with the button
    _pick(qtbot, dlg, a.reference, "Witness")
    press(qtbot, "Save and next", dlg)
    qtbot.waitUntil(lambda: dlg.saved_count == 2, timeout=WAIT)
    rows = ctx.call_sync(lambda s: s.incidents.list())
    assert len(rows) == before + 2
    newest = [r for r in rows if r.place == "Marlpit Lane (fictional)"]
    details = sorted(ctx.call_sync(lambda s: [s.incidents.get(r.id) for r in newest]),
                     key=lambda d: d.incident.id)
    assert sorted(str(p[3]) for p in details[0].people) == ["suspect", "victim"]
    assert str(details[0].incident.kind) == "stabbing"
    press(qtbot, "Close", dlg)

    # Ctrl+Z takes the last incident back
    assert ctx.undo_stack.undoText().startswith("Record incident")
    ctx.undo_stack.undo()
    qtbot.waitUntil(lambda: count(ctx) == before + 1, timeout=WAIT)
    qtbot.waitUntil(lambda: page.model.rowCount() == before + 1, timeout=WAIT)   # the list follows


def test_an_incident_without_a_place_is_refused_and_nothing_is_lost(qtbot, incidents, demo_app):
    ctx, page = incidents
    a, _b = _two_people(ctx)
    before = count(ctx)
    press(qtbot, "Record incidents…", page)
    dlg = dialog(qtbot, "Record incidents")
    _pick(qtbot, dlg, a.reference, "Suspect")
    press(qtbot, "Save and close", dlg)
    qtbot.waitUntil(lambda: bool(dlg.message.text()), timeout=WAIT)
    assert "place" in dlg.message.text().lower()
    assert dlg.isVisible() and dlg.people.count() == 1
    assert count(ctx) == before
    press(qtbot, "Close", dlg)


def test_search_shows_only_the_newest_keystrokes_answer(qtbot, incidents, demo_app):
    ctx, page = incidents
    a, _b = _two_people(ctx)
    press(qtbot, "Record incidents…", page)
    dlg = dialog(qtbot, "Record incidents")
    search = field(qtbot, dlg, "Find a person")
    qtbot.keyClicks(search, a.reference)          # one request per keystroke
    qtbot.waitUntil(lambda: dlg.picker.matches.count() > 0, timeout=WAIT)
    wait_idle(qtbot, ctx)
    assert all(a.reference in dlg.picker.matches.item(i).text()
               for i in range(dlg.picker.matches.count()))
    press(qtbot, "Close", dlg)
