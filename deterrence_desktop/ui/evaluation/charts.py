"""One chart of the Evaluation page: a matplotlib ``Figure`` drawn by ``exports.charts``
(the same code the board report uses) inside a ``FigureCanvasQTAgg``, with Copy and
"Save as PNG/SVG…" under it.

This is the only Qt module that imports matplotlib. The page imports it when it is
first opened (``page.py``), never at launch: the app starts as fast as before.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget,
)

from ..errors import show_failure
from ..style import set_role
from .files import save_file_dialog

COPY_DPI = 150          # the clipboard image: sharp when pasted into a document

IMAGE_FILTERS = ("PNG image (*.png)", "SVG drawing (*.svg)")


def placeholder_figure(text: str = "Choose who to evaluate") -> Figure:
    """A quiet empty figure shown before the first evaluation arrives."""
    fig = Figure(figsize=(6.4, 3.2))
    fig.text(0.5, 0.5, text, ha="center", va="center", color="#5b6b73", fontsize=11)
    return fig


class ChartBox(QFrame):
    """A titled chart with Copy and Save as PNG/SVG…; ``set_figure`` swaps the drawing.

    What leaves the page is ``shareable()``: the same chart drawn with cells about fewer
    than 5 people left out, as in the board report. ``save`` writes it through
    ``saver(figure, path)`` (``exports.charts.save``: atomic, 0600); ``file_stem`` names
    the suggested file."""

    def __init__(self, title: str, file_stem: str, saver: Callable[[Figure, Path], object],
                 start_folder: Callable[[], Path], shareable: Callable[[], Figure],
                 parent: QWidget | None = None, said: Callable[[str], None] | None = None):
        super().__init__(parent)
        set_role(self, "card")
        self.setObjectName(f"chart_{file_stem}")
        self.file_stem = file_stem
        self._saver = saver
        self._shareable = shareable
        self._start_folder = start_folder
        self._said = said or (lambda text: None)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 6, 10, 8)
        heading = QLabel(title)
        set_role(heading, "subheading")
        col.addWidget(heading)
        self._col = col
        self.figure: Figure | None = None
        self.canvas: FigureCanvasQTAgg | None = None
        self._margins = (0.0, 0.0, 0.0, 0.0)
        self._title = title
        row = QHBoxLayout()
        row.addStretch(1)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip(f"Copy the chart “{title}” as an image (without what is "
                                    "about fewer than 5 people, as in the board report)")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Save as PNG/SVG…")
        self.save_button.setToolTip(f"Save the chart “{title}” as a PNG image or an SVG drawing "
                                    "(without what is about fewer than 5 people)")
        self.save_button.clicked.connect(self.ask_save)
        row.addWidget(self.copy_button)
        row.addWidget(self.save_button)
        col.addLayout(row)
        self.set_figure(placeholder_figure())
        self.set_ready(False)

    def set_ready(self, ready: bool) -> None:
        self.copy_button.setEnabled(ready)
        self.save_button.setEnabled(ready)

    def set_figure(self, figure: Figure) -> None:
        """Show ``figure`` (made on the worker) on a canvas of its own, which fits it to
        the space here keeping its margins in inches (labels never cut off)."""
        canvas = FigureCanvasQTAgg(figure)
        canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        canvas.setMinimumHeight(220)
        canvas.setAccessibleName(self._title)
        w, h = figure.get_size_inches()
        p = figure.subplotpars
        self._margins = (p.left * w, (1 - p.right) * w, p.bottom * h, (1 - p.top) * h)
        canvas.mpl_connect("resize_event", self._keep_margins)
        old = self.canvas
        if old is None:
            self._col.insertWidget(1, canvas, 1)          # under the title, above the buttons
        else:
            self._col.replaceWidget(old, canvas)
            old.hide()
            old.deleteLater()
        self.figure, self.canvas = figure, canvas
        self.set_ready(True)

    def _keep_margins(self, _event=None) -> None:
        w, h = self.figure.get_size_inches()
        left, right, bottom, top = self._margins
        if w > left + right + 0.5 and h > bottom + top + 0.5:
            self.figure.subplots_adjust(left=left / w, right=1 - right / w,
                                        bottom=bottom / h, top=1 - top / h)

    def clear(self) -> None:
        self.set_figure(placeholder_figure())
        self.set_ready(False)

    def draw_now(self) -> None:
        """Draw at once (the benchmark and the screenshots wait for the pixels)."""
        self.canvas.draw()

    def image(self) -> QImage:
        buffer = io.BytesIO()
        self._shareable().savefig(buffer, format="png", dpi=COPY_DPI)
        return QImage.fromData(buffer.getvalue(), "PNG")

    def copy(self) -> None:
        QGuiApplication.clipboard().setImage(self.image())
        self._said("Copied the chart; paste it into a document")

    def ask_save(self) -> None:
        start = self._start_folder() / f"{self.file_stem}.png"
        save_file_dialog(self, "Save the chart", start, IMAGE_FILTERS, self.save)

    def save(self, path: str) -> None:
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            target = target.with_suffix(".png")
        try:
            self._saver(self._shareable(), target)
        except Exception as exc:  # noqa: BLE001 - a refusal is said, a bug is reported
            show_failure(self, exc, "Could not save the chart")
            return
        self._said(f"Saved the chart as {target.name}")

