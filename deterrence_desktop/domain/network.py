"""Records of the group audit and the network: incidents, links between people, audit sessions.

No ``from __future__ import annotations`` here on purpose: the annotations stay real
types, so :mod:`..store.mapping` reads them without knowing this module's names.
"""
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from . import clock
from .model import MAX_NOTE, Record, _Rules

__all__ = [
    "IncidentKind", "IncidentRole", "LinkKind", "Confidence", "Incident", "IncidentPerson",
    "IncidentGroup", "PersonLink", "GroupAudit", "STORED_LINK_KINDS",
]


class IncidentKind(StrEnum):
    SHOOTING = "shooting"
    STABBING = "stabbing"
    ASSAULT = "assault"
    ROBBERY = "robbery"
    OTHER = "other"


class IncidentRole(StrEnum):
    SUSPECT = "suspect"
    VICTIM = "victim"
    WITNESS = "witness"
    PRESENT = "present"


class LinkKind(StrEnum):
    CO_OFFENDING = "co_offending"      # derived from shared incidents, never stored
    FAMILY = "family"
    ASSOCIATE = "associate"
    RIVAL = "rival"
    VICTIM_OF = "victim_of"            # person_id was the victim of other_person_id


class Confidence(StrEnum):
    CONFIRMED = "confirmed"
    REPORTED = "reported"
    SUSPECTED = "suspected"


STORED_LINK_KINDS = tuple(k for k in LinkKind if k is not LinkKind.CO_OFFENDING)


def _not_future(r: _Rules, name: str, value: date | None, today: date | None, what: str) -> None:
    if value is not None and value > (today or clock.today()):
        r.fail(name, f"{what} cannot be in the future")


@dataclass
class Incident(Record):
    """A serious-violence incident reviewed by the group audit."""
    occurred_on: date
    place: str
    kind: IncidentKind
    description: str = ""
    id: int | None = None
    version: int | None = None

    def validate(self, today: date | None = None) -> None:
        """``today`` is the services' clock; without it, the process clock's."""
        r = _Rules()
        r.required("occurred_on", self.occurred_on)
        r.required("place", self.place)
        r.enum("kind", self.kind, IncidentKind)
        _not_future(r, "occurred_on", self.occurred_on, today, "an incident")
        self._text_lengths(r, notes=("description",))
        r.raise_if_any()


@dataclass
class IncidentPerson(Record):
    """A person involved in an incident, and how."""
    incident_id: int
    person_id: int
    role: IncidentRole = IncidentRole.PRESENT
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("person_id", self.person_id)
        r.enum("role", self.role, IncidentRole)
        r.raise_if_any()


@dataclass
class IncidentGroup(Record):
    """A group involved directly in an incident (groups involved through their people are
    derived from memberships, not stored)."""
    incident_id: int
    group_id: int
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("group_id", self.group_id)
        r.raise_if_any()


@dataclass
class PersonLink(Record):
    """A link between two people that a partner reported. Co-offending is derived from
    shared incidents and never stored."""
    person_id: int
    other_person_id: int
    kind: LinkKind
    source_partner_id: int | None
    reported_on: date
    confidence: Confidence = Confidence.REPORTED
    notes: str = ""
    id: int | None = None
    version: int | None = None

    def validate(self, today: date | None = None) -> None:
        r = _Rules()
        r.required("person_id", self.person_id)
        r.required("other_person_id", self.other_person_id)
        if self.person_id is not None and self.person_id == self.other_person_id:
            r.fail("other_person_id", "a person cannot be linked to themselves")
        r.enum("kind", self.kind, LinkKind)
        if str(self.kind) == LinkKind.CO_OFFENDING.value:
            r.fail("kind", "co-offending comes from shared incidents: record the incident instead")
        r.enum("confidence", self.confidence, Confidence)
        r.required("reported_on", self.reported_on)
        _not_future(r, "reported_on", self.reported_on, today, "a report")
        self._text_lengths(r, notes=("notes",))
        r.raise_if_any()


@dataclass
class GroupAudit(Record):
    """One group-audit session: a date, the partners who took part, and when it closed."""
    held_on: date
    participants: list[int] = field(default_factory=list)     # partner ids
    notes: str = ""
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("held_on", self.held_on)
        if any(not isinstance(p, int) for p in self.participants):
            r.fail("participants", "name the partners who took part")
        if len(set(self.participants)) != len(self.participants):
            r.fail("participants", "a partner is named twice")
        r.length("notes", self.notes, MAX_NOTE)
        r.raise_if_any()
