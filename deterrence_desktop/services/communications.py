"""The log of every direct contact with a person."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, true

from ..domain.enums import AuditOperation, Role
from ..domain.model import Communication
from ..store.mapping import to_record
from ..store.tables import CommunicationRow, PersonRow
from .base import Service
from .people import communication_views
from .views import CommunicationView


class CommunicationService(Service):
    def record(self, communication: Communication) -> Communication:
        self.require(Role.COORDINATOR, Role.PARTNER_OFFICER, operation=AuditOperation.COLLECTION,
                     entity="communication")
        communication.validate(self.today())
        with self.tx() as uow:
            person = uow.get(PersonRow, communication.person_id, "person")
            self.require_person_visible(uow, person.id, person.reference,
                                        AuditOperation.COLLECTION)
            row = uow.add(CommunicationRow, communication)
            uow.audit(AuditOperation.COLLECTION, "communication", row.id,
                      f"{row.channel} with person {person.reference}")
            return to_record(row, Communication)

    def timeline(self, person_id: int) -> list[CommunicationView]:
        with self.tx() as uow:
            self.require_person_visible(uow, person_id)
            return communication_views(uow.session, CommunicationRow.person_id == person_id)

    def recent(self, limit: int = 2000) -> list[CommunicationView]:
        visible = self.officer_people()
        where = true() if visible is None else CommunicationRow.person_id.in_(visible)
        with self.tx() as uow:
            return communication_views(uow.session, where, limit=limit)

    def not_contacted_since(self, days: int, person_ids: set[int] | None = None) -> list[tuple[int, str, datetime | None]]:
        """People with no contact in the last ``days`` days: (id, reference, last contact)."""
        cutoff = datetime.combine(self.today() - timedelta(days=days), datetime.min.time())
        with self.tx() as uow:
            last = (select(CommunicationRow.person_id, func.max(CommunicationRow.occurred_at).label("last"))
                    .group_by(CommunicationRow.person_id).subquery())
            q = (select(PersonRow.id, PersonRow.reference, last.c.last)
                 .outerjoin(last, last.c.person_id == PersonRow.id)
                 .where((last.c.last.is_(None)) | (last.c.last < cutoff))
                 .order_by(last.c.last.is_not(None), last.c.last))
            if person_ids is not None:
                q = q.where(PersonRow.id.in_(person_ids))
            visible = self.officer_people()
            if visible is not None:
                q = q.where(PersonRow.id.in_(visible))
            return [(pid, ref, when) for pid, ref, when in uow.session.execute(q)]

    def counts_by_channel(self) -> dict[str, int]:
        with self.tx() as uow:
            return dict(uow.session.execute(
                select(CommunicationRow.channel, func.count()).group_by(CommunicationRow.channel)).all())
