"""Quick entry: record outcomes for many people at once, from the keyboard.

A table of rows (person, outcome, date, partner, reference). Moving into a cell opens
its editor; the person, outcome and partner cells complete what is typed ("fd-12",
"arr"); Tab goes to the next cell and on to the next row, Enter to the next row's
first cell; Ctrl+Delete drops a row. "Record outcomes" (Ctrl+S) checks every row and
records them all in one transaction, or marks the rows that need a change and records
nothing. One Ctrl+Z takes the whole batch back.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QComboBox, QDialogButtonBox, QHeaderView, QLabel,
    QLineEdit, QStyledItemDelegate, QTableView, QVBoxLayout, QWidget,
)

from ...domain.errors import DeterrenceError, readable
from ..context import AppContext
from ..errors import show_failure
from ..forms import GuardedDialog, ServiceCommand
from ..style import set_role
from .editors import OUTCOME_KINDS
from .quick_model import DATE, KIND, PARTNER, PERSON, REFERENCE, QuickEntryModel

TITLE = "Record outcomes for many people"


class _CellDelegate(QStyledItemDelegate):
    """A completing combo for people, outcomes and partners; a line edit elsewhere.
    Enter in an editor commits it and asks for the next row."""

    next_row = Signal()

    def createEditor(self, parent, option, index):
        model: QuickEntryModel = index.model()
        choices = model.choices(index.column())
        if not choices:
            edit = QLineEdit(parent)
            if index.column() == DATE:
                edit.setPlaceholderText("YYYY-MM-DD")
            return edit
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems([text for _value, text in choices])
        # Completes inline as one types ("fd-00" -> "FD-0012 · …"); a part from the middle
        # ("victim") is matched when the cell is left (quick_model.pick). F4 opens the list.
        combo.completer().setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        return combo

    def setEditorData(self, editor, index):
        text = index.data(Qt.ItemDataRole.EditRole) or ""
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findText(text) if text else -1)
            editor.setEditText(text)
            editor.lineEdit().selectAll()
        else:
            editor.setText(text)
            editor.selectAll()

    def setModelData(self, editor, model, index):
        if not index.isValid():
            return
        text = editor.currentText() if isinstance(editor, QComboBox) else editor.text()
        if text != (index.data(Qt.ItemDataRole.EditRole) or ""):
            model.setData(index, text)

    def eventFilter(self, editor, event):
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.commitData.emit(editor)
            self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)
            self.next_row.emit()
            return True
        return super().eventFilter(editor, event)


class QuickEntryTable(QTableView):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("quickEntryTable")
        self.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(True)
        self.delegate = _CellDelegate(self)
        self.setItemDelegate(self.delegate)
        self.delegate.next_row.connect(self.go_to_next_row)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)

    def go_to_next_row(self) -> None:
        row = self.currentIndex().row() + 1
        model = self.model()
        if 0 < row < model.rowCount():
            self.setCurrentIndex(model.index(row, PERSON))

    def moveCursor(self, action, modifiers):
        """Tab from the last cell one types into goes on to the next row (the Problem
        column is only read); Shift+Tab from the first goes back to the row above."""
        current = self.currentIndex()
        model = self.model()
        if current.isValid() and action == QAbstractItemView.CursorAction.MoveNext \
                and current.column() >= REFERENCE:
            row = min(current.row() + 1, model.rowCount() - 1)
            return model.index(row, PERSON)
        if current.isValid() and action == QAbstractItemView.CursorAction.MovePrevious \
                and current.column() == PERSON and current.row() > 0:
            return model.index(current.row() - 1, REFERENCE)
        return super().moveCursor(action, modifiers)

    def commit_open_editor(self) -> None:
        """Keep what is typed in the cell being edited (saving while still in it)."""
        w = QApplication.focusWidget()
        while w is not None and w.parentWidget() is not self.viewport():
            w = w.parentWidget()
        if w is not None:
            self.commitData(w)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.go_to_next_row()
            return
        if event.key() == Qt.Key.Key_Delete and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.model().remove_row(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class RecordBatchCommand(ServiceCommand):
    """Outcomes recorded together: undo removes them all, redo records them again."""

    def __init__(self, ctx: AppContext, events, ids: list[int]):
        n = len(events)
        super().__init__(ctx, OUTCOME_KINDS, f"Record {n} outcome{'s' if n != 1 else ''}",
                         self._again, self._take)
        self.events, self.ids = list(events), list(ids)

    def _again(self, services) -> None:
        self.ids = services.outcomes.record_many(self.events)

    def _take(self, services) -> None:
        for outcome_id in self.ids:
            services.outcomes.remove(outcome_id)


class QuickEntryDialog(GuardedDialog):
    """``open_quick_entry`` loads the people and partners, then opens this."""

    DISCARD_TITLE = "Discard these rows?"
    DISCARD_TEXT = "The rows typed here are not recorded. Discard them?"

    def __init__(self, ctx: AppContext, model: QuickEntryModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("quickEntryDialog")
        self.setWindowTitle(TITLE)
        self.model = model
        col = QVBoxLayout(self)
        intro = QLabel("One row per outcome. Type a reference or part of a name, an outcome "
                       "(“arr” for Arrest), a date; Tab moves on, Enter starts the next row, "
                       "Ctrl+Delete drops a row. A charge is recorded with the CPS decision "
                       "pending and a death with its cause unknown: change them on the "
                       "person's page.")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        col.addWidget(intro)
        self.table = QuickEntryTable()
        self.table.setModel(model)
        for column, width in ((PERSON, 230), (KIND, 210), (DATE, 110), (PARTNER, 190),
                              (REFERENCE, 130)):
            self.table.setColumnWidth(column, width)
        col.addWidget(self.table, 1)
        self.message = QLabel()
        self.message.setObjectName("quickEntryMessage")
        self.message.setWordWrap(True)
        set_role(self.message, "error")
        self.message.hide()
        col.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Record outcomes",
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setToolTip("Record every row (Ctrl+S)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        self.resize(1100, 460)
        self.table.setCurrentIndex(model.index(0, PERSON))
        self.table.setFocus()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # ready to type: the first cell's editor is open when the dialog appears
        QTimer.singleShot(0, lambda: self.table.edit(self.table.currentIndex()))

    def is_dirty(self) -> bool:
        return bool(self.model.filled())

    def save(self) -> None:
        if self._saving:
            return
        self.table.commit_open_editor()          # Ctrl+S while typing in a cell
        events = self.model.events()
        if events is None:
            self._say("Some rows need a change (see Problem); nothing was recorded.")
            return
        if not events:
            self._say("Type at least one row first.")
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self.ctx.call(lambda s: s.outcomes.record_many(events), lambda ids: self._saved(events, ids),
                      self._failed, label="record outcomes")

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _saved(self, events, ids) -> None:
        self._saving = False
        command = RecordBatchCommand(self.ctx, events, ids)
        self.ctx.undo_stack.push(command)
        for kind in command.kinds:
            self.ctx.data_changed.emit(kind)
        n = len(ids)
        self.ctx.status_message.emit(f"Recorded {n} outcome{'s' if n != 1 else ''}")
        self.model.start_again()          # nothing left unsaved (and the open editor closes)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(exc, DeterrenceError):
            self._say(f"Nothing was recorded: {readable(exc)}")
        else:
            self.ctx.runner.unhandled_error.emit(exc)


def open_quick_entry(ctx: AppContext, parent: QWidget) -> None:
    """Load the people and partners to choose from (on the worker), then open the table."""
    def load(s):
        people = [(p.id, f"{p.reference} · {p.display_name}") for p in s.people.list()]
        partners = [(p.id, p.name) for p in s.partners.all()]
        return people, partners, s.today()

    def show(result):
        if not ctx.unlocked:
            return
        people, partners, today = result
        dialog = QuickEntryDialog(ctx, QuickEntryModel(people, partners, today), parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open quick entry")
