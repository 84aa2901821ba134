"""Table models of the Evaluation page: the measures before and after inclusion (with the
comparison cohort beside them when one is chosen), attended against no-show, and
delivery per partner.

The page shows the real numbers (it stays inside the partnership); a cell about 1 to
4 people is greyed, with a tooltip saying the board report and the export show it as
"<5". The suppression rule itself is the domain's (``domain.evaluation.is_small``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ...domain.evaluation import is_small
from ..models import Column, RowsModel, number_column, text_column
from ..style import ERROR, MUTED

SMALL_TIP = "About fewer than 5 people: the board report and the exported table show “<5”"
BETTER = QColor("#2e6b3a")


def fmt_rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def fmt_change(value: float | None) -> str:
    return "–" if value is None else f"{value:+.0%}"


@dataclass(frozen=True)
class Cell:
    """How one column shows a measure row: its text, and whether it is about few people."""
    header: str
    text: Callable[[object], str]
    small: Callable[[object], bool] = lambda row: False
    tooltip: str = ""


def _before_small(r) -> bool:
    return is_small(r.before_people) or is_small(r.before_people_with)


def _after_small(r) -> bool:
    return is_small(r.after_people) or is_small(r.after_people_with)


MEASURE_CELLS = (
    Cell("Measure", lambda r: r.label),
    Cell("People", lambda r: str(r.people), lambda r: is_small(r.people),
         "People observed in either window"),
    Cell("Before\nevents", lambda r: str(r.before_count), _before_small,
         "Events in the window before each person's inclusion"),
    Cell("Before\nrate", lambda r: fmt_rate(r.before_rate), _before_small,
         "Events per person-year in the window before inclusion"),
    Cell("After\nevents", lambda r: str(r.after_count), _after_small,
         "Events in the window from each person's inclusion"),
    Cell("After\nrate", lambda r: fmt_rate(r.after_rate), _after_small,
         "Events per person-year in the window from inclusion"),
    Cell("Change", lambda r: fmt_change(r.change), lambda r: _before_small(r) or _after_small(r),
         "The after rate against the before rate"),
)
COMPARISON_CELLS = (
    Cell("Comparison\nbefore", lambda r: fmt_rate(r.before_rate), _before_small,
         "The comparison cohort: events per person-year before inclusion"),
    Cell("Comparison\nafter", lambda r: fmt_rate(r.after_rate), _after_small,
         "The comparison cohort: events per person-year after inclusion"),
    Cell("Comparison\nchange", lambda r: fmt_change(r.change),
         lambda r: _before_small(r) or _after_small(r)),
)
CHANGE_COLUMN = 6


class MeasuresModel(QAbstractTableModel):
    """One row per measure; with a comparison cohort, its rates in three more columns."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []
        self.comparison: dict[str, object] = {}
        self.cells: tuple[Cell, ...] = MEASURE_CELLS

    def set_evaluation(self, evaluation) -> None:
        self.beginResetModel()
        self.rows = list(evaluation.measures) if evaluation is not None else []
        compared = evaluation.comparison if evaluation is not None else None
        self.comparison = {r.key: r for r in compared} if compared else {}
        self.cells = MEASURE_CELLS + (COMPARISON_CELLS if compared else ())
        self.endResetModel()

    def clear(self) -> None:
        self.set_evaluation(None)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.cells)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.cells):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells[section].header
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.cells[section].tooltip or None
        return None

    def _source(self, row: int, column: int):
        r = self.rows[row]
        return self.comparison.get(r.key) if column >= len(MEASURE_CELLS) else r

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        cell = self.cells[index.column()]
        src = self._source(index.row(), index.column())
        if src is None:
            return "–" if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text(src)
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        small = cell.small(src)
        if role == Qt.ItemDataRole.ToolTipRole and small:
            return SMALL_TIP
        if role == Qt.ItemDataRole.ForegroundRole:
            if small:
                return QBrush(MUTED)
            if index.column() == CHANGE_COLUMN and src.improved is not None:
                return QBrush(BETTER if src.improved else ERROR)
        return None


class CompareModel(QAbstractTableModel):
    """Attended against no-show, one row per measure: each group's rates before and after."""

    HEADERS = ("Measure", "Attended\nbefore", "Attended\nafter", "Attended\nchange",
               "No-show\nbefore", "No-show\nafter", "No-show\nchange")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pairs: list[tuple[object, object]] = []

    def set_evaluation(self, evaluation) -> None:
        self.beginResetModel()
        self.pairs = list(zip(evaluation.attended, evaluation.no_show)) if evaluation else []
        self.endResetModel()

    def clear(self) -> None:
        self.set_evaluation(None)

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.pairs)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = index.column()
        attended, no_show = self.pairs[index.row()]
        r = attended if column <= 3 else no_show
        part = (column - 1) % 3           # 0 before, 1 after, 2 change
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return attended.label
            return (fmt_rate(r.before_rate), fmt_rate(r.after_rate), fmt_change(r.change))[part]
        if column == 0:
            return None
        small = (_before_small, _after_small, lambda x: _before_small(x) or _after_small(x))[part](r)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and small:
            return SMALL_TIP
        if role == Qt.ItemDataRole.ForegroundRole and small:
            return QBrush(MUTED)
        return None


def delivery_columns() -> Sequence[Column]:
    return [
        text_column("Partner", "name"),
        number_column("Done", "done"),
        Column("On time", lambda d: f"{d.done_on_time} ({d.done_on_time / d.done:.0%})"
               if d.done else "0", lambda d: d.done_on_time / d.done if d.done else 0,
               align_right=True, tooltip="Actions done by their due date"),
        number_column("Open", "open"),
        number_column("Overdue", "overdue", foreground=lambda d: ERROR if d.overdue else None),
        Column("Flag", lambda d: "⚑ Overloaded" if d.flagged else "",
               lambda d: d.flagged, foreground=lambda d: ERROR if d.flagged else None,
               tooltip="Flagged as the action board flags an overloaded partner"),
    ]


class DeliveryModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(delivery_columns(), parent=parent)
