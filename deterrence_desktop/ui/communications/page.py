"""The communications page: the recent log, who has not been contacted in N days for a
cohort (repeated communication is the point), and counts by channel and partner."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton,
    QSpinBox, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from ...domain.enums import CommunicationChannel, label
from ...services.contacts import ContactCounts, NotContacted, messages_label
from ...services.notifications import DELIVERERS, NotificationView
from ...services.views import CommunicationView, CohortSummary
from ..board.page import call_while_alive
from ..context import AppContext
from ..models import Column, IdRole, RowsModel, date_column, enum_column, text_column
from ..page import Page
from ..style import set_role
from .dialog import CommunicationDialog

PERIODS = ((30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months"), (None, "All time"))


class _Log:
    """A communication as a log row whose id is the person (a double-click opens them)."""

    def __init__(self, c: CommunicationView):
        self.__dict__.update(c.__dict__)
        self.communication_id = c.id
        self.id = c.person_id


class _Count:
    def __init__(self, name: str, n: int, total: int):
        self.name, self.n = name, n
        self.share = n / total if total else 0.0
        self.id = None


LOG_COLUMNS = [
    date_column("When", "occurred_at"),
    text_column("Person", "person_reference"),
    enum_column("Channel", "channel"),
    text_column("Delivered by", "delivered_by"),
    text_column("Partner", "partner_name"),
    Column("Messages", lambda r: messages_label(r.deterrence_message, r.support_offer, r.outcome),
           lambda r: messages_label(r.deterrence_message, r.support_offer, r.outcome)),
    enum_column("Outcome", "outcome"),
    Column("Notes", lambda r: r.message.replace("\n", " "), lambda r: r.message.casefold()),
]
STALE_COLUMNS = [
    text_column("Reference", "reference"),
    text_column("Name", "name"),
    Column("Last contact", lambda r: f"{r.last_contact:%d %b %Y}" if r.last_contact else "never",
           lambda r: (r.last_contact is not None, r.last_contact)),
    Column("Days since", lambda r: "—" if r.days is None else str(r.days),
           lambda r: 1 << 30 if r.days is None else r.days, align_right=True),
    Column("Last channel", lambda r: label(r.last_channel) if r.last_channel else "",
           lambda r: r.last_channel),
]
NOTIFICATION_COLUMNS = [
    date_column("Planned for", "planned_for"),
    text_column("Person", "reference"),
    text_column("Where", "place"),
    Column("Delivered by", lambda r: DELIVERERS.get(r.delivered_by, r.delivered_by),
           lambda r: r.delivered_by),
    text_column("Partner", "partner_name"),
    Column("Outcome", lambda r: label(r.outcome) if r.outcome else "Planned", lambda r: r.outcome),
    date_column("Delivered", "delivered_at"),
]
COUNT_COLUMNS = [
    Column("", lambda r: r.name, lambda r: r.name.casefold()),
    Column("Contacts", lambda r: str(r.n), lambda r: r.n, align_right=True),
    Column("Share", lambda r: f"{r.share:.0%}", lambda r: r.share, align_right=True),
]


def _table(model, name: str, stretch: int = -1) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    head = view.horizontalHeader()
    head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch >= 0:
        head.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        head.setStretchLastSection(True)
    return view


class CommunicationsPage(Page):
    title = "Communications"
    data_kinds = ("communication", "call_in", "custom_notification")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("communications_page")
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel("Communications")
        set_role(heading, "heading")
        top.addWidget(heading)
        top.addStretch(1)
        self.period = QComboBox()
        self.period.setObjectName("period")
        for days, text in PERIODS:
            self.period.addItem(text, days)
        self.period.setCurrentIndex(1)
        self.channel = QComboBox()
        self.channel.setObjectName("channel_filter")
        self.channel.addItem("Every channel", None)
        for c in CommunicationChannel:
            self.channel.addItem(label(c), c.value)
        top.addWidget(QLabel("Period:"))
        top.addWidget(self.period)
        top.addWidget(QLabel("Channel:"))
        top.addWidget(self.channel)
        outer.addLayout(top)

        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)

        # Log
        log = QWidget()
        lay = QVBoxLayout(log)
        self.log_summary = QLabel()
        set_role(self.log_summary, "muted")
        lay.addWidget(self.log_summary)
        self.log_model = RowsModel(LOG_COLUMNS, parent=self)
        self.log_view = _table(self.log_model, "communications_log", stretch=len(LOG_COLUMNS) - 1)
        self.log_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)     # newest first
        self.log_view.doubleClicked.connect(lambda i: self._open_person(self.log_model, i))
        lay.addWidget(self.log_view, 1)
        self.tabs.addTab(log, "&Log")

        # Not contacted in N days
        stale = QWidget()
        lay2 = QVBoxLayout(stale)
        row = QHBoxLayout()
        self.cohort = QComboBox()
        self.cohort.setObjectName("cohort")
        self.cohort.addItem("Everyone", None)
        self.days = QSpinBox()
        self.days.setObjectName("days")
        self.days.setRange(1, 730)
        self.days.setValue(30)
        self.days.setSuffix(" days")
        self.days.setAccessibleName("Not contacted in days")
        self.add_btn = QPushButton("Add &contact…")
        self.add_btn.setObjectName("stale_add_contact")
        self.add_btn.setEnabled(False)
        for w in (QLabel("Not contacted in"), self.days, QLabel("in"), self.cohort):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.add_btn)
        lay2.addLayout(row)
        self.stale_summary = QLabel()
        self.stale_summary.setObjectName("stale_summary")
        set_role(self.stale_summary, "hint")
        self.stale_summary.setWordWrap(True)
        lay2.addWidget(self.stale_summary)
        self.stale_model = RowsModel(STALE_COLUMNS, parent=self)
        self.stale_view = _table(self.stale_model, "not_contacted", stretch=1)
        self.stale_view.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.stale_view.doubleClicked.connect(lambda i: self._open_person(self.stale_model, i))
        self.stale_view.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.add_btn.setEnabled(cur.isValid()))
        lay2.addWidget(self.stale_view, 1)
        self.tabs.addTab(stale, "&Not contacted")

        # Custom notifications
        notes = QWidget()
        lay3 = QVBoxLayout(notes)
        row3 = QHBoxLayout()
        self.open_only = QCheckBox("Only those still to deliver")
        self.open_only.setObjectName("open_only")
        self.open_only.setChecked(True)
        self.outcome_btn = QPushButton("Record &outcome…")
        self.outcome_btn.setObjectName("record_outcome")
        self.outcome_btn.setEnabled(False)
        row3.addWidget(self.open_only)
        row3.addStretch(1)
        row3.addWidget(self.outcome_btn)
        lay3.addLayout(row3)
        self.notification_model = RowsModel(NOTIFICATION_COLUMNS, parent=self)
        self.notification_view = _table(self.notification_model, "custom_notifications", stretch=2)
        self.notification_view.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.outcome_btn.setEnabled(cur.isValid()))
        self.notification_view.doubleClicked.connect(lambda _i: self.record_outcome_for_selected())
        lay3.addWidget(self.notification_view, 1)
        self.tabs.addTab(notes, "Custom no&tifications")

        # Counts
        counts = QWidget()
        grid = QGridLayout(counts)
        self.count_total = QLabel()
        set_role(self.count_total, "muted")
        grid.addWidget(self.count_total, 0, 0, 1, 3)
        self.count_models = {}
        for col, (key, title) in enumerate((("channel", "By channel"), ("partner", "By partner"),
                                            ("outcome", "By outcome"))):
            lab = QLabel(title)
            set_role(lab, "subheading")
            grid.addWidget(lab, 1, col)
            model = RowsModel([Column(title.removeprefix("By ").capitalize(), COUNT_COLUMNS[0].text,
                                      COUNT_COLUMNS[0].sort_key)] + COUNT_COLUMNS[1:], parent=self)
            view = _table(model, f"counts_{key}", stretch=0)
            view.sortByColumn(1, Qt.SortOrder.DescendingOrder)       # most contacts first
            grid.addWidget(view, 2, col)
            grid.setColumnStretch(col, 1)
            self.count_models[key] = model
        self.tabs.addTab(counts, "C&ounts")

        self.period.currentIndexChanged.connect(self.reload)
        self.channel.currentIndexChanged.connect(self._load_log)
        # Each look at the list is an audited consultation: one per number settled on
        # (a pause, Enter or leaving the box), not one per keystroke or arrow step.
        self._stale_key: tuple | None = None
        self._stale_timer = QTimer(self)
        self._stale_timer.setSingleShot(True)
        self._stale_timer.setInterval(700)
        self._stale_timer.timeout.connect(self._load_stale)
        self.days.editingFinished.connect(self._load_stale)
        self.days.valueChanged.connect(lambda _value: self._stale_timer.start())
        self.cohort.currentIndexChanged.connect(self._load_stale)
        self.add_btn.clicked.connect(self.add_contact_for_selected)
        self.open_only.toggled.connect(self._load_notifications)
        self.outcome_btn.clicked.connect(self.record_outcome_for_selected)

    # -- Page contract -------------------------------------------------------------------
    def reload(self) -> None:
        if not self.ctx.unlocked:
            return
        call_while_alive(self.ctx, self, lambda s: s.cohorts.list(), self._cohorts, self._failed)
        self._stale_key = None
        self._load_log()
        self._load_stale()
        self._load_counts()
        self._load_notifications()

    def clear(self) -> None:
        self._stale_timer.stop()
        self._stale_key = None
        self.log_model.clear()
        self.notification_model.clear()
        self.stale_model.clear()
        for m in self.count_models.values():
            m.clear()
        for lab in (self.log_summary, self.stale_summary, self.count_total):
            lab.setText("")

    def view_state(self) -> object:
        return {"tab": self.tabs.currentIndex(), "period": self.period.currentIndex(),
                "channel": self.channel.currentIndex(), "days": self.days.value(),
                "cohort": self.cohort.currentData()}

    def restore_view_state(self, state: object) -> None:
        if not isinstance(state, dict):
            return
        self.tabs.setCurrentIndex(state.get("tab", 0))
        for box, key in ((self.period, "period"), (self.channel, "channel")):
            box.blockSignals(True)
            box.setCurrentIndex(state.get(key, box.currentIndex()))
            box.blockSignals(False)
        self.days.blockSignals(True)
        self.days.setValue(state.get("days", self.days.value()))
        self.days.blockSignals(False)
        self._wanted_cohort = state.get("cohort")
        self.reload()

    def focus_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.log_view.setFocus()

    # -- loading -------------------------------------------------------------------------
    def _cohorts(self, cohorts: list[CohortSummary]) -> None:
        keep = getattr(self, "_wanted_cohort", None) or self.cohort.currentData()
        self._wanted_cohort = None
        self.cohort.blockSignals(True)
        self.cohort.clear()
        self.cohort.addItem("Everyone", None)
        for c in cohorts:
            self.cohort.addItem(f"{c.name} ({c.members})", c.id)
        self.cohort.setCurrentIndex(max(0, self.cohort.findData(keep)))
        self.cohort.blockSignals(False)
        if keep is not None:
            self._load_stale()

    def _load_log(self) -> None:
        days, channel = self.period.currentData(), self.channel.currentData()
        call_while_alive(self.ctx, self, lambda s: s.contacts.recent(days=days, channel=channel), self._log_loaded,
                      self._failed, label="communications log")

    def _log_loaded(self, rows: list[CommunicationView]) -> None:
        self.log_model.set_rows([_Log(r) for r in rows])
        people = len({r.person_id for r in rows})
        self.log_summary.setText(f"{len(rows)} contacts with {people} people "
                                 f"({self.period.currentText().lower()}), newest first.")

    def _load_stale(self) -> None:
        self._stale_timer.stop()
        days, cohort = self.days.value(), self.cohort.currentData()
        if (days, cohort) == self._stale_key or not self.ctx.unlocked:
            return              # already showing (Enter after the pause); nothing to ask
        self._stale_key = (days, cohort)
        call_while_alive(self.ctx, self, lambda s: s.contacts.not_contacted(days, cohort), self._stale_loaded,
                      self._failed, label="not contacted")

    def _stale_loaded(self, rows: list[NotContacted]) -> None:
        self.stale_model.set_rows(rows)
        never = sum(1 for r in rows if r.last_contact is None)
        n = len(rows)
        who = (f" in {self.cohort.currentText().rsplit(' (', 1)[0]}"
               if self.cohort.currentData() else "")
        self.stale_summary.setText(
            f"{n} {'person' if n == 1 else 'people'}{who} {'has' if n == 1 else 'have'} had "
            f"no contact in {self.days.value()} days"
            + (f", {never} of them never." if never else ".")
            + " Repeating the message is the point: plan a visit or a custom notification.")
        self.add_btn.setEnabled(False)

    def _load_counts(self) -> None:
        days = self.period.currentData()
        call_while_alive(self.ctx, self, lambda s: s.contacts.counts(days), self._counts_loaded, self._failed)

    def _counts_loaded(self, counts: ContactCounts) -> None:
        total = counts.total
        self.count_models["channel"].set_rows([_Count(label(c), n, total) for c, n in counts.by_channel])
        self.count_models["partner"].set_rows([_Count(p, n, total) for p, n in counts.by_partner])
        self.count_models["outcome"].set_rows([_Count(label(o), n, total) for o, n in counts.by_outcome])
        self.count_total.setText(
            f"{total} contact{'s' if total != 1 else ''} ({self.period.currentText().lower()}); "
            f"the message was given in {counts.messages_given}.")

    def _load_notifications(self) -> None:
        open_only = self.open_only.isChecked()
        call_while_alive(self.ctx, self, lambda s: s.notifications.list(open_only=open_only), self._notifications_loaded,
                      self._failed)

    def _notifications_loaded(self, rows: list[NotificationView]) -> None:
        self.notification_model.set_rows(rows)
        self.outcome_btn.setEnabled(False)

    # -- actions -------------------------------------------------------------------------
    def record_outcome_for_selected(self):
        from .notification import NotificationOutcomeDialog
        index = self.notification_view.currentIndex()
        row = self.notification_model.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        dialog = NotificationOutcomeDialog(self.ctx, row.id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _open_person(self, model, index) -> None:
        pid = model.data(model.index(index.row(), 0), IdRole)
        if pid is not None and hasattr(self.ctx, "open_requested"):
            self.ctx.open_requested.emit("person", int(pid))

    def add_contact_for_selected(self) -> CommunicationDialog | None:
        index = self.stale_view.currentIndex()
        row = self.stale_model.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        dialog = CommunicationDialog(self.ctx, row.person_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _failed(self, exc: BaseException) -> None:
        from ..errors import show_failure
        show_failure(self, exc)
