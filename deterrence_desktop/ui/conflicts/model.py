"""The table of a conflict: one row per field whose value differs, yours and theirs."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from ...domain.enums import label
from ...domain.errors import EditConflict, field_label, same_value

EMPTY = "(empty)"
NOT_CHANGED = "(not changed by you: theirs is kept)"


def describe(value: Any) -> str:
    """A value as a person reads it in the table."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, StrEnum):
        return label(value)
    if isinstance(value, datetime):
        return f"{value:%d %b %Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    if isinstance(value, (list, tuple)):
        return ", ".join(describe(v) for v in value)
    if isinstance(value, dict):
        return "(details)"
    return str(value)


def plain(text: str) -> str:
    """A form label without its mnemonic ('&Preferred name' -> 'Preferred name')."""
    return text.replace("&&", "\x00").replace("&", "").replace("\x00", "&")


@dataclass(frozen=True)
class ConflictRow:
    name: str
    label: str
    yours: str
    theirs: str
    changed_by_you: bool


class ConflictModel(QAbstractTableModel):
    """Field | Yours | Theirs, for the fields of ``conflict`` that differ. With
    ``original`` (the record as the form was opened), a field the user did not touch
    says so: keeping "mine" keeps theirs there."""

    def __init__(self, conflict: EditConflict, original: Any = None,
                 labels: Mapping[str, str] | None = None,
                 text: Callable[[str, Any], str] | None = None, parent=None):
        super().__init__(parent)
        labels = labels or {}
        text = text or (lambda _name, value: describe(value))
        self.headers = ("Field", "Yours", "Theirs")
        self.rows: list[ConflictRow] = []
        for name in conflict.fields:
            mine, theirs = getattr(conflict.mine, name), getattr(conflict.theirs, name)
            changed = original is None or not same_value(getattr(original, name, None), mine)
            self.rows.append(ConflictRow(name, plain(labels.get(name) or field_label(name)),
                                         text(name, mine) if changed else NOT_CHANGED,
                                         text(name, theirs), changed))
        if not self.rows:       # the same fields: what changed is part of it (a template's steps)
            self.rows.append(ConflictRow("", "Other parts of it", "(as in your form)",
                                         "(changed)", True))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 3

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.label, row.yours, row.theirs)[index.column()]
        if role == Qt.ItemDataRole.FontRole and index.column() == 1 and not row.changed_by_you:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None
