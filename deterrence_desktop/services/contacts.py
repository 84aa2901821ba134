"""Queries over the communications log that the call-in and communications screens need.

``services/communications.py`` records communications; this adds the views: a
person's timeline (contacts, call-in invitations, planned notifications), who has
not been contacted in N days in a cohort, counts by channel and by partner, and
the choices the quick "add a contact" form offers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, select, true

from ..domain.enums import AuditOperation, CommunicationChannel, CommunicationOutcome, label
from ..domain.model import display_name, message_given
from ..store.tables import (
    CallInRow, CohortMemberRow, CommunicationRow, CustomNotificationRow, InfluencerRow,
    InvitationRow, PartnerRow, PersonRow,
)
from .base import Service
from .callins import Option
from .people import communication_views
from .views import CommunicationView


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str              # communication, call_in, notification_planned
    channel: str
    title: str             # "Home visit", "Call-in: ...", ...
    delivered_by: str
    outcome: str
    messages: str          # "deterrence, support offer"
    detail: str
    ref_id: int


@dataclass(frozen=True)
class NotContacted:
    person_id: int
    reference: str
    name: str
    last_contact: datetime | None
    last_channel: str
    days: int | None       # days since the last contact; None = never

    @property
    def id(self) -> int:
        return self.person_id


@dataclass(frozen=True)
class ContactCounts:
    days: int | None
    by_channel: tuple[tuple[str, int], ...]
    by_partner: tuple[tuple[str, int], ...]
    by_outcome: tuple[tuple[str, int], ...]
    total: int
    messages_given: int = 0    # contacts that gave the message (not no-shows, refusals, not found)


@dataclass(frozen=True)
class ContactFormChoices:
    person_id: int
    reference: str
    partners: tuple[Option, ...]
    influencers: tuple[Option, ...]
    call_ins: tuple[Option, ...]     # call-ins the person was invited to


def messages_label(deterrence: bool, support: bool, outcome: str | None = None) -> str:
    """The messages a communication carried: "deterrence, support offer"; with its
    outcome, "not given" where the message did not reach the person (a no-show)."""
    if outcome is not None and not message_given(outcome):
        return "not given"
    parts = (["deterrence"] if deterrence else []) + (["support offer"] if support else [])
    return ", ".join(parts) or "-"


class ContactService(Service):
    def timeline(self, person_id: int) -> list[TimelineEntry]:
        """Newest first: every communication, call-in invitation and planned notification."""
        with self.tx() as uow:
            s = uow.session
            person = uow.get(PersonRow, person_id, "person")
            self.require_person_visible(uow, person_id, person.reference)
            out = [TimelineEntry(c.occurred_at, "communication", c.channel, label(c.channel),
                                 c.delivered_by or c.partner_name, c.outcome,
                                 messages_label(c.deterrence_message, c.support_offer, c.outcome),
                                 c.message, c.id)
                   for c in communication_views(s, CommunicationRow.person_id == person_id)]
            for inv, call in s.execute(select(InvitationRow, CallInRow)
                                       .join(CallInRow, CallInRow.id == InvitationRow.call_in_id)
                                       .where(InvitationRow.person_id == person_id,
                                              CallInRow.status != "draft")):
                out.append(TimelineEntry(
                    call.starts_at, "call_in", CommunicationChannel.CALL_IN.value,
                    f"Call-in: {call.title}", inv.delivered_by, label(inv.attendance),
                    "required" if inv.required else "invited",
                    call.venue + ("; asked for help" if inv.asked_for_help else ""), call.id))
            for n, pname in s.execute(select(CustomNotificationRow, PartnerRow.name)
                                      .outerjoin(PartnerRow, PartnerRow.id == CustomNotificationRow.partner_id)
                                      .where(CustomNotificationRow.person_id == person_id,
                                             CustomNotificationRow.communication_id.is_(None))):
                when = datetime.combine(n.planned_for, time(0, 0)) if n.planned_for else datetime.min
                out.append(TimelineEntry(
                    when, "notification_planned", CommunicationChannel.CUSTOM_NOTIFICATION.value,
                    "Custom notification (planned)", pname or n.delivered_by, n.outcome or "planned",
                    messages_label(True, bool(n.offer_ids or n.support_offer)), n.place, n.id))
            out.sort(key=lambda e: e.when, reverse=True)
            uow.audit(AuditOperation.CONSULTATION, "person", person.reference, "contact timeline")
            return out

    def recent(self, days: int | None = 90, channel: str | None = None,
               partner_id: int | None = None, limit: int = 2000) -> list[CommunicationView]:
        where = true()
        if days is not None:
            where = where & (CommunicationRow.occurred_at >= self._cutoff(days))
        if channel:
            where = where & (CommunicationRow.channel == channel)
        if partner_id is not None:
            where = where & (CommunicationRow.partner_id == partner_id)
        visible = self.officer_people()
        if visible is not None:
            where = where & CommunicationRow.person_id.in_(visible)
        with self.tx() as uow:
            rows = communication_views(uow.session, where, limit=limit)
            uow.audit(AuditOperation.CONSULTATION, "communication", "",
                      f"communications log; {len(rows)} rows")
            return rows

    def not_contacted(self, days: int, cohort_id: int | None = None) -> list[NotContacted]:
        """People (of the cohort) with no communication in the last ``days`` days, longest first."""
        cutoff = self._cutoff(days)
        with self.tx() as uow:
            s = uow.session
            last = (select(CommunicationRow.person_id,
                           func.max(CommunicationRow.occurred_at).label("last"))
                    .group_by(CommunicationRow.person_id).subquery())
            q = (select(PersonRow.id, PersonRow.reference, PersonRow.given_name,
                        PersonRow.preferred_name, PersonRow.family_name, last.c.last)
                 .outerjoin(last, last.c.person_id == PersonRow.id)
                 .where(last.c.last.is_(None) | (last.c.last < cutoff))
                 .order_by(last.c.last.is_not(None), last.c.last, PersonRow.reference))
            if cohort_id is not None:
                q = q.where(PersonRow.id.in_(select(CohortMemberRow.person_id)
                                             .where(CohortMemberRow.cohort_id == cohort_id)))
            visible = self.officer_people()
            if visible is not None:
                q = q.where(PersonRow.id.in_(visible))
            rows = s.execute(q).all()
            channels: dict[int, str] = {}
            if any(r[5] is not None for r in rows):
                latest = (select(CommunicationRow.person_id, CommunicationRow.channel)
                          .join(last, (last.c.person_id == CommunicationRow.person_id)
                                & (last.c.last == CommunicationRow.occurred_at))
                          .where(last.c.last < cutoff))
                if visible is not None:
                    latest = latest.where(CommunicationRow.person_id.in_(visible))
                channels = dict(s.execute(latest).all())
            today = self.today()
            out = [NotContacted(pid, ref, display_name(given, pref, family), when,
                                channels.get(pid, ""), (today - when.date()).days if when else None)
                   for pid, ref, given, pref, family, when in rows]
            uow.audit(AuditOperation.CONSULTATION, "communication", "",
                      f"not contacted in {days} days; cohort={cohort_id}; {len(out)} people")
            return out

    def counts(self, days: int | None = None) -> ContactCounts:
        """How many contacts by channel, by partner and by outcome (in the last ``days`` days),
        and how many of them gave the message."""
        with self.tx() as uow:
            s = uow.session
            where = true() if days is None else CommunicationRow.occurred_at >= self._cutoff(days)
            visible = self.officer_people()
            if visible is not None:
                where = where & CommunicationRow.person_id.in_(visible)
            by_channel = s.execute(select(CommunicationRow.channel, func.count()).where(where)
                                   .group_by(CommunicationRow.channel).order_by(func.count().desc())).all()
            by_partner = s.execute(select(func.coalesce(PartnerRow.name, "(no partner)"), func.count())
                                   .select_from(CommunicationRow)
                                   .outerjoin(PartnerRow, PartnerRow.id == CommunicationRow.partner_id)
                                   .where(where).group_by(PartnerRow.name)
                                   .order_by(func.count().desc())).all()
            by_outcome = s.execute(select(CommunicationRow.outcome, func.count()).where(where)
                                   .group_by(CommunicationRow.outcome).order_by(func.count().desc())).all()
            return ContactCounts(days, tuple((c, n) for c, n in by_channel),
                                 tuple((p, n) for p, n in by_partner),
                                 tuple((o, n) for o, n in by_outcome),
                                 sum(n for _, n in by_channel),
                                 sum(n for o, n in by_outcome if message_given(o)))

    def form_choices(self, person_id: int) -> ContactFormChoices:
        with self.tx() as uow:
            s = uow.session
            person = uow.get(PersonRow, person_id, "person")
            self.require_person_visible(uow, person_id, person.reference)
            partners = tuple(Option(p.id, p.name, p.type)
                             for p in s.scalars(select(PartnerRow).order_by(PartnerRow.name)))
            infl = tuple(Option(i.id, f"{i.name} ({i.relationship or label(i.kind).lower()})", i.kind)
                         for i in s.scalars(select(InfluencerRow).where(
                             InfluencerRow.person_id == person_id).order_by(InfluencerRow.name)))
            calls = tuple(Option(c.id, f"{c.title} ({c.starts_at:%d %b %Y})", c.status)
                          for c in s.scalars(select(CallInRow).join(
                              InvitationRow, InvitationRow.call_in_id == CallInRow.id)
                              .where(InvitationRow.person_id == person_id, CallInRow.status != "draft")
                              .order_by(CallInRow.starts_at.desc())))
            return ContactFormChoices(person_id, person.reference, partners, infl, calls)

    def _cutoff(self, days: int) -> datetime:
        return datetime.combine(self.today() - timedelta(days=days), time.min)


CHANNELS = tuple(CommunicationChannel)
OUTCOMES = tuple(CommunicationOutcome)

__all__ = ["ContactService", "TimelineEntry", "NotContacted", "ContactCounts", "ContactFormChoices",
           "messages_label", "CHANNELS", "OUTCOMES"]
