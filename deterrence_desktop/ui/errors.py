"""One error dialog for the unexpected; a plain message for the expected.

A bug (any exception that is not a :class:`DeterrenceError`) opens one dialog
with a copyable report made by :func:`format_exception_report`: exception
types and code locations only, never messages or values, so no personal data
can reach a report. The application keeps running. Expected errors (a wrong
passphrase, a validation error) are shown as their message, which names no
personal data either.
"""
from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QLabel, QMessageBox, QPlainTextEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from ..domain.errors import DeterrenceError, readable
from .tasks import Cancelled, format_exception_report

log = logging.getLogger(__name__)


class ErrorDialog(QDialog):
    def __init__(self, report: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle("Deterrence Desktop — something went wrong")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Something unexpected went wrong. Your saved work is safe and the app keeps "
            "running; the action you were doing may not have finished.\n\n"
            "If it happens again, copy this report for your support contact. It names "
            "only places in the program, never anything from your workspace.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.report = QPlainTextEdit(report)
        self.report.setReadOnly(True)
        self.report.setMinimumHeight(160)
        layout.addWidget(self.report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report.toPlainText())

    def add_report(self, report: str) -> None:
        self.report.appendPlainText("\n" + report)


class ErrorReporter(QObject):
    """Shows unexpected exceptions, at most one dialog at a time (later ones are appended)."""

    def __init__(self, parent_widget: QWidget | None = None):
        super().__init__(parent_widget)
        self.parent_widget = parent_widget
        self.dialog: ErrorDialog | None = None
        self.reports: list[str] = []
        self._previous_hook = None

    def report(self, exc: BaseException) -> None:
        if isinstance(exc, Cancelled):
            return
        text = format_exception_report(exc)
        self.reports.append(text)
        log.error("unexpected error: %s", type(exc).__name__)
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.add_report(text)
            return
        self.dialog = ErrorDialog(text, self.parent_widget)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.destroyed.connect(self._forget)
        # open() is window-modal without a nested event loop: safe from any callback
        self.dialog.open()

    def _forget(self) -> None:
        self.dialog = None

    def excepthook(self, kind, exc, tb) -> None:
        if exc is None:
            exc = kind()
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        if isinstance(exc, KeyboardInterrupt):
            QTimer.singleShot(0, lambda: QGuiApplication.quit())
            return
        self.report(exc)

    def install(self, runner=None) -> None:
        """Become ``sys.excepthook`` and show the task runner's unhandled failures."""
        self._previous_hook = sys.excepthook
        sys.excepthook = self.excepthook
        if runner is not None:
            runner.unhandled_error.connect(self.report)

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None


def show_failure(parent: QWidget | None, exc: BaseException, title: str = "Could not finish",
                 reporter: ErrorReporter | None = None) -> None:
    """An expected error as its message; anything else through the error report."""
    if isinstance(exc, Cancelled):
        return
    if isinstance(exc, DeterrenceError):
        box = QMessageBox(QMessageBox.Icon.Warning, title, readable(exc),
                          QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return
    if reporter is not None:
        reporter.report(exc)
    else:
        ErrorReporter(parent).report(exc)
