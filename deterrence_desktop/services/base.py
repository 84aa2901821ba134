"""What every service shares: the signed-in actor, one transaction per call, the audit."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ..domain.enums import AuditOperation, Role
from ..domain.errors import NotFoundError, PermissionDenied
from . import audit

if TYPE_CHECKING:
    from .app import WorkspaceServices


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs; named in every audit entry."""
    username: str
    display_name: str
    role: Role = Role.COORDINATOR
    partner_id: int | None = None


SYSTEM = Actor("system", "Deterrence Desktop")


class UnitOfWork:
    """One transaction: the ORM session and the audit writer for the acting user."""

    def __init__(self, session: Session, actor: Actor):
        self.session = session
        self.actor = actor

    def audit(self, operation: AuditOperation, entity: str, ref: object = "",
              detail: str = "", recipient: str = "") -> None:
        audit.append(self.session, self.actor.username, operation, entity, str(ref), detail,
                     recipient)

    def get(self, table: type, key: int, what: str) -> Any:
        row = self.session.get(table, key)
        if row is None:
            raise NotFoundError(what, key)
        return row


class Service:
    def __init__(self, app: "WorkspaceServices"):
        self.app = app

    @property
    def actor(self) -> Actor:
        return self.app.actor

    @contextlib.contextmanager
    def tx(self) -> Iterator[UnitOfWork]:
        with self.app.workspace.session() as session:
            yield UnitOfWork(session, self.app.actor)

    def require(self, *roles: Role) -> None:
        """Refuse the call unless the signed-in user holds one of ``roles``."""
        if self.actor.role not in roles:
            raise PermissionDenied(
                f"Your role ({self.actor.role.value.replace('_', ' ')}) cannot do this")

    def today(self) -> date:
        return self.app.today()
