"""Start the desktop application: ``deterrence-desktop`` with no command.

``run_gui(args)`` builds the QApplication (calm style, icon, high-DPI by
default in Qt 6), one :class:`AppContext`, the error reporter (as
``sys.excepthook`` and for the task runner's unhandled failures) and the main
window, then runs the event loop. ``--demo`` opens the demo workspace,
creating it on first run; ``--data-dir`` keeps every app file in one folder.
"""
from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from .. import logging_setup, paths
from .context import AppContext
from .main_window import MainWindow
from .settings import AppSettings
from .style import apply_style


def warm_up() -> None:
    """Load the database stack on the worker while the window shows and the passphrase
    is typed, so the start screen appears without waiting for SQLAlchemy and Alembic."""
    import deterrence_desktop.services.app  # noqa: F401
    import deterrence_desktop.services.demo  # noqa: F401
    import deterrence_desktop.store.workspace  # noqa: F401


def create_window(*, demo: bool = False, data_dir=None, today=None,
                  ctx: AppContext | None = None) -> MainWindow:
    """The main window on a fresh context (the QApplication must exist)."""
    if data_dir:
        paths.set_data_dir(data_dir)
    ctx = ctx or AppContext()
    window = MainWindow(ctx, AppSettings(), today=today)
    window.errors.install(ctx.runner)
    ctx.runner.run(warm_up, label="warm up", on_failure=lambda exc: None)
    if demo:
        window.open_demo()
    return window


def run_gui(args) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(paths.APP_NAME)
    app.setOrganizationName(paths.APP_NAME)
    # No applicationDisplayName: Qt would append it to every window title, and the main
    # window's title names the app already ("Deterrence Desktop — People").
    app.setDesktopFileName("deterrence-desktop")
    apply_style(app)
    if getattr(args, "data_dir", None):
        paths.set_data_dir(args.data_dir)
    logging_setup.configure()           # a log that never carries personal data
    window = create_window(demo=getattr(args, "demo", False), data_dir=getattr(args, "data_dir", None))
    window.show()
    try:
        return app.exec()
    finally:
        window.errors.uninstall()
        window.ctx.runner.shutdown()
