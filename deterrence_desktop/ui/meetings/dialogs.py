"""Dialogs of partnership meetings: create a meeting, add an action agreed at it."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout,
    QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QRadioButton, QVBoxLayout,
)

from ...domain.enums import ActionKind, label
from ...domain.model import Action, Meeting
from ...services.meetings import AgendaEntry


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class CreateMeetingDialog(QDialog):
    """Date, partners attending, and the agenda: a cohort, or people and groups chosen."""

    def __init__(self, partners, cohorts, people, groups, today: date, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New partnership meeting")
        self.resize(560, 640)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.title = QLineEdit(f"Partnership meeting {today:%d %b %Y}")
        self.title.setAccessibleName("Title")
        form.addRow("Title", self.title)
        self.held_on = QDateEdit(_qdate(today))
        self.held_on.setCalendarPopup(True)
        self.held_on.setDisplayFormat("dd MMM yyyy")
        form.addRow("Date", self.held_on)
        lay.addLayout(form)
        lay.addWidget(QLabel("Partners attending"))
        self.partners = QListWidget()
        self.partners.setObjectName("attendees")
        for p in partners:
            it = QListWidgetItem(p.name)
            it.setData(Qt.ItemDataRole.UserRole, p.id)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Unchecked)
            self.partners.addItem(it)
        self.partners.setMaximumHeight(150)
        lay.addWidget(self.partners)
        lay.addWidget(QLabel("On the agenda"))
        self.use_cohort = QRadioButton("Everyone in a cohort")
        self.use_list = QRadioButton("People and groups chosen below")
        group = QButtonGroup(self)
        group.addButton(self.use_cohort)
        group.addButton(self.use_list)
        row = QHBoxLayout()
        row.addWidget(self.use_cohort)
        self.cohort = QComboBox()
        self.cohort.setAccessibleName("Cohort")
        for c in cohorts:
            self.cohort.addItem(f"{c.name} ({c.members})", c.id)
        row.addWidget(self.cohort, 1)
        lay.addLayout(row)
        lay.addWidget(self.use_list)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by reference, name or group…")
        self.search.textChanged.connect(self._filter)
        lay.addWidget(self.search)
        self.subjects = QListWidget()
        self.subjects.setObjectName("subjects")
        for p in people:
            it = QListWidgetItem(f"{p.reference}  {p.display_name}")
            it.setData(Qt.ItemDataRole.UserRole, ("person", p.id))
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Unchecked)
            self.subjects.addItem(it)
        for g in groups:
            it = QListWidgetItem(f"Group: {g.name}")
            it.setData(Qt.ItemDataRole.UserRole, ("group", g.id))
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Unchecked)
            self.subjects.addItem(it)
        lay.addWidget(self.subjects, 1)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #a12a2a;")
        lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create meeting")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        (self.use_cohort if cohorts else self.use_list).setChecked(True)
        self.use_cohort.setEnabled(bool(cohorts))

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for r in range(self.subjects.count()):
            it = self.subjects.item(r)
            it.setHidden(bool(needle) and needle not in it.text().casefold())

    def check(self, kind: str, ident: int, checked: bool = True) -> None:
        lists = [self.partners] if kind == "partner" else [self.subjects]
        for lw in lists:
            for r in range(lw.count()):
                it = lw.item(r)
                data = it.data(Qt.ItemDataRole.UserRole)
                if data == ident or data == (kind, ident):
                    it.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def result_value(self) -> tuple[Meeting, list[AgendaEntry]]:
        attendees = [self.partners.item(r).data(Qt.ItemDataRole.UserRole)
                     for r in range(self.partners.count())
                     if self.partners.item(r).checkState() == Qt.CheckState.Checked]
        meeting = Meeting(title=self.title.text().strip(), held_on=_pydate(self.held_on.date()),
                          attendees=attendees)
        agenda: list[AgendaEntry] = []
        if self.use_cohort.isChecked():
            meeting.cohort_id = self.cohort.currentData()
        else:
            for r in range(self.subjects.count()):
                it = self.subjects.item(r)
                if it.checkState() == Qt.CheckState.Checked:
                    kind, ident = it.data(Qt.ItemDataRole.UserRole)
                    agenda.append(AgendaEntry(person_id=ident) if kind == "person"
                                  else AgendaEntry(group_id=ident))
        return meeting, agenda

    def _accept(self) -> None:
        meeting, agenda = self.result_value()
        if not meeting.title:
            self.error.setText("Give the meeting a title.")
        elif not meeting.attendees:
            self.error.setText("Tick the partners attending.")
        elif not agenda and meeting.cohort_id is None:
            self.error.setText("Choose a cohort, or tick the people and groups to discuss.")
        else:
            self.accept()


class AddActionDialog(QDialog):
    """A new action agreed at the meeting for the current agenda item."""

    def __init__(self, partners, subject: str, today: date, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"New action for {subject}")
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.partner = QComboBox()
        for p in partners:
            self.partner.addItem(p.name, p.id)
        form.addRow("Owning partner", self.partner)
        self.kind = QComboBox()
        for k in ActionKind:
            self.kind.addItem(label(k), k.value)
        form.addRow("Kind", self.kind)
        self.description = QLineEdit()
        self.description.setAccessibleName("Action")
        form.addRow("Action", self.description)
        self.assignee = QLineEdit()
        form.addRow("Assignee", self.assignee)
        self.has_due = QCheckBox("Due by")
        self.has_due.setChecked(True)
        self.due = QDateEdit(_qdate(today).addDays(14))
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("dd MMM yyyy")
        self.has_due.toggled.connect(self.due.setEnabled)
        form.addRow(self.has_due, self.due)
        lay.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add action")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.description.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            bool(self.description.text().strip()))

    def action(self) -> Action:
        return Action(partner_id=self.partner.currentData(), kind=ActionKind(self.kind.currentData()),
                      description=self.description.text().strip(),
                      assignee=self.assignee.text().strip(),
                      due_date=_pydate(self.due.date()) if self.has_due.isChecked() else None)


class ChooseMeetingDialog(QDialog):
    """Asked when something needs a meeting and none is selected: choose one from the
    list, or create a new one. ``chosen`` is the meeting's id, or None for a new one."""

    def __init__(self, meetings, purpose: str, open_text: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Choose a meeting")
        self.chosen: int | None = None
        lay = QVBoxLayout(self)
        if meetings:
            text = (f"No meeting is selected. Choose the meeting to {purpose}, "
                    "or create a new one.")
        else:
            text = (f"There are no meetings yet. Create one to {purpose}: choose the partners "
                    "attending and the people and groups on its agenda.")
        note = QLabel(text)
        note.setWordWrap(True)
        note.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        lay.addWidget(note)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Meetings")
        for m in meetings:
            it = QListWidgetItem(f"{m.title}  ·  {m.held_on:%d %b %Y}")
            it.setData(Qt.ItemDataRole.UserRole, m.id)
            self.list.addItem(it)
        self.list.setVisible(bool(meetings))
        self.list.itemDoubleClicked.connect(lambda _it: self._open())
        lay.addWidget(self.list, 1)
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton(open_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setVisible(bool(meetings))
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open)
        self.new_button = buttons.addButton("New meeting…", QDialogButtonBox.ButtonRole.ActionRole)
        self.new_button.clicked.connect(self._new)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).clicked.connect(self.reject)
        self.list.currentRowChanged.connect(lambda r: self.open_button.setEnabled(r >= 0))
        lay.addWidget(buttons)
        (self.list if meetings else self.new_button).setFocus()
        self.resize(480, 360 if meetings else 160)

    def _open(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen = item.data(Qt.ItemDataRole.UserRole)
            self.accept()

    def _new(self) -> None:
        self.chosen = None
        self.accept()
