"""A person's continuity plan: the release it is for, its steps with their actions and
due dates, and whether it is complete. Shown beside the planner and from the person's page."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..record_pages import Card, KeyValues, MiniTable, ui_today
from ..style import set_role
from .models import plan_status_text, release_text, step_columns


STEP_WIDTH = 250          # the step title's least width beside the planner


class PlanPanel(QWidget):
    """The plan of one custody episode (``show_episode``), loaded on the worker."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, narrow: bool = False):
        super().__init__(parent)
        self.ctx = ctx
        self.narrow = narrow              # beside the planner: the step's title is cut short
        self.episode_id: int | None = None
        self.plan = None
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        self.card = Card("Continuity plan")
        self.info = KeyValues(["Person", "Release", "Template", "Status"])
        self.card.add(self.info)
        self.steps = MiniTable(step_columns(lambda: ui_today(ctx)), "The plan has no actions.",
                               max_rows=12)
        self.steps.setObjectName("planSteps")
        self.steps.activated_id.connect(lambda aid: ctx.open_requested.emit("action", aid))
        self.card.add(self.steps)
        self.card.add(self.steps.empty_label)
        self.steps.empty_label.setWordWrap(True)
        col.addWidget(self.card)
        self.empty = QLabel("Choose a release to see its continuity plan.")
        self.empty.setWordWrap(True)
        set_role(self.empty, "empty")
        col.addWidget(self.empty)
        col.addStretch(1)
        self.show_plan(None)

    def show_episode(self, episode_id: int | None) -> None:
        self.episode_id = episode_id
        if episode_id is None:
            self.show_plan(None)
            return
        call_while_alive(self.ctx, self, lambda s: s.continuity.plan(episode_id),
                         lambda plan: self._loaded(plan, episode_id), lambda e: show_failure(self, e), label="continuity plan")

    def _loaded(self, plan, episode_id: int) -> None:
        if episode_id != self.episode_id:
            return                                  # another row was chosen meanwhile
        self.show_plan(plan)
        if plan is None:
            self.empty.setText("No continuity plan for this release yet: select it on the "
                               "Release planner and press Apply continuity plan….")

    def show_plan(self, plan) -> None:
        self.plan = plan
        self.card.setVisible(plan is not None)
        self.empty.setVisible(plan is None)
        self.empty.setText("Choose a release to see its continuity plan.")
        if plan is None:
            self.info.clear()
            self.steps.clear_rows()
            return
        self.info.set("Person", f"{plan.person_reference} · {plan.person_name}")
        self.info.set("Release", release_text(plan.release))
        self.info.set("Template", plan.template_name or "—")
        status = plan_status_text(plan.status)
        if plan.status == "incomplete":
            status += f": {plan.open_steps} of {len(plan.steps)} actions open"
        self.info.set("Status", status)
        self.steps.set_rows([_StepRow(s, plan.release) for s in plan.steps])
        if self.narrow:                     # the due date, step and status in view together
            room = (self.steps.viewport().width() - self.steps.columnWidth(0)
                    - self.steps.columnWidth(2))
            self.steps.setColumnWidth(1, min(self.steps.columnWidth(1), max(STEP_WIDTH, room)))

    def clear(self) -> None:
        self.episode_id = None
        self.show_plan(None)


class _StepRow:
    """A step with its action's id as the row id (double-click opens the action) and the
    plan's release day (to say when a due date was moved off a closed day)."""

    def __init__(self, step, release):
        self._s = step
        self.id = step.action.id
        self.release = release

    def __getattr__(self, name):
        return getattr(self._s, name)


class PlanDialog(QDialog):
    """The plan view for a person, from their page."""

    def __init__(self, ctx: AppContext, episode_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Continuity plan")
        self.resize(1140, 480)
        col = QVBoxLayout(self)
        self.panel = PlanPanel(ctx, self)
        col.addWidget(self.panel, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        self.panel.show_episode(episode_id)
