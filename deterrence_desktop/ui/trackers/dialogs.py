"""Dialogs: export an action tracker for a partner; check a partner's return and apply it.

Both are thin: every service call goes through the task runner (``ctx.runner``)
with progress and a cancel, and the dialogs hold read models only. Locking the
workspace closes them and drops the dry run.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
    QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton, QTableView, QVBoxLayout, QWidget,
)

from ...domain import clock
from ...domain.errors import DeterrenceError, readable
from ...services.trackers import IN_FORCE_STATES, ReturnPlan, RowState
from ..errors import show_failure
from ..tasks import Cancelled
from .models import ReturnRowsModel

ALL_PARTNERS = None


def documents_folder() -> Path:
    """The user's documents folder: where a tracker is saved unless they choose (it may
    not exist yet on a fresh account: the export then creates it)."""
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(loc) if loc else Path.home()


def _existing_documents() -> Path:
    """Where to start looking for a returned file: the documents folder, or home."""
    docs = documents_folder()
    return docs if docs.is_dir() else Path.home()


def _safe_file_part(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name).strip("-").lower() or "tracker"


class _TaskDialog(QDialog):
    """Shared: a progress bar with a cancel, an inline message line, and closing on lock."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.task = None
        self.closed = False        # callbacks that arrive after closing are dropped
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setTextVisible(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("trackerMessage")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ctx.workspace_locked.connect(self._locked)

    def _locked(self) -> None:
        self.drop()
        self.reject()

    def drop(self) -> None:
        """Forget what the dialog holds (overridden where it holds rows)."""

    def reject(self) -> None:
        if self.task is not None:
            self.task.cancel()
        super().reject()

    def done(self, result: int) -> None:
        self.closed = True
        if self.task is not None:
            self.task.cancel()
        try:
            self.ctx.workspace_locked.disconnect(self._locked)
        except (RuntimeError, TypeError):
            pass
        super().done(result)

    def _start(self, fn, on_success, label: str) -> None:
        services = self.ctx.services
        if services is None:
            return
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self._busy(True)
        self.task = self.ctx.runner.run_with_progress(
            lambda control: fn(services, control), self._wrap(on_success),
            self.alive(self._failed), self.alive(self._progress), label=label)

    def alive(self, callback):
        """``callback``, dropped once the dialog has closed (it may be deleted by then)."""
        def call(*args) -> None:
            if not self.closed:
                callback(*args)
        return call

    def _wrap(self, on_success):
        def done(result) -> None:
            if self.closed:
                return
            self.task = None
            self.progress.setVisible(False)
            self._busy(False)
            on_success(result)
        return done

    def _progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        self.progress.setFormat(f"{text} %v / %m" if total else text)

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self.progress.setVisible(False)
        self._busy(False)
        if isinstance(exc, Cancelled):
            self.show_message("Cancelled: nothing was written.")
        elif isinstance(exc, DeterrenceError):
            self.show_message(readable(exc), error=True)
        else:
            show_failure(self, exc)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #9C0006;" if error else "")

    def _busy(self, busy: bool) -> None:
        """Enable or disable the inputs while a task runs (overridden)."""


class ExportTrackerDialog(_TaskDialog):
    """Choose a partner (or all), names or references, and a file; then export."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setWindowTitle("Export action tracker")
        self.setMinimumWidth(560)
        self.result_export = None
        self._partners: dict[int, object] = {}

        self.partner = QComboBox()
        self.partner.addItem("All partners (the whole partnership)", ALL_PARTNERS)
        self.names = QCheckBox("Show people's names (otherwise partnership references only)")
        self.agreement = QLabel()
        self.agreement.setWordWrap(True)
        self.agreement.setStyleSheet("color: #9C0006;")
        self.override = QCheckBox("Export anyway (override the agreement check)")
        self.path = QLineEdit()
        self.path.setPlaceholderText("Where to save the .xlsx file")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)

        form = QFormLayout()
        form.addRow("Partner", self.partner)
        form.addRow("", self.names)
        form.addRow("Save as", file_row)
        note = QLabel("The tracker is marked OFFICIAL-SENSITIVE and the export is recorded in "
                      "the audit trail as a disclosure to the partner.")
        note.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self._cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.agreement)
        layout.addWidget(self.override)
        layout.addWidget(note)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        actor = getattr(ctx.services, "actor", None)
        if actor is not None and actor.role.value != "coordinator":
            self.names.setEnabled(False)
            self.names.setToolTip("Only a coordinator can send people's names")
        self.partner.currentIndexChanged.connect(self._partner_changed)
        self.override.toggled.connect(self._update)
        self.path.textChanged.connect(self._update)
        self._partner_changed()
        self.load()

    def load(self) -> None:
        self.ctx.call(lambda s: s.partners.list(), self.alive(self._loaded),
                      self.alive(self._failed), label="partners")

    def _loaded(self, partners) -> None:
        current = self.partner.currentData()
        self._partners = {p.id: p for p in partners}
        self.partner.blockSignals(True)
        while self.partner.count() > 1:
            self.partner.removeItem(1)
        for p in partners:
            state = "" if p.isa_state in IN_FORCE_STATES else f" — agreement {p.isa_state}"
            self.partner.addItem(f"{p.name}{state}", p.id)
        idx = self.partner.findData(current)
        self.partner.setCurrentIndex(max(idx, 0))
        self.partner.blockSignals(False)
        self._partner_changed()

    def select_partner(self, partner_id: int | None) -> None:
        self.partner.setCurrentIndex(max(self.partner.findData(partner_id), 0))

    def _selected(self):
        pid = self.partner.currentData()
        return None if pid is None else self._partners.get(pid)

    def _needs_override(self) -> bool:
        p = self._selected()
        return p is not None and p.isa_state not in IN_FORCE_STATES

    def _partner_changed(self) -> None:
        p = self._selected()
        needs = self._needs_override()
        self.agreement.setVisible(needs)
        self.override.setVisible(needs)
        if needs:
            why = {"ended": "The information-sharing agreement with this partner has ended.",
                   "not started": "The information-sharing agreement with this partner has "
                                  "not started yet.",
                   }.get(p.isa_state, "No information-sharing agreement is recorded for this "
                                      "partner.")
            self.agreement.setText(f"{why} Exporting needs an explicit override.")
        self.override.setChecked(False)
        if self.isVisible():
            self.adjustSize()
        if not self.path.text() or self.path.property("suggested"):
            name = _safe_file_part(p.name) if p else "all-partners"
            services = self.ctx.services
            today = services.today() if services is not None else clock.today()
            self.path.setText(str(documents_folder() / f"tracker-{name}-{today:%Y-%m-%d}.xlsx"))
            self.path.setProperty("suggested", True)
        self._update()

    def _choose(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Save the tracker as", self.path.text(),
                                                "Excel workbook (*.xlsx)")
        if chosen:
            if not chosen.lower().endswith(".xlsx"):
                chosen += ".xlsx"
            self.path.setText(chosen)
            self.path.setProperty("suggested", False)

    def _update(self) -> None:
        ok = bool(self.path.text().strip()) and (not self._needs_override()
                                                 or self.override.isChecked())
        self.export_button.setEnabled(ok and self.task is None)

    def _busy(self, busy: bool) -> None:
        for w in (self.partner, self.override, self.path):
            w.setEnabled(not busy)
        self.names.setEnabled(not busy and not self.names.toolTip())
        self.close_button.setText("Cancel" if busy else "Close" if self.result_export else "Cancel")
        self._update()

    def _cancel_or_close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        else:
            self.reject()

    def export(self) -> None:
        path = Path(self.path.text().strip())
        if path.suffix.lower() != ".xlsx":
            path = path.with_suffix(".xlsx")
        pid = self.partner.currentData()
        names = self.names.isChecked()
        force = self._needs_override() and self.override.isChecked()
        suggested = bool(self.path.property("suggested"))   # our folder: made if missing
        self.show_message("")
        self._start(lambda s, control: s.trackers.export(path, pid, names, force,
                                                         progress=control.report,
                                                         create_folder=suggested),
                    self._exported, "tracker export")

    def _exported(self, result) -> None:
        self.result_export = result
        self.show_message(f"Saved {result.rows:,} actions for {result.recipient} to "
                          f"{result.path} ({'names' if result.names else 'references only'}; "
                          f"export {result.export_id}).")
        self.close_button.setText("Close")
        self._update()


class ImportTrackerDialog(_TaskDialog):
    """Choose a returned tracker, see the dry run row by row, tick what to accept, apply."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setWindowTitle("Import a returned tracker")
        self.resize(940, 560)
        self.plan: ReturnPlan | None = None
        self.result_apply = None

        self.path = QLineEdit()
        self.path.setPlaceholderText("The .xlsx file the partner sent back")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose)
        self.check_button = QPushButton("Check file")
        self.check_button.clicked.connect(self.check)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel("Returned tracker"))
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        file_row.addWidget(self.check_button)

        self.summary = QLabel("Choose the file and check it: nothing changes until you apply.")
        self.summary.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #7F4F00;")
        self.problems.setVisible(False)

        self.model = ReturnRowsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ReturnRowsModel.CHANGES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ReturnRowsModel.MESSAGE, QHeaderView.ResizeMode.Stretch)
        for col, width in ((ReturnRowsModel.ACCEPT, 60), (ReturnRowsModel.LINE, 50),
                           (ReturnRowsModel.ACTION, 60), (ReturnRowsModel.RESULT, 80)):
            self.table.setColumnWidth(col, width)
        self.model.dataChanged.connect(self._update)
        self.model.modelReset.connect(self._update)

        self.buttons = QDialogButtonBox()
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.apply_button.clicked.connect(self.apply)
        self.close_button.clicked.connect(self._cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addLayout(file_row)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.path.textChanged.connect(self._update)
        self._update()

    def drop(self) -> None:
        self.plan = None
        self.model.clear()

    def _choose(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "Open a returned tracker",
                                                str(_existing_documents()),
                                                "Excel workbook (*.xlsx)")
        if chosen:
            self.path.setText(chosen)
            self.check()

    def _cancel_or_close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        else:
            self.reject()

    def _busy(self, busy: bool) -> None:
        for w in (self.path, self.check_button, self.table):
            w.setEnabled(not busy)
        self.close_button.setText("Cancel" if busy else "Close")
        self._update()

    def _update(self, *args) -> None:
        self.check_button.setEnabled(bool(self.path.text().strip()) and self.task is None)
        n = len(self.model.accepted_ids()) if self.plan is not None else 0
        self.apply_button.setText(f"Apply {n} accepted" if n else "Apply")
        self.apply_button.setEnabled(n > 0 and self.task is None)

    def check(self) -> None:
        path = Path(self.path.text().strip())
        self.drop()
        self.problems.setVisible(False)
        self.show_message("")
        self.summary.setText("Checking…")
        self._start(lambda s, control: s.trackers.check_return(path, progress=control.report),
                    self._checked, "tracker check")

    def _failed(self, exc: BaseException) -> None:
        if self.plan is None:
            self.summary.setText("The file was not imported.")
        super()._failed(exc)

    def _checked(self, plan: ReturnPlan) -> None:
        self.plan = plan
        self.model.set_rows(plan.rows)
        self.summary.setText(
            f"Return from {plan.recipient}, {plan.export_label}: "
            f"{plan.count(RowState.CHANGE)} to change, {plan.count(RowState.CONFLICT)} in "
            f"conflict (changed here since the export; tick to overwrite), "
            f"{plan.count(RowState.ERROR)} with errors (never applied), "
            f"{plan.count(RowState.UNCHANGED)} unchanged. Nothing has changed yet.")
        self.problems.setText("\n".join(plan.problems))
        self.problems.setVisible(bool(plan.problems))
        self._update()

    def apply(self) -> None:
        if self.plan is None:
            return
        plan, accepted = self.plan, self.model.accepted_ids()
        self.show_message("")
        self._start(lambda s, control: s.trackers.apply_return(plan, accepted,
                                                               progress=control.report),
                    self._applied, "tracker apply")

    def _applied(self, result) -> None:
        self.result_apply = result
        self.drop()
        self.summary.setText("Applied. Check the file again to see what is left.")
        self.show_message(f"Applied {result.fields} changes to {result.applied} actions.")
        self.ctx.data_changed.emit("action")
        self._update()
