"""Custom notifications: a one-to-one message with the person's own legal-risk summary.

The summary says which levers of the catalogue apply to this person, drawn from
their legal status and their groups; the offer says what help is there. A planned
notification is an action for the delivering partner; recording its outcome
(delivered, refused, not found) writes a communication and moves the action on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..domain.enums import (
    ActionKind, ActionStatus, AuditOperation, CommunicationChannel, GroupType, InterventionKind,
    LegalStatus, PartnerType, Role, label,
)
from ..domain.errors import ValidationError
from ..domain.model import MAX_NOTE, MAX_TEXT
from ..store.mapping import to_record
from ..store.tables import (
    ActionRow, CommunicationRow, CustomNotificationRow, GroupRelationRow, GroupRow, InfluencerRow,
    InterventionRow, MembershipRow, PartnerRow, PersonRow,
)
from .base import Service
from .callins import NEED_PARTNER_TYPES, Option

DELIVERERS = {"police": "Police", "probation": "Probation", "influencer": "An influencer",
              "partner": "Another partner"}
OUTCOMES = ("delivered", "refused", "not_found")


@dataclass
class CustomNotification:
    """The record of one custom notification (the ``custom_notification`` table)."""
    person_id: int
    partner_id: int | None = None           # the partner whose action it is
    delivered_by: str = "police"            # police, probation, influencer, partner
    influencer_id: int | None = None
    legal_risk_summary: str = ""
    lever_ids: list[int] = field(default_factory=list)
    offer_ids: list[int] = field(default_factory=list)
    support_offer: str = ""
    place: str = ""
    planned_for: date | None = None
    delivered_at: datetime | None = None
    outcome: str = ""                       # "", delivered, refused, not_found
    action_id: int | None = None
    communication_id: int | None = None
    id: int | None = None

    def validate(self) -> None:
        e: dict[str, str] = {}
        if self.partner_id is None:
            e["partner_id"] = "choose the partner responsible for the notification"
        if self.delivered_by not in DELIVERERS:
            e["delivered_by"] = "choose who delivers it: " + ", ".join(DELIVERERS)
        if self.delivered_by == "influencer" and self.influencer_id is None:
            e["influencer_id"] = "choose the influencer who delivers it"
        if not self.place.strip():
            e["place"] = "say where it is delivered (home, street, custody...)"
        if self.planned_for is None:
            e["planned_for"] = "give the planned date"
        if self.outcome not in ("",) + OUTCOMES:
            e["outcome"] = "must be delivered, refused or not found"
        if not self.legal_risk_summary.strip():
            e["legal_risk_summary"] = "the legal-risk summary is required"
        for name in ("place", "delivered_by"):
            if len(getattr(self, name)) > MAX_TEXT:
                e[name] = f"at most {MAX_TEXT} characters"
        for name in ("legal_risk_summary", "support_offer"):
            if len(getattr(self, name)) > MAX_NOTE:
                e[name] = f"at most {MAX_NOTE} characters"
        if e:
            raise ValidationError(e)


@dataclass(frozen=True)
class LegalRisk:
    """A person's individual legal-risk summary and the choices the notification form needs."""
    person_id: int
    reference: str
    legal_status: str
    text: str
    lever_ids: tuple[int, ...]
    offer_ids: tuple[int, ...]
    support_offer: str
    levers: tuple[Option, ...]          # the whole lever catalogue
    offers: tuple[Option, ...]
    partners: tuple[Option, ...]
    influencers: tuple[Option, ...]     # this person's influencers
    suggested_partner_id: int | None
    suggested_deliverer: str


@dataclass(frozen=True)
class NotificationView:
    id: int
    person_id: int
    reference: str
    planned_for: date | None
    place: str
    delivered_by: str
    partner_name: str
    outcome: str
    delivered_at: datetime | None
    action_id: int | None


def _levers_for(s: Session, person: PersonRow) -> tuple[list[InterventionRow], list[str]]:
    """Levers that apply to the person, and the sentences explaining why."""
    status = LegalStatus(person.legal_status)
    memberships = list(s.execute(
        select(GroupRow.id, GroupRow.name, GroupRow.type).join(
            MembershipRow, MembershipRow.group_id == GroupRow.id)
        .where(MembershipRow.person_id == person.id, MembershipRow.end.is_(None))
        .order_by(GroupRow.name)))
    reasons: list[str] = []
    if status in (LegalStatus.LICENCE, LegalStatus.PROBATION):
        until = f" until {person.legal_status_end:%d %B %Y}" if person.legal_status_end else ""
        reasons.append(f"On {status.value}{until}: a breach of its conditions can lead to recall or "
                       "a return to court.")
    elif status is LegalStatus.BAIL:
        reasons.append("On bail: further offending can lead to bail being withdrawn.")
    elif status in (LegalStatus.CUSTODY, LegalStatus.REMAND):
        when = f" (release expected {person.custody_release:%d %B %Y})" if person.custody_release else ""
        reasons.append(f"In {status.value}{when}: the message is delivered before release.")
    if memberships:
        names = ", ".join(n for _, n, _ in memberships)
        reasons.append(f"Member of {names}: if the group commits violence, every lever is used "
                       "against every member of the group.")
        ids = [g for g, _, _ in memberships]
        rivals = s.scalars(select(GroupRow.name).join(
            GroupRelationRow, or_(GroupRelationRow.group_id == GroupRow.id,
                                  GroupRelationRow.other_group_id == GroupRow.id))
            .where(GroupRelationRow.kind == "rivalry",
                   or_(GroupRelationRow.group_id.in_(ids), GroupRelationRow.other_group_id.in_(ids)),
                   GroupRow.id.not_in(ids))).all()
        if rivals:
            reasons.append("The group is in rivalry with " + ", ".join(sorted(set(rivals))) + ".")
    applies: set[str] = set()
    if status in (LegalStatus.LICENCE, LegalStatus.PROBATION):
        applies |= {PartnerType.PROBATION.value, PartnerType.PRISON.value}
    if memberships or status is LegalStatus.BAIL:
        applies |= {PartnerType.POLICE.value, PartnerType.CPS.value, PartnerType.YOUTH_JUSTICE.value}
    if any(t in (GroupType.STREET_GROUP.value, GroupType.DRUG_LINE.value) for _, _, t in memberships):
        applies.add(PartnerType.COUNCIL.value)
    if person.address.strip() and memberships:
        applies.add(PartnerType.HOUSING.value)
    levers = list(s.scalars(select(InterventionRow).where(
        InterventionRow.kind == InterventionKind.LEVER.value,
        InterventionRow.partner_type.in_(applies)).order_by(InterventionRow.name)))
    return levers, reasons


def _offers_for(s: Session, person: PersonRow) -> list[InterventionRow]:
    offers = list(s.scalars(select(InterventionRow).where(
        InterventionRow.kind == InterventionKind.OFFER.value).order_by(InterventionRow.name)))
    wanted = {NEED_PARTNER_TYPES[n].value for n in person.needs or [] if n in NEED_PARTNER_TYPES}
    matched = [o for o in offers if o.partner_type in wanted]
    return matched or offers[:2]


def summary_text(s: Session, person: PersonRow) -> tuple[str, list[int], list[int], str]:
    """(summary, lever ids, offer ids, support offer text) for ``person``."""
    levers, reasons = _levers_for(s, person)
    offers = _offers_for(s, person)
    lines = [f"Legal-risk summary for {person.reference}"] + [f"- {r}" for r in reasons]
    if not reasons:
        lines.append("- No current legal status or group membership is recorded.")
    lines.append("Consequences that apply:")
    lines += [f"- {l.name}: {l.description}".rstrip(": ") for l in levers] or ["- none from the catalogue"]
    offer_text = "; ".join(f"{o.name} ({o.contact})" if o.contact else o.name for o in offers)
    return "\n".join(lines), [l.id for l in levers], [o.id for o in offers], offer_text


def plan_row(uow, person_id: int, partner_id: int, action_id: int | None, planned_for: date,
             place: str, delivered_by: str) -> CustomNotificationRow:
    """Insert a planned notification (with its summary drawn now) inside ``uow``'s transaction."""
    s = uow.session
    person = uow.get(PersonRow, person_id, "person")
    text, lever_ids, offer_ids, offer = summary_text(s, person)
    partner = s.get(PartnerRow, partner_id)
    kind = partner.type if partner is not None and partner.type in DELIVERERS else "partner"
    row = CustomNotificationRow(person_id=person_id, legal_risk_summary=text, lever_ids=lever_ids,
                                offer_ids=offer_ids, support_offer=offer, delivered_by=kind,
                                partner_id=partner_id, place=place, planned_for=planned_for,
                                outcome="", action_id=action_id)
    s.add(row)
    s.flush()
    uow.audit(AuditOperation.COLLECTION, "custom_notification", row.id,
              f"planned for person {person.reference}; {len(lever_ids)} levers, {len(offer_ids)} offers")
    return row


class NotificationService(Service):
    def legal_risk(self, person_id: int) -> LegalRisk:
        """The person's legal-risk summary and the form's choices. Drawing it is a consultation."""
        with self.tx() as uow:
            s = uow.session
            person = uow.get(PersonRow, person_id, "person")
            self.require_person_visible(uow, person_id, person.reference)
            text, lever_ids, offer_ids, offer = summary_text(s, person)
            cat = list(s.scalars(select(InterventionRow).order_by(InterventionRow.name)))
            partners = list(s.scalars(select(PartnerRow).order_by(PartnerRow.name)))
            status = LegalStatus(person.legal_status)
            supervised = status in (LegalStatus.LICENCE, LegalStatus.PROBATION)
            by_type = {p.type: p.id for p in reversed(partners)}
            if supervised and person.supervising_partner_id:
                suggested, deliverer = person.supervising_partner_id, "probation"
            else:
                suggested, deliverer = by_type.get(PartnerType.POLICE.value), "police"
            influencers = tuple(Option(i.id, f"{i.name} ({i.relationship or label(i.kind).lower()})", i.kind)
                                for i in s.scalars(select(InfluencerRow).where(
                                    InfluencerRow.person_id == person_id).order_by(InfluencerRow.name)))
            uow.audit(AuditOperation.CONSULTATION, "person", person.reference, "legal-risk summary")
            return LegalRisk(
                person.id, person.reference, person.legal_status, text, tuple(lever_ids),
                tuple(offer_ids), offer,
                tuple(Option(c.id, c.name, c.partner_type) for c in cat if c.kind == InterventionKind.LEVER.value),
                tuple(Option(c.id, c.name, c.partner_type) for c in cat if c.kind == InterventionKind.OFFER.value),
                tuple(Option(p.id, p.name, p.type) for p in partners), influencers, suggested, deliverer)

    def plan(self, n: CustomNotification) -> CustomNotification:
        """Plan a notification: its record and the partner's action, in one transaction."""
        self.require(Role.COORDINATOR, Role.PARTNER_OFFICER)
        n.outcome, n.delivered_at, n.communication_id = "", None, None
        n.validate()
        with self.tx() as uow:
            s = uow.session
            person = uow.get(PersonRow, n.person_id, "person")
            self.require_person_visible(uow, n.person_id, person.reference, AuditOperation.COLLECTION)
            if s.get(PartnerRow, n.partner_id) is None:
                raise ValidationError("partner_id", "choose a partner that exists")
            if n.influencer_id is not None:
                infl = s.get(InfluencerRow, n.influencer_id)
                if infl is None or infl.person_id != n.person_id:
                    raise ValidationError("influencer_id", "choose one of this person's influencers")
            known = set(s.scalars(select(InterventionRow.id)))
            if not set(n.lever_ids) <= known or not set(n.offer_ids) <= known:
                raise ValidationError("lever_ids", "choose levers and offers from the catalogue")
            who = DELIVERERS[n.delivered_by].lower()
            act = ActionRow(partner_id=n.partner_id, kind=ActionKind.COMMUNICATION.value,
                            description=f"Deliver a custom notification ({who}, {n.place.strip()})"[:MAX_NOTE],
                            person_id=n.person_id, due_date=n.planned_for,
                            status=ActionStatus.PLANNED.value)
            s.add(act)
            s.flush()
            uow.audit(AuditOperation.COLLECTION, "action", act.id,
                      f"kind={act.kind}; partner={act.partner_id}; custom notification")
            row = CustomNotificationRow(
                person_id=n.person_id, legal_risk_summary=n.legal_risk_summary,
                lever_ids=list(n.lever_ids), offer_ids=list(n.offer_ids), support_offer=n.support_offer,
                delivered_by=n.delivered_by, partner_id=n.partner_id, influencer_id=n.influencer_id,
                place=n.place.strip(), planned_for=n.planned_for, outcome="", action_id=act.id)
            s.add(row)
            s.flush()
            uow.audit(AuditOperation.COLLECTION, "custom_notification", row.id,
                      f"planned for person {person.reference}; {len(n.lever_ids)} levers, "
                      f"{len(n.offer_ids)} offers")
            return to_record(row, CustomNotification)

    def record_outcome(self, notification_id: int, outcome: str, when: datetime,
                       note: str = "") -> CustomNotification:
        """Delivered, refused or not found: writes the communication and moves the action on."""
        self.require(Role.COORDINATOR, Role.PARTNER_OFFICER)
        if outcome not in OUTCOMES:
            raise ValidationError("outcome", "must be delivered, refused or not found")
        if when.date() > self.today():
            raise ValidationError("delivered_at", "an outcome cannot be recorded in the future")
        with self.tx() as uow:
            s = uow.session
            row = uow.get(CustomNotificationRow, notification_id, "custom notification")
            if row.outcome == "delivered":
                raise ValidationError("outcome", "this notification was already delivered")
            person = uow.get(PersonRow, row.person_id, "person")
            partner = s.get(PartnerRow, row.partner_id) if row.partner_id else None
            deliverer = DELIVERERS.get(row.delivered_by, row.delivered_by)
            if row.influencer_id is not None:
                infl = s.get(InfluencerRow, row.influencer_id)
                deliverer = infl.name if infl is not None else deliverer
            elif partner is not None:
                deliverer = partner.name
            comm = CommunicationRow(
                person_id=row.person_id, occurred_at=when,
                channel=CommunicationChannel.CUSTOM_NOTIFICATION.value, delivered_by=deliverer[:200],
                partner_id=row.partner_id, influencer_id=row.influencer_id, deterrence_message=True,
                support_offer=bool(row.offer_ids or row.support_offer),
                message=("Custom notification at " + row.place + (f". {note}" if note else ""))[:MAX_NOTE],
                outcome=outcome)
            s.add(comm)
            s.flush()
            uow.audit(AuditOperation.COLLECTION, "communication", comm.id,
                      f"custom_notification with person {person.reference}")
            row.outcome, row.delivered_at, row.communication_id = outcome, when, comm.id
            uow.audit(AuditOperation.ALTERATION, "custom_notification", row.id,
                      f"fields=outcome,delivered_at,communication_id; outcome={outcome}")
            act = s.get(ActionRow, row.action_id) if row.action_id else None
            if act is not None and ActionStatus(act.status).is_open:
                act.status = (ActionStatus.IN_PROGRESS if outcome == "not_found" else ActionStatus.DONE).value
                act.outcome = {"delivered": "Custom notification delivered",
                               "refused": "Custom notification refused",
                               "not_found": "Person not found; try again"}[outcome] + f" ({when:%d %b %Y})"
                uow.audit(AuditOperation.ALTERATION, "action", act.id, "fields=outcome,status")
            s.flush()
            return to_record(row, CustomNotification)

    def get(self, notification_id: int) -> CustomNotification:
        with self.tx() as uow:
            return to_record(uow.get(CustomNotificationRow, notification_id, "custom notification"),
                             CustomNotification)

    def list(self, person_id: int | None = None, open_only: bool = False) -> list[NotificationView]:
        q = (select(CustomNotificationRow, PersonRow.reference, PartnerRow.name)
             .join(PersonRow, PersonRow.id == CustomNotificationRow.person_id)
             .outerjoin(PartnerRow, PartnerRow.id == CustomNotificationRow.partner_id)
             .order_by(CustomNotificationRow.planned_for.desc(), CustomNotificationRow.id.desc()))
        if person_id is not None:
            q = q.where(CustomNotificationRow.person_id == person_id)
        if open_only:
            q = q.where(CustomNotificationRow.outcome.in_(("", "not_found")))
        visible = self.officer_people()
        if visible is not None:
            q = q.where(CustomNotificationRow.person_id.in_(visible))
        with self.tx() as uow:
            return [NotificationView(n.id, n.person_id, ref, n.planned_for, n.place, n.delivered_by,
                                     pname or "", n.outcome, n.delivered_at, n.action_id)
                    for n, ref, pname in uow.session.execute(q)]
