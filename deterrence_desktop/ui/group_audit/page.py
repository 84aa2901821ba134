"""The group audit: one page per audit session (its date, the partners taking part), the
table of groups (members, active members, incidents in the last 3/6/12 months, rivals,
allies, reach), closing the session (its changes become one audit "combination"), and a
one-page PDF for the partnership, with references or names as the coordinator chooses."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout,
    QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
    QTableView, QVBoxLayout, QWidget,
)

from ...domain.errors import DeterrenceError, readable
from ...security.roles import Can
from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..callins.steps import pydate, qdate
from ..incidents.dialog import confirm, open_incident_dialog
from ..meetings.page import _documents
from ..models import Column, RowsModel, number_column, sort_text, text_column
from ..network.page import save_dialog
from ..network.reach import reach_text
from ..page import Page

NOT_REACHED = QColor("#a12a2a")
REACHED = QColor("#1b6b34")


def _names(items) -> str:
    return ", ".join(items) if items else ""


def audit_columns() -> list[Column]:
    return [
        text_column("Group", "name"),
        number_column("Members", "members"),
        number_column("Active", "active_members", tooltip="Members in an incident in the last "
                                                          "12 months"),
        number_column("Incidents 3m", "incidents_3m", tooltip="Incidents in the last 3 months"),
        number_column("6m", "incidents_6m", tooltip="Incidents in the last 6 months"),
        number_column("12m", "incidents_12m", tooltip="Incidents in the last 12 months"),
        Column("Rivals", lambda r: _names(r.rivals), lambda r: sort_text(_names(r.rivals)),
               foreground=lambda r: NOT_REACHED if r.rivals else None),
        Column("Allies", lambda r: _names(r.allies), lambda r: sort_text(_names(r.allies))),
        Column("Reach", lambda r: reach_text(r.reach), lambda r: r.reach.share,
               tooltip="Current members who heard the message directly (call-in, custom "
                       "notification, letter delivered, influencer); a no-show or an undelivered "
                       "letter does not count",
               foreground=lambda r: REACHED if r.reach.reached_flag
               and not r.reach.unreached_since_incident else NOT_REACHED),
    ]


class OpenSessionDialog(QDialog):
    """The date of the session and the partners in the room."""

    def __init__(self, today, partners, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open a group audit session")
        form = QFormLayout(self)
        self.when = QDateEdit(self)
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("dd MMM yyyy")
        self.when.setDate(qdate(today))
        lab = QLabel("&Date")
        lab.setBuddy(self.when)
        form.addRow(lab, self.when)
        self.partners = QListWidget(self)
        self.partners.setAccessibleName("Partners taking part")
        for p in partners:
            item = QListWidgetItem(p.name)
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.partners.addItem(item)
        lab = QLabel("&Taking part")
        lab.setBuddy(self.partners)
        form.addRow(lab, self.partners)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open session")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self):
        ids = [self.partners.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.partners.count())
               if self.partners.item(i).checkState() == Qt.CheckState.Checked]
        return pydate(self.when.date()), ids


class GroupAuditPage(Page):
    title = "Group audit"
    data_kinds = ("incident", "link", "group", "person", "communication", "call_in",
                  "custom_notification", "group_audit", "network")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.sessions = []
        self.partner_names: dict[int, str] = {}
        self.session_id: int | None = None
        self.looking_back = False         # an earlier session chosen: its figures as of its day
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 10, 10)
        top = QHBoxLayout()
        heading = QLabel("Group audit")
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        top.addWidget(heading)
        top.addSpacing(12)
        self.session_combo = QComboBox(self)
        self.session_combo.setAccessibleName("Audit session")
        self.session_combo.setMinimumContentsLength(26)
        self.session_combo.currentIndexChanged.connect(self._session_chosen)
        top.addWidget(self.session_combo)
        top.addStretch(1)
        self.open_button = QPushButton("Open a session…")
        self.open_button.clicked.connect(self.ask_open)
        self.incidents_button = QPushButton("Record incidents…")
        self.incidents_button.setToolTip("Enter the incidents the room calls out, one after "
                                         "another (Ctrl+Enter: save and next)")
        self.incidents_button.clicked.connect(lambda: open_incident_dialog(self.ctx, self))
        self.close_button = QPushButton("Close the session")
        self.close_button.setToolTip("Record what was changed during the session as one entry "
                                     "of the audit log")
        self.close_button.clicked.connect(self.ask_close)
        self.pdf_button = QPushButton("Save audit PDF…")
        self.pdf_button.clicked.connect(self.ask_pdf)
        for b in (self.open_button, self.incidents_button, self.close_button, self.pdf_button):
            top.addWidget(b)
        lay.addLayout(top)
        self.about = QLabel("")
        self.about.setObjectName("auditSession")
        self.about.setWordWrap(True)
        lay.addWidget(self.about)
        self.model = RowsModel(audit_columns(), parent=self)
        self.table = QTableView(self)
        self.table.setObjectName("groupAuditTable")
        self.table.setAccessibleName("Groups in the audit")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setWordWrap(False)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open_group)
        self.table.activated.connect(self._open_group)
        lay.addWidget(self.table, 1)
        self.note = QLabel("Reach counts current members who heard the message directly; a "
                           "group is reached at the partnership's threshold. ⚠ marks a group "
                           "not reached since its last incident. Double-click a group to open it.")
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        if not self.ctx.unlocked:
            return
        if not self.isVisible():
            self._stale = True
            return
        wanted, looking_back = self.session_id, self.looking_back

        def load(s):
            sessions = s.group_audit.sessions()
            current = s.group_audit.current()
            chosen = wanted if wanted is not None else (current.id if current else
                                                        (sessions[0].id if sessions else None))
            session = next((x for x in sessions if x.id == chosen), None)
            # today's figures, unless an earlier, closed session was chosen to look back at
            as_of = session.held_on if (looking_back and session is not None
                                        and session.closed_at is not None) else s.today()
            rows = s.group_audit.table(as_of)
            partners = {p.id: p.name for p in s.partners.all()}
            return sessions, session, rows, partners, s.reach.threshold(), as_of
        call_while_alive(self.ctx, self, load, self._loaded, self._failed, label="group audit")

    def _loaded(self, result) -> None:
        sessions, session, rows, partners, threshold, as_of = result
        self.sessions, self.partner_names = sessions, partners
        self.session_id = session.id if session else None
        self.session_combo.blockSignals(True)
        self.session_combo.clear()
        for s in sessions:
            state = "open" if s.closed_at is None else "closed"
            self.session_combo.addItem(f"Session of {s.held_on:%d %b %Y} ({state})", s.id)
        if not sessions:
            self.session_combo.addItem("No session yet", -1)
        self.session_combo.setCurrentIndex(max(0, self.session_combo.findData(self.session_id)))
        self.session_combo.blockSignals(False)
        self.model.set_rows(rows)
        self._describe(session, threshold, as_of)
        edit = self.ctx.permits(Can.EDIT_GROUPS)
        is_open = session is not None and session.closed_at is None
        self.open_button.setVisible(edit)
        self.incidents_button.setVisible(edit)
        self.close_button.setVisible(edit)
        self.close_button.setEnabled(is_open)
        self.pdf_button.setEnabled(session is not None)

    def _describe(self, session, threshold: float, as_of) -> None:
        rule = f"Figures as of {as_of:%d %b %Y}. A group counts as reached when {threshold:.0%} of " \
               "its current members have heard the message."
        if session is None:
            self.about.setText("No audit session yet. Open one to map the groups with the "
                               "partners in the room. " + rule)
            return
        names = [self.partner_names.get(pid, "?") for pid in session.participants]
        state = ("open: incidents, links and memberships recorded now belong to it"
                 if session.closed_at is None else
                 f"closed {session.closed_at:%d %b %Y %H:%M}")
        self.about.setText(f"<b>Session of {session.held_on:%d %b %Y}</b> — {state}.<br/>"
                           f"Taking part: {', '.join(names) if names else 'nobody recorded'}. "
                           + rule)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, DeterrenceError):      # e.g. a role that may not see the audit
            self.about.setText(readable(exc))
        else:
            show_failure(self, exc, "Could not load the group audit")

    def clear(self) -> None:
        self.model.clear()
        self.sessions = []
        self.session_id = None
        self.looking_back = False
        self.session_combo.clear()
        self.about.setText("")

    def _session_chosen(self, index: int) -> None:
        sid = self.session_combo.itemData(index)
        if sid is not None and sid != -1 and sid != self.session_id:
            self.session_id = sid
            self.looking_back = index > 0          # the newest session shows today's figures
            self.reload()

    def _open_group(self, index) -> None:
        row = self.model.row_object(index.row())
        if row is not None:
            self.ctx.open_requested.emit("group", row.group_id)

    # -- session ---------------------------------------------------------------------------
    def ask_open(self) -> None:
        def show(partners):
            dlg = OpenSessionDialog(self.ctx.services.today(), partners, self)
            dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dlg.accepted.connect(lambda: self._open_session(*dlg.values()))
            dlg.open()
        call_while_alive(self.ctx, self, lambda s: s.partners.all(), show, self._failed,
                         label="partners")

    def _open_session(self, held_on, participants) -> None:
        def done(session_id):
            self.session_id, self.looking_back = session_id, False
            self.ctx.status_message.emit(f"Opened the group audit session of {held_on:%d %b %Y}")
            self.ctx.data_changed.emit("group_audit")
        call_while_alive(self.ctx, self, lambda s: s.group_audit.open(held_on, participants), done,
                         lambda e: show_failure(self, e, "Could not open the session"),
                         label="open audit session")

    def ask_close(self) -> None:
        sid = self.session_id
        if sid is None:
            return
        confirm(self, "Close the session", "Close this audit session? What was recorded during "
                "it becomes one entry of the audit log.", lambda: self._close(sid))

    def _close(self, sid: int) -> None:
        def done(_):
            self.ctx.status_message.emit("Closed the group audit session")
            self.ctx.data_changed.emit("group_audit")
        call_while_alive(self.ctx, self, lambda s: s.group_audit.close(sid), done,
                         lambda e: show_failure(self, e, "Could not close the session"),
                         label="close audit session")

    # -- PDF -------------------------------------------------------------------------------
    def ask_pdf(self):
        session = next((s for s in self.sessions if s.id == self.session_id), None)
        if session is None:
            return None
        name = f"{session.held_on:%Y-%m-%d}-group-audit.pdf"
        return save_dialog(self, "Save the group audit", _documents() / name,
                           lambda path: self._ask_names(session.id, Path(path)))

    def _ask_names(self, session_id: int, path: Path) -> QMessageBox | None:
        """References or names, as the coordinator chooses (references for a role that may
        not export names). Not blocking: the PDF is written once answered."""
        if not self.ctx.permits(Can.EXPORT_NAMES):
            self.write_pdf(session_id, path, False)
            return None
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        box = QMessageBox(QMessageBox.Icon.Question, "Names in the audit",
                          "Include people's names beside their partnership references?\n\n"
                          "Choose No for references only (the safer default).", yes | no, self)
        box.setDefaultButton(no)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self.write_pdf(
            session_id, path, box.standardButton(box.clickedButton()) == yes))
        box.open()
        return box

    def write_pdf(self, session_id: int, path: Path, names: bool) -> None:
        def done(written):
            self.ctx.status_message.emit(f"Saved the group audit: {Path(written).name}")
        call_while_alive(self.ctx, self, lambda s: s.group_audit.write_pdf(session_id, path, names),
                         done, lambda e: show_failure(self, e, "Could not save the audit PDF"),
                         label="group audit PDF")
