"""The call-in planning wizard: a QWizard that only renders the services' flow.

Navigation, validation and warnings live in :mod:`deterrence_desktop.services.callins`
(``go_next``, ``go_back``, ``go_to``, ``validate_step``, ``wizard_warnings``). Each
page shows the answers of its step and the choices the service sends
(``step_data``, fetched on the database worker when the page opens); Next asks the
flow whether the step is valid, Back keeps what was typed, and Finish asks the
service to create the call-in in one transaction. The pages' base is in :mod:`.steps`,
the invitee step in :mod:`.invitees`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QDateTimeEdit, QFormLayout, QGridLayout,
    QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QPlainTextEdit, QPushButton,
    QTableWidget, QTableWidgetItem, QTextBrowser, QVBoxLayout, QWidget, QWizard,
)

from ...domain.enums import label
from ...services import callins as flow
from ...services.callin_warnings import agreement_problem
from ...services.callins import StepData, WizardState
from ..board.page import call_while_alive
from ..context import AppContext
from ..style import WARNING, set_role
from .invitees import InviteesPage
from .steps import (
    StepPage, checked_ids, fill_checklist, partner_combo, pydate, qdate, show_warnings, warning_label,
)

PAGE_IDS = {step_id: n for n, step_id in enumerate(flow.STEP_IDS)}


# ---------------------------------------------------------------------------------------
# 1. Purpose and event
# ---------------------------------------------------------------------------------------

class EventPage(StepPage):
    step_id = flow.EVENT

    def build(self, body: QWidget) -> None:
        grid = QGridLayout(body)
        form = QFormLayout()
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("title")
        self.title_edit.setPlaceholderText("e.g. Call-in for the Northside groups")
        self.purpose = QPlainTextEdit()
        self.purpose.setObjectName("purpose")
        self.purpose.setPlaceholderText("Why this call-in, and why now")
        self.purpose.setMaximumHeight(60)
        self.starts_at = QDateTimeEdit()
        self.starts_at.setObjectName("starts_at")
        self.starts_at.setCalendarPopup(True)
        self.starts_at.setDisplayFormat("ddd dd MMM yyyy  HH:mm")
        self.venue = QLineEdit()
        self.venue.setObjectName("venue")
        self.venue_notes = QPlainTextEdit()
        self.venue_notes.setObjectName("venue_notes")
        self.venue_notes.setPlaceholderText("Accessibility (step-free access, hearing loop) and safety "
                                            "(separate entrances, search, exits)")
        self.venue_notes.setMaximumHeight(60)
        for text, w in (("&Title:", self.title_edit), ("&Purpose:", self.purpose),
                        ("&Date and time:", self.starts_at), ("&Venue:", self.venue),
                        ("Venue &notes:", self.venue_notes)):
            lab = QLabel(text)
            lab.setBuddy(w)
            form.addRow(lab, w)
        grid.addLayout(form, 0, 0, 1, 2)
        self.groups = QListWidget()
        self.groups.setObjectName("groups")
        self.cohorts = QListWidget()
        self.cohorts.setObjectName("cohorts")
        for col, (text, w) in enumerate((("Targeted &groups", self.groups),
                                         ("Targeted c&ohorts", self.cohorts))):
            lab = QLabel(text)
            lab.setBuddy(w)
            set_role(lab, "subheading")
            grid.addWidget(lab, 1, col)
            grid.addWidget(w, 2, col)
        grid.setRowStretch(2, 1)
        self.clash_box = warning_label("event_warnings")
        grid.addWidget(self.clash_box, 3, 0, 1, 2)
        self.starts_at.dateTimeChanged.connect(self.refresh_warnings)

    def refresh_warnings(self) -> None:
        """Another call-in at this date and time, or overlapping: said as soon as it is chosen."""
        if self.data is None:
            return
        show_warnings(self.clash_box, flow.event_warnings({flow.EVENT: self.values()}, self.data.facts))

    def field_widgets(self) -> dict[str, QWidget]:
        return {"title": self.title_edit, "venue": self.venue, "starts_at": self.starts_at,
                "targets": self.groups}

    def show_answers(self, a: dict[str, Any], data: StepData) -> None:
        self.title_edit.setText(a.get("title") or "")
        self.purpose.setPlainText(a.get("purpose") or "")
        when = flow.parse_when(a.get("starts_at"))
        if when is None:
            when = datetime.combine(data.facts.today + timedelta(days=14), time(18, 30))
        self.starts_at.setDateTime(QDateTime(qdate(when.date()), QTime(when.hour, when.minute)))
        self.venue.setText(a.get("venue") or "")
        self.venue_notes.setPlainText(a.get("venue_notes") or "")
        fill_checklist(self.groups, data.groups, a.get("group_ids") or [])
        fill_checklist(self.cohorts, data.cohorts, a.get("cohort_ids") or [])
        self.refresh_warnings()

    def values(self) -> dict[str, Any]:
        dt = self.starts_at.dateTime()
        when = datetime.combine(pydate(dt.date()), time(dt.time().hour(), dt.time().minute()))
        return {"title": self.title_edit.text(), "purpose": self.purpose.toPlainText(),
                "starts_at": when.isoformat(timespec="minutes"), "venue": self.venue.text(),
                "venue_notes": self.venue_notes.toPlainText(),
                "group_ids": checked_ids(self.groups), "cohort_ids": checked_ids(self.cohorts)}


# ---------------------------------------------------------------------------------------
# 3. Speakers and roles
# ---------------------------------------------------------------------------------------

class SpeakersPage(StepPage):
    step_id = flow.SPEAKERS

    def build(self, body: QWidget) -> None:
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        add = QHBoxLayout()
        self.role = QComboBox()
        self.role.setObjectName("speaker_role")
        self.role.setAccessibleName("Speaker's role")
        for key, text in flow.SPEAKER_ROLES.items():
            self.role.addItem(text, key)
        self.name = QLineEdit()
        self.name.setObjectName("speaker_name")
        self.name.setPlaceholderText("Speaker's name")
        self.link = QComboBox()
        self.link.setObjectName("speaker_link")
        self.link.setAccessibleName("Speaker speaks for")
        self.link.setMinimumContentsLength(28)
        self.add_btn = QPushButton("&Add speaker")
        self.add_btn.setObjectName("add_speaker")
        for w in (self.role, self.name, self.link, self.add_btn):
            add.addWidget(w)
        add.setStretch(1, 1)
        lay.addLayout(add)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("speakers")
        self.table.setHorizontalHeaderLabels(["Role", "Name", "Partner or influencer"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        remove = QPushButton("&Remove selected")
        row = QHBoxLayout()
        self.hint = QLabel("A call-in carries three messages, each from its own speakers: the "
                           "community's moral voice, the law-enforcement consequences, and the offer of help.")
        self.hint.setWordWrap(True)
        set_role(self.hint, "hint")
        row.addWidget(self.hint, 1)
        row.addWidget(remove)
        lay.addLayout(row)
        self.speakers: list[dict] = []
        self.add_btn.clicked.connect(self._add)
        self.name.returnPressed.connect(self._add)
        remove.clicked.connect(self._remove)

    def show_answers(self, a: dict[str, Any], data: StepData) -> None:
        self.link.clear()
        for o in data.partners:
            self.link.addItem(f"Partner: {o.label}", ("partner", o.id))
        for o in data.influencers:
            self.link.addItem(f"Influencer: {o.label}", ("influencer", o.id))
        self.speakers = [dict(s) for s in a.get("speakers") or []]
        self._render()

    def add_speaker(self, role: str, name: str, partner_id: int | None = None,
                    influencer_id: int | None = None) -> None:
        self.speakers.append({"role": role, "name": name.strip(), "partner_id": partner_id,
                              "influencer_id": influencer_id})
        self._render()

    def _add(self) -> None:
        kind, ref = self.link.currentData() or (None, None)
        if not self.name.text().strip() or ref is None:
            self.show_errors({"speakers": "give the speaker's name and link them to a partner or influencer"})
            return
        self.show_errors({})
        self.add_speaker(self.role.currentData(), self.name.text(),
                         ref if kind == "partner" else None, ref if kind == "influencer" else None)
        self.name.clear()

    def _remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows:
            del self.speakers[r]
        self._render()

    def _render(self) -> None:
        names = {}
        if self.data is not None:
            names = {("partner", o.id): o.label for o in self.data.partners}
            names |= {("influencer", o.id): o.label for o in self.data.influencers}
        self.table.setRowCount(len(self.speakers))
        for r, s in enumerate(self.speakers):
            key = ("partner", s.get("partner_id")) if s.get("partner_id") is not None else \
                ("influencer", s.get("influencer_id"))
            for c, text in enumerate((flow.SPEAKER_ROLES.get(s.get("role"), "?"), s.get("name", ""),
                                      names.get(key, "?"))):
                self.table.setItem(r, c, QTableWidgetItem(text))

    def values(self) -> dict[str, Any]:
        return {"speakers": [dict(s) for s in self.speakers]}


# ---------------------------------------------------------------------------------------
# 4. Messages
# ---------------------------------------------------------------------------------------

class MessagesPage(StepPage):
    step_id = flow.MESSAGES

    def build(self, body: QWidget) -> None:
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        lab = QLabel("Enforcement &consequences for the group")
        set_role(lab, "subheading")
        self.levers = QListWidget()
        self.levers.setObjectName("levers")
        lab.setBuddy(self.levers)
        grid.addWidget(lab, 0, 0)
        grid.addWidget(self.levers, 1, 0)
        lab2 = QLabel("Support &offers on the night")
        set_role(lab2, "subheading")
        self.offers = QTableWidget(0, 3)
        self.offers.setObjectName("offers")
        lab2.setBuddy(self.offers)
        self.offers.setHorizontalHeaderLabels(["Offer", "Delivered by", "Agreement"])
        self.offers.verticalHeader().hide()
        self.offers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.offers.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.offers.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        grid.addWidget(lab2, 0, 1)
        grid.addWidget(self.offers, 1, 1)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        self.offer_warnings = warning_label("offer_warnings")
        grid.addWidget(self.offer_warnings, 2, 0, 1, 2)
        self.offers.itemChanged.connect(lambda _item: self.refresh_warnings())

    def show_answers(self, a: dict[str, Any], data: StepData) -> None:
        fill_checklist(self.levers, data.levers, a.get("lever_ids") or [])
        for i, o in enumerate(data.levers):
            self.levers.item(i).setText(f"{o.label}  ({label(o.kind)})")
        chosen = {o.get("intervention_id"): o.get("partner_id") for o in a.get("offers") or []}
        by_type = {}
        for p in data.partners:
            by_type.setdefault(p.kind, p.id)
        blocked = self.offers.blockSignals(True)        # rows are half-built until the loop ends
        self.offers.setRowCount(len(data.offers))
        for r, o in enumerate(data.offers):
            item = QTableWidgetItem(o.label)
            item.setData(Qt.ItemDataRole.UserRole, o.id)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if o.id in chosen else Qt.CheckState.Unchecked)
            self.offers.setItem(r, 0, item)
            partner = chosen.get(o.id) or by_type.get(o.kind)
            box = partner_combo(data.partners, partner, "— choose —")
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(16)
            box.setAccessibleName(f"Delivered by: {o.label}")
            self.offers.setCellWidget(r, 1, box)
            box.currentIndexChanged.connect(lambda _i: self.refresh_warnings())
        self.offers.blockSignals(blocked)
        self.refresh_warnings()

    def refresh_warnings(self) -> None:
        """Flag each offer whose partner's information-sharing agreement has ended (by the
        call-in's date); list the chosen ones under the table."""
        if self.data is None or self.offers.columnCount() < 3:
            return
        facts = self.data.facts
        for r in range(self.offers.rowCount()):
            box = self.offers.cellWidget(r, 1)
            problem = agreement_problem(facts.agreements.get(box.currentData()) if box else None,
                                        facts.starts_on, facts.today)
            ended = "ends before the call-in" if problem and "before the call-in" in problem else "ended"
            cell = QTableWidgetItem(f"⚠ Agreement {ended}" if problem else "")
            cell.setFlags(Qt.ItemFlag.ItemIsEnabled)
            cell.setToolTip((problem[0].upper() + problem[1:]) if problem else "")
            cell.setForeground(WARNING)
            blocked = self.offers.blockSignals(True)
            self.offers.setItem(r, 2, cell)
            self.offers.blockSignals(blocked)
        names = {o.id: o.label for o in self.data.offers}
        show_warnings(self.offer_warnings,
                      flow.message_warnings({flow.MESSAGES: self.values()}, facts, names))

    def choose_offer(self, row: int, partner_id: int | None = None) -> None:
        self.offers.item(row, 0).setCheckState(Qt.CheckState.Checked)
        if partner_id is not None:
            box = self.offers.cellWidget(row, 1)
            box.setCurrentIndex(box.findData(partner_id))

    def values(self) -> dict[str, Any]:
        offers = []
        for r in range(self.offers.rowCount()):
            item = self.offers.item(r, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                offers.append({"intervention_id": item.data(Qt.ItemDataRole.UserRole),
                               "partner_id": self.offers.cellWidget(r, 1).currentData()})
        return {"lever_ids": checked_ids(self.levers), "offers": offers}


# ---------------------------------------------------------------------------------------
# 5. Logistics
# ---------------------------------------------------------------------------------------

class LogisticsPage(StepPage):
    step_id = flow.LOGISTICS

    def build(self, body: QWidget) -> None:
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        form = QFormLayout()
        self.delivery_partner = QComboBox()
        self.delivery_partner.setObjectName("delivery_partner")
        self.delivery_method = QComboBox()
        self.delivery_method.setObjectName("delivery_method")
        for m in flow.DELIVERY_METHODS:
            self.delivery_method.addItem(m.capitalize(), m)
        self.delivery_due = QDateEdit()
        self.delivery_due.setObjectName("delivery_due")
        self.delivery_due.setCalendarPopup(True)
        self.delivery_due.setDisplayFormat("dd MMM yyyy")
        for text, w in (("Invitations delivered &by:", self.delivery_partner),
                        ("&How:", self.delivery_method), ("Delivered by (&date):", self.delivery_due)):
            lab = QLabel(text)
            lab.setBuddy(w)
            form.addRow(lab, w)
        top.addLayout(form, 1)
        form2 = QFormLayout()
        self.transport = QLineEdit()
        self.transport.setObjectName("transport")
        self.transport.setPlaceholderText("e.g. minibus from two pick-up points")
        self.room_layout = QLineEdit()
        self.room_layout.setObjectName("room_layout")
        self.room_layout.setPlaceholderText("e.g. horseshoe; rival groups seated apart")
        self.risk_done = QCheckBox("The risk assessment is &done")
        self.risk_done.setObjectName("risk_assessment_done")
        for text, w in (("&Transport:", self.transport), ("&Room layout:", self.room_layout)):
            lab = QLabel(text)
            lab.setBuddy(w)
            form2.addRow(lab, w)
        form2.addRow("", self.risk_done)
        top.addLayout(form2, 1)
        lay.addLayout(top)
        head = QLabel("Tasks (each becomes an action for its partner, due before the event)")
        set_role(head, "subheading")
        lay.addWidget(head)
        add = QHBoxLayout()
        self.task_kind = QComboBox()
        self.task_kind.setObjectName("task_kind")
        for key, (text, _) in flow.TASK_KINDS.items():
            self.task_kind.addItem(text, key)
        self.task_description = QLineEdit()
        self.task_description.setObjectName("task_description")
        self.task_description.setPlaceholderText("What needs doing")
        self.task_partner = QComboBox()
        self.task_partner.setObjectName("task_partner")
        self.task_partner.setMinimumContentsLength(20)
        self.task_due = QDateEdit()
        self.task_due.setObjectName("task_due")
        self.task_due.setCalendarPopup(True)
        self.task_due.setDisplayFormat("dd MMM yyyy")
        add_btn = QPushButton("Add &task")
        add_btn.setObjectName("add_task")
        self.standard_btn = QPushButton("Add the &usual tasks")
        self.standard_btn.setObjectName("standard_tasks")
        for w in (self.task_kind, self.task_description, self.task_partner, self.task_due, add_btn):
            add.addWidget(w)
        add.setStretch(1, 1)
        lay.addLayout(add)
        self.tasks_table = QTableWidget(0, 4)
        self.tasks_table.setObjectName("tasks")
        self.tasks_table.setHorizontalHeaderLabels(["Task", "Description", "Partner", "Due"])
        self.tasks_table.verticalHeader().hide()
        self.tasks_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tasks_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tasks_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.invitations = QTableWidget(0, 3)
        self.invitations.setObjectName("invitation_delivery")
        self.invitations.setHorizontalHeaderLabels(["Invitation to", "Delivered by", "How"])
        self.invitations.verticalHeader().hide()
        self.invitations.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.invitations.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        tables = QHBoxLayout()
        tables.addWidget(self.tasks_table, 1)
        tables.addWidget(self.invitations, 1)
        lay.addLayout(tables, 1)
        row = QHBoxLayout()
        self.count = QLabel()
        set_role(self.count, "muted")
        remove = QPushButton("&Remove selected")
        row.addWidget(self.count, 1)
        row.addWidget(self.standard_btn)
        row.addWidget(remove)
        lay.addLayout(row)
        self.tasks: list[dict] = []
        self.overrides: dict[str, dict] = {}
        add_btn.clicked.connect(self._add)
        remove.clicked.connect(self._remove)
        self.standard_btn.clicked.connect(self.add_usual_tasks)

    def field_widgets(self) -> dict[str, QWidget]:
        return {"delivery_partner_id": self.delivery_partner, "delivery_method": self.delivery_method}

    def _event_day(self) -> date:
        when = self.wiz.state.starts_at()
        return when.date() if when else (self.data.facts.today + timedelta(days=14))

    def show_answers(self, a: dict[str, Any], data: StepData) -> None:
        for box in (self.delivery_partner, self.task_partner):
            box.clear()
            for o in data.partners:
                box.addItem(o.label, o.id)
        police = next((o.id for o in data.partners if o.kind == "police"), None)
        partner = a.get("delivery_partner_id") or police
        self.delivery_partner.setCurrentIndex(max(0, self.delivery_partner.findData(partner)))
        self.delivery_method.setCurrentIndex(max(0, self.delivery_method.findData(a.get("delivery_method"))))
        event_day = self._event_day()
        due = flow.parse_day(a.get("delivery_due")) or max(data.facts.today, event_day - timedelta(days=7))
        for edit in (self.delivery_due, self.task_due):
            edit.setMinimumDate(qdate(data.facts.today))
        self.delivery_due.setDate(qdate(due))
        self.task_due.setDate(qdate(max(data.facts.today, event_day - timedelta(days=2))))
        self.task_partner.setCurrentIndex(max(0, self.task_partner.findData(police)))
        self.transport.setText(a.get("transport") or "")
        self.room_layout.setText(a.get("room_layout") or "")
        self.risk_done.setChecked(bool(a.get("risk_assessment_done")))
        self.tasks = [dict(t) for t in a.get("tasks") or []]
        self.overrides = dict(a.get("delivery_overrides") or {})
        invitees = self.wiz.state.answers[flow.INVITEES].get("invitees") or []
        if not a.get("delivery_due") and not self.overrides:
            # First visit: a required invitation goes through the supervising officer.
            for item in invitees:
                c = data.facts.candidates.get(int(item["person_id"]))
                if c is not None and item.get("required") and c.supervising_partner_id:
                    self.overrides[str(c.person_id)] = {"partner_id": c.supervising_partner_id,
                                                        "method": "through the supervising officer"}
        self.invitations.setRowCount(len(invitees))
        for r, item in enumerate(invitees):
            pid = int(item["person_id"])
            c = data.facts.candidates.get(pid)
            cell = QTableWidgetItem(c.reference if c else str(pid))
            cell.setData(Qt.ItemDataRole.UserRole, pid)
            cell.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if c is not None:
                cell.setToolTip(c.requirement)
            self.invitations.setItem(r, 0, cell)
            o = self.overrides.get(str(pid)) or {}
            who = partner_combo(data.partners, o.get("partner_id"), "as above")
            how = QComboBox()
            for box in (who, how):
                box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                box.setMinimumContentsLength(8)
            self.invitations.setCellWidget(r, 1, who)
            how.addItem("as above", None)
            for m in flow.DELIVERY_METHODS:
                how.addItem(m.capitalize(), m)
            how.setCurrentIndex(max(0, how.findData(o.get("method"))))
            self.invitations.setCellWidget(r, 2, how)
        self._render()

    def add_task(self, kind: str, description: str, partner_id: int, due: date) -> None:
        self.tasks.append({"kind": kind, "description": description.strip(), "partner_id": partner_id,
                           "due_date": due.isoformat()})
        self._render()

    def add_usual_tasks(self) -> None:
        if self.data is None:
            return
        by_type = {}
        for o in self.data.partners:
            by_type.setdefault(o.kind, o.id)
        police = by_type.get("police", self.data.partners[0].id)
        council = by_type.get("council", police)
        day = self._event_day()
        today = self.data.facts.today
        usual = [("risk_assessment", "Assess the venue, rivalries and arrival routes", police, day - timedelta(days=5)),
                 ("transport", self.transport.text().strip() or "Arrange transport to the venue", council, day - timedelta(days=3)),
                 ("room_layout", self.room_layout.text().strip() or "Set out the room and signage", council, day - timedelta(days=1))]
        have = {t["kind"] for t in self.tasks}
        for kind, text, partner, due in usual:
            if kind not in have:
                self.add_task(kind, text, partner, max(today, due))

    def _add(self) -> None:
        if not self.task_description.text().strip():
            self.show_errors({"tasks": "describe the task"})
            return
        self.show_errors({})
        self.add_task(self.task_kind.currentData(), self.task_description.text(),
                      self.task_partner.currentData(), pydate(self.task_due.date()))
        self.task_description.clear()

    def _remove(self) -> None:
        for r in sorted({i.row() for i in self.tasks_table.selectedIndexes()}, reverse=True):
            del self.tasks[r]
        self._render()

    def _render(self) -> None:
        names = {o.id: o.label for o in self.data.partners} if self.data else {}
        self.tasks_table.setRowCount(len(self.tasks))
        for r, t in enumerate(self.tasks):
            due = flow.parse_day(t.get("due_date"))
            for c, text in enumerate((flow.TASK_KINDS.get(t.get("kind"), ("?",))[0], t.get("description", ""),
                                      names.get(t.get("partner_id"), "?"),
                                      due.strftime("%d %b %Y") if due else "")):
                self.tasks_table.setItem(r, c, QTableWidgetItem(text))
        for c in (0, 2, 3):
            self.tasks_table.resizeColumnToContents(c)
        invitees = len(self.wiz.state.answers[flow.INVITEES].get("invitees") or [])
        self.count.setText(f"Finish will create {invitees} invitation-delivery actions and "
                           f"{len(self.tasks)} task actions.")

    def _overrides(self) -> dict[str, dict]:
        out = {}
        for r in range(self.invitations.rowCount()):
            pid = self.invitations.item(r, 0).data(Qt.ItemDataRole.UserRole)
            partner = self.invitations.cellWidget(r, 1).currentData()
            method = self.invitations.cellWidget(r, 2).currentData()
            if partner is not None or method is not None:
                out[str(pid)] = {"partner_id": partner or self.delivery_partner.currentData(),
                                 "method": method or self.delivery_method.currentData()}
        return out

    def values(self) -> dict[str, Any]:
        return {"delivery_partner_id": self.delivery_partner.currentData(),
                "delivery_method": self.delivery_method.currentData(),
                "delivery_due": pydate(self.delivery_due.date()).isoformat(),
                "delivery_overrides": self._overrides(),
                "transport": self.transport.text(), "room_layout": self.room_layout.text(),
                "risk_assessment_done": self.risk_done.isChecked(),
                "tasks": [dict(t) for t in self.tasks]}


# ---------------------------------------------------------------------------------------
# 6. Review
# ---------------------------------------------------------------------------------------

class ReviewPage(StepPage):
    step_id = flow.REVIEW

    def build(self, body: QWidget) -> None:
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        self.view = QTextBrowser()
        self.view.setObjectName("review")
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(lambda url: self.wiz.go_to_step(url.toString().removeprefix("step:")))
        lay.addWidget(self.view)

    def show_answers(self, a: dict[str, Any], data: StepData) -> None:
        steps = {s.title: s.id for s in flow.STEPS}
        parts = []
        for heading, lines in data.review:
            parts.append(f"<h3 style='margin-bottom:2px'>{escape(heading)} "
                         f"<a href='step:{steps.get(heading, '')}' style='font-size:small; font-weight:normal'>"
                         f"change</a></h3><ul style='margin-top:0'>")
            for line in lines:
                style = " style='color:#8a5a00'" if line.startswith("Warning:") else ""
                parts.append(f"<li{style}>{escape(line)}</li>")
            parts.append("</ul>")
        self.view.setHtml("".join(parts))
        errors = flow.validate_all(self.wiz.state.answers, data.facts)
        self.show_errors(errors)

    def review_text(self) -> str:
        return self.view.toPlainText()

    def values(self) -> dict[str, Any]:
        return {}


PAGE_CLASSES = (EventPage, InviteesPage, SpeakersPage, MessagesPage, LogisticsPage, ReviewPage)


class CallInWizard(QWizard):
    """Plan a call-in. ``state`` resumes a saved draft where it was left."""

    call_in_created = Signal(int)
    draft_saved = Signal(int)

    def __init__(self, ctx: AppContext, state: WizardState | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Plan a call-in")
        self.setObjectName("callin_wizard")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Save &draft")
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Finish: create the call-in")
        self.customButtonClicked.connect(self._custom_button)
        ctx.workspace_locked.connect(self.reject)      # locking drops what the wizard holds
        self.state = (state or WizardState()).copy()
        self.created_id: int | None = None
        self._finishing = False
        self._replaying = False
        self.pages: dict[str, StepPage] = {}
        for cls in PAGE_CLASSES:
            page = cls(self)
            self.pages[cls.step_id] = page
            self.setPage(PAGE_IDS[cls.step_id], page)
        self.currentIdChanged.connect(self._page_shown)
        self.resize(980, 680)
        self.setMinimumSize(820, 560)
        target, history = self.state.current, list(self.state.history)
        if history:
            # A resumed draft: replay the visited steps so Back works as before.
            self.state.current, self.state.history = history[0], []
            self.setStartId(PAGE_IDS[history[0]])
            self._replay = history[1:] + [target]
        else:
            self.setStartId(PAGE_IDS[target])
            self._replay = []

    # -- flow --------------------------------------------------------------------------
    def nextId(self) -> int:
        current = flow.STEP_IDS[self.currentId()] if self.currentId() >= 0 else self.state.current
        following = flow.STEP_BY_ID[current].next(self.state.answers)
        return -1 if following is None else PAGE_IDS[following]

    def _page_shown(self, page_id: int) -> None:
        # Back shows the previous page as it was left; a page replayed from a draft
        # was never loaded, so it loads now.
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Save &draft")
        if page_id >= 0 and not self._replaying:
            page = self.pages[flow.STEP_IDS[page_id]]
            if page.data is None and not page.requested:
                page.initializePage()

    def page_for(self, step_id: str) -> StepPage:
        return self.pages[step_id]

    def current_page(self) -> StepPage:
        return self.pages[flow.STEP_IDS[self.currentId()]]

    def load_step_data(self, page: StepPage) -> None:
        if self._replaying:
            return
        state = self.state.copy()
        call_while_alive(self.ctx, self, lambda s: s.callins.step_data(state),
                      lambda data, p=page: self._data_arrived(p, data), self._failed)

    def _data_arrived(self, page: StepPage, data: StepData) -> None:
        if self.currentPage() is page:
            page.data_arrived(data)
        if self._replay and not self._replaying:
            self._run_replay()

    def _run_replay(self) -> None:
        self._replaying = True
        try:
            while self._replay:
                step = self._replay.pop(0)
                self.state.history.append(self.state.current)
                self.state.current = step
                self.next()
        finally:
            self._replaying = False
        self.current_page().initializePage()

    def validate_step_page(self, page: StepPage) -> bool:
        if self._replaying:
            return True
        if page.data is None:
            return False
        if page.step_id == flow.REVIEW:
            errors = flow.validate_step(flow.REVIEW, self.state.answers, page.data.facts)
            page.show_errors(errors)
            return not errors
        move = flow.go_next(self.state, page.values(), page.data.facts)
        self.state = move.state
        page.show_errors(move.errors)
        return move.ok

    def go_to_step(self, step_id: str) -> None:
        """The review's "change" links: go back through the visited steps to ``step_id``."""
        if step_id not in self.state.history:
            return
        while self.state.current != step_id and self.state.history:
            self.back()

    # -- drafts and finish ------------------------------------------------------------
    def _custom_button(self, which: int) -> None:
        if which == QWizard.WizardButton.CustomButton1.value or which == QWizard.WizardButton.CustomButton1:
            self.save_draft()

    def save_draft(self) -> None:
        page = self.current_page()
        if page.data is not None:
            self.state = flow.record(self.state, page.values())
        state = self.state.copy()
        self.button(QWizard.WizardButton.CustomButton1).setEnabled(False)
        call_while_alive(self.ctx, self, lambda s: s.callins.save_draft(state), self._draft_saved, self._failed)

    def _draft_saved(self, state: WizardState) -> None:
        self.state.draft_id = state.draft_id
        self.button(QWizard.WizardButton.CustomButton1).setEnabled(True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Draft &saved")
        self.ctx.data_changed.emit("call_in")
        self.draft_saved.emit(state.draft_id)

    def accept(self) -> None:
        if self.created_id is not None:
            super().accept()
            return
        if self._finishing:
            return
        self._finishing = True
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        state = self.state.copy()
        call_while_alive(self.ctx, self, lambda s: s.callins.finish(state), self._finished, self._finish_failed)

    def _finished(self, call_in) -> None:
        self.created_id = call_in.id
        self.ctx.data_changed.emit("call_in")
        self.ctx.data_changed.emit("action")
        self.call_in_created.emit(call_in.id)
        super().accept()

    def _finish_failed(self, exc: BaseException) -> None:
        self._finishing = False
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        from ...domain.errors import DeterrenceError, ValidationError
        page = self.current_page()
        self.button(QWizard.WizardButton.CustomButton1).setEnabled(True)
        if isinstance(exc, ValidationError):
            page.show_errors(exc.errors)
        elif isinstance(exc, DeterrenceError):
            page.show_errors({"error": str(exc)})
        else:
            page.show_errors({"error": "Something went wrong; nothing was saved. "
                                       f"({type(exc).__name__})"})
            self.ctx.runner.unhandled_error.emit(exc)
