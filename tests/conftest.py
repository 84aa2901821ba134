"""Shared fixtures: every test gets real SQLCipher workspace files in its own folder."""
from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


# The journeys' fixtures (the real main window on the demo); a plugin rather than a
# second conftest.py, which would shadow this one for ``from conftest import ...``.
pytest_plugins = ["journeys.fixtures", "server_fixtures", "backends"]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Before any test imports Qt: name the system packages it lacks, in one line,
    instead of a bare libGL.so.1 error or an abort of the X11 platform plugin."""
    from deterrence_desktop.system_check import explain, missing_packages
    missing = missing_packages()
    if missing:
        pytest.exit(explain(missing, "The tests"), returncode=2)


PASSPHRASE = "test passphrase: fictional 'quoted' \"data\" \\ é"
DEMO_TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test runs on the app's one clock, set to DEMO_TODAY (09:00) whatever the
    machine's date; a test that wants another day sets its own with ``set_clock``."""
    from deterrence_desktop.domain.clock import FixedClock, set_clock
    clock = FixedClock(DEMO_TODAY)
    previous = set_clock(clock)
    yield clock
    set_clock(previous)


@pytest.fixture(scope="session", autouse=True)
def _keys_derived_once():
    """SQLCipher's key derivation (0.2 s of CPU a connection) paid once per file salt in
    this process rather than on every connection: the test hook ``cipher.derived_keys``
    (see store/cipher.py). Copies of one demo file share its salt. The files are the
    same; a test about key derivation itself asks for ``real_key_derivation``."""
    from deterrence_desktop.store import cipher
    cipher.derived_keys = {}
    yield
    cipher.derived_keys = None


@pytest.fixture
def real_key_derivation():
    """Every connection derives its key, as in the app (the hook off for this test)."""
    from deterrence_desktop.store import cipher
    saved, cipher.derived_keys = cipher.derived_keys, None
    yield
    cipher.derived_keys = saved


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    """One demo workspace made per test run; each test gets its own copy of the file."""
    from deterrence_desktop.services.demo import create_demo_workspace

    path = tmp_path_factory.mktemp("template") / "demo.ddw"
    app = create_demo_workspace(path, PASSPHRASE, today=DEMO_TODAY)
    app.workspace.checkpoint()
    app.close()
    return path


@pytest.fixture
def demo_path(_demo_template, tmp_path) -> Path:
    path = tmp_path / "demo.ddw"
    shutil.copy2(_demo_template, path)
    return path


@pytest.fixture
def demo_app(backend, request):
    """The demo workspace, open, acting as its coordinator: a file, or on the test server
    for a test marked ``both_backends`` (tests/backends.py)."""
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.store.workspace import Workspace

    if backend == "server":
        yield request.getfixturevalue("server_demo_app")
        return
    ws = Workspace.open(request.getfixturevalue("demo_path"), PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
    yield app
    ws.close()


@pytest.fixture
def empty_app(tmp_path, backend, request):
    """A new, empty workspace with a partnership and one coordinator (on a file, or on the
    test server for a test marked ``both_backends``)."""
    from deterrence_desktop.domain.model import Partnership, User
    from deterrence_desktop.services.app import WorkspaceServices

    if backend == "server":
        yield request.getfixturevalue("server_empty_app")
        return
    app = WorkspaceServices.create_workspace(
        tmp_path / "empty.ddw", PASSPHRASE,
        Partnership(name="Test Partnership (fictional)", area="Testshire"),
        User(username="coord", display_name="Casey Testcoord"))
    yield app
    app.close()


SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


def save_screenshot(widget, area: str, name: str) -> Path:
    """Grab ``widget`` into screenshots/<area>/<name>.png for a person to look at."""
    from PySide6.QtWidgets import QApplication
    QApplication.processEvents()        # let pending layout requests run before the grab
    folder = SCREENSHOTS / area
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name if name.endswith(".png") else f"{name}.png")
    widget.grab().save(str(path))
    return path


@pytest.fixture
def ctx(qapp, demo_app):
    """A GUI AppContext with the demo workspace unlocked, styled as the app is."""
    from deterrence_desktop.ui.context import AppContext
    from deterrence_desktop.ui.style import apply_style

    apply_style(qapp)
    context = AppContext()
    context.set_services(demo_app)
    yield context
    context.drop_services()
    # Close the worker's connection on the worker, then stop it.
    context.runner.call_sync(demo_app.workspace.engine.dispose)
    context.runner.shutdown()
