"""Which system libraries Qt needs and this machine lacks, named as Debian/Ubuntu packages.

Qt cannot say this itself: a missing library of QtGui is a bare ``ImportError:
libGL.so.1``, and a missing one of the X11 (xcb) platform plugin aborts the process
with a message that names one package whatever is missing. This module probes each
library by its soname (``dlopen``, as the loader would) before Qt is imported, so the
app and the test run can print one line that names every package to install. No Qt here.
"""
from __future__ import annotations

import ctypes
import os
import sys

# soname -> Debian package; QtGui's needs (every platform), then the X11 plugin's.
QT_GUI_LIBRARIES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
}
QT_XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
}


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def platform_in_use(environ=os.environ) -> str:
    """The Qt platform plugin this process will load: QT_QPA_PLATFORM, else xcb when an
    X display is set (Qt's default on Linux), else whatever Qt chooses."""
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if chosen:
        return chosen
    if environ.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb" if environ.get("DISPLAY") else ""


def missing_packages(platform: str | None = None) -> list[str]:
    """Debian package names whose libraries Qt needs here and cannot load (Linux only)."""
    if not sys.platform.startswith("linux"):
        return []
    platform = platform_in_use() if platform is None else platform
    wanted = dict(QT_GUI_LIBRARIES)
    if platform == "xcb":
        wanted.update(QT_XCB_LIBRARIES)
    missing: list[str] = []
    for soname, package in wanted.items():
        if package not in missing and not _loads(soname):
            missing.append(package)
    return missing


def explain(missing: list[str], who: str = "The desktop app") -> str:
    """The one line to print when Qt cannot start for want of ``missing``."""
    return (f"{who} cannot start: Qt needs system libraries that are not installed. "
            f"Install them with: sudo apt-get install -y {' '.join(missing)}")
