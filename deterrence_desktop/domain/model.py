"""Records of the focused-deterrence domain.

Each record is a plain dataclass. ``validate()`` checks the rules that hold for
the record on its own (required fields, lengths, dates in order, enumerations)
and raises one :class:`ValidationError` naming every field that breaks a rule,
so a form can show each message next to its field.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from . import clock
from .enums import (
    ActionKind, ActionStatus, AttendanceStatus, CommunicationChannel, CommunicationOutcome,
    GroupRelationKind, GroupType, InfluencerKind, InterventionKind, LegalStatus, Need,
    PartnerType, RiskLevel, Role, Strategy,
)
from .errors import ValidationError

__all__ = [
    "Partnership", "Partner", "User", "Person", "Influencer", "Group", "Membership",
    "GroupRelation", "Cohort", "CohortMember", "Intervention", "Action", "Communication",
    "CallIn", "Invitation", "Meeting", "display_name", "REFERENCE_PATTERN", "MAX_TEXT", "MAX_NOTE", "Record",
    "message_given", "MESSAGE_GIVEN",
]

def display_name(given: str | None, preferred: str | None, family: str | None) -> str:
    """How a person is named on screen and in letters: preferred name (else given), family."""
    return f"{preferred or given or ''} {family or ''}".strip()


MAX_TEXT = 200        # a name, a title, an address line
MAX_NOTE = 10_000     # free text: descriptions, outcomes, notes
REFERENCE_PATTERN = re.compile(r"^FD-\d{4,6}$")


class _Rules:
    """Collects field errors while a record is checked, then raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def required(self, name: str, value: Any) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail(name, "is required")

    def length(self, name: str, value: str | None, limit: int = MAX_TEXT) -> None:
        if value is not None and len(value) > limit:
            self.fail(name, f"is too long ({len(value)} characters; at most {limit})")

    def enum(self, name: str, value: Any, kind: type[StrEnum], optional: bool = False) -> None:
        if value is None and optional:
            return
        try:
            kind(value)
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            self.fail(name, f"must be one of: {allowed}")

    def order(self, first: str, a: date | None, second: str, b: date | None) -> None:
        if a is not None and b is not None and b < a:
            self.fail(second, f"must not be before {first.replace('_', ' ')}")

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


class Record:
    """Shared behaviour of domain records.

    A record of a table whose rows are edited in place ends with ``version``: the row
    version it was read at (None for a new record, or one built without reading). A
    service saves it only over that version (see ``UnitOfWork.alter``)."""

    id: int | None

    def validate(self) -> None:  # pragma: no cover - every record overrides
        pass

    def _text_lengths(self, rules: _Rules, notes: tuple[str, ...] = ()) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, str):
                rules.length(f.name, value, MAX_NOTE if f.name in notes else MAX_TEXT)

    def values(self) -> dict[str, Any]:
        """Field values as a dict (shallow)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]


@dataclass
class Partnership(Record):
    name: str
    area: str
    strategy: Strategy = Strategy.GROUP_VIOLENCE
    retention_months: int = 12
    protective_marking: str = "OFFICIAL-SENSITIVE"
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("name", self.name)
        r.required("area", self.area)
        r.enum("strategy", self.strategy, Strategy)
        if not 1 <= int(self.retention_months) <= 120:
            r.fail("retention_months", "must be between 1 and 120 months")
        self._text_lengths(r)
        r.raise_if_any()


@dataclass
class Partner(Record):
    """A partner agency of the partnership."""
    name: str
    type: PartnerType
    lead_contact: str = ""
    contact_details: str = ""
    isa_reference: str = ""          # information-sharing agreement
    isa_start: date | None = None
    isa_end: date | None = None
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("name", self.name)
        r.enum("type", self.type, PartnerType)
        r.order("isa_start", self.isa_start, "isa_end", self.isa_end)
        self._text_lengths(r, notes=("contact_details",))
        r.raise_if_any()

    def isa_in_force(self, on: date) -> bool:
        if not self.isa_reference or self.isa_start is None:
            return False
        return self.isa_start <= on and (self.isa_end is None or on <= self.isa_end)


@dataclass
class User(Record):
    """A member of the partnership team who signs in to the workspace."""
    username: str
    display_name: str
    role: Role = Role.COORDINATOR
    partner_id: int | None = None
    active: bool = True
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("username", self.username)
        r.required("display_name", self.display_name)
        if self.username and not re.fullmatch(r"[A-Za-z0-9._-]{2,64}", self.username):
            r.fail("username", "use 2 to 64 letters, digits, dots, dashes or underscores")
        r.enum("role", self.role, Role)
        if self.role == Role.PARTNER_OFFICER and self.partner_id is None:
            r.fail("partner_id", "a partner officer must belong to a partner")
        self._text_lengths(r)
        r.raise_if_any()


@dataclass
class Person(Record):
    reference: str                      # FD-0042: used wherever names must not show
    given_name: str
    family_name: str
    preferred_name: str = ""
    aliases: list[str] = field(default_factory=list)
    date_of_birth: date | None = None
    address: str = ""
    postcode: str = ""
    legal_status: LegalStatus = LegalStatus.NONE
    legal_status_end: date | None = None      # licence/probation end, bail date
    custody_release: date | None = None       # expected release from custody or remand
    supervising_partner_id: int | None = None
    risk_level: RiskLevel = RiskLevel.MEDIUM
    needs: list[Need] = field(default_factory=list)
    review_date: date | None = None
    notes: str = ""
    id: int | None = None
    version: int | None = None

    @property
    def display_name(self) -> str:
        return display_name(self.given_name, self.preferred_name, self.family_name)

    def validate(self, release_unknown: bool = False) -> None:
        """``release_unknown``: the current custody episode says remand with no release
        date yet (a flag for the release planner, not an error)."""
        r = _Rules()
        r.required("reference", self.reference)
        if self.reference and not REFERENCE_PATTERN.match(self.reference):
            r.fail("reference", "must look like FD-0042")
        r.required("given_name", self.given_name)
        r.required("family_name", self.family_name)
        r.enum("legal_status", self.legal_status, LegalStatus)
        r.enum("risk_level", self.risk_level, RiskLevel)
        for need in self.needs:
            r.enum("needs", need, Need)
        for alias in self.aliases:
            r.length("aliases", alias)
        if len(self.aliases) > 20:
            r.fail("aliases", "at most 20 aliases")
        if self.date_of_birth is not None:
            if self.date_of_birth > clock.today():
                r.fail("date_of_birth", "must not be in the future")
            elif self.date_of_birth.year < 1900:
                r.fail("date_of_birth", "must be after 1900")
        status = self.legal_status
        if status in (LegalStatus.CUSTODY, LegalStatus.REMAND) and self.custody_release is None \
                and not (release_unknown and status == LegalStatus.REMAND):
            r.fail("custody_release", "give the expected release date for custody or remand")
        if status in (LegalStatus.LICENCE, LegalStatus.PROBATION) and self.legal_status_end is None:
            r.fail("legal_status_end", "give the end date of the licence or probation")
        if status in (LegalStatus.LICENCE, LegalStatus.PROBATION) and self.supervising_partner_id is None:
            r.fail("supervising_partner_id", "name the supervising partner")
        r.order("date_of_birth", self.date_of_birth, "review_date", self.review_date)
        self._text_lengths(r, notes=("notes", "address"))
        r.raise_if_any()


@dataclass
class Influencer(Record):
    """Family member or community figure who can carry the message to a person."""
    person_id: int
    name: str
    kind: InfluencerKind = InfluencerKind.FAMILY
    relationship: str = ""
    contact: str = ""
    notes: str = ""
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("name", self.name)
        r.enum("kind", self.kind, InfluencerKind)
        self._text_lengths(r, notes=("notes", "contact"))
        r.raise_if_any()


@dataclass
class Group(Record):
    name: str
    type: GroupType = GroupType.STREET_GROUP
    area: str = ""
    description: str = ""
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("name", self.name)
        r.enum("type", self.type, GroupType)
        self._text_lengths(r, notes=("description",))
        r.raise_if_any()


@dataclass
class Membership(Record):
    person_id: int
    group_id: int
    role: str = "member"
    start: date | None = None
    end: date | None = None
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("role", self.role)
        r.order("start", self.start, "end", self.end)
        self._text_lengths(r)
        r.raise_if_any()


@dataclass
class GroupRelation(Record):
    group_id: int
    other_group_id: int
    kind: GroupRelationKind
    since: date | None = None
    notes: str = ""
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.enum("kind", self.kind, GroupRelationKind)
        if self.group_id == self.other_group_id:
            r.fail("other_group_id", "a group cannot be related to itself")
        self._text_lengths(r, notes=("notes",))
        r.raise_if_any()


@dataclass
class Cohort(Record):
    name: str
    description: str = ""
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("name", self.name)
        self._text_lengths(r, notes=("description",))
        r.raise_if_any()


@dataclass
class CohortMember(Record):
    cohort_id: int
    person_id: int
    reason: str
    added_on: date | None = None
    id: int | None = None
    left_on: date | None = None        # the day they left the cohort; their evaluation stops
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("reason", self.reason)
        r.order("added_on", self.added_on, "left_on", self.left_on)
        self._text_lengths(r, notes=("reason",))
        r.raise_if_any()


@dataclass
class Intervention(Record):
    """An entry of the catalogue: an enforcement lever or a support offer."""
    name: str
    kind: InterventionKind
    partner_type: PartnerType
    description: str = ""
    contact: str = ""
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("name", self.name)
        r.enum("kind", self.kind, InterventionKind)
        r.enum("partner_type", self.partner_type, PartnerType)
        self._text_lengths(r, notes=("description", "contact"))
        r.raise_if_any()


@dataclass
class Action(Record):
    """What one partner does about a person or a group."""
    partner_id: int
    kind: ActionKind
    description: str
    person_id: int | None = None
    group_id: int | None = None
    assignee: str = ""
    due_date: date | None = None
    status: ActionStatus = ActionStatus.PLANNED
    outcome: str = ""
    notes: str = ""
    intervention_id: int | None = None
    meeting_id: int | None = None
    call_in_id: int | None = None
    updated_at: datetime | None = None
    version: int | None = None
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("partner_id", self.partner_id)
        r.enum("kind", self.kind, ActionKind)
        r.enum("status", self.status, ActionStatus)
        r.required("description", self.description)
        if self.person_id is None and self.group_id is None:
            r.fail("person_id", "an action is about a person or a group")
        self._text_lengths(r, notes=("description", "outcome", "notes"))
        r.raise_if_any()

    def is_overdue(self, today: date) -> bool:
        return (self.due_date is not None and self.due_date < today
                and ActionStatus(self.status).is_open)


MESSAGE_GIVEN = frozenset({CommunicationOutcome.DELIVERED.value, CommunicationOutcome.ATTENDED.value,
                           CommunicationOutcome.SENT.value})


def message_given(outcome: str) -> bool:
    """Whether a communication with this outcome gave the person the message. A no-show,
    a refusal or a person not found is a contact attempted, not a message delivered."""
    return str(outcome) in MESSAGE_GIVEN


@dataclass
class Communication(Record):
    """One direct contact with a person: the message given and how it landed."""
    person_id: int
    occurred_at: datetime
    channel: CommunicationChannel
    delivered_by: str = ""
    partner_id: int | None = None
    influencer_id: int | None = None
    deterrence_message: bool = True
    support_offer: bool = False
    message: str = ""
    outcome: CommunicationOutcome = CommunicationOutcome.DELIVERED
    call_in_id: int | None = None
    document_sha256: str = ""       # a printed letter's digest, so a reprint can be proved
    template: str = ""
    id: int | None = None
    version: int | None = None

    def validate(self, today: date | None = None) -> None:
        """``today`` is the caller's (the services' clock); without it, the process clock's."""
        r = _Rules()
        r.required("occurred_at", self.occurred_at)
        r.enum("channel", self.channel, CommunicationChannel)
        r.enum("outcome", self.outcome, CommunicationOutcome)
        if today is None:
            today = clock.today()
        if self.occurred_at is not None and self.occurred_at.date() > today:
            r.fail("occurred_at", "a communication cannot be recorded in the future")
        self._text_lengths(r, notes=("message",))
        r.raise_if_any()


@dataclass
class CallIn(Record):
    title: str
    starts_at: datetime
    venue: str = ""
    venue_notes: str = ""            # accessibility and safety
    status: str = "planned"          # draft, planned, held, cancelled
    details: dict[str, Any] = field(default_factory=dict)   # wizard answers: speakers, messages, logistics
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("title", self.title)
        r.required("starts_at", self.starts_at)
        if self.status not in ("draft", "planned", "held", "cancelled"):
            r.fail("status", "must be one of: draft, planned, held, cancelled")
        self._text_lengths(r, notes=("venue_notes",))
        r.raise_if_any()


@dataclass
class Invitation(Record):
    call_in_id: int
    person_id: int
    required: bool = False          # attendance a licence or probation condition
    delivered_by: str = ""
    attendance: AttendanceStatus = AttendanceStatus.INVITED
    asked_for_help: bool = False
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.enum("attendance", self.attendance, AttendanceStatus)
        self._text_lengths(r)
        r.raise_if_any()


@dataclass
class Meeting(Record):
    """A partnership meeting that reviews people and agrees actions."""
    title: str
    held_on: date
    attendees: list[int] = field(default_factory=list)     # partner ids
    agenda: list[int] = field(default_factory=list)        # person ids, in order
    cohort_id: int | None = None
    notes: str = ""
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("title", self.title)
        r.required("held_on", self.held_on)
        self._text_lengths(r, notes=("notes",))
        r.raise_if_any()
