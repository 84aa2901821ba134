"""People of the cohort: their record, their page, influencers, and the list."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Integer, func, select
from sqlalchemy.orm import Session

from ..domain.dates import add_months
from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import Influencer, Person, display_name
from ..store.mapping import to_record
from ..store.tables import (
    ActionRow, CohortMemberRow, CohortRow, CommunicationRow, GroupRow, InfluencerRow,
    MembershipRow, PartnerRow, PartnershipRow, PersonRow,
)
from .actions import OPEN_STATUSES, action_view_query, action_views
from .base import Service
from .views import (
    CohortMembershipView, CommunicationView, MembershipView, PersonPage, PersonSummary,
)


def membership_views(session: Session, where) -> list[MembershipView]:
    q = (select(MembershipRow, PersonRow.reference, PersonRow.given_name,
                PersonRow.preferred_name, PersonRow.family_name, GroupRow.name)
         .join(PersonRow, PersonRow.id == MembershipRow.person_id)
         .join(GroupRow, GroupRow.id == MembershipRow.group_id)
         .where(where).order_by(GroupRow.name, PersonRow.reference))
    return [MembershipView(m.id, m.person_id, ref, display_name(given, pref, family),
                           m.group_id, gname, m.role, m.start, m.end)
            for m, ref, given, pref, family, gname in session.execute(q)]


def communication_views(session: Session, where, limit: int | None = None) -> list[CommunicationView]:
    q = (select(CommunicationRow, PersonRow.reference, PartnerRow.name)
         .join(PersonRow, PersonRow.id == CommunicationRow.person_id)
         .outerjoin(PartnerRow, PartnerRow.id == CommunicationRow.partner_id)
         .where(where)
         .order_by(CommunicationRow.occurred_at.desc(), CommunicationRow.id.desc()))
    if limit:
        q = q.limit(limit)
    return [CommunicationView(c.id, c.person_id, ref, c.occurred_at, c.channel, c.delivered_by,
                              pname or "", c.deterrence_message, c.support_offer, c.message,
                              c.outcome, c.template)
            for c, ref, pname in session.execute(q)]


class PeopleService(Service):
    def list(self) -> list[PersonSummary]:
        """Every person, with their groups and open action count, in three queries."""
        with self.tx() as uow:
            s = uow.session
            groups: dict[int, list[str]] = defaultdict(list)
            for pid, gname in s.execute(
                    select(MembershipRow.person_id, GroupRow.name)
                    .join(GroupRow, GroupRow.id == MembershipRow.group_id)
                    .where(MembershipRow.end.is_(None)).order_by(GroupRow.name)):
                groups[pid].append(gname)
            open_counts = dict(s.execute(
                select(ActionRow.person_id, func.count()).where(
                    ActionRow.person_id.is_not(None), ActionRow.status.in_(OPEN_STATUSES))
                .group_by(ActionRow.person_id)).all())
            q = select(
                PersonRow.id, PersonRow.reference, PersonRow.given_name, PersonRow.family_name,
                PersonRow.preferred_name, PersonRow.aliases, PersonRow.date_of_birth,
                PersonRow.legal_status, PersonRow.risk_level, PersonRow.review_date,
            ).order_by(PersonRow.reference)
            visible = self.officer_people()
            if visible is not None:
                q = q.where(PersonRow.id.in_(visible))
            rows = s.execute(q)
            return [PersonSummary(r.id, r.reference, r.given_name, r.family_name,
                                  r.preferred_name, tuple(r.aliases or ()), r.date_of_birth,
                                  r.legal_status, r.risk_level, tuple(groups.get(r.id, ())),
                                  open_counts.get(r.id, 0), r.review_date) for r in rows]

    def get(self, person_id: int) -> Person:
        with self.tx() as uow:
            row = uow.get(PersonRow, person_id, "person")
            self.require_person_visible(uow, row.id, row.reference)
            return to_record(row, Person)

    def by_reference(self, reference: str) -> Person:
        with self.tx() as uow:
            row = uow.session.scalar(select(PersonRow).where(PersonRow.reference == reference))
            if row is None:
                raise ValidationError("reference", f"no person with reference {reference}")
            self.require_person_visible(uow, row.id, row.reference)
            return to_record(row, Person)

    def page(self, person_id: int) -> PersonPage:
        """Everything about one person on one screen. Viewing it is a consultation."""
        with self.tx() as uow:
            s = uow.session
            row = uow.get(PersonRow, person_id, "person")
            self.require_person_visible(uow, row.id, row.reference)
            person = to_record(row, Person)
            supervising = ""
            if row.supervising_partner_id:
                supervising = s.get(PartnerRow, row.supervising_partner_id).name
            influencers = tuple(to_record(i, Influencer) for i in s.scalars(
                select(InfluencerRow).where(InfluencerRow.person_id == person_id)
                .order_by(InfluencerRow.name)))
            in_cohorts = tuple(
                CohortMembershipView(m.id, m.cohort_id, name, m.person_id, m.reason, m.added_on)
                for m, name in s.execute(
                    select(CohortMemberRow, CohortRow.name)
                    .join(CohortRow, CohortMemberRow.cohort_id == CohortRow.id)
                    .where(CohortMemberRow.person_id == person_id).order_by(CohortRow.name)))
            aq = action_view_query().where(ActionRow.person_id == person_id)
            if self.officer_scope() is not None:
                aq = aq.where(ActionRow.partner_id == self.officer_scope())
            actions = action_views(s, aq.order_by(ActionRow.due_date.is_(None), ActionRow.due_date))
            page = PersonPage(
                person=person, supervising_partner=supervising, influencers=influencers,
                memberships=tuple(membership_views(s, MembershipRow.person_id == person_id)),
                cohorts=tuple(c.cohort_name for c in in_cohorts), cohort_memberships=in_cohorts,
                actions=tuple(actions),
                communications=tuple(communication_views(
                    s, CommunicationRow.person_id == person_id)))
            uow.audit(AuditOperation.CONSULTATION, "person", row.reference, "person page")
            return page

    def next_reference(self) -> str:
        with self.tx() as uow:
            return _next_reference(uow.session)

    def create(self, person: Person) -> Person:
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="person",
                     ref=person.reference)
        with self.tx() as uow:
            s = uow.session
            if not person.reference:
                person.reference = _next_reference(s)
            if person.review_date is None:
                months = s.scalar(select(PartnershipRow.retention_months)) or 12
                person.review_date = add_months(self.today(), months)
            person.validate()
            self._check_unique(s, person)
            row = uow.add(PersonRow, person)
            uow.audit(AuditOperation.COLLECTION, "person", row.reference, "new person record")
            return to_record(row, Person)

    def update(self, person: Person) -> Person:
        self.require(Role.COORDINATOR, entity="person", ref=person.reference)
        with self.tx() as uow:
            row = uow.get(PersonRow, person.id, "person")
            person.validate(release_unknown=remand_without_date(uow.session, row.id))
            self._check_unique(uow.session, person)
            previous_release = row.custody_release
            uow.alter(row, person, "person", row.reference)
            if row.custody_release != previous_release:     # kept on the custody episode too
                from .custody import release_edited
                release_edited(uow, row, self.today(), self.now())
            return to_record(row, Person)

    def add_influencer(self, influencer: Influencer) -> Influencer:
        """Record someone who can carry the message to a person. An influencer that carries
        the id of one removed earlier (an undone removal) comes back under that id."""
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="influencer")
        influencer.validate()
        with self.tx() as uow:
            person = uow.get(PersonRow, influencer.person_id, "person")
            row = uow.add(InfluencerRow, influencer,
                          exclude=keep_id(uow.session, InfluencerRow, influencer.id))
            uow.audit(AuditOperation.COLLECTION, "influencer", row.id,
                      f"for person {person.reference}")
            return to_record(row, Influencer)

    def update_influencer(self, influencer: Influencer) -> Influencer:
        self.require(Role.COORDINATOR, entity="influencer", ref=influencer.id or "")
        influencer.validate()
        with self.tx() as uow:
            row = uow.get(InfluencerRow, influencer.id, "influencer")
            if influencer.person_id != row.person_id:
                raise ValidationError("person_id", "an influencer stays with their person")
            uow.alter(row, influencer, "influencer", row.id)
            return to_record(row, Influencer)

    def remove_influencer(self, influencer_id: int) -> Influencer:
        """Delete an influencer; returns what was removed, so it can be put back."""
        self.require(Role.COORDINATOR, operation=AuditOperation.ERASURE, entity="influencer",
                     ref=influencer_id)
        with self.tx() as uow:
            row = uow.get(InfluencerRow, influencer_id, "influencer")
            person = uow.get(PersonRow, row.person_id, "person")
            removed = uow.remove(row, Influencer)
            uow.audit(AuditOperation.ERASURE, "influencer", influencer_id,
                      f"for person {person.reference}")
            return removed

    @staticmethod
    def _check_unique(session: Session, person: Person) -> None:
        clash = session.scalar(select(PersonRow.id).where(
            PersonRow.reference == person.reference, PersonRow.id != (person.id or -1)))
        if clash is not None:
            raise ValidationError("reference", f"{person.reference} is already used")
        if person.supervising_partner_id is not None and \
                session.get(PartnerRow, person.supervising_partner_id) is None:
            raise ValidationError("supervising_partner_id", "choose a partner that exists")


def remand_without_date(session: Session, person_id: int) -> bool:
    """Whether the person's current custody episode is remand with no release date yet."""
    from ..store.tables_custody import CustodyEpisodeRow
    return session.scalar(select(CustodyEpisodeRow.id).where(
        CustodyEpisodeRow.person_id == person_id, CustodyEpisodeRow.actual_release.is_(None),
        CustodyEpisodeRow.kind == "remand", CustodyEpisodeRow.expected_release.is_(None))) is not None


def keep_id(session: Session, table: type, record_id: int | None) -> tuple[str, ...]:
    """``UnitOfWork.add``'s ``exclude`` for a record put back by an undo: keep its id when
    no row holds it now, else let the database number the row."""
    if record_id is not None and session.get(table, record_id) is None:
        return ()
    return ("id",)


def _next_reference(session: Session) -> str:
    highest = session.scalar(select(func.max(
        func.cast(func.substr(PersonRow.reference, 4), Integer)))) or 0
    return f"FD-{highest + 1:04d}"
