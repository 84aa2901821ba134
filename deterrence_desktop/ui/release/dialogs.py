"""The planner's dialogs: apply a continuity template to the selected releases (one
undoable step), and the local closures that move due dates as bank holidays do."""
from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton, QVBoxLayout, QWidget,
)

from ...domain.errors import DeterrenceError, readable
from ...services.release_planner import NATION_LABELS
from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..forms import ServiceCommand, parse_date
from ..style import set_role
from .models import flags_text, offset_text, release_text


class ApplyPlanCommand(ServiceCommand):
    """Undo takes the plan's actions away again (one audited step); redo applies the
    template to the same releases afresh."""

    def __init__(self, ctx: AppContext, text: str, template_id: int, episode_ids: list[int], result):
        super().__init__(ctx, ("action", "continuity"), text, self._again, self._take)
        self.template_id, self.episode_ids, self.result = template_id, list(episode_ids), result

    def _again(self, services) -> None:
        self.result = services.continuity.apply(self.template_id, self.episode_ids)

    def _take(self, services) -> None:
        services.continuity.undo(self.result)


class ApplyPlanDialog(QDialog):
    """Which template, for which releases; Apply creates the actions at once."""

    applied = Signal(object)

    def __init__(self, ctx: AppContext, rows: list, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.rows = rows
        self.templates: list = []
        self.setWindowTitle("Apply continuity plan")
        self.resize(620, 480)
        col = QVBoxLayout(self)
        n = len(rows)
        intro = QLabel(f"Create the template's actions for {n} release{'s' if n != 1 else ''}, "
                       "each due relative to the release date and moved off weekends, bank "
                       "holidays and local closures as the step says. Ctrl+Z undoes it.")
        intro.setWordWrap(True)
        col.addWidget(intro)
        who = QListWidget()
        who.setObjectName("applyReleases")
        who.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        who.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        who.setMaximumHeight(110)
        for r in rows:
            flags = flags_text(r)
            QListWidgetItem(f"{r.reference} · {release_text(r.release)}"
                            + (f" · {flags}" if flags else ""), who)
        col.addWidget(who)
        form = QFormLayout()
        self.template = QComboBox()
        self.template.setObjectName("applyTemplate")
        lab = QLabel("&Template")
        lab.setBuddy(self.template)
        form.addRow(lab, self.template)
        col.addLayout(form)
        self.steps = QLabel()
        self.steps.setObjectName("applySteps")
        self.steps.setWordWrap(True)
        self.steps.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        set_role(self.steps, "muted")
        col.addWidget(self.steps, 1)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        col.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setDefault(True)
        self.apply_button.setEnabled(False)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        self.template.currentIndexChanged.connect(self._template_changed)
        call_while_alive(ctx, self, lambda s: s.continuity.templates(), self._templates_loaded,
                         lambda e: show_failure(self, e), label="continuity templates")

    def _templates_loaded(self, templates) -> None:
        self.templates = list(templates)
        self.template.clear()
        for t in self.templates:
            self.template.addItem(t.template.name, t.template.id)
        self.apply_button.setEnabled(bool(self.templates))
        if not self.templates:
            self.steps.setText("No templates yet: add one with Templates… on the planner.")
        self.template.setFocus()

    def _template_changed(self, index: int) -> None:
        t = self.templates[index] if 0 <= index < len(self.templates) else None
        if t is None:
            self.steps.setText("")
            return
        lines = [f"• {s.title}: {offset_text(s.offset_days).lower()}" for s in t.steps]
        about = t.template.description
        self.steps.setText((about + "\n\n" if about else "") + "\n".join(lines))

    def apply(self) -> None:
        tid = self.template.currentData()
        if tid is None:
            return
        ids = [r.episode_id for r in self.rows]
        name = self.template.currentText()
        self.apply_button.setEnabled(False)
        ctx = self.ctx

        def done(result):
            n = len(ids)
            text = f"Apply {name} to {n} release{'s' if n != 1 else ''}"
            ctx.undo_stack.push(ApplyPlanCommand(ctx, text, tid, ids, result))
            for kind in ("action", "continuity"):
                ctx.data_changed.emit(kind)
            ctx.status_message.emit(f"Continuity plan applied: {result.summary} (Ctrl+Z undoes)")
            if result.skipped or result.missing_partners:
                why = [f"• {reason}" for _eid, reason in result.skipped]
                if result.missing_partners:
                    why.append("• No partner of type " + ", ".join(result.missing_partners)
                               + ": add one under Partners, then apply again for those steps.")
                box = QMessageBox(QMessageBox.Icon.Information, "Continuity plan applied",
                                  f"{result.summary}.\n\n" + "\n".join(why),
                                  QMessageBox.StandardButton.Ok, self.parentWidget())
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()                              # never blocks the worker's answers
            self.applied.emit(result)
            self.accept()

        def failed(exc):
            self.apply_button.setEnabled(True)
            if isinstance(exc, DeterrenceError):
                self.error.setText(readable(exc))
                self.error.show()
            else:
                show_failure(self, exc)
        call_while_alive(ctx, self, lambda s: s.continuity.apply(tid, ids), done, failed,
                         label="apply continuity plan")


HOLIDAYS_AHEAD = 120         # days of bank holidays the closures dialog lists


class ClosuresDialog(QDialog):
    """The closed days due dates move off: the bank holidays of the partnership's nation,
    and the days local services are closed beyond them (a council closure day, a strike);
    a release the day before one is flagged."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.closures: list = []
        self.setWindowTitle("Bank holidays and local closures")
        self.resize(640, 480)
        col = QVBoxLayout(self)
        top = QFormLayout()
        self.nation = QComboBox()
        self.nation.setObjectName("nation")
        for key, text in NATION_LABELS.items():
            self.nation.addItem(text, key)
        nation_label = QLabel("&Bank holidays of")
        nation_label.setBuddy(self.nation)
        top.addRow(nation_label, self.nation)
        col.addLayout(top)
        self.holidays = QLabel()
        self.holidays.setObjectName("nextBankHolidays")
        self.holidays.setWordWrap(True)
        set_role(self.holidays, "muted")
        col.addWidget(self.holidays)
        heading = QLabel("Local closures: the days services here are closed too")
        set_role(heading, "subheading")
        col.addWidget(heading)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setObjectName("closures")
        col.addWidget(self.list, 1)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setEnabled(False)
        self.list.currentRowChanged.connect(lambda r: self.remove_button.setEnabled(r >= 0))
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.remove_button)
        col.addLayout(row)
        form = QFormLayout()
        self.on = QLineEdit()
        self.on.setPlaceholderText("YYYY-MM-DD")
        on_label = QLabel("&Date")
        on_label.setBuddy(self.on)
        self.description = QLineEdit()
        self.description.setPlaceholderText("e.g. council offices closed")
        desc_label = QLabel("D&escription")
        desc_label.setBuddy(self.description)
        form.addRow(on_label, self.on)
        form.addRow(desc_label, self.description)
        col.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("closureError")
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        self.error.hide()
        col.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.add_button = self.buttons.addButton("&Add closure", QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        for b in self.buttons.buttons() + [self.remove_button]:
            b.setAutoDefault(False)          # Enter in a field moves on or adds, as below
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        self.nation.currentIndexChanged.connect(self._nation_chosen)   # not while loading
        self.on.returnPressed.connect(self.description.setFocus)
        self.description.returnPressed.connect(self.add)
        self.on.setFocus()
        self.reload()

    def reload(self) -> None:
        def load(s):
            today = s.today()
            return (s.release_planner.closures(), s.release_planner.nation(),
                    s.release_planner.bank_holidays(today, today + timedelta(days=HOLIDAYS_AHEAD)))
        call_while_alive(self.ctx, self, load, self._loaded, lambda e: show_failure(self, e),
                         label="local closures")

    def _nation_chosen(self, _index: int) -> None:
        nation = self.nation.currentData()
        call_while_alive(self.ctx, self, lambda s: s.release_planner.set_nation(nation),
                         lambda _: (self.ctx.data_changed.emit("continuity"), self.reload()),
                         lambda e: show_failure(self, e), label="partnership's nation")

    def _loaded(self, loaded) -> None:
        closures, nation, holidays = loaded
        self.nation.blockSignals(True)
        self.nation.setCurrentIndex(max(0, self.nation.findData(nation)))
        self.nation.blockSignals(False)
        self.holidays.setText("Next bank holidays: " + (", ".join(
            f"{release_text(d)} ({name})" for d, name in holidays) or "none in the next "
            f"{HOLIDAYS_AHEAD} days") + ".")
        self.closures = list(closures)
        self.list.clear()
        for c in self.closures:
            item = QListWidgetItem(f"{release_text(c.on)} · {c.description}")
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.list.addItem(item)

    def _say(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def add(self) -> None:
        try:
            on = parse_date(self.on.text())
        except ValueError as exc:
            self._say(f"Date: {exc}.")
            self.on.setFocus()
            return
        if on is None:
            self._say("Date: write the day services are closed.")
            self.on.setFocus()
            return
        text = self.description.text().strip()
        from ...domain.custody import LocalClosure

        def done(_):
            self._say("")
            self.on.clear()
            self.description.clear()
            self.on.setFocus()
            self.ctx.data_changed.emit("continuity")
            self.reload()

        def failed(exc):
            if isinstance(exc, DeterrenceError):
                self._say(readable(exc))
            else:
                show_failure(self, exc)
        call_while_alive(self.ctx, self,
                         lambda s: s.release_planner.add_closure(LocalClosure(on=on, description=text)),
                         done, failed, label="add a local closure")

    def remove(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        cid = item.data(Qt.ItemDataRole.UserRole)
        call_while_alive(self.ctx, self, lambda s: s.release_planner.remove_closure(cid),
                         lambda _: (self.ctx.data_changed.emit("continuity"), self.reload()),
                         lambda e: show_failure(self, e), label="remove a local closure")
