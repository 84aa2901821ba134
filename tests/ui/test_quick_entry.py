"""Quick entry from the keyboard alone: the first cell is ready to type in when the dialog
opens, Tab goes cell by cell and on to the next row, Enter starts the next row, and
"Record outcomes" records every row in one go, undone by one Ctrl+Z."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from deterrence_desktop.domain.outcomes import OutcomeKind
from deterrence_desktop.ui.outcomes.quick_entry import QuickEntryDialog
from deterrence_desktop.ui.outcomes.quick_model import QuickEntryModel


def _focused(qtbot, table):
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                    and table.isAncestorOf(QApplication.focusWidget()), timeout=5000)
    return QApplication.focusWidget()


def test_keyboard_only_rows_are_recorded_together_and_undone_together(qtbot, ctx):
    s = ctx.services
    people = [(p.id, f"{p.reference} · {p.display_name}") for p in s.people.list()[:3]]
    partners = [(p.id, p.name) for p in s.partners.all()]
    police = next(name for _id, name in partners if "olice" in name)
    dialog = QuickEntryDialog(ctx, QuickEntryModel(people, partners, s.today()))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    table, model = dialog.table, dialog.model
    rows = [(people[0][1][:7], "arr", "2026-11-02", "olice", "CR/1"),   # Tab, Tab, … to the next row
            (people[1][1][:7], "naloxone", "", "", "")]                 # date and partner carried
    for cells in rows:
        for text in cells:
            editor = _focused(qtbot, table)
            if text:
                qtbot.keyClicks(editor, text)
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert model.rowCount() == 3
    assert [model.text(0, c) for c in range(5)] == [people[0][1], "Arrest", "02 Nov 2026",
                                                    police, "CR/1"]
    assert [model.text(1, c) for c in range(4)] == [people[1][1], "Naloxone supplied",
                                                    "02 Nov 2026", police]
    assert table.currentIndex().row() == 2 and table.currentIndex().column() == 0
    # Enter in a cell starts the next row
    table.setCurrentIndex(model.index(0, 4))
    qtbot.keyClick(_focused(qtbot, table), Qt.Key.Key_Return)
    assert table.currentIndex().row() == 1 and table.currentIndex().column() == 0

    before = len(s.outcomes.for_person(people[0][0]))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    recorded = ctx.call_sync(lambda s: s.outcomes.for_person(people[0][0]))
    assert len(recorded) == before + 1 and recorded[0].event.kind == OutcomeKind.ARREST
    assert ctx.undo_stack.undoText() == "Record 2 outcomes"
    ctx.undo_stack.undo()
    qtbot.waitUntil(lambda: len(ctx.call_sync(lambda s: s.outcomes.for_person(people[0][0])))
                    == before, timeout=10_000)
    assert not any(o.event.kind == OutcomeKind.NALOXONE_SUPPLIED and o.event.occurred_on.isoformat()
                   == "2026-11-02" for o in ctx.call_sync(lambda s: s.outcomes.for_person(people[1][0])))


def test_a_row_that_cannot_be_recorded_stops_the_batch(qtbot, ctx):
    s = ctx.services
    people = [(p.id, f"{p.reference} · {p.display_name}") for p in s.people.list()[:2]]
    dialog = QuickEntryDialog(ctx, QuickEntryModel(people, [], s.today()))
    qtbot.addWidget(dialog)
    dialog.show()
    model = dialog.model
    model.setData(model.index(0, 0), people[0][1])
    model.setData(model.index(0, 1), "arrest")
    model.setData(model.index(1, 0), people[1][1])          # no outcome given
    before = ctx.call_sync(lambda s: len(s.outcomes.for_person(people[0][0])))
    dialog.save_button.click()
    assert dialog.isVisible() and dialog.message.isVisible()
    assert "nothing was recorded" in dialog.message.text()
    assert model.text(1, 5) == "Give the outcome"
    assert ctx.call_sync(lambda s: len(s.outcomes.for_person(people[0][0]))) == before
