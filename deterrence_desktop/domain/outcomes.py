"""Outcome events: what happened to a person, as a partner reported it.

An outcome is a dated fact about one person (an arrest, a charge and its CPS
decision, a treatment entry, a death and its cause...), with the partner that
reported it and the partner's own reference. Outcomes are what an evaluation
counts before and after each person's inclusion.

Annotations here are real types (no ``from __future__ import annotations``) so
that :mod:`deterrence_desktop.store.mapping` can read them by field name.
"""
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from . import clock
from .model import MAX_NOTE, MAX_TEXT, Record, _Rules

__all__ = [
    "OutcomeKind", "CpsDecision", "DeathCause", "OutcomeEvent", "Measure", "MEASURES",
    "MEASURE_BY_KEY", "TAKE_UP_KINDS", "outcome_label",
]


class OutcomeKind(StrEnum):
    ARREST = "arrest"
    CHARGE = "charge"
    CONVICTION = "conviction"
    OUT_OF_COURT_DISPOSAL = "out_of_court_disposal"
    BREACH_RECALL = "breach_recall"
    VIOLENCE_SUSPECT = "violence_suspect"
    VIOLENCE_VICTIM = "violence_victim"
    TREATMENT_ENTRY = "treatment_entry"
    TREATMENT_RETAINED_12W = "treatment_retained_12w"
    TREATMENT_EXIT = "treatment_exit"
    OST_STARTED = "ost_started"
    HOUSING_SECURED = "housing_secured"
    ETE_STARTED = "ete_started"
    NALOXONE_SUPPLIED = "naloxone_supplied"
    NONFATAL_OVERDOSE = "nonfatal_overdose"
    DEATH = "death"


class CpsDecision(StrEnum):
    CHARGE = "charge"
    NO_FURTHER_ACTION = "no_further_action"
    OUT_OF_COURT_DISPOSAL = "out_of_court_disposal"
    FURTHER_EVIDENCE_REQUIRED = "further_evidence_required"
    PENDING = "pending"


class DeathCause(StrEnum):
    DRUG_RELATED = "drug_related"
    VIOLENCE = "violence"
    NATURAL = "natural"
    OTHER = "other"
    UNKNOWN = "unknown"


_LABELS = {
    OutcomeKind.ARREST: "Arrest",
    OutcomeKind.CHARGE: "Charge",
    OutcomeKind.CONVICTION: "Conviction",
    OutcomeKind.OUT_OF_COURT_DISPOSAL: "Out-of-court disposal or diversion",
    OutcomeKind.BREACH_RECALL: "Breach or recall",
    OutcomeKind.VIOLENCE_SUSPECT: "Serious violence (suspect)",
    OutcomeKind.VIOLENCE_VICTIM: "Serious violence (victim)",
    OutcomeKind.TREATMENT_ENTRY: "Treatment entry",
    OutcomeKind.TREATMENT_RETAINED_12W: "Treatment retained at 12 weeks",
    OutcomeKind.TREATMENT_EXIT: "Treatment exit",
    OutcomeKind.OST_STARTED: "Opioid substitution started",
    OutcomeKind.HOUSING_SECURED: "Housing secured",
    OutcomeKind.ETE_STARTED: "Education, training or employment started",
    OutcomeKind.NALOXONE_SUPPLIED: "Naloxone supplied",
    OutcomeKind.NONFATAL_OVERDOSE: "Non-fatal overdose",
    OutcomeKind.DEATH: "Death",
    CpsDecision.NO_FURTHER_ACTION: "No further action",
    CpsDecision.FURTHER_EVIDENCE_REQUIRED: "Further evidence required",
    DeathCause.DRUG_RELATED: "Drug-related",
}
_TEXT = {str(k): v for k, v in _LABELS.items()}


def outcome_label(value: "StrEnum | str | None") -> str:
    """A person's label for an outcome kind, CPS decision or cause of death."""
    if value is None or value == "":
        return ""
    return _TEXT.get(str(value)) or str(value).replace("_", " ").capitalize()


# Outcomes that show a support offer was taken up (used by the engagement measures).
TAKE_UP_KINDS = frozenset({OutcomeKind.TREATMENT_ENTRY, OutcomeKind.OST_STARTED,
                           OutcomeKind.HOUSING_SECURED, OutcomeKind.ETE_STARTED})


@dataclass(frozen=True)
class Measure:
    """One line of the evaluation: the outcome kinds it counts, and whether fewer is
    better (offending, violence, overdose) or more is (treatment, housing, work)."""
    key: str
    label: str
    kinds: frozenset
    fewer_is_better: bool


def _m(kind: OutcomeKind, fewer_is_better: bool) -> Measure:
    return Measure(kind.value, _LABELS[kind], frozenset({kind}), fewer_is_better)


# The measures, in the order of the board paper: harm and offending first, then help.
MEASURES: tuple[Measure, ...] = (
    Measure("serious_violence", "Serious violence (suspect or victim)",
            frozenset({OutcomeKind.VIOLENCE_SUSPECT, OutcomeKind.VIOLENCE_VICTIM}), True),
    _m(OutcomeKind.VIOLENCE_SUSPECT, True),
    _m(OutcomeKind.VIOLENCE_VICTIM, True),
    _m(OutcomeKind.ARREST, True),
    _m(OutcomeKind.CHARGE, True),
    _m(OutcomeKind.CONVICTION, True),
    _m(OutcomeKind.OUT_OF_COURT_DISPOSAL, False),
    _m(OutcomeKind.BREACH_RECALL, True),
    _m(OutcomeKind.NONFATAL_OVERDOSE, True),
    _m(OutcomeKind.DEATH, True),
    _m(OutcomeKind.TREATMENT_ENTRY, False),
    _m(OutcomeKind.TREATMENT_RETAINED_12W, False),
    _m(OutcomeKind.TREATMENT_EXIT, True),
    _m(OutcomeKind.OST_STARTED, False),
    _m(OutcomeKind.HOUSING_SECURED, False),
    _m(OutcomeKind.ETE_STARTED, False),
    _m(OutcomeKind.NALOXONE_SUPPLIED, False),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}


@dataclass
class OutcomeEvent(Record):
    """One outcome for one person, as a partner reported it."""
    person_id: int
    kind: OutcomeKind
    occurred_on: date
    partner_id: int | None = None
    source_reference: str = ""                 # the partner's own reference (crime number...)
    cps_decision: CpsDecision | None = None     # a charge: the CPS decision
    arrested_on: date | None = None            # a charge: when the arrest was (days to charge)
    disposal: str = ""                          # a conviction or out-of-court disposal: what
    incident_id: int | None = None              # serious violence: the incident, where one exists
    death_cause: DeathCause | None = None       # a death: its cause category
    notes: str = ""
    id: int | None = None
    version: int | None = None

    @property
    def days_to_charge(self) -> int | None:
        """For a charge with its arrest date: the days from arrest to charge."""
        if self.kind != OutcomeKind.CHARGE or self.arrested_on is None or self.occurred_on is None:
            return None
        return (self.occurred_on - self.arrested_on).days

    def validate(self, today: date | None = None) -> None:
        """``today`` is the services' clock; without it, the process clock's."""
        r = _Rules()
        r.required("person_id", self.person_id)
        r.enum("kind", self.kind, OutcomeKind)
        r.required("occurred_on", self.occurred_on)
        r.enum("cps_decision", self.cps_decision, CpsDecision, optional=True)
        r.enum("death_cause", self.death_cause, DeathCause, optional=True)
        today = today if today is not None else clock.today()
        for name in ("occurred_on", "arrested_on"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                r.fail(name, "must be a date")
            elif value is not None and value > today:
                r.fail(name, "must not be in the future")
            elif value is not None and value.year < 1990:
                r.fail(name, "must be after 1990")
        kind = str(self.kind)
        if kind == OutcomeKind.CHARGE and self.cps_decision is None:
            r.fail("cps_decision", "give the CPS decision for a charge")
        if kind != OutcomeKind.CHARGE:
            if self.cps_decision is not None:
                r.fail("cps_decision", "only a charge has a CPS decision")
            if self.arrested_on is not None:
                r.fail("arrested_on", "only a charge has an arrest date")
        if kind == OutcomeKind.DEATH and self.death_cause is None:
            r.fail("death_cause", "give the cause category of a death")
        if kind != OutcomeKind.DEATH and self.death_cause is not None:
            r.fail("death_cause", "only a death has a cause")
        if self.disposal and kind not in (OutcomeKind.CONVICTION, OutcomeKind.OUT_OF_COURT_DISPOSAL):
            r.fail("disposal", "only a conviction or an out-of-court disposal has a disposal")
        if isinstance(self.occurred_on, date) and isinstance(self.arrested_on, date):
            r.order("arrested_on", self.arrested_on, "occurred_on", self.occurred_on)
        r.length("source_reference", self.source_reference, MAX_TEXT)
        r.length("disposal", self.disposal, MAX_TEXT)
        r.length("notes", self.notes, MAX_NOTE)
        r.raise_if_any()
