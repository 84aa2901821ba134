"""The arithmetic of an evaluation, each rule against an answer worked out by hand.

No published before/after table was found quickly through the search tool (the Braga,
Weisburd and Turchan 2019 review reports effect sizes, not person-level counts that can
be re-entered), so the checks are hand-computed examples, with the working in each test.
The people are fictional; the dates are chosen to make the day counts easy to follow.
"""
from __future__ import annotations

from datetime import date

import pytest

from deterrence_desktop.domain.evaluation import (
    SUPPRESSED, EvaluationQuery, Inclusion, MeasureRow, Span, charge_delays, count_cell,
    deaths, measure_rows, monthly_series, observe, people_cell, rate_cell, suppressed_row,
    suppressed_values, tally, timeliness_by_month, windows,
)
from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.domain.outcomes import MEASURE_BY_KEY, MEASURES

FAR = date(2030, 1, 1)        # a cutoff that stops nobody


def row(rows, key):
    return next(r for r in rows if r.key == key)


# -- rates per person-year ----------------------------------------------------------------
def test_rates_per_person_year_two_people_included_the_same_day():
    """A and B are included on 1 Jan 2025 with 12-month windows.
    Before: 1 Jan 2024 to 31 Dec 2024 = 366 days each (2024 is a leap year): 732 days.
    After:  1 Jan 2025 to 31 Dec 2025 = 365 days each: 730 days.
    Arrests: A 3 before and 1 after, B 1 before. Rates: 4 / (732/365.25) = 1461/732 and
    1 / (730/365.25) = 365.25/730."""
    people = [Inclusion(1, date(2025, 1, 1)), Inclusion(2, date(2025, 1, 1))]
    events = [(1, "arrest", date(2024, 2, 10)), (1, "arrest", date(2024, 6, 1)),
              (1, "arrest", date(2024, 12, 31)), (1, "arrest", date(2025, 1, 1)),
              (2, "arrest", date(2024, 1, 1)),
              (2, "arrest", date(2023, 12, 31)),       # before the window: not counted
              (2, "arrest", date(2026, 1, 1))]         # after the window: not counted
    r = row(measure_rows(people, events, 12, FAR), "arrest")
    assert (r.people, r.before_people, r.after_people) == (2, 2, 2)
    assert (r.before_count, r.after_count) == (4, 1)
    assert (r.before_people_with, r.after_people_with) == (2, 1)
    assert r.before_person_years == pytest.approx(732 / 365.25)
    assert r.after_person_years == pytest.approx(730 / 365.25)
    assert r.before_rate == pytest.approx(1461 / 732)          # 1.9959 per person-year
    assert r.after_rate == pytest.approx(365.25 / 730)         # 0.5003 per person-year
    assert r.change == pytest.approx((365.25 / 730) / (1461 / 732) - 1)   # -74.9 %
    assert r.improved is True


def test_a_window_nobody_was_observed_in_has_no_rate():
    r = MeasureRow("arrest", "Arrest", True, 0, 0, 0, 0, 0.0, 0, 0, 0, 0.0)
    assert r.before_rate is None and r.after_rate is None and r.change is None


# -- windows around inclusion dates: people included on different days ----------------------
def test_people_included_on_different_days_have_their_own_windows():
    """Cutoff 26 Nov 2026 (the period's end), 12-month windows.
    A included 1 Mar 2026: before 1 Mar 2025 to 28 Feb 2026 = 365 days;
      after 1 Mar to 26 Nov 2026 = 31+30+31+30+31+31+30+31 (Mar..Oct) + 26 = 271 days.
    B included 1 Sep 2026: before 1 Sep 2025 to 31 Aug 2026 = 365 days;
      after 1 Sep to 26 Nov 2026 = 30 + 31 + 26 = 87 days.
    Both have a violence event on 1 May 2026: after inclusion for A, before it for B."""
    cutoff = date(2026, 11, 26)
    a, b = Inclusion(1, date(2026, 3, 1)), Inclusion(2, date(2026, 9, 1))
    assert windows(a, 12, cutoff) == (Span(date(2025, 3, 1), date(2026, 2, 28)),
                                      Span(date(2026, 3, 1), cutoff))
    assert windows(a, 12, cutoff)[1].days == 271
    assert windows(b, 12, cutoff)[0].days == 365
    assert windows(b, 12, cutoff)[1].days == 87
    events = [(1, "violence_suspect", date(2026, 5, 1)), (2, "violence_suspect", date(2026, 5, 1))]
    r = row(measure_rows([a, b], events, 12, cutoff), "violence_suspect")
    assert (r.before_count, r.after_count) == (1, 1)
    assert r.before_person_years == pytest.approx(730 / 365.25)
    assert r.after_person_years == pytest.approx(358 / 365.25)
    assert r.after_rate == pytest.approx(365.25 / 358)          # 1.0203 per person-year
    # The composite measure counts suspect and victim together.
    both = row(measure_rows([a, b], events + [(2, "violence_victim", date(2026, 10, 1))], 12,
                            cutoff), "serious_violence")
    assert (both.before_count, both.after_count) == (1, 2)


def test_a_short_window_and_month_ends():
    """3-month windows; included 31 May 2026: before starts 28 Feb 2026 (three months back,
    clamped to February's last day) and ends 30 May: 1 + 31 + 30 + 30 = 92 days; after runs
    31 May to 30 Aug (three months on is 31 Aug, less a day): 1 + 30 + 31 + 30 = 92 days."""
    b, a = windows(Inclusion(1, date(2026, 5, 31)), 3, FAR)
    assert (b.first, b.last, b.days) == (date(2026, 2, 28), date(2026, 5, 30), 92)
    assert (a.first, a.last, a.days) == (date(2026, 5, 31), date(2026, 8, 30), 92)


# -- people who died or left the cohort ------------------------------------------------------
def test_a_person_who_died_is_observed_up_to_the_day_of_death():
    """C included 10 Jan 2026 died 9 Apr 2026: after = 10 Jan to 9 Apr =
    22 (10..31 Jan) + 28 + 31 + 9 = 90 days, and the death itself is counted."""
    events = [(3, "death", date(2026, 4, 9)), (3, "arrest", date(2026, 2, 1))]
    died = deaths(events)
    assert died == {3: date(2026, 4, 9)}
    c = Inclusion(3, date(2026, 1, 10), died_on=died[3])
    assert windows(c, 12, FAR)[1].days == 90
    rows = measure_rows([c], events, 12, FAR)
    assert row(rows, "death").after_count == 1
    assert row(rows, "death").after_person_years == pytest.approx(90 / 365.25)
    assert row(rows, "arrest").after_count == 1


def test_a_person_who_left_the_cohort_stops_the_day_before_they_left():
    """D included 10 Jan 2026 left on 1 Feb 2026: after = 10 to 31 Jan = 22 days; an arrest
    on 1 Mar 2026 (after leaving) is not counted, one on 31 Jan is."""
    d = Inclusion(4, date(2026, 1, 10), left_on=date(2026, 2, 1))
    events = [(4, "arrest", date(2026, 1, 31)), (4, "arrest", date(2026, 3, 1))]
    r = row(measure_rows([d], events, 12, FAR), "arrest")
    assert r.after_person_years == pytest.approx(22 / 365.25)
    assert r.after_count == 1


def test_people_who_died_or_left_weigh_less_in_the_rate():
    """E (full year, 365 days after, 2 arrests), F (left after 73 days, 1 arrest), G (died
    on day 146, 0 arrests): 365 + 73 + 146 = 584 days after; rate = 3 / (584/365.25)."""
    inc = date(2025, 1, 1)
    people = [Inclusion(5, inc), Inclusion(6, inc, left_on=date(2025, 3, 15)),   # 31+28+14 = 73
              Inclusion(7, inc, died_on=date(2025, 5, 26))]                      # 31+28+31+30+26 = 146
    events = [(5, "arrest", date(2025, 3, 3)), (5, "arrest", date(2025, 9, 9)),
              (6, "arrest", date(2025, 2, 2))]
    r = row(measure_rows(people, events, 12, FAR), "arrest")
    assert r.after_person_years == pytest.approx(584 / 365.25)
    assert r.after_rate == pytest.approx(3 * 365.25 / 584)      # 1.8763 per person-year
    assert r.before_person_years == pytest.approx(3 * 366 / 365.25)   # 2024 was a leap year


def test_someone_with_no_time_observed_is_not_counted():
    """A death recorded a year before the inclusion date (a recording error): no time is
    observed in either window, so the person is not counted at all."""
    gone = Inclusion(8, date(2026, 1, 10), died_on=date(2025, 1, 9))
    assert windows(gone, 12, FAR) == (None, None)
    assert observe([gone], 12, FAR) == {}


# -- suppression of small numbers ---------------------------------------------------------------
def test_cells_about_one_to_four_people_read_less_than_five():
    assert [people_cell(n) for n in (0, 1, 4, 5, 12)] == ["0", SUPPRESSED, SUPPRESSED, "5", "12"]
    # 12 events, but about 3 people: suppressed; 12 events about 6 people of 40: shown.
    assert count_cell(12, 3, 40) == SUPPRESSED
    assert count_cell(12, 6, 40) == "12"
    assert count_cell(0, 0, 40) == "0"
    # Observed people under 5: every cell of the window is suppressed, even a zero count.
    assert count_cell(0, 0, 4) == SUPPRESSED
    assert rate_cell(0.5, 3, 40) == SUPPRESSED
    assert rate_cell(0.5, 6, 40) == "0.50"


def test_a_row_is_suppressed_cell_by_cell():
    """40 people observed, 20.0 person-years before (3 events about 3 people: "<5") and
    10.0 after (6 events about 5 people: shown, 0.60). The change is worked out from the
    hidden before rate, so it is hidden too."""
    r = MeasureRow("arrest", "Arrest", True, 40, 40, 3, 3, 20.0, 40, 6, 5, 10.0)
    assert suppressed_row(r) == ("Arrest", "40", SUPPRESSED, "20.0", SUPPRESSED, "6", "10.0",
                                 "0.60", SUPPRESSED)
    shown = MeasureRow("arrest", "Arrest", True, 40, 40, 12, 8, 20.0, 40, 6, 5, 10.0)
    # before 12/20 = 0.60, after 6/10 = 0.60: no change.
    assert suppressed_row(shown)[4:] == ("0.60", "6", "10.0", "0.60", "+0%")
    assert suppressed_values(shown)[8] == 0.0
    few = MeasureRow("arrest", "Arrest", True, 4, 4, 9, 4, 3.9, 3, 0, 0, 1.0)
    assert set(suppressed_row(few)[1:]) == {SUPPRESSED}


# -- days from arrest to charge ---------------------------------------------------------------
def test_days_from_arrest_to_charge_by_month():
    """Charges in March 2026: 3 days (its own arrest date), 10 days (paired with the same
    person's latest arrest before it: 5 Mar, not 1 Jan); in April: 30 days. A charge with no
    arrest within a year is left out. March: median (3 + 10) / 2 = 6.5, slowest 10."""
    rows = [
        (1, "charge", date(2026, 3, 4), date(2026, 3, 1)),
        (2, "arrest", date(2026, 1, 1), None), (2, "arrest", date(2026, 3, 5), None),
        (2, "charge", date(2026, 3, 15), None),
        (3, "arrest", date(2026, 3, 2), None), (3, "charge", date(2026, 4, 1), None),
        (4, "arrest", date(2024, 1, 1), None), (4, "charge", date(2026, 4, 2), None),
    ]
    assert charge_delays(rows) == [(date(2026, 3, 4), 3), (date(2026, 3, 15), 10),
                                   (date(2026, 4, 1), 30)]
    months = timeliness_by_month(charge_delays(rows))
    assert [(m.month, m.count, m.median_days, m.slowest_days) for m in months] == [
        (date(2026, 3, 1), 2, 6.5, 10), (date(2026, 4, 1), 1, 30, 30)]
    assert timeliness_by_month(charge_delays(rows), date_from=date(2026, 4, 1))[0].count == 1


# -- the monthly series ----------------------------------------------------------------------
def test_monthly_series_counts_events_and_inclusions():
    people = [Inclusion(1, date(2026, 2, 3)), Inclusion(2, date(2026, 2, 20)),
              Inclusion(3, date(2026, 4, 1))]
    events = [(1, "arrest", date(2026, 1, 31)), (1, "arrest", date(2026, 3, 1)),
              (2, "arrest", date(2026, 3, 9)), (9, "arrest", date(2026, 3, 9)),   # 9: not included
              (3, "treatment_entry", date(2026, 4, 30))]
    series = monthly_series(people, events, date(2026, 1, 15), date(2026, 4, 30))
    assert [p.month for p in series] == [date(2026, m, 1) for m in (1, 2, 3, 4)]
    assert [p.included for p in series] == [0, 2, 0, 1]
    assert [p.counts.get("arrest", 0) for p in series] == [1, 0, 2, 0]
    assert series[2].people_with["arrest"] == 2
    assert series[3].counts == {"treatment_entry": 1}


def test_tally_of_a_subset_is_the_subset_alone():
    people = [Inclusion(1, date(2025, 1, 1)), Inclusion(2, date(2025, 1, 1))]
    events = [(1, "arrest", date(2024, 5, 5)), (2, "arrest", date(2024, 5, 5))]
    observed = observe(people, 12, FAR)
    only_one = tally({1: observed[1]}, events, MEASURES)
    assert row(only_one, "arrest").before_count == 1
    assert row(only_one, "arrest").people == 1


def test_measures_and_query_rules():
    assert MEASURE_BY_KEY["serious_violence"].fewer_is_better
    assert not MEASURE_BY_KEY["treatment_entry"].fewer_is_better
    with pytest.raises(ValidationError) as err:
        EvaluationQuery(cohort_id=1, group_id=2, window_months=0,
                        date_from=date(2026, 2, 1), date_to=date(2026, 1, 1),
                        comparison_cohort_id=1).validate()
    assert set(err.value.errors) == {"group_id", "window_months", "date_to",
                                     "comparison_cohort_id"}
