"""Read models the services hand to the layers above: plain, immutable rows.

They carry exactly what a list or a page shows, already joined, so the GUI
never touches ORM objects or runs a query.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..domain import model
from ..domain.model import display_name


@dataclass(frozen=True)
class PersonSummary:
    id: int
    reference: str
    given_name: str
    family_name: str
    preferred_name: str
    aliases: tuple[str, ...]
    date_of_birth: date | None
    legal_status: str
    risk_level: str
    groups: tuple[str, ...]
    open_actions: int
    review_date: date | None

    @property
    def display_name(self) -> str:
        return display_name(self.given_name, self.preferred_name, self.family_name)


@dataclass(frozen=True)
class MembershipView:
    id: int
    person_id: int
    person_reference: str
    person_name: str
    group_id: int
    group_name: str
    role: str
    start: date | None
    end: date | None


@dataclass(frozen=True)
class ActionView:
    id: int
    partner_id: int
    partner_name: str
    kind: str
    description: str
    person_id: int | None
    person_reference: str
    person_name: str
    group_id: int | None
    group_name: str
    assignee: str
    due_date: date | None
    status: str
    outcome: str
    notes: str
    meeting_id: int | None
    updated_at: datetime | None
    version: int

    def is_overdue(self, today: date) -> bool:
        return (self.due_date is not None and self.due_date < today
                and self.status in ("planned", "in_progress", "blocked"))

    @property
    def subject(self) -> str:
        return self.person_reference or self.group_name


@dataclass(frozen=True)
class CommunicationView:
    id: int
    person_id: int
    person_reference: str
    occurred_at: datetime
    channel: str
    delivered_by: str
    partner_name: str
    deterrence_message: bool
    support_offer: bool
    message: str
    outcome: str
    template: str


@dataclass(frozen=True)
class CohortMembershipView:
    """A person's place in one cohort, and why they were included."""
    id: int
    cohort_id: int
    cohort_name: str
    person_id: int
    reason: str
    added_on: date | None


@dataclass(frozen=True)
class PersonPage:
    person: model.Person
    supervising_partner: str
    influencers: tuple[model.Influencer, ...]
    memberships: tuple[MembershipView, ...]
    cohorts: tuple[str, ...]
    actions: tuple[ActionView, ...]
    communications: tuple[CommunicationView, ...]     # newest first
    cohort_memberships: tuple["CohortMembershipView", ...] = ()

    @property
    def contact_count(self) -> int:
        return len(self.communications)

    @property
    def messages_given(self) -> int:
        """Contacts that gave the message (a no-show, refusal or not found did not)."""
        return sum(1 for c in self.communications if model.message_given(c.outcome))

    def deliverers(self) -> dict[str, int]:
        """How many times each deliverer gave the message."""
        out: dict[str, int] = {}
        for c in self.communications:
            if not model.message_given(c.outcome):
                continue
            key = c.delivered_by or c.partner_name or "unknown"
            out[key] = out.get(key, 0) + 1
        return out


@dataclass(frozen=True)
class GroupSummary:
    id: int
    name: str
    type: str
    area: str
    members: int
    open_actions: int


@dataclass(frozen=True)
class GroupRelationView:
    id: int
    other_group_id: int
    other_group_name: str
    kind: str
    since: date | None


@dataclass(frozen=True)
class GroupPage:
    group: model.Group
    members: tuple[MembershipView, ...]
    relations: tuple[GroupRelationView, ...]
    actions: tuple[ActionView, ...]


@dataclass(frozen=True)
class PartnerSummary:
    id: int
    name: str
    type: str
    lead_contact: str
    isa_reference: str
    isa_end: date | None
    isa_state: str            # "in force", "ends soon", "ended", "none", "not started"
    open_actions: int
    overdue_actions: int


@dataclass(frozen=True)
class PartnerPage:
    partner: model.Partner
    isa_state: str
    isa_warning: str
    open_actions: tuple[ActionView, ...]
    overdue_actions: tuple[ActionView, ...]


@dataclass(frozen=True)
class CohortSummary:
    id: int
    name: str
    description: str
    members: int


@dataclass(frozen=True)
class CohortMemberView:
    person_id: int
    reference: str
    name: str
    reason: str
    added_on: date | None


@dataclass
class WorkspaceInfo:
    path: str
    workspace_id: str
    schema_version: str
    partnership: str
    counts: dict[str, int] = field(default_factory=dict)
    cipher: dict[str, str] = field(default_factory=dict)
