"""The date rules of release planning, each answer checked by hand against a calendar and
the UK government's published bank holidays (gov.uk/bank-holidays) for 2026 and 2027."""
from __future__ import annotations

from datetime import date

import pytest

from deterrence_desktop.domain.custody import (
    CustodyKind, SentenceBand, Shift, due_date_for, flags_for, is_working_day, shift_off_closed,
)
from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.services.release_planner import bank_holidays

ENGLAND = bank_holidays("england", (2026, 2027))
SCOTLAND = bank_holidays("scotland", (2026, 2027))
NORTHERN_IRELAND = bank_holidays("northern_ireland", (2026, 2027))
D = date


def weekdays(days):
    return {d for d in days if d.weekday() < 5}


# -- the calendars ------------------------------------------------------------------------

def test_bank_holidays_of_england_and_wales_2026_and_2027():
    assert weekdays(d for d in ENGLAND if d.year == 2026) == {
        D(2026, 1, 1), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4), D(2026, 5, 25),
        D(2026, 8, 31), D(2026, 12, 25), D(2026, 12, 28)}      # Boxing Day (Sat) -> Mon 28
    assert weekdays(d for d in ENGLAND if d.year == 2027) == {
        D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29), D(2027, 5, 3), D(2027, 5, 31),
        D(2027, 8, 30), D(2027, 12, 27), D(2027, 12, 28)}      # Christmas Sat, Boxing Day Sun
    assert bank_holidays("wales", (2026, 2027)) == ENGLAND


def test_scotland_and_northern_ireland_differ_where_they_should():
    # Scotland: 2 January, first Monday of August, St Andrew's Day; no Easter Monday.
    assert {D(2026, 1, 2), D(2026, 8, 3), D(2026, 11, 30), D(2027, 1, 4), D(2027, 8, 2),
            D(2027, 11, 30)} <= SCOTLAND
    assert not {D(2026, 4, 6), D(2026, 8, 31), D(2027, 3, 29), D(2027, 8, 30)} & SCOTLAND
    # Northern Ireland: St Patrick's Day, the Twelfth (Sunday in 2026 -> Monday 13 July).
    assert {D(2026, 3, 17), D(2026, 7, 13), D(2027, 3, 17), D(2027, 7, 12)} <= NORTHERN_IRELAND
    with pytest.raises(ValidationError):
        bank_holidays("cornwall", (2026,))


def test_working_days():
    assert is_working_day(D(2026, 11, 26), ENGLAND)               # a Thursday
    assert not is_working_day(D(2026, 11, 28), ENGLAND)           # Saturday
    assert not is_working_day(D(2026, 12, 28), ENGLAND)           # Boxing Day substitute
    assert is_working_day(D(2026, 11, 30), ENGLAND)
    assert not is_working_day(D(2026, 11, 30), SCOTLAND)          # St Andrew's Day


# -- flags ---------------------------------------------------------------------------------

@pytest.mark.parametrize("release, friday, before_holiday", [
    (D(2026, 12, 4), True, False),      # an ordinary Friday
    (D(2026, 8, 28), True, True),       # Friday before the late summer bank holiday (Mon 31 Aug)
    (D(2026, 5, 22), True, True),       # Friday before the spring bank holiday (Mon 25 May)
    (D(2026, 5, 29), True, False),
    (D(2026, 4, 2), False, True),       # Thursday before Good Friday
    (D(2026, 12, 24), False, True),     # Christmas Eve, a Thursday
    (D(2026, 12, 23), False, False),
    (D(2026, 12, 31), False, True),     # New Year's Day 2027 is a Friday
    (D(2027, 12, 24), True, True),      # Friday; Christmas on Saturday, Mon 27 and Tue 28 off
    (D(2027, 3, 25), False, True),      # Thursday before Good Friday 2027
    (D(2027, 8, 27), True, True),       # Friday before Mon 30 Aug 2027
    (D(2027, 5, 5), False, False),      # a Wednesday
])
def test_friday_and_bank_holiday_flags_in_england(release, friday, before_holiday):
    flags = flags_for(release, CustodyKind.SENTENCED, SentenceBand.UNDER_12_MONTHS, ENGLAND)
    assert (flags.friday, flags.before_bank_holiday) == (friday, before_holiday)
    assert not flags.long_sentence and not flags.remand_no_date


def test_flags_follow_the_nation_and_local_closures():
    # 28 Aug 2026 is an ordinary Friday in Scotland (its summer holiday was 3 August)...
    assert not flags_for(D(2026, 8, 28), "sentenced", "not_known", SCOTLAND).before_bank_holiday
    # ...but Friday 27 Nov 2026 comes before St Andrew's Day (Monday 30 Nov) there.
    assert flags_for(D(2026, 11, 27), "sentenced", "not_known", SCOTLAND).before_bank_holiday
    assert not flags_for(D(2026, 11, 27), "sentenced", "not_known", ENGLAND).before_bank_holiday
    # A local closure on Wednesday 16 Dec 2026 flags a release on Tuesday 15 Dec.
    with_closure = ENGLAND | {D(2026, 12, 16)}
    assert flags_for(D(2026, 12, 15), "sentenced", "not_known", with_closure).before_bank_holiday
    assert not flags_for(D(2026, 12, 15), "sentenced", "not_known", ENGLAND).before_bank_holiday


def test_long_sentence_and_remand_with_no_date():
    assert flags_for(D(2026, 12, 9), "sentenced", "12_months_to_4_years", ENGLAND).long_sentence
    assert flags_for(D(2026, 12, 9), "sentenced", "4_years_or_more", ENGLAND).long_sentence
    assert not flags_for(D(2026, 12, 9), "sentenced", "under_12_months", ENGLAND).long_sentence
    assert not flags_for(D(2026, 12, 9), "sentenced", "not_known", ENGLAND).any
    remand = flags_for(None, CustodyKind.REMAND, SentenceBand.NOT_KNOWN, ENGLAND)
    assert remand.remand_no_date and not remand.friday and remand.labels() == ("Remand, no date",)
    assert not flags_for(None, CustodyKind.SENTENCED, "not_known", ENGLAND).remand_no_date
    assert str(flags_for(D(2026, 8, 28), "sentenced", "4_years_or_more", ENGLAND)) == \
        "Friday, Before bank holiday, Long sentence"


# -- offsets over weekends and bank holidays ----------------------------------------------

@pytest.mark.parametrize("release, offset, shift, due", [
    (D(2026, 12, 4), 1, Shift.EARLIER, D(2026, 12, 4)),     # Sat 5 -> back to Fri 4
    (D(2026, 12, 4), 1, Shift.LATER, D(2026, 12, 7)),       # Sat 5 -> on to Mon 7
    (D(2026, 12, 4), 2, Shift.LATER, D(2026, 12, 7)),       # Sun 6 -> Mon 7
    (D(2026, 12, 7), -1, Shift.EARLIER, D(2026, 12, 4)),    # Sun 6 -> Fri 4
    (D(2026, 12, 7), -1, Shift.LATER, D(2026, 12, 7)),      # Sun 6 -> Mon 7
    (D(2026, 12, 7), -7, Shift.EARLIER, D(2026, 11, 30)),   # Mon 30 Nov, open in England
    (D(2026, 12, 24), 1, Shift.LATER, D(2026, 12, 29)),     # Fri 25, Sat, Sun, Mon 28 -> Tue 29
    (D(2026, 12, 24), 1, Shift.EARLIER, D(2026, 12, 24)),
    (D(2027, 1, 1), 0, Shift.LATER, D(2027, 1, 4)),         # New Year's Day (Fri) -> Mon 4
    (D(2027, 1, 1), 0, Shift.EARLIER, D(2026, 12, 31)),
    (D(2027, 3, 25), 1, Shift.LATER, D(2027, 3, 30)),       # Good Friday .. Easter Monday -> Tue
    (D(2027, 12, 24), 1, Shift.LATER, D(2027, 12, 29)),     # Sat 25 .. Tue 28 -> Wed 29
    (D(2026, 11, 26), 0, Shift.EARLIER, D(2026, 11, 26)),   # an open day stays put
])
def test_offsets_over_weekends_and_bank_holidays(release, offset, shift, due):
    assert due_date_for(release, offset, shift, ENGLAND) == due


def test_offsets_in_scotland():
    # Mon 30 Nov 2026 is St Andrew's Day: a week before Mon 7 Dec moves back to Fri 27 Nov.
    assert due_date_for(D(2026, 12, 7), -7, Shift.EARLIER, SCOTLAND) == D(2026, 11, 27)
    # 1 Jan 2027 (Fri), Sat 2, Sun 3 and the substitute Mon 4 Jan: on to Tue 5 Jan.
    assert due_date_for(D(2027, 1, 1), 0, Shift.LATER, SCOTLAND) == D(2027, 1, 5)
    assert shift_off_closed(D(2026, 8, 31), "later", SCOTLAND) == D(2026, 8, 31)
