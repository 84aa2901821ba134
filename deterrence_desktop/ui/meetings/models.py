"""Table models of the meetings page: meetings, agenda items, actions, changes, contacts."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from ...domain.enums import label


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d %b %Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    return str(value)


class RowsTableModel(QAbstractTableModel):
    """Rows of read-model objects with (header, getter) columns; rows replaced in one reset."""

    def __init__(self, columns: list[tuple[str, Callable[[Any], Any]]], parent=None,
                 tooltip: Callable[[Any], str] | None = None):
        super().__init__(parent)
        self.columns = columns
        self.rows: list[Any] = []
        self.tooltip = tooltip

    def set_rows(self, rows) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row(self, r: int):
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return fmt(self.columns[index.column()][1](row))
        if role == Qt.ItemDataRole.ToolTipRole and self.tooltip:
            return self.tooltip(row)
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None


def meetings_model(parent=None) -> RowsTableModel:
    return RowsTableModel([
        ("Meeting", lambda m: m.title), ("Date", lambda m: m.held_on),
        ("Partners", lambda m: len(m.attendees)), ("Agenda", lambda m: m.items),
        ("Discussed", lambda m: m.discussed), ("New actions", lambda m: m.new_actions),
        ("Cohort", lambda m: m.cohort)], parent,
        tooltip=lambda m: "Partners attending: " + ", ".join(m.attendees))


def agenda_model(parent=None) -> RowsTableModel:
    return RowsTableModel([
        ("#", lambda i: i.position + 1),
        ("Item", lambda i: i.label),
        ("Discussed", lambda i: "✓ yes" if i.discussed else "no")], parent)


def actions_model(parent=None) -> RowsTableModel:
    return RowsTableModel([
        ("Action", lambda a: a.description), ("Kind", lambda a: label(a.kind)),
        ("Owner", lambda a: a.partner_name), ("Assignee", lambda a: a.assignee),
        ("Due", lambda a: a.due_date), ("Status", lambda a: label(a.status))], parent,
        tooltip=lambda a: (f"Outcome: {a.outcome}" if a.outcome else ""))


def changes_model(parent=None) -> RowsTableModel:
    return RowsTableModel([
        ("When", lambda c: c.at[:16].replace("T", " ")),
        ("Action", lambda c: c.description or f"Action {c.action_id}"),
        ("What", lambda c: c.summary), ("By", lambda c: c.username)],
        parent)


def communications_model(parent=None) -> RowsTableModel:
    return RowsTableModel([
        ("When", lambda c: c.occurred_at), ("How", lambda c: label(c.channel)),
        ("By", lambda c: c.delivered_by or c.partner_name), ("Outcome", lambda c: label(c.outcome))],
        parent)
