"""The audit log: who did what to which record, newest first, and a check of its hash chain.

Entries hold operations, references, field names and counts, never personal
values, so the page can show them as they are. Loading runs on the database
worker (``ctx.call``); the list is dropped when the workspace locks.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView,
    QVBoxLayout, QWidget,
)

from ...domain.enums import AuditOperation, label
from ..context import AppContext
from ..errors import show_failure
from ..models import Column, RowsModel, number_column, text_column
from ..page import Page
from ..style import set_role

LIMIT = 5000


def _when(entry) -> str:
    try:
        return datetime.fromisoformat(entry.at).astimezone().strftime("%d %b %Y %H:%M:%S")
    except ValueError:
        return entry.at


COLUMNS = [
    number_column("#", "seq"),
    Column("When", _when, lambda e: e.seq),
    text_column("User", "username"),
    Column("Operation", lambda e: label(e.operation), lambda e: e.operation),
    text_column("Record", "entity"),
    text_column("Reference", "entity_ref"),
    text_column("Detail", "detail"),
    text_column("Recipient", "recipient"),
]


class AuditLogModel(RowsModel):
    def __init__(self, parent=None):
        super().__init__(COLUMNS, parent=parent)


class AuditLogPage(Page):
    title = "Audit log"
    data_kinds = ("*",)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("auditLogPage")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel("Audit log")
        set_role(heading, "heading")
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(QLabel("&Operation:"))
        self.operation = QComboBox()
        self.operation.setObjectName("auditOperation")
        self.operation.addItem("All operations", "")
        for op in AuditOperation:
            self.operation.addItem(label(op), op.value)
        top.itemAt(top.count() - 1).widget().setBuddy(self.operation)
        self.operation.currentIndexChanged.connect(self.reload)
        top.addWidget(self.operation)
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.setObjectName("verifyChain")
        self.verify_button.setToolTip("Recompute every entry's hash: shows any entry edited, "
                                      "removed or inserted after it was written")
        self.verify_button.clicked.connect(self.verify)
        top.addWidget(self.verify_button)
        layout.addLayout(top)

        self.model = AuditLogModel(self)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column in (0, 1):            # "#" and "When" always fit: 137, 13,700, …
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.count_label = QLabel()
        set_role(self.count_label, "muted")
        bottom.addWidget(self.count_label)
        bottom.addStretch(1)
        self.chain_label = QLabel()
        self.chain_label.setObjectName("chainResult")
        self.chain_label.setWordWrap(True)
        self.chain_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom.addWidget(self.chain_label, 2)
        layout.addLayout(bottom)

    # -- loading -----------------------------------------------------------------
    def selected_operation(self) -> str:
        return self.operation.currentData() or ""

    def reload(self) -> None:
        op = self.selected_operation()
        self.ctx.call(lambda s: s.audit_log.entries(LIMIT, 0, op or None), self._loaded,
                      self._failed, label="load audit log")

    def _loaded(self, entries) -> None:
        if not self.ctx.unlocked:           # locked while loading: keep nothing
            return
        self.model.set_rows(entries)
        if entries and not getattr(self, "_sized", False):
            self.table.resizeColumnsToContents()
            self._sized = True
        n = len(entries)
        shown = f"{n:,} {'entry' if n == 1 else 'entries'}" + (
            f" (the newest {LIMIT:,})" if n >= LIMIT else "")
        self.count_label.setText(shown)

    def _failed(self, exc: BaseException) -> None:
        self.model.clear()
        self.count_label.setText("")
        show_failure(self, exc, "Could not load the audit log")

    def clear(self) -> None:
        self.model.clear()
        self.count_label.setText("")
        self.chain_label.setText("")

    def _on_data_changed(self, kind: str) -> None:
        """Every change adds entries: reload now if in view, else when next shown."""
        if self.ctx.unlocked:
            if self.isVisible():
                self.reload()
            else:
                self._stale = True

    def showEvent(self, event) -> None:
        """The trail grows with every page looked at, not only with changes: each time the
        page is shown it reads the newest entries."""
        self._stale = True
        super().showEvent(event)

    # -- the chain ---------------------------------------------------------------
    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.chain_label.setText("Verifying…")
        self.ctx.call(lambda s: s.audit_log.verify(), self._verified, self._verify_failed,
                      label="verify audit chain")

    def _verified(self, report) -> None:
        self.verify_button.setEnabled(True)
        if report.ok:
            self.chain_label.setText(f"✔ The chain of {report.entries:,} entries is intact.")
            set_role(self.chain_label, "hint")
        else:
            problems = "; ".join(report.problems[:3])
            more = f" (and {len(report.problems) - 3} more)" if len(report.problems) > 3 else ""
            self.chain_label.setText(f"✘ The audit trail was altered: {problems}{more}")
            set_role(self.chain_label, "error")

    def _verify_failed(self, exc: BaseException) -> None:
        self.verify_button.setEnabled(True)
        self.chain_label.setText("")
        show_failure(self, exc, "Could not verify the audit chain")
