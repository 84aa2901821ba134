"""The models behind the outcome screens and the Evaluation page, without a window:
quick entry's rows (what typing makes of them), and the measures, attended/no-show and
delivery tables on a real evaluation of the demo workspace."""
from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from deterrence_desktop.domain.evaluation import EvaluationQuery
from deterrence_desktop.domain.outcomes import CpsDecision, OutcomeEvent, OutcomeKind
from deterrence_desktop.ui.evaluation.models import (
    SMALL_TIP, CompareModel, DeliveryModel, MeasuresModel,
)
from deterrence_desktop.ui.outcomes.quick_model import (
    DATE, KIND, PARTNER, PERSON, PROBLEM, REFERENCE, QuickEntryModel, pick,
)

TODAY = date(2026, 11, 26)
PEOPLE = [(1, "FD-0001 · Alex Example"), (2, "FD-0002 · Sam Sample"), (12, "FD-0012 · Jo Test")]
PARTNERS = [(7, "Testshire Police"), (8, "Testshire Treatment Service")]


def test_pick_finds_the_one_choice_typed_and_refuses_a_guess():
    kinds = QuickEntryModel(PEOPLE, PARTNERS, TODAY).kinds
    assert pick(PEOPLE, "fd-0012") == 12                 # a reference, in any case
    assert pick(PEOPLE, "sam") == 2                      # part of a name
    assert pick(PEOPLE, "FD-000") is None                # three fit: ask again
    assert pick(kinds, "arr") == OutcomeKind.ARREST
    assert pick(kinds, "Treatment entry") == OutcomeKind.TREATMENT_ENTRY   # exact beats prefix
    assert pick(kinds, "treatment") is None              # entry, retained, exit
    assert pick(PARTNERS, "police") == 7
    assert pick(PARTNERS, "") is None


def type_row(model, row, **cells):
    columns = {"person": PERSON, "kind": KIND, "date": DATE, "partner": PARTNER,
               "reference": REFERENCE}
    for name, text in cells.items():
        assert model.setData(model.index(row, columns[name]), text)


def test_typing_a_row_opens_the_next_with_the_same_date_and_partner(qtmodeltester):
    model = QuickEntryModel(PEOPLE, PARTNERS, TODAY)
    qtmodeltester.check(model)
    assert model.rowCount() == 1 and model.headerData(0, Qt.Orientation.Vertical) == "*"
    type_row(model, 0, person="fd-0001", kind="arr", date="2026-11-20", partner="police",
             reference="CR/1/26")
    assert model.rowCount() == 2
    assert model.data(model.index(0, PERSON)) == "FD-0001 · Alex Example"
    assert model.data(model.index(0, KIND)) == "Arrest"
    assert model.data(model.index(1, DATE)) == "20 Nov 2026"             # carried down
    assert model.data(model.index(1, PARTNER)) == "Testshire Police"
    type_row(model, 1, person="sam", kind="charge")
    type_row(model, 2, person="jo", kind="naloxone", date="25/11/2026", partner="treatment")
    assert model.rowCount() == 4
    events = model.events()
    assert [(e.person_id, e.kind, e.occurred_on, e.partner_id) for e in events] == [
        (1, OutcomeKind.ARREST, date(2026, 11, 20), 7),
        (2, OutcomeKind.CHARGE, date(2026, 11, 20), 7),
        (12, OutcomeKind.NALOXONE_SUPPLIED, date(2026, 11, 25), 8)]
    assert events[0].source_reference == "CR/1/26"
    assert events[1].cps_decision == CpsDecision.PENDING     # a charge needs a decision
    model.remove_row(1)
    assert [e.person_id for e in model.events()] == [1, 12]
    qtmodeltester.check(model)


def test_rows_that_cannot_be_outcomes_say_why_and_nothing_is_returned():
    model = QuickEntryModel(PEOPLE, PARTNERS, TODAY)
    type_row(model, 0, person="nobody here", kind="arrest")
    type_row(model, 1, person="fd-0002", date="31/02/2026")
    type_row(model, 2, person="fd-0012", kind="death", date="2027-01-01")
    assert "No single person matches “nobody here”" in model.data(model.index(0, PROBLEM))
    assert model.data(model.index(1, DATE)) == "31/02/2026"             # kept as typed
    assert model.data(model.index(1, DATE), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.events() is None
    assert model.data(model.index(1, PROBLEM)).startswith("Date:")
    assert "future" in model.data(model.index(2, PROBLEM))
    type_row(model, 0, person="fd-0001")
    type_row(model, 1, kind="arrest", date="2026-02-28")
    type_row(model, 2, date="2026-11-01")
    assert len(model.events()) == 3
    assert all(model.data(model.index(r, PROBLEM)) == "" for r in range(3))


@pytest.fixture
def evaluation(demo_app):
    """A real evaluation of the first demo cohort, with outcomes recorded for its people
    before and after they were included."""
    cohort = demo_app.cohorts.list()[0]
    members = demo_app.cohorts.members(cohort.id)
    events = []
    for n, m in enumerate(members[:8]):
        events.append(OutcomeEvent(person_id=m.person_id, kind=OutcomeKind.ARREST,
                                   occurred_on=date(2026, 1 + n % 6, 3)))
    demo_app.outcomes.record_many(events)
    other = demo_app.cohorts.list()[1]
    return demo_app.evaluation.evaluate(EvaluationQuery(cohort_id=cohort.id,
                                                        comparison_cohort_id=other.id))


def test_measures_model_shows_each_measure_with_its_comparison(qtmodeltester, evaluation):
    model = MeasuresModel()
    model.set_evaluation(evaluation)
    qtmodeltester.check(model)
    assert model.rowCount() == len(evaluation.measures)
    headers = [model.headerData(c, Qt.Orientation.Horizontal).replace("\n", " ")
               for c in range(model.columnCount())]
    assert headers[:7] == ["Measure", "People", "Before events", "Before rate", "After events",
                           "After rate", "Change"]
    assert headers[7:] == ["Comparison before", "Comparison after", "Comparison change"]
    arrest = next(i for i, r in enumerate(evaluation.measures) if r.key == "arrest")
    row = evaluation.measures[arrest]
    assert model.data(model.index(arrest, 0)) == "Arrest"
    assert model.data(model.index(arrest, 2)) == str(row.before_count)
    assert model.data(model.index(arrest, 3)) == ("–" if row.before_rate is None
                                                  else f"{row.before_rate:.2f}")
    # a cell about 1 to 4 people is greyed, with the reason
    small = [(i, r) for i, r in enumerate(evaluation.measures)
             if 0 < r.before_people_with < 5]
    for i, _r in small:
        assert model.data(model.index(i, 2), Qt.ItemDataRole.ToolTipRole) == SMALL_TIP
    model.clear()
    assert model.rowCount() == 0 and model.columnCount() == 7


def test_attended_and_delivery_models(qtmodeltester, evaluation):
    compare = CompareModel()
    compare.set_evaluation(evaluation)
    qtmodeltester.check(compare)
    assert compare.rowCount() == len(evaluation.attended)
    assert compare.data(compare.index(0, 0)) == evaluation.attended[0].label
    delivery = DeliveryModel()
    delivery.set_rows(evaluation.delivery)
    qtmodeltester.check(delivery)
    assert delivery.rowCount() == len(evaluation.delivery)
    if evaluation.delivery:
        d = evaluation.delivery[0]
        assert delivery.data(delivery.index(0, 0)) == d.name
        assert delivery.data(delivery.index(0, 4)) == str(d.overdue)
