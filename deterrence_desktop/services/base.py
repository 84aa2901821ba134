"""What every service shares: the signed-in actor, one transaction per call, the audit."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from ..domain.enums import AuditOperation, Role
from ..domain.errors import NotFoundError, PermissionDenied
from ..store.mapping import changed_fields, column_values, to_record
from ..store.server_roles import row_hidden
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


_tx_state = threading.local()      # how deep in Service.tx() this thread is


class UnitOfWork:
    """One transaction: the ORM session and the audit writer for the acting user."""

    def __init__(self, session: Session, actor: Actor, read_only: bool = False):
        self.session = session
        self.actor = actor
        self.read_only = read_only

    def audit(self, operation: AuditOperation, entity: str, ref: object = "",
              detail: str = "", recipient: str = "") -> None:
        if self.read_only:
            # A workspace opened read-only (another instance holds the writer lock)
            # cannot append to the audit trail; it can only read.
            return
        audit.append(self.session, self.actor.username, operation, entity, str(ref), detail,
                     recipient)

    def get(self, table: type, key: int, what: str) -> Any:
        row = self.session.get(table, key)
        if row is None:
            if row_hidden(self.session, table.__tablename__, key):
                # On a server the row-level security hid it: refused (and audited once the
                # transaction has rolled back), as the services refuse it on a file.
                role = self.actor.role.value.replace("_", " ")
                exc = PermissionDenied(f"Your role ({role}) cannot see this {what}")
                exc.audit = (AuditOperation.CONSULTATION, table.__tablename__,  # type: ignore[attr-defined]
                             str(key))
                raise exc
            raise NotFoundError(what, key)
        return row

    def add(self, table: type, record: Any, exclude: tuple[str, ...] = ("id",)) -> Any:
        """Insert ``record`` as a new row of ``table``; returns the row, its id assigned.
        The caller audits the collection, naming what the new row is about."""
        row = table(**column_values(record, exclude))
        self.session.add(row)
        self.session.flush()
        return row

    def remove(self, row: Any, record_type: type) -> Any:
        """Delete ``row``; returns it as a ``record_type`` record, so that an undo can put it
        back. The caller audits the erasure, naming what it was about."""
        removed = to_record(row, record_type)
        self.session.delete(row)
        self.session.flush()
        return removed

    def alter(self, row: Any, record: Any, entity: str, ref: object,
              exclude: tuple[str, ...] = ("id",)) -> dict[str, Any]:
        """Copy the fields of ``record`` that differ onto ``row`` and audit the alteration by
        field name (never by value). Returns the changes; nothing is audited when none."""
        changes = changed_fields(row, record, exclude)
        for name, value in changes.items():
            setattr(row, name, value)
        if changes:
            self.session.flush()
            self.audit(AuditOperation.ALTERATION, entity, ref, "fields=" + ",".join(sorted(changes)))
        return changes


class Service:
    def __init__(self, app: "WorkspaceServices"):
        self.app = app

    @property
    def actor(self) -> Actor:
        return self.app.actor

    @contextlib.contextmanager
    def tx(self) -> Iterator[UnitOfWork]:
        _tx_state.depth = getattr(_tx_state, "depth", 0) + 1
        try:
            with self.app.workspace.session() as session:
                yield UnitOfWork(session, self.app.actor,
                                 read_only=getattr(self.app.workspace, "read_only", False))
        except PermissionDenied as exc:
            # The refused transaction has rolled back; the refusal is kept in its own.
            _tx_state.depth -= 1
            try:
                self._audit_refusal(exc)
            finally:
                _tx_state.depth += 1
            raise
        finally:
            _tx_state.depth -= 1

    def require(self, *roles: Role, operation: AuditOperation = AuditOperation.ALTERATION,
                entity: str = "", ref: object = "") -> None:
        """Refuse the call (audited) unless the signed-in user holds one of ``roles``."""
        if self.actor.role not in roles:
            self.deny(operation, entity or self._entity_name(), ref)

    def deny(self, operation: AuditOperation, entity: str, ref: object = "",
             why: str = "cannot do this") -> None:
        """Raise PermissionDenied for the signed-in user; the refusal is audited once the
        surrounding transaction (if any) has rolled back."""
        role = self.actor.role.value.replace("_", " ")
        exc = PermissionDenied(f"Your role ({role}) {why}")
        exc.audit = (AuditOperation(operation), entity, str(ref))   # type: ignore[attr-defined]
        if not self._in_tx():
            self._audit_refusal(exc)
            exc.audit = None                                       # type: ignore[attr-defined]
        raise exc

    def today(self) -> date:
        return self.app.today()

    def now(self) -> datetime:
        """Local wall time (naive) from the services' one clock."""
        return self.app.now()

    def utcnow(self) -> datetime:
        return self.app.utcnow()

    # -- roles -----------------------------------------------------------------
    @property
    def is_partner_officer(self) -> bool:
        return self.actor.role == Role.PARTNER_OFFICER

    def officer_scope(self) -> int | None:
        """The partner id whose actions (and the people they concern) a partner officer
        sees; None for roles that see everything."""
        if self.actor.role == Role.PARTNER_OFFICER:
            return self.actor.partner_id if self.actor.partner_id is not None else -1
        return None

    def officer_people(self):
        """A subquery of the person ids a partner officer may see (those their agency's
        actions concern); None for roles that see everyone."""
        partner_id = self.officer_scope()
        if partner_id is None:
            return None
        from sqlalchemy import select

        from ..store.tables import ActionRow
        return (select(ActionRow.person_id)
                .where(ActionRow.partner_id == partner_id, ActionRow.person_id.is_not(None))
                .scalar_subquery())

    def require_person_visible(self, uow: "UnitOfWork", person_id: int, reference: str = "",
                               operation: AuditOperation = AuditOperation.CONSULTATION) -> None:
        """Refuse a partner officer a person no action of their agency concerns."""
        partner_id = self.officer_scope()
        if partner_id is None:
            return
        from sqlalchemy import select

        from ..store.tables import ActionRow
        concerned = uow.session.scalar(select(ActionRow.id).where(
            ActionRow.person_id == person_id, ActionRow.partner_id == partner_id).limit(1))
        if concerned is None:
            self.deny(operation, "person", reference or person_id,
                      "can only see people your agency's actions concern")

    def require_names_export(self, entity: str = "export", ref: object = "") -> None:
        """Exports and prints that carry people's names: analysts work with references
        only, so they are refused (and the refusal audited)."""
        if self.actor.role == Role.ANALYST:
            self.deny(AuditOperation.DISCLOSURE, entity, ref, "cannot export people's names")

    def _entity_name(self) -> str:
        name = type(self).__name__
        return name.removesuffix("Service").lower() or "workspace"

    @staticmethod
    def _in_tx() -> bool:
        return bool(getattr(_tx_state, "depth", 0))

    def _audit_refusal(self, exc: PermissionDenied) -> None:
        pending = getattr(exc, "audit", None)
        if not pending:
            return
        exc.audit = None                                           # type: ignore[attr-defined]
        operation, entity, ref = pending
        write_refusal(self.app.workspace, self.actor, operation, entity, ref)


def write_refusal(workspace, actor: Actor, operation: AuditOperation, entity: str,
                  ref: str) -> None:
    """Record a refused call in a transaction of its own. A read-only workspace cannot
    record it; the refusal itself still stands."""
    if getattr(workspace, "read_only", False):
        return
    detail = f"refused: role {actor.role.value}"
    with workspace.session() as session:
        audit.append(session, actor.username, operation, entity, ref, detail)
