"""Enumerations of the focused-deterrence vocabulary.

Values are stable lower-case strings: they are stored in the workspace and
written to exports, so a value is never renamed, only added.
"""
from __future__ import annotations

from enum import StrEnum

__all__ = [
    "Strategy", "PartnerType", "LegalStatus", "RiskLevel", "Need", "InfluencerKind",
    "GroupType", "GroupRelationKind", "InterventionKind", "ActionKind", "ActionStatus",
    "CommunicationChannel", "CommunicationOutcome", "AttendanceStatus", "AuditOperation",
    "Role", "label",
]


class Strategy(StrEnum):
    GROUP_VIOLENCE = "group_violence"
    DRUG_MARKET = "drug_market"
    WHOLE_SYSTEM_DRUGS = "whole_system_drugs"


class PartnerType(StrEnum):
    POLICE = "police"
    PROBATION = "probation"
    PRISON = "prison"
    CPS = "cps"
    COUNCIL = "council"
    HOUSING = "housing"
    HEALTH = "health"
    DRUG_TREATMENT = "drug_treatment"
    YOUTH_JUSTICE = "youth_justice"
    COMMUNITY = "community"
    OTHER = "other"


class LegalStatus(StrEnum):
    NONE = "none"
    BAIL = "bail"
    REMAND = "remand"
    CUSTODY = "custody"
    LICENCE = "licence"
    PROBATION = "probation"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very_high"


class Need(StrEnum):
    HOUSING = "housing"
    EMPLOYMENT = "employment"
    SUBSTANCE_USE = "substance_use"
    MENTAL_HEALTH = "mental_health"
    FAMILY = "family"


class InfluencerKind(StrEnum):
    FAMILY = "family"
    COMMUNITY = "community"
    FAITH = "faith"
    FORMER_MEMBER = "former_member"
    VICTIM_VOICE = "victim_voice"


class GroupType(StrEnum):
    STREET_GROUP = "street_group"
    DRUG_LINE = "drug_line"
    ORGANISED_CRIME_GROUP = "organised_crime_group"


class GroupRelationKind(StrEnum):
    ALLIANCE = "alliance"
    RIVALRY = "rivalry"


class InterventionKind(StrEnum):
    LEVER = "lever"   # an enforcement consequence
    OFFER = "offer"   # a support offer


class ActionKind(StrEnum):
    ENFORCEMENT = "enforcement"
    SUPPORT = "support"
    DIVERSION = "diversion"
    COMMUNICATION = "communication"
    ANALYSIS = "analysis"


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED)


class CommunicationChannel(StrEnum):
    CALL_IN = "call_in"
    CUSTOM_NOTIFICATION = "custom_notification"
    HOME_VISIT = "home_visit"
    LETTER = "letter"
    PHONE = "phone"
    INFLUENCER = "influencer"
    CUSTODY = "custody"


class CommunicationOutcome(StrEnum):
    DELIVERED = "delivered"
    REFUSED = "refused"
    NOT_FOUND = "not_found"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    SENT = "sent"
    # A drug worker's contact in a custody suite (channel custody). The stored column is
    # 16 characters wide, hence the short values; label() gives the words.
    REFERRAL_MADE = "referral_made"
    REFERRAL_ACCEPTED = "ref_accepted"
    REFERRAL_DECLINED = "ref_declined"


class AttendanceStatus(StrEnum):
    INVITED = "invited"
    ATTENDED = "attended"
    LATE = "late"
    NO_SHOW = "no_show"
    EXCUSED = "excused"
    IN_CUSTODY = "in_custody"


class AuditOperation(StrEnum):
    """The kinds of processing the Data Protection Act 2018 s.62 asks to be logged."""
    COLLECTION = "collection"
    ALTERATION = "alteration"
    CONSULTATION = "consultation"
    DISCLOSURE = "disclosure"
    COMBINATION = "combination"
    ERASURE = "erasure"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    PARTNER_OFFICER = "partner_officer"


_LABEL_OVERRIDES = {
    "cps": "CPS",
    "whole_system_drugs": "Whole-system drugs (e.g. Project ADDER)",
    "call_in": "Call-in",
    "no_show": "No-show",
    "in_custody": "In custody",
    "very_high": "Very high",
    "ref_accepted": "Referral accepted",
    "ref_declined": "Referral declined",
}


def label(value: StrEnum | str | None) -> str:
    """A human label for an enumeration value: 'drug_treatment' -> 'Drug treatment'."""
    if value is None:
        return ""
    text = str(value)
    if text in _LABEL_OVERRIDES:
        return _LABEL_OVERRIDES[text]
    return text.replace("_", " ").capitalize()
