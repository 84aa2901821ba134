"""Errors of opening and writing a workspace file. Messages name no personal data."""
from __future__ import annotations

from ..domain.errors import DeterrenceError

__all__ = [
    "WorkspaceError", "WorkspaceMissing", "NotAWorkspace", "WrongPassphrase",
    "NewerWorkspace", "WorkspaceReadOnly", "WeakPassphrase", "NoSQLCipher", "WorkspaceExists",
    "MigrationFailed", "StorageError", "WorkspaceDamaged",
]


class WorkspaceError(DeterrenceError):
    """A workspace file cannot be opened, created or written."""


class WorkspaceMissing(WorkspaceError):
    pass


class WorkspaceExists(WorkspaceError):
    pass


class NotAWorkspace(WorkspaceError):
    pass


class WrongPassphrase(WorkspaceError):
    pass


class NewerWorkspace(WorkspaceError):
    pass


class WorkspaceReadOnly(WorkspaceError):
    pass


class WeakPassphrase(WorkspaceError):
    pass


class NoSQLCipher(WorkspaceError):
    pass


class MigrationFailed(WorkspaceError):
    pass


class StorageError(WorkspaceError):
    """A write failed (disk full, file removed, device gone); nothing was saved."""


class WorkspaceDamaged(WorkspaceError):
    """A page of the file failed its check (HMAC or structure): its content is never shown."""


DAMAGED_MESSAGE = (
    "The workspace file is damaged: a page failed its integrity check, so nothing from it "
    "is shown. Run `deterrence-desktop check` on the file and restore the newest good backup.")
