"""The wizard's invitee step: the people the targets give, who is invited, who is required.

"Invite all" invites everyone except people in custody on the date, and says how many
it left out and why; whether it marks people Required (where a licence or probation
allows) follows the "Require attendance where allowed" box, as a single tick does.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSizePolicy,
    QTableView, QVBoxLayout, QWidget,
)

from ...domain.enums import label
from ...services import callins as flow
from ...services.callin_warnings import invite_all, left_out_text
from ...services.callins import StepData
from ..style import set_role
from .steps import StepPage


class InviteeModel(QAbstractTableModel):
    """The targeted people: invite (check), required (check, only where it can be), status."""

    HEADERS = ("Invite", "Reference", "Name", "Groups", "Legal status", "Attendance",
               "Warnings", "Supervised by")
    INVITE, REF, NAME, GROUPS, STATUS, REQUIRED, WARN, SUPERVISOR = range(8)
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[flow.InviteeCandidate] = []
        self.invited: dict[int, bool] = {}       # person id -> required
        self.warnings: dict[int, list[str]] = {}
        self.require_default = True     # a newly ticked invitee is required where it can be

    def set_rows(self, rows, invitees: list[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.invited = {int(i["person_id"]): bool(i.get("required")) for i in invitees}
        self.endResetModel()

    def set_warnings(self, warnings: dict[int, list[str]]) -> None:
        self.warnings = warnings
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.HEADERS) - 1))

    def invitees(self) -> list[dict]:
        order = {c.person_id: n for n, c in enumerate(self.rows)}
        return [{"person_id": pid, "required": req}
                for pid, req in sorted(self.invited.items(), key=lambda kv: order.get(kv[0], 1 << 30))]

    def set_invitees(self, invitees: list[dict]) -> None:
        """Invite exactly these (``[{"person_id", "required"}]``); an empty list invites no one."""
        self.beginResetModel()
        self.invited = {int(i["person_id"]): bool(i.get("required")) for i in invitees}
        self.endResetModel()
        self.changed.emit()

    def require_where_allowed(self, required: bool) -> None:
        """Mark (or unmark) as required everyone invited whose licence or probation allows it."""
        self.require_default = required
        for c in self.rows:
            if c.person_id in self.invited and c.can_require:
                self.invited[c.person_id] = required
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(self.HEADERS) - 1))
        self.changed.emit()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index):
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        c = self.rows[index.row()]
        if index.column() == self.INVITE:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        elif index.column() == self.REQUIRED:
            if c.can_require and c.person_id in self.invited:
                f |= Qt.ItemFlag.ItemIsUserCheckable
            else:
                f &= ~Qt.ItemFlag.ItemIsEnabled
        return f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        c, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole:
            if col == self.INVITE:
                return Qt.CheckState.Checked if c.person_id in self.invited else Qt.CheckState.Unchecked
            if col == self.REQUIRED and c.can_require:
                return Qt.CheckState.Checked if self.invited.get(c.person_id) else Qt.CheckState.Unchecked
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.REQUIRED:
                if not c.can_require:
                    return "Invite only"
                return "Required" if self.invited.get(c.person_id) else "Can be required"
            return {
                self.REF: c.reference, self.NAME: c.name, self.GROUPS: ", ".join(c.groups),
                self.STATUS: label(c.legal_status), self.SUPERVISOR: c.supervising_partner,
                self.WARN: " ".join(self.warnings.get(c.person_id, [])),
            }.get(col)
        if role == Qt.ItemDataRole.ForegroundRole and col == self.WARN:
            from ..style import WARNING
            return WARNING
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.WARN:
                return "\n".join(self.warnings.get(c.person_id, [])) or None
            if col == self.REQUIRED:
                return c.requirement
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole:
            return False
        c = self.rows[index.row()]
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        if index.column() == self.INVITE:
            if checked:
                self.invited[c.person_id] = c.can_require and self.require_default
            else:
                self.invited.pop(c.person_id, None)
        elif index.column() == self.REQUIRED and c.person_id in self.invited and c.can_require:
            self.invited[c.person_id] = checked
        else:
            return False
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(self.HEADERS) - 1))
        self.changed.emit()
        return True


class InviteesPage(StepPage):
    step_id = flow.INVITEES

    def build(self, body: QWidget) -> None:
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setObjectName("invitee_summary")
        self.summary.setWordWrap(True)
        self.require = QCheckBox("Mark as &required where a licence or probation allows")
        self.require.setObjectName("require_where_allowed")
        self.require.setChecked(True)
        self.require.setToolTip("Required attendance is a condition of the person's licence or "
                                "probation; untick to invite everyone without requiring it.")
        all_btn = QPushButton("Invite &all")
        all_btn.setToolTip("Invite everyone in the targeted groups and cohorts, except people "
                           "in custody on the date")
        none_btn = QPushButton("Invite &none")
        row.addWidget(self.summary, 1)
        row.addWidget(all_btn)
        row.addWidget(none_btn)
        lay.addLayout(row)
        lay.addWidget(self.require)
        from ..network.suggestions import SuggestionsBox
        self.suggestions = SuggestionsBox(self.wiz.ctx, body)
        self.suggestions.accepted.connect(self.invite_suggested)
        lay.addWidget(self.suggestions)
        self.model = InviteeModel(self)
        self.table = QTableView()
        self.table.setObjectName("invitees")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self.warning_box = QLabel()
        self.warning_box.setObjectName("invitee_warnings")
        set_role(self.warning_box, "warning")     # one line per warning: no wrapping, never cut
        self.warning_box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.table.setMinimumHeight(120)
        lay.addWidget(self.warning_box)
        self.notice = QLabel()
        self.notice.setObjectName("invite_all_notice")
        self.notice.setWordWrap(True)
        set_role(self.notice, "hint")
        self.notice.hide()
        lay.addWidget(self.notice)
        all_btn.clicked.connect(self.invite_all)
        none_btn.clicked.connect(self.invite_none)
        self.require.toggled.connect(self.model.require_where_allowed)
        self.model.changed.connect(self.refresh_warnings)

    def invite_all(self) -> None:
        """Everyone but people in custody on the date; say how many were left out and why."""
        if self.data is None:
            return
        invitees, left_out = invite_all(self.model.rows, self.model.invitees(), self.data.facts.starts_on,
                                        self.require.isChecked())
        self.model.set_invitees(invitees)
        required = sum(1 for i in invitees if i["required"])
        text = f"Invite all: {len(invitees)} invited"
        if required:
            text += f", {required} of them marked as required where a licence or probation allows"
        self.notice.setText(f"{text}. {left_out_text(left_out)}".strip())
        self.notice.show()

    def invite_none(self) -> None:
        self.model.set_invitees([])
        self.notice.hide()

    def show_answers(self, a: dict[str, Any], data: StepData) -> None:
        rows = sorted(data.facts.candidates.values(), key=lambda c: c.reference)
        self.model.set_rows(rows, a.get("invitees") or [])
        self.refresh_warnings()
        groups = self.wiz.state.answers.get(flow.EVENT, {}).get("group_ids") or []
        self.suggestions.load([int(g) for g in groups], set(self.model.invited))

    def invite_suggested(self, person_ids: list[int]) -> None:
        """The network's suggestions, accepted: invited as a tick in the list would."""
        for n, c in enumerate(self.model.rows):
            if c.person_id in person_ids and c.person_id not in self.model.invited:
                self.model.setData(self.model.index(n, self.model.INVITE),
                                   Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)

    def refresh_warnings(self) -> None:
        if self.data is None:
            return
        answers = dict(self.wiz.state.answers)
        answers[flow.INVITEES] = {"invitees": self.model.invitees()}
        warnings = flow.invitee_warnings(answers, self.data.facts)
        per_person: dict[int, list[str]] = {}
        for w in warnings:
            if w.kind != "rivals":
                for pid in w.person_ids:
                    per_person.setdefault(pid, []).append(
                        {"custody": "In custody on the date.", "release_near": "Release near the date.",
                         "ends_before": "Supervision ends first."}.get(w.kind, w.kind))
        self.model.set_warnings(per_person)
        self.warning_box.setText("\n".join(f"⚠ {w.text}" for w in warnings))
        self.warning_box.setVisible(bool(warnings))
        n = len(self.model.invited)
        required = sum(1 for r in self.model.invited.values() if r)
        self.summary.setText(f"{len(self.model.rows)} people in the targeted groups and cohorts; "
                             f"{n} invited, {required} of them required to attend.")

    def values(self) -> dict[str, Any]:
        return {"invitees": self.model.invitees()}
