"""Add a contact quickly: the person's page opens this, and Save records it.

Every field starts with a sensible value (now, a home visit, delivered, the
deterrence message), so "Add contact…" then Save is two clicks.
"""
from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout,
    QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget,
)

from ...domain import clock
from ...domain.enums import CommunicationChannel, CommunicationOutcome, label
from ...domain.model import Communication
from ...services.contacts import ContactFormChoices
from ..board.page import call_while_alive
from ..context import AppContext
from ..style import set_role


def services_now(ctx: AppContext) -> datetime:
    """Now by the services' clock (the process clock while no workspace is open)."""
    return ctx.services.now() if ctx.services is not None else clock.now()


def when_edit(ctx: AppContext, name: str) -> QDateTimeEdit:
    """A "When" field that starts at now and cannot go past it, by the services' clock."""
    now = services_now(ctx).replace(second=0, microsecond=0)
    q = QDateTime(QDate(now.year, now.month, now.day), QTime(now.hour, now.minute))
    edit = QDateTimeEdit(q)
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("ddd dd MMM yyyy  HH:mm")
    edit.setMaximumDateTime(q.addSecs(60))
    return edit


DEFAULT_OUTCOME = {CommunicationChannel.CALL_IN: CommunicationOutcome.ATTENDED,
                   CommunicationChannel.LETTER: CommunicationOutcome.SENT}


class CommunicationDialog(QDialog):
    """Record one communication with a person."""

    recorded = Signal(object)            # the saved Communication

    def __init__(self, ctx: AppContext, person_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.choices: ContactFormChoices | None = None
        self.saved: Communication | None = None
        self.setWindowTitle("Add a contact")
        self.setObjectName("communication_dialog")
        self.setMinimumWidth(560)
        ctx.workspace_locked.connect(self.reject)

        outer = QVBoxLayout(self)
        self.heading = QLabel("Loading…")
        set_role(self.heading, "subheading")
        outer.addWidget(self.heading)
        form = QFormLayout()
        self.when = when_edit(ctx, "occurred_at")
        self.channel = QComboBox()
        self.channel.setObjectName("channel")
        for c in CommunicationChannel:
            self.channel.addItem(label(c), c.value)
        self.channel.setCurrentIndex(self.channel.findData(CommunicationChannel.HOME_VISIT.value))
        self.outcome = QComboBox()
        self.outcome.setObjectName("outcome")
        for o in CommunicationOutcome:
            self.outcome.addItem(label(o), o.value)
        self.partner = QComboBox()
        self.partner.setObjectName("partner")
        self.delivered_by = QLineEdit()
        self.delivered_by.setObjectName("delivered_by")
        self.delivered_by.setPlaceholderText("Who spoke to the person (name or role)")
        self.influencer = QComboBox()
        self.influencer.setObjectName("influencer")
        self.call_in = QComboBox()
        self.call_in.setObjectName("call_in")
        messages = QHBoxLayout()
        self.deterrence = QCheckBox("&Deterrence message")
        self.deterrence.setObjectName("deterrence_message")
        self.deterrence.setChecked(True)
        self.support = QCheckBox("Support &offer")
        self.support.setObjectName("support_offer")
        messages.addWidget(self.deterrence)
        messages.addWidget(self.support)
        messages.addStretch(1)
        self.message = QPlainTextEdit()
        self.message.setObjectName("message")
        self.message.setPlaceholderText("What was said, and how it landed (facts, not opinion)")
        self.message.setMaximumHeight(90)
        for text, w in (("&When:", self.when), ("C&hannel:", self.channel), ("O&utcome:", self.outcome),
                        ("&Partner:", self.partner), ("Delivered &by:", self.delivered_by),
                        ("Through an &influencer:", self.influencer), ("At the &call-in:", self.call_in)):
            lab = QLabel(text)
            lab.setBuddy(w)
            form.addRow(lab, w)
        form.addRow("Messages:", messages)
        lab = QLabel("&Notes:")
        lab.setBuddy(self.message)
        form.addRow(lab, self.message)
        outer.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.save_btn = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_btn.setDefault(True)
        self.save_btn.setEnabled(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.channel.currentIndexChanged.connect(self._channel_changed)
        self._channel_changed()
        call_while_alive(ctx, self, lambda s: s.contacts.form_choices(person_id), self._loaded, self._failed)

    def _loaded(self, choices: ContactFormChoices) -> None:
        self.choices = choices
        self.heading.setText(f"Contact with {choices.reference}")
        self.partner.clear()
        self.partner.addItem("— none —", None)
        for o in choices.partners:
            self.partner.addItem(o.label, o.id)
        actor = self.ctx.services.actor if self.ctx.services is not None else None
        if actor is not None and actor.partner_id is not None:
            self.partner.setCurrentIndex(max(0, self.partner.findData(actor.partner_id)))
            if not self.delivered_by.text():
                self.delivered_by.setText(actor.display_name)
        self.influencer.clear()
        self.influencer.addItem("— no —", None)
        for o in choices.influencers:
            self.influencer.addItem(o.label, o.id)
        self.call_in.clear()
        self.call_in.addItem("— not at a call-in —", None)
        for o in choices.call_ins:
            self.call_in.addItem(o.label, o.id)
        self._channel_changed()
        self.save_btn.setEnabled(True)

    def _channel_changed(self) -> None:
        channel = CommunicationChannel(self.channel.currentData())
        outcome = DEFAULT_OUTCOME.get(channel, CommunicationOutcome.DELIVERED)
        self.outcome.setCurrentIndex(self.outcome.findData(outcome.value))
        self.call_in.setEnabled(channel is CommunicationChannel.CALL_IN and self.call_in.count() > 1)
        if channel is CommunicationChannel.CALL_IN and self.call_in.count() > 1 and self.call_in.currentIndex() == 0:
            self.call_in.setCurrentIndex(1)
        if channel is not CommunicationChannel.CALL_IN:
            self.call_in.setCurrentIndex(0)
        self.influencer.setEnabled(self.influencer.count() > 1)
        if channel is CommunicationChannel.INFLUENCER and self.influencer.count() > 1 and self.influencer.currentIndex() == 0:
            self.influencer.setCurrentIndex(1)

    def communication(self) -> Communication:
        dt = self.when.dateTime()
        d, t = dt.date(), dt.time()
        return Communication(
            person_id=self.person_id,
            occurred_at=datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()),
            channel=CommunicationChannel(self.channel.currentData()),
            delivered_by=self.delivered_by.text().strip(), partner_id=self.partner.currentData(),
            influencer_id=self.influencer.currentData(), deterrence_message=self.deterrence.isChecked(),
            support_offer=self.support.isChecked(), message=self.message.toPlainText().strip(),
            outcome=CommunicationOutcome(self.outcome.currentData()), call_in_id=self.call_in.currentData())

    def save(self) -> None:
        from ...domain.errors import ValidationError
        comm = self.communication()
        try:
            comm.validate(services_now(self.ctx).date())
        except ValidationError as exc:
            self._show_errors(exc.errors)
            return
        self.save_btn.setEnabled(False)
        call_while_alive(self.ctx, self, lambda s: s.communications.record(comm), self._saved, self._failed)

    def _saved(self, comm: Communication) -> None:
        self.saved = comm
        self.ctx.data_changed.emit("communication")
        ref = self.choices.reference if self.choices is not None else ""
        self.ctx.status_message.emit(f"Saved the contact with {ref}" if ref else "Saved the contact")
        self.recorded.emit(comm)
        self.accept()

    def _show_errors(self, errors: dict[str, str]) -> None:
        names = {"occurred_at": "When", "channel": "Channel", "outcome": "Outcome", "message": "Notes",
                 "delivered_by": "Delivered by"}
        self.error.setText("\n".join(f"{names.get(k, k.replace('_', ' ').capitalize())}: {v}"
                                     for k, v in errors.items()))
        self.error.show()

    def _failed(self, exc: BaseException) -> None:
        from ...domain.errors import DeterrenceError, ValidationError
        self.save_btn.setEnabled(self.choices is not None)
        if isinstance(exc, ValidationError):
            self._show_errors(exc.errors)
        elif isinstance(exc, DeterrenceError):
            self._show_errors({"error": str(exc)})
        else:
            self._show_errors({"error": f"Something went wrong; nothing was saved ({type(exc).__name__})."})
            self.ctx.runner.unhandled_error.emit(exc)


__all__ = ["CommunicationDialog"]
