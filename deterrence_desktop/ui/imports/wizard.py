"""The import wizard: Source → Columns → Values → Check (the dry run, a decision per
row) → Done. Reading the file, the dry run and applying run on the worker with
progress and Cancel; applying is one transaction and one step on Edit → Undo."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QCheckBox, QComboBox, QFileDialog,
                               QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QMessageBox, QProgressBar, QPushButton, QRadioButton, QScrollArea,
                               QTableView, QVBoxLayout, QWidget, QWizard, QWizardPage)

from ...domain.enums import label
from ...domain.errors import DeterrenceError
from ...services.imports.mapping import FIELDS, ImportKind, Mapping
from ...services.imports.plan import Choice, ImportPlan, ImportReceipt, RowState
from ...services.imports.readers import MAX_ROWS
from ...services.imports.service import enum_choices
from ..context import AppContext
from .models import PlanRowsModel, StateFilter

KIND_TEXT = {ImportKind.PEOPLE: "People (a nominal list, a caseload)",
             ImportKind.GROUPS: "Groups and their members",
             ImportKind.ACTIONS: "Actions (a tracker someone else kept)",
             ImportKind.COMMUNICATIONS: "Communications (contacts logged elsewhere)"}
LEAVE = "(leave this column out)"
BLOCK = object()          # WorkPage.work(): stay on the page (it says why)


class ImportCommand(QUndoCommand):
    """Undo takes the whole import back; redo applies the same dry run again."""

    def __init__(self, ctx: AppContext, plan: ImportPlan, receipt: ImportReceipt):
        super().__init__(f"Import {plan.kind.value} from {plan.file_name}")
        self.ctx, self.plan, self.receipt = ctx, plan, receipt
        self._first = True

    def _run(self, fn, verb: str) -> None:
        def done(result):
            if isinstance(result, ImportReceipt):
                self.receipt = result
            self.ctx.data_changed.emit("person")
            self.ctx.data_changed.emit("group")
            self.ctx.data_changed.emit("action")
            self.ctx.data_changed.emit("communication")
            self.ctx.status_message.emit(f"{verb}: {self.text().lower()}")

        def failed(exc):
            QMessageBox.warning(None, f"Could not {verb.lower()} the import",
                                str(exc) if isinstance(exc, DeterrenceError) else type(exc).__name__)
        self.ctx.call(fn, done, failed, label=self.text())

    def undo(self) -> None:
        receipt = self.receipt
        self._run(lambda s: s.imports.undo(receipt), "Undone")

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        plan = self.plan
        self._run(lambda s: s.imports.apply(plan), "Redone")


class Busy(QWidget):
    """A progress line with Cancel, for the wizard's work on the worker."""

    def __init__(self, parent=None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.text = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.cancel = QPushButton("Cancel")
        row.addWidget(self.text)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        self.task = None
        self.cancel.clicked.connect(self._cancel)
        self.hide()

    def start(self, text: str, task) -> None:
        self.task = task
        self.text.setText(text)
        self.bar.setValue(0)
        self.show()

    def progress(self, done: int, total: int, text: str) -> None:
        self.bar.setValue(int(100 * done / max(total, 1)))
        if text:
            self.text.setText(text.capitalize() + "…")

    def stop(self) -> None:
        self.task = None
        self.hide()

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()


class WorkPage(QWizardPage):
    """A page whose Next runs work on the worker first, then moves on when it is done."""

    def __init__(self, wizard: "ImportWizard"):
        super().__init__()
        self.w = wizard
        self.ready = False
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #9C0006;")
        self.error.setAccessibleName("problem")
        self.busy = Busy()

    def work(self):                       # -> fn(services, report) or None to move on at once
        return None

    def done(self, result) -> None:
        pass

    def initializePage(self) -> None:
        self.ready = False
        self.error.setText("")

    def validatePage(self) -> bool:
        if self.ready:
            return True
        fn = self.work()
        if fn is BLOCK:
            return False
        if fn is None:
            return True
        services = self.w.ctx.services
        self.error.setText("")

        def run(control):
            return fn(services, lambda stage, pct: control.report(pct, 100, stage))

        def ok(result):
            self.busy.stop()
            self._enable(True)
            self.done(result)
            self.ready = True
            self.w.next()

        def failed(exc):
            self.busy.stop()
            self._enable(True)
            from ..tasks import Cancelled
            if isinstance(exc, Cancelled):
                self.error.setText("Cancelled: nothing was changed.")
            elif isinstance(exc, DeterrenceError):
                self.error.setText(str(exc))
            else:
                self.w.ctx.runner.unhandled_error.emit(exc)
        self._enable(False)
        task = self.w.ctx.runner.run_with_progress(run, ok, failed, self.busy.progress, label=self.title())
        self.busy.start("Working…", task)
        return False

    def _enable(self, on: bool) -> None:
        for b in (QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
                  QWizard.WizardButton.FinishButton):
            self.w.button(b).setEnabled(on)


class SourcePage(WorkPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        self.setTitle("Source")
        self.setSubTitle("Choose the spreadsheet (.xlsx, .ods or .csv) and what it holds. "
                         f"At most {MAX_ROWS:,} rows; nothing is written until you apply.")
        form = QFormLayout(self)
        self.kind = QComboBox()
        for k, text in KIND_TEXT.items():
            self.kind.addItem(text, k.value)
        form.addRow("The file &holds:", self.kind)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("The spreadsheet's path")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        file_label = QLabel("&File:")
        file_label.setBuddy(self.path)
        form.addRow(file_label, row)
        self.sheet = QComboBox()
        self.sheet.addItem("(the first sheet)", "")
        form.addRow("&Sheet:", self.sheet)
        self.path.editingFinished.connect(self._list_sheets)
        self.saved = QComboBox()
        form.addRow("Saved &mapping:", self.saved)
        form.addRow(self.busy)
        form.addRow(self.error)
        self.kind.currentIndexChanged.connect(self._fill_mappings)

    def initializePage(self) -> None:
        super().initializePage()
        self._fill_mappings()

    def _fill_mappings(self) -> None:
        kind = self.kind.currentData()
        self.saved.clear()
        self.saved.addItem("(guess from the header)", "")
        for m in self.w.mappings:
            if m.kind.value == kind:
                self.saved.addItem(m.name, m.name)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a spreadsheet", self.path.text(),
                                              "Spreadsheets (*.xlsx *.ods *.csv);;All files (*)")
        if path:
            self.path.setText(path)
            self._list_sheets()

    def _list_sheets(self) -> None:
        """Offer the file's sheets (read on the worker; a file that cannot be read says so
        when Next is pressed)."""
        from ...services.imports.readers import sheet_names
        path = self.path.text().strip()

        def listed(names):
            if path != self.path.text().strip():
                return
            self.sheet.clear()
            for n in names:
                self.sheet.addItem(n, n)
        if path and Path(path).is_file():
            self.w.ctx.runner.run(lambda: sheet_names(Path(path)), listed, lambda exc: None,
                                  label="list sheets")

    def work(self):
        path = self.path.text().strip()
        if not path:
            self.error.setText("Choose the spreadsheet to import.")
            return BLOCK
        kind, sheet, saved = self.kind.currentData(), self.sheet.currentData() or None, self.saved.currentData()

        def read(s, report):
            report("reading the file", 5)
            table = s.imports.read(Path(path), kind, sheet)
            mapping = s.imports.mapping(saved) if saved else s.imports.guess(table, kind)
            return table, mapping
        return read

    def done(self, result) -> None:
        self.w.table, self.w.mapping = result


class ColumnsPage(WorkPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        self.setTitle("Columns")
        self.setSubTitle("Each column of the file and the field it goes into. The guesses come "
                         "from the header and the values: correct any that are wrong.")
        outer = QVBoxLayout(self)
        self.header_note = QLabel("")
        outer.addWidget(self.header_note)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.inner = QWidget()
        self.form = QFormLayout(self.inner)
        scroll.setWidget(self.inner)
        outer.addWidget(scroll, 1)
        self.day_first = QCheckBox("Dates are &day first (01/02/2003 is 1 February)")
        self.day_first.setChecked(True)
        outer.addWidget(self.day_first)
        save_row = QHBoxLayout()
        self.save_name = QLineEdit()
        self.save_name.setPlaceholderText("Name to save this mapping under (optional)")
        self.save_name.setAccessibleName("Save the mapping as")
        save_row.addWidget(self.save_name, 1)
        outer.addLayout(save_row)
        outer.addWidget(self.error)
        self.combos: dict[str, QComboBox] = {}

    def initializePage(self) -> None:
        super().initializePage()
        t, m = self.w.table, self.w.mapping
        while self.form.rowCount():
            self.form.removeRow(0)
        self.combos.clear()
        self.header_note.setText(f"Header found on row {t.header_line} of sheet “{t.sheet}”; "
                                 f"{len(t.rows):,} rows of data; {len(t.skipped)} blank or total "
                                 f"row{'s' if len(t.skipped) != 1 else ''} left out.")
        fields = FIELDS[m.kind]
        for i, header in enumerate(t.headers):
            combo = QComboBox()
            combo.addItem(LEAVE, "")
            for f in fields:
                combo.addItem(f.label, f.key)
            combo.setCurrentIndex(max(0, combo.findData(m.columns.get(header, ""))))
            sample = ", ".join(v for v in t.column(i)[:3] if v)[:60]
            combo.setToolTip(f"For example: {sample}" if sample else "Empty in the first rows")
            lab = QLabel(f"{header}:")
            lab.setBuddy(combo)
            self.form.addRow(lab, combo)
            self.combos[header] = combo
        self.day_first.setChecked(m.day_first)
        self.save_name.setText(m.name)

    def work(self):
        m = self.w.mapping
        m.columns = {h: c.currentData() for h, c in self.combos.items()}
        used = [k for k in m.columns.values() if k]
        dup = {k for k in used if used.count(k) > 1}
        if dup:
            labels = ", ".join(f.label for f in FIELDS[m.kind] if f.key in dup)
            self.error.setText(f"Two columns go into the same field ({labels}): choose one.")
            return BLOCK
        m.day_first = self.day_first.isChecked()
        name = self.save_name.text().strip()
        if not name:
            return None
        m.name = name
        return lambda s, report: s.imports.save_mapping(m)


class ValuesPage(WorkPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        self.setTitle("Values")
        self.setSubTitle("What each word in the file means here (legal status, risk, kind of "
                         "action, status, channel). Unknown words must be chosen before the check.")
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        self.inner = QWidget()
        self.box = QVBoxLayout(self.inner)
        scroll.setWidget(self.inner)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.busy)
        outer.addWidget(self.error)
        self.combos: dict[tuple[str, str], QComboBox] = {}

    def initializePage(self) -> None:
        super().initializePage()
        while self.box.count():
            item = self.box.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.combos.clear()
        choices = enum_choices(self.w.table, self.w.mapping)
        m = self.w.mapping
        if not choices:
            self.box.addWidget(QLabel("No column holds a list of set values: nothing to choose here."))
        for key, rows in choices.items():
            f = next(f for f in FIELDS[m.kind] if f.key == key)
            group = QGroupBox(f.label)
            form = QFormLayout(group)
            for text, count, value in rows[:60]:
                combo = QComboBox()
                combo.addItem("(not known: choose)", "")
                for member in f.enum:
                    combo.addItem(label(member), member.value)
                combo.setCurrentIndex(max(0, combo.findData(value or "")))
                lab = QLabel(f"{text[:40]} ({count} row{'s' if count != 1 else ''}):")
                lab.setBuddy(combo)
                form.addRow(lab, combo)
                self.combos[(key, text)] = combo
            self.box.addWidget(group)
        self.box.addStretch(1)

    def work(self):
        m = self.w.mapping
        for (key, text), combo in self.combos.items():
            if combo.currentData():
                m.values.setdefault(key, {})[text] = combo.currentData()
        table = self.w.table
        return lambda s, report: s.imports.preview(table, m, report)

    def done(self, plan) -> None:
        self.w.plan = plan


class CheckPage(WorkPage):
    def __init__(self, wizard):
        super().__init__(wizard)
        self.setTitle("Check")
        self.setSubTitle("The dry run: what applying will do to each row. Choose for each likely "
                         "duplicate whether it is a new person, the same as one already here, or "
                         "left out. Nothing has been written yet.")
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.counts = QLabel("")
        self.counts.setWordWrap(True)
        top.addWidget(self.counts, 1)
        self.show_state = QComboBox()
        self.show_state.addItem("All rows", "")
        for s in RowState:
            self.show_state.addItem(s.value.capitalize(), s.value)
        show_label = QLabel("S&how:")
        show_label.setBuddy(self.show_state)
        top.addWidget(show_label)
        top.addWidget(self.show_state)
        outer.addLayout(top)
        self.model = PlanRowsModel(self)
        self.proxy = StateFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for col in (PlanRowsModel.LINE, PlanRowsModel.WHAT, PlanRowsModel.STATE, PlanRowsModel.MATCH):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PlanRowsModel.WHY, QHeaderView.ResizeMode.Stretch)
        outer.addWidget(self.table, 3)
        self.detail = QGroupBox("The selected row")
        dl = QVBoxLayout(self.detail)
        choice_row = QHBoxLayout()
        self.new_btn = QRadioButton("&New")
        self.same_btn = QRadioButton("&Same as the match")
        self.out_btn = QRadioButton("&Leave out")
        self.choices = QButtonGroup(self)
        for b, c in ((self.new_btn, Choice.NEW), (self.same_btn, Choice.SAME), (self.out_btn, Choice.LEAVE_OUT)):
            self.choices.addButton(b)
            b.setProperty("choice", c.value)
            choice_row.addWidget(b)
        choice_row.addStretch(1)
        dl.addLayout(choice_row)
        self.diff_form = QFormLayout()
        dl.addLayout(self.diff_form)
        outer.addWidget(self.detail, 2)
        outer.addWidget(self.busy)
        outer.addWidget(self.error)
        self.diff_boxes: dict[str, QCheckBox] = {}
        self.show_state.currentIndexChanged.connect(lambda: self.proxy.set_state(self.show_state.currentData()))
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_row())
        self.choices.buttonClicked.connect(self._choose)

    def initializePage(self) -> None:
        super().initializePage()
        self.model.set_rows(self.w.plan.rows)
        self._counts()
        self.setButtonText(QWizard.WizardButton.NextButton, "&Apply")
        self._show_row()
        if self.proxy.rowCount():
            self.table.selectRow(0)

    def _counts(self) -> None:
        self.counts.setText(self.w.plan.summary().capitalize() + ".")

    def current(self):
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None, -1
        src = self.proxy.mapToSource(idx).row()
        return self.model.row_object(src), src

    def _show_row(self) -> None:
        r, _ = self.current()
        while self.diff_form.rowCount():
            self.diff_form.removeRow(0)
        self.diff_boxes.clear()
        self.detail.setEnabled(r is not None and not r.errors)
        if r is None:
            return
        self.same_btn.setText(f"&Same as {r.match_label.split(' ')[0]}" if r.match_id else "&Same as the match")
        self.same_btn.setEnabled(r.match_id is not None)
        {Choice.NEW: self.new_btn, Choice.SAME: self.same_btn, Choice.LEAVE_OUT: self.out_btn}[r.choice].setChecked(True)
        if r.match_id is not None and r.diffs:
            self.diff_form.addRow(QLabel("<b>Where they differ</b> (ticked: the file's value is kept)"))
            for d in r.diffs:
                box = QCheckBox(f"{d.label}: here “{d.existing or '—'}”, in the file “{d.incoming}”")
                box.setChecked(d.field in r.take)
                box.setEnabled(r.choice == Choice.SAME)
                box.toggled.connect(lambda on, f=d.field: self._take(f, on))
                self.diff_form.addRow(box)
                self.diff_boxes[d.field] = box

    def _choose(self, button) -> None:
        r, src = self.current()
        if r is None:
            return
        r.choice = Choice(button.property("choice"))
        for box in self.diff_boxes.values():
            box.setEnabled(r.choice == Choice.SAME)
        self.model.refresh_row(src)
        self._counts()

    def _take(self, field: str, on: bool) -> None:
        r, src = self.current()
        if r is None:
            return
        (r.take.add if on else r.take.discard)(field)
        self.model.refresh_row(src)
        self._counts()

    def work(self):
        plan = self.w.plan
        return lambda s, report: s.imports.apply(plan, report)

    def done(self, receipt) -> None:
        self.w.receipt = receipt
        self.w.ctx.undo_stack.push(ImportCommand(self.w.ctx, self.w.plan, receipt))
        for kind in ("person", "group", "action", "communication"):
            self.w.ctx.data_changed.emit(kind)


class DonePage(QWizardPage):
    def __init__(self, wizard):
        super().__init__()
        self.w = wizard
        self.setTitle("Done")
        lay = QVBoxLayout(self)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        lay.addWidget(self.text)
        self.pdf = QPushButton("Save a &summary as PDF…")
        self.pdf.clicked.connect(self._save_pdf)
        row = QHBoxLayout()
        row.addWidget(self.pdf)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)

    def initializePage(self) -> None:
        r = self.w.receipt
        done = ", ".join(f"{n:,} {k}" for k, n in r.counts.items()) or "nothing changed"
        self.text.setText(f"Applied in one step: {done}.\n\nThe whole import can be undone with "
                          "Edit → Undo (Ctrl+Z) until the workspace is closed.")

    def _save_pdf(self) -> None:
        from ...services.imports.summary import default_name
        path, _ = QFileDialog.getSaveFileName(self, "Save the import summary",
                                              str(Path.home() / default_name(self.w.plan)),
                                              "PDF (*.pdf)")
        if not path:
            return
        plan, receipt = self.w.plan, self.w.receipt

        def saved(p):
            self.w.ctx.status_message.emit(f"Saved the import summary: {Path(p).name}")
        self.w.ctx.call(lambda s: s.imports.summary_pdf(plan, receipt, Path(path)), saved,
                        lambda exc: QMessageBox.warning(self, "Could not save the summary", str(exc)))


class ImportWizard(QWizard):
    def __init__(self, ctx: AppContext, parent=None, mappings: list[Mapping] | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import from a spreadsheet")
        self.setObjectName("import_wizard")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.mappings = mappings or []
        self.table = None
        self.mapping: Mapping | None = None
        self.plan: ImportPlan | None = None
        self.receipt: ImportReceipt | None = None
        for page in (SourcePage(self), ColumnsPage(self), ValuesPage(self), CheckPage(self), DonePage(self)):
            self.addPage(page)
        self.resize(900, 640)
        ctx.workspace_locked.connect(self.reject)

    def close_quietly(self) -> None:
        self.reject()


def open_import_wizard(ctx: AppContext, parent) -> None:
    """Load the saved mappings on the worker, then open the wizard."""
    def opened(mappings):
        wizard = ImportWizard(ctx, parent, mappings)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        wizard.open()
    ctx.call(lambda s: s.imports.mappings(), opened, label="import mappings")
