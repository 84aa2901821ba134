"""Editing forms built from a table of fields, with messages next to each field, and undo.

A form is described as data (:class:`Field` rows), so the person, group,
partner and action forms share one implementation: the dialog reads a domain
record into its widgets, turns the widgets back into a record, and saves it
through the task runner. A :class:`ValidationError` from the domain or a
service puts each message under its own field. Saved edits go on the undo
stack as :class:`SaveRecordCommand`, which re-saves the earlier version; added
and removed records as :class:`AddRecordCommand` and :class:`RemoveRecordCommand`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QUndoCommand
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QFrame, QGridLayout, QLabel,
    QLineEdit, QMessageBox, QPlainTextEdit, QScrollArea, QVBoxLayout, QWidget,
)

from ..domain.enums import label
from ..domain.errors import DeterrenceError, EditConflict, ValidationError, readable, sentence
from .conflicts import KEEP_MINE, TAKE_THEIRS, ConflictDialog, describe, with_version
from .context import AppContext
from .errors import show_failure
from .style import set_role

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")


def parse_date(text: str) -> date | None:
    """'2026-11-26', '26/11/2026' or '26 Nov 2026'; empty is None; else ValueError."""
    text = text.strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError("write the date as YYYY-MM-DD or DD/MM/YYYY")


@dataclass(frozen=True)
class Field:
    """One field of a form: the record attribute, its label and the kind of widget.

    kinds: text, multiline, date, enum (``enum`` class), flags (a list of ``enum``
    values as check boxes), list (comma-separated text), choice (values from
    the ``choices`` given to the dialog under ``name``).
    """
    name: str
    label: str
    kind: str = "text"
    enum: type[StrEnum] | None = None
    help: str = ""
    placeholder: str = ""


class FieldWidget:
    """A field's editor and the message label under it."""

    def __init__(self, spec: Field, choices: Sequence[tuple[Any, str]] = ()):
        self.spec = spec
        self.error = QLabel()
        self.error.setObjectName(f"error_{spec.name}")
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.checks: list[tuple[StrEnum, QCheckBox]] = []
        kind = spec.kind
        if kind == "multiline":
            w = QPlainTextEdit()
            w.setTabChangesFocus(True)
            w.setMaximumHeight(90)
        elif kind in ("enum", "choice"):
            w = QComboBox()
            items = [(m, label(m)) for m in spec.enum] if kind == "enum" else list(choices)
            for value, text in items:
                w.addItem(text, value)
        elif kind == "flags":
            w = QWidget()
            grid = QGridLayout(w)
            grid.setContentsMargins(0, 0, 0, 0)
            for i, m in enumerate(spec.enum):
                box = QCheckBox(label(m))
                box.setObjectName(f"{spec.name}_{m.value}")
                grid.addWidget(box, i // 3, i % 3)
                self.checks.append((m, box))
        else:
            w = QLineEdit()
            if kind == "date":
                w.setPlaceholderText(spec.placeholder or "YYYY-MM-DD")
            elif kind == "list":
                w.setPlaceholderText(spec.placeholder or "separate with commas")
            elif spec.placeholder:
                w.setPlaceholderText(spec.placeholder)
        w.setObjectName(f"field_{spec.name}")
        if spec.help:
            w.setToolTip(spec.help)
        self.widget = w

    def set_value(self, value: Any) -> None:
        w, kind = self.widget, self.spec.kind
        if kind == "multiline":
            w.setPlainText(value or "")
        elif kind in ("enum", "choice"):
            i = w.findData(value)
            if i < 0 and value is not None and kind == "enum":
                i = w.findData(self.spec.enum(value))
            w.setCurrentIndex(max(i, 0))
        elif kind == "flags":
            chosen = {str(v) for v in (value or [])}
            for m, box in self.checks:
                box.setChecked(m.value in chosen)
        elif kind == "date":
            w.setText(value.isoformat() if value else "")
        elif kind == "list":
            w.setText(", ".join(value or []))
        else:
            w.setText("" if value is None else str(value))

    def value(self) -> Any:
        w, kind = self.widget, self.spec.kind
        if kind == "multiline":
            return w.toPlainText().strip()
        if kind in ("enum", "choice"):
            return w.currentData()
        if kind == "flags":
            return [m for m, box in self.checks if box.isChecked()]
        if kind == "date":
            return parse_date(w.text())
        if kind == "list":
            return [part.strip() for part in w.text().split(",") if part.strip()]
        return w.text().strip()

    def text_of(self, value: Any) -> str | None:
        """How this field shows ``value`` (a choice's text), or None to describe it plainly."""
        if self.spec.kind in ("enum", "choice"):
            i = self.widget.findData(value)
            return self.widget.itemText(i) if i >= 0 else None
        return None

    def raw(self) -> Any:
        """What is typed, unparsed: to notice unsaved changes."""
        try:
            return self.value()
        except ValueError:
            return ("unparsed", self.widget.text())

    def show_error(self, message: str) -> None:
        self.error.setText(message[:1].upper() + message[1:] if message else "")
        self.error.setVisible(bool(message))
        target = self.widget
        target.setProperty("invalid", bool(message))
        target.style().unpolish(target)
        target.style().polish(target)


class GuardedDialog(QDialog):
    """A dialog whose typed input is not thrown away unasked: Cancel (Esc) asks while
    ``is_dirty()`` and nothing is saving; ``close_quietly()`` closes without asking (the
    workspace is locking and has already asked)."""

    DISCARD_TITLE = "Discard your edits?"
    DISCARD_TEXT = "The edits in this form are not saved. Discard them?"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._saving = False
        self._quiet = False

    def is_dirty(self) -> bool:
        return False

    def reject(self) -> None:
        if not self._quiet and not self._saving and self.is_dirty():
            answer = QMessageBox.question(
                self, self.DISCARD_TITLE, self.DISCARD_TEXT,
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()

    def close_quietly(self) -> None:
        self._quiet = True
        super().reject()


class RecordDialog(GuardedDialog):
    """Edit one domain record; ``saved(record)`` is emitted with what the service returned."""

    saved = Signal(object)

    def __init__(self, ctx: AppContext, title: str, fields: Sequence[Field], record: Any,
                 save: Callable[[Any, Any], Any], choices: dict[str, Sequence[tuple[Any, str]]] | None = None,
                 parent: QWidget | None = None, intro: str = ""):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("recordDialog")
        self.setWindowTitle(title)
        self.original = record
        self.saved_over = record        # the version a save replaced (for its undo)
        self._save = save
        self.result_record = None
        self.conflict_dialog: ConflictDialog | None = None
        choices = choices or {}
        outer = QVBoxLayout(self)
        if intro:
            note = QLabel(intro)
            note.setWordWrap(True)
            set_role(note, "muted")
            outer.addWidget(note)
        self.general_error = QLabel()
        self.general_error.setObjectName("generalError")
        self.general_error.setWordWrap(True)
        set_role(self.general_error, "error")
        self.general_error.hide()
        outer.addWidget(self.general_error)
        body = QWidget()
        form = QFormLayout(body)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.fields: dict[str, FieldWidget] = {}
        for spec in fields:
            fw = FieldWidget(spec, choices.get(spec.name, ()))
            fw.set_value(getattr(record, spec.name))
            cell = QWidget()
            col = QVBoxLayout(cell)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(2)
            col.addWidget(fw.widget)
            col.addWidget(fw.error)
            lab = QLabel(spec.label)
            lab.setBuddy(fw.widget if spec.kind != "flags" else (fw.checks[0][1] if fw.checks else fw.widget))
            form.addRow(lab, cell)
            self.fields[spec.name] = fw
        if len(fields) > 8:
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(body)
            outer.addWidget(scroll, 1)
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.resize(640, 680)
        else:
            outer.addWidget(body)
            self.resize(560, self.sizeHint().height())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        self._initial = self._snapshot()
        if fields:
            self.fields[fields[0].name].widget.setFocus()

    # -- state ---------------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        return {name: fw.raw() for name, fw in self.fields.items()}

    def is_dirty(self) -> bool:
        return self._snapshot() != self._initial

    def record(self) -> Any:
        """The record as the form shows it; ValidationError for values that do not parse."""
        values, errors = {}, {}
        for name, fw in self.fields.items():
            try:
                values[name] = fw.value()
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise ValidationError(errors)
        return dataclasses.replace(self.original, **values)

    def show_errors(self, errors: dict[str, str]) -> None:
        general = []
        for name, fw in self.fields.items():
            fw.show_error(sentence(name, errors[name]) if errors.get(name) else "")
        for name, message in errors.items():
            if name not in self.fields and message:
                general.append(sentence(name, message))
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))
        first = next((n for n in self.fields if n in errors), None)
        if first is not None:
            self.fields[first].widget.setFocus()

    # -- saving --------------------------------------------------------------------
    def save(self) -> None:
        if self._saving:
            return
        try:
            record = self.record()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        self._start_save(record, self.original)

    def _start_save(self, record: Any, over: Any) -> None:
        """Save ``record`` on the worker; ``over`` is the version it replaces."""
        self._saving = True
        self.save_button.setEnabled(False)
        self.saved_over = over
        if self.ctx.call(lambda s: self._save(s, record), self._saved, self._failed,
                         label="save record") is None:
            self._saving = False
            self.save_button.setEnabled(True)

    def _saved(self, result) -> None:
        self._saving = False
        self.result_record = result
        self.show_errors({})
        self._initial = self._snapshot()
        self.saved.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, EditConflict) and not exc.removed and exc.mine is not None:
            self.show_conflict(exc)
        elif isinstance(exc, DeterrenceError):
            self.show_errors({"": readable(exc)})
        else:
            self.ctx.runner.unhandled_error.emit(exc)

    # -- someone else saved meanwhile ------------------------------------------------
    def show_conflict(self, conflict: EditConflict) -> None:
        """Someone else saved this record since the form was opened: show both versions
        and let the user keep theirs, take the saved one, or go back to the form."""
        dlg = ConflictDialog(conflict, self, original=self.original,
                             labels={n: fw.spec.label for n, fw in self.fields.items()},
                             text=self._describe)
        dlg.finished.connect(lambda _code: self._resolved(dlg))
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.conflict_dialog = dlg
        dlg.open()

    def _describe(self, name: str, value: Any) -> str:
        fw = self.fields.get(name)
        shown = fw.text_of(value) if fw is not None else None
        return shown if shown is not None else describe(value)

    def _resolved(self, dlg: ConflictDialog) -> None:
        self.conflict_dialog = None
        conflict = dlg.conflict
        if dlg.choice == KEEP_MINE:
            self._start_save(dlg.kept(), conflict.theirs)
        elif dlg.choice == TAKE_THEIRS:
            self.original = conflict.theirs
            for name, fw in self.fields.items():
                fw.set_value(getattr(conflict.theirs, name))
            self._initial = self._snapshot()
            self.show_errors({"": "The form now shows the values saved by someone else."})
        else:
            self.show_errors({"": "Nothing was saved: someone else changed this record "
                                  "meanwhile. Save again to choose between the versions."})

    def save_before_lock(self) -> bool:
        """Queue the edits for saving before the workspace closes (the lock asked to keep
        them); the dialog may close at once. False when a value does not even parse."""
        try:
            record = self.record()
        except ValidationError:
            return False
        ctx, save, kind = self.ctx, self._save, getattr(self, "kind", "")

        def failed(exc):
            reason = readable(exc) if isinstance(exc, DeterrenceError) else type(exc).__name__
            ctx.status_message.emit(f"Unsaved edits could not be kept: {reason}")
        ctx.call(lambda s: save(s, record), lambda r: ctx.data_changed.emit(kind) if kind else None,
                 failed, label="save before lock")
        return True


def sentence_case(text: str) -> str:
    """'Edit person FD-0017' -> 'edit person FD-0017', to follow 'Undone: '."""
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) < 2 else text


class ServiceCommand(QUndoCommand):
    """A change made through the services (already made when pushed), taken back and made
    again on the worker.

    ``forward(services)`` makes the change again and ``backward(services)`` takes it
    back; each service call is one transaction with its audit entry. The status bar says
    "Undone: …" or "Redone: …", and records of ``kinds`` reload after each run.
    """

    def __init__(self, ctx: AppContext, kinds: str | Sequence[str], text: str,
                 forward: Callable[[Any], Any], backward: Callable[[Any], Any]):
        super().__init__(text)
        self.ctx = ctx
        self.kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        self._forward, self._backward = forward, backward
        self._first = True

    def _run(self, fn: Callable[[Any], Any], said: str, failed_title: str) -> None:
        ctx = self.ctx

        def done(_result):
            for kind in self.kinds:
                ctx.data_changed.emit(kind)
            ctx.status_message.emit(said)

        def failed(exc):
            ctx.status_message.emit(f"Could not finish: {sentence_case(self.text())}")
            if not isinstance(exc, DeterrenceError):
                ctx.runner.unhandled_error.emit(exc)
            else:
                from PySide6.QtWidgets import QApplication, QMessageBox
                QMessageBox.warning(QApplication.activeWindow(), failed_title, readable(exc))
        ctx.call(fn, done, failed, label=self.text())

    def redo(self) -> None:
        if self._first:            # QUndoStack.push redoes: the change is made already
            self._first = False
            return
        self._run(self._forward, f"Redone: {sentence_case(self.text())}", "Could not redo")

    def undo(self) -> None:
        self._run(self._backward, f"Undone: {sentence_case(self.text())}", "Could not undo")


class SaveRecordCommand(ServiceCommand):
    """Undo re-saves the version before the edit; redo saves the edited version again.
    Each run saves over the row version the previous run left, so an undo never
    overwrites someone else's later change: it ends in an edit conflict instead."""

    def __init__(self, ctx: AppContext, kind: str | Sequence[str], text: str,
                 save: Callable[[Any, Any], Any], before: Any, after: Any):
        super().__init__(ctx, kind, text, lambda s: self._run_save(s, self.after),
                         lambda s: self._run_save(s, self.before))
        self.before, self.after, self._save = before, after, save
        self.version = getattr(after, "version", None)

    def _run_save(self, services, record: Any) -> Any:
        result = self._save(services, with_version(record, self.version))
        self.version = getattr(result, "version", None)
        return result


class AddRecordCommand(ServiceCommand):
    """A record that was added: undo removes it, redo puts it back (under its id, when
    ``create`` keeps the id of a record put back)."""

    def __init__(self, ctx: AppContext, kind: str | Sequence[str], text: str,
                 create: Callable[[Any, Any], Any], remove: Callable[[Any, Any], Any],
                 record: Any):
        super().__init__(ctx, kind, text, self._put_back, self._take)
        self.record, self._create, self._remove = record, create, remove

    def _put_back(self, services) -> None:
        self.record = self._create(services, self.record)

    def _take(self, services) -> None:
        self._remove(services, self.record)


class RemoveRecordCommand(AddRecordCommand):
    """A record that was removed (``removed``, as the service returned it): undo puts it
    back with ``create``, redo removes it again."""

    def __init__(self, ctx: AppContext, kind: str | Sequence[str], text: str,
                 remove: Callable[[Any, Any], Any], create: Callable[[Any, Any], Any],
                 removed: Any):
        super().__init__(ctx, kind, text, create, remove, removed)
        self._forward, self._backward = self._take, self._put_back


def change_and_push(ctx: AppContext, parent: QWidget, change: Callable[[Any], Any],
                    command: Callable[[Any], ServiceCommand], said: str) -> None:
    """Make a change on the worker (``change(services)``); once it is made, push the undo
    command ``command(result)`` builds, reload its kinds and say ``said`` in the status
    bar. A refusal is shown as its message and nothing goes on the undo stack."""
    def made(result):
        cmd = command(result)
        ctx.undo_stack.push(cmd)
        for kind in cmd.kinds:
            ctx.data_changed.emit(kind)
        ctx.status_message.emit(said)

    ctx.call(change, made, lambda exc: show_failure(parent, exc, "Could not finish"), label=said)


def open_record_dialog(ctx: AppContext, parent: QWidget, *, kind: str | Sequence[str],
                       title: str, fields: Sequence[Field], record: Any,
                       create: Callable[[Any, Any], Any], update: Callable[[Any, Any], Any],
                       choices: dict[str, Sequence[tuple[Any, str]]] | None = None,
                       undo_text: str | Callable[[Any], str] = "", on_saved: Callable[[Any], None] | None = None,
                       intro: str = "", remove: Callable[[Any, Any], Any] | None = None,
                       saved_text: str | Callable[[Any], str] = "") -> RecordDialog:
    """Open a dialog for a new record (``record.id`` is None) or an edit of an existing one.

    A saved edit is pushed on ``ctx.undo_stack``, and so is a new record when ``remove``
    (how to take it away again) is given. ``data_changed`` is emitted for ``kind`` (one
    kind or several) so lists reload, and the status bar confirms with ``saved_text``.
    """
    is_new = getattr(record, "id", None) is None
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    dlg = RecordDialog(ctx, title, fields, record, create if is_new else update, choices, parent,
                       intro)
    dlg.kind = kinds[0]

    def saved(result):
        text = (undo_text(result) if callable(undo_text) else undo_text) or f"Edit {kinds[0]}"
        if not is_new:
            ctx.undo_stack.push(SaveRecordCommand(ctx, kinds, text, update, dlg.saved_over,
                                                  result))
        elif remove is not None:
            ctx.undo_stack.push(AddRecordCommand(ctx, kinds, text, create, remove, result))
        for k in kinds:
            ctx.data_changed.emit(k)
        said = saved_text(result) if callable(saved_text) else saved_text
        if said:
            ctx.status_message.emit(said)
        if on_saved is not None:
            on_saved(result)
    dlg.saved.connect(saved)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg
