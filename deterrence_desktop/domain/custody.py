"""Custody, release and continuity of care: the records and the date rules.

A custody episode is one spell in prison (on remand or sentenced); its expected release
date may change many times (remand releases come at short notice), and every change is
kept with the day it was learned. A continuity template is a set of steps with offsets
relative to the release day; applying it to a release makes a continuity plan of actions.

The date rules here are pure: they take the set of closed days (bank holidays of the
partnership's nation and the local closures) and never read a clock.

No ``from __future__ import annotations`` here: ``store.mapping`` reads the field types
of these records at run time, so the annotations must be real objects.
"""
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from .enums import ActionKind, LegalStatus, PartnerType
from .model import MAX_NOTE, MAX_TEXT, Record, _Rules

__all__ = [
    "CustodyKind", "SentenceBand", "Shift", "CustodyEpisode", "ReleaseDateChange",
    "LocalClosure", "ContinuityTemplate", "TemplateStep", "ContinuityPlan", "PlanAction",
    "ReleaseFlags", "is_working_day", "shift_off_closed", "due_date_for", "flags_for",
    "legal_status_for", "LONG_SENTENCE_BANDS", "PRISON_NUMBER_MAX",
]

PRISON_NUMBER_MAX = 20


class CustodyKind(StrEnum):
    REMAND = "remand"
    SENTENCED = "sentenced"


class SentenceBand(StrEnum):
    UNDER_12_MONTHS = "under_12_months"
    MONTHS_12_TO_4_YEARS = "12_months_to_4_years"
    YEARS_4_OR_MORE = "4_years_or_more"
    NOT_KNOWN = "not_known"


LONG_SENTENCE_BANDS = frozenset({SentenceBand.MONTHS_12_TO_4_YEARS, SentenceBand.YEARS_4_OR_MORE})


class Shift(StrEnum):
    """Which way a due date moves off a weekend, a bank holiday or a local closure."""
    EARLIER = "earlier"
    LATER = "later"


@dataclass
class CustodyEpisode(Record):
    """One spell in custody. ``establishment_id`` is a partner of type prison."""
    person_id: int
    kind: CustodyKind
    started_on: date
    establishment_id: int | None = None
    prison_number: str = ""
    expected_release: date | None = None
    actual_release: date | None = None
    sentence_band: SentenceBand = SentenceBand.NOT_KNOWN
    id: int | None = None
    version: int | None = None

    @property
    def is_current(self) -> bool:
        return self.actual_release is None

    @property
    def release_date(self) -> date | None:
        """The release that happened, else the one expected."""
        return self.actual_release or self.expected_release

    def validate(self) -> None:
        r = _Rules()
        r.required("person_id", self.person_id)
        r.enum("kind", self.kind, CustodyKind)
        r.enum("sentence_band", self.sentence_band, SentenceBand)
        r.required("started_on", self.started_on)
        r.order("started_on", self.started_on, "expected_release", self.expected_release)
        r.order("started_on", self.started_on, "actual_release", self.actual_release)
        r.length("prison_number", self.prison_number, PRISON_NUMBER_MAX)
        if self.kind == CustodyKind.SENTENCED and self.expected_release is None \
                and self.actual_release is None:
            r.fail("expected_release", "give the expected release date of a sentence")
        r.raise_if_any()


@dataclass
class ReleaseDateChange(Record):
    """A change of expected release date, kept with the day it was learned."""
    episode_id: int
    expected_release: date | None
    learned_on: date
    previous: date | None = None
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("learned_on", self.learned_on)
        r.raise_if_any()


@dataclass
class LocalClosure(Record):
    """A day local services are closed beyond the bank holidays (e.g. a council closure day)."""
    on: date
    description: str
    id: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("on", self.on)
        r.required("description", self.description)
        r.length("description", self.description)
        r.raise_if_any()


@dataclass
class ContinuityTemplate(Record):
    name: str
    description: str = ""
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("name", self.name)
        r.length("name", self.name)
        r.length("description", self.description, MAX_NOTE)
        r.raise_if_any()


@dataclass
class TemplateStep(Record):
    """One action of a continuity template: who does what, ``offset_days`` from the
    release day (negative: before it), moved off closed days in the ``shift`` direction."""
    template_id: int
    title: str
    partner_type: PartnerType
    kind: ActionKind = ActionKind.SUPPORT
    offset_days: int = 0
    shift: Shift = Shift.EARLIER
    description: str = ""
    intervention_id: int | None = None
    position: int = 0
    id: int | None = None
    version: int | None = None

    def validate(self) -> None:
        r = _Rules()
        r.required("title", self.title)
        r.length("title", self.title, MAX_TEXT)
        r.length("description", self.description, MAX_NOTE)
        r.enum("partner_type", self.partner_type, PartnerType)
        r.enum("kind", self.kind, ActionKind)
        r.enum("shift", self.shift, Shift)
        try:
            offset = int(self.offset_days)
        except (TypeError, ValueError):
            r.fail("offset_days", "must be a whole number of days")
        else:
            if not -365 <= offset <= 365:
                r.fail("offset_days", "must be within a year of the release day")
        r.raise_if_any()


@dataclass
class ContinuityPlan(Record):
    """A template applied to one custody episode's release."""
    episode_id: int
    template_id: int | None
    applied_on: date
    id: int | None = None


@dataclass
class PlanAction(Record):
    """An action of a continuity plan, and the step it came from."""
    plan_id: int
    action_id: int
    step_id: int | None = None
    offset_days: int = 0
    shift: Shift = Shift.EARLIER
    id: int | None = None


# ----------------------------------------------------------------------- date rules

def is_working_day(day: date, closed: Collection[date] = ()) -> bool:
    """Monday to Friday, and not a bank holiday or a local closure."""
    return day.weekday() < 5 and day not in closed


def shift_off_closed(day: date, shift: Shift | str, closed: Collection[date] = ()) -> date:
    """``day`` itself when services are open, else the nearest open day in ``shift``'s
    direction (a Saturday moves to Friday earlier, to Monday later, or further past a
    bank holiday)."""
    step = timedelta(days=-1 if Shift(shift) == Shift.EARLIER else 1)
    for _ in range(366):
        if is_working_day(day, closed):
            return day
        day += step
    raise ValueError("no open day within a year")       # pragma: no cover - a closed year


def due_date_for(release: date, offset_days: int, shift: Shift | str,
                 closed: Collection[date] = ()) -> date:
    """A template step's due date for a release on ``release``."""
    return shift_off_closed(release + timedelta(days=int(offset_days)), shift, closed)


@dataclass(frozen=True)
class ReleaseFlags:
    friday: bool = False                # services close for the weekend
    before_bank_holiday: bool = False   # the next days services are closed include a bank
                                        # holiday or local closure (e.g. the Friday before a
                                        # bank-holiday Monday, 24 December)
    long_sentence: bool = False         # 12 months or more
    remand_no_date: bool = False

    @property
    def any(self) -> bool:
        return self.friday or self.before_bank_holiday or self.long_sentence or self.remand_no_date

    def labels(self) -> tuple[str, ...]:
        out = []
        if self.friday:
            out.append("Friday")
        if self.before_bank_holiday:
            out.append("Before bank holiday")
        if self.long_sentence:
            out.append("Long sentence")
        if self.remand_no_date:
            out.append("Remand, no date")
        return tuple(out)

    def __str__(self) -> str:
        return ", ".join(self.labels())


def flags_for(release: date | None, kind: CustodyKind | str,
              band: SentenceBand | str = SentenceBand.NOT_KNOWN,
              closed: Collection[date] = ()) -> ReleaseFlags:
    """The planner's flags for a release on ``release`` (None: not known)."""
    long_sentence = SentenceBand(band) in LONG_SENTENCE_BANDS
    if release is None:
        return ReleaseFlags(long_sentence=long_sentence,
                            remand_no_date=CustodyKind(kind) == CustodyKind.REMAND)
    before_holiday = False
    day = release + timedelta(days=1)
    for _ in range(14):
        if is_working_day(day, closed):
            break
        if day in closed:
            before_holiday = True
            break
        day += timedelta(days=1)
    return ReleaseFlags(friday=release.weekday() == 4, before_bank_holiday=before_holiday,
                        long_sentence=long_sentence)


def legal_status_for(kind: CustodyKind | str) -> LegalStatus:
    """The person's legal status while an episode of ``kind`` is current."""
    return LegalStatus.REMAND if CustodyKind(kind) == CustodyKind.REMAND else LegalStatus.CUSTODY
