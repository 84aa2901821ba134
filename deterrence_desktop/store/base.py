"""What a workspace file (:mod:`.workspace`) and a server workspace (:mod:`.server`)
share: one transaction per :meth:`session`, errors made clear, the workspace's identity."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from .errors import WorkspaceError
from .tables import WorkspaceMeta


class WorkspaceBase:
    """Subclasses set ``_sessions`` and ``closed``, and say what a failed statement means."""

    _sessions: sessionmaker
    CLOSED_MESSAGE = "The workspace is closed"

    @property
    def closed(self) -> bool:                       # pragma: no cover - both override it
        raise NotImplementedError

    def _clear_error(self, exc: DBAPIError) -> Exception | None:
        """A clear error for a failed statement, or None to let it through as it is."""
        return None

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        if self.closed:
            raise WorkspaceError(self.CLOSED_MESSAGE)
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except DBAPIError as exc:
            clear = self._clear_error(exc)
            if clear is not None:
                raise clear from None
            raise
        finally:
            session.close()

    def meta(self, key: str) -> str | None:
        with self.session() as s:
            return s.scalar(select(WorkspaceMeta.value).where(WorkspaceMeta.key == key))

    @property
    def workspace_id(self) -> str:
        return self.meta("workspace_id") or ""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:                        # pragma: no cover - both override it
        raise NotImplementedError
