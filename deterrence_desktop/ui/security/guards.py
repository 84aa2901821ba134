"""Small guards: a backup timer while the workspace is open, and a clipboard that
forgets a person's details after a while."""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication

from ..context import AppContext

CHECK_EVERY_MS = 60 * 60 * 1000          # ask the backup service hourly whether one is due


class BackupScheduler(QObject):
    """While a workspace is open, asks ``services.backup.backup_if_due()`` every hour
    (the service decides: newest backup older than the interval and something changed).
    ``backup_on_close()`` is the caller's to run, on the worker, before closing."""

    def __init__(self, ctx: AppContext, parent: QObject | None = None,
                 interval_ms: int = CHECK_EVERY_MS):
        super().__init__(parent)
        self.ctx = ctx
        self.last_result = None
        self.last_error: BaseException | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        ctx.workspace_opened.connect(self.timer.start)
        ctx.workspace_locked.connect(self.timer.stop)
        if ctx.unlocked:
            self.timer.start()

    def tick(self) -> None:
        self.ctx.call(lambda s: s.backup.backup_if_due(), self._done, self._failed,
                      label="scheduled backup")

    def _done(self, info) -> None:
        self.last_result = info
        if info is not None:
            self.ctx.status_message.emit(f"Backed up to {info.name}")

    def _failed(self, exc: BaseException) -> None:
        self.last_error = exc
        self.ctx.status_message.emit(f"The scheduled backup failed: {exc}")


def copy_sensitive(text: str, seconds: int = 30, parent: QObject | None = None) -> QTimer:
    """Put ``text`` on the clipboard and clear it after ``seconds`` if it still holds it
    (KeePassXC's habit). Returns the timer (tests can fire it)."""
    clipboard = QGuiApplication.clipboard()
    clipboard.setText(text)
    timer = QTimer(parent or clipboard)
    timer.setSingleShot(True)

    def clear() -> None:
        if clipboard.text() == text:
            clipboard.clear()
        timer.deleteLater()

    timer.timeout.connect(clear)
    timer.start(seconds * 1000)
    return timer
