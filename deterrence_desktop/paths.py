"""Where the application keeps its own files (platformdirs), with a ``--data-dir`` override.

The user data folder holds the demo workspace and ``settings.ini`` (window
geometry, recent workspace paths, the last user name, the idle-lock time):
nothing about the people of a cohort, which live only inside the encrypted
workspace. Tests and portable use point everything at one folder with
``--data-dir DIR`` (or :func:`set_data_dir`).
"""
from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "Deterrence Desktop"
_override: Path | None = None


def set_data_dir(path: Path | str | None) -> None:
    """Use ``path`` for every app file from now on (None: back to the platform's folder)."""
    global _override
    _override = Path(path).expanduser().resolve() if path else None


def data_dir() -> Path:
    path = _override or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_file() -> Path:
    return data_dir() / "settings.ini"


def workspaces_dir() -> Path:
    """The default folder offered for a new workspace."""
    path = data_dir() / "workspaces"
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_workspace_path() -> Path:
    return data_dir() / "demo" / "demo.ddw"


def resources_dir() -> Path:
    """``resources/`` beside the package (source tree) or inside a PyInstaller bundle."""
    import sys
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return base / "resources"


def app_icon_file(ext: str = "png") -> Path:
    return resources_dir() / "icons" / f"deterrence-desktop.{ext}"
