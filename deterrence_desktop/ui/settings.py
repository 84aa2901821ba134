"""The few settings kept outside the workspace, with their defaults in one table.

Nothing here says anything about the people of a cohort: window geometry,
recent workspace paths, the last user name typed (staff, not cohort), the
idle-lock time. Everything else lives in the encrypted workspace.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from .. import paths

# name -> (type, default)
DEFAULTS: dict[str, tuple[type, object]] = {
    "window/geometry": (QByteArray, QByteArray()),
    "window/state": (QByteArray, QByteArray()),
    "recent/workspaces": (list, []),
    "unlock/last_username": (str, ""),
    "lock/idle_minutes": (int, 10),
}
MAX_RECENT = 8


class AppSettings:
    """Typed access to ``settings.ini`` in the app's data folder."""

    def __init__(self, path: Path | None = None):
        self.qsettings = QSettings(str(path or paths.settings_file()), QSettings.Format.IniFormat)

    def get(self, name: str):
        kind, default = DEFAULTS[name]
        value = self.qsettings.value(name, default)
        if value is None:
            return default
        if kind is list:
            if isinstance(value, str):
                return [value] if value else []
            return [str(v) for v in value]
        if kind is int:
            try:
                return int(value)
            except (TypeError, ValueError):
                return default
        if kind is str:
            return str(value)
        return value

    def set(self, name: str, value) -> None:
        if name not in DEFAULTS:
            raise KeyError(name)
        self.qsettings.setValue(name, value)
        self.qsettings.sync()

    # -- conveniences ------------------------------------------------------------
    def recent_workspaces(self) -> list[str]:
        return [p for p in self.get("recent/workspaces") if p]

    def add_recent(self, path: Path | str) -> None:
        path = str(Path(path).resolve())
        recent = [p for p in self.recent_workspaces() if p != path]
        self.set("recent/workspaces", [path, *recent][:MAX_RECENT])

    def remove_recent(self, path: Path | str) -> None:
        path = str(Path(path).resolve())
        self.set("recent/workspaces", [p for p in self.recent_workspaces() if p != path])

    @property
    def idle_minutes(self) -> int:
        return max(1, self.get("lock/idle_minutes"))
