"""What every service shares: the signed-in actor, one transaction per call, the audit."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..domain.enums import AuditOperation, Role
from ..domain.errors import EditConflict, NotFoundError, PermissionDenied, differing_fields
from ..store.mapping import changed_fields, column_values, to_record
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
            from ..store.server_roles import row_hidden     # psycopg only when it is needed
            if row_hidden(self.session, table.__tablename__, key):
                # On a server the row-level security hid it: refused (and audited once the
                # transaction has rolled back), as the services refuse it on a file.
                role = self.actor.role.value.replace("_", " ")
                exc = PermissionDenied(f"Your role ({role}) cannot see this {what}")
                exc.audit = (  # type: ignore[attr-defined]
                    AuditOperation.CONSULTATION, table.__tablename__, str(key))
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
        field name (never by value). Returns the changes; nothing is audited when none.

        A record that carries the version it was read at (``record.version`` not None) is
        saved only over that version: when the row has moved on since, EditConflict is
        raised with both versions and nothing is written. The row's version goes up by one
        with every change (the tables' ``version_id_col``); the UPDATE itself checks it
        again, so a transaction that changed the row meanwhile also ends in EditConflict."""
        self.check_version(row, record, entity, ref)
        changes = changed_fields(row, record, exclude)
        for name, value in changes.items():
            setattr(row, name, value)
        if changes:
            self.flush_versioned(row, record, entity, ref)
            self.audit(AuditOperation.ALTERATION, entity, ref, "fields=" + ",".join(sorted(changes)))
        return changes

    def check_version(self, row: Any, record: Any, entity: str, ref: object) -> None:
        """EditConflict when ``record`` was read at another version than ``row`` has now."""
        mine = getattr(record, "version", None)
        if mine is not None and mine != getattr(row, "version", mine):
            conflict = EditConflict(entity, ref, record, to_record(row, type(record)))
            conflict.saved_by, conflict.saved_at = last_saved(self.session, entity, ref)
            raise conflict

    def flush_versioned(self, row: Any, record: Any, entity: str, ref: object) -> None:
        """Flush; an UPDATE that found the row at another version than it read (another
        transaction wrote it meanwhile) becomes EditConflict. Its ``theirs`` is read once
        this transaction has rolled back (see :meth:`Service.tx`)."""
        key = row.id                    # read now: the failed flush ends the transaction
        try:
            self.session.flush()
        except StaleDataError:
            conflict = EditConflict(entity, ref, record, None)
            conflict.reload = (type(row), key, type(record))
            raise conflict from None


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
        except StaleDataError:
            # A row written by another transaction since this one read it, found at commit.
            raise EditConflict("record", "", fields=()) from None
        except EditConflict as exc:
            # The conflicting transaction has rolled back; read the row as it is now.
            if exc.reload and _tx_state.depth == 1:
                self._reload_theirs(exc)
            raise
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

    def _reload_theirs(self, exc: EditConflict) -> None:
        table, key, record_type = exc.reload
        exc.reload = None
        with self.app.workspace.session() as session:
            row = session.get(table, key)
            exc.theirs = to_record(row, record_type) if row is not None else None
            exc.saved_by, exc.saved_at = last_saved(session, exc.entity, exc.ref)
        exc.fields = differing_fields(exc.mine, exc.theirs)

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


def last_saved(session: Session, entity: str, ref: object) -> tuple[str, str]:
    """Who last altered ``entity`` ``ref`` and when (UTC, ISO 8601), from the audit trail:
    (display name or username, at); ("", "") when the trail does not say or may not be
    read (a conflict is shown with or without it)."""
    from sqlalchemy import select
    from sqlalchemy.exc import DBAPIError

    from ..store.tables import AuditEntryRow, UserRow
    try:
        with session.begin_nested():
            found = session.execute(
                select(AuditEntryRow.username, AuditEntryRow.at)
                .where(AuditEntryRow.entity == entity, AuditEntryRow.entity_ref == str(ref),
                       AuditEntryRow.operation == AuditOperation.ALTERATION.value)
                .order_by(AuditEntryRow.seq.desc()).limit(1)).first()
            if found is None:
                return "", ""
            name = session.scalar(select(UserRow.display_name).where(
                UserRow.username == found.username))
            return name or found.username, found.at
    except DBAPIError:
        return "", ""


def write_refusal(workspace, actor: Actor, operation: AuditOperation, entity: str,
                  ref: str) -> None:
    """Record a refused call in a transaction of its own. A read-only workspace cannot
    record it; the refusal itself still stands."""
    if getattr(workspace, "read_only", False):
        return
    detail = f"refused: role {actor.role.value}"
    with workspace.session() as session:
        audit.append(session, actor.username, operation, entity, ref, detail)
