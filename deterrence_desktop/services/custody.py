"""Custody episodes: entry into custody, release dates learned (and changed), release.

The person's legal status and expected release follow the current episode. Recording a
new episode proposes what starts on entry (a prison drug-service referral, a review at
release keeping the person in the cohort) and proposes pausing the open community
actions that can no longer be delivered; the user accepts them line by line. A changed
release date moves the continuity plan's due dates with it (``continuity.redate``).
Custody suite contacts (a drug worker's referral in a police custody suite) are
communications on the custody channel; :meth:`CustodyService.custody_suite_counts`
counts them by hour of day and day of week.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from ..domain.custody import (
    CustodyEpisode, ReleaseDateChange, ReleaseFlags, Shift, flags_for, legal_status_for,
    shift_off_closed,
)
from ..domain.enums import (
    ActionKind, ActionStatus, AuditOperation, CommunicationChannel, CommunicationOutcome,
    LegalStatus, PartnerType, Role,
)
from ..domain.errors import ValidationError
from ..domain.model import Person
from ..store.mapping import to_record
from ..store.tables import ActionRow, CohortMemberRow, CommunicationRow, PartnerRow, PersonRow
from ..store.tables_custody import (
    CustodyEpisodeRow, PlanActionRow, ReleaseDateChangeRow,
)
from .actions import OPEN_STATUSES
from .base import Service, UnitOfWork
from .continuity import MovedAction, partners_by_type, plan_statuses, redate
from .release_planner import closed_days

__all__ = [
    "CustodyService", "EpisodeView", "EntryProposals", "Proposal", "ReleaseChange",
    "SuiteCounts", "SUITE_OUTCOMES", "COMMUNITY_PARTNER_TYPES", "CustodyAddress",
    "custody_addresses", "release_edited",
]

# Open actions of these partners need the person in the community: proposed for pausing.
COMMUNITY_PARTNER_TYPES = frozenset({
    PartnerType.POLICE, PartnerType.COUNCIL, PartnerType.HOUSING, PartnerType.HEALTH,
    PartnerType.DRUG_TREATMENT, PartnerType.YOUTH_JUSTICE, PartnerType.COMMUNITY,
    PartnerType.OTHER,
})
SUITE_OUTCOMES = (CommunicationOutcome.REFERRAL_MADE, CommunicationOutcome.REFERRAL_ACCEPTED,
                  CommunicationOutcome.REFERRAL_DECLINED)
PAUSED_NOTE = "Paused: in custody from {:%d %b %Y}; to pick up on release."
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)


@dataclass(frozen=True)
class EpisodeView:
    episode: CustodyEpisode
    person_reference: str
    establishment: str
    flags: ReleaseFlags
    plan_status: str                     # none, incomplete, complete
    date_changes: int

    @property
    def id(self) -> int:
        return self.episode.id

    @property
    def is_current(self) -> bool:
        return self.episode.is_current


@dataclass(frozen=True)
class Proposal:
    """One line of what entry into custody proposes; the user accepts it or not."""
    what: str                            # referral, review, pause
    description: str
    partner_id: int | None = None
    partner_name: str = ""
    kind: str = ActionKind.SUPPORT.value
    due_date: date | None = None
    action_id: int | None = None         # the open action to pause (what == pause)


@dataclass(frozen=True)
class EntryProposals:
    episode: CustodyEpisode
    proposals: tuple[Proposal, ...]


@dataclass(frozen=True)
class ReleaseChange:
    change: ReleaseDateChange
    moved: tuple[MovedAction, ...]


@dataclass(frozen=True)
class SuiteCounts:
    """Custody suite contacts between two dates."""
    by_hour: tuple[int, ...]                 # 24 counts, hour 0 to 23
    by_weekday: tuple[int, ...]              # 7 counts, Monday to Sunday
    by_outcome: dict[str, int] = field(default_factory=dict)
    grid: tuple[tuple[int, ...], ...] = ()   # [weekday][hour]

    @property
    def total(self) -> int:
        return sum(self.by_hour)


@dataclass(frozen=True)
class CustodyAddress:
    """Where a letter to someone in custody goes: the establishment, with their prison
    number; or why it cannot go (``blocked``)."""
    status: str                       # remand, custody
    establishment: str = ""
    prison_number: str = ""
    lines: tuple[str, ...] = ()       # the establishment's postal address, postcode last
    blocked: str = ""

    @property
    def situation(self) -> str:
        return "on remand" if self.status == LegalStatus.REMAND.value else "in custody"

    def envelope(self, name: str) -> tuple[str, ...]:
        return (name, self.prison_number, *self.lines)


def custody_addresses(s, people: Iterable) -> dict[int, CustodyAddress]:
    """For each of ``people`` (rows with ``id`` and ``legal_status``) who is in custody or on
    remand, where their letters go. The establishment's postal address is its partner's
    contact details, ending with the postcode."""
    held = {p.id: p.legal_status for p in people}
    if not held:
        return {}
    out: dict[int, CustodyAddress] = {}
    ids = list(held)
    for start in range(0, len(ids), 5000):
        for e, name, details in s.execute(
                select(CustodyEpisodeRow, PartnerRow.name, PartnerRow.contact_details)
                .outerjoin(PartnerRow, PartnerRow.id == CustodyEpisodeRow.establishment_id)
                .where(CustodyEpisodeRow.person_id.in_(ids[start:start + 5000]),
                       CustodyEpisodeRow.actual_release.is_(None))):
            status = legal_status_for(e.kind).value
            lines = tuple(x.strip() for x in (details or "").replace("\r", "").split("\n") if x.strip())
            if name and lines and name.lower() not in lines[0].lower():
                lines = (name, *lines)
            why = ""
            if name is None:
                why = "no establishment is recorded for their custody episode"
            elif not e.prison_number:
                why = "no prison number is recorded for their custody episode"
            elif not lines or not POSTCODE.match(lines[-1]):
                why = (f"the establishment ({name}) has no postal address ending with a postcode "
                       "in its contact details")
            out[e.person_id] = CustodyAddress(status, name or "", e.prison_number, lines, why)
    for pid, status in held.items():
        if pid not in out and status in (LegalStatus.CUSTODY.value, LegalStatus.REMAND.value):
            out[pid] = CustodyAddress(status)
            out[pid] = replace(out[pid], blocked=f"{out[pid].situation}, but no custody episode is "
                               "recorded: the establishment and prison number are not known")
    return out


def release_edited(uow: UnitOfWork, person: PersonRow, today: date, now: datetime) -> None:
    """An expected release typed on the person's page is a release date learned today: the
    current episode takes it, the change is kept, and the plan's actions follow it."""
    s = uow.session
    e = s.scalar(select(CustodyEpisodeRow).where(CustodyEpisodeRow.person_id == person.id,
                                                 CustodyEpisodeRow.actual_release.is_(None)))
    new = person.custody_release
    if e is None or e.expected_release == new:
        return
    if new is not None and new < e.started_on:
        raise ValidationError("custody_release", "must not be before the custody episode started "
                              f"({e.started_on:%d %b %Y})")
    _learn(uow, e, new, today, now, "; from the person's page")


def _learn(uow: UnitOfWork, e: CustodyEpisodeRow, new: date | None, learned_on: date,
           now: datetime, how: str = "") -> tuple[ReleaseDateChangeRow, list[MovedAction]]:
    """Keep a new expected release with the day it was learned; the plan follows it."""
    change = ReleaseDateChangeRow(episode_id=e.id, expected_release=new, learned_on=learned_on,
                                  previous=e.expected_release)
    uow.session.add(change)
    e.expected_release = new
    uow.session.flush()
    uow.audit(AuditOperation.ALTERATION, "custody_episode", e.id, "fields=expected_release" + how)
    return change, (redate(uow, e.id, new, learned_on, now) if new is not None else [])


class CustodyService(Service):
    # -- reading ---------------------------------------------------------------------
    def episodes(self, person_id: int) -> list[EpisodeView]:
        """The person's custody episodes, newest first."""
        with self.tx() as uow:
            self.require_person_visible(uow, person_id)
            return self._views(uow, CustodyEpisodeRow.person_id == person_id)

    def current(self, person_id: int) -> EpisodeView | None:
        current = [e for e in self.episodes(person_id) if e.is_current]
        return current[0] if current else None

    def episode(self, episode_id: int) -> EpisodeView:
        with self.tx() as uow:
            row = uow.get(CustodyEpisodeRow, episode_id, "custody episode")
            self.require_person_visible(uow, row.person_id)
            return self._views(uow, CustodyEpisodeRow.id == episode_id)[0]

    def date_changes(self, episode_id: int) -> list[ReleaseDateChange]:
        """Every change of expected release, in the order learned."""
        with self.tx() as uow:
            row = uow.get(CustodyEpisodeRow, episode_id, "custody episode")
            self.require_person_visible(uow, row.person_id)
            return [to_record(r, ReleaseDateChange) for r in uow.session.scalars(
                select(ReleaseDateChangeRow).where(ReleaseDateChangeRow.episode_id == episode_id)
                .order_by(ReleaseDateChangeRow.id))]

    def _views(self, uow: UnitOfWork, where) -> list[EpisodeView]:
        s = uow.session
        found = s.execute(
            select(CustodyEpisodeRow, PersonRow.reference, PartnerRow.name)
            .join(PersonRow, PersonRow.id == CustodyEpisodeRow.person_id)
            .outerjoin(PartnerRow, PartnerRow.id == CustodyEpisodeRow.establishment_id)
            .where(where).order_by(CustodyEpisodeRow.started_on.desc(), CustodyEpisodeRow.id.desc())).all()
        ids = [e.id for e, _, _ in found]
        statuses = plan_statuses(s, ids)
        changes = dict(s.execute(select(ReleaseDateChangeRow.episode_id, func.count())
                                 .where(ReleaseDateChangeRow.episode_id.in_(ids))
                                 .group_by(ReleaseDateChangeRow.episode_id)).all())
        today = self.today()
        closed = closed_days(s, today - timedelta(days=30), today + timedelta(days=800))
        out = []
        for e, reference, establishment in found:
            episode = to_record(e, CustodyEpisode)
            out.append(EpisodeView(
                episode, reference, establishment or "",
                flags_for(episode.release_date, e.kind, e.sentence_band, closed)
                if episode.is_current else ReleaseFlags(),
                statuses.get(e.id, "none"), changes.get(e.id, 0)))
        return out

    # -- entry into custody ------------------------------------------------------------
    def record_episode(self, episode: CustodyEpisode) -> EntryProposals:
        """Record entry into custody; returns what it proposes (nothing is done yet)."""
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="custody_episode")
        episode = replace(episode, prison_number=(episode.prison_number or "").strip().upper(),
                          actual_release=None)
        episode.validate()
        if episode.started_on > self.today():
            raise ValidationError("started_on", "must not be in the future")
        with self.tx() as uow:
            s = uow.session
            person = uow.get(PersonRow, episode.person_id, "person")
            self._check_establishment(s, episode.establishment_id)
            if s.scalar(select(CustodyEpisodeRow.id).where(
                    CustodyEpisodeRow.person_id == person.id,
                    CustodyEpisodeRow.actual_release.is_(None))) is not None:
                raise ValidationError("person_id", "this person has a current custody episode: "
                                      "record that release first")
            row = uow.add(CustodyEpisodeRow, episode)
            if episode.expected_release is not None:
                s.add(ReleaseDateChangeRow(episode_id=row.id, expected_release=episode.expected_release,
                                           learned_on=self.today(), previous=None))
            uow.audit(AuditOperation.COLLECTION, "custody_episode", row.id,
                      f"{row.kind} for person {person.reference}")
            self._follow(uow, person, row)
            recorded = to_record(row, CustodyEpisode)
            return EntryProposals(recorded, tuple(self._proposals(uow, person, row)))

    def _proposals(self, uow: UnitOfWork, person: PersonRow, e: CustodyEpisodeRow) -> list[Proposal]:
        s = uow.session
        partners = partners_by_type(s)
        names = dict(s.execute(select(PartnerRow.id, PartnerRow.name)).all())
        prison = e.establishment_id or partners.get(PartnerType.PRISON.value)
        treatment = prison or partners.get(PartnerType.DRUG_TREATMENT.value)
        out = []
        if treatment is not None:
            out.append(Proposal("referral", "Referral to the prison drug service on entry into custody",
                                treatment, names.get(treatment, ""), ActionKind.SUPPORT.value,
                                shift_off_closed(self.today() + timedelta(days=2), Shift.LATER,
                                                 closed_days(s, self.today(), self.today()))))
        reviewer = partners.get(PartnerType.PROBATION.value) or prison
        in_cohort = s.scalar(select(CohortMemberRow.id).where(
            CohortMemberRow.person_id == person.id).limit(1)) is not None
        if reviewer is not None:
            text = "Review at release: " + ("keep in the cohort, repeat the message and the offer"
                                            if in_cohort else "repeat the message and the offer")
            out.append(Proposal("review", text, reviewer, names.get(reviewer, ""),
                                ActionKind.ANALYSIS.value, e.expected_release))
        community = {pid for pid, ptype in s.execute(select(PartnerRow.id, PartnerRow.type))
                     if ptype in COMMUNITY_PARTNER_TYPES}
        planned = select(PlanActionRow.action_id)
        for a in s.scalars(select(ActionRow).where(
                ActionRow.person_id == person.id, ActionRow.status.in_(OPEN_STATUSES),
                ActionRow.status != ActionStatus.BLOCKED.value,
                ActionRow.kind != ActionKind.ANALYSIS.value,
                ActionRow.id.not_in(planned)).order_by(ActionRow.due_date, ActionRow.id)):
            if a.partner_id in community:
                out.append(Proposal("pause", a.description.split("\n")[0], a.partner_id,
                                    names.get(a.partner_id, ""), a.kind, a.due_date, a.id))
        return out

    def accept_proposals(self, episode_id: int, proposals: Sequence[Proposal]) -> list[int]:
        """Carry out the accepted proposals in one audited step: referral and review become
        actions; paused actions are marked blocked with the reason. Returns the action ids."""
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="action")
        now = self.now()
        with self.tx() as uow:
            s = uow.session
            e = uow.get(CustodyEpisodeRow, episode_id, "custody episode")
            person = uow.get(PersonRow, e.person_id, "person")
            touched = []
            for p in proposals:
                if p.what == "pause":
                    a = uow.get(ActionRow, p.action_id, "action")
                    if a.person_id != person.id or a.status not in OPEN_STATUSES:
                        continue
                    a.status = ActionStatus.BLOCKED.value
                    a.outcome = PAUSED_NOTE.format(e.started_on)
                    a.updated_at = now
                    uow.audit(AuditOperation.ALTERATION, "action", a.id,
                              f"fields=status,outcome; paused in custody (episode {e.id})")
                    touched.append(a.id)
                elif p.what in ("referral", "review"):
                    if p.partner_id is None or s.get(PartnerRow, p.partner_id) is None:
                        raise ValidationError("partner_id", "choose a partner that exists")
                    row = ActionRow(partner_id=p.partner_id, kind=p.kind, description=p.description,
                                    person_id=person.id, due_date=p.due_date,
                                    status=ActionStatus.PLANNED.value, assignee="", outcome="",
                                    notes=f"Proposed on entry into custody ({e.started_on:%d %b %Y}).",
                                    updated_at=now, version=1)
                    s.add(row)
                    s.flush()
                    uow.audit(AuditOperation.COLLECTION, "action", row.id,
                              f"kind={row.kind}; partner={row.partner_id}; entry into custody")
                    touched.append(row.id)
                else:
                    raise ValidationError("proposal", f"unknown proposal {p.what!r}")
            return touched

    # -- release dates -------------------------------------------------------------------
    def learn_release_date(self, episode_id: int, new_date: date | None,
                           learned_on: date | None = None) -> ReleaseChange:
        """A new expected release date (None: not known, e.g. remand awaiting trial), kept
        with the day it was learned; the plan's open actions follow it."""
        self.require(Role.COORDINATOR, entity="custody_episode", ref=episode_id)
        learned_on = learned_on or self.today()
        if learned_on > self.today():
            raise ValidationError("learned_on", "must not be in the future")
        with self.tx() as uow:
            e = uow.get(CustodyEpisodeRow, episode_id, "custody episode")
            if e.actual_release is not None:
                raise ValidationError("expected_release", "this person has been released already")
            episode = replace(to_record(e, CustodyEpisode), expected_release=new_date)
            episode.validate()
            if new_date == e.expected_release:
                raise ValidationError("expected_release", "is the date already recorded")
            change, moved = _learn(uow, e, new_date, learned_on, self.now())
            self._follow(uow, uow.get(PersonRow, e.person_id, "person"), e)
            return ReleaseChange(to_record(change, ReleaseDateChange), tuple(moved))

    def record_release(self, episode_id: int, on: date,
                       status_after: LegalStatus | str = LegalStatus.NONE,
                       status_end: date | None = None) -> CustodyEpisode:
        """The person left custody on ``on``; their legal status becomes ``status_after``
        (e.g. licence, with its end date), none by default."""
        self.require(Role.COORDINATOR, entity="custody_episode", ref=episode_id)
        if on > self.today():
            raise ValidationError("actual_release", "must not be in the future")
        status_after = LegalStatus(status_after)
        if status_after in (LegalStatus.CUSTODY, LegalStatus.REMAND):
            raise ValidationError("status_after", "record a new custody episode instead")
        with self.tx() as uow:
            e = uow.get(CustodyEpisodeRow, episode_id, "custody episode")
            if e.actual_release is not None:
                raise ValidationError("actual_release", "this release is recorded already")
            episode = replace(to_record(e, CustodyEpisode), actual_release=on)
            episode.validate()
            e.actual_release = on
            uow.session.flush()
            uow.audit(AuditOperation.ALTERATION, "custody_episode", e.id, "fields=actual_release")
            person = uow.get(PersonRow, e.person_id, "person")
            record = replace(to_record(person, Person), legal_status=status_after,
                             custody_release=None,
                             legal_status_end=status_end if status_after != LegalStatus.NONE else None)
            record.validate()
            uow.alter(person, record, "person", person.reference)
            return to_record(e, CustodyEpisode)

    def _follow(self, uow: UnitOfWork, person: PersonRow, e: CustodyEpisodeRow) -> None:
        """The person's legal status and expected release follow the current episode."""
        record = replace(to_record(person, Person), legal_status=legal_status_for(e.kind),
                         custody_release=e.expected_release)
        record.validate(release_unknown=e.expected_release is None)
        uow.alter(person, record, "person", person.reference)

    @staticmethod
    def _check_establishment(s, establishment_id: int | None) -> None:
        if establishment_id is None:
            return
        ptype = s.scalar(select(PartnerRow.type).where(PartnerRow.id == establishment_id))
        if ptype is None:
            raise ValidationError("establishment_id", "choose a partner that exists")
        if ptype != PartnerType.PRISON.value:
            raise ValidationError("establishment_id", "choose a partner of type prison")

    def update_episode(self, episode: CustodyEpisode) -> CustodyEpisode:
        """Correct an episode's establishment, prison number, kind or sentence band (a new
        release date goes through :meth:`learn_release_date`, so it is kept)."""
        self.require(Role.COORDINATOR, entity="custody_episode", ref=episode.id or "")
        with self.tx() as uow:
            row = uow.get(CustodyEpisodeRow, episode.id, "custody episode")
            episode = replace(episode, person_id=row.person_id, expected_release=row.expected_release,
                              actual_release=row.actual_release,
                              prison_number=(episode.prison_number or "").strip().upper())
            episode.validate()
            self._check_establishment(uow.session, episode.establishment_id)
            if uow.alter(row, episode, "custody_episode", row.id) and row.actual_release is None:
                self._follow(uow, uow.get(PersonRow, row.person_id, "person"), row)
            return to_record(row, CustodyEpisode)

    # -- custody suite contacts ---------------------------------------------------------
    def custody_suite_counts(self, date_from: date, date_to: date) -> SuiteCounts:
        """Custody-channel contacts with a referral outcome, by hour of day and day of
        week, from ``date_from`` to ``date_to`` inclusive."""
        if date_to < date_from:
            raise ValidationError("date_to", "must not be before the start")
        with self.tx() as uow:
            q = (select(CommunicationRow.occurred_at, CommunicationRow.outcome)
                 .where(CommunicationRow.channel == CommunicationChannel.CUSTODY.value,
                        CommunicationRow.outcome.in_([o.value for o in SUITE_OUTCOMES]),
                        CommunicationRow.occurred_at >= datetime.combine(date_from, time.min),
                        CommunicationRow.occurred_at < datetime.combine(date_to + timedelta(days=1),
                                                                        time.min)))
            visible = self.officer_people()
            if visible is not None:
                q = q.where(CommunicationRow.person_id.in_(visible))
            grid = [[0] * 24 for _ in range(7)]
            outcomes = {o.value: 0 for o in SUITE_OUTCOMES}
            for at, outcome in uow.session.execute(q):
                grid[at.weekday()][at.hour] += 1
                outcomes[outcome] += 1
        return SuiteCounts(tuple(sum(grid[d][h] for d in range(7)) for h in range(24)),
                           tuple(sum(row) for row in grid), outcomes, tuple(tuple(r) for r in grid))
