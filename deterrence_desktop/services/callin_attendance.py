"""After a call-in: attendance, the follow-ups the app proposes, and creating them.

:class:`AttendanceMixin` gives :class:`~.callins.CallInService` its after-the-event
methods. Attendance is written with a call-in communication per person: an
attendee's records the message given on the night; a no-show's records that the
person did not come, with no message given (the message was not delivered, so it
never counts as delivery: see :func:`~..domain.model.message_given`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import (
    ActionKind, ActionStatus, AttendanceStatus, AuditOperation, CommunicationChannel,
    CommunicationOutcome, InterventionKind, PartnerType, Role,
)
from ..domain.errors import ValidationError
from ..store.tables import (
    ActionRow, CallInRow, CommunicationRow, InterventionRow, InvitationRow, PartnerRow, PersonRow,
)


@dataclass(frozen=True)
class FollowUpProposal:
    """A follow-up the app suggests after attendance is recorded."""
    person_id: int
    reference: str
    kind: str                 # custom_notification, home_visit, referral
    partner_id: int
    partner_name: str
    description: str
    due_date: date
    intervention_id: int | None = None
    alternatives: tuple[str, ...] = ()     # other kinds the user may choose instead


ATTENDED = (AttendanceStatus.ATTENDED.value, AttendanceStatus.LATE.value)
NOT_EXPECTED = (AttendanceStatus.EXCUSED.value, AttendanceStatus.IN_CUSTODY.value)
NEED_PARTNER_TYPES = {
    "housing": PartnerType.HOUSING, "employment": PartnerType.COUNCIL,
    "substance_use": PartnerType.DRUG_TREATMENT, "mental_health": PartnerType.HEALTH,
    "family": PartnerType.COUNCIL,
}
FOLLOW_UP_DAYS = 7
CALL_IN_OUTCOMES = {AttendanceStatus.ATTENDED: CommunicationOutcome.ATTENDED,
                    AttendanceStatus.LATE: CommunicationOutcome.ATTENDED,
                    AttendanceStatus.NO_SHOW: CommunicationOutcome.NO_SHOW}


def attendance_rate(attendances: list[str]) -> float | None:
    """Attended or late, over invitations that were expected (not excused or in custody),
    once attendance has been recorded; None while nothing is recorded."""
    recorded = [a for a in attendances if a != AttendanceStatus.INVITED.value]
    expected = [a for a in recorded if a not in NOT_EXPECTED]
    if not expected:
        return None
    return sum(1 for a in expected if a in ATTENDED) / len(expected)


def long_date(d: date) -> str:
    """10 December 2026 (no leading zero), as a sentence says it."""
    return f"{d.day} {d:%B %Y}"


def attendance_not_yet(starts_at: datetime, today: date) -> str | None:
    """Why attendance cannot be recorded yet (the call-in is in the future), or None."""
    if starts_at.date() > today:
        return f"Attendance can be recorded from the day of the call-in, {long_date(starts_at.date())}."
    return None


def call_in_communication_values(status: AttendanceStatus, title: str) -> dict | None:
    """What the call-in communication of one invitee says: the message given on the night
    for an attendee; for a no-show, that they did not come and no message was given."""
    outcome = CALL_IN_OUTCOMES.get(status)
    if outcome is None:
        return None
    if outcome is CommunicationOutcome.NO_SHOW:
        return dict(delivered_by="", deterrence_message=False, support_offer=False,
                    message=f"Did not attend the call-in: {title}",
                    outcome=outcome.value)
    return dict(delivered_by="Call-in speakers", deterrence_message=True, support_offer=True,
                message=f"Call-in: {title}", outcome=outcome.value)


def add_action(uow, act: ActionRow) -> int:
    uow.session.add(act)
    uow.session.flush()
    uow.audit(AuditOperation.COLLECTION, "action", act.id,
              f"kind={act.kind}; partner={act.partner_id}; call-in {act.call_in_id}")
    return 1


class AttendanceMixin:
    """The call-in service's methods for after the event (needs ``Service``'s tx/require)."""

    _add_action = staticmethod(add_action)      # every action a call-in creates goes through here

    def record_attendance(self, call_in_id: int,
                          attendance: dict[int, tuple[AttendanceStatus | str, bool]]) -> list[FollowUpProposal]:
        """Record each invitee's attendance and whether they asked for help; the call-in
        becomes held, each attendee and no-show gets a call-in communication (a no-show's
        records no message given). Returns the follow-ups the app proposes."""
        self.require(Role.COORDINATOR, Role.PARTNER_OFFICER)
        with self.tx() as uow:
            s = uow.session
            row = uow.get(CallInRow, call_in_id, "call-in")
            if row.status in ("draft", "cancelled"):
                raise ValidationError("status", f"attendance cannot be recorded for a {row.status} call-in")
            not_yet = attendance_not_yet(row.starts_at, self.today())
            if not_yet:
                raise ValidationError("status", not_yet)
            invs = {i.person_id: i for i in s.scalars(
                select(InvitationRow).where(InvitationRow.call_in_id == call_in_id))}
            existing = {c.person_id: c for c in s.scalars(select(CommunicationRow).where(
                CommunicationRow.call_in_id == call_in_id,
                CommunicationRow.channel == CommunicationChannel.CALL_IN.value))}
            refs = dict(s.execute(select(PersonRow.id, PersonRow.reference)
                                  .where(PersonRow.id.in_(list(invs)))).all())
            changed = 0
            for pid, (status, asked) in attendance.items():
                status = AttendanceStatus(status)
                inv = invs.get(pid)
                if inv is None:
                    raise ValidationError("person_id", f"person {pid} was not invited to this call-in")
                if inv.attendance != status.value or inv.asked_for_help != bool(asked):
                    fields = [n for n, old, new in (("attendance", inv.attendance, status.value),
                                                    ("asked_for_help", inv.asked_for_help, bool(asked)))
                              if old != new]
                    inv.attendance, inv.asked_for_help = status.value, bool(asked)
                    changed += 1
                    uow.audit(AuditOperation.ALTERATION, "invitation", inv.id,
                              f"person {refs[pid]}; fields={','.join(fields)}")
                values = call_in_communication_values(status, row.title)
                if values is None:
                    continue
                comm = existing.get(pid)
                if comm is None:
                    occurred = min(row.starts_at, datetime.combine(self.today(), time(23, 59)))
                    comm = CommunicationRow(person_id=pid, occurred_at=occurred, call_in_id=call_in_id,
                                            channel=CommunicationChannel.CALL_IN.value, **values)
                    s.add(comm)
                    s.flush()
                    existing[pid] = comm
                    uow.audit(AuditOperation.COLLECTION, "communication", comm.id,
                              f"call_in with person {refs[pid]}")
                elif comm.outcome != values["outcome"]:      # attendance corrected afterwards
                    fields = sorted(k for k, v in values.items() if getattr(comm, k) != v)
                    for k, v in values.items():
                        setattr(comm, k, v)
                    uow.audit(AuditOperation.ALTERATION, "communication", comm.id,
                              f"person {refs[pid]}; fields={','.join(fields)}")
            if row.status == "planned":
                row.status = "held"
                uow.audit(AuditOperation.ALTERATION, "call_in", call_in_id, "fields=status")
            uow.audit(AuditOperation.ALTERATION, "call_in", call_in_id,
                      f"attendance recorded; {changed} invitations changed")
            s.flush()
            return self._proposals(s, row)

    def proposals(self, call_in_id: int) -> list[FollowUpProposal]:
        with self.tx() as uow:
            return self._proposals(uow.session, uow.get(CallInRow, call_in_id, "call-in"))

    def _proposals(self, s: Session, row: CallInRow) -> list[FollowUpProposal]:
        done = {int(k) for k in ((row.details or {}).get("follow_ups") or {})}
        partners = {p.id: p for p in s.scalars(select(PartnerRow).order_by(PartnerRow.id))}
        by_type: dict[str, int] = {}
        for p in partners.values():
            by_type.setdefault(p.type, p.id)
        police = by_type.get(PartnerType.POLICE.value) or next(iter(partners), None)
        offers_on_night = [(o.get("intervention_id"), o.get("partner_id"))
                           for o in ((row.details or {}).get("messages") or {}).get("offers") or []]
        catalogue = {c.id: c for c in s.scalars(select(InterventionRow).where(
            InterventionRow.kind == InterventionKind.OFFER.value))}
        due = self.today() + timedelta(days=FOLLOW_UP_DAYS)
        out: list[FollowUpProposal] = []
        for inv, p in s.execute(select(InvitationRow, PersonRow)
                                .join(PersonRow, PersonRow.id == InvitationRow.person_id)
                                .where(InvitationRow.call_in_id == row.id)
                                .order_by(PersonRow.reference)):
            if p.id in done:
                continue
            if inv.attendance == AttendanceStatus.NO_SHOW.value and police is not None:
                deliverer = p.supervising_partner_id if inv.required and p.supervising_partner_id else police
                out.append(FollowUpProposal(
                    p.id, p.reference, "custom_notification", deliverer, partners[deliverer].name,
                    f"Custom notification after missing the call-in {row.title}", due,
                    alternatives=("home_visit",)))
            elif inv.attendance in ATTENDED and inv.asked_for_help:
                partner_id, intervention_id = self._referral_partner(p, partners, by_type,
                                                                     offers_on_night, catalogue)
                if partner_id is None:
                    continue
                what = catalogue[intervention_id].name if intervention_id in catalogue else "support"
                out.append(FollowUpProposal(
                    p.id, p.reference, "referral", partner_id, partners[partner_id].name,
                    f"Referral after the call-in {row.title}: {what}", due, intervention_id))
        return out

    @staticmethod
    def _referral_partner(p: PersonRow, partners: dict, by_type: dict[str, int],
                          offers_on_night: list[tuple[int, int]], catalogue: dict) -> tuple[int | None, int | None]:
        """The right partner for a help request: the first need a partner can meet, preferring
        an offer made on the night; else the first offer made on the night."""
        for need in p.needs or []:
            ptype = NEED_PARTNER_TYPES.get(need)
            if ptype is None:
                continue
            for iid, pid in offers_on_night:
                if pid in partners and partners[pid].type == ptype.value:
                    return pid, iid
            if ptype.value in by_type:
                iid = next((c.id for c in catalogue.values() if c.partner_type == ptype.value), None)
                return by_type[ptype.value], iid
        for iid, pid in offers_on_night:
            if pid in partners:
                return pid, iid
        return None, None

    def accept_follow_ups(self, call_in_id: int, proposals: list[FollowUpProposal]) -> list[int]:
        """Create the chosen follow-ups as actions (a custom notification also gets its
        planned record); returns the new action ids."""
        self.require(Role.COORDINATOR, Role.PARTNER_OFFICER)
        from .notifications import plan_row    # the notification record lives there
        with self.tx() as uow:
            s = uow.session
            row = uow.get(CallInRow, call_in_id, "call-in")
            details = dict(row.details or {})
            follow = dict(details.get("follow_ups") or {})
            ids = []
            for prop in proposals:
                if str(prop.person_id) in follow:
                    continue
                invited = s.scalar(select(InvitationRow.id).where(
                    InvitationRow.call_in_id == call_in_id, InvitationRow.person_id == prop.person_id))
                if invited is None:
                    raise ValidationError("person_id", f"{prop.reference} was not invited to this call-in")
                kind = {"custom_notification": ActionKind.COMMUNICATION, "home_visit": ActionKind.COMMUNICATION,
                        "referral": ActionKind.SUPPORT}[prop.kind]
                description = prop.description
                if prop.kind == "home_visit":
                    description = f"Home visit after missing the call-in {row.title}"
                act = ActionRow(partner_id=prop.partner_id, kind=kind.value, description=description,
                                person_id=prop.person_id, due_date=prop.due_date,
                                status=ActionStatus.PLANNED.value, intervention_id=prop.intervention_id,
                                call_in_id=call_in_id)
                self._add_action(uow, act)
                entry = {"kind": prop.kind, "action_id": act.id}
                if prop.kind == "custom_notification":
                    cn = plan_row(uow, prop.person_id, prop.partner_id, act.id, prop.due_date,
                                  place="home address", delivered_by=prop.partner_name)
                    entry["notification_id"] = cn.id
                follow[str(prop.person_id)] = entry
                ids.append(act.id)
            details["follow_ups"] = follow
            row.details = details
            uow.audit(AuditOperation.ALTERATION, "call_in", call_in_id,
                      f"follow-ups created: {len(ids)}")
            return ids


__all__ = ["AttendanceMixin", "FollowUpProposal", "ATTENDED", "NOT_EXPECTED", "NEED_PARTNER_TYPES",
           "FOLLOW_UP_DAYS", "attendance_rate", "attendance_not_yet", "long_date",
           "call_in_communication_values", "add_action"]
