"""The arithmetic of an evaluation: windows around each person's inclusion, person-years,
rates, monthly series, days from arrest to charge, and the suppression of small numbers.

Everything here is a pure function of plain values (no SQL, no Qt), so each rule has a
test with a hand-computed answer (tests/unit/test_evaluation_math.py).

The rules, as the method note of the board report states them:

* A person's **inclusion date** is the day they joined the cohort (a group: the day their
  membership began; everyone: their first cohort). People are included on different days,
  so each person has their own windows.
* The **before window** is the ``W`` months up to the day before inclusion; the **after
  window** starts on the inclusion day and runs ``W`` months. The after window stops early
  on the day a person died (that day counts), on the day before they left the cohort, and
  on the last day of the period (never later than today): a person included a month ago
  contributes a month of time after, not a year.
* **Person-years** are the days observed divided by 365.25. A **rate** is events per
  person-year observed; a window nobody was observed in has no rate.
* A cell that counts **fewer than 5 people** (1 to 4) is shown as "<5", and so is every
  count or rate about those people, because aggregate reports leave the partnership.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .dates import add_months
from .errors import ValidationError
from .outcomes import MEASURE_BY_KEY, MEASURES, Measure, OutcomeKind

DAYS_PER_YEAR = 365.25
SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
ONE_DAY = timedelta(days=1)


# -- the question ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationQuery:
    """Whom to evaluate (a cohort, a group, or everyone in any cohort), with what window,
    over which period, and optionally beside which comparison cohort."""
    cohort_id: int | None = None
    group_id: int | None = None
    window_months: int = 12
    date_from: date | None = None     # people included on or after this day
    date_to: date | None = None       # people included up to this day; time stops here
    comparison_cohort_id: int | None = None

    def validate(self) -> None:
        errors = {}
        if self.cohort_id is not None and self.group_id is not None:
            errors["group_id"] = "choose a cohort or a group, not both"
        if not 1 <= int(self.window_months) <= 60:
            errors["window_months"] = "must be between 1 and 60 months"
        if self.date_from and self.date_to and self.date_to < self.date_from:
            errors["date_to"] = "must not be before the start of the period"
        if self.comparison_cohort_id is not None and \
                self.comparison_cohort_id == self.cohort_id:
            errors["comparison_cohort_id"] = "choose a different cohort to compare with"
        if errors:
            raise ValidationError(errors)


# -- windows and person-time ---------------------------------------------------------------
@dataclass(frozen=True)
class Inclusion:
    """One person's time in the evaluation."""
    person_id: int
    included_on: date
    left_on: date | None = None       # left the cohort: not observed from this day
    died_on: date | None = None       # observed up to and including this day


@dataclass(frozen=True)
class Span:
    """Days ``first`` to ``last``, both included."""
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def person_years(self) -> float:
        return self.days / DAYS_PER_YEAR

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


def _end_of_observation(inc: Inclusion, cutoff: date) -> date:
    """The last day a person is observed at all."""
    last = cutoff
    if inc.died_on is not None:
        last = min(last, inc.died_on)
    if inc.left_on is not None:
        last = min(last, inc.left_on - ONE_DAY)
    return last


def windows(inc: Inclusion, months: int, cutoff: date) -> tuple[Span | None, Span | None]:
    """The person's before and after windows (None where they were not observed)."""
    d = inc.included_on
    observed_to = _end_of_observation(inc, cutoff)
    before = Span(add_months(d, -months), min(d - ONE_DAY, observed_to))
    after = Span(d, min(add_months(d, months) - ONE_DAY, observed_to))
    return (before if before.days > 0 else None), (after if after.days > 0 else None)


def person_years(days: int) -> float:
    return days / DAYS_PER_YEAR


def rate(count: int, years: float) -> float | None:
    """Events per person-year; None when no time was observed."""
    return count / years if years > 0 else None


# -- measures -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeasureRow:
    """One measure before and after inclusion. ``*_people_with`` counts the people with at
    least one such event (what suppression looks at); ``people`` those observed at all."""
    key: str
    label: str
    fewer_is_better: bool
    people: int
    before_people: int
    before_count: int
    before_people_with: int
    before_person_years: float
    after_people: int
    after_count: int
    after_people_with: int
    after_person_years: float

    @property
    def before_rate(self) -> float | None:
        return rate(self.before_count, self.before_person_years)

    @property
    def after_rate(self) -> float | None:
        return rate(self.after_count, self.after_person_years)

    @property
    def change(self) -> float | None:
        """The after rate as a proportional change from the before rate (-0.25: a quarter
        fewer per person-year); None when there is no before rate to compare."""
        b, a = self.before_rate, self.after_rate
        if b is None or a is None or b == 0:
            return None
        return a / b - 1

    @property
    def improved(self) -> bool | None:
        b, a = self.before_rate, self.after_rate
        if b is None or a is None or a == b:
            return None
        return (a < b) == self.fewer_is_better


EventTuple = tuple  # (person_id, kind: str, occurred_on: date)


def observe(inclusions: Iterable[Inclusion], months: int, cutoff: date
            ) -> dict[int, tuple[Span | None, Span | None]]:
    """Each person's windows, by person id. A person with no time observed is left out."""
    out = {}
    for inc in inclusions:
        b, a = windows(inc, months, cutoff)
        if b is not None or a is not None:
            out[inc.person_id] = (b, a)
    return out


def measure_rows(inclusions: Iterable[Inclusion], events: Iterable[EventTuple], months: int,
                 cutoff: date, measures: tuple[Measure, ...] = MEASURES) -> list[MeasureRow]:
    """Counts, person-years and people for each measure, before and after inclusion."""
    observed = observe(inclusions, months, cutoff)
    return tally(observed, events, measures)


Observed = dict[int, tuple[Span | None, Span | None]]
PersonCounts = dict[int, tuple[dict[str, int], dict[str, int]]]


def person_counts(observed: Observed, events: Iterable[EventTuple]) -> PersonCounts:
    """For each person observed: their events by kind in the before window and in the
    after window. One pass over the events; every table is then made from these."""
    out: PersonCounts = {}
    for person_id, kind, day in events:
        spans = observed.get(person_id)
        if spans is None:
            continue
        b, a = spans
        if b is not None and b.first <= day <= b.last:
            which = 0
        elif a is not None and a.first <= day <= a.last:
            which = 1
        else:
            continue
        counts = out.get(person_id)
        if counts is None:
            counts = out[person_id] = ({}, {})
        side = counts[which]
        side[kind] = side.get(kind, 0) + 1
    return out


def rows_from_counts(observed: Observed, counts: PersonCounts, people: Iterable[int] | None = None,
                     measures: tuple[Measure, ...] = MEASURES) -> list[MeasureRow]:
    """The measure rows for ``people`` (default: everyone observed) from their counts."""
    ids = observed.keys() if people is None else [p for p in people if p in observed]
    before_days = after_days = before_people = after_people = n_people = 0
    n = len(measures)
    measures_of: dict[str, tuple[int, ...]] = defaultdict(tuple)
    for i, m in enumerate(measures):
        for k in m.kinds:
            measures_of[str(k)] += (i,)
    b_count, a_count, b_with, a_with = [0] * n, [0] * n, [0] * n, [0] * n
    for pid in ids:
        b, a = observed[pid]
        n_people += 1
        if b is not None:
            before_days += b.days
            before_people += 1
        if a is not None:
            after_days += a.days
            after_people += 1
        mine = counts.get(pid)
        if mine is None:
            continue
        for side, count, with_ in ((mine[0], b_count, b_with), (mine[1], a_count, a_with)):
            touched: set[int] = set()
            for kind, c in side.items():
                for i in measures_of.get(kind, ()):
                    count[i] += c
                    touched.add(i)
            for i in touched:
                with_[i] += 1
    return [MeasureRow(m.key, m.label, m.fewer_is_better, n_people,
                       before_people, b_count[i], b_with[i], person_years(before_days),
                       after_people, a_count[i], a_with[i], person_years(after_days))
            for i, m in enumerate(measures)]


def tally(observed: Observed, events: Iterable[EventTuple],
          measures: tuple[Measure, ...] = MEASURES) -> list[MeasureRow]:
    """Counts, person-years and people for each measure over everyone ``observed``."""
    return rows_from_counts(observed, person_counts(observed, events), None, measures)


def deaths(events: Iterable[EventTuple]) -> dict[int, date]:
    """Each person's (first) recorded death date."""
    out: dict[int, date] = {}
    death = OutcomeKind.DEATH.value
    for person_id, kind, day in events:
        if kind == death and (person_id not in out or day < out[person_id]):
            out[person_id] = day
    return out


# -- suppression ------------------------------------------------------------------------------
def is_small(people: int) -> bool:
    """1 to 4 people: too few to show outside the partnership (0 is shown)."""
    return 0 < people < SUPPRESS_BELOW


def people_cell(people: int) -> str:
    return SUPPRESSED if is_small(people) else str(people)


def count_cell(count: int, people_with: int, people_observed: int) -> str:
    """An event count, suppressed when it is about 1 to 4 people or fewer than 5 were
    observed in the window at all."""
    if is_small(people_with) or is_small(people_observed):
        return SUPPRESSED
    return str(count)


def rate_cell(value: float | None, people_with: int, people_observed: int,
              digits: int = 2) -> str:
    if is_small(people_with) or is_small(people_observed):
        return SUPPRESSED
    return "–" if value is None else f"{value:.{digits}f}"


TABLE_HEADER = ("Measure", "People observed", "Before: events", "Before: person-years",
                "Before: rate per person-year", "After: events", "After: person-years",
                "After: rate per person-year", "Change in rate")


def suppressed_values(row: MeasureRow) -> tuple:
    """The row's cells as values (int, float, None where there is nothing to show) with
    every cell about 1 to 4 people replaced by "<5"; person-years are suppressed with the
    people they are about, and a rate or change with the count it comes from."""
    small_b, small_a = is_small(row.before_people), is_small(row.after_people)
    b_hidden = small_b or is_small(row.before_people_with)
    a_hidden = small_a or is_small(row.after_people_with)

    def num(value: float | None, digits: int):
        return None if value is None else round(value, digits)
    return (
        row.label,
        SUPPRESSED if is_small(row.people) else row.people,
        SUPPRESSED if b_hidden else row.before_count,
        SUPPRESSED if small_b else num(row.before_person_years, 1),
        SUPPRESSED if b_hidden else num(row.before_rate, 2),
        SUPPRESSED if a_hidden else row.after_count,
        SUPPRESSED if small_a else num(row.after_person_years, 1),
        SUPPRESSED if a_hidden else num(row.after_rate, 2),
        SUPPRESSED if (b_hidden or a_hidden) else num(row.change, 3),
    )


def suppressed_row(row: MeasureRow) -> tuple[str, ...]:
    """The row as the report shows it: :func:`suppressed_values` as text."""
    out = [row.label]
    for i, v in enumerate(suppressed_values(row)[1:], 1):
        if v == SUPPRESSED:
            out.append(v)
        elif v is None:
            out.append("–")
        elif i == 8:
            out.append(f"{v:+.0%}")
        elif i in (3, 6):
            out.append(f"{v:.1f}")
        elif i in (4, 7):
            out.append(f"{v:.2f}")
        else:
            out.append(str(v))
    return tuple(out)


# -- medians and the days from arrest to charge ---------------------------------------------
def median(values: list[float] | list[int]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class MonthTimeliness:
    """Charges in one month: how many, and the median and slowest days from arrest."""
    month: date          # the first of the month
    count: int
    median_days: float | None
    slowest_days: int | None


def charge_delays(rows: Iterable[tuple]) -> list[tuple[date, int]]:
    """(charge day, days from arrest) for each charge, from (person_id, kind, occurred_on,
    arrested_on) rows of arrests and charges. A charge without an arrest date is paired
    with the same person's latest arrest on or before it, within 365 days; a charge with
    no arrest to pair is left out."""
    arrests: dict[int, list[date]] = defaultdict(list)
    charges = []
    for person_id, kind, day, arrested_on in rows:
        if kind == OutcomeKind.ARREST.value:
            arrests[person_id].append(day)
        elif kind == OutcomeKind.CHARGE.value:
            charges.append((person_id, day, arrested_on))
    for days in arrests.values():
        days.sort()
    out = []
    for person_id, day, arrested_on in charges:
        if arrested_on is None:
            earlier = [a for a in arrests.get(person_id, ()) if a <= day
                       and (day - a).days <= 365]
            if not earlier:
                continue
            arrested_on = earlier[-1]
        out.append((day, (day - arrested_on).days))
    out.sort()
    return out


def month_start(day: date) -> date:
    return day.replace(day=1)


def timeliness_by_month(delays: list[tuple[date, int]], date_from: date | None = None,
                        date_to: date | None = None) -> list[MonthTimeliness]:
    by_month: dict[date, list[int]] = defaultdict(list)
    for day, days in delays:
        if (date_from is None or day >= date_from) and (date_to is None or day <= date_to):
            by_month[month_start(day)].append(days)
    return [MonthTimeliness(m, len(v), median(v), max(v)) for m, v in sorted(by_month.items())]


# -- monthly series ---------------------------------------------------------------------------
# The measures followed month by month (the chart's lines): harm, offending, help.
MONTHLY_KEYS = ("serious_violence", "arrest", "nonfatal_overdose", "treatment_entry")
MONTHLY_MEASURES = tuple(MEASURE_BY_KEY[k] for k in MONTHLY_KEYS)

@dataclass(frozen=True)
class MonthPoint:
    month: date                       # the first of the month
    counts: dict[str, int]            # measure key -> events that month
    included: int                     # people included that month
    people_with: dict[str, int] = field(default_factory=dict)   # measure key -> people


def months_between(first: date, last: date) -> list[date]:
    out, m = [], month_start(first)
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


def monthly_series(inclusions: Iterable[Inclusion], events: Iterable[EventTuple], first: date,
                   last: date, measures: tuple[Measure, ...] = MEASURES) -> list[MonthPoint]:
    """Events of the included people per month from ``first`` to ``last``, by measure, with
    how many people were included each month (the chart marks those dates)."""
    months = months_between(first, last)
    index = {m: i for i, m in enumerate(months)}
    people = set()
    included = [0] * len(months)
    for inc in inclusions:
        people.add(inc.person_id)
        i = index.get(month_start(inc.included_on))
        if i is not None:
            included[i] += 1
    keys_of_kind: dict[str, list[str]] = defaultdict(list)
    for m in measures:
        for k in m.kinds:
            keys_of_kind[str(k)].append(m.key)
    counts = [defaultdict(int) for _ in months]
    withs: list[dict[str, set]] = [defaultdict(set) for _ in months]
    month_of: dict[date, int | None] = {}          # a day's month, worked out once per day
    for person_id, kind, day in events:
        keys = keys_of_kind.get(kind)
        if keys is None or person_id not in people:
            continue
        i = month_of.get(day, -1)
        if i == -1:
            i = month_of[day] = index.get(month_start(day)) if first <= day <= last else None
        if i is None:
            continue
        for key in keys:
            counts[i][key] += 1
            withs[i][key].add(person_id)
    return [MonthPoint(m, dict(counts[i]), included[i], {k: len(v) for k, v in withs[i].items()})
            for i, m in enumerate(months)]


# -- the other parts of the answer ------------------------------------------------------------
@dataclass(frozen=True)
class Engagement:
    """How far the message and the offers reached the people evaluated (people counts)."""
    people: int
    invited: int                      # invited to a call-in
    attended: int                     # attended (or came late)
    no_show: int                      # invited, never attended
    reached: int                      # given the deterrence message by any channel
    offers_made: int                  # offered support
    offers_taken_up: int              # took support up (a support action done, or treatment,
                                      # housing, work or opioid substitution begun)
    median_days_to_support: float | None   # call-in -> first support contact after it
    days_to_support_people: int

    @property
    def attendance(self) -> float | None:
        return self.attended / self.invited if self.invited else None

    @property
    def share_reached(self) -> float | None:
        return self.reached / self.people if self.people else None

    @property
    def take_up(self) -> float | None:
        return self.offers_taken_up / self.offers_made if self.offers_made else None


@dataclass(frozen=True)
class PartnerDelivery:
    partner_id: int
    name: str
    done: int
    done_on_time: int
    open: int
    overdue: int
    flagged: bool                     # overloaded, as the board flags it


@dataclass(frozen=True)
class Evaluation:
    """The whole answer to an :class:`EvaluationQuery`."""
    query: EvaluationQuery
    scope: str                        # "Cohort: Northside call-in", "Everyone in a cohort"
    period_from: date | None          # the earliest inclusion counted
    period_to: date                   # time stops here (the period's end, never after today)
    computed_on: date
    people: int                       # people observed
    without_date: int                 # people in the selection with no inclusion date
    measures: tuple[MeasureRow, ...]
    engagement: Engagement
    delivery: tuple[PartnerDelivery, ...]
    charging: tuple[MonthTimeliness, ...]
    attended: tuple[MeasureRow, ...]
    no_show: tuple[MeasureRow, ...]
    monthly: tuple[MonthPoint, ...]
    inclusion_dates: tuple[date, ...]
    comparison_scope: str = ""
    comparison: tuple[MeasureRow, ...] | None = None
    comparison_people: int = 0
    charge_median_days: float | None = None   # arrest -> charge, over the whole period
    computed_at: datetime | None = None

    @property
    def attended_vs_no_show(self) -> tuple[tuple[MeasureRow, ...], tuple[MeasureRow, ...]]:
        return self.attended, self.no_show

    def measure(self, key: str) -> MeasureRow:
        return next(m for m in self.measures if m.key == key)

    @property
    def charges(self) -> int:
        return sum(m.count for m in self.charging)
