"""The base of the call-in wizard's pages, and the small widget helpers they share.

A :class:`StepPage` shows one step of the flow in :mod:`deterrence_desktop.services.callins`:
it builds its widgets, shows the step's answers with the step data the service sends,
and gives back ``values()``. The wizard (:mod:`.wizard`) does the rest.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget, QWizardPage

from ...services import callins as flow
from ...services.callins import StepData
from ..style import set_role

if TYPE_CHECKING:
    from .wizard import CallInWizard


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def error_label() -> QLabel:
    lab = QLabel()
    lab.setWordWrap(True)
    set_role(lab, "error")
    lab.hide()
    return lab


def warning_label(name: str) -> QLabel:
    """A box of warnings (one per line) that shows only when there is one."""
    lab = QLabel()
    lab.setObjectName(name)
    lab.setWordWrap(True)
    set_role(lab, "warning")
    lab.hide()
    return lab


def show_warnings(box: QLabel, warnings) -> None:
    box.setText("\n".join(f"⚠ {w.text}" for w in warnings))
    box.setVisible(bool(warnings))


def checked_ids(widget: QListWidget) -> list[int]:
    return [widget.item(i).data(Qt.ItemDataRole.UserRole) for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked]


def fill_checklist(widget: QListWidget, options, checked: list[int]) -> None:
    widget.clear()
    for o in options:
        item = QListWidgetItem(o.label)
        item.setData(Qt.ItemDataRole.UserRole, o.id)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if o.id in checked else Qt.CheckState.Unchecked)
        widget.addItem(item)


def partner_combo(options, selected: int | None, none_label: str | None = None) -> QComboBox:
    box = QComboBox()
    if none_label is not None:
        box.addItem(none_label, None)
    for o in options:
        box.addItem(o.label, o.id)
    index = box.findData(selected)
    box.setCurrentIndex(index if index >= 0 else (0 if none_label is not None else -1))
    return box


class StepPage(QWizardPage):
    """A page showing one step of the flow. Subclasses build widgets, ``show`` the
    answers with the step data, and give back ``values()``."""

    step_id = ""

    def __init__(self, wizard: "CallInWizard"):
        super().__init__()
        self.wiz = wizard
        spec = flow.STEP_BY_ID[self.step_id]
        self.setTitle(spec.title)
        self.setSubTitle(spec.subtitle)
        self.setObjectName(f"callin_{self.step_id}")
        self.data: StepData | None = None
        self.requested = False
        self._ready = False
        self.loading = QLabel("Loading…")
        set_role(self.loading, "muted")
        self.errors = error_label()
        self.errors.setObjectName(f"errors_{self.step_id}")
        outer = QVBoxLayout(self)
        outer.addWidget(self.loading)
        self.body = QWidget()
        outer.addWidget(self.body, 1)
        outer.addWidget(self.errors)
        self.build(self.body)

    # -- the contract of a step page ------------------------------------------------
    def build(self, body: QWidget) -> None:
        raise NotImplementedError

    def show_answers(self, answers: dict[str, Any], data: StepData) -> None:
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    # -- wiring -----------------------------------------------------------------------
    def initializePage(self) -> None:
        self._ready = False
        self.requested = not self.wiz._replaying
        self.loading.show()
        self.body.setEnabled(False)
        self.show_errors({})
        self.completeChanged.emit()
        self.wiz.load_step_data(self)

    def data_arrived(self, data: StepData) -> None:
        self.data = data
        self.show_answers(self.wiz.state.answers[self.step_id], data)
        self.loading.hide()
        self.body.setEnabled(True)
        self._ready = True
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._ready

    def cleanupPage(self) -> None:
        # Back: keep what was typed here (even if not valid yet); no reset of fields.
        self.wiz.state = flow.go_back(self.wiz.state, self.values() if self._ready else None)

    def validatePage(self) -> bool:
        return self.wiz.validate_step_page(self)

    def field_widgets(self) -> dict[str, QWidget]:
        """Widgets to mark when their field has an error (field name -> widget)."""
        return {}

    def show_errors(self, errors: dict[str, str]) -> None:
        text = "\n".join(f"• {msg[0].upper()}{msg[1:]}" for msg in errors.values())
        self.errors.setText(text)
        self.errors.setVisible(bool(errors))
        for name, widget in self.field_widgets().items():
            widget.setProperty("invalid", "true" if name in errors else "false")
            widget.style().unpolish(widget)
            widget.style().polish(widget)
            widget.setToolTip(errors.get(name, ""))
