"""The dry run of a returned tracker as a table: one row per row of the file that
changes something, conflicts or is wrong, with a tick box to accept it."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from ...domain.enums import label
from ...services.trackers import ReturnRow, RowState

_STATE_TEXT = {RowState.CHANGE: "Change", RowState.CONFLICT: "Conflict",
               RowState.ERROR: "Error", RowState.UNCHANGED: "Unchanged"}
_STATE_COLOUR = {RowState.CONFLICT: QColor("#FCE4B6"), RowState.ERROR: QColor("#F8CBAD")}


def _value(field: str, value) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    if field == "status":
        return label(value)
    text = str(value).replace("\n", " ")
    return text if len(text) <= 60 else text[:59] + "…"


def describe(row: ReturnRow) -> str:
    return "; ".join(f"{c.column}: {_value(c.field, c.old)} → {_value(c.field, c.new)}"
                     for c in row.changes)


class ReturnRowsModel(QAbstractTableModel):
    ACCEPT, LINE, ACTION, RESULT, CHANGES, MESSAGE = range(6)
    HEADERS = ("Accept", "Row", "Action", "Result", "What would change", "Why")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[ReturnRow] = []
        self._accepted: set[int] = set()

    # -- rows ------------------------------------------------------------------------
    def set_rows(self, rows: Sequence[ReturnRow], accepted: set[int] | None = None) -> None:
        """Show ``rows`` (unchanged rows are left out); changes start ticked, conflicts not."""
        self.beginResetModel()
        self._rows = [r for r in rows if r.state != RowState.UNCHANGED]
        self._accepted = set(accepted if accepted is not None else
                             (r.action_id for r in self._rows if r.state == RowState.CHANGE))
        self.endResetModel()

    def clear(self) -> None:
        self.set_rows([], set())

    def row_object(self, row: int) -> ReturnRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def accepted_ids(self) -> set[int]:
        return set(self._accepted)

    def set_all(self, state: RowState, accept: bool) -> None:
        for r in self._rows:
            if r.state == state and r.acceptable:
                (self._accepted.add if accept else self._accepted.discard)(r.action_id)
        if self._rows:
            self.dataChanged.emit(self.index(0, self.ACCEPT),
                                  self.index(len(self._rows) - 1, self.ACCEPT))

    # -- Qt --------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        row = self.row_object(index.row())
        if index.column() == self.ACCEPT and row is not None and row.acceptable:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row = self.row_object(index.row())
        if row is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and col == self.ACCEPT and row.acceptable:
            ticked = row.action_id in self._accepted
            return (Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked).value
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.LINE:
                return row.line
            if col == self.ACTION:
                return "" if row.action_id is None else row.action_id
            if col == self.RESULT:
                return _STATE_TEXT[row.state]
            if col == self.CHANGES:
                return describe(row)
            if col == self.MESSAGE:
                return row.message
            return None
        if role == Qt.ItemDataRole.ToolTipRole and col in (self.CHANGES, self.MESSAGE):
            return describe(row) if col == self.CHANGES else row.message
        if role == Qt.ItemDataRole.BackgroundRole and row.state in _STATE_COLOUR:
            return QBrush(_STATE_COLOUR[row.state])
        if role == Qt.ItemDataRole.ForegroundRole and row.state in _STATE_COLOUR:
            return QBrush(QColor("#1A1A1A"))
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        row = self.row_object(index.row())
        if (row is None or index.column() != self.ACCEPT or not row.acceptable
                or role != Qt.ItemDataRole.CheckStateRole):
            return False
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, True)
        (self._accepted.add if checked else self._accepted.discard)(row.action_id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True
