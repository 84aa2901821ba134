"""The Evaluation page: what changed for the people a partnership works with.

Choose everyone, a cohort or a group, the window (months before and after each
person's inclusion), the period of inclusions and, if wanted, a comparison cohort.
The evaluation is computed on the database worker with its progress shown, and the
charts are drawn there too (``exports.charts``, the same code as the board report);
only showing them happens here. A newer choice cancels an older one still waiting,
so switching cohort redraws quickly.

matplotlib is not imported by this module: the first evaluation imports it on the
worker, and ``charts.py`` (the Qt canvas) is imported when the first result arrives.
Launching the app therefore costs nothing more (tests/ui/test_evaluation_page.py
proves it).
"""
from __future__ import annotations

import importlib
import inspect
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QFormLayout, QFrame, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QProgressBar, QPushButton, QSizePolicy, QSpinBox, QSplitter, QTableView,
    QTabWidget, QVBoxLayout, QWidget,
)

from ...domain.errors import ValidationError, sentence
from ...domain.evaluation import EvaluationQuery
from ...security.roles import Can
from ..context import AppContext
from ..errors import show_failure
from ..forms import parse_date
from ..page import Page
from ..style import set_role
from ..tasks import Cancelled
from .files import documents, save_file_dialog
from . import texts
from .models import CompareModel, DeliveryModel, MeasuresModel

CHARTS_MODULE = "deterrence_desktop.ui.evaluation.charts"
# (key, title, file name): the three charts, as exports.charts draws them
CHARTS = (("before_after", "Before and after inclusion, per person-year", "before-after"),
          ("monthly", "Month by month, with the inclusion dates marked", "monthly"),
          ("delivery", "Delivery per partner", "delivery"))
TAB_CHARTS = {0: "before_after", 1: "monthly", 3: "delivery"}        # tab index -> its chart
CHART_SHARES = {"before_after": 0.5, "monthly": 1.0, "delivery": 0.6}   # of the tabs' width
TABLE_FILTERS = ("CSV table (*.csv)", "Excel workbook (*.xlsx)")
STEPS = 3


def _table(model, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)     # the measure's name
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(60)
    return view


def _labelled(form: QHBoxLayout, text: str, widget: QWidget) -> QWidget:
    lab = QLabel(text)
    lab.setBuddy(widget)
    form.addWidget(lab)
    form.addWidget(widget)
    return widget


def draw(evaluation, widths: dict[str, float]) -> dict:
    """The figures of ``widths``' charts, each drawn as wide (in inches) as where it will
    be shown. On the worker: matplotlib is imported here the first time, not on the GUI
    thread."""
    from ...exports import charts
    importlib.import_module(CHARTS_MODULE)          # the canvas module, ready for the GUI
    return {key: getattr(charts, key)(evaluation, width=width) for key, width in widths.items()}


def compute(services, query: EvaluationQuery, control, widths: dict[str, float]):
    """On the worker: the evaluation, and the figure of the chart in view (the others
    are drawn when their tab is first shown)."""
    control.report(0, STEPS, "Counting outcomes before and after inclusion…")
    evaluation = services.evaluation.evaluate(query)
    control.report(1, STEPS, "Drawing the chart…")
    figures = draw(evaluation, widths)
    control.report(STEPS, STEPS, "")
    return evaluation, figures


def choices(services):
    cohorts, groups = services.evaluation.scopes()
    return cohorts, groups, services.today()


class EvaluationPage(Page):
    title = "Evaluation"
    data_kinds = ("outcome", "person", "cohort", "group", "action", "communication", "call_in",
                  "partner")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("evaluationPage")
        self.evaluation = None
        self.charts: dict[str, QWidget] = {}
        self._generation = 0
        self._task = None
        self._choices_loaded = False
        self._pending_view: dict | None = None
        self._today: date | None = None
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(0)
        self._redraw.timeout.connect(self.reload)

        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        heading = QLabel("Evaluation")
        set_role(heading, "heading")
        top.addWidget(heading)
        top.addStretch(1)
        self.quick_button = QPushButton("Record outcomes…")
        self.quick_button.setToolTip("Record outcomes for many people at once (Ctrl+Shift+O)")
        self.quick_button.clicked.connect(self._quick_entry)
        self.export_button = QPushButton("Export table…")
        self.export_button.setToolTip("Save the measures as a CSV table or an Excel workbook, "
                                      "cells about fewer than 5 people shown as “<5”")
        self.export_button.clicked.connect(self.ask_export)
        self.report_button = QPushButton("Save board report…")
        self.report_button.setToolTip("One PDF for the partnership board (OFFICIAL-SENSITIVE): "
                                      "the charts, the tables with “<5” suppression, a method note")
        self.report_button.clicked.connect(self.ask_report)
        for b in (self.quick_button, self.export_button, self.report_button):
            top.addWidget(b)
        outer.addLayout(top)

        form = QHBoxLayout()
        self.who = _labelled(form, "&Who:", QComboBox())
        self.who.setObjectName("evaluationWho")
        self.who.setMinimumWidth(220)
        self.who.addItem("Everyone in a cohort", ("everyone", None))
        self.window_months = _labelled(form, "&Window:", QSpinBox())
        self.window_months.setRange(1, 60)
        self.window_months.setValue(12)
        self.window_months.setSuffix(" months")
        self.window_months.setToolTip("Months before and after each person's inclusion")
        self.date_from = _labelled(form, "Included &from:", QLineEdit())
        self.date_to = _labelled(form, "&to:", QLineEdit())
        for edit, hint in ((self.date_from, "any day"), (self.date_to, "today")):
            edit.setPlaceholderText(hint)
            edit.setMaximumWidth(110)
            edit.editingFinished.connect(self.schedule)
        self.compare = _labelled(form, "&Compare with:", QComboBox())
        self.compare.setObjectName("evaluationCompare")
        self.compare.setMinimumWidth(180)
        self.compare.addItem("— no comparison —", None)
        form.addStretch(1)
        outer.addLayout(form)
        self.who.currentIndexChanged.connect(self.schedule)
        self.compare.currentIndexChanged.connect(self.schedule)
        self.window_months.valueChanged.connect(self.schedule)

        status = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setObjectName("evaluationProgress")
        self.progress.setRange(0, STEPS)
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        status.addWidget(self.progress)
        self.summary = QLabel()
        self.summary.setObjectName("evaluationSummary")
        self.summary.setWordWrap(True)
        set_role(self.summary, "muted")
        status.addWidget(self.summary, 1)
        outer.addLayout(status)
        self.headline = QLabel()
        self.headline.setObjectName("evaluationHeadline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.headline)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.hide()
        outer.addWidget(self.error)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("evaluationTabs")
        self._drawn: dict[str, object] = {}    # chart key -> the evaluation it was drawn for
        self._shown: dict[str, object] = {}    # chart key -> the evaluation it shows
        outer.addWidget(self.tabs, 1)
        self._slots: dict[str, QVBoxLayout] = {}

        # Measures: the table beside the before/after chart
        self.measures = MeasuresModel(self)
        self.measures_view = _table(self.measures, "measuresTable")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._with_note(self.measures_view,
                                        "Rates are events per person-year observed. Grey cells "
                                        "are about fewer than 5 people: the report shows “<5”."))
        split.addWidget(self._slot("before_after"))
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        self.tabs.addTab(split, "&Measures")
        # Over time
        self.tabs.addTab(self._slot("monthly"), "Over &time")
        # Engagement, and attended against no-show
        engage = QWidget()
        row = QHBoxLayout(engage)
        card = QFrame()
        set_role(card, "card")
        self.engagement_form = QFormLayout(card)
        self.engagement: dict[str, QLabel] = {}
        for key in texts.ENGAGEMENT_KEYS:
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            name = QLabel(key)
            set_role(name, "muted")
            self.engagement_form.addRow(name, value)
            self.engagement[key] = value
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        left = QVBoxLayout()
        left.addWidget(card)
        left.addStretch(1)
        card.setMaximumWidth(480)
        row.addLayout(left, 1)
        self.compare_model = CompareModel(self)
        self.compare_view = _table(self.compare_model, "attendedTable")
        row.addWidget(self._with_note(self.compare_view, "Attended the call-in against invited "
                                                         "but never came: events per person-year."),
                      3)
        self.tabs.addTab(engage, "&Engagement")
        # Delivery: the table beside the chart, which takes the larger share (its partner
        # names and legend need the width; squeezed in height it overlaps itself)
        deliver = QSplitter(Qt.Orientation.Horizontal)
        self.delivery = DeliveryModel(self)
        self.delivery_view = _table(self.delivery, "deliveryTable")
        self.charging = QLabel()
        self.charging.setObjectName("chargingSummary")
        self.charging.setWordWrap(True)
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.delivery_view, 1)
        col.addWidget(self.charging)
        deliver.addWidget(box)
        deliver.addWidget(self._slot("delivery"))
        deliver.setStretchFactor(0, 2)
        deliver.setStretchFactor(1, 3)
        deliver.setSizes([460, 540])            # scaled to the width the tab gets
        self.tabs.addTab(deliver, "&Delivery")
        self.tabs.currentChanged.connect(self._draw_missing)
        self._set_busy(False)

    # -- building ------------------------------------------------------------------------
    @staticmethod
    def _with_note(view: QWidget, note: str) -> QWidget:
        box = QWidget()
        col = QVBoxLayout(box)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(view, 1)
        lab = QLabel(note)
        lab.setWordWrap(True)
        set_role(lab, "muted")
        col.addWidget(lab)
        return box

    def _slot(self, key: str) -> QWidget:
        """Where a chart goes; 'Loading the charts…' until matplotlib has been loaded."""
        holder = QWidget()
        col = QVBoxLayout(holder)
        col.setContentsMargins(0, 0, 0, 0)
        waiting = QLabel("Loading the charts…")
        waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(waiting, "empty")
        col.addWidget(waiting)
        self._slots[key] = col
        return holder

    def _chart_width(self, key: str) -> float:
        """Inches across the place a chart will be shown; for a tab not shown yet, its
        share of the tabs' width."""
        holder = self._slots[key].parentWidget()
        px = holder.width() if holder.isVisible() else \
            self.tabs.width() * CHART_SHARES[key]
        return max(4.0, (px - 24) / 100)       # less the chart card's margins; 100 dpi

    def _chart_boxes(self) -> dict[str, QWidget]:
        """The chart widgets, made the first time a result arrives (their module, and
        matplotlib with it, was imported on the worker)."""
        if not self.charts:
            module = importlib.import_module(CHARTS_MODULE)
            from ...exports import charts as drawing
            for key, title, stem in CHARTS:
                col = self._slots[key]
                while col.count():
                    col.takeAt(0).widget().deleteLater()
                box = module.ChartBox(title, stem, drawing.save, documents,
                                      self._shareable(getattr(drawing, key)), said=self._say)
                col.addWidget(box)
                self.charts[key] = box
        return self.charts

    def _shareable(self, draw):
        """The chart as it may leave the page: drawn with what is about fewer than 5
        people left out, where the drawing counts people at all."""
        takes_suppress = "suppress" in inspect.signature(draw).parameters
        return lambda: draw(self.evaluation, suppress=True) if takes_suppress \
            else draw(self.evaluation)

    # -- the question ---------------------------------------------------------------------
    def query(self) -> EvaluationQuery:
        """The choices on screen as a query; ValidationError for a date that does not parse."""
        errors, dates = {}, {}
        for name, edit in (("date_from", self.date_from), ("date_to", self.date_to)):
            try:
                dates[name] = parse_date(edit.text())
            except ValueError as exc:
                errors[name] = str(exc)
        if errors:
            raise ValidationError(errors)
        kind, chosen = self.who.currentData() or ("everyone", None)
        q = EvaluationQuery(cohort_id=chosen if kind == "cohort" else None,
                            group_id=chosen if kind == "group" else None,
                            window_months=self.window_months.value(),
                            comparison_cohort_id=self.compare.currentData(), **dates)
        q.validate()
        return q

    def schedule(self, *_args) -> None:
        """A choice changed: evaluate again once the event that changed it is done."""
        if self.ctx.unlocked and self._choices_loaded:
            self._redraw.start()

    # -- loading --------------------------------------------------------------------------
    def reload(self) -> None:
        if not self.ctx.unlocked:
            return
        if not self.isVisible():
            self._stale = True
            return
        if not self._choices_loaded:
            self.ctx.call(choices, self._choices_arrived,
                          lambda e: show_failure(self, e, "Could not load the cohorts"),
                          label="load evaluation choices")
            return
        try:
            query = self.query()
        except ValidationError as exc:
            self._show_error("; ".join(sentence(k, v) for k, v in exc.errors.items()))
            return
        self._show_error("")
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()              # an older choice still waiting: never mind it
        services = self.ctx.services
        shown = self._chart_in_view()
        widths = {shown: self._chart_width(shown)} if shown else {}
        self._set_busy(True, "Counting outcomes before and after inclusion…")
        self._task = self.ctx.runner.run_with_progress(
            lambda control: compute(services, query, control, widths),
            lambda result: self._arrived(generation, result),
            lambda exc: self._failed(generation, exc),
            lambda done, total, text: self._progressed(generation, done, text),
            label="evaluate")

    def _choices_arrived(self, result) -> None:
        if not self.ctx.unlocked:
            return
        cohorts, groups, today = result
        self._today = today
        self.quick_button.setVisible(self.ctx.permits(Can.RECORD_OUTCOMES))
        self._fill_choices(cohorts, groups)
        state, self._pending_view = self._pending_view, None
        if state:                                  # back after a lock: the same choices
            for combo, value in ((self.who, state.get("who")), (self.compare, state.get("compare"))):
                combo.blockSignals(True)
                combo.setCurrentIndex(max(0, combo.findData(value)))
                combo.blockSignals(False)
            self.window_months.blockSignals(True)
            self.window_months.setValue(state.get("window", 12))
            self.window_months.blockSignals(False)
        self._choices_loaded = True
        self.reload()

    def _fill_choices(self, cohorts, groups) -> None:
        """Fill the two lists, keeping what was chosen (by id) when it is still there."""
        who, compare = self.who.currentData(), self.compare.currentData()
        for combo in (self.who, self.compare):
            combo.blockSignals(True)
        while self.who.count() > 1:
            self.who.removeItem(1)
        while self.compare.count() > 1:
            self.compare.removeItem(1)
        for cid, name in cohorts:
            self.who.addItem(f"Cohort: {name}", ("cohort", cid))
            self.compare.addItem(name, cid)
        for gid, name in groups:
            self.who.addItem(f"Group: {name}", ("group", gid))
        self.who.setCurrentIndex(max(0, self.who.findData(who)))
        self.compare.setCurrentIndex(max(0, self.compare.findData(compare)))
        for combo in (self.who, self.compare):
            combo.blockSignals(False)

    def _progressed(self, generation: int, done: int, text: str) -> None:
        if generation == self._generation and text:
            self.progress.setValue(done)
            self.summary.setText(text)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or isinstance(exc, Cancelled):
            return
        self._set_busy(False)
        if isinstance(exc, ValidationError):
            self._show_error("; ".join(sentence(k, v) for k, v in exc.errors.items()))
            return
        show_failure(self, exc, "Could not evaluate")

    def _arrived(self, generation: int, result) -> None:
        if generation != self._generation or not self.ctx.unlocked:
            return
        evaluation, figures = result
        self.show_evaluation(evaluation, figures)
        self._set_busy(False)

    def show_evaluation(self, evaluation, figures) -> None:
        """Put a computed evaluation and its figures on screen."""
        self.evaluation = evaluation
        self._drawn = dict.fromkeys(figures, evaluation)
        self._show_figures(evaluation, figures)
        self.measures.set_evaluation(evaluation)
        self.compare_model.set_evaluation(evaluation)
        self.delivery.set_rows(evaluation.delivery)
        for key, text in texts.engagement(evaluation.engagement).items():
            self.engagement[key].setText(text)
        self._show_summary(evaluation)
        self.charging.setText(texts.charging(evaluation))

    def _show_summary(self, e) -> None:
        self.summary.setText(texts.summary(e))
        self.headline.setText(texts.headline(e))

    def _show_figures(self, evaluation, figures) -> None:
        if evaluation is not self.evaluation:
            return                             # a newer evaluation is on screen
        boxes = self._chart_boxes()
        for key, figure in figures.items():
            boxes[key].set_figure(figure)
            self._shown[key] = evaluation

    def chart_is_current(self, key: str) -> bool:
        """Whether the chart ``key`` shows the evaluation on screen (charts of tabs not
        looked at are drawn when their tab is shown)."""
        return self.evaluation is not None and self._shown.get(key) is self.evaluation

    def _chart_in_view(self) -> str | None:
        return TAB_CHARTS.get(self.tabs.currentIndex())

    def _draw_missing(self, *_args) -> None:
        """A tab shown whose chart is not drawn for the evaluation on screen: draw it on
        the worker (charts of tabs not looked at cost nothing)."""
        evaluation = self.evaluation
        key = self._chart_in_view()
        if evaluation is None or key is None or self._drawn.get(key) is evaluation:
            return
        self._drawn[key] = evaluation          # asked for: not twice
        widths = {key: self._chart_width(key)}
        self.ctx.runner.run(lambda: draw(evaluation, widths),
                            lambda figures: self._show_figures(evaluation, figures),
                            lambda exc: show_failure(self, exc, "Could not draw the chart"),
                            label="draw chart")

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self.summary.setText(text)
        ready = not busy and self.evaluation is not None
        self.report_button.setEnabled(ready)
        self.export_button.setEnabled(ready)

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _say(self, text: str) -> None:
        self.ctx.status_message.emit(text)

    # -- saving ---------------------------------------------------------------------------
    def _stem(self) -> str:
        day = self.evaluation.computed_on if self.evaluation is not None else self._today
        return f"board-report-{day.isoformat()}" if day else "board-report"

    def ask_report(self) -> None:
        if self.evaluation is None:
            return
        save_file_dialog(self, "Save the board report", documents() / f"{self._stem()}.pdf",
                         ("PDF document (*.pdf)",), self.save_report)

    def save_report(self, path: str) -> None:
        target = Path(path).with_suffix(".pdf") if Path(path).suffix.lower() != ".pdf" else Path(path)
        self._write(lambda s, q, e: s.evaluation.write_report(q, target, e), target,
                    "Writing the board report…", "Saved the board report as {name}")

    def ask_export(self) -> None:
        if self.evaluation is None:
            return
        stem = self._stem().replace("board-report", "evaluation-table")
        save_file_dialog(self, "Export the table", documents() / f"{stem}.csv", TABLE_FILTERS,
                         self.export_table)

    def export_table(self, path: str) -> None:
        target = Path(path)
        if target.suffix.lower() not in (".csv", ".xlsx"):
            target = target.with_suffix(".csv")
        if target.suffix.lower() == ".xlsx":
            write = lambda s, q, e: s.evaluation.write_table_xlsx(q, target, e)    # noqa: E731
        else:
            write = lambda s, q, e: s.evaluation.write_table_csv(q, target, e)     # noqa: E731
        self._write(write, target, "Exporting the table…", "Exported the table as {name}")

    def _write(self, write, target: Path, doing: str, done: str) -> None:
        """Write what the page shows (the evaluation on screen) on the worker."""
        evaluation = self.evaluation
        query = evaluation.query
        self._set_busy(True, doing)

        def finished(_result):
            self._set_busy(False)
            if self.evaluation is not None:
                self._show_summary(self.evaluation)
            self._say(done.format(name=target.name))

        def failed(exc):
            self._set_busy(False)
            if self.evaluation is not None:
                self._show_summary(self.evaluation)
            show_failure(self, exc, "Could not save")
        self.ctx.call(lambda s: write(s, query, evaluation), finished, failed,
                      label="save evaluation")

    def _quick_entry(self) -> None:
        from ..outcomes.quick_entry import open_quick_entry
        open_quick_entry(self.ctx, self)

    # -- the page contract ----------------------------------------------------------------
    def _on_data_changed(self, kind: str) -> None:
        if kind in ("cohort", "group"):
            self._choices_loaded = False          # names may have changed: fetch them again
        super()._on_data_changed(kind)

    def clear(self) -> None:
        self._generation += 1
        self.evaluation = None
        self._drawn, self._shown = {}, {}
        self._choices_loaded = False
        self._fill_choices([], [])
        self.measures.clear()
        self.compare_model.clear()
        self.delivery.clear()
        for box in self.charts.values():
            box.clear()
        for value in self.engagement.values():
            value.setText("")
        self.summary.setText("")
        self.headline.setText("")
        self.charging.setText("")
        self._show_error("")
        self._set_busy(False)
        self._stale = True

    def view_state(self) -> object:
        """Ids only: whom the page evaluated, the window, the comparison cohort."""
        return {"who": self.who.currentData(), "window": self.window_months.value(),
                "compare": self.compare.currentData()}

    def restore_view_state(self, state) -> None:
        if isinstance(state, dict):
            self._pending_view = state
