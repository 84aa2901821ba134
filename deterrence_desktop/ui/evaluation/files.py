"""Asking where to save a chart, a board report or a table (Qt's own dialog, so it is the
same on every desktop and the journeys can drive it)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import QFileDialog, QWidget


def documents() -> Path:
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(loc) if loc and Path(loc).is_dir() else Path.home()


def _suffix(name_filter: str) -> str:
    """'SVG drawing (*.svg)' -> 'svg'."""
    return name_filter.rsplit("*.", 1)[-1].rstrip(")").strip() if "*." in name_filter else ""


def save_file_dialog(parent: QWidget, title: str, start: Path, filters: Sequence[str],
                     chosen: Callable[[str], None]) -> QFileDialog:
    """Ask for a file to save, without blocking: ``chosen(path)`` runs when one is accepted.
    The first filter's extension is added when none is typed."""
    dialog = QFileDialog(parent, title, str(start))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setNameFilters(list(filters))
    dialog.setDefaultSuffix(start.suffix.lstrip(".") or "pdf")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile(start.name)
    dialog.filterSelected.connect(lambda f: dialog.setDefaultSuffix(_suffix(f)))
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog
