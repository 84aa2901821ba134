"""Letters: choose a template and people, check every merge field, print; edit templates.

The page holds read models only (template list, people summaries, pre-flight
problems); every service call runs on the database worker through ``ctx``.
Printing runs with progress and a Cancel button (``run_with_progress``); a
cancelled or blocked batch writes no file and records nothing. Locking the
workspace drops every row the page holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QHeaderView,
    QLabel, QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QProgressBar, QPushButton,
    QScrollArea, QSplitter, QStackedWidget, QTableView, QTabWidget, QVBoxLayout, QWidget,
)

from ...domain.errors import DeterrenceError, readable
from ...services.letters import (
    MERGE_FIELDS, LetterPreflightError, LetterRequest, Preflight, Problem, SignatoryView,
    TemplateInfo,
)
from ..errors import show_failure
from ..flow import FlowLayout
from ..models import Column, RowsModel, SearchProxy, text_column
from ..page import Page
from ..style import set_role
from ..tasks import Cancelled
from .preview import Preview, make_preview
from .signatories import SignatoriesTab, signatory_label

LANGUAGE_CHOICES = [
    ("English", ("en", "welsh_first")),
    ("Cymraeg (Welsh)", ("cy", "welsh_first")),
    ("Bilingual: Welsh first, then English", ("bilingual", "welsh_first")),
    ("Bilingual: Welsh and English side by side", ("bilingual", "side_by_side")),
]
SOURCE_CHOICES = [
    ("People I select", "people"),
    ("Everyone in a cohort", "cohort"),
    ("A call-in's invitees", "invitees"),
    ("A call-in's no-shows", "no_shows"),
]
NEEDS_CALL_IN = ("call_in_invitation", "no_show_follow_up")


@dataclass(frozen=True)
class _PersonRow:
    id: int
    reference: str
    name: str
    groups: str


@dataclass(frozen=True)
class Choices:
    templates: tuple[TemplateInfo, ...]
    people: tuple[_PersonRow, ...]
    cohorts: tuple[tuple[int, str, int], ...]
    call_ins: tuple[tuple[int, str, str], ...]
    signatories: tuple[SignatoryView, ...]


def load_choices(services) -> Choices:
    """Runs on the worker."""
    people = tuple(_PersonRow(p.id, p.reference, p.display_name, ", ".join(p.groups))
                   for p in services.people.list())
    return Choices(
        tuple(services.letters.templates()), people,
        tuple((c.id, c.name, c.members) for c in services.cohorts.list()),
        tuple((cid, title, when.strftime("%d %b %Y %H:%M")) for cid, title, when in services.letters.call_ins()),
        tuple(services.letters.signatories()))


def _documents() -> Path:
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(loc) if loc and Path(loc).is_dir() else Path.home()


def _file_dialog(parent: QWidget, title: str, start: Path, chosen, *, save: bool = False,
                 folder: bool = False) -> QFileDialog:
    """Ask for a file (or folder) without blocking: ``chosen(path)`` runs when one is
    accepted. Qt's own dialog, the same on every desktop (and drivable by the journeys)."""
    dialog = QFileDialog(parent, title, str(start))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if folder:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
    else:
        dialog.setNameFilter("PDF (*.pdf)")
        dialog.setDefaultSuffix("pdf")
        if save:
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.selectFile(start.name)
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def _table(model, stretch: int) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def problem_columns() -> list[Column]:
    return [
        Column("", lambda p: "Warning" if p.warning else "Blocks", lambda p: p.warning),
        Column("Person", lambda p: p.reference or "All letters", lambda p: p.reference),
        Column("About", lambda p: "{" + p.field + "}" if p.field in MERGE_FIELDS
               else p.field.replace("_", " "), lambda p: p.field),
        text_column("What is wrong", "message"),
        text_column("How to fix it", "fix"),
    ]


class LettersPage(Page):
    title = "Letters"
    data_kinds = ("person", "cohort", "call_in", "letter_template", "signatory")

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.choices: Choices | None = None
        self.excluded: dict[int, str] = {}          # person id -> reference
        self.last_check: Preflight | None = None
        self.task = None
        self.last_result = None

        layout = QVBoxLayout(self)
        heading = QLabel("Letters")
        set_role(heading, "heading")
        layout.addWidget(heading)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs)
        self.tabs.addTab(self._build_print_tab(), "Print letters")
        self.editor = TemplateEditor(ctx, self)
        self.tabs.addTab(self.editor, "Templates")
        self.signers = SignatoriesTab(ctx, self)
        self.tabs.addTab(self.signers, "Signatories and letterhead")

    # ------------------------------------------------------------------ print tab
    def _build_print_tab(self) -> QWidget:
        tab = QWidget()
        outer = QHBoxLayout(tab)
        left = QWidget()
        form_box = QVBoxLayout(left)
        form = QFormLayout()
        self.template = QComboBox()
        self.template.setObjectName("letterTemplate")
        self.language = QComboBox()
        for text, data in LANGUAGE_CHOICES:
            self.language.addItem(text, data)
        self.source = QComboBox()
        for text, data in SOURCE_CHOICES:
            self.source.addItem(text, data)
        self.cohort = QComboBox()
        self.call_in = QComboBox()
        form.addRow("&Letter", self.template)
        form.addRow("L&anguage", self.language)
        form.addRow("&Who", self.source)
        form.addRow("&Cohort", self.cohort)
        form.addRow("Call-&in", self.call_in)
        form_box.addLayout(form)
        self.call_in_hint = QLabel("The call-in gives the date, time and venue in the letter.")
        set_role(self.call_in_hint, "muted")
        self.call_in_hint.setWordWrap(True)
        form_box.addWidget(self.call_in_hint)
        signed = QLabel("Signed &by (untick who should not sign)")
        self.signed_by = QListWidget()
        self.signed_by.setAccessibleName("Signed by")
        self.signed_by.setMaximumHeight(72)
        signed.setBuddy(self.signed_by)
        form_box.addWidget(signed)
        form_box.addWidget(self.signed_by)

        self.people_box = QWidget()
        pb = QVBoxLayout(self.people_box)
        pb.setContentsMargins(0, 0, 0, 0)
        self.people_search = QLineEdit()
        self.people_search.setPlaceholderText("Find people (reference, name, group)")
        self.people_model: RowsModel[_PersonRow] = RowsModel([
            text_column("Reference", "reference"), text_column("Name", "name"),
            text_column("Groups", "groups")])
        self.people_proxy = SearchProxy(self)
        self.people_proxy.setSourceModel(self.people_model)
        self.people_view = _table(self.people_proxy, 2)
        self.people_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.people_view.setSortingEnabled(True)
        self.people_search.textChanged.connect(self.people_proxy.set_search)
        self.selected_label = QLabel("No one selected")
        set_role(self.selected_label, "muted")
        self.people_view.selectionModel().selectionChanged.connect(self._selection_changed)
        pb.addWidget(self.people_search)
        pb.addWidget(self.people_view)
        pb.addWidget(self.selected_label)
        form_box.addWidget(self.people_box, 10)
        form_box.addStretch(1)

        self.per_letter = QCheckBox("Also save one PDF per letter (named by letter reference)")
        form_box.addWidget(self.per_letter)
        outer.addWidget(left, 1)

        right = QWidget()
        rb = QVBoxLayout(right)
        buttons = QHBoxLayout()
        self.check_button = QPushButton("&Check letters")
        self.print_button = QPushButton("&Print…")
        self.print_button.setProperty("default", True)
        self.print_button.setEnabled(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        rb.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        rb.addWidget(self.progress)
        self.status = QLabel("Choose a letter and the people to send it to, then check the letters. "
                             "Nothing is printed until every merge field of every letter is filled.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.status, "hint")
        rb.addWidget(self.status)
        self.problems_model: RowsModel[Problem] = RowsModel(problem_columns())
        self.problems_view = _table(self.problems_model, 3)
        self.problems_view.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.problems_view.setWordWrap(True)
        self.problems_view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.problems_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.problems_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        rb.addWidget(self.problems_view, 1)
        ex = FlowLayout()              # wraps on a laptop screen rather than widening the page
        self.exclude_button = QPushButton("&Leave out the selected people")
        self.exclude_all_button = QPushButton("Leave out &everyone with a problem")
        self.include_button = QPushButton("Put everyone &back")
        ex.addWidget(self.exclude_button)
        ex.addWidget(self.exclude_all_button)
        ex.addWidget(self.include_button)
        rb.addLayout(ex)
        self.excluded_label = QLabel("")
        self.excluded_label.setWordWrap(True)
        set_role(self.excluded_label, "muted")
        rb.addWidget(self.excluded_label)
        again = FlowLayout()
        self.reprint_ref = QLineEdit()
        self.reprint_ref.setPlaceholderText("Letter reference, e.g. L-2026-000001")
        self.reprint_ref.setMinimumWidth(240)
        self.reprint_button = QPushButton("&Reprint…")
        self.verify_button = QPushButton("Check a printed &file…")
        again.addWidget(QLabel("Reprint word for word:"))
        again.addWidget(self.reprint_ref)
        again.addWidget(self.reprint_button)
        again.addWidget(self.verify_button)
        rb.addLayout(again)
        outer.addWidget(right, 1)

        self.source.currentIndexChanged.connect(self._source_changed)
        for combo in (self.template, self.language, self.source, self.cohort, self.call_in):
            combo.currentIndexChanged.connect(self._request_changed)
        self.signed_by.itemChanged.connect(self._request_changed)
        self.check_button.clicked.connect(self.check)
        self.print_button.clicked.connect(self._ask_and_print)
        self.cancel_button.clicked.connect(self.cancel)
        self.exclude_button.clicked.connect(self.exclude_selected)
        self.exclude_all_button.clicked.connect(self.exclude_all_blocked)
        self.include_button.clicked.connect(self.include_all)
        self.reprint_button.clicked.connect(self._ask_and_reprint)
        self.verify_button.clicked.connect(self._ask_and_verify)
        self._source_changed()
        return tab

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        self.ctx.call(load_choices, self._loaded, lambda e: show_failure(self, e))
        self.signers.reload()

    def clear(self) -> None:
        self.cancel()
        self.choices = None
        self.people_model.clear()
        self.problems_model.clear()
        self.excluded.clear()
        self.last_check = None
        for combo in (self.template, self.cohort, self.call_in):
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self.excluded_label.setText("")
        self.print_button.setEnabled(False)
        self.signed_by.clear()
        self.editor.clear()
        self.signers.clear()

    def _loaded(self, choices: Choices) -> None:
        self.choices = choices
        keep = self.template.currentData()
        self.template.blockSignals(True)
        self.template.clear()
        for t in choices.templates:
            if t.language == "en":
                self.template.addItem(f"{t.title or t.name}  ({t.name.replace('_', ' ')})", t.name)
        if keep is not None and self.template.findData(keep) >= 0:
            self.template.setCurrentIndex(self.template.findData(keep))
        self.template.blockSignals(False)
        for combo, items in ((self.cohort, [(f"{n} ({m} people)", i) for i, n, m in choices.cohorts]),
                             (self.call_in, [(f"{t} — {w}", i) for i, t, w in choices.call_ins])):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if combo is self.call_in:
                combo.addItem("— none —", None)
            for text, data in items:
                combo.addItem(text, data)
            if keep is not None and combo.findData(keep) >= 0:
                combo.setCurrentIndex(combo.findData(keep))
            elif combo is self.call_in and combo.count() > 1:
                combo.setCurrentIndex(1)
            combo.blockSignals(False)
        self.people_model.set_rows(choices.people)
        self._fill_signed_by(choices.signatories)
        if not choices.signatories:
            self._say("No one signs letters yet: add a signatory in the Signatories and letterhead "
                      "tab before printing.", "warning")
        self.editor.set_templates(choices.templates)
        self._request_changed()

    def _fill_signed_by(self, signatories: tuple[SignatoryView, ...]) -> None:
        """Everyone signs unless unticked; a choice survives a reload."""
        unticked = {self.signed_by.item(i).data(Qt.ItemDataRole.UserRole)
                    for i in range(self.signed_by.count())
                    if self.signed_by.item(i).checkState() != Qt.CheckState.Checked}
        self.signed_by.blockSignals(True)
        self.signed_by.clear()
        for sig in signatories:
            item = QListWidgetItem(", ".join(x for x in (sig.name, sig.partner_name) if x))
            item.setToolTip(signatory_label(sig))
            item.setData(Qt.ItemDataRole.UserRole, sig.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if sig.id in unticked else Qt.CheckState.Checked)
            self.signed_by.addItem(item)
        self.signed_by.blockSignals(False)

    def signatory_ids(self) -> tuple[int, ...] | None:
        """Who signs: None for everyone (also whoever is added later)."""
        items = [self.signed_by.item(i) for i in range(self.signed_by.count())]
        ticked = tuple(i.data(Qt.ItemDataRole.UserRole) for i in items
                       if i.checkState() == Qt.CheckState.Checked)
        return None if len(ticked) == len(items) else ticked

    # ------------------------------------------------------------------ the request
    def _source_changed(self) -> None:
        source = self.source.currentData()
        self.people_box.setVisible(source == "people")
        self.cohort.setEnabled(source == "cohort")

    def _selection_changed(self) -> None:
        n = len(self.people_view.selectionModel().selectedRows())
        self.selected_label.setText(f"{n} selected" if n else "No one selected")
        self._request_changed()

    def _request_changed(self) -> None:
        """Any change to what is asked invalidates the last check."""
        self.last_check = None
        self.print_button.setEnabled(False)

    def selected_person_ids(self) -> tuple[int, ...]:
        rows = self.people_view.selectionModel().selectedRows()
        out = []
        for index in rows:
            row = self.people_model.row_object(self.people_proxy.mapToSource(index).row())
            if row is not None:
                out.append(row.id)
        return tuple(out)

    def select_people(self, references: list[str]) -> None:
        """Select these people in the list (keyboard users and tests)."""
        from PySide6.QtCore import QItemSelection, QItemSelectionModel
        selection = QItemSelection()
        for i, row in enumerate(self.people_model.rows):
            if row.reference in references:
                index = self.people_proxy.mapFromSource(self.people_model.index(i, 0))
                selection.select(index, index)
        self.people_view.selectionModel().select(
            selection, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def request(self) -> LetterRequest:
        language, layout = self.language.currentData()
        source = self.source.currentData()
        return LetterRequest(
            template=self.template.currentData() or "", language=language, layout=layout,
            source=source, person_ids=self.selected_person_ids() if source == "people" else (),
            cohort_id=self.cohort.currentData() if source == "cohort" else None,
            call_in_id=self.call_in.currentData(), exclude=frozenset(self.excluded),
            signatory_ids=self.signatory_ids())

    # ------------------------------------------------------------------ checking
    def check(self) -> None:
        request = self.request()
        self._say("Checking every merge field of every letter…", "hint")
        self.ctx.call(lambda s: s.letters.preflight(request), self._checked,
                      lambda e: self._failed(e))

    def _checked(self, result: Preflight) -> None:
        self.last_check = result
        self.problems_model.set_rows(result.problems + result.warnings)
        self._show_excluded()
        w = len(result.warnings)
        warned = (f" {w} warning{'s' if w != 1 else ''} to look at first: see How to fix it."
                  if w else "")
        if result.ok:
            n = len(result.people)
            self._say(f"Ready: {n} letter{'s' if n != 1 else ''}, every merge field filled.{warned} "
                      "Press Print to choose where to save the PDF.", "hint")
        else:
            who = result.blocked_references
            n = len(result.problems)
            text = f"{n} problem{'s' if n != 1 else ''} block{'' if n != 1 else 's'} these letters"
            if who:
                text += (f" ({len(who)} {'people' if len(who) != 1 else 'person'}: "
                         f"{', '.join(who[:12])}{' …' if len(who) > 12 else ''})")
            text += "."
            if result.blocks_every_letter:
                text += " Those for all letters must be fixed first: see How to fix it."
            if who:
                text += " Fix the records named, or leave those people out and check again."
            self._say(text + warned, "warning")
        self.print_button.setEnabled(result.ok)

    def exclude_selected(self) -> None:
        for index in self.problems_view.selectionModel().selectedRows():
            problem = self.problems_model.row_object(index.row())
            if problem is not None and problem.person_id is not None:
                self.excluded[problem.person_id] = problem.reference
        self.check()

    def exclude_all_blocked(self) -> None:
        for problem in self.problems_model.rows:
            if problem.person_id is not None and not problem.warning:
                self.excluded[problem.person_id] = problem.reference
        self.check()

    def include_all(self) -> None:
        self.excluded.clear()
        self.check()

    def _show_excluded(self) -> None:
        refs = sorted(self.excluded.values())
        self.excluded_label.setText("Left out: " + ", ".join(refs) if refs else "")

    # ------------------------------------------------------------------ printing
    def _ask_and_print(self) -> None:
        name = f"letters-{self.template.currentData() or 'batch'}.pdf"
        _file_dialog(self, "Save the letters for printing", _documents() / name, self._print_chosen,
                     save=True)

    def _print_chosen(self, path: str) -> None:
        path = path if path.lower().endswith(".pdf") else path + ".pdf"
        if self.per_letter.isChecked():
            _file_dialog(self, "Folder for the single-letter files", Path(path).parent,
                         lambda folder: self.generate_to(Path(path), Path(folder)), folder=True)
        else:
            self.generate_to(Path(path))

    def generate_to(self, path: Path, per_letter_dir: Path | None = None) -> None:
        services = self.ctx.services
        if services is None or self.task is not None:
            return
        request = self.request()
        self._busy(True)
        self._say("Printing…", "hint")
        self.task = self.ctx.runner.run_with_progress(
            lambda control: services.letters.generate(request, path, per_letter_dir, control),
            on_success=self._printed, on_failure=self._failed, on_progress=self._progress,
            label="letters")

    def _ask_and_reprint(self) -> None:
        ref = self.reprint_ref.text().strip().upper()
        if not ref:
            self._say("Type the reference of the letter to reprint (it is on every page).", "warning")
            return
        _file_dialog(self, "Save the reprint", _documents() / f"{ref}.pdf",
                     lambda path: self.reprint_to(ref, Path(path)), save=True)

    def reprint_to(self, reference: str, path: Path) -> None:
        self._say(f"Reprinting {reference}…", "hint")
        self.ctx.call(lambda s: s.letters.reprint(reference, path),
                      lambda sha: self._say(f"Reprinted {reference} to {path.name}, word for word "
                                            "as it was issued. The reprint is recorded in the audit "
                                            "trail.", "hint"),
                      self._failed)

    def _ask_and_verify(self) -> None:
        _file_dialog(self, "Which printed file?", _documents(), lambda path: self.verify_file(Path(path)))

    def verify_file(self, path: Path) -> None:
        """Tell whether this file is, byte for byte, a batch the workspace issued."""
        from ...services.letters import sha256_of

        def work(s):
            return s.letters.issued_with(sha256_of(path))

        def show(refs: list[str]) -> None:
            if refs:
                self._say(f"{path.name} is exactly the file issued with {len(refs)} letters "
                          f"({refs[0]} to {refs[-1]}).", "hint")
            else:
                self._say(f"{path.name} is not a file this workspace issued (or it was changed).",
                          "warning")
        self.ctx.call(work, show, self._failed)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _progress(self, done: int, total: int, text: str) -> None:
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)
        self.progress.setFormat(text or "%v of %m")

    def _printed(self, result) -> None:
        self.task = None
        self.last_result = result
        self._busy(False)
        extra = f" and {len(result.per_letter)} single-letter files" if result.per_letter else ""
        self._say(f"Saved {result.letters} letters ({result.pages} pages){extra} to {result.path.name}. "
                  f"Each letter is recorded as a communication; batch {result.batch_id}, "
                  f"letters {result.references[0]} to {result.references[-1]}.", "hint")
        self.print_button.setEnabled(False)
        self.last_check = None
        self.ctx.data_changed.emit("communication")

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self._busy(False)
        if isinstance(exc, Cancelled):
            self._say("Cancelled: no file was written and nothing was recorded.", "warning")
        elif isinstance(exc, LetterPreflightError):
            self._checked(exc.preflight)
        elif isinstance(exc, DeterrenceError):
            self._say(readable(exc), "warning")
        elif isinstance(exc, OSError):
            self._say(f"The file could not be written ({exc.strerror or type(exc).__name__}); "
                      "nothing was recorded.", "warning")
        else:
            show_failure(self, exc)

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setValue(0)
        self.cancel_button.setVisible(busy)
        for w in (self.check_button, self.print_button, self.exclude_button,
                  self.exclude_all_button, self.include_button):
            w.setEnabled(not busy)

    def _say(self, text: str, role: str) -> None:
        self.status.setText(text)
        set_role(self.status, role)


class TemplateEditor(QWidget):
    """Edit a template's words with a live preview; saving makes a new version."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.templates: tuple[TemplateInfo, ...] = ()
        self.loaded = None                 # the Template being edited
        self.last_preview: Preview | None = None
        self._preview_serial = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(400)
        self._timer.timeout.connect(self.refresh_preview)

        outer = QHBoxLayout(self)
        split = QSplitter()
        outer.addWidget(split)
        left = QWidget()
        lb = QVBoxLayout(left)
        top = QHBoxLayout()
        self.name = QComboBox()
        self.lang = QComboBox()
        self.lang.addItem("English", "en")
        self.lang.addItem("Cymraeg (Welsh)", "cy")
        top.addWidget(QLabel("Template"))
        top.addWidget(self.name, 1)
        top.addWidget(self.lang)
        lb.addLayout(top)
        self.version = QLabel("")
        set_role(self.version, "muted")
        lb.addWidget(self.version)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("Title")
        lb.addWidget(self.title_edit)
        self.body = QPlainTextEdit()
        self.body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lb.addWidget(self.body, 1)
        help_text = QLabel("A blank line starts a new paragraph; '# ' starts a heading; '- ' a bullet. "
                           "Double-click a merge field to insert it.")
        help_text.setWordWrap(True)
        set_role(help_text, "muted")
        lb.addWidget(help_text)
        self.fields = QListWidget()
        self.fields.setMaximumHeight(150)
        for name, description in MERGE_FIELDS.items():
            item = QListWidgetItem("{" + name + "}  " + description)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.fields.addItem(item)
        lb.addWidget(self.fields)
        row = QHBoxLayout()
        self.save_button = QPushButton("&Save as a new version")
        self.revert_button = QPushButton("&Revert")
        row.addWidget(self.save_button)
        row.addWidget(self.revert_button)
        row.addStretch(1)
        lb.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        lb.addWidget(self.message)
        split.addWidget(left)

        right = QWidget()
        rb = QVBoxLayout(right)
        self.mode = QLabel("")
        set_role(self.mode, "muted")
        self.mode.setWordWrap(True)
        rb.addWidget(self.mode)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        rb.addWidget(self.problems)
        self.stack = QStackedWidget()
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidget(self.image)
        scroll.setWidgetResizable(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.stack.addWidget(scroll)
        self.stack.addWidget(self.text)
        rb.addWidget(self.stack, 1)
        split.addWidget(right)
        split.setSizes([520, 480])

        self.name.currentIndexChanged.connect(self.load)
        self.lang.currentIndexChanged.connect(self.load)
        self.title_edit.textChanged.connect(self._edited)
        self.body.textChanged.connect(self._edited)
        self.fields.itemDoubleClicked.connect(self._insert_field)
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.load)

    def clear(self) -> None:
        self._timer.stop()
        self.loaded = None
        self.last_preview = None
        self.templates = ()
        self.name.blockSignals(True)
        self.name.clear()
        self.name.blockSignals(False)
        for w in (self.title_edit, self.body, self.text):
            w.blockSignals(True)
            w.clear()
            w.blockSignals(False)
        self.image.clear()

    def set_templates(self, templates: tuple[TemplateInfo, ...]) -> None:
        self.templates = templates
        keep = self.name.currentData()
        self.name.blockSignals(True)
        self.name.clear()
        for t in templates:
            if t.language == "en":
                self.name.addItem(t.name.replace("_", " ").capitalize(), t.name)
        if keep is not None and self.name.findData(keep) >= 0:
            self.name.setCurrentIndex(self.name.findData(keep))
        self.name.blockSignals(False)
        if self.loaded is None:
            self.load()

    def load(self) -> None:
        name, lang = self.name.currentData(), self.lang.currentData()
        if not name:
            return
        self.ctx.call(lambda s: s.letters.template(name, lang), self._loaded,
                      lambda e: self._say(str(e), "error"))

    def _loaded(self, template) -> None:
        self.loaded = template
        for w, value in ((self.title_edit, template.title), (self.body, template.body)):
            w.blockSignals(True)
            (w.setText if isinstance(w, QLineEdit) else w.setPlainText)(value)
            w.blockSignals(False)
        when = template.created_at.strftime("%d %b %Y %H:%M") if template.created_at else ""
        self.version.setText(f"Version {template.version}, saved by {template.created_by} {when}".strip())
        self._say("", "muted")
        self.refresh_preview()

    def _edited(self) -> None:
        self._timer.start()

    def _insert_field(self, item: QListWidgetItem) -> None:
        self.body.insertPlainText("{" + item.data(Qt.ItemDataRole.UserRole) + "}")
        self.body.setFocus()

    def refresh_preview(self) -> None:
        name, lang = self.name.currentData(), self.lang.currentData()
        if not name or self.ctx.services is None:
            return
        self._preview_serial += 1
        serial = self._preview_serial
        title, body = self.title_edit.text(), self.body.toPlainText()
        self.ctx.call(lambda s: make_preview(s, name, lang, title, body),
                      lambda p: self._show_preview(serial, p), lambda e: self._say(str(e), "error"))

    def _show_preview(self, serial: int, preview: Preview) -> None:
        if serial != self._preview_serial:
            return                          # an older preview, overtaken by typing
        self.last_preview = preview
        self.mode.setText(preview.mode)
        self.text.setPlainText(preview.text)
        if preview.png:
            pixmap = QPixmap()
            pixmap.loadFromData(preview.png, "PNG")
            self.image.setPixmap(pixmap)
            self.stack.setCurrentIndex(0)
        else:
            self.stack.setCurrentIndex(1)
        if preview.problems:
            self.problems.setText("Cannot be saved: " + "; ".join(preview.problems))
            set_role(self.problems, "error")
        else:
            self.problems.setText("")

    def save(self) -> None:
        name, lang = self.name.currentData(), self.lang.currentData()
        title, body = self.title_edit.text(), self.body.toPlainText()
        self.ctx.call(lambda s: s.letters.save_template(name, lang, title, body), self._saved,
                      lambda e: self._say(str(e), "error"))

    def _saved(self, template) -> None:
        self._loaded(template)
        self._say(f"Saved as version {template.version}. Letters printed from now on use it.", "hint")
        self.ctx.data_changed.emit("letter_template")

    def _say(self, text: str, role: str) -> None:
        self.message.setText(text)
        set_role(self.message, role)
