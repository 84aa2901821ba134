"""Errors of opening and writing a workspace file. Messages name no personal data."""
from __future__ import annotations

from ..domain.errors import DeterrenceError

__all__ = [
    "WorkspaceError", "WorkspaceMissing", "NotAWorkspace", "WrongPassphrase",
    "NewerWorkspace", "WorkspaceReadOnly", "WeakPassphrase", "NoSQLCipher", "WorkspaceExists",
    "MigrationFailed", "StorageError", "WorkspaceDamaged", "ConnectionLost", "ServerRefused",
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


class ConnectionLost(StorageError):
    """The connection to a server workspace dropped during a transaction: it rolled back
    (or, if the drop came after the commit was sent, the row version tells on a retry)."""


CONNECTION_LOST_MESSAGE = (
    "The connection to the server was lost: nothing was saved. Your work is kept; "
    "the app is reconnecting.")


class ServerRefused(WorkspaceError):
    """A server workspace cannot be opened: sign-in refused, certificate not verified,
    server unreachable, or not a Deterrence Desktop database. Never names a password."""


class WorkspaceDamaged(WorkspaceError):
    """A page of the file failed its check (HMAC or structure): its content is never shown."""


DAMAGED_MESSAGE = (
    "The workspace file is damaged: a page failed its integrity check, so nothing from it "
    "is shown. Run `deterrence-desktop check` on the file and restore the newest good backup.")
