"""Recording attendance after a call-in, then choosing the follow-ups the app proposes.

The first view lists the invitations with an attendance choice and an "asked for
help" box; saving records them through ``callins.record_attendance``, which answers
with proposals: a custom notification (or a home visit) for each no-show and a
referral to the right partner for each attendee who asked for help. The second
view lists those proposals, each ticked; "Create follow-ups" makes them actions.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView,
    QLabel, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from ...domain.errors import readable
from ...domain.enums import AttendanceStatus, label
from ...services.callins import CallInPage, FollowUpProposal, attendance_not_yet
from ..board.page import call_while_alive
from ..context import AppContext
from ..style import set_role

FOLLOW_UP_LABELS = {"custom_notification": "Custom notification", "home_visit": "Home visit",
                    "referral": "Referral"}
CHOICES = [s for s in AttendanceStatus]


def _centered(widget: QWidget) -> QWidget:
    holder = QWidget()
    lay = QHBoxLayout(holder)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(widget, alignment=Qt.AlignmentFlag.AlignCenter)
    return holder


class AttendanceDialog(QDialog):
    """Attendance for one call-in, then its follow-ups."""

    saved = Signal(list)            # the proposals
    follow_ups_created = Signal(list)

    def __init__(self, ctx: AppContext, call_in_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.call_in_id = call_in_id
        self.setWindowTitle("Record attendance")
        self.setObjectName("attendance_dialog")
        self.resize(860, 560)
        self.page: CallInPage | None = None
        self.proposals: list[FollowUpProposal] = []
        self.created: list[int] = []
        ctx.workspace_locked.connect(self.reject)

        outer = QVBoxLayout(self)
        self.heading = QLabel("Loading…")
        set_role(self.heading, "subheading")
        outer.addWidget(self.heading)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        outer.addWidget(self.error)

        # View 1: attendance
        first = QWidget()
        lay = QVBoxLayout(first)
        lay.setContentsMargins(0, 0, 0, 0)
        hint = QLabel("For each invitee: did they attend, come late, not show, send apologies, or were "
                      "they in custody? Tick those who asked for help on the night.")
        hint.setWordWrap(True)
        set_role(hint, "muted")
        lay.addWidget(hint)
        self.not_yet = QLabel()                 # a future call-in: why nothing can be recorded yet
        self.not_yet.setObjectName("attendance_not_yet")
        self.not_yet.setWordWrap(True)
        set_role(self.not_yet, "warning")
        self.not_yet.hide()
        lay.addWidget(self.not_yet)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("attendance")
        self.table.setHorizontalHeaderLabels(["Reference", "Name", "Attendance", "Required", "Asked for help"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox()
        self.save_btn = self.buttons.addButton("&Save attendance", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_btn.setObjectName("save_attendance")
        self.rest_btn = self.buttons.addButton("Mark the &rest attended", QDialogButtonBox.ButtonRole.ActionRole)
        self.rest_btn.clicked.connect(self.mark_rest_attended)
        self.save_btn.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.stack.addWidget(first)

        # View 2: proposed follow-ups
        second = QWidget()
        lay2 = QVBoxLayout(second)
        lay2.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        set_role(self.summary, "hint")
        lay2.addWidget(self.summary)
        self.proposal_table = QTableWidget(0, 5)
        self.proposal_table.setObjectName("proposals")
        self.proposal_table.setHorizontalHeaderLabels(["Create", "Person", "Follow-up", "Partner", "Due"])
        self.proposal_table.verticalHeader().hide()
        self.proposal_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.proposal_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.proposal_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.proposal_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        lay2.addWidget(self.proposal_table, 1)
        buttons2 = QDialogButtonBox()
        self.create_btn = buttons2.addButton("&Create ticked follow-ups", QDialogButtonBox.ButtonRole.AcceptRole)
        self.create_btn.setObjectName("create_follow_ups")
        buttons2.addButton("&Later", QDialogButtonBox.ButtonRole.RejectRole)
        buttons2.accepted.connect(self.create_follow_ups)
        buttons2.rejected.connect(self.accept)
        lay2.addWidget(buttons2)
        self.stack.addWidget(second)

        call_while_alive(ctx, self, lambda s: s.callins.page(call_in_id), self._loaded, self._failed)

    # -- view 1 --------------------------------------------------------------------------
    def _loaded(self, page: CallInPage) -> None:
        self.page = page
        c = page.call_in
        self.heading.setText(f"{c.title} — {c.starts_at:%A %d %B %Y, %H:%M}")
        self.table.setRowCount(len(page.invitations))
        for r, inv in enumerate(page.invitations):
            ref = QTableWidgetItem(inv.reference)
            ref.setData(Qt.ItemDataRole.UserRole, inv.person_id)
            self.table.setItem(r, 0, ref)
            self.table.setItem(r, 1, QTableWidgetItem(inv.name))
            box = QComboBox()
            for s in CHOICES:
                box.addItem("Not recorded" if s is AttendanceStatus.INVITED else label(s), s.value)
            box.setCurrentIndex(box.findData(inv.attendance))
            box.setAccessibleName(f"Attendance: {inv.reference}")
            self.table.setCellWidget(r, 2, box)
            self.table.setItem(r, 3, QTableWidgetItem("Required" if inv.required else "Invited"))
            help_box = QCheckBox()
            help_box.setChecked(inv.asked_for_help)
            help_box.setAccessibleName(f"Asked for help: {inv.reference}")
            self.table.setCellWidget(r, 4, _centered(help_box))
        today = self.ctx.services.today() if self.ctx.services is not None else c.starts_at.date()
        not_yet = attendance_not_yet(c.starts_at, today)
        self.not_yet.setText(not_yet or "")
        self.not_yet.setVisible(bool(not_yet))
        self.table.setEnabled(not not_yet)
        self.rest_btn.setEnabled(not not_yet)
        self.save_btn.setEnabled(bool(page.invitations) and not not_yet)
        self.save_btn.setToolTip(not_yet or "")

    def mark_rest_attended(self) -> None:
        for r in range(self.table.rowCount()):
            box: QComboBox = self.table.cellWidget(r, 2)
            if box.currentData() == AttendanceStatus.INVITED.value:
                box.setCurrentIndex(box.findData(AttendanceStatus.ATTENDED.value))

    def _row_of(self, person_id: int) -> int:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == person_id:
                return r
        raise KeyError(person_id)

    def set_attendance(self, person_id: int, status: AttendanceStatus | str, asked_for_help: bool = False) -> None:
        r = self._row_of(person_id)
        box: QComboBox = self.table.cellWidget(r, 2)
        box.setCurrentIndex(box.findData(AttendanceStatus(status).value))
        self._help_box(r).setChecked(asked_for_help)

    def _help_box(self, row: int) -> QCheckBox:
        return self.table.cellWidget(row, 4).findChild(QCheckBox)

    def values(self) -> dict[int, tuple[str, bool]]:
        out = {}
        for r in range(self.table.rowCount()):
            pid = self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            out[pid] = (self.table.cellWidget(r, 2).currentData(), self._help_box(r).isChecked())
        return out

    def save(self) -> None:
        values = self.values()
        self.save_btn.setEnabled(False)
        cid = self.call_in_id
        call_while_alive(self.ctx, self, lambda s: s.callins.record_attendance(cid, values), self._saved, self._failed)

    def _saved(self, proposals: list[FollowUpProposal]) -> None:
        self.proposals = list(proposals)
        self.ctx.data_changed.emit("call_in")
        self.ctx.data_changed.emit("communication")
        values = self.values()
        no_show = sum(1 for a, _ in values.values() if a == AttendanceStatus.NO_SHOW.value)
        helped = sum(1 for _, h in values.values() if h)
        self.summary.setText(
            f"Attendance saved. {no_show} no-show(s) and {helped} request(s) for help. "
            f"The app proposes {len(proposals)} follow-up(s): untick any you do not want, "
            "or choose a home visit instead of a custom notification.")
        self.proposal_table.setRowCount(len(proposals))
        for r, p in enumerate(proposals):
            tick = QCheckBox()
            tick.setChecked(True)
            tick.setAccessibleName(f"Create follow-up for {p.reference}")
            self.proposal_table.setCellWidget(r, 0, _centered(tick))
            self.proposal_table.setItem(r, 1, QTableWidgetItem(p.reference))
            kind = QComboBox()
            for k in (p.kind,) + p.alternatives:
                kind.addItem(FOLLOW_UP_LABELS.get(k, k), k)
            kind.setEnabled(len(p.alternatives) > 0)
            kind.setToolTip(p.description)
            self.proposal_table.setCellWidget(r, 2, kind)
            self.proposal_table.setItem(r, 3, QTableWidgetItem(p.partner_name))
            self.proposal_table.setItem(r, 4, QTableWidgetItem(f"{p.due_date:%d %b %Y}"))
        self.create_btn.setEnabled(bool(proposals))
        self.stack.setCurrentIndex(1)
        self.saved.emit(self.proposals)

    # -- view 2 --------------------------------------------------------------------------
    def chosen(self) -> list[FollowUpProposal]:
        out = []
        for r, p in enumerate(self.proposals):
            if self.proposal_table.cellWidget(r, 0).findChild(QCheckBox).isChecked():
                kind = self.proposal_table.cellWidget(r, 2).currentData()
                out.append(replace(p, kind=kind))
        return out

    def choose(self, person_id: int, kind: str | None = None, create: bool = True) -> None:
        for r, p in enumerate(self.proposals):
            if p.person_id == person_id:
                self.proposal_table.cellWidget(r, 0).findChild(QCheckBox).setChecked(create)
                if kind is not None:
                    box = self.proposal_table.cellWidget(r, 2)
                    box.setCurrentIndex(box.findData(kind))

    def create_follow_ups(self) -> None:
        chosen = self.chosen()
        if not chosen:
            self.accept()
            return
        self.create_btn.setEnabled(False)
        cid = self.call_in_id
        call_while_alive(self.ctx, self, lambda s: s.callins.accept_follow_ups(cid, chosen), self._created, self._failed)

    def _created(self, ids: list[int]) -> None:
        self.created = list(ids)
        n = len(self.created)
        self.ctx.status_message.emit(f"Created {n} follow-up action{'' if n == 1 else 's'}")
        self.ctx.data_changed.emit("action")
        self.ctx.data_changed.emit("call_in")
        self.follow_ups_created.emit(self.created)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        from ...domain.errors import DeterrenceError
        self.save_btn.setEnabled(self.page is not None and not self.not_yet.text())
        self.create_btn.setEnabled(True)
        self.error.setText(readable(exc) if isinstance(exc, DeterrenceError)
                           else f"Something went wrong; nothing was saved ({type(exc).__name__}).")
        self.error.show()
        if not isinstance(exc, DeterrenceError):
            self.ctx.runner.unhandled_error.emit(exc)
