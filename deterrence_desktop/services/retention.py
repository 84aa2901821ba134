"""Retention review and erasure: keep a person's record (until the next review) or erase it.

Every person has a review date, set from the partnership's retention rule
(``retention_months``) when they are added. The review queue lists those whose
date has come; a coordinator records *keep* (the next review date follows from
the rule) or *erase*, with a reason, in ``retention_review``, which holds the
person's reference only, so it outlives the erasure.

Erasure removes the person and everything only about them, in one transaction:
their influencers, group memberships, cohort memberships, call-in invitations,
custom notifications, actions about them, meeting agenda items about them,
communications (including the record of letters sent), and their id in the
call-in records' JSON details (drafts, delivery plans, follow-ups) and what
the letters printed for them said (``letter_issue``). Actions
about a group, and everything else, stay. ``secure_delete`` overwrites the
freed pages and the WAL is checkpointed, so the content does not linger in
the file. The audit trail keeps metadata only: who erased which reference,
when, and how many records of each kind; never the content or the reason.
Backups made before the erasure still hold the person until they rotate out.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import delete, func, select, text

from ..domain.dates import add_months
from ..domain.model import display_name
from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..store.tables import (
    ActionRow, CallInRow, CohortMemberRow, CommunicationRow, CustomNotificationRow,
    InfluencerRow, InvitationRow, LetterIssueRow, MeetingItemRow, MembershipRow, PartnershipRow,
    PersonRow, RetentionReviewRow,
)
from ..store.tables_network import IncidentPersonRow, PersonLinkRow
from ..store.tables_outcomes import OutcomeEventRow
from ..store.tables_custody import CustodyEpisodeRow
from .actions import OPEN_STATUSES
from .base import Service

KEEP, ERASE = "keep", "erase"

# What an erasure removes, in the order it is counted: (label, table, person column).
ONLY_ABOUT_THE_PERSON = [
    ("influencers", InfluencerRow, InfluencerRow.person_id),
    ("memberships", MembershipRow, MembershipRow.person_id),
    ("cohort_memberships", CohortMemberRow, CohortMemberRow.person_id),
    ("invitations", InvitationRow, InvitationRow.person_id),
    ("custom_notifications", CustomNotificationRow, CustomNotificationRow.person_id),
    ("custody_episodes", CustodyEpisodeRow, CustodyEpisodeRow.person_id),   # their dates, plans
    ("actions", ActionRow, ActionRow.person_id),
    ("meeting_items", MeetingItemRow, MeetingItemRow.person_id),
    ("letters", LetterIssueRow, LetterIssueRow.person_id),
    ("communications", CommunicationRow, CommunicationRow.person_id),
    ("incident_involvements", IncidentPersonRow, IncidentPersonRow.person_id),   # issue 14
    ("links", PersonLinkRow, PersonLinkRow.person_id),
    ("links_to_them", PersonLinkRow, PersonLinkRow.other_person_id),
    ("outcomes", OutcomeEventRow, OutcomeEventRow.person_id),
]

# Keys of call_in.details that map str(person_id) to a plan for that person.
_PER_PERSON_MAPS = ("follow_ups", "delivery_overrides")


@dataclass(frozen=True)
class ReviewItem:
    person_id: int
    reference: str
    name: str
    review_date: date | None        # None: never set, so due now
    days_overdue: int
    open_actions: int
    last_contact: datetime | None


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    person_reference: str
    decided_at: datetime
    reviewer: str
    decision: str
    reason: str
    next_review: date | None


@dataclass(frozen=True)
class ErasureReport:
    reference: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + 1


def _scrub(value, person_id: int):
    """``value`` (call-in JSON) without the entries about ``person_id``; (new, changed)."""
    changed = False
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _PER_PERSON_MAPS and isinstance(v, dict) and str(person_id) in v:
                v = {kk: vv for kk, vv in v.items() if kk != str(person_id)}
                changed = True
            v2, c = _scrub(v, person_id)
            out[k] = v2
            changed |= c
        return out, changed
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict) and str(item.get("person_id", "")) == str(person_id):
                changed = True
                continue
            v2, c = _scrub(item, person_id)
            out.append(v2)
            changed |= c
        return out, changed
    return value, False


class RetentionService(Service):
    def due(self, on: date | None = None) -> list[ReviewItem]:
        """People whose review date has come (by ``on``, default today), oldest first.
        Coordinators and analysts see the queue; only coordinators decide."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.CONSULTATION,
                     entity="retention_review")
        on = on or self.today()
        with self.tx() as uow:
            s = uow.session
            open_counts = dict(s.execute(
                select(ActionRow.person_id, func.count())
                .where(ActionRow.person_id.is_not(None),
                       ActionRow.status.in_(OPEN_STATUSES))
                .group_by(ActionRow.person_id)).all())
            last = dict(s.execute(select(CommunicationRow.person_id,
                                         func.max(CommunicationRow.occurred_at))
                                  .group_by(CommunicationRow.person_id)).all())
            rows = s.execute(select(PersonRow.id, PersonRow.reference, PersonRow.given_name,
                                    PersonRow.preferred_name, PersonRow.family_name,
                                    PersonRow.review_date)
                             .where(PersonRow.review_date.is_(None) | (PersonRow.review_date <= on))
                             .order_by(PersonRow.review_date.is_not(None), PersonRow.review_date,
                                       PersonRow.reference))
            # A person without a review date (added by a bulk import) is due at once.
            items = [ReviewItem(r.id, r.reference, display_name(r.given_name, r.preferred_name, r.family_name),
                                r.review_date, (on - r.review_date).days if r.review_date else 0,
                                open_counts.get(r.id, 0), last.get(r.id)) for r in rows]
            uow.audit(AuditOperation.CONSULTATION, "retention_review", "",
                      f"review queue: count={len(items)}")
            return items

    def history(self, reference: str | None = None) -> list[ReviewRecord]:
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.CONSULTATION,
                     entity="retention_review")
        q = select(RetentionReviewRow).order_by(RetentionReviewRow.decided_at.desc(),
                                                RetentionReviewRow.id.desc())
        if reference:
            q = q.where(RetentionReviewRow.person_reference == reference)
        with self.tx() as uow:
            return [ReviewRecord(r.id, r.person_reference, r.decided_at, r.reviewer, r.decision,
                                 r.reason, r.next_review) for r in uow.session.scalars(q)]

    def keep(self, person_id: int, reason: str, next_review: date | None = None) -> date:
        """Keep the record; the next review follows the partnership's retention rule
        unless ``next_review`` is given. Returns the next review date."""
        reason = self._reason(reason)
        with self.tx() as uow:
            row = uow.get(PersonRow, person_id, "person")
            self.require(Role.COORDINATOR, entity="person", ref=row.reference)
            if next_review is None:
                months = uow.session.scalar(select(PartnershipRow.retention_months)) or 12
                next_review = add_months(self.today(), months)
            if next_review <= self.today():
                raise ValidationError("next_review", "the next review must be in the future")
            row.review_date = next_review
            uow.session.add(RetentionReviewRow(
                person_reference=row.reference, reviewer=self.actor.username, decision=KEEP,
                reason=reason, next_review=next_review,
                decided_at=self.utcnow()))
            uow.audit(AuditOperation.ALTERATION, "person", row.reference,
                      "retention review: keep; fields=review_date")
            return next_review

    def erasure_preview(self, person_id: int) -> ErasureReport:
        """What erasing ``person_id`` would remove (counts by kind), for the confirmation."""
        self.require(Role.COORDINATOR, operation=AuditOperation.ERASURE, entity="person",
                     ref=person_id)
        with self.tx() as uow:
            row = uow.get(PersonRow, person_id, "person")
            return ErasureReport(row.reference, self._counts(uow.session, person_id))

    def erase(self, person_id: int, reason: str) -> ErasureReport:
        """Erase the person and everything only about them (see the module doc)."""
        reason = self._reason(reason)
        self.require(Role.COORDINATOR, operation=AuditOperation.ERASURE, entity="person",
                     ref=person_id)
        with self.tx() as uow:
            s = uow.session
            row = uow.get(PersonRow, person_id, "person")
            reference = row.reference
            if s.get_bind().dialect.name == "sqlite":
                # Overwrite the freed pages. On a server the erased rows' space is reclaimed
                # by its vacuum (docs/team-mode.md).
                s.execute(text("PRAGMA secure_delete = ON"))
            counts = self._counts(s, person_id)
            scrubbed = 0
            for call_in in s.scalars(select(CallInRow)):
                new, changed = _scrub(call_in.details or {}, person_id)
                if changed:
                    call_in.details = new
                    scrubbed += 1
            counts["call_in_details"] = scrubbed
            # Children first (the foreign keys cascade too; this makes it explicit).
            for _, table, column in ONLY_ABOUT_THE_PERSON:
                s.execute(delete(table).where(column == person_id))
            s.execute(delete(PersonRow).where(PersonRow.id == person_id))
            s.add(RetentionReviewRow(
                person_reference=reference, reviewer=self.actor.username, decision=ERASE,
                reason=reason, next_review=None,
                decided_at=self.utcnow()))
            uow.audit(AuditOperation.ERASURE, "person", reference,
                      "erased with: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        # Push the WAL into the file, so freed (zeroed) pages replace the old content.
        with contextlib.suppress(Exception):
            self.app.workspace.checkpoint()
        return ErasureReport(reference, counts)

    @staticmethod
    def _counts(session, person_id: int) -> dict[str, int]:
        return {label: session.scalar(select(func.count()).select_from(table)
                                      .where(column == person_id))
                for label, table, column in ONLY_ABOUT_THE_PERSON}

    @staticmethod
    def _reason(reason: str) -> str:
        reason = (reason or "").strip()
        if len(reason) < 3:
            raise ValidationError("reason", "give the reason for this decision")
        if len(reason) > 2000:
            raise ValidationError("reason", "keep the reason under 2,000 characters")
        return reason
