"""The conflict dialog: "Someone else changed this person while you were editing"."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QPushButton, QTableView,
    QVBoxLayout, QWidget,
)

from ...domain.errors import BOOKKEEPING_FIELDS, EditConflict, same_value
from ..style import set_role
from .model import ConflictModel

KEEP_MINE, TAKE_THEIRS = "mine", "theirs"


def with_version(record: Any, version: int | None) -> Any:
    """``record`` carrying ``version`` (records of tables without versions as they are)."""
    if record is None or not any(f.name == "version" for f in dataclasses.fields(record)):
        return record
    return dataclasses.replace(record, version=version)


def keep_mine(conflict: EditConflict, original: Any = None) -> Any:
    """The record that "Keep mine" saves: over theirs (their version), with the user's
    value in every field the user changed. Fields the user did not change (``original``,
    the record as the form was opened) keep theirs, so their other edits are not lost;
    without ``original`` every field is the user's."""
    theirs = conflict.theirs
    if original is None:
        return with_version(conflict.mine, theirs.version)
    mine = {f.name: getattr(conflict.mine, f.name) for f in dataclasses.fields(conflict.mine)
            if f.name not in BOOKKEEPING_FIELDS
            and not same_value(getattr(conflict.mine, f.name), getattr(original, f.name, None))}
    return dataclasses.replace(theirs, **mine)


def saved_by_text(conflict: EditConflict) -> str:
    """'saved by Casey Demo, at 26 Nov 2026 09:14' from the audit trail, or ''."""
    if not conflict.saved_by:
        return ""
    when = ""
    try:
        when = f"{datetime.fromisoformat(conflict.saved_at).astimezone():%d %b %Y %H:%M}"
    except (TypeError, ValueError):
        pass
    return f"saved by {conflict.saved_by}" + (f", at {when}" if when else "")


class ConflictDialog(QDialog):
    """Shows ``conflict`` field by field. ``choice`` after it closes: KEEP_MINE,
    TAKE_THEIRS, or None (Cancel / Esc: back to the form, nothing changed)."""

    def __init__(self, conflict: EditConflict, parent: QWidget | None = None, *,
                 original: Any = None, labels: Mapping[str, str] | None = None,
                 text: Callable[[str, Any], str] | None = None,
                 cancel_text: str = "&Back to my edits", intro: str = "", heading: str = ""):
        super().__init__(parent)
        self.setObjectName("conflictDialog")
        self.conflict = conflict
        self.original = original
        self.choice: str | None = None
        what = conflict.entity.replace("_", " ")
        self.setWindowTitle(f"Someone else changed this {what}")
        layout = QVBoxLayout(self)
        title = QLabel(heading or f"Someone else changed this {what} while you were editing")
        title.setObjectName("conflictHeading")
        set_role(title, "heading")
        title.setWordWrap(True)
        layout.addWidget(title)
        note = QLabel(intro or (
            "Nothing was saved. These fields differ between your version and the one now "
            "saved. Keep mine saves the fields you changed over theirs; Take theirs puts "
            "the saved values in your form; "
            f"{cancel_text.replace('&', '')} leaves your form as it is."))
        note.setWordWrap(True)
        set_role(note, "muted")
        layout.addWidget(note)
        by = saved_by_text(conflict)
        self.saved_by = QLabel(f"Theirs: {by}." if by else "")
        self.saved_by.setObjectName("conflictSavedBy")
        self.saved_by.setVisible(bool(by))
        layout.addWidget(self.saved_by)
        self.model = ConflictModel(conflict, original, labels, text, parent=self)
        self.table = QTableView()
        self.table.setObjectName("conflictFields")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        self.table.setAccessibleName("Fields that differ")
        layout.addWidget(self.table, 1)

        self.buttons = QDialogButtonBox()
        self.keep_button = QPushButton("&Keep mine")
        self.keep_button.setToolTip("Save your values over theirs")
        self.theirs_button = QPushButton("&Take theirs")
        self.theirs_button.setToolTip("Put the saved values in the form; nothing is saved")
        self.cancel_button = QPushButton(cancel_text)
        self.cancel_button.setToolTip("Close this and change nothing (Esc)")
        for b in (self.keep_button, self.theirs_button, self.cancel_button):
            b.setAutoDefault(False)       # Enter never overwrites anyone's values unasked
        self.buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(self.theirs_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.keep_button.clicked.connect(lambda: self._choose(KEEP_MINE))
        self.theirs_button.clicked.connect(lambda: self._choose(TAKE_THEIRS))
        self.cancel_button.clicked.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(640, 360)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    def reject(self) -> None:
        self.choice = None
        super().reject()

    def kept(self) -> Any:
        """The record to save for "Keep mine" (see :func:`keep_mine`)."""
        return keep_mine(self.conflict, self.original)


def resolve(parent: QWidget, conflict: EditConflict, *, keep: Callable[[Any], None],
            take: Callable[[Any], None], cancel: Callable[[], None] | None = None,
            **options) -> ConflictDialog:
    """Open the conflict dialog over a form of its own (not a RecordDialog): ``keep(kept)``
    saves ``kept`` (see :func:`keep_mine`: the user's changes over their version),
    ``take(theirs)`` shows theirs in the form, ``cancel()`` leaves the form as it is.
    ``options`` go to ConflictDialog (``original``: the record as the form was opened)."""
    dlg = ConflictDialog(conflict, parent, **options)

    def resolved(_code) -> None:
        if dlg.choice == KEEP_MINE:
            keep(dlg.kept())
        elif dlg.choice == TAKE_THEIRS:
            take(conflict.theirs)
        elif cancel is not None:
            cancel()
    dlg.finished.connect(resolved)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg
