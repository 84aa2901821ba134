"""The release planner: everyone released in the next N weeks and everyone on remand,
soonest first, flagged plainly, with each person's continuity plan status.

Select rows and press Apply continuity plan… to create a template's actions for those
releases in one undoable step; the selected release's plan shows on the right. Custody
episodes (entry, a new release date, a release) are recorded from here as from a
person's page; the bank holidays and local closures, the continuity templates and the
custody suite contacts are reached from here too.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSpinBox, QSplitter,
    QTableView, QVBoxLayout, QWidget,
)

from ...security.roles import Can
from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..models import RowsModel
from ..page import Page
from ..style import set_role
from . import charging
from .models import PLANNER_COLUMNS, flag_names
from .custody import learn_release_date, record_episode, record_release
from .plan import PlanPanel

DEFAULT_WEEKS = 6
COLUMN_WIDTHS = (122, 76, 92, 140, 150, 90, 90)      # Release … Custody; Establishment stretches


class _PlannerRow:
    """A planner row whose id is its custody episode (one person may have had several)."""

    def __init__(self, row):
        self._r = row
        self.id = row.episode_id

    def __getattr__(self, name):
        return getattr(self._r, name)


class PlannerTable(QTableView):
    """The planner's table: Enter opens the current row's person."""

    enter_pressed = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.enter_pressed.emit()
            return
        super().keyPressEvent(event)


def planner_model(parent=None) -> RowsModel:
    return RowsModel(PLANNER_COLUMNS, parent=parent)


class ReleasePlannerPage(Page):
    title = "Release planner"
    data_kinds = ("custody", "continuity", "action", "person")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("release_planner")
        self.selected_id: int | None = None
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel("Release planner")
        set_role(heading, "heading")
        top.addWidget(heading)
        top.addSpacing(16)
        weeks_label = QLabel("&Weeks ahead")
        self.weeks = QSpinBox()
        self.weeks.setRange(1, 52)
        self.weeks.setValue(DEFAULT_WEEKS)
        self.weeks.setAccessibleName("Weeks ahead")
        self.weeks.setToolTip("Releases expected within this many weeks (remand is always listed)")
        weeks_label.setBuddy(self.weeks)
        self.weeks.valueChanged.connect(lambda _v: self.reload())
        top.addWidget(weeks_label)
        top.addWidget(self.weeks)
        top.addStretch(1)
        self.apply_btn = QPushButton("&Apply continuity plan…")
        self.apply_btn.setToolTip("Create a template's actions for the selected releases "
                                  "(one step; Ctrl+Z undoes it)")
        self.record_btn = QPushButton("Record custody &episode…")
        self.record_btn.setToolTip("Someone has gone into custody: choose them in the form")
        self.learn_btn = QPushButton("Learn release &date…")
        self.learn_btn.setToolTip("A new expected release date for the selected person")
        self.release_btn = QPushButton("Record re&lease…")
        for b in (self.apply_btn, self.record_btn, self.learn_btn, self.release_btn):
            top.addWidget(b)
        outer.addLayout(top)
        second = QHBoxLayout()
        self.counts = QLabel()
        self.counts.setObjectName("plannerCounts")
        self.counts.setWordWrap(True)
        set_role(self.counts, "muted")
        second.addWidget(self.counts, 1)
        self.closures_btn = QPushButton("Local &closures…")
        self.closures_btn.setToolTip("The partnership's bank holidays and local closure days")
        self.templates_btn = QPushButton("&Templates…")
        self.templates_btn.setToolTip("The continuity templates: actions relative to release")
        self.suite_btn = QPushButton("Custody &suite contacts…")
        self.suite_btn.setToolTip("Drug workers' custody suite contacts by day and hour")
        for b in (self.closures_btn, self.templates_btn, self.suite_btn):
            second.addWidget(b)
        outer.addLayout(second)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = planner_model(self)
        self.table = PlannerTable()
        self.table.setObjectName("releasePlanner")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)        # soonest first
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(COLUMN_WIDTHS):   # the flags and plan stay in view at 1366
            header.resizeSection(column, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(self._open_person)
        self.table.enter_pressed.connect(lambda: self._open_person(self.table.currentIndex()))
        split.addWidget(self.table)
        self.plan = PlanPanel(ctx, narrow=True)
        split.addWidget(self.plan)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([700, 460])
        outer.addWidget(split, 1)
        hint = QLabel("Select one or more releases (Ctrl or Shift with a click) and press Apply "
                      "continuity plan…. Enter or a double-click opens the person.")
        set_role(hint, "muted")
        hint.setWordWrap(True)
        outer.addWidget(hint)
        charging_row = QHBoxLayout()
        self.charging = QLabel()
        self.charging.setObjectName("chargingSummary")
        self.charging.setWordWrap(True)
        charging_row.addWidget(self.charging, 1)
        self.charging_btn = QPushButton("Charging timeli&ness…")
        self.charging_btn.setToolTip("Days from arrest to the charging decision, month by month")
        charging_row.addWidget(self.charging_btn)
        outer.addLayout(charging_row)
        self.charging_rows: list | None = None

        self.apply_btn.clicked.connect(lambda: self.apply_plan())
        self.record_btn.clicked.connect(lambda: self.new_record())
        self.learn_btn.clicked.connect(lambda: self.learn_release_date())
        self.release_btn.clicked.connect(lambda: self.record_release())
        self.closures_btn.clicked.connect(lambda: self.edit_closures())
        self.templates_btn.clicked.connect(lambda: self.edit_templates())
        self.suite_btn.clicked.connect(lambda: self.show_suite_counts())
        self.charging_btn.clicked.connect(lambda: self.show_charging())
        self._selection_changed()

    # -- Page contract ---------------------------------------------------------------
    def reload(self) -> None:
        weeks = self.weeks.value()
        call_while_alive(self.ctx, self, lambda s: s.release_planner.rows(weeks=weeks),
                         self._listed, lambda e: show_failure(self, e), label="release planner")
        charging.load(self.ctx, self, self._charging_loaded)

    def _charging_loaded(self, rows) -> None:
        self.charging_rows = rows
        self.charging.setText(charging.summary(rows) if rows is not None else "")
        self.charging.setVisible(rows is not None)
        self.charging_btn.setVisible(rows is not None)

    def clear(self) -> None:
        self.model.clear()
        self.counts.setText("")
        self.charging.setText("")
        self.charging_rows = None
        self.plan.clear()

    def view_state(self) -> object:
        return {"weeks": self.weeks.value(), "selected": self.selected_id}

    def restore_view_state(self, state: object) -> None:
        if isinstance(state, dict):
            self.selected_id = state.get("selected")
            self.weeks.setValue(int(state.get("weeks") or DEFAULT_WEEKS))   # reloads if changed

    def new_record(self) -> None:
        """Ctrl+N: someone has gone into custody."""
        if self.record_btn.isVisible():
            record_episode(self.ctx, self, lambda _p: None)

    def edit_current(self) -> None:
        """Ctrl+E: a new release date for the selected person."""
        if self.learn_btn.isVisible() and self.learn_btn.isEnabled():
            self.learn_release_date()

    # -- loading ---------------------------------------------------------------------
    def _listed(self, rows) -> None:
        keep = self.selected_id
        self.model.set_rows([_PlannerRow(r) for r in rows])
        weeks = self.weeks.value()
        soon = sum(1 for r in rows if r.days_to_go is not None and r.days_to_go <= 7 * weeks)
        remand = sum(1 for r in rows if str(r.kind) == "remand")
        no_date = sum(1 for r in rows if r.release is None)
        flagged = sum(1 for r in rows if flag_names(r))
        no_plan = sum(1 for r in rows if str(r.plan_status) != "complete")
        self.counts.setText(
            f"{soon} release{'s' if soon != 1 else ''} in the next {weeks} weeks · "
            f"{remand} on remand, {no_date} with no date · {flagged} flagged · "
            f"{no_plan} without a complete continuity plan")
        self.plan.episode_id = None             # the plan may have changed too: show it afresh
        if keep is not None and self.model.row_of_id(keep) >= 0:
            self.table.selectRow(self.model.row_of_id(keep))
        else:
            self._selection_changed()

    def selected_rows(self) -> list:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.row_object(r) for r in rows]

    def _selection_changed(self) -> None:
        rows = self.selected_rows()
        with_date = [r for r in rows if r.release is not None]
        self.apply_btn.setEnabled(bool(with_date) and self.ctx.unlocked)
        self.apply_btn.setToolTip(
            "Create a template's actions for the selected releases (one step; Ctrl+Z undoes it)"
            if with_date or not rows else "A plan needs an expected release date: learn it first")
        current = rows[0] if len(rows) == 1 else None
        self.selected_id = current.id if current is not None else None
        self.learn_btn.setEnabled(current is not None)
        self.release_btn.setEnabled(current is not None)
        may = self.ctx.permits(Can.EDIT_PEOPLE)       # the services refuse others anyway
        for b in (self.apply_btn, self.record_btn, self.learn_btn, self.release_btn):
            b.setVisible(may)
        if current is None:
            self.plan.clear()
        elif current.id != self.plan.episode_id:
            self.plan.show_episode(current.id)

    def _open_person(self, index) -> None:
        row = self.model.row_object(index.row()) if index.isValid() else None
        if row is not None:
            self.ctx.open_requested.emit("person", row.person_id)

    # -- actions -----------------------------------------------------------------------
    def apply_plan(self):
        rows = [r for r in self.selected_rows() if r.release is not None]
        if not rows:
            return None
        from .dialogs import ApplyPlanDialog
        dialog = ApplyPlanDialog(self.ctx, rows, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(lambda _r: self.plan.show_episode(self.plan.episode_id))
        dialog.open()
        return dialog

    def learn_release_date(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            r = rows[0]
            learn_release_date(self.ctx, self, r.episode_id, r.reference, r.release, None)

    def record_release(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            record_release(self.ctx, self, rows[0].episode_id, rows[0].reference, None)

    def edit_closures(self):
        from .dialogs import ClosuresDialog
        dialog = ClosuresDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_suite_counts(self):
        from .suite import SuiteCountsDialog
        dialog = SuiteCountsDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_charging(self):
        dialog = charging.ChargingDialog(self.ctx, self.charging_rows or [], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def edit_templates(self):
        from .templates import TemplatesDialog
        dialog = TemplatesDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
