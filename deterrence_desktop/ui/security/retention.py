"""The retention review: people whose review date has come, and for each, keep (until
the next review) or erase, with a reason. Erasing asks first, showing what goes."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from .common import confirm_destructive, record_table
from ..context import AppContext
from ..errors import show_failure
from ..models import Column, RowsModel, date_column, fmt_date, number_column, text_column
from ..style import set_role

COLUMNS = [
    text_column("Reference", "reference"),
    text_column("Name", "name"),
    date_column("Review date", "review_date"),
    number_column("Days overdue", "days_overdue"),
    number_column("Open actions", "open_actions"),
    Column("Last contact", lambda r: fmt_date(r.last_contact),
           lambda r: (r.last_contact is None, r.last_contact or 0)),
]


class RetentionDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, confirm=None):
        super().__init__(parent)
        self.ctx = ctx
        self._confirm = confirm or self._ask
        self.setObjectName("retentionDialog")
        self.setWindowTitle("Retention review")
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        intro = QLabel("People whose review date has come. Keep a record only while it is "
                       "needed for the partnership's work; the next review follows the "
                       "partnership's retention rule.")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        layout.addWidget(intro)
        self.model = RowsModel(COLUMNS, parent=self)
        self.table = record_table(self.model, "retentionTable")
        layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        set_role(self.count_label, "muted")
        layout.addWidget(self.count_label)
        layout.addWidget(QLabel("&Reason for the decision (kept with the reference):"))
        self.reason = QPlainTextEdit()
        self.reason.setObjectName("retentionReason")
        self.reason.setMaximumHeight(70)
        layout.itemAt(layout.count() - 1).widget().setBuddy(self.reason)
        layout.addWidget(self.reason)
        self.status = QLabel()
        self.status.setObjectName("retentionStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.keep_button = QPushButton("&Keep until next review")
        self.keep_button.setObjectName("retentionKeep")
        self.erase_button = QPushButton("&Erase…")
        self.erase_button.setObjectName("retentionErase")
        row.addWidget(self.keep_button)
        row.addStretch(1)
        row.addWidget(self.erase_button)
        layout.addLayout(row)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.keep_button.clicked.connect(self.keep)
        self.erase_button.clicked.connect(self.erase)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.reason.textChanged.connect(self._update_buttons)
        can_decide = ctx.services is None or ctx.services.actor.role == "coordinator"
        self._can_decide = can_decide
        if not can_decide:
            self.keep_button.hide()
            self.erase_button.hide()
            self.reason.setEnabled(False)
        self._update_buttons()
        self.reload()

    def reload(self) -> None:
        self.ctx.call(lambda s: s.retention.due(), self._loaded, lambda e: show_failure(self, e))

    def _loaded(self, items) -> None:
        self.model.set_rows(items)
        self.count_label.setText(f"{len(items)} due for review" if items else
                                 "Nobody is due for review.")
        self._update_buttons()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def _update_buttons(self, *args) -> None:
        ok = self._can_decide and self.selected() is not None and \
            len(self.reason.toPlainText().strip()) >= 3
        self.keep_button.setEnabled(ok)
        self.erase_button.setEnabled(ok)

    def _failed(self, exc: BaseException) -> None:
        self._update_buttons()
        show_failure(self, exc)

    def keep(self) -> None:
        item = self.selected()
        if item is None:
            return
        reason = self.reason.toPlainText()

        def done(next_review):
            self.status.setText(f"{item.reference} kept; next review {fmt_date(next_review)}.")
            self.reason.clear()
            self.ctx.data_changed.emit("person")
            self.reload()
        self.ctx.call(lambda s: s.retention.keep(item.person_id, reason), done, self._failed,
                      label="retention keep")

    @staticmethod
    def _ask(parent, text: str) -> bool:
        return confirm_destructive(parent, "Erase a person", text, "Erase")

    def erase(self) -> None:
        item = self.selected()
        if item is None:
            return
        reason = self.reason.toPlainText()

        def previewed(report):
            parts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in report.counts.items() if n)
            text = (f"Erase {item.reference} and everything only about them"
                    f"{': ' + parts if parts else ''}?\n\nThis cannot be undone (backups made "
                    "before now still hold the record until they rotate out). The audit trail "
                    "keeps who erased which reference, and when.")
            if not self._confirm(self, text):
                return
            self.ctx.call(lambda s: s.retention.erase(item.person_id, reason), erased,
                          self._failed, label="erase person")

        def erased(report):
            self.status.setText(f"{report.reference} was erased.")
            self.reason.clear()
            self.ctx.data_changed.emit("person")
            self.reload()

        self.ctx.call(lambda s: s.retention.erasure_preview(item.person_id), previewed,
                      self._failed, label="erasure preview")
