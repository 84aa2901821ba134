"""Recording incidents of serious violence, keyboard first, many in one sitting.

During a group-audit session the room calls out incident after incident. The dialog
keeps the date and place of the last one, the person picker searches as you type (Enter
adds the highlighted person with the role chosen beside it), Ctrl+Enter is "Save and
next", and each saved incident goes on the undo stack ("Undo record incident").
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from ...domain.enums import label
from ...domain.errors import DeterrenceError, EditConflict, readable
from ...domain.network import Incident, IncidentKind, IncidentRole
from ..board.page import call_while_alive
from ..callins.steps import pydate, qdate
from ..conflicts import resolve, with_version
from ..errors import show_failure
from ..forms import ServiceCommand
from .picker import PersonPicker

KINDS = ("incident", "network")      # data_changed kinds a saved incident reloads


def confirm(parent: QWidget, title: str, text: str, then) -> QMessageBox:
    """Ask Yes/No without blocking; ``then()`` on Yes."""
    yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
    box = QMessageBox(QMessageBox.Icon.Question, title, text, yes | no, parent)
    box.setDefaultButton(no)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda _r: then() if box.standardButton(box.clickedButton()) == yes else None)
    box.open()
    return box


class RecordIncidentCommand(ServiceCommand):
    """An incident that was recorded: undo removes it, redo records it again."""

    def __init__(self, ctx, incident_id: int, text: str):
        super().__init__(ctx, KINDS, text, self._again, self._take)
        self.incident_id = incident_id
        self.detail = None

    def _take(self, services) -> None:
        self.detail = services.incidents.remove(self.incident_id)

    def _again(self, services) -> None:
        self.incident_id = services.incidents.restore(self.detail)


class EditIncidentCommand(ServiceCommand):
    """An edit of an incident: undo saves it as it was, redo as edited, each over the
    version the last save left (someone else's later change is a conflict, not lost)."""

    def __init__(self, ctx, incident_id: int, text: str, before: tuple, after: tuple):
        super().__init__(ctx, KINDS, text, lambda s: self._save(s, after),
                         lambda s: self._save(s, before))
        self.incident_id = incident_id
        self.version = after[0].version

    def _save(self, services, state: tuple) -> None:
        incident, people, groups = state
        saved = services.incidents.update(self.incident_id, with_version(incident, self.version),
                                          people, groups)
        self.version = saved.version


class IncidentDialog(QDialog):
    """A new incident ("Save and next" for the one after), or an existing one (``detail``)."""

    def __init__(self, ctx, groups, parent: QWidget | None = None, detail=None):
        super().__init__(parent)
        self.ctx = ctx
        self.detail = detail
        self.saved_count = 0
        self._saving = False
        self.setWindowTitle("Edit incident" if detail else "Record incidents")
        self.setObjectName("incidentDialog")
        self.resize(620, 640)
        col = QVBoxLayout(self)
        intro = QLabel("Keyboard first: Tab between fields; type in “Find a person” and press "
                       "Enter to add the highlighted person with the role beside it; "
                       "Ctrl+Enter saves and starts the next incident.")
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        col.addWidget(intro)
        form = QFormLayout()
        self.when = QDateEdit(self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd MMM yyyy")
        self.when.setDate(qdate(ctx.services.today()))
        self.place = QLineEdit(self)
        self.place.setPlaceholderText("area, street or venue")
        self.kind = QComboBox(self)
        for k in IncidentKind:
            self.kind.addItem(label(k), k.value)
        self.description = QLineEdit(self)
        self.description.setPlaceholderText("a short description")
        for text, widget in (("&Date", self.when), ("&Place", self.place), ("&Kind", self.kind),
                             ("D&escription", self.description)):
            lab = QLabel(text)
            lab.setBuddy(widget)
            form.addRow(lab, widget)
        col.addLayout(form)

        people_head = QHBoxLayout()
        people_label = QLabel("People involved")
        people_label.setStyleSheet("font-weight: 600;")
        people_head.addWidget(people_label, 1)
        self.role = QComboBox(self)
        for r in IncidentRole:
            self.role.addItem(label(r), r.value)
        role_label = QLabel("&Role")
        role_label.setBuddy(self.role)
        people_head.addWidget(role_label)
        people_head.addWidget(self.role)
        col.addLayout(people_head)
        self.picker = PersonPicker(ctx, self)
        self.picker.picked.connect(self.add_person)
        col.addWidget(self.picker)
        self.people = QListWidget(self)
        self.people.setObjectName("incidentPeople")
        self.people.setAccessibleName("People in this incident")
        self.people.setMaximumHeight(120)
        col.addWidget(self.people)
        row = QHBoxLayout()
        self.remove_person = QPushButton("Remove person")
        self.remove_person.setAutoDefault(False)
        self.remove_person.clicked.connect(self._remove_person)
        row.addWidget(self.remove_person)
        row.addStretch(1)
        col.addLayout(row)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.people, activated=self._remove_person,
                  context=Qt.ShortcutContext.WidgetShortcut)

        groups_label = QLabel("&Groups involved directly (groups of the people involved count "
                              "through them)")
        groups_label.setWordWrap(True)
        col.addWidget(groups_label)
        self.groups = QListWidget(self)
        self.groups.setObjectName("incidentGroups")
        self.groups.setAccessibleName("Groups involved directly")
        self.groups.setMaximumHeight(8 + 22 * min(6, max(3, len(groups))))
        groups_label.setBuddy(self.groups)
        for g in groups:
            item = QListWidgetItem(g.name)
            item.setData(Qt.ItemDataRole.UserRole, g.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.groups.addItem(item)
        col.addWidget(self.groups)

        self.message = QLabel()
        self.message.setObjectName("incidentMessage")
        self.message.setWordWrap(True)
        col.addWidget(self.message)
        buttons = QHBoxLayout()
        self.session = QLabel("")
        self.session.setProperty("role", "muted")
        buttons.addWidget(self.session, 1)
        self.next_button = QPushButton("Save and &next")
        self.next_button.setToolTip("Save this incident and start the next one (Ctrl+Enter)")
        self.save_button = QPushButton("&Save and close")
        self.close_button = QPushButton("Close")
        for b in (self.next_button, self.save_button, self.close_button):
            b.setAutoDefault(False)     # Enter belongs to the picker, never a stray save
            buttons.addWidget(b)
        self.next_button.setVisible(detail is None)
        self.next_button.clicked.connect(lambda: self.save(and_next=True))
        self.save_button.clicked.connect(lambda: self.save(and_next=False))
        self.close_button.clicked.connect(self.reject)
        col.addLayout(buttons)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, activated=lambda: self.save(and_next=detail is None))
        self._chosen: list[tuple[int, str, str]] = []      # (person id, shown text, role)
        if detail is not None:
            self._show_detail(detail)
        self.place.setFocus() if detail is None else self.description.setFocus()

    # -- people --------------------------------------------------------------------------------
    def add_person(self, choice, role: str | None = None) -> None:
        role = role or self.role.currentData()
        text = choice.reference if not getattr(choice, "display_name", "") else \
            f"{choice.reference}  {choice.display_name}"
        self._chosen = [c for c in self._chosen if c[0] != choice.id]
        self._chosen.append((choice.id, text, role))
        self._render_people()

    def _render_people(self) -> None:
        self.people.clear()
        for pid, text, role in self._chosen:
            item = QListWidgetItem(f"{text} — {label(role).lower()}")
            item.setData(Qt.ItemDataRole.UserRole, pid)
            self.people.addItem(item)
        self.picker.exclude = {c[0] for c in self._chosen}
        self.remove_person.setEnabled(bool(self._chosen))

    def _remove_person(self) -> None:
        row = self.people.currentRow()
        if 0 <= row < len(self._chosen):
            del self._chosen[row]
            self._render_people()

    def _show_incident(self, inc) -> None:
        self.when.setDate(qdate(inc.occurred_on))
        self.place.setText(inc.place)
        self.kind.setCurrentIndex(max(0, self.kind.findData(str(inc.kind))))
        self.description.setText(inc.description)

    def _show_detail(self, d) -> None:
        self._show_incident(d.incident)
        for p in d.people:
            name = p.display_name
            text = p.reference if not name or name == p.reference else f"{p.reference}  {name}"
            self._chosen.append((p.person_id, text, str(p.role)))
        self._render_people()
        direct = {g.group_id for g in d.groups}
        for i in range(self.groups.count()):
            item = self.groups.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in direct:
                item.setCheckState(Qt.CheckState.Checked)

    # -- the record ---------------------------------------------------------------------------
    def values(self) -> tuple:
        incident = Incident(occurred_on=pydate(self.when.date()), place=self.place.text().strip(),
                            kind=IncidentKind(self.kind.currentData()),
                            description=self.description.text().strip())
        people = [(pid, IncidentRole(role)) for pid, _t, role in self._chosen]
        groups = [self.groups.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.groups.count())
                  if self.groups.item(i).checkState() == Qt.CheckState.Checked]
        return incident, people, groups

    def is_dirty(self) -> bool:
        return self.detail is None and bool(self.place.text().strip() or self._chosen
                                            or self.description.text().strip())

    def save(self, and_next: bool) -> None:
        if self._saving:
            return
        incident, people, groups = self.values()
        before = self._before() if self.detail is not None else None
        if self.detail is not None:
            incident.id = self.detail.incident.id
            incident.version = self.detail.incident.version     # saved over what was read

            def work(s):
                return s.incidents.update(incident.id, incident, people, groups)

            def done(saved):
                self._saved(saved.id, incident, and_next, (saved, people, groups), before)
        else:
            def work(s):
                return s.incidents.record(incident, people, groups)

            def done(new_id):
                self._saved(new_id, incident, and_next, (incident, people, groups), None)
        self._saving = True
        self.message.setText("")
        call_while_alive(self.ctx, self, work, done, self._failed, label="save incident")

    def _before(self) -> tuple:
        d = self.detail
        return d.incident, d.roles, [g.group_id for g in d.groups]

    def _saved(self, incident_id: int, incident, and_next: bool, after: tuple, before) -> None:
        self._saving = False
        when = incident.occurred_on.strftime("%d %b %Y")
        text = f"{label(incident.kind)} on {when}"
        if before is None:
            self.ctx.undo_stack.push(RecordIncidentCommand(self.ctx, incident_id,
                                                           f"Record incident: {text}"))
        else:
            self.ctx.undo_stack.push(EditIncidentCommand(self.ctx, incident_id,
                                                         f"Edit incident: {text}", before, after))
        for kind in KINDS:
            self.ctx.data_changed.emit(kind)
        self.saved_count += 1
        self.ctx.status_message.emit(f"Saved incident: {text}")
        if and_next:
            self.session.setText(f"{self.saved_count} incident{'s' if self.saved_count != 1 else ''}"
                                 f" recorded in this sitting (Ctrl+Z undoes the last).")
            self._clear_for_next()
        else:
            self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, EditConflict) and not exc.removed and exc.mine is not None \
                and self.detail is not None:
            self._conflict(exc)
        elif isinstance(exc, DeterrenceError):
            self.message.setText(f"<span style='color:#a12a2a'>{readable(exc)}</span>")
        else:
            show_failure(self, exc, "Could not save the incident")

    def _conflict(self, conflict) -> None:
        """Someone else saved this incident meanwhile: show both and let the user choose."""
        def keep(kept) -> None:
            self.detail = self.detail._replace(incident=conflict.theirs)   # undo goes back to it
            self._show_incident(kept)
            self.save(and_next=False)

        def take(_theirs) -> None:
            def show(detail) -> None:
                self.detail = detail
                self._chosen = []
                for i in range(self.groups.count()):
                    self.groups.item(i).setCheckState(Qt.CheckState.Unchecked)
                self._show_detail(detail)
                self.message.setText("The form now shows the incident as someone else saved it.")
            call_while_alive(self.ctx, self, lambda s: s.incidents.get(conflict.theirs.id),
                             show, self._failed, label="load incident")
        resolve(self, conflict, keep=keep, take=take, original=self.detail.incident,
                labels={"occurred_on": "When", "kind": "Kind"},
                cancel=lambda: self.message.setText(
                    "Nothing was saved: someone else changed this incident meanwhile."))

    def _clear_for_next(self) -> None:
        """The next incident keeps the date and place (often the same night and area)."""
        self.description.clear()
        self._chosen = []
        self._render_people()
        self.picker.reset()
        for i in range(self.groups.count()):
            self.groups.item(i).setCheckState(Qt.CheckState.Unchecked)
        self.message.setText("")
        self.kind.setFocus()


def open_incident_dialog(ctx, parent: QWidget, incident_id: int | None = None) -> None:
    """Fetch the groups (and the incident, when editing) on the worker, then open the dialog."""
    def load(s):
        groups = s.groups.list()
        return groups, (s.incidents.get(incident_id) if incident_id is not None else None)

    def show(result):
        if not ctx.unlocked:
            return
        groups, detail = result
        dlg = IncidentDialog(ctx, groups, parent, detail)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.open()
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open incident form")
