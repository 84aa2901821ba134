"""Journey fixtures (a plugin of tests/conftest.py): the real main window on the demo workspace, started the way
``deterrence-desktop --demo`` starts it, driven only through what a person sees
(``driver.py``). Set ``DD_SCREEN=1920x1080`` (default 1366x768) for the window size;
CI runs the journeys on a real X display (xcb under xvfb-run) at both sizes.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from driver import WAIT, press, screen_size  # noqa: E402


@pytest.fixture(scope="session")
def _journey_demo(tmp_path_factory) -> Path:
    """The demo workspace exactly as ``--demo`` makes it on first run (made once a run)."""
    from conftest import DEMO_TODAY
    from deterrence_desktop.domain.clock import FixedClock, set_clock
    from deterrence_desktop.services.demo import DEMO_PASSPHRASE, create_demo_workspace

    path = tmp_path_factory.mktemp("journey-demo") / "demo.ddw"
    previous = set_clock(FixedClock(DEMO_TODAY))    # made before the per-test clock is set
    try:
        app = create_demo_workspace(path, DEMO_PASSPHRASE)
        app.workspace.checkpoint()
        app.close()
    finally:
        set_clock(previous)
    return path


def _start(qtbot, tmp_path, demo_file: Path | None):
    from deterrence_desktop import paths

    data_dir = tmp_path / "appdata"
    paths.set_data_dir(data_dir)
    if demo_file is not None:                       # the demo was made on an earlier run
        target = paths.demo_workspace_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(demo_file, target)
    return open_window(qtbot, data_dir, demo=True)


def open_window(qtbot, data_dir: Path, *, demo: bool, size=None):
    """The main window as ``deterrence-desktop`` (``--demo``) starts it, keeping data in
    ``data_dir``; shown at the journey's screen size once its features have loaded.
    ``win.before_close()`` closes its dialogs and its workspace (the listener with it)."""
    from PySide6.QtWidgets import QApplication

    from deterrence_desktop import paths
    from deterrence_desktop.ui.launch import create_window
    from deterrence_desktop.ui.style import apply_style

    paths.set_data_dir(data_dir)
    apply_style(QApplication.instance())
    win = create_window(demo=demo, data_dir=data_dir)
    unexpected: list[BaseException] = []
    win.ctx.runner.unhandled_error.connect(unexpected.append)
    win.unexpected = unexpected

    def before_close(_widget=None):
        for dlg in win.open_dialogs():
            getattr(dlg, "close_quietly", dlg.reject)()
        if win.ctx.unlocked:
            services = win.ctx.services
            win.ctx.drop_services()
            win.ctx.runner.call_sync(services.close)
    win.before_close = before_close
    qtbot.addWidget(win, before_close_func=before_close)
    win.resize(*(size or screen_size()))
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.features_loaded, timeout=WAIT)
    return win


def _stop(win):
    from deterrence_desktop import paths
    win.ctx.runner.shutdown()
    paths.set_data_dir(None)
    assert not win.unexpected, [f"{type(e).__name__}: {e}" for e in win.unexpected]


@pytest.fixture
def fresh_demo_window(qtbot, tmp_path):
    """``deterrence-desktop --demo`` on a machine that has never run it."""
    win = _start(qtbot, tmp_path, None)
    yield win
    _stop(win)


@pytest.fixture
def demo_window(qtbot, tmp_path, _journey_demo):
    """``deterrence-desktop --demo`` with the demo already made: the unlock screen,
    passphrase filled in, as a returning user sees it."""
    win = _start(qtbot, tmp_path, _journey_demo)
    yield win
    _stop(win)


@pytest.fixture
def app_window(qtbot, demo_window):
    """The demo, unlocked by pressing Unlock, with the People list showing."""
    win = demo_window
    qtbot.waitUntil(lambda: win.unlock_screen.isVisible(), timeout=WAIT)
    press(qtbot, "Unlock")
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
    people = win.pages["people"]
    qtbot.waitUntil(lambda: people.model.rowCount() > 0, timeout=WAIT)
    return win
