"""The application context every window, page and dialog of the Qt layer receives.

It holds the task runner (the one road to the database), the services of the
open workspace (None while locked), the undo stack, and signals that tell
pages when the workspace opens, locks, or when records of a kind changed.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from .tasks import TaskRunner


class AppContext(QObject):
    workspace_opened = Signal()          # services are ready: pages load their rows
    workspace_locked = Signal()          # pages drop every row they hold
    data_changed = Signal(str)           # "person", "group", "partner", "action", "communication", ...
    status_message = Signal(str)
    open_requested = Signal(str, int)    # ("person" | "group" | "partner" | "action", id): show that record

    def __init__(self, runner: TaskRunner | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner or TaskRunner(self)
        self.services = None             # WorkspaceServices while unlocked
        self.undo_stack = QUndoStack(self)

    @property
    def unlocked(self) -> bool:
        return self.services is not None

    def permits(self, right) -> bool:
        """Whether the signed-in user's role may do ``right`` (a ``security.roles.Can``);
        the GUI hides what it may not. The services refuse it anyway."""
        if right is None:
            return True
        if self.services is None:
            return False
        from ..security.roles import can
        return can(self.services.actor, right)

    def call(self, fn: Callable[[Any], Any], on_success: Callable[[Any], None] | None = None,
             on_failure: Callable[[BaseException], None] | None = None, label: str = ""):
        """Run ``fn(services)`` on the database worker; callbacks on the GUI thread."""
        services = self.services
        if services is None:
            return None
        return self.runner.run(lambda: fn(services), on_success, on_failure, label)

    def call_sync(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(services)`` on the worker and wait (tests; closing)."""
        services = self.services
        return self.runner.call_sync(lambda: fn(services))

    def set_services(self, services) -> None:
        self.services = services
        self.undo_stack.clear()
        self.workspace_opened.emit()

    def drop_services(self) -> None:
        """Forget the open workspace (the caller closes it on the worker thread)."""
        self.services = None
        self.undo_stack.clear()
        self.workspace_locked.emit()
