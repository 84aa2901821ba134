"""Custom notifications: plan one (with the person's legal-risk summary) and record its outcome."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QGridLayout,
    QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QVBoxLayout, QWidget,
)

from ...services.notifications import DELIVERERS, OUTCOMES, CustomNotification, LegalRisk
from ..board.page import call_while_alive
from ..context import AppContext
from ..style import set_role
from .dialog import services_now, when_edit


def _checklist(options, checked) -> QListWidget:
    w = QListWidget()
    for o in options:
        item = QListWidgetItem(o.label)
        item.setData(Qt.ItemDataRole.UserRole, o.id)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if o.id in checked else Qt.CheckState.Unchecked)
        w.addItem(item)
    return w


def _checked(w: QListWidget) -> list[int]:
    return [w.item(i).data(Qt.ItemDataRole.UserRole) for i in range(w.count())
            if w.item(i).checkState() == Qt.CheckState.Checked]


class _ErrorsMixin:
    error: QLabel

    def _show(self, exc: BaseException) -> None:
        from ...domain.errors import DeterrenceError, ValidationError, readable
        if isinstance(exc, ValidationError):
            text = readable(exc)
        elif isinstance(exc, DeterrenceError):
            text = str(exc)
        else:
            text = f"Something went wrong; nothing was saved ({type(exc).__name__})."
            self.ctx.runner.unhandled_error.emit(exc)      # type: ignore[attr-defined]
        self.error.setText(text)
        self.error.show()


class CustomNotificationDialog(_ErrorsMixin, QDialog):
    """Plan a custom notification for one person. Planning it creates the partner's action."""

    planned = Signal(object)          # CustomNotification

    def __init__(self, ctx: AppContext, person_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.risk: LegalRisk | None = None
        self.saved: CustomNotification | None = None
        self.setWindowTitle("Plan a custom notification")
        self.setObjectName("custom_notification_dialog")
        self.resize(820, 640)
        ctx.workspace_locked.connect(self.reject)
        outer = QVBoxLayout(self)
        self.heading = QLabel("Loading…")
        set_role(self.heading, "subheading")
        outer.addWidget(self.heading)
        self.body = QWidget()
        self.body.setEnabled(False)
        grid = QGridLayout(self.body)
        grid.setContentsMargins(0, 0, 0, 0)
        lab = QLabel("Individual &legal-risk summary (drawn from legal status and groups; edit if needed)")
        self.summary = QPlainTextEdit()
        self.summary.setObjectName("legal_risk_summary")
        lab.setBuddy(self.summary)
        grid.addWidget(lab, 0, 0, 1, 2)
        grid.addWidget(self.summary, 1, 0, 1, 2)
        grid.addWidget(QLabel("Levers that apply"), 2, 0)
        grid.addWidget(QLabel("Support offers"), 2, 1)
        self.levers = QListWidget()
        self.offers = QListWidget()
        grid.addWidget(self.levers, 3, 0)
        grid.addWidget(self.offers, 3, 1)
        form = QFormLayout()
        self.support_offer = QLineEdit()
        self.support_offer.setObjectName("support_offer")
        self.deliverer = QComboBox()
        self.deliverer.setObjectName("delivered_by")
        for key, text in DELIVERERS.items():
            self.deliverer.addItem(text, key)
        self.partner = QComboBox()
        self.partner.setObjectName("partner")
        self.influencer = QComboBox()
        self.influencer.setObjectName("influencer")
        self.place = QLineEdit("Home address")
        self.place.setObjectName("place")
        self.planned_for = QDateEdit()
        self.planned_for.setObjectName("planned_for")
        self.planned_for.setCalendarPopup(True)
        self.planned_for.setDisplayFormat("dd MMM yyyy")
        for text, w in (("Offer in &words:", self.support_offer), ("Delivered &by:", self.deliverer),
                        ("Responsible &partner:", self.partner), ("With &influencer:", self.influencer),
                        ("&Where:", self.place), ("&Planned for:", self.planned_for)):
            l = QLabel(text)
            l.setBuddy(w)
            form.addRow(l, w)
        grid.addLayout(form, 4, 0, 1, 2)
        grid.setRowStretch(1, 2)
        grid.setRowStretch(3, 1)
        outer.addWidget(self.body, 1)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        outer.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_btn = buttons.addButton("&Plan notification", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_btn.setEnabled(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        self.deliverer.currentIndexChanged.connect(self._deliverer_changed)
        call_while_alive(ctx, self, lambda s: s.notifications.legal_risk(person_id), self._loaded, self._show)

    def _loaded(self, risk: LegalRisk) -> None:
        self.risk = risk
        self.heading.setText(f"Custom notification for {risk.reference}")
        self.summary.setPlainText(risk.text)
        for target, options, checked in ((self.levers, risk.levers, risk.lever_ids),
                                         (self.offers, risk.offers, risk.offer_ids)):
            filled = _checklist(options, checked)
            for i in range(filled.count()):
                target.addItem(filled.takeItem(0))
        self.support_offer.setText(risk.support_offer)
        self.support_offer.setCursorPosition(0)
        for o in risk.partners:
            self.partner.addItem(o.label, o.id)
        self.partner.setCurrentIndex(max(0, self.partner.findData(risk.suggested_partner_id)))
        self.influencer.addItem("— none —", None)
        for o in risk.influencers:
            self.influencer.addItem(o.label, o.id)
        self.deliverer.setCurrentIndex(max(0, self.deliverer.findData(risk.suggested_deliverer)))
        today = services_now(self.ctx).date()
        soon = today + timedelta(days=7)
        self.planned_for.setMinimumDate(QDate(today.year, today.month, today.day))
        self.planned_for.setDate(QDate(soon.year, soon.month, soon.day))
        self._deliverer_changed()
        self.body.setEnabled(True)
        self.save_btn.setEnabled(True)

    def _deliverer_changed(self) -> None:
        by_influencer = self.deliverer.currentData() == "influencer"
        self.influencer.setEnabled(by_influencer and self.influencer.count() > 1)
        if by_influencer and self.influencer.currentIndex() == 0 and self.influencer.count() > 1:
            self.influencer.setCurrentIndex(1)
        if not by_influencer:
            self.influencer.setCurrentIndex(0)

    def notification(self) -> CustomNotification:
        d = self.planned_for.date()
        return CustomNotification(
            person_id=self.person_id, partner_id=self.partner.currentData(),
            delivered_by=self.deliverer.currentData(), influencer_id=self.influencer.currentData(),
            legal_risk_summary=self.summary.toPlainText().strip(), lever_ids=_checked(self.levers),
            offer_ids=_checked(self.offers), support_offer=self.support_offer.text().strip(),
            place=self.place.text().strip(), planned_for=date(d.year(), d.month(), d.day()))

    def save(self) -> None:
        n = self.notification()
        self.save_btn.setEnabled(False)
        call_while_alive(self.ctx, self, lambda s: s.notifications.plan(n), self._saved, self._failed)

    def _saved(self, n: CustomNotification) -> None:
        self.saved = n
        self.ctx.data_changed.emit("custom_notification")
        self.ctx.data_changed.emit("action")
        self.planned.emit(n)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_btn.setEnabled(True)
        self._show(exc)


class NotificationOutcomeDialog(_ErrorsMixin, QDialog):
    """Delivered, refused or not found: recording it writes the communication."""

    recorded = Signal(object)

    def __init__(self, ctx: AppContext, notification_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.notification_id = notification_id
        self.saved: CustomNotification | None = None
        self.setWindowTitle("Custom notification outcome")
        self.setObjectName("notification_outcome_dialog")
        ctx.workspace_locked.connect(self.reject)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.outcome = QComboBox()
        self.outcome.setObjectName("outcome")
        for o in OUTCOMES:
            self.outcome.addItem(o.replace("_", " ").capitalize(), o)
        self.when = when_edit(ctx, "when")
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setPlaceholderText("e.g. mother present; leaflet left")
        for text, w in (("&Outcome:", self.outcome), ("&When:", self.when), ("&Note:", self.note)):
            l = QLabel(text)
            l.setBuddy(w)
            form.addRow(l, w)
        lay.addLayout(form)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_btn = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def save(self) -> None:
        dt = self.when.dateTime()
        d, t = dt.date(), dt.time()
        when = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())
        outcome, note, nid = self.outcome.currentData(), self.note.text().strip(), self.notification_id
        self.save_btn.setEnabled(False)
        call_while_alive(self.ctx, self, lambda s: s.notifications.record_outcome(nid, outcome, when, note),
                      self._saved, self._failed)

    def _saved(self, n: CustomNotification) -> None:
        self.saved = n
        self.ctx.data_changed.emit("communication")
        self.ctx.data_changed.emit("custom_notification")
        self.ctx.data_changed.emit("action")
        self.recorded.emit(n)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_btn.setEnabled(True)
        self._show(exc)
