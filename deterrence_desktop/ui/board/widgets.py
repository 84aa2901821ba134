"""The board's filter bar, summary strip and the outcome/blocker dialog."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QLabel, QLineEdit,
    QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ...domain.enums import ActionKind, label
from ...services.board import BOARD_STATUSES, BoardData, BoardFilter, BoardSummary
from ..flow import FlowLayout


# "Any" entries of the combos carry a sentinel, never None: under Python 3.11, PySide6
# drops a reference to None each time currentData() hands back an empty QVariant, and a
# long session of filtering would eventually crash the interpreter.
ANY_ID = -1
ANY_TEXT = ""


def _value(combo: QComboBox):
    value = combo.currentData()
    return None if value in (ANY_ID, ANY_TEXT) else value


class FilterBar(QWidget):
    """Partner, kind, cohort, group, person, status, overdue, due within, agreed at, search.
    Every filter combines with the others."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loading = False
        # One flow: the filters take as many rows as the width needs (two on a laptop).
        lay = FlowLayout(self, spacing=6, row_spacing=4)
        lay.setContentsMargins(0, 0, 0, 0)

        def combo(name: str, tip: str) -> QComboBox:
            c = QComboBox(self)
            c.setObjectName(name)
            c.setToolTip(tip)
            c.setAccessibleName(tip)
            c.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            c.setMinimumContentsLength(11)
            c.currentIndexChanged.connect(self._emit)
            lay.addWidget(c)
            return c
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search actions, references…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(180)
        self.search.setFixedWidth(240)
        self.search.setAccessibleName("Search the board")
        self.search.textChanged.connect(self._emit)
        lay.addWidget(self.search)
        self.partner = combo("filterPartner", "Owning partner")
        self.kind = combo("filterKind", "Kind of action")
        self.cohort = combo("filterCohort", "Cohort")
        self.group = combo("filterGroup", "Group")
        self.person = combo("filterPerson", "Person (reference)")
        self.person.setEditable(True)
        self.person.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.status = combo("filterStatus", "Status")
        self.meeting = combo("filterMeeting", "Agreed at meeting")
        self.overdue = QCheckBox("Overdue only", self)
        self.overdue.toggled.connect(self._emit)
        lay.addWidget(self.overdue)
        self.due = QSpinBox(self)
        self.due.setRange(0, 365)
        self.due.setSpecialValueText("Due: any time")
        self.due.setPrefix("Due within ")
        self.due.setSuffix(" days")
        self.due.setToolTip("Open actions due within this many days (0 = any time)")
        self.due.setAccessibleName("Due within days")
        self.due.valueChanged.connect(self._emit)
        lay.addWidget(self.due)
        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.clicked.connect(lambda: self.set_filter(BoardFilter(), emit=True))
        lay.addWidget(self.clear_button)
        self._fill_static()

    def _fill_static(self) -> None:
        self._loading = True
        self.kind.addItem("All kinds", ANY_TEXT)
        for k in ActionKind:
            self.kind.addItem(label(k), k.value)
        self.status.addItem("All statuses", ANY_TEXT)
        for s in BOARD_STATUSES:
            self.status.addItem(label(s), s.value)
        self._loading = False

    def set_choices(self, data: BoardData) -> None:
        current = self.filter()
        self._loading = True
        for combo, first, choices in (
                (self.partner, "All partners", data.partners),
                (self.cohort, "All cohorts", data.cohorts),
                (self.group, "All groups", data.groups),
                (self.person, "All people", data.people),
                (self.meeting, "Any meeting", data.meetings)):
            combo.clear()
            combo.addItem(first, ANY_ID)
            for c in choices:
                text = c.label if combo is not self.meeting else f"{c.label} ({c.extra})"
                if combo is self.partner and c.extra not in ("in force", "ends soon"):
                    text += f" (agreement: {c.extra})"
                combo.addItem(text, c.id)
        self._loading = False
        self.set_filter(current)

    def _emit(self, *_):
        if not self._loading:
            self.changed.emit()

    def _select(self, combo: QComboBox, value) -> None:
        if value is None:
            value = ANY_TEXT if combo in (self.kind, self.status) else ANY_ID
        i = combo.findData(value)
        combo.setCurrentIndex(i if i >= 0 else 0)

    def set_filter(self, f: BoardFilter, emit: bool = False) -> None:
        self._loading = True
        self._select(self.partner, f.partner_id)
        self._select(self.kind, f.kind)
        self._select(self.cohort, f.cohort_id)
        self._select(self.group, f.group_id)
        self._select(self.person, f.person_id)
        self._select(self.status, f.status)
        self._select(self.meeting, f.meeting_id)
        self.overdue.setChecked(f.overdue_only)
        self.due.setValue(f.due_within_days or 0)
        self.search.setText(f.text)
        self._loading = False
        if emit:
            self.changed.emit()

    def filter(self) -> BoardFilter:
        return BoardFilter(
            partner_id=_value(self.partner), kind=_value(self.kind),
            cohort_id=_value(self.cohort), group_id=_value(self.group),
            person_id=_value(self.person), status=_value(self.status),
            overdue_only=self.overdue.isChecked(),
            due_within_days=self.due.value() or None, meeting_id=_value(self.meeting),
            text=self.search.text())


class SummaryStrip(QLabel):
    """Open, overdue, due this week, done this month, and each partner's load; a partner
    carrying clearly more overdue actions than the others stands out."""

    def __init__(self, parent=None, high_contrast: bool = False):
        super().__init__(parent)
        self.setObjectName("summaryStrip")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.high_contrast = high_contrast
        self.summary: BoardSummary | None = None
        self.reach = ""            # how many groups the message has reached (network.reach)

    def show_reach(self, reaches) -> None:
        from ..network.reach import strip_text
        self.reach = strip_text(reaches or [])
        self.show_summary(self.summary)

    def show_summary(self, s: BoardSummary | None, max_partners: int = 8) -> None:
        self.summary = s
        if s is None:
            self.setText("")
            return
        hc = self.high_contrast
        alarm = "background:#ffd400;color:#000000;" if hc else "background:#a12a2a;color:#ffffff;"
        parts = [f"<b>Open</b> {s.open}", f"<b>Overdue</b> {s.overdue}",
                 f"<b>Due this week</b> {s.due_this_week}",
                 f"<b>Done this month</b> {s.done_this_month}"]
        chips = []
        for p in s.by_partner[:max_partners]:
            text = f"{escape(p.name)}: {p.open} open, {p.overdue} overdue"
            if p.flagged:
                chips.append(f"<span style='{alarm} font-weight:700'>&nbsp;⚠ {text} - "
                             f"many overdue&nbsp;</span>")
            else:
                chips.append(text)
        more = len(s.by_partner) - max_partners
        if more > 0:
            chips.append(f"and {more} more partners")
        if self.reach:
            parts.append(self.reach)
        self.setText("&nbsp;&nbsp;·&nbsp;&nbsp;".join(parts)
                     + ("<br/>" + "&nbsp;&nbsp;|&nbsp;&nbsp;".join(chips) if chips else ""))
        flagged = [p.name for p in s.flagged]
        self.setToolTip(
            "A partner is marked when it has at least three overdue actions and one and a half "
            "times the average per partner: a sign of overload." +
            (f"\nMarked now: {', '.join(flagged)}" if flagged else ""))


class OutcomeDialog(QDialog):
    """Moving a card to done asks what happened; to blocked, what blocks it."""

    def __init__(self, status: str, count: int, current: str = "", parent=None):
        super().__init__(parent)
        done = status == "done"
        self.setWindowTitle("Outcome" if done else "Blocker")
        lay = QVBoxLayout(self)
        what = f"{count} actions" if count > 1 else "this action"
        self.prompt = QLabel(f"What happened? Record the outcome of {what}." if done else
                             f"What is blocking {what}? Partners will see this on the board.")
        self.prompt.setWordWrap(True)
        lay.addWidget(self.prompt)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("outcomeText")
        self.text.setAccessibleName("Outcome" if done else "Blocker")
        self.text.setPlainText(current)
        lay.addWidget(self.text)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            "Mark done" if done else "Mark blocked")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.text.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            bool(self.text.toPlainText().strip()))

    def value(self) -> str:
        return self.text.toPlainText().strip()
