"""Journey: a coordinator brings in a nominal list with two likely duplicates of people
already in the workspace, merges one, leaves the other out, applies, and undoes."""
from __future__ import annotations

import re

import openpyxl
from PySide6.QtCore import Qt

from driver import WAIT, choose, click_row, dialog, field, menu, press, shot, type_into


def test_import_a_nominal_list_merge_one_leave_one_out_then_undo(qtbot, app_window, tmp_path):
    win = app_window
    people = win.ctx.call_sync(lambda s: [s.people.get(p.id) for p in s.people.list()[:2]])
    a, b = people
    before = win.ctx.call_sync(lambda s: len(s.people.list()))
    path = tmp_path / "nominals.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Fictionshire Police nominal list (FICTIONAL)"])
    ws.append([])
    ws.append(["Surname", "Forename", "D.O.B.", "Alias"])
    ws.append([a.family_name.upper(), a.given_name, a.date_of_birth, "Fictwin"])    # a likely duplicate
    ws.append([b.given_name, b.family_name, b.date_of_birth, ""])                  # transposed: another
    ws.append(["Quarrendale", "Ottoline", "14/03/2004", ""])                       # new
    ws.append(["Total", 3])
    wb.save(path)

    menu(qtbot, win, "File", "Import from a spreadsheet…")
    wiz = dialog(qtbot, "Import from a spreadsheet")
    choose(qtbot, field(qtbot, wiz, "The file holds"), re.compile("^People"))
    type_into(qtbot, field(qtbot, wiz, "File"), str(path))
    shot(wiz, "import", "1-source")
    press(qtbot, "Next >", wiz)
    qtbot.waitUntil(lambda: wiz.currentId() == 1, timeout=WAIT)                     # Columns
    assert field(qtbot, wiz, "D.O.B.").currentText() == "Date of birth"
    shot(wiz, "import", "2-columns")
    press(qtbot, "Next >", wiz)
    qtbot.waitUntil(lambda: wiz.currentId() == 2, timeout=WAIT)                     # Values
    shot(wiz, "import", "3-values")
    press(qtbot, "Next >", wiz)
    qtbot.waitUntil(lambda: wiz.currentId() == 3, timeout=WAIT)                     # Check
    check = wiz.currentPage()
    assert "1 new" in check.counts.text() and "1 left out" in check.counts.text()

    click_row(qtbot, check.table, re.compile(rf"^{a.given_name} {a.family_name.upper()}"))
    press(qtbot, re.compile(rf"^Same as {a.reference}$"), wiz)                      # merge the first
    box = next(bx for bx in check.diff_boxes.values() if "Aliases" in bx.text())
    assert box.isChecked()                                                       # the new alias is kept
    click_row(qtbot, check.table, re.compile(rf"^{b.family_name} {b.given_name}"))   # as the file wrote it
    press(qtbot, "Leave out", wiz)
    assert "2 left out" in check.counts.text()
    shot(wiz, "import", "4-check")
    press(qtbot, "Apply", wiz)
    qtbot.waitUntil(lambda: wiz.currentId() == 4, timeout=WAIT)                     # Done
    shot(wiz, "import", "5-done")
    press(qtbot, "Finish", wiz)

    after = win.ctx.call_sync(lambda s: s.people.list())
    assert len(after) == before + 1
    [new] = [p for p in after if p.family_name == "Quarrendale"]
    assert (new.given_name, str(new.date_of_birth)) == ("Ottoline", "2004-03-14")
    assert "Fictwin" in win.ctx.call_sync(lambda s: s.people.get(a.id).aliases)
    assert win.ctx.call_sync(lambda s: s.people.get(b.id).aliases) == b.aliases   # left out: untouched

    menu(qtbot, win, "Edit", re.compile(r"^Undo Import people"))
    qtbot.waitUntil(lambda: win.ctx.call_sync(lambda s: len(s.people.list())) == before, timeout=WAIT)
    assert "Fictwin" not in win.ctx.call_sync(lambda s: s.people.get(a.id).aliases)
