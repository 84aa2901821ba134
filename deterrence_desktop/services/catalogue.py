"""The intervention catalogue: enforcement levers and support offers."""
from __future__ import annotations

from sqlalchemy import select

from ..domain.enums import AuditOperation, InterventionKind, Role
from ..domain.model import Intervention
from ..store.mapping import to_record
from ..store.tables import InterventionRow
from .base import Service


class CatalogueService(Service):
    def list(self, kind: InterventionKind | None = None) -> list[Intervention]:
        q = select(InterventionRow).order_by(InterventionRow.kind, InterventionRow.name)
        if kind is not None:
            q = q.where(InterventionRow.kind == InterventionKind(kind).value)
        with self.tx() as uow:
            return [to_record(r, Intervention) for r in uow.session.scalars(q)]

    def create(self, item: Intervention) -> Intervention:
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="intervention")
        item.validate()
        with self.tx() as uow:
            row = uow.add(InterventionRow, item)
            uow.audit(AuditOperation.COLLECTION, "intervention", row.id, f"new {row.kind}")
            return to_record(row, Intervention)
