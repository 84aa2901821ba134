"""A person's contact timeline, newest first, for the person's page to embed.

It shows every communication, the call-ins the person was invited to (with their
attendance) and custom notifications still planned, with how often and how
recently the message was given; "Add contact…" opens the quick contact form.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout,
    QWidget,
)

from ...domain.enums import label
from ...domain.model import message_given
from ...services.contacts import TimelineEntry
from ..board.page import call_while_alive
from ..context import AppContext
from ..models import Column, RowsModel
from ..style import ERROR, MUTED, WARNING, set_role
from .dialog import CommunicationDialog

KIND_LABELS = {"communication": "", "call_in": "Invitation", "notification_planned": "Planned"}
BAD_OUTCOMES = {"refused", "not_found", "no_show", "No-show", "Not found", "Refused"}


def _when(e: TimelineEntry) -> str:
    if e.when == datetime.min:
        return ""
    if e.kind == "notification_planned":
        return f"{e.when:%d %b %Y}"
    return f"{e.when:%d %b %Y %H:%M}"


def _outcome_colour(e: TimelineEntry) -> QColor | None:
    if e.kind == "notification_planned":
        return MUTED
    if e.outcome in BAD_OUTCOMES:
        return ERROR if e.outcome in ("refused", "Refused") else WARNING
    return None


TIMELINE_COLUMNS = [
    Column("When", _when, lambda e: e.when),
    Column("Contact", lambda e: e.title if e.kind != "communication" else label(e.channel),
           lambda e: e.title.casefold()),
    Column("Delivered by", lambda e: e.delivered_by, lambda e: e.delivered_by.casefold()),
    Column("Messages", lambda e: e.messages, lambda e: e.messages),
    Column("Outcome", lambda e: label(e.outcome) if e.kind == "communication" else e.outcome,
           lambda e: e.outcome, foreground=_outcome_colour),
    Column("Notes", lambda e: e.detail.replace("\n", " "), lambda e: e.detail.casefold()),
]


class PersonTimeline(QWidget):
    """Embed it, then call ``set_person(person_id)``. Drops its rows when the workspace locks."""

    loaded = Signal(int)          # number of entries

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.person_id: int | None = None
        self.setObjectName("person_timeline")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setObjectName("timeline_summary")
        set_role(self.summary, "muted")
        self.add_btn = QPushButton("Add &contact…")
        self.add_btn.setObjectName("timeline_add_contact")
        self.add_btn.setEnabled(False)
        self.notify_btn = QPushButton("Plan custom &notification…")
        self.notify_btn.setObjectName("timeline_plan_notification")
        self.notify_btn.setEnabled(False)
        top.addWidget(self.summary, 1)
        top.addWidget(self.notify_btn)
        top.addWidget(self.add_btn)
        lay.addLayout(top)
        self.model = RowsModel(TIMELINE_COLUMNS, parent=self)
        self.table = QTableView()
        self.table.setObjectName("timeline")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(len(TIMELINE_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        self.add_btn.clicked.connect(self.add_contact)
        self.notify_btn.clicked.connect(self.plan_notification)
        self.table.doubleClicked.connect(self._activated)
        self.table.setToolTip("Double-click a planned custom notification to record its outcome")
        ctx.workspace_locked.connect(self.clear)
        ctx.data_changed.connect(self._data_changed)

    def set_person(self, person_id: int | None) -> None:
        self.person_id = person_id
        self.add_btn.setEnabled(person_id is not None)
        self.notify_btn.setEnabled(person_id is not None)
        if person_id is None:
            self.clear()
            return
        self.reload()

    def reload(self) -> None:
        pid = self.person_id
        if pid is None or not self.ctx.unlocked:
            return
        call_while_alive(self.ctx, self, lambda s: s.contacts.timeline(pid), lambda rows, p=pid: self._loaded(p, rows),
                      self._failed, label="timeline")

    def _loaded(self, person_id: int, rows: list[TimelineEntry]) -> None:
        if person_id != self.person_id:
            return
        self.model.set_rows(rows)
        contacts = [e for e in rows if e.kind == "communication"]
        if contacts:
            last = max(e.when for e in contacts)
            today = self.ctx.services.today() if self.ctx.services is not None else last.date()
            days = (today - last.date()).days
            since = "today" if days == 0 else ("yesterday" if days == 1 else f"{days} days ago")
            delivered = sum(1 for e in contacts if message_given(e.outcome))
            self.summary.setText(f"{len(contacts)} contact{'s' if len(contacts) != 1 else ''}, "
                                 f"the message given in {delivered}; last contact {since}.")
        else:
            self.summary.setText("No contact recorded yet.")
        self.loaded.emit(len(rows))

    def clear(self) -> None:
        self.model.clear()
        self.summary.setText("")

    def add_contact(self) -> CommunicationDialog | None:
        if self.person_id is None:
            return None
        dialog = CommunicationDialog(self.ctx, self.person_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def plan_notification(self):
        from .notification import CustomNotificationDialog
        if self.person_id is None:
            return None
        dialog = CustomNotificationDialog(self.ctx, self.person_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def record_outcome(self, notification_id: int):
        from .notification import NotificationOutcomeDialog
        dialog = NotificationOutcomeDialog(self.ctx, notification_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _activated(self, index) -> None:
        entry = self.model.row_object(index.row())
        if entry is not None and entry.kind == "notification_planned":
            self.record_outcome(entry.ref_id)

    def _data_changed(self, kind: str) -> None:
        if kind in ("communication", "call_in", "custom_notification") and self.person_id is not None:
            self.reload()

    def _failed(self, exc: BaseException) -> None:
        from ..errors import show_failure
        show_failure(self, exc)
