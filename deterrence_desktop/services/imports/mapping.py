"""Which column is which field: the fields each kind of import takes, the words
partners use for them in a header, guesses from headers and values, and the value
maps for enumerations (legal status, risk, kind of action, status, channel)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from ...domain.enums import (ActionKind, ActionStatus, CommunicationChannel, CommunicationOutcome,
                             GroupType, LegalStatus, RiskLevel, label)
from .values import enum_key, parse_date


class ImportKind(StrEnum):
    PEOPLE = "people"
    GROUPS = "groups"
    ACTIONS = "actions"
    COMMUNICATIONS = "communications"


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    words: tuple[str, ...] = ()          # header texts that mean this field (folded)
    kind: str = "text"                   # text | date | enum | list | name
    enum: type[StrEnum] | None = None


def F(key, label_, *words, kind="text", enum=None) -> Field:
    return Field(key, label_, tuple(enum_key(w) for w in (label_, *words)), kind, enum)


PERSON_FIELDS = [
    F("reference", "Reference", "ref", "fd ref", "partnership reference", "nominal ref", "id",
      "fd reference", "urn"),
    F("full_name", "Full name (Surname, Forename)", "name", "full name", "surname forename",
      "nominal", "nominal name", "person", "subject", kind="name"),
    F("given_name", "Given name", "forename", "forenames", "first name", "firstname", "given names",
      "christian name"),
    F("family_name", "Family name", "surname", "last name", "lastname", "family names"),
    F("preferred_name", "Preferred name", "known as", "aka name", "nickname"),
    F("aliases", "Aliases", "alias", "aka", "street names", "street name", "also known as",
      "nicknames", kind="list"),
    F("date_of_birth", "Date of birth", "dob", "d o b", "birth date", "birthdate", "born",
      "date of birth dd mm yyyy", kind="date"),
    F("address", "Address", "home address", "last known address", "address line 1"),
    F("postcode", "Postcode", "post code", "zip"),
    F("legal_status", "Legal status", "status", "criminal justice status", "cj status",
      "order", "current order", kind="enum", enum=LegalStatus),
    F("custody_release", "Expected release", "release date", "erd", "crd", "expected release date",
      kind="date"),
    F("risk_level", "Risk", "risk level", "rag", "threat", "harm", "risk rating", "vsr", kind="enum",
      enum=RiskLevel),
    F("review_date", "Review date", "next review", "review", kind="date"),
    F("group", "Group", "gang", "group name", "ocg", "street group", "affiliation"),
    F("group_role", "Role in group", "role", "group role", "position"),
    F("notes", "Notes", "comments", "comment", "remarks"),
]
GROUP_FIELDS = [
    F("name", "Group name", "group", "gang", "name", "ocg", "street group"),
    F("type", "Group type", "type", "kind", "category", kind="enum", enum=GroupType),
    F("area", "Area", "location", "territory", "beat", "ward", "neighbourhood"),
    F("description", "Description", "notes", "comments"),
    F("member_reference", "Member reference", "member ref", "person ref", "reference", "ref"),
    F("member_name", "Member name", "member", "person", "nominal", kind="name"),
    F("member_role", "Member role", "role", "position"),
    F("member_since", "Member since", "since", "joined", "from", "start", kind="date"),
    F("member_until", "Member until", "until", "left", "to", "end", kind="date"),
]
ACTION_FIELDS = [
    F("person_reference", "Person reference", "reference", "ref", "fd ref", "nominal ref"),
    F("person_name", "Person name", "name", "nominal", "person", "subject", kind="name"),
    F("group", "Group", "group name", "gang"),
    F("partner", "Partner", "agency", "organisation", "organization", "owner agency", "lead agency"),
    F("kind", "Kind of action", "type", "action type", "lever", "category", "kind", kind="enum",
      enum=ActionKind),
    F("description", "Action", "description", "action description", "task", "intervention", "detail"),
    F("assignee", "Assigned to", "owner", "officer", "lead", "assignee", "responsible"),
    F("due_date", "Due date", "due", "deadline", "target date", "by", kind="date"),
    F("status", "Status", "progress", "state", "rag status", kind="enum", enum=ActionStatus),
    F("outcome", "Outcome", "result"),
    F("notes", "Notes", "comments", "update", "latest update"),
]
COMMUNICATION_FIELDS = [
    F("person_reference", "Person reference", "reference", "ref", "fd ref"),
    F("person_name", "Person name", "name", "nominal", "person", kind="name"),
    F("occurred_at", "Date", "date of contact", "contact date", "when", "date contacted", kind="date"),
    F("channel", "Channel", "method", "contact type", "type", "how", kind="enum",
      enum=CommunicationChannel),
    F("outcome", "Outcome", "result", kind="enum", enum=CommunicationOutcome),
    F("partner", "Partner", "agency", "organisation"),
    F("delivered_by", "Delivered by", "officer", "by", "staff", "worker"),
    F("message", "Message", "notes", "comments", "summary", "detail"),
]
FIELDS: dict[ImportKind, list[Field]] = {
    ImportKind.PEOPLE: PERSON_FIELDS, ImportKind.GROUPS: GROUP_FIELDS,
    ImportKind.ACTIONS: ACTION_FIELDS, ImportKind.COMMUNICATIONS: COMMUNICATION_FIELDS,
}

# Words partners use for enumeration values, beyond each value's own label.
SYNONYMS: dict[type[StrEnum], dict[str, str]] = {
    LegalStatus: {"n a": "none", "na": "none", "no": "none", "nil": "none", "not known": "none",
                  "license": "licence", "on licence": "licence", "released on licence": "licence",
                  "licence recall": "licence", "prison": "custody", "in custody": "custody",
                  "hmp": "custody", "sentenced": "custody", "in prison": "custody",
                  "remanded": "remand", "on remand": "remand", "remand in custody": "remand",
                  "police bail": "bail", "court bail": "bail", "on bail": "bail", "rui": "bail",
                  "released under investigation": "bail", "community order": "probation",
                  "co": "probation", "sso": "probation", "suspended sentence": "probation",
                  "suspended sentence order": "probation", "on probation": "probation"},
    RiskLevel: {"l": "low", "m": "medium", "med": "medium", "h": "high", "vh": "very_high",
                "very high": "very_high", "green": "low", "amber": "medium", "red": "high",
                "critical": "very_high", "standard": "low", "1": "low", "2": "medium", "3": "high",
                "4": "very_high"},
    ActionStatus: {"not started": "planned", "to do": "planned", "todo": "planned", "new": "planned",
                   "open": "in_progress", "ongoing": "in_progress", "started": "in_progress",
                   "in hand": "in_progress", "wip": "in_progress", "complete": "done",
                   "completed": "done", "closed": "done", "finished": "done", "yes": "done",
                   "on hold": "blocked", "stuck": "blocked", "withdrawn": "cancelled",
                   "canceled": "cancelled", "not required": "cancelled", "nfa": "cancelled"},
    ActionKind: {"enforcement lever": "enforcement", "lever": "enforcement", "enforce": "enforcement",
                 "support offer": "support", "offer": "support", "help": "support",
                 "welfare": "support", "divert": "diversion", "comms": "communication",
                 "message": "communication", "intel": "analysis", "intelligence": "analysis"},
    CommunicationChannel: {"call in": "call_in", "callin": "call_in", "forum": "call_in",
                           "custom notification": "custom_notification", "cn": "custom_notification",
                           "doorstep": "home_visit", "home visit": "home_visit", "visit": "home_visit",
                           "telephone": "phone", "call": "phone", "tel": "phone", "mobile": "phone",
                           "post": "letter", "letter sent": "letter", "in custody": "custody",
                           "prison visit": "custody", "family": "influencer", "mentor": "influencer"},
    CommunicationOutcome: {"delivered": "delivered", "spoke to": "delivered", "seen": "delivered",
                           "refused": "refused", "declined": "refused", "not found": "not_found",
                           "nobody home": "not_found", "no answer": "not_found", "nfa": "not_found",
                           "attended": "attended", "dna": "no_show", "did not attend": "no_show",
                           "no show": "no_show", "sent": "sent", "posted": "sent"},
    GroupType: {"gang": "street_group", "street gang": "street_group", "sg": "street_group",
                "county line": "drug_line", "county lines": "drug_line", "line": "drug_line",
                "ocg": "organised_crime_group", "organised crime group": "organised_crime_group",
                "organized crime group": "organised_crime_group"},
}


def enum_value(enum: type[StrEnum], text: str, overrides: dict[str, str] | None = None) -> str | None:
    """The enumeration value a cell means, or None when it is not known."""
    key = enum_key(text)
    if overrides and key in overrides:
        return overrides[key] or None
    for member in enum:
        if key in (enum_key(member.value), enum_key(label(member))):
            return member.value
    return SYNONYMS.get(enum, {}).get(key)


@dataclass
class Mapping:
    """A saved way of reading a partner's file: column header -> field, and for each
    enumeration field, cell text -> value (what the user chose in the wizard)."""
    name: str
    kind: ImportKind
    columns: dict[str, str] = field(default_factory=dict)       # header text -> field key ("" = ignore)
    values: dict[str, dict[str, str]] = field(default_factory=dict)   # field -> {folded text: value}
    day_first: bool = True

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind.value, "columns": self.columns,
                "values": self.values, "day_first": self.day_first}

    @classmethod
    def from_json(cls, data: dict) -> "Mapping":
        return cls(str(data["name"]), ImportKind(data["kind"]), dict(data.get("columns", {})),
                   {k: dict(v) for k, v in data.get("values", {}).items()},
                   bool(data.get("day_first", True)))


_BY_KEY = {(kind, f.key): f for kind, fields in FIELDS.items() for f in fields}


def field_by_key(kind: ImportKind, key: str) -> Field:
    return _BY_KEY[(kind, key)]


REFERENCE = re.compile(r"^FD-\d{3,}$", re.I)


def guess_columns(kind: ImportKind, headers: list[str], columns: list[list[str]],
                  today: date) -> dict[int, str]:
    """Column index -> field key, from the header text first, then from the values (a column
    of past dates is a date of birth; FD-0042 is a reference). Each field is used once."""
    fields = FIELDS[kind]
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    # exact header words first, then a header that contains a field's word
    for exact in (True, False):
        for i, header in enumerate(headers):
            if i in chosen or not header.strip():
                continue
            key = enum_key(header)
            for f in fields:
                if f.key in taken:
                    continue
                hit = key in f.words if exact else any(
                    len(w) > 3 and re.search(rf"\b{re.escape(w)}\b", key) for w in f.words)
                if hit:
                    chosen[i] = f.key
                    taken.add(f.key)
                    break
    for i, values in enumerate(columns):
        if i in chosen:
            continue
        sample = [v for v in values[:200] if v]
        if len(sample) < 3:
            continue
        if "reference" in {f.key for f in fields} and "reference" not in taken and \
                sum(bool(REFERENCE.match(v)) for v in sample) >= 0.8 * len(sample):
            chosen[i] = "reference"
            taken.add("reference")
            continue
        dates = [parse_date(v, today=today).value for v in sample]
        if sum(d is not None for d in dates) >= 0.8 * len(sample):
            past = [d for d in dates if d is not None and (today - d).days > 365 * 10]
            if kind == ImportKind.PEOPLE and "date_of_birth" not in taken and len(past) >= 0.8 * len(sample):
                chosen[i] = "date_of_birth"
                taken.add("date_of_birth")
    if "full_name" in taken and {"given_name", "family_name"} <= taken:
        for i, k in list(chosen.items()):
            if k == "full_name":
                del chosen[i]
    return chosen


def header_score(kind: ImportKind, row: list[str]) -> int:
    """How much a row looks like this kind's header: how many fields its cells name (a
    cell merged over two columns names its field once)."""
    keys = {enum_key(cell) for cell in row if cell}
    return sum(1 for f in FIELDS[kind] if keys & set(f.words))
