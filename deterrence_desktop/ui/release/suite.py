"""Custody suite contacts: drug workers' referrals in custody by day of week and hour of
day, so the partnership can see whether its workers are there at the busy times."""
from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
    QPushButton, QTableView, QVBoxLayout, QWidget,
)

from ...domain.enums import label
from ...domain.errors import DeterrenceError, readable
from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..forms import parse_date
from ..record_pages import ui_today
from ..style import set_role

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_WEEKS = 12
_SHADE = QColor("#2f6f73")          # the app's accent, lighter for fewer contacts


class SuiteGridModel(QAbstractTableModel):
    """Seven rows (Monday to Sunday, then All days) by 24 hours and a total column."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.counts = None

    def set_counts(self, counts) -> None:
        self.beginResetModel()
        self.counts = counts
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.counts is None else 8

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else 25

    def value(self, row: int, column: int) -> int:
        c = self.counts
        if row == 7:
            return c.total if column == 24 else c.by_hour[column]
        return c.by_weekday[row] if column == 24 else c.grid[row][column]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.counts is None:
            return None
        n = self.value(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return str(n) if n else ""
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        busiest = max((v for row in self.counts.grid for v in row), default=0)
        in_grid = index.row() < 7 and index.column() < 24
        if role == Qt.ItemDataRole.BackgroundRole and in_grid and n and busiest:
            shade = QColor(_SHADE)
            shade.setAlphaF(0.15 + 0.75 * n / busiest)
            return QBrush(shade)
        if role == Qt.ItemDataRole.ForegroundRole and in_grid and busiest and n > busiest / 2:
            return QBrush(QColor("white"))
        if role == Qt.ItemDataRole.ToolTipRole:
            day = "All days" if index.row() == 7 else WEEKDAYS[index.row()]
            hour = "all day" if index.column() == 24 else f"{index.column():02d}:00–{index.column():02d}:59"
            return f"{day}, {hour}: {n} contact{'s' if n != 1 else ''}"
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return "All" if section == 24 else f"{section:02d}"
        return "All days" if section == 7 else WEEKDAYS[section]


class SuiteCountsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Custody suite contacts")
        self.resize(1040, 440)
        col = QVBoxLayout(self)
        intro = QLabel("Drug workers' contacts in custody suites (communications on the custody "
                       "channel with a referral outcome), by day of week and hour of day: are "
                       "the workers there at the busy times?")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        col.addWidget(intro)
        row = QHBoxLayout()
        today = ui_today(ctx)
        self.date_from = QLineEdit((today - timedelta(weeks=DEFAULT_WEEKS)).isoformat())
        self.date_to = QLineEdit(today.isoformat())
        for text, edit in (("&From", self.date_from), ("&To", self.date_to)):
            lab = QLabel(text)
            lab.setBuddy(edit)
            row.addSpacing(8)
            edit.setPlaceholderText("YYYY-MM-DD")
            edit.setMaximumWidth(130)
            edit.returnPressed.connect(self.reload)
            row.addWidget(lab)
            row.addWidget(edit)
        self.show_button = QPushButton("&Show")
        self.show_button.setAutoDefault(False)
        self.show_button.clicked.connect(self.reload)
        row.addWidget(self.show_button)
        row.addStretch(1)
        col.addLayout(row)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.hide()
        col.addWidget(self.error)
        self.model = SuiteGridModel(self)
        self.table = QTableView()
        self.table.setObjectName("suiteGrid")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setMinimumSectionSize(28)
        col.addWidget(self.table, 1)
        self.summary = QLabel()
        self.summary.setObjectName("suiteSummary")
        self.summary.setWordWrap(True)
        col.addWidget(self.summary)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)  # Enter: Show
        col.addWidget(buttons)
        self.reload()

    def _dates(self) -> tuple[date, date] | None:
        try:
            first, last = parse_date(self.date_from.text()), parse_date(self.date_to.text())
        except ValueError as exc:
            self._say(f"{exc}.")
            return None
        if first is None or last is None:
            self._say("Give both dates.")
            return None
        return first, last

    def _say(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def reload(self) -> None:
        dates = self._dates()
        if dates is None:
            return
        first, last = dates

        def failed(exc):
            if isinstance(exc, DeterrenceError):
                self._say(readable(exc))
            else:
                show_failure(self, exc)
        call_while_alive(self.ctx, self, lambda s: s.custody.custody_suite_counts(first, last),
                         self.show_counts, failed, label="custody suite contacts")

    def show_counts(self, counts) -> None:
        self._say("")
        self.model.set_counts(counts)
        if not counts.total:
            self.summary.setText("No custody suite contacts in this period.")
            return
        outcomes = " · ".join(f"{label(k)} {v}" for k, v in counts.by_outcome.items())
        hour = max(range(24), key=lambda h: counts.by_hour[h])
        day = max(range(7), key=lambda d: counts.by_weekday[d])
        self.summary.setText(f"{counts.total} contacts: {outcomes}. Busiest hour {hour:02d}:00, "
                             f"busiest day {WEEKDAYS[day]}.")
