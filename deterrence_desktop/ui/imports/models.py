"""The dry run as a table: one row per row of the file, with what applying does to it."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from ...services.imports.plan import PlanRow, RowState

_COLOUR = {RowState.ERROR: QColor("#F8CBAD"), RowState.UPDATE: QColor("#FCE4B6"),
           RowState.LEAVE_OUT: QColor("#E7E6E6")}


class PlanRowsModel(QAbstractTableModel):
    LINE, WHAT, STATE, MATCH, WHY = range(5)
    HEADERS = ("Row", "In the file", "Will be", "Matches", "Why")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[PlanRow] = []

    def set_rows(self, rows: list[PlanRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_object(self, row: int) -> PlanRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def refresh_row(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        r = self.row_object(index.row())
        if r is None:
            return None
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if c == self.LINE:
                return r.line
            if c == self.WHAT:
                return r.label
            if c == self.STATE:
                return r.state.value.capitalize()
            if c == self.MATCH:
                return r.match_label if r.match_id is not None else ""
            if c == self.WHY:
                return r.reasons
        if role == Qt.ItemDataRole.BackgroundRole and r.state in _COLOUR:
            return QBrush(_COLOUR[r.state])
        if role == Qt.ItemDataRole.ToolTipRole and c == self.WHY:
            return r.reasons
        if role == Qt.ItemDataRole.UserRole:
            return r.state.value
        return None


class StateFilter(QSortFilterProxyModel):
    """Rows of one state only ("" for all)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.state = ""

    def set_state(self, state: str) -> None:
        self.state = state
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row, source_parent) -> bool:
        if not self.state:
            return True
        idx = self.sourceModel().index(source_row, 0, source_parent)
        return self.sourceModel().data(idx, Qt.ItemDataRole.UserRole) == self.state
