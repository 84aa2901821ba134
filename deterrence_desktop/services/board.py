"""The action board: every action as a card, filtered and summarised in memory.

The board loads once through :meth:`BoardService.load` (one consultation in the
audit trail) and then filters in memory: :func:`filter_cards` is a single pass
over plain tuples, fast enough for 20,000 actions on every keystroke. Moving a
card is :meth:`ActionService.update` (audited there), guarded by the card's
version so that a stale board never overwrites a partner's newer change.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import select

from ..domain.enums import ActionStatus, AuditOperation, Role
from ..domain.errors import ValidationError
from ..store.tables import (
    ActionRow, CohortMemberRow, CohortRow, GroupRow, MeetingRow, MembershipRow, PartnerRow,
    SettingRow,
)
from .actions import action_view_query, action_views
from .base import Service
from .partners import isa_state
from .views import ActionView

BOARD_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED,
                  ActionStatus.DONE)
NEEDS_OUTCOME = (ActionStatus.DONE, ActionStatus.BLOCKED)
GROUPINGS = ("status", "partner", "person", "group")
ISA_SHAREABLE = ("in force", "ends soon")
FILTER_SETTING = "board.filter"
# A partner stands out when it has at least this many overdue actions and clearly more
# than the others (the overtime and burnout lesson: one agency carrying the load).
FLAG_MIN_OVERDUE = 3
FLAG_RATIO = 1.5


@dataclass(frozen=True, slots=True)
class BoardCard:
    """One action on the board, with what the filters need precomputed."""
    action: ActionView
    cohort_ids: frozenset[int]
    group_ids: frozenset[int]         # the action's group, or the person's current groups
    overdue: bool
    due_this_week: bool

    @property
    def id(self) -> int:
        return self.action.id

    @property
    def status(self) -> str:
        return self.action.status


@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    extra: str = ""        # a partner's ISA state, a meeting's date


@dataclass(frozen=True)
class BoardData:
    """Everything the board shows, loaded in one call."""
    today: date
    cards: tuple[BoardCard, ...]
    partners: tuple[Choice, ...]
    cohorts: tuple[Choice, ...]
    groups: tuple[Choice, ...]
    meetings: tuple[Choice, ...]
    people: tuple[Choice, ...]          # id, reference (never a name)

    def partner_isa(self) -> dict[int, str]:
        return {p.id: p.extra for p in self.partners}


@dataclass(frozen=True)
class BoardFilter:
    partner_id: int | None = None
    kind: str | None = None
    cohort_id: int | None = None
    group_id: int | None = None
    person_id: int | None = None
    status: str | None = None
    overdue_only: bool = False
    due_within_days: int | None = None
    meeting_id: int | None = None
    text: str = ""

    @property
    def active(self) -> bool:
        return self != BoardFilter()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> "BoardFilter":
        if not text:
            return cls()
        try:
            raw = json.loads(text)
        except ValueError:
            return cls()
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError:
            return cls()


@dataclass(frozen=True)
class PartnerLoad:
    partner_id: int
    name: str
    open: int
    overdue: int
    flagged: bool


@dataclass(frozen=True)
class BoardSummary:
    open: int
    overdue: int
    done_this_month: int
    due_this_week: int
    by_partner: tuple[PartnerLoad, ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> tuple[PartnerLoad, ...]:
        return tuple(p for p in self.by_partner if p.flagged)


def make_card(view: ActionView, today: date, cohorts: frozenset[int],
              groups: frozenset[int]) -> BoardCard:
    due = view.due_date
    is_open = view.status in ("planned", "in_progress", "blocked")
    overdue = is_open and due is not None and due < today
    this_week = is_open and due is not None and today <= due <= today + timedelta(days=7)
    return BoardCard(view, cohorts, groups, overdue, this_week)


def filter_cards(cards: tuple[BoardCard, ...] | list[BoardCard], f: BoardFilter, today: date,
                 shareable_partners: set[int] | None = None) -> list[BoardCard]:
    """The cards that pass every filter (they combine: all must hold).

    ``shareable_partners``, when given, keeps only actions of those partners (the
    projection's information-sharing rule).
    """
    preds = []
    if f.partner_id is not None:
        preds.append(lambda c, v=f.partner_id: c.action.partner_id == v)
    if f.kind:
        preds.append(lambda c, v=f.kind: c.action.kind == v)
    if f.status:
        preds.append(lambda c, v=f.status: c.action.status == v)
    if f.person_id is not None:
        preds.append(lambda c, v=f.person_id: c.action.person_id == v)
    if f.group_id is not None:
        preds.append(lambda c, v=f.group_id: v in c.group_ids)
    if f.cohort_id is not None:
        preds.append(lambda c, v=f.cohort_id: v in c.cohort_ids)
    if f.meeting_id is not None:
        preds.append(lambda c, v=f.meeting_id: c.action.meeting_id == v)
    if f.overdue_only:
        preds.append(lambda c: c.overdue)
    if f.due_within_days is not None:
        limit = today + timedelta(days=f.due_within_days)
        preds.append(lambda c, v=limit: c.action.due_date is not None and c.action.due_date <= v
                     and c.action.status in ("planned", "in_progress", "blocked"))
    if f.text.strip():
        needle = f.text.strip().casefold()
        preds.append(lambda c, v=needle: v in c.action.description.casefold()
                     or v in c.action.person_reference.casefold()
                     or v in c.action.group_name.casefold()
                     or v in c.action.assignee.casefold())
    if shareable_partners is not None:
        preds.append(lambda c, v=frozenset(shareable_partners): c.action.partner_id in v)
    # One pass per filter, the most selective (ids) first: each later pass runs over
    # what is left, which is quicker in Python than testing every filter on every card.
    out = list(cards)
    for p in preds:
        out = [c for c in out if p(c)]
    return out


def flagged_partners(per_open: dict[int, int], per_overdue: dict[int, int]) -> set[int]:
    """The partners that stand out as overloaded: at least FLAG_MIN_OVERDUE overdue actions
    and FLAG_RATIO times the mean overdue of the partners with open actions."""
    partners = list(per_open)
    mean = (sum(per_overdue.get(p, 0) for p in partners) / len(partners)) if partners else 0
    return {p for p in partners
            if per_overdue.get(p, 0) >= max(FLAG_MIN_OVERDUE, FLAG_RATIO * mean)}


def summarise(cards: list[BoardCard] | tuple[BoardCard, ...], today: date,
              partner_names: dict[int, str] | None = None) -> BoardSummary:
    """Open, overdue, done this month and due this week, and the load of each partner."""
    n_open = n_overdue = n_done = n_week = 0
    per_open: dict[int, int] = defaultdict(int)
    per_overdue: dict[int, int] = defaultdict(int)
    names: dict[int, str] = dict(partner_names or {})
    month = (today.year, today.month)
    for c in cards:
        a = c.action
        names.setdefault(a.partner_id, a.partner_name)
        if a.status in ("planned", "in_progress", "blocked"):
            n_open += 1
            per_open[a.partner_id] += 1
            if c.overdue:
                n_overdue += 1
                per_overdue[a.partner_id] += 1
            if c.due_this_week:
                n_week += 1
        elif a.status == "done" and a.updated_at is not None and \
                (a.updated_at.year, a.updated_at.month) == month:
            n_done += 1
    flagged = flagged_partners(per_open, per_overdue)
    loads = [PartnerLoad(pid, names.get(pid, str(pid)), per_open[pid], per_overdue.get(pid, 0),
                         pid in flagged) for pid in per_open]
    loads.sort(key=lambda p: (-p.overdue, -p.open, p.name))
    return BoardSummary(n_open, n_overdue, n_done, n_week, tuple(loads))


def group_key(card: BoardCard, grouping: str) -> str:
    """The heading a card sits under inside its column, for a grouping other than status."""
    a = card.action
    if grouping == "partner":
        return a.partner_name
    if grouping == "person":
        return a.person_reference or "(group actions)"
    if grouping == "group":
        return a.group_name or "(no group)"
    return ""


class BoardService(Service):
    def load(self) -> BoardData:
        """All actions as cards, with the choices the filters offer. Audited as a consultation."""
        today = self.app.today()
        q = action_view_query().order_by(ActionRow.due_date.is_(None), ActionRow.due_date,
                                         ActionRow.id)
        scope = self.officer_scope()
        if scope is not None:          # a partner officer sees their agency's actions only
            q = q.where(ActionRow.partner_id == scope)
        with self.tx() as uow:
            s = uow.session
            views = action_views(s, q)
            cohorts_of: dict[int, set[int]] = defaultdict(set)
            for cid, pid in s.execute(select(CohortMemberRow.cohort_id, CohortMemberRow.person_id)):
                cohorts_of[pid].add(cid)
            groups_of: dict[int, set[int]] = defaultdict(set)
            for pid, gid in s.execute(select(MembershipRow.person_id, MembershipRow.group_id)
                                      .where(MembershipRow.end.is_(None))):
                groups_of[pid].add(gid)
            frozen_c = {pid: frozenset(v) for pid, v in cohorts_of.items()}
            frozen_g = {pid: frozenset(v) for pid, v in groups_of.items()}
            empty: frozenset[int] = frozenset()
            cards = []
            for v in views:
                if v.person_id is not None:
                    cards.append(make_card(v, today, frozen_c.get(v.person_id, empty),
                                           frozen_g.get(v.person_id, empty)))
                else:
                    cards.append(make_card(v, today, empty,
                                           frozenset((v.group_id,)) if v.group_id else empty))
            partners = tuple(Choice(p.id, p.name, isa_state(p, today)[0]) for p in
                             s.scalars(select(PartnerRow).order_by(PartnerRow.name)))
            cohorts = tuple(Choice(i, n) for i, n in
                            s.execute(select(CohortRow.id, CohortRow.name).order_by(CohortRow.name)))
            groups = tuple(Choice(i, n) for i, n in
                           s.execute(select(GroupRow.id, GroupRow.name).order_by(GroupRow.name)))
            meetings = tuple(Choice(i, t, f"{d:%d %b %Y}") for i, t, d in s.execute(
                select(MeetingRow.id, MeetingRow.title, MeetingRow.held_on)
                .order_by(MeetingRow.held_on.desc())))
            refs = {}
            for v in views:
                if v.person_id is not None:
                    refs[v.person_id] = v.person_reference
            people = tuple(Choice(pid, ref) for pid, ref in sorted(refs.items(), key=lambda x: x[1]))
            uow.audit(AuditOperation.CONSULTATION, "action", "board", f"action board; actions={len(cards)}")
            return BoardData(today, tuple(cards), partners, cohorts, groups, meetings, people)

    def card(self, action_id: int) -> BoardCard:
        """One card re-read after a change (no audit: the change itself was audited)."""
        return self.cards([action_id])[0]

    def cards(self, action_ids: list[int]) -> list[BoardCard]:
        today = self.app.today()
        with self.tx() as uow:
            s = uow.session
            views = {v.id: v for v in action_views(s, action_view_query().where(
                ActionRow.id.in_(action_ids)))}
            out = []
            for aid in action_ids:
                v = views.get(aid)
                if v is None:
                    continue
                if v.person_id is not None:
                    cohorts = frozenset(s.scalars(select(CohortMemberRow.cohort_id).where(
                        CohortMemberRow.person_id == v.person_id)))
                    groups = frozenset(s.scalars(select(MembershipRow.group_id).where(
                        MembershipRow.person_id == v.person_id, MembershipRow.end.is_(None))))
                else:
                    cohorts, groups = frozenset(), frozenset((v.group_id,)) if v.group_id else frozenset()
                out.append(make_card(v, today, cohorts, groups))
            return out

    def move(self, action_id: int, status: ActionStatus | str, outcome: str | None = None,
             expected_version: int | None = None) -> BoardCard:
        """Move one card to ``status``. Done and blocked need the outcome or the blocker.

        The change is saved by :meth:`ActionService.update`, which audits it. A card whose
        action changed since the board drew it (``expected_version``, the card's version)
        raises :class:`EditConflict`: ``mine`` is the action as this move would leave it,
        ``theirs`` the action now; moving again with ``expected_version=theirs.version``
        keeps the move."""
        status = ActionStatus(status)
        if status in NEEDS_OUTCOME and outcome is not None and not outcome.strip():
            raise ValidationError("outcome", "say what happened (done) or what blocks it (blocked)")
        action = self.app.actions.get(action_id)
        scope = self.officer_scope()
        if scope is not None and action.partner_id != scope:
            self.deny(AuditOperation.ALTERATION, "action", action_id,
                      "can only move your agency's actions")
        updated = replace(action, status=status,
                          outcome=action.outcome if outcome is None else outcome,
                          version=action.version if expected_version is None else expected_version)
        if status in NEEDS_OUTCOME and outcome is None and not action.outcome:
            raise ValidationError("outcome", "say what happened (done) or what blocks it (blocked)")
        self.app.actions.update(updated)        # EditConflict when the versions differ
        return self.card(action_id)

    # -- remembered filters (per workspace and user, inside the encryption) ------------
    def _filter_key(self) -> str:
        return f"{FILTER_SETTING}.{self.actor.username}"[:64]

    def saved_filter(self) -> BoardFilter:
        with self.tx() as uow:
            row = uow.session.get(SettingRow, self._filter_key())
            return BoardFilter.from_json(row.value if row else None)

    def save_filter(self, f: BoardFilter) -> None:
        with self.tx() as uow:
            row = uow.session.get(SettingRow, self._filter_key())
            if row is None:
                uow.session.add(SettingRow(key=self._filter_key(), value=f.to_json()))
            else:
                row.value = f.to_json()

    def shareable_partner_ids(self) -> set[int]:
        """Partners whose information-sharing agreement is in force today."""
        today = self.app.today()
        with self.tx() as uow:
            return {p.id for p in uow.session.scalars(select(PartnerRow))
                    if isa_state(p, today)[0] in ISA_SHAREABLE}

    def record_projection(self, started: bool, scope: str, recipients: list[str],
                          detail: str = "") -> None:
        """Showing the board on a shared screen is a disclosure to the partners present."""
        with self.tx() as uow:
            uow.audit(AuditOperation.DISCLOSURE, "projection", scope,
                      ("projection started" if started else "projection ended")
                      + (f"; {detail}" if detail else ""),
                      recipient="; ".join(recipients)[:200])

    def record_reveal(self, scope: str, reference: str, recipients: list[str]) -> None:
        """A coordinator revealed a person's name on the shared screen."""
        self.require(Role.COORDINATOR, operation=AuditOperation.DISCLOSURE, entity="person",
                     ref=reference)
        with self.tx() as uow:
            uow.audit(AuditOperation.DISCLOSURE, "person", reference,
                      f"name shown on projection ({scope})",
                      recipient="; ".join(recipients)[:200])
