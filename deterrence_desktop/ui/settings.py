"""The few settings kept outside the workspace, with their defaults in one table.

Nothing here says anything about the people of a cohort: window geometry, recent
workspace paths and server addresses (never a password), the last user name typed
(staff, not cohort), the idle-lock time, the partnership's CA file. Everything else
lives in the encrypted workspace.
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
    "server/ca_file": (str, ""),        # the partnership's CA certificate, chosen once
}
MAX_RECENT = 8


# store.server.SCHEMES, without loading the database stack before the start screen shows
SERVER_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def is_server_entry(entry: str) -> bool:
    """Whether a recent entry is a server's address rather than a file's path."""
    return str(entry).startswith(SERVER_SCHEMES)


def recent_entry(path: Path | str) -> str:
    return str(path) if is_server_entry(str(path)) else str(Path(path).resolve())


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
        """A workspace file's path, or a server's address (``postgresql://user@host...``,
        never with a password), first in the recent list."""
        path = recent_entry(path)
        recent = [p for p in self.recent_workspaces() if p != path]
        self.set("recent/workspaces", [path, *recent][:MAX_RECENT])

    def remove_recent(self, path: Path | str) -> None:
        path = recent_entry(path)
        self.set("recent/workspaces", [p for p in self.recent_workspaces() if p != path])

    @property
    def idle_minutes(self) -> int:
        return max(1, self.get("lock/idle_minutes"))
