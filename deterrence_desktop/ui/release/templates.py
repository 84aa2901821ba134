"""The continuity templates: sets of actions with offsets relative to the release day,
for the right partners, each moved off closed days in the direction it says."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMessageBox,
    QPushButton, QVBoxLayout, QWidget,
)

from ...domain.enums import ActionKind, PartnerType
from ...domain.errors import ValidationError
from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..forms import Field, open_record_dialog
from ..record_pages import MiniTable
from ..style import set_role
from .models import template_step_columns

TEMPLATE_FIELDS = [
    Field("name", "&Name"),
    Field("description", "&Description", "multiline"),
]


@dataclass
class StepForm:
    """A template step as the form edits it (the offset typed as text)."""
    title: str
    partner_type: PartnerType
    kind: ActionKind
    offset_days: str
    shift: str
    description: str
    template_id: int
    id: int | None = None


def step_fields():
    from ...domain.custody import Shift
    return [
        Field("title", "&Step", placeholder="e.g. naloxone at the gate"),
        Field("partner_type", "&Partner", "enum", PartnerType,
              help="the partner of this type owns the action"),
        Field("kind", "&Kind", "enum", ActionKind),
        Field("offset_days", "&Days from release", placeholder="0 = the day; -7 = a week before",
              help="negative: before the release day; positive: after it"),
        Field("shift", "Off a &closed day, move", "enum", Shift,
              help="a weekend, bank holiday or local closure moves the due date this way"),
        Field("description", "D&escription", "multiline"),
    ]


def step_record(form: StepForm):
    """The domain step; a clear message when the offset is not a whole number."""
    from ...domain.custody import Shift, TemplateStep
    try:
        offset = int(str(form.offset_days).strip() or "0")
    except ValueError:
        raise ValidationError("offset_days", "write a whole number of days, e.g. -7 or 3") from None
    return TemplateStep(template_id=form.template_id, title=form.title,
                        partner_type=form.partner_type, kind=form.kind, offset_days=offset,
                        shift=Shift(form.shift), description=form.description, id=form.id)


class TemplatesDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.templates: list = []
        self.setWindowTitle("Continuity templates")
        self.resize(900, 520)
        col = QVBoxLayout(self)
        intro = QLabel("Each step becomes an action for the partner of its type, due the given "
                       "number of days from the release day.")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        col.addWidget(intro)
        body = QHBoxLayout()
        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setObjectName("templates")
        self.list.setMaximumWidth(260)
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.new_btn = QPushButton("&New template…")
        self.edit_btn = QPushButton("Re&name…")
        row.addWidget(self.new_btn)
        row.addWidget(self.edit_btn)
        left.addLayout(row)
        body.addLayout(left)
        right = QVBoxLayout()
        self.steps = MiniTable(template_step_columns(), "No steps yet.", max_rows=12)
        self.steps.setObjectName("templateSteps")
        self.steps.activated_id.connect(lambda _id: self.change_step())
        right.addWidget(self.steps)
        right.addWidget(self.steps.empty_label)
        right.addStretch(1)
        row = QHBoxLayout()
        self.add_step_btn = QPushButton("&Add step…")
        self.change_step_btn = QPushButton("&Change step…")
        self.remove_step_btn = QPushButton("&Remove step")
        for b in (self.add_step_btn, self.change_step_btn, self.remove_step_btn):
            row.addWidget(b)
        row.addStretch(1)
        right.addLayout(row)
        body.addLayout(right, 1)
        col.addLayout(body, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        self.list.currentRowChanged.connect(lambda _r: self._show_current())
        self.steps.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.new_btn.clicked.connect(lambda: self.new_template())
        self.edit_btn.clicked.connect(lambda: self.rename_template())
        self.add_step_btn.clicked.connect(lambda: self.add_step())
        self.change_step_btn.clicked.connect(lambda: self.change_step())
        self.remove_step_btn.clicked.connect(lambda: self.remove_step())
        self._keep: int | None = None
        self.reload()

    def reload(self) -> None:
        call_while_alive(self.ctx, self, lambda s: s.continuity.templates(), self._loaded,
                         lambda e: show_failure(self, e), label="continuity templates")

    def _loaded(self, templates) -> None:
        keep = self._keep if self._keep is not None else self.current_id()
        self.templates = list(templates)
        self.list.blockSignals(True)
        self.list.clear()
        for t in self.templates:
            QListWidgetItem(t.name, self.list)
        ids = [t.id for t in self.templates]
        self.list.setCurrentRow(ids.index(keep) if keep in ids else (0 if ids else -1))
        self.list.blockSignals(False)
        self._keep = None
        self._show_current()

    def current(self):
        r = self.list.currentRow()
        return self.templates[r] if 0 <= r < len(self.templates) else None

    def current_id(self) -> int | None:
        t = self.current()
        return t.id if t is not None else None

    def _show_current(self) -> None:
        t = self.current()
        self.steps.set_rows(list(t.steps) if t is not None else [])
        self._update()

    def _update(self) -> None:
        has_t = self.current() is not None
        has_s = self.steps.selected() is not None
        self.edit_btn.setEnabled(has_t)
        self.add_step_btn.setEnabled(has_t)
        self.change_step_btn.setEnabled(has_s)
        self.remove_step_btn.setEnabled(has_s)

    def _saved(self, keep: int | None = None) -> None:
        self._keep = keep
        self.ctx.data_changed.emit("continuity")
        self.reload()

    # -- templates ---------------------------------------------------------------------
    def new_template(self) -> None:
        from ...domain.custody import ContinuityTemplate
        open_record_dialog(self.ctx, self, kind="continuity", title="New continuity template",
                           fields=TEMPLATE_FIELDS, record=ContinuityTemplate(name=""),
                           create=lambda s, r: s.continuity.save_template(r), update=None,
                           on_saved=lambda t: self._saved(t.id), saved_text="Template added")

    def rename_template(self) -> None:
        t = self.current()
        if t is None:
            return
        from ...domain.custody import ContinuityTemplate
        record = ContinuityTemplate(name=t.name, description=t.description, id=t.id)
        open_record_dialog(self.ctx, self, kind="continuity", title=f"Template {t.name}",
                           fields=TEMPLATE_FIELDS, record=record, create=None,
                           update=lambda s, r: s.continuity.save_template(r),
                           undo_text=f"Edit template {t.name}",
                           on_saved=lambda r: self._saved(r.id), saved_text="Template saved")

    # -- steps -------------------------------------------------------------------------
    def _open_step(self, form: StepForm, title: str) -> None:
        tid = form.template_id
        save = lambda s, r: s.continuity.save_step(step_record(r))   # noqa: E731
        open_record_dialog(self.ctx, self, kind="continuity", title=title,
                           fields=step_fields(), record=form, create=save, update=save,
                           on_saved=lambda _r: self._saved(tid), saved_text="Step saved")

    def add_step(self) -> None:
        t = self.current()
        if t is None:
            return
        from ...domain.custody import Shift
        self._open_step(StepForm("", PartnerType.PROBATION, ActionKind.SUPPORT, "0",
                                 Shift.EARLIER, "", t.id), f"New step of {t.name}")

    def change_step(self) -> None:
        st = self.steps.selected()
        if st is None:
            return
        self._open_step(StepForm(st.title, st.partner_type, st.kind, str(st.offset_days),
                                 st.shift, st.description, st.template_id, st.id),
                        f"Step: {st.title}")

    def remove_step(self) -> None:
        st = self.steps.selected()
        if st is None:
            return
        if QMessageBox.question(self, "Remove step", f"Remove “{st.title}” from the template? "
                                "Plans already applied keep their actions.") \
                != QMessageBox.StandardButton.Yes:
            return
        tid = st.template_id
        call_while_alive(self.ctx, self, lambda s: s.continuity.remove_step(st.id),
                         lambda _: self._saved(tid), lambda e: show_failure(self, e),
                         label="remove a template step")
