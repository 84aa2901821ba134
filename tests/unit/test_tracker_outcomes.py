"""A partner's outcomes, sent back on the Outcomes sheet of their tracker: the dry run
judges each row (new, already recorded, in conflict, refused), applying adds the
accepted ones as outcome events (audited), and a forged or malformed row is refused."""
from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest

from deterrence_desktop.cli import main
from deterrence_desktop.domain.errors import ConflictError, ValidationError
from deterrence_desktop.domain.outcomes import CpsDecision, OutcomeEvent, OutcomeKind
from deterrence_desktop.exports.tracker_outcomes import OUTCOME_HEADERS, OUTCOMES_SHEET
from deterrence_desktop.services.trackers import RowState

from conftest import PASSPHRASE

POLICE = "Fictionbury Police"


@pytest.fixture
def police_tracker(demo_app, tmp_path):
    pid = demo_app.partners.by_name(POLICE).id
    out = tmp_path / "police.xlsx"
    demo_app.trackers.export(out, partner_id=pid)
    in_tracker = sorted({a.person_reference for a in demo_app.actions.list()
                         if a.partner_id == pid and a.person_reference})
    outside = next(p.reference for p in demo_app.people.list() if p.reference not in in_tracker)
    return demo_app, pid, out, in_tracker, outside


def fill(path, rows):
    """The partner opens the tracker in a spreadsheet and fills in the Outcomes sheet."""
    wb = openpyxl.load_workbook(path)
    ws = wb[OUTCOMES_SHEET]
    assert [c.value for c in ws[1]][:len(OUTCOME_HEADERS)] == list(OUTCOME_HEADERS)
    for i, row in enumerate(rows, 2):
        for j, value in enumerate(row, 1):
            ws.cell(i, j).value = value
    wb.save(path)


def test_the_outcomes_sheet_goes_out_empty_with_drop_downs(police_tracker):
    app, pid, out, in_tracker, outside = police_tracker
    ws = openpyxl.load_workbook(out)[OUTCOMES_SHEET]
    assert ws.max_column >= len(OUTCOME_HEADERS)
    assert all(ws.cell(r, 1).value is None for r in range(2, 20))
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "B2" in lists and lists["B2"].startswith("$L$2")
    choices = [ws.cell(r, 12).value for r in range(2, 18)]
    assert "Education, training or employment started" in choices
    assert ws.column_dimensions["L"].hidden
    assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"


def test_dry_run_then_apply_adds_the_outcomes_audited(police_tracker):
    app, pid, out, in_tracker, outside = police_tracker
    a, b, c = in_tracker[:3]
    fill(out, [
        (a, "Arrest", datetime(2026, 10, 3), "CR/1001"),
        (b, "charge", date(2026, 10, 20), "CR/1002", "Charge", "2026-10-02"),
        (c, "Treatment entry", "14/11/2026", "", None, None, None, None, "Open Door (fictional)"),
    ])
    before = sum(app.outcomes.counts_by_kind().values())
    plan = app.trackers.check_return(out)
    assert [(o.line, o.reference, o.state) for o in plan.outcomes] == [
        (2, a, RowState.CHANGE), (3, b, RowState.CHANGE), (4, c, RowState.CHANGE)]
    assert plan.outcomes[1].event.days_to_charge == 18
    assert plan.outcomes[1].summary == "Charge on 20 Oct 2026 (CR/1002)"
    assert all(o.event.partner_id == pid for o in plan.outcomes)
    assert sum(app.outcomes.counts_by_kind().values()) == before          # a dry run
    result = app.trackers.apply_return(plan)
    assert result.outcomes == 3
    assert sum(app.outcomes.counts_by_kind().values()) == before + 3
    person_b = app.people.by_reference(b)
    charge = next(v for v in app.outcomes.for_person(person_b.id) if v.event.source_reference == "CR/1002")
    assert charge.event.cps_decision == CpsDecision.CHARGE
    assert charge.event.arrested_on == date(2026, 10, 2)
    entries = [e for e in app.audit_log.entries(10) if e.entity == "outcome"]
    assert len(entries) == 3
    assert all("source=tracker return from partner" in e.detail and "file_sha256=" in e.detail
               for e in entries)
    # The same file again: every row is already recorded, nothing is added twice.
    again = app.trackers.check_return(out)
    assert {o.state for o in again.outcomes} == {RowState.UNCHANGED}
    assert app.trackers.apply_return(again).outcomes == 0


def test_forged_and_malformed_rows_are_refused_with_the_reason(police_tracker):
    app, pid, out, in_tracker, outside = police_tracker
    a = in_tracker[0]
    fill(out, [
        (outside, "Arrest", date(2026, 10, 3)),                     # not in this tracker
        ("Bob", "Arrest", date(2026, 10, 3)),                       # not a reference
        (a, "Sent to the moon", date(2026, 10, 3)),                 # not an outcome
        (a, "Arrest", date(2027, 1, 1)),                            # in the future
        (a, "Arrest", "next Tuesday"),                              # not a date
        (a, "Charge", date(2026, 10, 3)),                           # no CPS decision
        (a, "Death", date(2026, 10, 3)),                            # no cause
        (None, "Arrest", date(2026, 10, 3)),                        # no reference
        (a, "=HYPERLINK(\"http://x\")", date(2026, 10, 3)),         # a formula
        (a, "Arrest", date(2026, 10, 4), "CR/9"),                   # fine
        (a, "Arrest", date(2026, 10, 4), "CR/9"),                   # twice
    ])
    plan = app.trackers.check_return(out)
    got = {o.line: (o.state, o.message) for o in plan.outcomes}
    assert got[2] == (RowState.ERROR, f"{outside} is not one of the people in this tracker: refused")
    assert got[3][1] == "the partnership reference is not like FD-0042"
    assert got[4][1] == "the outcome 'Sent to the moon' is not one of the choices"
    assert got[5][1] == "Date must not be in the future."
    assert got[6][1] == "the date is not a date"
    assert got[7][1] == "Give the CPS decision for a charge."
    assert got[8][1] == "Cause of death: give the cause category of a death."
    assert got[9][1] == "the partnership reference is missing"
    assert got[10][0] == RowState.ERROR and "is not one of the choices" in got[10][1]
    assert got[11][0] == RowState.CHANGE
    assert got[12] == (RowState.ERROR, "this outcome appears more than once in the file")
    with pytest.raises(ValidationError):
        app.trackers.apply_return(plan, accept_outcomes=[2])
    before = sum(app.outcomes.counts_by_kind().values())
    assert app.trackers.apply_return(plan).outcomes == 1
    assert sum(app.outcomes.counts_by_kind().values()) == before + 1


def test_a_reference_already_on_another_outcome_is_a_conflict(police_tracker):
    app, pid, out, in_tracker, outside = police_tracker
    a = in_tracker[0]
    person = app.people.by_reference(a)
    app.outcomes.record(OutcomeEvent(person.id, OutcomeKind.ARREST, date(2026, 9, 1), pid,
                                     source_reference="CR/77"))
    fill(out, [(a, "Arrest", date(2026, 9, 2), "CR/77")])
    plan = app.trackers.check_return(out)
    (row,) = plan.outcomes
    assert row.state == RowState.CONFLICT
    assert row.message == ("your reference CR/77 is already on another outcome of this person "
                           "(arrest on 01 Sep 2026)")
    assert app.trackers.apply_return(plan).outcomes == 0            # not unless ticked
    assert app.trackers.apply_return(plan, accept_outcomes=[2]).outcomes == 1


def test_recorded_after_the_dry_run_applies_nothing(police_tracker):
    app, pid, out, in_tracker, outside = police_tracker
    a = in_tracker[0]
    fill(out, [(a, "Naloxone supplied", date(2026, 11, 2), "N/1")])
    plan = app.trackers.check_return(out)
    person = app.people.by_reference(a)
    app.outcomes.record(OutcomeEvent(person.id, OutcomeKind.NALOXONE_SUPPLIED, date(2026, 11, 2),
                                     pid, source_reference="N/1"))
    before = sum(app.outcomes.counts_by_kind().values())
    with pytest.raises(ConflictError):
        app.trackers.apply_return(plan)
    assert sum(app.outcomes.counts_by_kind().values()) == before


@pytest.mark.file_only   # the command imports into a workspace file
def test_command_line_dry_run_and_apply(police_tracker, monkeypatch, capsys):
    app, pid, out, in_tracker, outside = police_tracker
    fill(out, [(in_tracker[0], "Housing secured", date(2026, 11, 20), "H/5"),
               (outside, "Arrest", date(2026, 11, 20))])
    path = app.workspace.path
    app.close()
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    assert main(["import", "tracker", str(path), str(out)]) == 1
    printed = capsys.readouterr().out
    assert "Outcomes: 1 new, 0 in conflict, 1 with errors, 0 already recorded" in printed
    assert f"{outside} is not one of the people in this tracker: refused" in printed
    assert main(["import", "tracker", str(path), str(out), "--apply"]) == 0
    assert "added 1 outcomes" in capsys.readouterr().out


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
