"""Links on a person's page: co-offending from shared incidents (shown, not editable), and
a family link added through "Add link…" (picker, kind, source, confidence), then removed
and put back with Ctrl+Z."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QTableView

from deterrence_desktop.ui.lists import PeoplePage
from tests.journeys.driver import WAIT, choose, click_row, dialog, field, press, row_of, type_into
from tests.ui.board_support import open_page, wait_idle


@pytest.fixture
def person_page(qtbot, demo_app):
    ctx, page = open_page(qtbot, demo_app, PeoplePage)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT)
    yield ctx, page
    for _ in range(3):
        wait_idle(qtbot, ctx)
        qtbot.wait(50)
    ctx.runner.shutdown()


def _links(ctx, pid):
    return ctx.call_sync(lambda s: s.links.for_person(pid))


def test_add_a_family_link_then_remove_it_and_undo(qtbot, person_page):
    ctx, page = person_page
    me = page.model.row_object(0)
    other = page.model.row_object(1)
    click_row(qtbot, page.table, me.reference, double=True)
    table = page.findChild(QTableView, "personLinks")
    qtbot.waitUntil(lambda: page.record_view.record_id == me.id, timeout=WAIT)
    before = len(_links(ctx, me.id))
    press(qtbot, "Add link…", page)
    dlg = dialog(qtbot, "Add a link")
    search = field(qtbot, dlg, "Find a person")
    type_into(qtbot, search, other.reference)
    qtbot.waitUntil(lambda: dlg.picker.matches.count() > 0, timeout=WAIT)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert dlg.other.text().startswith(other.reference)
    choose(qtbot, field(qtbot, dlg, "Kind", QComboBox), "Family")
    choose(qtbot, field(qtbot, dlg, "Source (which partner said so)", QComboBox), "Fictionbury Police")
    choose(qtbot, field(qtbot, dlg, "Confidence", QComboBox), "Confirmed")
    press(qtbot, "Save", dlg)
    row = row_of(qtbot, table, re.compile(rf"^{other.reference}\b"))
    assert row.siblingAtColumn(1).data() == "Family"
    assert row.siblingAtColumn(2).data() == "Fictionbury Police"
    links = _links(ctx, me.id)
    assert len(links) == before + 1
    added = next(l for l in links if l.other_person_id == other.id and l.kind == "family")
    assert added.confidence == "confirmed" and not added.derived

    click_row(qtbot, table, re.compile(rf"^{other.reference}\b"))
    press(qtbot, "Remove link", page)
    qtbot.waitUntil(lambda: len(_links(ctx, me.id)) == before, timeout=WAIT)
    ctx.undo_stack.undo()
    qtbot.waitUntil(lambda: len(_links(ctx, me.id)) == before + 1, timeout=WAIT)
    row_of(qtbot, table, re.compile(rf"^{other.reference}\b"))      # the page shows it again
