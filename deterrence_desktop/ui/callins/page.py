"""The call-ins page: every call-in with its figures, and the selected one in detail."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QMessageBox, QPushButton, QScrollArea,
    QSplitter, QTableView, QVBoxLayout, QWidget,
)

from ...domain.enums import label
from ...services.callins import CallInPage, CallInSummary, InvitationView, attendance_not_yet
from ..board.page import call_while_alive
from ..context import AppContext
from ..models import Column, IdRole, RowsModel, date_column, text_column
from ..page import Page
from ..record_pages import Card, KeyValues, MiniTable
from ..style import set_role
from .attendance import AttendanceDialog
from .wizard import CallInWizard


def fmt_rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


CALL_IN_COLUMNS = [
    text_column("Title", "title"),
    date_column("When", "starts_at"),
    Column("Status", lambda r: label(r.status), lambda r: r.status),
    Column("Attendance", lambda r: fmt_rate(r.attendance_rate),
           lambda r: -1 if r.attendance_rate is None else r.attendance_rate, align_right=True,
           tooltip="Attended or late, of those expected (excused and in custody left out)"),
]

INVITATION_COLUMNS = [
    text_column("Reference", "reference"),
    text_column("Name", "name"),
    Column("Legal status", lambda r: label(r.legal_status), lambda r: r.legal_status),
    Column("Required", lambda r: "Required" if r.required else "Invited", lambda r: r.required),
    Column("Attendance", lambda r: label(r.attendance), lambda r: r.attendance),
    Column("Asked for help", lambda r: "Yes" if r.asked_for_help else "", lambda r: r.asked_for_help),
    text_column("Invitation delivered by", "delivered_by"),
]


class _Row:
    """An invitation with the person id as the row id (a double-click opens the person)."""

    def __init__(self, inv: InvitationView):
        self.__dict__.update(inv.__dict__)
        self.id = inv.person_id


class CallInsPage(Page):
    title = "Call-ins"
    data_kinds = ("call_in", "action", "communication")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("callins_page")
        self.selected_id: int | None = None
        self.detail: CallInPage | None = None
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel("Call-ins")
        set_role(heading, "heading")
        top.addWidget(heading)
        top.addStretch(1)
        self.plan_btn = QPushButton("&Plan a call-in…")
        self.plan_btn.setObjectName("plan_callin")
        self.resume_btn = QPushButton("&Resume draft…")
        self.attendance_btn = QPushButton("Record &attendance…")
        self.attendance_btn.setObjectName("record_attendance")
        self.discard_btn = QPushButton("&Discard draft")
        self.cancel_btn = QPushButton("&Cancel call-in…")
        self.cancel_btn.setObjectName("cancel_callin")
        for b in (self.plan_btn, self.resume_btn, self.attendance_btn, self.discard_btn, self.cancel_btn):
            top.addWidget(b)
        outer.addLayout(top)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = RowsModel(CALL_IN_COLUMNS, parent=self)
        self.table = QTableView()
        self.table.setObjectName("callins")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)      # newest first
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda _: self.record_attendance())
        split.addWidget(self.table)

        right = QWidget()
        col = QVBoxLayout(right)
        col.setContentsMargins(8, 0, 0, 0)
        self.empty = QLabel("Choose a call-in to see its invitations, attendance and follow-ups.")
        self.empty.setWordWrap(True)
        set_role(self.empty, "empty")
        col.addWidget(self.empty)
        self.event_card = Card("Call-in")
        self.event_info = KeyValues(["Title", "When", "Venue", "Venue notes", "Status", "Purpose"])
        self.event_card.add(self.event_info)
        self.figures_card = Card("Figures")
        self.figures = KeyValues(["Invited", "Attended", "Attendance rate", "Asked for help",
                                  "Referrals", "Follow-ups", "Actions"])
        self.figures_card.add(self.figures)
        self.invitations_card = Card("Invitations")
        self.invitations = MiniTable(INVITATION_COLUMNS, "No invitations.", max_rows=12)
        self.invitations.setObjectName("callin_invitations")
        self.invitations.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.invitations.activated_id.connect(lambda pid: self.ctx.open_requested.emit("person", pid)
                                              if hasattr(self.ctx, "open_requested") else None)
        self.invitations_card.add(self.invitations)
        self.invitations_card.add(self.invitations.empty_label)
        cards = QHBoxLayout()
        cards.addWidget(self.event_card, 3)
        cards.addWidget(self.figures_card, 2)
        col.addLayout(cards)
        col.addWidget(self.invitations_card)
        col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(right)
        split.addWidget(scroll)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([520, 760])
        outer.addWidget(split, 1)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.hide()
        outer.addWidget(self.error)

        self.plan_btn.clicked.connect(self.plan)
        self.resume_btn.clicked.connect(self.resume)
        self.attendance_btn.clicked.connect(self.record_attendance)
        self.discard_btn.clicked.connect(self.discard)
        self.cancel_btn.clicked.connect(lambda: self.cancel_call_in())   # not clicked(False) as confirm
        self._show_detail(None)

    # -- Page contract ---------------------------------------------------------------
    def reload(self) -> None:
        call_while_alive(self.ctx, self, lambda s: s.callins.list(), self._listed, self._failed, label="call-ins")

    def clear(self) -> None:
        self.model.clear()
        self.selected_id = None
        self._show_detail(None)

    def view_state(self) -> object:
        return self.selected_id

    def restore_view_state(self, state: object) -> None:
        if isinstance(state, int):
            self.selected_id = state
            if self.model.row_of_id(state) >= 0:
                self.select(state)

    def open_record(self, record_id: int) -> bool:
        self.selected_id = record_id
        if self.model.row_of_id(record_id) >= 0:
            self.select(record_id)
        else:
            self.reload()
        return True

    def new_record(self) -> None:
        if self.plan_btn.isEnabled():
            self.plan()

    # -- loading -----------------------------------------------------------------------
    def _listed(self, rows: list[CallInSummary]) -> None:
        keep = self.selected_id
        self.model.set_rows(rows)
        if keep is not None:
            self.select(keep)
        elif rows:
            self.table.selectRow(0)
        self._update_buttons()

    def select(self, call_in_id: int) -> None:
        row = self.model.row_of_id(call_in_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.model.index(row, 0))
            self._row_changed(self.model.index(row, 0))

    def _row_changed(self, index, _previous=None) -> None:
        call_in_id = self.model.data(self.model.index(index.row(), 0), IdRole) if index.isValid() else None
        self.selected_id = call_in_id
        self._update_buttons()
        if call_in_id is None:
            self._show_detail(None)
            return
        summary = self.model.row_object(index.row())
        if summary is not None and summary.status == "draft":
            self.detail = None
            self._show_draft(summary)
            return
        call_while_alive(self.ctx, self, lambda s: s.callins.page(call_in_id), self._detail_loaded, self._failed)

    def _detail_loaded(self, page: CallInPage) -> None:
        if page.call_in.id != self.selected_id:
            return
        self.detail = page
        self._show_detail(page)

    def _show_draft(self, summary: CallInSummary) -> None:
        self.empty.hide()
        self.event_card.show()
        self.figures_card.hide()
        self.invitations_card.hide()
        self.event_info.clear()
        self.event_info.set("Title", summary.title)
        self.event_info.set("When", f"{summary.starts_at:%A %d %B %Y, %H:%M}")
        self.event_info.set("Venue", summary.venue)
        self.event_info.set("Status", "Draft: resume it to finish planning")

    def _show_detail(self, page: CallInPage | None) -> None:
        for w in (self.event_card, self.figures_card, self.invitations_card):
            w.setVisible(page is not None)
        self.empty.setVisible(page is None)
        if page is None:
            self.event_info.clear()
            self.figures.clear()
            self.invitations.clear_rows()
            return
        c, st = page.call_in, page.stats
        self.event_info.set("Title", c.title)
        self.event_info.set("When", f"{c.starts_at:%A %d %B %Y, %H:%M}")
        self.event_info.set("Venue", c.venue)
        self.event_info.set("Venue notes", c.venue_notes)
        self.event_info.set("Status", label(c.status))
        self.event_info.set("Purpose", (c.details or {}).get("purpose", ""))
        self.figures.set("Invited", str(st.invited))
        self.figures.set("Attended", f"{st.attended} (including late arrivals)")
        self.figures.set("Attendance rate", fmt_rate(st.attendance_rate))
        self.figures.set("Asked for help", str(st.help_requests))
        self.figures.set("Referrals", str(st.referrals))
        self.figures.set("Follow-ups", str(page.follow_ups))
        self.figures.set("Actions", f"{page.actions} ({page.open_actions} open)")
        self.invitations.set_rows([_Row(i) for i in page.invitations])

    def _update_buttons(self) -> None:
        summary = None
        if self.selected_id is not None:
            row = self.model.row_of_id(self.selected_id)
            summary = self.model.row_object(row)
        status = summary.status if summary else None
        role = self.ctx.services.actor.role.value if self.ctx.services is not None else None
        plans = role == "coordinator"                       # the services refuse others anyway
        records = role in ("coordinator", "partner_officer")
        self.plan_btn.setEnabled(plans)
        self.resume_btn.setEnabled(plans and status == "draft")
        self.discard_btn.setEnabled(plans and status == "draft")
        self.attendance_btn.setEnabled(records and status in ("planned", "held"))
        not_yet = None
        if summary is not None and status == "planned" and self.ctx.services is not None:
            not_yet = attendance_not_yet(summary.starts_at, self.ctx.services.today())
        self.attendance_btn.setToolTip(not_yet or "")
        self.cancel_btn.setEnabled(plans and status == "planned")

    # -- actions -----------------------------------------------------------------------
    def plan(self) -> None:
        self.open_wizard(CallInWizard(self.ctx, parent=self))

    def open_wizard(self, wizard: CallInWizard) -> CallInWizard:
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.call_in_created.connect(self._created)
        self.wizard = wizard
        wizard.open()
        return wizard

    def _created(self, call_in_id: int) -> None:
        self.selected_id = call_in_id
        self.reload()

    def resume(self) -> None:
        cid = self.selected_id
        if cid is None:
            return
        call_while_alive(self.ctx, self, lambda s: s.callins.resume_draft(cid),
                      lambda state: self.open_wizard(CallInWizard(self.ctx, state, parent=self)),
                      self._failed)

    def discard(self) -> None:
        cid = self.selected_id
        if cid is None:
            return
        answer = QMessageBox.question(self, "Discard draft", "Discard this call-in draft? "
                                      "Nothing else is affected.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.selected_id = None
        call_while_alive(self.ctx, self, lambda s: s.callins.discard_draft(cid), lambda _: self.reload(), self._failed)

    def cancel_call_in(self, confirm: bool = True) -> None:
        cid = self.selected_id
        if cid is None:
            return
        if confirm and QMessageBox.question(
                self, "Cancel call-in", "Cancel this call-in? Its open logistics actions are "
                "cancelled too; invitations already delivered stay on record.") != QMessageBox.StandardButton.Yes:
            return
        call_while_alive(self.ctx, self, lambda s: s.callins.cancel(cid),
                      lambda _: (self.ctx.data_changed.emit("action"), self.reload()), self._failed)

    def record_attendance(self) -> AttendanceDialog | None:
        if self.selected_id is None or not self.attendance_btn.isEnabled():
            return None
        dialog = AttendanceDialog(self.ctx, self.selected_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.attendance_dialog = dialog
        dialog.open()
        return dialog

    def _failed(self, exc: BaseException) -> None:
        from ..errors import show_failure
        show_failure(self, exc)
