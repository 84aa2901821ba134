"""Call-ins: the planning wizard's flow as data, and the call-ins' pages and statistics.

The wizard is a :class:`WizardState` (answers per step, the current step and the
steps visited) moved by pure functions: :func:`go_next` validates the current
step against :class:`WizardFacts` (what the workspace says about the targeted
people, partners and catalogue) and moves on, :func:`go_back` keeps whatever was
entered, :func:`go_to` returns to a visited step from the review. No Qt and no
database here except in :class:`CallInService`, which builds the facts, saves and
resumes drafts, and ``finish``es the wizard in one transaction. Attendance and
follow-ups live in :mod:`.callin_attendance`; the wizard's warnings about the event
and the offers in :mod:`.callin_warnings`.
"""
from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..domain.enums import (
    ActionKind, ActionStatus, AttendanceStatus, AuditOperation, InterventionKind, LegalStatus,
    Role, label,
)
from ..domain.errors import ValidationError
from ..domain.model import CallIn, display_name
from ..store.mapping import to_record
from ..store.tables import (
    ActionRow, CallInRow, CohortMemberRow, CohortRow, GroupRelationRow,
    GroupRow, InfluencerRow, InterventionRow, InvitationRow, MembershipRow, PartnerRow, PersonRow,
)
from .base import Service
from .callin_attendance import (
    ATTENDED, FOLLOW_UP_DAYS, NEED_PARTNER_TYPES, NOT_EXPECTED, AttendanceMixin, FollowUpProposal,
    attendance_not_yet, attendance_rate,
)
from .callin_warnings import (
    Agreement, OtherCallIn, WizardWarning, clash_warnings, in_custody_on, offer_warnings,
)

# --------------------------------------------------------------------------------------
# The flow as data
# --------------------------------------------------------------------------------------

EVENT, INVITEES, SPEAKERS, MESSAGES, LOGISTICS, REVIEW = (
    "event", "invitees", "speakers", "messages", "logistics", "review")

RELEASE_NEAR_DAYS = 14          # a release this close to the date is worth a warning

SPEAKER_ROLES = {
    "law_enforcement": "Law enforcement",
    "moral_voice": "Community moral voice",
    "service_provider": "Service provider",
    "family_or_victim": "Family or victims' voice",
}
TASK_KINDS = {                     # kind -> (label, action kind)
    "transport": ("Transport", ActionKind.SUPPORT),
    "risk_assessment": ("Risk assessment", ActionKind.ANALYSIS),
    "room_layout": ("Room layout", ActionKind.SUPPORT),
    "other": ("Other task", ActionKind.COMMUNICATION),
}
DELIVERY_METHODS = ("in person", "letter", "through the supervising officer",
                    "through an influencer", "phone")


@dataclass(frozen=True)
class StepSpec:
    id: str
    title: str
    subtitle: str
    next: Callable[[dict[str, dict]], str | None]


def _then(step_id: str | None) -> Callable[[dict[str, dict]], str | None]:
    return lambda answers: step_id


STEPS: tuple[StepSpec, ...] = (
    StepSpec(EVENT, "Purpose and event",
             "Title, date and time, venue (with accessibility and safety notes), and the "
             "groups or cohorts the call-in targets.", _then(INVITEES)),
    StepSpec(INVITEES, "Invitees",
             "Choose people from the targeted groups and cohorts. Attendance can be required "
             "only of people on licence or probation on the date.", _then(SPEAKERS)),
    StepSpec(SPEAKERS, "Speakers and roles",
             "Law enforcement, the community's moral voice, service providers, family or "
             "victims' voices; each linked to a partner or an influencer.", _then(MESSAGES)),
    StepSpec(MESSAGES, "Messages",
             "The enforcement consequences that apply to the group and the support offers "
             "available on the night, with the partner who delivers each.", _then(LOGISTICS)),
    StepSpec(LOGISTICS, "Logistics",
             "Who delivers each invitation and how, transport, the risk assessment and the "
             "room layout. Every task becomes an action due before the event.", _then(REVIEW)),
    StepSpec(REVIEW, "Review",
             "Everything on one page. Finish creates the call-in, its invitations and its "
             "actions together.", _then(None)),
)
STEP_BY_ID = {s.id: s for s in STEPS}
STEP_IDS = tuple(s.id for s in STEPS)


def blank_answers() -> dict[str, dict]:
    return {
        EVENT: {"title": "", "purpose": "", "starts_at": "", "venue": "", "venue_notes": "",
                "group_ids": [], "cohort_ids": []},
        INVITEES: {"invitees": []},                  # [{"person_id", "required"}]
        SPEAKERS: {"speakers": []},                  # [{"role", "name", "partner_id", "influencer_id"}]
        MESSAGES: {"lever_ids": [], "offers": []},   # offers: [{"intervention_id", "partner_id"}]
        LOGISTICS: {"delivery_partner_id": None, "delivery_method": DELIVERY_METHODS[0],
                    "delivery_due": "", "delivery_overrides": {},   # str(person_id) -> {...}
                    "transport": "", "room_layout": "", "risk_assessment_done": False,
                    "tasks": []},                    # [{"kind", "description", "partner_id", "due_date"}]
        REVIEW: {},
    }


@dataclass
class WizardState:
    """Where the wizard is and everything entered so far (plain JSON values only)."""
    answers: dict[str, dict] = field(default_factory=blank_answers)
    current: str = EVENT
    history: list[str] = field(default_factory=list)    # steps behind the current one
    draft_id: int | None = None

    @property
    def step(self) -> StepSpec:
        return STEP_BY_ID[self.current]

    @property
    def can_go_back(self) -> bool:
        return bool(self.history)

    @property
    def is_last(self) -> bool:
        return self.step.next(self.answers) is None

    def visited(self) -> set[str]:
        return set(self.history) | {self.current}

    def copy(self) -> "WizardState":
        return WizardState(copy.deepcopy(self.answers), self.current, list(self.history),
                           self.draft_id)

    def to_json(self) -> dict[str, Any]:
        return {"answers": copy.deepcopy(self.answers), "current": self.current,
                "history": list(self.history)}

    @classmethod
    def from_json(cls, data: dict[str, Any], draft_id: int | None = None) -> "WizardState":
        answers = blank_answers()
        for step_id, values in (data.get("answers") or {}).items():
            if step_id in answers and isinstance(values, dict):
                answers[step_id].update(values)
        current = data.get("current") if data.get("current") in STEP_BY_ID else EVENT
        history = [s for s in data.get("history") or [] if s in STEP_BY_ID]
        return cls(answers, current, history, draft_id)

    # Convenience readers -------------------------------------------------------------
    def starts_at(self) -> datetime | None:
        return parse_when(self.answers[EVENT].get("starts_at"))

    def invitee_ids(self) -> list[int]:
        return [int(i["person_id"]) for i in self.answers[INVITEES].get("invitees") or []]


@dataclass(frozen=True)
class InviteeCandidate:
    """A person the targets give, with what the invitee step shows about them."""
    person_id: int
    reference: str
    name: str
    legal_status: str
    legal_status_end: date | None
    custody_release: date | None
    supervising_partner_id: int | None
    supervising_partner: str
    group_ids: tuple[int, ...]
    groups: tuple[str, ...]
    can_require: bool
    requirement: str            # "Can be required (licence, supervised by ...)" or "Invite only"


@dataclass(frozen=True)
class WizardFacts:
    """What validation needs to know about the workspace; built by the service."""
    today: date
    starts_on: date | None = None
    candidates: dict[int, InviteeCandidate] = field(default_factory=dict)
    partner_ids: frozenset[int] = frozenset()
    group_ids: frozenset[int] = frozenset()
    cohort_ids: frozenset[int] = frozenset()
    influencer_ids: frozenset[int] = frozenset()
    lever_ids: frozenset[int] = frozenset()
    offer_ids: frozenset[int] = frozenset()
    rival_pairs: frozenset[tuple[int, int]] = frozenset()
    group_names: dict[int, str] = field(default_factory=dict)
    task_group_id: int | None = None      # the group event-wide tasks are filed under
    other_call_ins: tuple[OtherCallIn, ...] = ()     # planned and held, not this one
    agreements: dict[int, Agreement] = field(default_factory=dict)    # partner id -> its ISA


@dataclass(frozen=True)
class Move:
    state: WizardState
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_when(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        return text
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def parse_day(text: Any) -> date | None:
    if isinstance(text, date) and not isinstance(text, datetime):
        return text
    if not text:
        return None
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def record(state: WizardState, values: dict[str, Any] | None) -> WizardState:
    """A copy of ``state`` with ``values`` kept as the current step's answers."""
    new = state.copy()
    if values:
        new.answers[new.current].update(copy.deepcopy(values))
    return new


def go_next(state: WizardState, values: dict[str, Any] | None, facts: WizardFacts) -> Move:
    """Keep ``values``; if the step is valid, move to the next step."""
    new = record(state, values)
    errors = validate_step(new.current, new.answers, facts)
    if errors:
        return Move(new, errors)
    following = new.step.next(new.answers)
    if following is None:
        return Move(new, {})
    new.history.append(new.current)
    new.current = following
    return Move(new, {})


def go_back(state: WizardState, values: dict[str, Any] | None = None) -> WizardState:
    """Back to the previous step, keeping what was entered here (even if not yet valid)."""
    new = record(state, values)
    if new.history:
        new.current = new.history.pop()
    return new


def go_to(state: WizardState, step_id: str, values: dict[str, Any] | None = None) -> WizardState:
    """Jump back to a step already visited (the review's "change" links)."""
    if step_id not in state.history:
        raise ValidationError("step", "you can only go back to a step you have been through")
    new = record(state, values)
    new.history = new.history[:new.history.index(step_id)]
    new.current = step_id
    return new


def validate_step(step_id: str, answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    """Errors of one step: field name -> message (empty when the step is valid)."""
    return _VALIDATORS[step_id](answers, facts)


def validate_all(answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    """Errors of every step before the review, as "step.field" -> message."""
    out: dict[str, str] = {}
    for step_id in STEP_IDS:
        if step_id == REVIEW:
            continue
        for name, message in validate_step(step_id, answers, facts).items():
            out[f"{step_id}.{name}"] = message
    return out


def _validate_event(answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    a = answers[EVENT]
    e: dict[str, str] = {}
    title = (a.get("title") or "").strip()
    if not title:
        e["title"] = "give the call-in a title"
    elif len(title) > 200:
        e["title"] = "at most 200 characters"
    when = parse_when(a.get("starts_at"))
    if when is None:
        e["starts_at"] = "give the date and time"
    elif when.date() < facts.today:
        e["starts_at"] = "the call-in cannot be in the past"
    if not (a.get("venue") or "").strip():
        e["venue"] = "give the venue"
    elif len(a["venue"]) > 200:
        e["venue"] = "at most 200 characters"
    groups, cohorts = a.get("group_ids") or [], a.get("cohort_ids") or []
    if not groups and not cohorts:
        e["targets"] = "choose at least one group or cohort"
    elif any(g not in facts.group_ids for g in groups) or any(c not in facts.cohort_ids for c in cohorts):
        e["targets"] = "choose groups and cohorts that exist"
    return e


def _validate_invitees(answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    invitees = answers[INVITEES].get("invitees") or []
    if not invitees:
        return {"invitees": "choose at least one person to invite"}
    seen: set[int] = set()
    for item in invitees:
        pid = int(item["person_id"])
        cand = facts.candidates.get(pid)
        if pid in seen:
            return {"invitees": "a person is listed twice"}
        seen.add(pid)
        if cand is None:
            return {"invitees": "everyone invited must come from the targeted groups or cohorts"}
        if item.get("required") and not cand.can_require:
            return {"invitees": f"{cand.reference} can only be invited: attendance can be required "
                                "only of people on licence or probation on the date"}
    return {}


def _validate_speakers(answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    speakers = answers[SPEAKERS].get("speakers") or []
    if not speakers:
        return {"speakers": "add at least one speaker"}
    for n, s in enumerate(speakers, 1):
        if s.get("role") not in SPEAKER_ROLES:
            return {"speakers": f"speaker {n}: choose a role"}
        if not (s.get("name") or "").strip():
            return {"speakers": f"speaker {n}: give a name"}
        partner, influencer = s.get("partner_id"), s.get("influencer_id")
        if (partner is None) == (influencer is None):
            return {"speakers": f"speaker {n}: link the speaker to a partner or to an influencer"}
        if partner is not None and partner not in facts.partner_ids:
            return {"speakers": f"speaker {n}: choose a partner that exists"}
        if influencer is not None and influencer not in facts.influencer_ids:
            return {"speakers": f"speaker {n}: choose an influencer that exists"}
    return {}


def _validate_messages(answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    a = answers[MESSAGES]
    e: dict[str, str] = {}
    levers, offers = a.get("lever_ids") or [], a.get("offers") or []
    if not levers:
        e["lever_ids"] = "choose at least one enforcement consequence from the lever catalogue"
    elif any(i not in facts.lever_ids for i in levers):
        e["lever_ids"] = "choose levers from the catalogue"
    if not offers:
        e["offers"] = "choose at least one support offer available on the night"
    else:
        for o in offers:
            if o.get("intervention_id") not in facts.offer_ids:
                e["offers"] = "choose offers from the catalogue"
            elif o.get("partner_id") not in facts.partner_ids:
                e["offers"] = "name the partner who delivers each offer"
    return e


def _validate_logistics(answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    a = answers[LOGISTICS]
    e: dict[str, str] = {}
    when = parse_when(answers[EVENT].get("starts_at"))
    event_day = when.date() if when else None

    def due_ok(name: str, value: Any) -> bool:
        d = parse_day(value)
        if d is None:
            e.setdefault(name, "give a due date")
        elif d < facts.today:
            e.setdefault(name, "a due date cannot be in the past")
        elif event_day is not None and d >= event_day:
            e.setdefault(name, "every task must be due before the event")
        else:
            return True
        return False

    if a.get("delivery_partner_id") not in facts.partner_ids:
        e["delivery_partner_id"] = "choose the partner who delivers the invitations"
    if a.get("delivery_method") not in DELIVERY_METHODS:
        e["delivery_method"] = "choose how the invitations are delivered"
    due_ok("delivery_due", a.get("delivery_due"))
    for key, o in (a.get("delivery_overrides") or {}).items():
        if int(key) not in set(int(i) for i in _invitee_ids(answers)):
            continue       # an override for someone no longer invited is ignored
        if o.get("partner_id") not in facts.partner_ids or o.get("method") not in DELIVERY_METHODS:
            e["delivery_overrides"] = "each invitation needs a partner and a method"
    tasks = a.get("tasks") or []
    for n, t in enumerate(tasks, 1):
        if t.get("kind") not in TASK_KINDS:
            e.setdefault("tasks", f"task {n}: choose what kind of task it is")
        elif not (t.get("description") or "").strip():
            e.setdefault("tasks", f"task {n}: describe the task")
        elif t.get("partner_id") not in facts.partner_ids:
            e.setdefault("tasks", f"task {n}: choose the partner who does it")
        else:
            due_ok("tasks", t.get("due_date"))
    if not a.get("risk_assessment_done") and not any(t.get("kind") == "risk_assessment" for t in tasks):
        e["risk_assessment_done"] = "mark the risk assessment as done or add a risk-assessment task"
    if tasks and facts.task_group_id is None:
        e.setdefault("tasks", "the call-in targets no group to file event tasks under; "
                              "target a group in the first step")
    return e


def _validate_review(answers: dict[str, dict], facts: WizardFacts) -> dict[str, str]:
    return validate_all(answers, facts)


_VALIDATORS: dict[str, Callable[[dict[str, dict], WizardFacts], dict[str, str]]] = {
    EVENT: _validate_event, INVITEES: _validate_invitees, SPEAKERS: _validate_speakers,
    MESSAGES: _validate_messages, LOGISTICS: _validate_logistics, REVIEW: _validate_review,
}


def _invitee_ids(answers: dict[str, dict]) -> list[int]:
    return [int(i["person_id"]) for i in answers[INVITEES].get("invitees") or []]


def invitee_warnings(answers: dict[str, dict], facts: WizardFacts) -> list[WizardWarning]:
    """Custody on the date, a release near it, supervision ending before it, rivals together."""
    out: list[WizardWarning] = []
    day = facts.starts_on
    chosen = [facts.candidates[p] for p in _invitee_ids(answers) if p in facts.candidates]
    for c in chosen:
        status = LegalStatus(c.legal_status)
        if day is None:
            continue
        if in_custody_on(c, day):
            out.append(WizardWarning(INVITEES, "custody",
                                     f"{c.reference} is expected to be in custody on the date.",
                                     (c.person_id,)))
        if c.custody_release is not None and abs((c.custody_release - day).days) <= RELEASE_NEAR_DAYS:
            out.append(WizardWarning(
                INVITEES, "release_near",
                f"{c.reference} is due for release on {c.custody_release:%d %b %Y}, "
                f"within {RELEASE_NEAR_DAYS} days of the call-in.", (c.person_id,)))
        if status in (LegalStatus.LICENCE, LegalStatus.PROBATION) and not c.can_require:
            out.append(WizardWarning(
                INVITEES, "ends_before",
                f"{c.reference}'s {status.value} ends before the call-in: they can only be invited.",
                (c.person_id,)))
    members: dict[int, list[int]] = defaultdict(list)
    for c in chosen:
        for g in c.group_ids:
            members[g].append(c.person_id)
    for a, b in sorted(facts.rival_pairs):
        if members.get(a) and members.get(b):
            out.append(WizardWarning(
                INVITEES, "rivals",
                f"Members of rival groups {facts.group_names.get(a, a)} ({len(members[a])}) and "
                f"{facts.group_names.get(b, b)} ({len(members[b])}) are invited to the same call-in.",
                tuple(members[a] + members[b])))
    return out


def event_warnings(answers: dict[str, dict], facts: WizardFacts) -> list[WizardWarning]:
    """Another call-in at the same date and time, or overlapping."""
    return clash_warnings(parse_when(answers[EVENT].get("starts_at")), facts.other_call_ins, EVENT)


def message_warnings(answers: dict[str, dict], facts: WizardFacts,
                     offer_names: dict[int, str]) -> list[WizardWarning]:
    """An offer from a partner whose information-sharing agreement has ended."""
    return offer_warnings(answers[MESSAGES].get("offers") or [], facts, offer_names, MESSAGES)


def wizard_warnings(answers: dict[str, dict], facts: WizardFacts,
                    offer_names: dict[int, str]) -> list[WizardWarning]:
    """Every warning of the wizard, in step order: the event, the invitees, the offers."""
    return (event_warnings(answers, facts) + invitee_warnings(answers, facts)
            + message_warnings(answers, facts, offer_names))


# --------------------------------------------------------------------------------------
# Read models
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    id: int
    label: str
    kind: str = ""           # partner type, intervention kind, influencer kind...


@dataclass(frozen=True)
class StepData:
    """Everything a wizard page shows beside the answers: choices, facts, warnings, review."""
    facts: WizardFacts
    groups: tuple[Option, ...]
    cohorts: tuple[Option, ...]
    partners: tuple[Option, ...]
    influencers: tuple[Option, ...]
    levers: tuple[Option, ...]
    offers: tuple[Option, ...]
    warnings: tuple[WizardWarning, ...]
    review: tuple[tuple[str, tuple[str, ...]], ...]     # (heading, lines) per section


@dataclass(frozen=True)
class CallInSummary:
    id: int
    title: str
    starts_at: datetime
    venue: str
    status: str
    invited: int
    attended: int
    attendance_rate: float | None
    help_requests: int
    referrals: int


@dataclass(frozen=True)
class InvitationView:
    id: int
    person_id: int
    reference: str
    name: str
    legal_status: str
    required: bool
    delivered_by: str
    attendance: str
    asked_for_help: bool


@dataclass(frozen=True)
class CallInPage:
    call_in: CallIn
    invitations: tuple[InvitationView, ...]
    stats: CallInSummary
    actions: int
    open_actions: int
    follow_ups: int


def _name(row: Any) -> str:
    return display_name(row.given_name, row.preferred_name, row.family_name)


# --------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------

class CallInService(AttendanceMixin, Service):
    # -- the wizard ------------------------------------------------------------------
    def start(self) -> WizardState:
        return WizardState()

    def facts(self, state: WizardState) -> WizardFacts:
        with self.tx() as uow:
            return self._facts(uow.session, state)

    def step_data(self, state: WizardState) -> StepData:
        """The choices, facts, warnings and review text for the wizard's pages."""
        with self.tx() as uow:
            s = uow.session
            facts = self._facts(s, state)
            groups = tuple(Option(*r) for r in s.execute(
                select(GroupRow.id, GroupRow.name, GroupRow.type).order_by(GroupRow.name)))
            cohorts = tuple(Option(*r) for r in s.execute(
                select(CohortRow.id, CohortRow.name).order_by(CohortRow.name)))
            partners = tuple(Option(*r) for r in s.execute(
                select(PartnerRow.id, PartnerRow.name, PartnerRow.type).order_by(PartnerRow.name)))
            # Speakers may be the invitees' own influencers (family, faith, community figures).
            invitees = state.invitee_ids()
            infl = [Option(iid, f"{name} ({label(kind).lower()}, {ref})", kind)
                    for iid, name, kind, ref in s.execute(
                        select(InfluencerRow.id, InfluencerRow.name, InfluencerRow.kind, PersonRow.reference)
                        .join(PersonRow, PersonRow.id == InfluencerRow.person_id)
                        .where(InfluencerRow.person_id.in_(invitees))
                        .order_by(InfluencerRow.name))] if invitees else []
            cat = list(s.scalars(select(InterventionRow).order_by(InterventionRow.name)))
            levers = tuple(Option(c.id, c.name, c.partner_type) for c in cat if c.kind == InterventionKind.LEVER.value)
            offers = tuple(Option(c.id, c.name, c.partner_type) for c in cat if c.kind == InterventionKind.OFFER.value)
            warnings = wizard_warnings(state.answers, facts, {o.id: o.label for o in offers})
            data = StepData(facts, groups, cohorts, partners, tuple(infl), levers, offers,
                            tuple(warnings), ())
            review = self._review(state, data)
            return StepData(facts, groups, cohorts, partners, tuple(infl), levers, offers,
                            data.warnings, review)

    def next(self, state: WizardState, values: dict[str, Any] | None = None) -> Move:
        """``go_next`` with fresh facts from the workspace (for callers without them)."""
        candidate = record(state, values)
        return go_next(state, values, self.facts(candidate))

    def save_draft(self, state: WizardState) -> WizardState:
        """Keep the wizard as a draft call-in; returns the state with its draft id."""
        self.require(Role.COORDINATOR)
        a = state.answers[EVENT]
        title = (a.get("title") or "").strip()[:200] or "Untitled call-in (draft)"
        when = state.starts_at() or datetime.combine(self.today(), time(18, 0))
        with self.tx() as uow:
            if state.draft_id is None:
                row = CallInRow(title=title, starts_at=when, venue=(a.get("venue") or "")[:200],
                                venue_notes=a.get("venue_notes") or "", status="draft",
                                details={"wizard": state.to_json()})
                uow.session.add(row)
                uow.session.flush()
                uow.audit(AuditOperation.COLLECTION, "call_in", row.id,
                          f"draft saved at step {state.current}")
            else:
                row = uow.get(CallInRow, state.draft_id, "call-in draft")
                if row.status != "draft":
                    raise ValidationError("draft", "this call-in is no longer a draft")
                row.title, row.starts_at = title, when
                row.venue, row.venue_notes = (a.get("venue") or "")[:200], a.get("venue_notes") or ""
                row.details = {"wizard": state.to_json()}
                uow.audit(AuditOperation.ALTERATION, "call_in", row.id,
                          f"draft saved at step {state.current}")
            new = state.copy()
            new.draft_id = row.id
            return new

    def resume_draft(self, call_in_id: int) -> WizardState:
        with self.tx() as uow:
            row = uow.get(CallInRow, call_in_id, "call-in draft")
            if row.status != "draft":
                raise ValidationError("draft", "this call-in is not a draft")
            uow.audit(AuditOperation.CONSULTATION, "call_in", row.id, "draft resumed")
            return WizardState.from_json((row.details or {}).get("wizard") or {}, row.id)

    def discard_draft(self, call_in_id: int) -> None:
        self.require(Role.COORDINATOR)
        with self.tx() as uow:
            row = uow.get(CallInRow, call_in_id, "call-in draft")
            if row.status != "draft":
                raise ValidationError("draft", "only a draft can be discarded")
            uow.session.delete(row)
            uow.audit(AuditOperation.ERASURE, "call_in", call_in_id, "draft discarded")

    def finish(self, state: WizardState) -> CallIn:
        """Create the call-in, its invitations and its logistics actions in one transaction."""
        self.require(Role.COORDINATOR)
        with self.tx() as uow:
            s = uow.session
            facts = self._facts(s, state)
            errors = validate_all(state.answers, facts)
            if errors:
                raise ValidationError(errors)
            ev, lg = state.answers[EVENT], state.answers[LOGISTICS]
            when = state.starts_at()
            assert when is not None
            details = {
                "purpose": ev.get("purpose") or "",
                "group_ids": list(ev.get("group_ids") or []),
                "cohort_ids": list(ev.get("cohort_ids") or []),
                "speakers": copy.deepcopy(state.answers[SPEAKERS]["speakers"]),
                "messages": {"lever_ids": list(state.answers[MESSAGES]["lever_ids"]),
                             "offers": copy.deepcopy(state.answers[MESSAGES]["offers"])},
                "logistics": copy.deepcopy(lg),
                "follow_ups": {},
            }
            if state.draft_id is not None:
                row = uow.get(CallInRow, state.draft_id, "call-in draft")
                if row.status != "draft":
                    raise ValidationError("draft", "this draft was already finished")
                row.title, row.starts_at, row.status = ev["title"].strip(), when, "planned"
                row.venue, row.venue_notes, row.details = ev["venue"].strip(), ev.get("venue_notes") or "", details
                s.flush()
            else:
                row = CallInRow(title=ev["title"].strip(), starts_at=when, venue=ev["venue"].strip(),
                                venue_notes=ev.get("venue_notes") or "", status="planned", details=details)
                s.add(row)
                s.flush()
            partner_names = dict(s.execute(select(PartnerRow.id, PartnerRow.name)).all())
            overrides = {int(k): v for k, v in (lg.get("delivery_overrides") or {}).items()}
            delivery_due = parse_day(lg["delivery_due"])
            n_actions = 0
            for item in state.answers[INVITEES]["invitees"]:
                pid = int(item["person_id"])
                cand = facts.candidates[pid]
                o = overrides.get(pid) or {}
                partner_id = o.get("partner_id") or lg["delivery_partner_id"]
                method = o.get("method") or lg["delivery_method"]
                inv = InvitationRow(call_in_id=row.id, person_id=pid, required=bool(item.get("required")),
                                    delivered_by=f"{partner_names[partner_id]} ({method})"[:200],
                                    attendance=AttendanceStatus.INVITED.value, asked_for_help=False)
                s.add(inv)
                s.flush()
                uow.audit(AuditOperation.COLLECTION, "invitation", inv.id,
                          f"person {cand.reference} to call-in {row.id}; required={inv.required}")
                act = ActionRow(partner_id=partner_id, kind=ActionKind.COMMUNICATION.value,
                                description=f"Deliver the call-in invitation ({method}): {row.title}"
                                            + (" - attendance required" if inv.required else ""),
                                person_id=pid, due_date=delivery_due, status=ActionStatus.PLANNED.value,
                                call_in_id=row.id)
                n_actions += self._add_action(uow, act)
            group_id = facts.task_group_id
            tasks = list(lg.get("tasks") or [])
            for t in tasks:
                kind_label, action_kind = TASK_KINDS[t["kind"]]
                act = ActionRow(partner_id=t["partner_id"], kind=action_kind.value,
                                description=f"{kind_label} for the call-in {row.title}: {t['description'].strip()}",
                                group_id=group_id, due_date=parse_day(t["due_date"]),
                                status=ActionStatus.PLANNED.value, call_in_id=row.id)
                n_actions += self._add_action(uow, act)
            uow.audit(AuditOperation.COLLECTION, "call_in", row.id,
                      f"planned: {len(state.answers[INVITEES]['invitees'])} invitations, "
                      f"{n_actions} actions, {len(details['speakers'])} speakers"
                      + ("; from draft" if state.draft_id is not None else ""))
            return to_record(row, CallIn)

    def _facts(self, s: Session, state: WizardState) -> WizardFacts:
        ev = state.answers[EVENT]
        when = state.starts_at()
        day = when.date() if when else None
        group_ids = [int(g) for g in ev.get("group_ids") or []]
        cohort_ids = [int(c) for c in ev.get("cohort_ids") or []]
        candidates = self._candidates(s, group_ids, cohort_ids, day or self.today())
        group_names = dict(s.execute(select(GroupRow.id, GroupRow.name)).all())
        rivals = frozenset((a, b) for a, b in s.execute(
            select(GroupRelationRow.group_id, GroupRelationRow.other_group_id)
            .where(GroupRelationRow.kind == "rivalry")))
        task_group = group_ids[0] if group_ids else None
        if task_group is None:
            counts = Counter(g for p in state.invitee_ids() if p in candidates
                             for g in candidates[p].group_ids)
            task_group = counts.most_common(1)[0][0] if counts else None
        cat = s.execute(select(InterventionRow.id, InterventionRow.kind)).all()
        others = tuple(OtherCallIn(r.id, r.title, r.starts_at, r.venue) for r in s.scalars(
            select(CallInRow).where(CallInRow.status.in_(("planned", "held")),
                                    CallInRow.id != (state.draft_id or -1))))
        partners = list(s.scalars(select(PartnerRow)))
        return WizardFacts(
            today=self.today(), starts_on=day, candidates=candidates,
            partner_ids=frozenset(p.id for p in partners),
            group_ids=frozenset(group_names), cohort_ids=frozenset(s.scalars(select(CohortRow.id))),
            influencer_ids=frozenset(s.scalars(select(InfluencerRow.id))),
            lever_ids=frozenset(i for i, k in cat if k == InterventionKind.LEVER.value),
            offer_ids=frozenset(i for i, k in cat if k == InterventionKind.OFFER.value),
            rival_pairs=rivals, group_names=group_names, task_group_id=task_group,
            other_call_ins=others,
            agreements={p.id: Agreement(p.id, p.name, p.isa_reference or "", p.isa_start, p.isa_end)
                        for p in partners})

    def candidates(self, group_ids: list[int], cohort_ids: list[int], on: date) -> list[InviteeCandidate]:
        with self.tx() as uow:
            return sorted(self._candidates(uow.session, group_ids, cohort_ids, on).values(),
                          key=lambda c: c.reference)

    @staticmethod
    def _candidates(s: Session, group_ids: list[int], cohort_ids: list[int], on: date) -> dict[int, InviteeCandidate]:
        if not group_ids and not cohort_ids:
            return {}
        current = or_(MembershipRow.end.is_(None), MembershipRow.end >= on)
        ids: set[int] = set()
        if group_ids:
            ids |= set(s.scalars(select(MembershipRow.person_id).where(
                MembershipRow.group_id.in_(group_ids), current)))
        if cohort_ids:
            ids |= set(s.scalars(select(CohortMemberRow.person_id).where(
                CohortMemberRow.cohort_id.in_(cohort_ids))))
        if not ids:
            return {}
        groups: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for pid, gid, gname in s.execute(
                select(MembershipRow.person_id, GroupRow.id, GroupRow.name)
                .join(GroupRow, GroupRow.id == MembershipRow.group_id)
                .where(MembershipRow.person_id.in_(ids), current).order_by(GroupRow.name)):
            groups[pid].append((gid, gname))
        partners = dict(s.execute(select(PartnerRow.id, PartnerRow.name)).all())
        out = {}
        for p in s.scalars(select(PersonRow).where(PersonRow.id.in_(ids))):
            status = LegalStatus(p.legal_status)
            supervised = status in (LegalStatus.LICENCE, LegalStatus.PROBATION)
            can = bool(supervised and p.supervising_partner_id is not None and
                       (p.legal_status_end is None or p.legal_status_end >= on))
            supervisor = partners.get(p.supervising_partner_id, "") if p.supervising_partner_id else ""
            if can:
                requirement = f"Can be required ({status.value}, supervised by {supervisor})"
            elif supervised:
                requirement = f"Invite only ({status.value} ends before the date)"
            else:
                requirement = "Invite only"
            out[p.id] = InviteeCandidate(
                p.id, p.reference, _name(p), p.legal_status, p.legal_status_end, p.custody_release,
                p.supervising_partner_id, supervisor, tuple(g for g, _ in groups[p.id]),
                tuple(n for _, n in groups[p.id]), can, requirement)
        return out

    def _review(self, state: WizardState, data: StepData) -> tuple[tuple[str, tuple[str, ...]], ...]:
        a, f = state.answers, data.facts
        partners = {o.id: o.label for o in data.partners}
        names = {o.id: o.label for o in data.groups}
        cohorts = {o.id: o.label for o in data.cohorts}
        infl = {o.id: o.label for o in data.influencers}
        catalogue = {o.id: o.label for o in data.levers + data.offers}
        ev = a[EVENT]
        when = state.starts_at()
        event = (
            f"Title: {ev.get('title') or '-'}",
            f"When: {when:%A %d %B %Y, %H:%M}" if when else "When: -",
            f"Venue: {ev.get('venue') or '-'}",
            f"Venue notes: {ev.get('venue_notes') or '-'}",
            "Groups: " + (", ".join(names.get(g, str(g)) for g in ev.get("group_ids") or []) or "-"),
            "Cohorts: " + (", ".join(cohorts.get(c, str(c)) for c in ev.get("cohort_ids") or []) or "-"),
        ) + ((f"Purpose: {ev['purpose']}",) if ev.get("purpose") else ())
        warned = defaultdict(list)
        for w in data.warnings:
            warned[w.step].append(f"Warning: {w.text}")
        event += tuple(warned[EVENT])
        inv_lines = []
        for item in a[INVITEES].get("invitees") or []:
            c = f.candidates.get(int(item["person_id"]))
            ref = c.reference if c else f"person {item['person_id']}"
            inv_lines.append(f"{ref} {c.name if c else ''} - "
                             f"{'required' if item.get('required') else 'invited'}")
        inv_lines += warned[INVITEES]
        speakers = tuple(
            f"{SPEAKER_ROLES.get(s.get('role'), '?')}: {s.get('name')} "
            f"({partners.get(s.get('partner_id')) or infl.get(s.get('influencer_id')) or '-'})"
            for s in a[SPEAKERS].get("speakers") or [])
        messages = tuple(f"Lever: {catalogue.get(i, i)}" for i in a[MESSAGES].get("lever_ids") or []) + tuple(
            f"Offer: {catalogue.get(o.get('intervention_id'), '?')} - {partners.get(o.get('partner_id'), '?')}"
            for o in a[MESSAGES].get("offers") or []) + tuple(warned[MESSAGES])
        lg = a[LOGISTICS]
        def day(value: Any) -> str:
            d = parse_day(value)
            return d.strftime("%d %b %Y") if d else "-"

        logistics = [
            f"Invitations delivered by {partners.get(lg.get('delivery_partner_id'), '-')} "
            f"({lg.get('delivery_method')}), by {day(lg.get('delivery_due'))}",
            f"Transport: {lg.get('transport') or '-'}",
            f"Room layout: {lg.get('room_layout') or '-'}",
            "Risk assessment: " + ("done" if lg.get("risk_assessment_done") else "to do (see tasks)"),
        ]
        for key, o in (lg.get("delivery_overrides") or {}).items():
            c = f.candidates.get(int(key))
            if c and int(key) in state.invitee_ids():
                logistics.append(f"Invitation to {c.reference} by {partners.get(o.get('partner_id'), '-')} ({o.get('method')})")
        for t in lg.get("tasks") or []:
            logistics.append(f"Task: {TASK_KINDS.get(t.get('kind'), ('?',))[0]} - {t.get('description')} - "
                             f"{partners.get(t.get('partner_id'), '-')}, due {day(t.get('due_date'))}")
        n_actions = len(a[INVITEES].get("invitees") or []) + len(lg.get("tasks") or [])
        logistics.append(f"Finish creates {n_actions} actions.")
        return (("Purpose and event", event), ("Invitees", tuple(inv_lines)),
                ("Speakers and roles", speakers), ("Messages", messages),
                ("Logistics", tuple(logistics)))

    # -- lists and pages --------------------------------------------------------------
    def list(self, include_drafts: bool = True) -> list[CallInSummary]:
        with self.tx() as uow:
            s = uow.session
            q = select(CallInRow).order_by(CallInRow.starts_at.desc())
            if not include_drafts:
                q = q.where(CallInRow.status != "draft")
            rows = list(s.scalars(q))
            att: dict[int, list[str]] = defaultdict(list)
            help_: Counter[int] = Counter()
            for cid, a, h in s.execute(select(InvitationRow.call_in_id, InvitationRow.attendance,
                                              InvitationRow.asked_for_help)):
                att[cid].append(a)
                help_[cid] += bool(h)
            return [self._summary(r, att[r.id], help_[r.id]) for r in rows]

    @staticmethod
    def _summary(r: CallInRow, attendances: list[str], help_requests: int) -> CallInSummary:
        referrals = sum(1 for v in ((r.details or {}).get("follow_ups") or {}).values()
                        if v.get("kind") == "referral")
        return CallInSummary(r.id, r.title, r.starts_at, r.venue, r.status, len(attendances),
                             sum(1 for a in attendances if a in ATTENDED),
                             attendance_rate(attendances), help_requests, referrals)

    def get(self, call_in_id: int) -> CallIn:
        with self.tx() as uow:
            return to_record(uow.get(CallInRow, call_in_id, "call-in"), CallIn)

    def page(self, call_in_id: int) -> CallInPage:
        """The call-in with its invitations and figures. Viewing it is a consultation."""
        with self.tx() as uow:
            s = uow.session
            row = uow.get(CallInRow, call_in_id, "call-in")
            all_invs = tuple(
                InvitationView(i.id, i.person_id, p.reference, _name(p), p.legal_status, i.required,
                               i.delivered_by, i.attendance, i.asked_for_help)
                for i, p in s.execute(select(InvitationRow, PersonRow)
                                      .join(PersonRow, PersonRow.id == InvitationRow.person_id)
                                      .where(InvitationRow.call_in_id == call_in_id)
                                      .order_by(PersonRow.reference)))
            stats = self._summary(row, [i.attendance for i in all_invs],
                                  sum(i.asked_for_help for i in all_invs))
            visible = self.officer_people()
            invs = all_invs
            if visible is not None:      # a partner officer sees the figures, and their people
                mine = set(s.scalars(select(PersonRow.id).where(PersonRow.id.in_(visible))))
                invs = tuple(i for i in all_invs if i.person_id in mine)
            statuses = list(s.scalars(select(ActionRow.status).where(ActionRow.call_in_id == call_in_id)))
            open_n = sum(1 for st in statuses if ActionStatus(st).is_open)
            uow.audit(AuditOperation.CONSULTATION, "call_in", call_in_id,
                      f"call-in page; {len(invs)} invitations")
            return CallInPage(to_record(row, CallIn), invs, stats, len(statuses), open_n,
                              len((row.details or {}).get("follow_ups") or {}))

    def cancel(self, call_in_id: int) -> int:
        """Cancel a planned call-in and its open logistics actions; returns how many actions."""
        self.require(Role.COORDINATOR)
        with self.tx() as uow:
            row = uow.get(CallInRow, call_in_id, "call-in")
            if row.status != "planned":
                raise ValidationError("status", f"a {row.status} call-in cannot be cancelled")
            row.status = "cancelled"
            uow.audit(AuditOperation.ALTERATION, "call_in", call_in_id, "fields=status")
            n = 0
            for act in uow.session.scalars(select(ActionRow).where(
                    ActionRow.call_in_id == call_in_id,
                    ActionRow.status.in_([s.value for s in ActionStatus if s.is_open]))):
                act.status, act.outcome = ActionStatus.CANCELLED.value, "The call-in was cancelled"
                uow.audit(AuditOperation.ALTERATION, "action", act.id, "fields=outcome,status")
                n += 1
            return n


__all__ = [
    "STEPS", "STEP_IDS", "EVENT", "INVITEES", "SPEAKERS", "MESSAGES", "LOGISTICS", "REVIEW",
    "SPEAKER_ROLES", "TASK_KINDS", "DELIVERY_METHODS", "WizardState", "WizardFacts", "Move",
    "InviteeCandidate", "WizardWarning", "StepData", "Option", "CallInSummary", "InvitationView",
    "CallInPage", "FollowUpProposal", "CallInService", "go_next", "go_back", "go_to", "record",
    "validate_step", "validate_all", "invitee_warnings", "event_warnings", "message_warnings",
    "wizard_warnings",
    "in_custody_on", "OtherCallIn", "Agreement", "attendance_rate", "attendance_not_yet",
    "blank_answers", "ATTENDED", "NOT_EXPECTED", "NEED_PARTNER_TYPES", "FOLLOW_UP_DAYS",
]
