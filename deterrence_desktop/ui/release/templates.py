"""The continuity templates: sets of actions with offsets relative to the release day,
for the right partners, each moved off closed days in the direction it says."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMessageBox,
    QPushButton, QVBoxLayout, QWidget,
)

from ...domain.enums import ActionKind, PartnerType
from ...domain.errors import ValidationError
from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..forms import Field, RecordDialog
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
    step = TemplateStep(template_id=form.template_id, title=form.title,
                        partner_type=form.partner_type, kind=form.kind, offset_days=offset,
                        shift=Shift(form.shift), description=form.description, id=form.id)
    step.validate()
    return step


class TemplatesDialog(QDialog):
    """The templates on the left; the chosen one's steps on the right, changed here and
    written with Save template (one audited step)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.templates: list = []
        self.steps_of: dict[int, list] = {}       # template id -> its steps as edited here
        self.dirty: set[int] = set()
        self.setWindowTitle("Continuity templates")
        self.resize(1100, 540)
        col = QVBoxLayout(self)
        intro = QLabel("Each step becomes an action for the partner of its type, due the given "
                       "number of days from the release day, moved off weekends, bank holidays "
                       "and local closures in the direction it says.")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        col.addWidget(intro)
        body = QHBoxLayout()
        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setObjectName("templates")
        self.list.setMaximumWidth(300)
        self.list.setWordWrap(True)
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.new_btn = QPushButton("&New template…")
        self.edit_btn = QPushButton("Re&name…")
        self.delete_btn = QPushButton("&Delete")
        for b in (self.new_btn, self.edit_btn, self.delete_btn):
            row.addWidget(b)
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
        self.save_btn = QPushButton("&Save template")
        self.save_btn.setDefault(True)
        row.addWidget(self.save_btn)
        right.addLayout(row)
        body.addLayout(right, 1)
        col.addLayout(body, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        self.list.currentRowChanged.connect(lambda _r: self._show_current())
        self.steps.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.new_btn.clicked.connect(lambda: self.new_template())
        self.edit_btn.clicked.connect(lambda: self.rename_template())
        self.delete_btn.clicked.connect(lambda: self.delete_template())
        self.add_step_btn.clicked.connect(lambda: self.add_step())
        self.change_step_btn.clicked.connect(lambda: self.change_step())
        self.remove_step_btn.clicked.connect(lambda: self.remove_step())
        self.save_btn.clicked.connect(lambda: self.save())
        self._keep: int | None = None
        self.reload()

    def reload(self) -> None:
        call_while_alive(self.ctx, self, lambda s: s.continuity.templates(), self._loaded,
                         lambda e: show_failure(self, e), label="continuity templates")

    def _loaded(self, views) -> None:
        keep = self._keep if self._keep is not None else self.current_id()
        self.templates = [v.template for v in views]
        for v in views:
            if v.template.id not in self.dirty:
                self.steps_of[v.template.id] = list(v.steps)
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
        tid = self.current_id()
        self.steps.set_rows([_StepRow(st, i) for i, st in enumerate(self.steps_of.get(tid, []))])
        self._update()

    def _update(self) -> None:
        tid = self.current_id()
        has_s = self.steps.selected() is not None
        for b in (self.edit_btn, self.delete_btn, self.add_step_btn):
            b.setEnabled(tid is not None)
        self.change_step_btn.setEnabled(has_s)
        self.remove_step_btn.setEnabled(has_s)
        self.save_btn.setEnabled(tid in self.dirty)

    def is_dirty(self) -> bool:
        return bool(self.dirty)

    def reject(self) -> None:
        if self.dirty and QMessageBox.question(
                self, "Discard your edits?", "Steps were changed but the template is not saved. "
                "Discard the changes?", QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Discard:
            return
        super().reject()

    def close_quietly(self) -> None:
        self.dirty.clear()
        super().reject()

    def _form(self, title: str, fields, record, save, on_saved) -> RecordDialog:
        """A form whose Save runs ``save(services, record)`` (a template is saved with its
        steps as one step; a step is kept here until Save template)."""
        dialog = RecordDialog(self.ctx, title, fields, record, save, parent=self)
        dialog.saved.connect(on_saved)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # -- templates ---------------------------------------------------------------------
    def _written(self, view) -> None:
        self.dirty.discard(view.template.id)
        self.steps_of[view.template.id] = list(view.steps)
        self._keep = view.template.id
        self.ctx.data_changed.emit("continuity")
        self.reload()

    def new_template(self) -> None:
        from ...domain.custody import ContinuityTemplate
        self._form("New continuity template", TEMPLATE_FIELDS, ContinuityTemplate(name=""),
                   lambda s, r: s.continuity.save_template(r, []), self._written)

    def rename_template(self) -> None:
        t = self.current()
        if t is None:
            return
        steps = list(self.steps_of.get(t.id, []))
        self._form(f"Template {t.name}", TEMPLATE_FIELDS, t,
                   lambda s, r: s.continuity.save_template(r, steps), self._written)

    def save(self) -> None:
        t = self.current()
        if t is None:
            return
        steps = list(self.steps_of.get(t.id, []))
        call_while_alive(self.ctx, self, lambda s: s.continuity.save_template(t, steps),
                         lambda v: (self._written(v), self.ctx.status_message.emit("Template saved")),
                         lambda e: show_failure(self, e), label="save a continuity template")

    def delete_template(self) -> None:
        t = self.current()
        if t is None:
            return
        if QMessageBox.question(self, "Delete template", f"Delete the template “{t.name}”? "
                                "Plans already made from it keep their actions.") \
                != QMessageBox.StandardButton.Yes:
            return
        self.dirty.discard(t.id)

        def done(_):
            self.ctx.data_changed.emit("continuity")
            self.reload()
        call_while_alive(self.ctx, self, lambda s: s.continuity.delete_template(t.id), done,
                         lambda e: show_failure(self, e), label="delete a continuity template")

    # -- steps (kept here until Save template) ------------------------------------------
    def _open_step(self, form: StepForm, index: int | None, title: str) -> None:
        tid = form.template_id

        def put(step) -> None:
            steps = self.steps_of.setdefault(tid, [])
            if index is None:
                steps.append(step)
            else:
                steps[index] = step
            self.dirty.add(tid)
            self._show_current()
        self._form(title, step_fields(), form, lambda _s, r: step_record(r), put)

    def add_step(self) -> None:
        t = self.current()
        if t is None:
            return
        from ...domain.custody import Shift
        self._open_step(StepForm("", PartnerType.PROBATION, ActionKind.SUPPORT, "0",
                                 Shift.EARLIER, "", t.id), None, f"New step of {t.name}")

    def change_step(self) -> None:
        row = self.steps.selected()
        if row is None:
            return
        st = row.step
        self._open_step(StepForm(st.title, st.partner_type, st.kind, str(st.offset_days),
                                 st.shift, st.description, st.template_id, st.id),
                        row.index, f"Step: {st.title}")

    def remove_step(self) -> None:
        row = self.steps.selected()
        tid = self.current_id()
        if row is None or tid is None:
            return
        del self.steps_of[tid][row.index]
        self.dirty.add(tid)
        self._show_current()


class _StepRow:
    """A step in the editor's table: its place in the list is its row id."""

    def __init__(self, step, index: int):
        self.step, self.index, self.id = step, index, index

    def __getattr__(self, name):
        return getattr(self.step, name)
