"""Journey (issue 15): a coordinator records outcomes for three people of a cohort, one
from the person's page and two with quick entry, opens the Evaluation page for their
cohort, sees the before/after change, saves the board report and checks it: marked
OFFICIAL-SENSITIVE, small numbers shown as "<5", the method note's warning that a
before/after comparison is not an impact estimate. On the way: an outcome removed and
put back with Ctrl+Z, every tab of the page looked at, the table exported as a workbook
and a chart saved as SVG."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QScrollArea, QTableView

from driver import (SCREENSHOTS, WAIT, choose, click_row, dialog, field, keys, menu, navigate,
                    press, row_of, shot, tab, type_into)

from deterrence_desktop.domain.evaluation import EvaluationQuery
from deterrence_desktop.domain.outcomes import OutcomeKind

JOURNEY = "evaluation"
MEASURE = "Serious violence (victim)"


def _status(win) -> str:
    return win.statusBar().currentMessage()


def _measure_row(page, label: str) -> int:
    model = page.measures
    return next(r for r in range(model.rowCount()) if model.index(r, 0).data() == label)


def _cell(page, row: int, header: str) -> str:
    model = page.measures
    column = next(c for c in range(model.columnCount())          # headers run on two lines
                  if " ".join(model.headerData(c, Qt.Orientation.Horizontal).split()) == header)
    return model.index(row, column).data()


def _save_as(qtbot, title: str, path) -> None:
    """In Qt's file dialog, paste the full path into the file name and press Save. (Typed
    key by key, the dialog's completion walks into each folder of the path on the way
    and offers Open instead of Save; pasting is what a person does with a long path.)"""
    dlg = dialog(qtbot, title, QFileDialog)
    name = dlg.findChild(QLineEdit, "fileNameEdit")
    name.setFocus()
    name.selectAll()
    name.insert(str(path))                      # Ctrl+V
    press(qtbot, "Save", root=dlg)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dlg) or not dlg.isVisible(), timeout=WAIT)


def _focused(qtbot, table: QTableView):
    """The cell editor that has the keyboard (quick entry opens one on each cell it enters)."""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None
                    and table.isAncestorOf(QApplication.focusWidget())
                    and QApplication.focusWidget() is not table, timeout=WAIT)
    return QApplication.focusWidget()


def _type_row(qtbot, table: QTableView, *cells: str) -> None:
    """From the current row's first cell: type each cell and Tab on ('' leaves one as it
    is), then Enter for the next row, as a person does with the keyboard alone."""
    for text in cells:
        editor = _focused(qtbot, table)
        if text:
            qtbot.keyClicks(editor, text)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClick(_focused(qtbot, table), Qt.Key.Key_Return)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_outcomes_for_three_people_then_the_board_report(qtbot, app_window, tmp_path):
    win = app_window
    today = win.ctx.call_sync(lambda s: s.today())
    cohort = win.ctx.call_sync(lambda s: s.cohorts.list()[0])
    members = win.ctx.call_sync(lambda s: s.cohorts.members(cohort.id))
    three = sorted((m for m in members if m.added_on and m.added_on <= today - timedelta(days=10)),
                   key=lambda m: m.reference)[:3]
    assert len(three) == 3, "the demo cohort has people included long enough ago"
    before = win.ctx.call_sync(lambda s: s.evaluation.evaluate(EvaluationQuery(cohort_id=cohort.id)))
    was = next(m for m in before.measures if m.label == MEASURE)

    # 1. the first person, from their page: Add outcome…
    first = three[0]
    had = len(win.ctx.call_sync(lambda s: s.outcomes.for_person(first.person_id)))
    people = win.pages["people"]
    search = field(qtbot, people, "Search people")
    type_into(qtbot, search, first.reference)
    qtbot.waitUntil(lambda: people.proxy.rowCount() == 1, timeout=WAIT)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    view = people.record_view
    qtbot.waitUntil(lambda: view.isVisible() and view.reference == first.reference, timeout=WAIT)
    press(qtbot, "Add outcome…")
    form = dialog(qtbot, f"Record an outcome for {first.reference}")
    choose(qtbot, field(qtbot, form, "Outcome"), MEASURE)
    type_into(qtbot, field(qtbot, form, "Date"), (first.added_on + timedelta(days=3)).isoformat())
    choose(qtbot, field(qtbot, form, "Reported by"), re.compile("Police", re.I))
    type_into(qtbot, field(qtbot, form, "Reference"), "CR/0001/26 (fictional)")
    shot(form, JOURNEY, "outcome-form")
    press(qtbot, "Save", root=form)
    qtbot.waitUntil(lambda: _status(win).startswith("Recorded serious violence"), timeout=WAIT)
    outcomes = view.findChild(QTableView, "personOutcomes")
    qtbot.waitUntil(lambda: outcomes.model().rowCount() == had + 1, timeout=WAIT)
    row_of(qtbot, outcomes, "CR/0001/26 (fictional)")
    view.findChild(QScrollArea).ensureWidgetVisible(outcomes, 0, 200)    # scrolled down to it
    shot(win, JOURNEY, "person-outcomes")
    # removed by mistake, and put back with Ctrl+Z
    click_row(qtbot, outcomes, "CR/0001/26 (fictional)")
    press(qtbot, "Remove", root=view.outcomes.card)
    qtbot.waitUntil(lambda: _status(win) == f"Removed an outcome of {first.reference}", timeout=WAIT)
    qtbot.waitUntil(lambda: outcomes.model().rowCount() == had, timeout=WAIT)
    keys(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _status(win) == f"Undone: remove an outcome of {first.reference}",
                    timeout=WAIT)
    row_of(qtbot, outcomes, "CR/0001/26 (fictional)")

    # 2. the other two at once: Edit → Record outcomes for many people…
    menu(qtbot, win, "Edit", "Record outcomes for many people…")
    quick = dialog(qtbot, "Record outcomes for many people")
    table = quick.findChild(QTableView, "quickEntryTable")
    for row, person in enumerate(three[1:]):
        _type_row(qtbot, table, person.reference, "victim",
                  (person.added_on + timedelta(days=5)).strftime("%d/%m/%Y"), "police")
    model = table.model()
    assert model.rowCount() == 3                      # two rows and the blank one
    assert model.index(0, 0).data().startswith(three[1].reference)
    assert model.index(1, 1).data() == MEASURE
    shot(quick, JOURNEY, "quick-entry")
    press(qtbot, "Record outcomes", root=quick)
    qtbot.waitUntil(lambda: _status(win) == "Recorded 2 outcomes", timeout=WAIT)
    recorded = win.ctx.call_sync(lambda s: [o for m in three for o in s.outcomes.for_person(m.person_id)
                                            if o.event.kind == OutcomeKind.VIOLENCE_VICTIM])
    assert len(recorded) >= 3

    # 3. the Evaluation page for their cohort: the change is there
    page = navigate(qtbot, win, "Evaluation")
    who = field(qtbot, page, "Who")
    qtbot.waitUntil(lambda: who.count() > 1, timeout=WAIT)
    choose(qtbot, who, f"Cohort: {cohort.name}")
    qtbot.waitUntil(lambda: page.evaluation is not None
                    and page.evaluation.query.cohort_id == cohort.id
                    and not page.progress.isVisible(), timeout=WAIT)
    assert page.summary.text().startswith(f"Cohort: {cohort.name}")
    row = _measure_row(page, MEASURE)
    assert int(_cell(page, row, "After events")) == was.after_count + 3
    assert int(_cell(page, row, "Before events")) == was.before_count
    assert _cell(page, row, "After rate") != "–"
    assert "Serious violence (suspect or victim)" in page.headline.text()
    assert set(page.charts) == {"before_after", "monthly", "delivery"}
    qtbot.waitUntil(lambda: page.chart_is_current("before_after"), timeout=WAIT)
    page.charts["before_after"].draw_now()
    shot(win, JOURNEY, "page")
    for name, chart in (("Over time", "monthly"), ("Engagement", None), ("Delivery", "delivery")):
        tab(qtbot, page, name)
        if chart:
            qtbot.waitUntil(lambda: page.chart_is_current(chart), timeout=WAIT)
            page.charts[chart].draw_now()
        shot(win, JOURNEY, "page-" + name.lower().replace(" ", "-"))
    tab(qtbot, page, "Measures")

    # 4. Save board report…
    out = tmp_path / "board-report.pdf"
    press(qtbot, "Save board report…")
    _save_as(qtbot, "Save the board report", out)
    qtbot.waitUntil(lambda: _status(win) == "Saved the board report as board-report.pdf",
                    timeout=WAIT)
    assert out.stat().st_mode & 0o777 == 0o600
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    pages = text.split("\f")
    assert all("OFFICIAL-SENSITIVE" in p for p in pages if p.strip())
    assert "<5" in flat                           # our three people, at least, are too few
    assert re.search(r"not an impact estimate", flat, re.I)
    assert cohort.name in flat
    for m in three:                               # aggregates only: no reference, no name
        assert m.reference not in flat and m.name not in flat
    if shutil.which("pdftoppm"):                  # page 1 as the board sees it, to look at
        target = SCREENSHOTS / f"{JOURNEY}-report-page"
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(out),
                        str(target)], check=True)

    # 5. Export table… as a workbook, and one chart saved as SVG
    table_file = tmp_path / "measures.xlsx"
    press(qtbot, "Export table…")
    _save_as(qtbot, "Export the table", table_file)
    qtbot.waitUntil(lambda: _status(win) == "Exported the table as measures.xlsx", timeout=WAIT)
    import openpyxl
    cells = [str(c) for row in openpyxl.load_workbook(table_file, read_only=True).active
             .iter_rows(values_only=True) for c in row if c is not None]
    assert MEASURE in cells and "<5" in cells
    chart_file = tmp_path / "before-after.svg"
    press(qtbot, "Save as PNG/SVG…", root=page.charts["before_after"])
    _save_as(qtbot, "Save the chart", chart_file)
    qtbot.waitUntil(lambda: _status(win) == "Saved the chart as before-after.svg", timeout=WAIT)
    assert chart_file.read_text().lstrip().startswith("<?xml")
    assert chart_file.stat().st_mode & 0o777 == 0o600

    audit = win.ctx.call_sync(lambda s: s.audit_log.entries(5))
    assert any(e.entity == "evaluation" and "board report" in e.detail for e in audit)
    assert any(e.entity == "evaluation" and "table xlsx" in e.detail for e in audit)
