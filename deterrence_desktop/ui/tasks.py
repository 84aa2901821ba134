"""One worker thread for all database work; results come back on the GUI thread.

Every call from the Qt layer into the services goes through :class:`TaskRunner`:
the SQLCipher connection lives on the worker thread (it never crosses threads),
key derivation never blocks the GUI, and callbacks run on the GUI thread where
they may touch widgets. Long work takes a :class:`TaskControl` to report progress
and to notice a cancel.
"""
from __future__ import annotations

import itertools
import weakref
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a task when the user cancelled it; nothing it did is kept."""


class TaskControl:
    """Given to long tasks: report progress, and check for a cancel between steps."""

    def __init__(self, task: "Task", signal: Signal):
        self._task = task
        self._signal = signal

    @property
    def cancelled(self) -> bool:
        return self._task.cancel_requested

    def check(self) -> None:
        if self._task.cancel_requested:
            raise Cancelled()

    def report(self, done: int, total: int, text: str = "") -> None:
        self.check()
        self._signal.emit(self._task.id, done, total, text)


@dataclass(eq=False)
class Task:
    id: int
    fn: Callable[..., Any]
    wants_control: bool
    on_success: Callable[[Any], None] | None = None
    on_failure: Callable[[BaseException], None] | None = None
    on_progress: Callable[[int, int, str], None] | None = None
    label: str = ""
    cancel_requested: bool = False
    done: bool = False
    result: Any = None
    error: BaseException | None = field(default=None, repr=False)

    def cancel(self) -> None:
        self.cancel_requested = True


class _Worker(QObject):
    finished = Signal(object)                  # Task
    progress = Signal(int, int, int, str)      # task id, done, total, text

    @Slot(object)
    def execute(self, task: Task) -> None:
        try:
            if task.cancel_requested:
                raise Cancelled()
            if task.wants_control:
                task.result = task.fn(TaskControl(task, self.progress))
            else:
                task.result = task.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread
            task.error = exc
        task.done = True
        self.finished.emit(task)


class TaskRunner(QObject):
    """Queues functions on the database worker thread, one at a time, in order."""

    _submit = Signal(object)
    busy_changed = Signal(bool)
    unhandled_error = Signal(object)   # BaseException with no on_failure: the app shows it
    task_failed = Signal(object)       # every failure, before its on_failure (e.g. a lost server)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, Task] = {}
        self._thread = QThread()
        self._thread.setObjectName("database-worker")
        self._worker = _Worker()
        self._worker.moveToThread(self._thread)
        self._submit.connect(self._worker.execute)
        self._worker.finished.connect(self._finished)
        self._worker.progress.connect(self._progress)
        self._thread.start()
        # A runner dropped without shutdown() (a test, a closed window) must not leave its
        # QThread running when Python frees it: Qt aborts the process for that.
        self._stop_thread = weakref.finalize(self, _stop_thread, self._thread)

    def run(self, fn: Callable[[], Any], on_success: Callable[[Any], None] | None = None,
            on_failure: Callable[[BaseException], None] | None = None, label: str = "") -> Task:
        """Run ``fn()`` on the worker; ``on_success(result)`` or ``on_failure(exc)`` on the GUI thread."""
        return self._queue(Task(next(self._ids), fn, False, on_success, on_failure, None, label))

    def run_with_progress(self, fn: Callable[[TaskControl], Any],
                          on_success: Callable[[Any], None] | None = None,
                          on_failure: Callable[[BaseException], None] | None = None,
                          on_progress: Callable[[int, int, str], None] | None = None,
                          label: str = "") -> Task:
        """Run ``fn(control)``; it reports progress and stops on cancel (raising Cancelled)."""
        return self._queue(Task(next(self._ids), fn, True, on_success, on_failure, on_progress, label))

    def _queue(self, task: Task) -> Task:
        self._pending[task.id] = task
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._submit.emit(task)
        return task

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def cancel_all(self) -> None:
        for task in self._pending.values():
            task.cancel()

    @Slot(int, int, int, str)
    def _progress(self, task_id: int, done: int, total: int, text: str) -> None:
        task = self._pending.get(task_id)
        if task is not None and task.on_progress is not None:
            task.on_progress(done, total, text)

    @Slot(object)
    def _finished(self, task: Task) -> None:
        try:
            self._deliver(task)
        finally:
            # The worker thread may drop the last reference to the task after this; the
            # callbacks (which often hold widgets) must not be freed there, so let go of
            # them here, on the GUI thread. A widget freed on the worker crashes Qt.
            task.fn = task.on_success = task.on_failure = task.on_progress = None

    def _deliver(self, task: Task) -> None:
        self._pending.pop(task.id, None)
        if not self._pending:
            self.busy_changed.emit(False)
        if task.error is None:
            if task.on_success is not None:
                task.on_success(task.result)
            return
        if isinstance(task.error, Cancelled) and task.on_failure is None:
            return
        if not isinstance(task.error, Cancelled):
            self.task_failed.emit(task.error)
        if task.on_failure is not None:
            task.on_failure(task.error)
        else:
            log.error("task %s failed: %s", task.label or task.id, type(task.error).__name__)
            self.unhandled_error.emit(task.error)

    def call_sync(self, fn: Callable[[], Any], timeout_ms: int = 60_000) -> Any:
        """Run ``fn`` on the worker and wait, keeping the event loop turning.

        For tests and for the few places (closing the app) that must finish first.
        """
        from PySide6.QtCore import QEventLoop, QTimer
        loop = QEventLoop()
        box: dict[str, Any] = {}
        self.run(fn, on_success=lambda r: (box.setdefault("result", r), loop.quit()),
                        on_failure=lambda e: (box.setdefault("error", e), loop.quit()))
        if not box:   # callbacks run on this thread, inside the loop below
            QTimer.singleShot(timeout_ms, loop.quit)
            loop.exec()
        if "error" in box:
            raise box["error"]
        if "result" not in box:
            raise TimeoutError("the database worker did not answer in time")
        return box["result"]

    def shutdown(self, wait_ms: int = 10_000) -> None:
        self.cancel_all()
        # Tasks still queued are thrown away by the worker thread as it stops: drop their
        # callbacks (which hold widgets) here, on the GUI thread, first. A cancelled task
        # never calls its function.
        for task in list(self._pending.values()):
            task.on_success = task.on_failure = task.on_progress = None
        self._thread.quit()
        self._thread.wait(wait_ms)


def _stop_thread(thread: QThread, wait_ms: int = 10_000) -> None:
    thread.quit()
    thread.wait(wait_ms)


def format_exception_report(exc: BaseException) -> str:
    """A copyable report for a bug: exception types and code locations, no values.

    Messages and local values may carry personal data, so the report names the
    exception class and the stack's files, lines and functions only.
    """
    lines = ["Deterrence Desktop error report", f"Exception: {type(exc).__module__}.{type(exc).__qualname__}"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f"  {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}")
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        lines.append(f"Caused by: {type(cause).__module__}.{type(cause).__qualname__}")
    return "\n".join(lines)
