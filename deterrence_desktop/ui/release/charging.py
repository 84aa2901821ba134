"""Charging timeliness on the release planner: days from arrest to the charging decision,
by month (the median and the slowest), from the partners' arrest and charge outcomes.
Slow charging decisions held delivery back in Project ADDER; the partnership watches them
here beside the releases they shape."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QLabel, QTableView, QVBoxLayout, QWidget,
)

from ...domain.dates import add_months
from ..board.page import call_while_alive
from ..context import AppContext
from ..models import Column, RowsModel
from ..record_pages import ui_today
from ..style import set_role

MONTHS = 12


@dataclass(frozen=True)
class MonthRow:
    id: int
    month: date
    count: int
    median_days: float | None
    slowest_days: int | None


def _days(value) -> str:
    if value is None:
        return "–"
    return f"{value:g}"


COLUMNS = (
    Column("Month", lambda r: f"{r.month:%b %Y}", sort_key=lambda r: r.month),
    Column("Charging decisions", lambda r: str(r.count), sort_key=lambda r: r.count,
           align_right=True),
    Column("Median days", lambda r: _days(r.median_days),
           sort_key=lambda r: -1 if r.median_days is None else r.median_days, align_right=True,
           tooltip="Half the decisions in the month came sooner after the arrest than this"),
    Column("Slowest days", lambda r: _days(r.slowest_days),
           sort_key=lambda r: -1 if r.slowest_days is None else r.slowest_days,
           align_right=True),
)


def month_rows(months) -> list[MonthRow]:
    return [MonthRow(i, m.month, m.count, m.median_days, m.slowest_days)
            for i, m in enumerate(months)]


def summary(rows: list[MonthRow]) -> str:
    """One line for the planner: the latest month with decisions, and the slowest of the
    period."""
    with_decisions = [r for r in rows if r.count]
    if not with_decisions:
        return f"Arrest to charging decision: no charging decisions recorded in the last {MONTHS} months."
    last = max(with_decisions, key=lambda r: r.month)
    slowest = max((r.slowest_days or 0) for r in with_decisions)
    return (f"Arrest to charging decision: {last.month:%b %Y} median {_days(last.median_days)} "
            f"days, slowest {_days(last.slowest_days)} ({last.count} decision"
            f"{'s' if last.count != 1 else ''}); slowest in {MONTHS} months: {slowest} days.")


def load(ctx: AppContext, widget: QWidget, on_rows) -> None:
    """Ask the worker for the last twelve months; ``on_rows`` gets the MonthRows. A role that
    may not see outcomes gets nothing, quietly: the planner is theirs all the same."""
    today = ui_today(ctx)
    start = add_months(today.replace(day=1), -(MONTHS - 1))
    call_while_alive(ctx, widget, lambda s: s.outcomes.charging_timeliness(start, today),
                     lambda months: on_rows(month_rows(months)), lambda _e: on_rows(None),
                     label="charging timeliness")


class ChargingDialog(QDialog):
    """The month-by-month table behind the planner's line."""

    def __init__(self, ctx: AppContext, rows: list[MonthRow], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Charging timeliness")
        self.resize(560, 420)
        col = QVBoxLayout(self)
        intro = QLabel("Days from arrest to the charging decision, by the month of the decision, "
                       "from the arrest and charge outcomes the partners record. A charge "
                       "recorded without its arrest date is paired with the person's latest "
                       "arrest before it.")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        col.addWidget(intro)
        self.model = RowsModel(COLUMNS, parent=self)
        self.model.set_rows(rows)
        self.table = QTableView()
        self.table.setObjectName("chargingTimeliness")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        col.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
