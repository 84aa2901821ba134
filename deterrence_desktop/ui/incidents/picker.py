"""A person picker that searches as you type: reference, names and aliases.

Each keystroke asks the services (``incidents.find_people``) on the worker; an answer to
an older keystroke that arrives late is dropped. Up/Down move the highlight in the list
of matches without leaving the box, Enter picks the highlighted person (``picked``).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..board.page import call_while_alive


def choice_text(choice) -> str:
    """How a match reads: reference, name (when the role may see it) and groups."""
    name = getattr(choice, "display_name", "") or ""
    text = choice.reference if not name or name == choice.reference else f"{choice.reference}  {name}"
    groups = getattr(choice, "groups", None)
    if groups:
        text += f"  ({', '.join(groups)})" if not isinstance(groups, str) else f"  ({groups})"
    return text


class PersonPicker(QWidget):
    """The search box and the list of matches under it."""

    picked = Signal(object)          # the chosen PersonChoice

    def __init__(self, ctx, parent: QWidget | None = None, placeholder: str = "Find a person: "
                 "reference, name or alias", limit: int = 20):
        super().__init__(parent)
        self.ctx = ctx
        self.limit = limit
        self._asked = 0
        self.exclude: set[int] = set()       # people already chosen are not offered again
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        self.search = QLineEdit(self)
        self.search.setObjectName("personSearch")
        self.search.setPlaceholderText(placeholder)
        self.search.setAccessibleName("Find a person")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._ask)
        self.search.installEventFilter(self)
        col.addWidget(self.search)
        self.matches = QListWidget(self)
        self.matches.setObjectName("personMatches")
        self.matches.setAccessibleName("Matching people")
        self.matches.setMaximumHeight(150)
        self.matches.itemActivated.connect(lambda item: self._pick(item))
        self.matches.itemDoubleClicked.connect(lambda item: self._pick(item))
        col.addWidget(self.matches)

    # -- searching ---------------------------------------------------------------------------
    def _ask(self, text: str) -> None:
        self._asked += 1
        asked = self._asked
        text = text.strip()
        if not text:
            self.matches.clear()
            return
        limit = self.limit
        call_while_alive(self.ctx, self, lambda s: s.incidents.find_people(text, limit=limit),
                         lambda found: self._show(asked, found),
                         lambda exc: self.ctx.status_message.emit(f"Search failed: {exc}"),
                         label="find people")

    def _show(self, asked: int, found) -> None:
        if asked != self._asked:         # an older keystroke's answer
            return
        self.matches.clear()
        for choice in found:
            if choice.id in self.exclude:
                continue
            item = QListWidgetItem(choice_text(choice))
            item.setData(Qt.ItemDataRole.UserRole, choice)
            self.matches.addItem(item)
        if self.matches.count():
            self.matches.setCurrentRow(0)

    def pending(self) -> bool:
        """Whether the list does not yet answer the text in the box (tests wait on it)."""
        return bool(self.search.text().strip()) and self.matches.count() == 0

    # -- choosing ----------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.matches.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.matches.count() - 1, self.matches.currentRow() + step))
                self.matches.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
                item = self.matches.currentItem()
                if item is not None:
                    self._pick(item)
                return True          # Enter in the search box never saves the form
        return super().eventFilter(obj, event)

    def _pick(self, item: QListWidgetItem) -> None:
        choice = item.data(Qt.ItemDataRole.UserRole)
        if choice is None:
            return
        self.picked.emit(choice)
        self.search.clear()
        self.matches.clear()
        self.search.setFocus()

    def reset(self) -> None:
        self._asked += 1
        self.search.clear()
        self.matches.clear()
