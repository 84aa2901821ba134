"""Open a workspace as its one writer (or read-only) and sign a user in: what the unlock
screen runs on the database worker."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from .writer_lock import open_workspace


def open_signed_in(path: Path | str, passphrase: str, username: str, password: str | None,
                   *, today: date | None = None, read_only: bool = False,
                   take_over: bool = False, check_pages: bool = False):
    """The signed-in ``WorkspaceServices``. Raises ``WorkspaceInUse`` (offer read-only),
    ``WorkspaceDamaged``, ``WrongPassphrase`` or ``SignInFailed``; the workspace and its
    lock are released on any failure."""
    from ..services.app import WorkspaceServices

    ws = open_workspace(path, passphrase, read_only=read_only, take_over=take_over,
                        check_pages=check_pages)
    try:
        base = WorkspaceServices(ws, today=today)
        actor = base.users.sign_in(username, password or None)
        return WorkspaceServices(ws, actor, today)
    except BaseException:
        ws.close()
        raise
