"""The release screens' models over plain rows, without a workspace: the planner's
columns (soonest first, remand with no date last, flags in words), a plan's steps, and
the notes the board and the meeting agenda show for an incomplete plan."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from deterrence_desktop.domain.custody import ReleaseFlags  # noqa: E402
from deterrence_desktop.ui.release.models import (  # noqa: E402
    days_text, flags_text, offset_text, plan_note, release_text,
)
from deterrence_desktop.ui.release.page import _PlannerRow, planner_model  # noqa: E402
from deterrence_desktop.ui.release.strip import agenda_note, strip_text  # noqa: E402


@dataclass(frozen=True)
class Row:                       # the fields of services.release_planner.PlannerRow it reads
    person_id: int
    reference: str
    person_name: str
    episode_id: int
    kind: str
    establishment: str
    release: date | None
    days_to_go: int | None
    flags: ReleaseFlags
    plan_status: str


ROWS = [
    Row(1, "FD-0003", "Kai Ashcombe", 30, "remand", "HMP Example", None, None,
        ReleaseFlags(remand_no_date=True), "none"),
    Row(2, "FD-0001", "Alex Quillfeather", 10, "sentenced", "HMP Example", date(2026, 12, 4), 3,
        ReleaseFlags(friday=True, long_sentence=True), "incomplete"),
    Row(3, "FD-0002", "Zoë Marbleton", 20, "sentenced", "", date(2026, 12, 22), 21,
        ReleaseFlags(), "complete"),
    Row(4, "FD-0004", "Łukasz Nettlebury", 40, "sentenced", "", date(2026, 12, 24), 23,
        ReleaseFlags(before_bank_holiday=True), "none"),
]
RELEASE, IN, REFERENCE, FLAGS, PLAN = 0, 1, 2, 4, 5


def shown(model, column):
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_the_planner_lists_soonest_first_with_remand_without_a_date_last(qapp):
    model = planner_model()
    model.sort(RELEASE, Qt.SortOrder.AscendingOrder)
    model.set_rows([_PlannerRow(r) for r in ROWS])
    assert shown(model, REFERENCE) == ["FD-0001", "FD-0002", "FD-0004", "FD-0003"]
    assert shown(model, RELEASE) == ["Fri 04 Dec 2026", "Tue 22 Dec 2026", "Thu 24 Dec 2026",
                                     "No date"]
    assert shown(model, IN) == ["3 days", "21 days", "23 days", "no date"]
    assert model.row_object(0).id == 10                 # a row is its custody episode


def test_flags_are_said_in_words_and_coloured(qapp):
    model = planner_model()
    model.set_rows([_PlannerRow(r) for r in ROWS])
    assert shown(model, FLAGS) == ["Remand, no date", "Friday, Long sentence", "",
                                   "Before bank holiday"]
    assert model.index(0, FLAGS).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(2, FLAGS).data(Qt.ItemDataRole.ForegroundRole) is None
    assert shown(model, PLAN) == ["No plan", "Incomplete", "Complete", "No plan"]
    header = model.headerData(FLAGS, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "Friday" in header and "12 months" in header and "short notice" in header
    model.sort(FLAGS, Qt.SortOrder.AscendingOrder)      # the most flagged first
    assert shown(model, REFERENCE)[0] == "FD-0001"


def test_words_for_dates_offsets_and_days():
    assert release_text(date(2026, 12, 4)) == "Fri 04 Dec 2026"
    assert release_text(None) == "No date"
    assert days_text(0) == "today" and days_text(1) == "1 day" and days_text(-2) == "2 days ago"
    assert offset_text(0) == "Day of release"
    assert offset_text(-7) == "7 days before release"
    assert offset_text(1) == "1 day after release"
    assert flags_text(ROWS[2]) == ""


@dataclass(frozen=True)
class Incomplete:                # services.continuity.IncompletePlan's fields
    person_id: int
    reference: str
    person_name: str
    episode_id: int
    release: date
    days_to_go: int
    status: str
    open_actions: int


def test_incomplete_plans_on_the_board_and_the_agenda_say_references_never_names():
    plans = [Incomplete(2, "FD-0001", "Alex Quillfeather", 10, date(2026, 12, 4), 3, "incomplete", 5),
             Incomplete(4, "FD-0004", "Łukasz Nettlebury", 40, date(2026, 12, 1), 0, "none", 0)]
    assert plan_note(plans[0]) == "FD-0001: release Fri 04 Dec 2026, 5 actions open"
    assert plan_note(plans[1]) == "FD-0004: release Tue 01 Dec 2026, no plan yet"
    text = strip_text(plans)
    assert "FD-0001" in text and "FD-0004" in text and "(2)" in text
    assert "Quillfeather" not in text and "Nettlebury" not in text
    assert strip_text([]) == ""
    assert agenda_note(plans, 2) == ("Continuity plan not complete: FD-0001: release "
                                     "Fri 04 Dec 2026, 5 actions open")
    assert agenda_note(plans, 99) == "" and agenda_note(plans, None) == ""
