"""Links between people that partners report (family, associate, rival, victim of), with
their source, date and confidence; co-offending links come from shared incidents."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.network import PersonLink
from ..store.mapping import to_record
from ..store.tables import ActionRow, PartnerRow, PersonRow
from ..store.tables_network import IncidentPersonRow, PersonLinkRow
from . import network_data
from .base import Service
from .people import keep_id

EDITORS = (Role.COORDINATOR, Role.ANALYST)


@dataclass(frozen=True)
class LinkView:
    """A link as one person's page shows it: the other person and what links them."""
    id: int | None                  # None for a derived co-offending link
    person_id: int
    other_person_id: int
    other_reference: str
    other_name: str
    kind: str
    source_partner: str             # "shared incidents" for co-offending
    reported_on: date | None
    confidence: str
    derived: bool
    weight: int = 1                 # shared incidents, for co-offending
    notes: str = ""
    outgoing: bool = True           # victim_of: True when person_id is the victim


class LinkService(Service):
    def add(self, link: PersonLink) -> int:
        self.require(*EDITORS, operation=AuditOperation.COLLECTION, entity="person_link")
        link.validate(self.today())
        with self.tx() as uow:
            refs = self._check(uow, link)
            row = uow.add(PersonLinkRow, link, exclude=keep_id(uow.session, PersonLinkRow, link.id))
            uow.audit(AuditOperation.COLLECTION, "person_link", row.id,
                      f"{link.kind} ({link.confidence}) between {refs[0]} and {refs[1]}")
            return row.id

    def update(self, link_id: int, link: PersonLink) -> PersonLink:
        """Save an edited link over the version it was read at; returns it as saved."""
        self.require(*EDITORS, entity="person_link", ref=link_id)
        link.validate(self.today())
        link.id = link_id
        with self.tx() as uow:
            row = uow.get(PersonLinkRow, link_id, "link")
            self._check(uow, link)
            uow.alter(row, link, "person_link", link_id)
            return to_record(row, PersonLink)

    def remove(self, link_id: int) -> PersonLink:
        """Delete a link recorded in error; returns it so an undo can add it back."""
        self.require(*EDITORS, operation=AuditOperation.ERASURE, entity="person_link", ref=link_id)
        with self.tx() as uow:
            row = uow.get(PersonLinkRow, link_id, "link")
            removed = uow.remove(row, PersonLink)
            uow.audit(AuditOperation.ERASURE, "person_link", link_id, f"{removed.kind} link")
            return removed

    def get(self, link_id: int) -> PersonLink:
        with self.tx() as uow:
            return to_record(uow.get(PersonLinkRow, link_id, "link"), PersonLink)

    def for_person(self, person_id: int) -> list[LinkView]:
        """The person's stored links and their derived co-offending links, newest first."""
        with self.tx() as uow:
            s = uow.session
            person = uow.get(PersonRow, person_id, "person")
            self.require_person_visible(uow, person_id, person.reference)
            data = network_data.load(s, self.today(), people=_around(s, person_id))
            scope = self.officer_scope()
            allowed = None if scope is None else set(s.scalars(
                select(ActionRow.person_id).where(ActionRow.partner_id == scope)))
            out = []
            for link in data.links:
                if person_id not in (link.a, link.b):
                    continue
                other = link.b if link.a == person_id else link.a
                if allowed is not None and other not in allowed:
                    continue
                info = data.people[other]
                out.append(LinkView(link.id, person_id, other, info.reference, info.name,
                                    link.kind, link.source_partner, link.on, link.confidence,
                                    link.derived, link.weight, link.notes, link.a == person_id))
            return sorted(out, key=lambda v: (v.reported_on or date.min, v.id or 0), reverse=True)

    @staticmethod
    def _check(uow, link: PersonLink) -> tuple[str, str]:
        s = uow.session
        a = uow.get(PersonRow, link.person_id, "person")
        b = uow.get(PersonRow, link.other_person_id, "person")
        if link.source_partner_id is not None:
            uow.get(PartnerRow, link.source_partner_id, "partner")
        same = s.scalar(select(PersonLinkRow.id).where(
            PersonLinkRow.kind == str(link.kind), PersonLinkRow.id != (link.id or -1),
            or_((PersonLinkRow.person_id == link.person_id)
                & (PersonLinkRow.other_person_id == link.other_person_id),
                (PersonLinkRow.person_id == link.other_person_id)
                & (PersonLinkRow.other_person_id == link.person_id))).limit(1))
        if same is not None:
            raise ValidationError("other_person_id", "these two people already have a link of "
                                                     "this kind: edit that one")
        return a.reference, b.reference


def _around(s, person_id: int) -> set[int]:
    """The person and everyone linked to them or involved in an incident with them."""
    linked = s.execute(select(PersonLinkRow.person_id, PersonLinkRow.other_person_id).where(
        or_(PersonLinkRow.person_id == person_id, PersonLinkRow.other_person_id == person_id)))
    mine = select(IncidentPersonRow.incident_id).where(IncidentPersonRow.person_id == person_id)
    shared = s.scalars(select(IncidentPersonRow.person_id)
                       .where(IncidentPersonRow.incident_id.in_(mine)))
    return {person_id} | {p for pair in linked for p in pair} | set(shared)
