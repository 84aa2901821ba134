"""Partner agencies and their information-sharing agreements."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import Partner
from ..store.mapping import to_record
from ..store.tables import ActionRow, PartnerRow
from .actions import OPEN_STATUSES, ActionService, action_view_query, action_views
from .base import Service
from .views import PartnerPage, PartnerSummary

ISA_WARNING_DAYS = 30


def isa_state(partner: Partner | PartnerRow, today: date) -> tuple[str, str]:
    """The agreement's state and, where it needs attention, a warning sentence."""
    if not partner.isa_reference or partner.isa_start is None:
        return "none", "No information-sharing agreement is recorded for this partner."
    if partner.isa_start > today:
        return "not started", f"The information-sharing agreement starts on {partner.isa_start:%d %b %Y}."
    if partner.isa_end is not None and partner.isa_end < today:
        return "ended", f"The information-sharing agreement ended on {partner.isa_end:%d %b %Y}."
    if partner.isa_end is not None and partner.isa_end <= today + timedelta(days=ISA_WARNING_DAYS):
        days = (partner.isa_end - today).days
        return "ends soon", f"The information-sharing agreement ends in {days} days ({partner.isa_end:%d %b %Y})."
    return "in force", ""


class PartnerService(Service):
    def list(self) -> list[PartnerSummary]:
        today = self.today()
        counts = ActionService(self.app).counts_by_partner()
        with self.tx() as uow:
            out = []
            for p in uow.session.scalars(select(PartnerRow).order_by(PartnerRow.name)):
                n_open, n_overdue = counts.get(p.id, (0, 0))
                out.append(PartnerSummary(p.id, p.name, p.type, p.lead_contact, p.isa_reference,
                                          p.isa_end, isa_state(p, today)[0], n_open, n_overdue))
            return out

    def all(self) -> list[Partner]:
        with self.tx() as uow:
            return [to_record(r, Partner)
                    for r in uow.session.scalars(select(PartnerRow).order_by(PartnerRow.name))]

    def get(self, partner_id: int) -> Partner:
        with self.tx() as uow:
            return to_record(uow.get(PartnerRow, partner_id, "partner"), Partner)

    def by_name(self, name: str) -> Partner:
        with self.tx() as uow:
            row = uow.session.scalar(select(PartnerRow).where(PartnerRow.name == name))
            if row is None:
                raise ValidationError("partner", f"no partner called {name!r}")
            return to_record(row, Partner)

    def page(self, partner_id: int) -> PartnerPage:
        scope = self.officer_scope()
        if scope is not None and scope != partner_id:
            self.deny(AuditOperation.CONSULTATION, "partner", partner_id,
                      "can only see your own agency's actions")
        today = self.today()
        with self.tx() as uow:
            row = uow.get(PartnerRow, partner_id, "partner")
            partner = to_record(row, Partner)
            open_actions = action_views(uow.session, action_view_query().where(
                ActionRow.partner_id == partner_id, ActionRow.status.in_(OPEN_STATUSES))
                .order_by(ActionRow.due_date.is_(None), ActionRow.due_date))
            state, warning = isa_state(partner, today)
            return PartnerPage(partner, state, warning, tuple(open_actions),
                               tuple(a for a in open_actions if a.is_overdue(today)))

    def create(self, partner: Partner) -> Partner:
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="partner")
        partner.validate()
        with self.tx() as uow:
            self._unique(uow.session, partner)
            row = uow.add(PartnerRow, partner)
            uow.audit(AuditOperation.COLLECTION, "partner", row.id, "new partner")
            return to_record(row, Partner)

    def update(self, partner: Partner) -> Partner:
        self.require(Role.COORDINATOR, entity="partner", ref=partner.id or "")
        partner.validate()
        with self.tx() as uow:
            row = uow.get(PartnerRow, partner.id, "partner")
            self._unique(uow.session, partner)
            uow.alter(row, partner, "partner", row.id)
            return to_record(row, Partner)

    @staticmethod
    def _unique(session, partner: Partner) -> None:
        clash = session.scalar(select(PartnerRow.id).where(
            PartnerRow.name == partner.name, PartnerRow.id != (partner.id or -1)))
        if clash is not None:
            raise ValidationError("name", "another partner already has this name")
