"""The group audit page on the demo: the table of groups with reach, a session opened with
the partners in the room, incidents recorded during it, and closing it writes ONE audit
entry of operation COMBINATION; removing an incident asks first and Ctrl+Z puts it back."""
from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from sqlalchemy import select

from deterrence_desktop.store.tables import AuditEntryRow
from deterrence_desktop.ui.group_audit.page import GroupAuditPage
from deterrence_desktop.ui.incidents.page import IncidentsPage
from tests.journeys.driver import WAIT, choose, click_row, dialog, field, press, row_of, tick, type_into
from tests.ui.board_support import open_page, wait_idle


def _settle(qtbot, ctx):
    for _ in range(3):
        wait_idle(qtbot, ctx)
        qtbot.wait(50)


@pytest.fixture
def audit(qtbot, demo_app):
    ctx, page = open_page(qtbot, demo_app, GroupAuditPage)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT)
    yield ctx, page
    _settle(qtbot, ctx)
    ctx.runner.shutdown()


def test_table_of_groups_with_reach(qtbot, audit):
    ctx, page = audit
    rows = ctx.call_sync(lambda s: s.group_audit.table())
    assert page.model.rowCount() == len(rows)
    bluebell = row_of(qtbot, page.table, "Bluebell Line", column=0)
    reach = bluebell.siblingAtColumn(len(page.model.columns) - 1).data()
    r = next(x for x in rows if x.name == "Bluebell Line").reach
    assert reach.startswith(f"{r.reached} of {r.current_members} (")
    assert "Copperfield Crew" in bluebell.siblingAtColumn(6).data()        # its rival
    assert "Session of 01 Oct 2026" in page.about.text()
    assert "Figures as of 26 Nov 2026" in page.about.text()       # today's, not the session's day
    with qtbot.waitSignal(ctx.open_requested) as sig:
        click_row(qtbot, page.table, "Bluebell Line", double=True, column=0)
    assert sig.args[0] == "group"


def test_open_record_and_close_a_session_writes_one_combination(qtbot, audit):
    ctx, page = audit
    press(qtbot, "Open a session…", page)
    dlg = dialog(qtbot, "Open a group audit session")
    tick(qtbot, field(qtbot, dlg, "Taking part"), "Fictionbury Police")
    press(qtbot, "Open session", dlg)
    qtbot.waitUntil(lambda: "(open)" in page.session_combo.currentText(), timeout=WAIT)
    assert "Taking part: Fictionbury Police" in page.about.text()

    press(qtbot, "Record incidents…", page)
    entry = dialog(qtbot, "Record incidents")
    type_into(qtbot, field(qtbot, entry, "Place"), "Canal towpath (fictional)")
    choose(qtbot, field(qtbot, entry, "Kind", QComboBox), "Robbery")
    search = field(qtbot, entry, "Find a person")
    type_into(qtbot, search, "FD-0003")
    qtbot.waitUntil(lambda: entry.picker.matches.count() > 0, timeout=WAIT)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    press(qtbot, "Save and close", entry)
    qtbot.waitUntil(lambda: not shiboken6.isValid(entry) or not entry.isVisible(), timeout=WAIT)

    press(qtbot, "Close the session", page)
    press(qtbot, "Yes", dialog(qtbot, "Close the session"))
    qtbot.waitUntil(lambda: "(closed)" in page.session_combo.currentText(), timeout=WAIT)
    _settle(qtbot, ctx)

    def combos(s):
        with s.workspace.session() as db:
            return list(db.scalars(select(AuditEntryRow).where(
                AuditEntryRow.entity == "group_audit", AuditEntryRow.operation == "combination")))
    entries = ctx.call_sync(combos)
    assert len(entries) == 1
    assert "incident" in (entries[0].detail or "").lower()

    # looking back at the first session: its figures as of its own day
    choose(qtbot, page.session_combo, "Session of 01 Oct 2026 (closed)")
    qtbot.waitUntil(lambda: "Figures as of 01 Oct 2026" in page.about.text(), timeout=WAIT)


def test_removing_an_incident_asks_then_undo_puts_it_back(qtbot, demo_app):
    ctx, page = open_page(qtbot, demo_app, IncidentsPage)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT)
    before = page.model.rowCount()
    first = page.model.row_object(0)
    click_row(qtbot, page.table, first.place)
    press(qtbot, "Remove…", page)
    press(qtbot, "No", dialog(qtbot, "Remove incident"))
    assert ctx.call_sync(lambda s: len(s.incidents.list())) == before
    press(qtbot, "Remove…", page)
    press(qtbot, "Yes", dialog(qtbot, "Remove incident"))
    qtbot.waitUntil(lambda: page.model.rowCount() == before - 1, timeout=WAIT)
    ctx.undo_stack.undo()
    qtbot.waitUntil(lambda: ctx.call_sync(lambda s: len(s.incidents.list())) == before, timeout=WAIT)
    qtbot.waitUntil(lambda: page.model.rowCount() == before, timeout=WAIT)
    _settle(qtbot, ctx)
    ctx.runner.shutdown()
