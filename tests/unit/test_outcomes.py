"""Outcome events and the evaluation through the services, on real SQLCipher workspaces:
recording (validated, audited, all or none), undo, partner officers' limits, the
evaluation's numbers against a hand-computed example, and what leaves the partnership
(the board report read back with pdftotext, the table read back as CSV and with openpyxl)."""
from __future__ import annotations

import csv
import os
import stat
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook

from deterrence_desktop.domain.errors import PermissionDenied, ValidationError, readable
from deterrence_desktop.domain.evaluation import SUPPRESSED, EvaluationQuery
from deterrence_desktop.domain.model import Cohort, CohortMember, Group, Membership, Partner, Person
from deterrence_desktop.domain.outcomes import CpsDecision, DeathCause, OutcomeEvent, OutcomeKind

from conftest import DEMO_TODAY

K = OutcomeKind


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


# -- recording -------------------------------------------------------------------------------
def test_record_validates_and_audits(demo_app):
    person = demo_app.people.list()[0]
    with pytest.raises(ValidationError) as err:
        demo_app.outcomes.record(OutcomeEvent(person.id, K.DEATH, DEMO_TODAY))
    assert "death_cause" in err.value.errors
    with pytest.raises(ValidationError) as err:
        demo_app.outcomes.record(OutcomeEvent(person.id, K.CHARGE, date(2026, 11, 27)))
    assert set(err.value.errors) == {"cps_decision", "occurred_on"}
    assert "must not be in the future" in readable(err.value)
    with pytest.raises(ValidationError) as err:
        demo_app.outcomes.record(OutcomeEvent(person.id, K.CHARGE, date(2026, 10, 1),
                                              cps_decision=CpsDecision.CHARGE,
                                              arrested_on=date(2026, 10, 5)))
    assert "occurred_on" in err.value.errors              # charged before the arrest
    with pytest.raises(ValidationError):
        demo_app.outcomes.record(OutcomeEvent(person.id, K.ARREST, date(2026, 10, 1),
                                              death_cause=DeathCause.NATURAL))

    oid = demo_app.outcomes.record(OutcomeEvent(
        person.id, K.CHARGE, date(2026, 10, 20), partner_id=1, source_reference="CR/123",
        cps_decision=CpsDecision.CHARGE, arrested_on=date(2026, 10, 1)))
    views = demo_app.outcomes.for_person(person.id)
    mine = next(v for v in views if v.id == oid)
    assert mine.event.days_to_charge == 19
    assert mine.kind_label == "Charge"
    assert mine.detail == "Charge, 19 days from arrest"
    assert mine.person_reference == person.reference and mine.partner_name
    entry = demo_app.audit_log.entries(1)[0]
    assert (entry.operation, entry.entity, entry.entity_ref) == ("collection", "outcome", str(oid))
    assert person.reference in entry.detail and person.family_name not in entry.detail


def test_record_many_is_one_transaction_all_or_none(demo_app):
    people = demo_app.people.list()[:3]
    before = sum(demo_app.outcomes.counts_by_kind().values())
    good = [OutcomeEvent(p.id, K.TREATMENT_ENTRY, date(2026, 11, 2), partner_id=7) for p in people]
    bad = good + [OutcomeEvent(people[0].id, K.DEATH, date(2026, 11, 2))]
    with pytest.raises(ValidationError) as err:
        demo_app.outcomes.record_many(bad)
    assert "row 4 death_cause" in err.value.errors
    assert sum(demo_app.outcomes.counts_by_kind().values()) == before
    ids = demo_app.outcomes.record_many(good)
    assert len(ids) == 3
    assert sum(demo_app.outcomes.counts_by_kind().values()) == before + 3
    entry = demo_app.audit_log.entries(1)[0]
    assert entry.detail.startswith("quick entry: count=3 people=")


def test_update_remove_and_undo(demo_app):
    person = demo_app.people.list()[1]
    oid = demo_app.outcomes.record(OutcomeEvent(person.id, K.ARREST, date(2026, 9, 9)))
    event = demo_app.outcomes.get(oid)
    event.occurred_on = date(2026, 9, 10)
    event.source_reference = "CR/9"
    assert demo_app.outcomes.update(oid, event).occurred_on == date(2026, 9, 10)
    assert demo_app.audit_log.entries(1)[0].detail == "fields=occurred_on,source_reference"
    removed = demo_app.outcomes.remove(oid)
    assert removed.id == oid and removed.source_reference == "CR/9"
    assert oid not in [v.id for v in demo_app.outcomes.for_person(person.id)]
    assert demo_app.audit_log.entries(1)[0].operation == "erasure"
    assert demo_app.outcomes.restore(removed) == oid          # undo: the same id again
    assert demo_app.outcomes.get(oid).occurred_on == date(2026, 9, 10)


def test_partner_officer_records_only_their_own_agencys_outcomes(demo_app):
    officer = demo_app.as_user("demo.officer")
    police = officer.actor.partner_id
    concerned = {a.person_id for a in officer.actions.list() if a.person_id}
    person_id = sorted(concerned)[0]
    oid = officer.outcomes.record(OutcomeEvent(person_id, K.ARREST, date(2026, 11, 1),
                                               partner_id=police))
    assert officer.outcomes.get(oid).partner_id == police
    with pytest.raises(PermissionDenied):
        officer.outcomes.record(OutcomeEvent(person_id, K.ARREST, date(2026, 11, 1),
                                             partner_id=police + 1))
    other = next(p.id for p in demo_app.people.list() if p.id not in concerned)
    with pytest.raises(PermissionDenied):
        officer.outcomes.record(OutcomeEvent(other, K.ARREST, date(2026, 11, 1), partner_id=police))
    with pytest.raises(PermissionDenied):
        officer.evaluation.evaluate(EvaluationQuery())
    with pytest.raises(PermissionDenied):
        demo_app.as_user("demo.analyst").outcomes.record(
            OutcomeEvent(person_id, K.ARREST, date(2026, 11, 1)))
    assert demo_app.as_user("demo.analyst").evaluation.evaluate(EvaluationQuery()).people > 0


def test_charging_timeliness(small):
    """An arrest on 1 Aug and a charge on 29 Aug without its arrest date: paired, 28 days;
    a charge on 10 Sep with its arrest date 3 Sep: 7 days."""
    app, police, people, treated, compared = small
    app.outcomes.record_many([
        OutcomeEvent(people[0], K.ARREST, date(2026, 8, 1)),
        OutcomeEvent(people[0], K.CHARGE, date(2026, 8, 29), cps_decision=CpsDecision.CHARGE),
        OutcomeEvent(people[1], K.CHARGE, date(2026, 9, 10), cps_decision=CpsDecision.PENDING,
                     arrested_on=date(2026, 9, 3)),
    ])
    months = app.outcomes.charging_timeliness(date(2026, 8, 1), date(2026, 9, 30))
    assert [(m.month, m.count, m.median_days, m.slowest_days) for m in months] == [
        (date(2026, 8, 1), 1, 28, 28), (date(2026, 9, 1), 1, 7, 7)]
    assert app.outcomes.charging_timeliness(date(2026, 9, 1))[0].month == date(2026, 9, 1)


# -- the evaluation against a hand-computed example -------------------------------------------
@pytest.fixture
def small(empty_app):
    """Six fictional people in one cohort, all included on 1 Jan 2025, and a comparison
    cohort of five included on 1 Mar 2026 (today is 26 Nov 2026)."""
    app = empty_app
    police = app.partners.create(Partner(name="Testshire Police (fictional)", type="police")).id
    people = [app.people.create(Person(reference=f"FD-{i:04d}", given_name="Test",
                                       family_name=f"Person{i}")).id for i in range(1, 12)]
    treated = app.cohorts.create(Cohort(name="Treated (fictional)")).id
    compared = app.cohorts.create(Cohort(name="Compared (fictional)")).id
    for pid in people[:6]:
        app.cohorts.add_member(CohortMember(treated, pid, "test", added_on=date(2025, 1, 1)))
    for pid in people[6:]:
        app.cohorts.add_member(CohortMember(compared, pid, "test", added_on=date(2026, 3, 1)))
    return app, police, people, treated, compared


def test_evaluation_numbers_match_the_hand_computed_example(small):
    """Treated: six people included 1 Jan 2025, 12-month windows. Before: 1 Jan to 31 Dec
    2024, 366 days each = 2196 days. After: 1 Jan to 31 Dec 2025, 365 days each, except
    person 6, who left on 1 Jul 2025 (181 days: 31+28+31+30+31+30) and person 5, who died on
    31 Mar 2025 (90 days: 31+28+31): 4 x 365 + 181 + 90 = 1731 days.
    Arrests: 12 before about all six (2 each), 5 after about five people (persons 1-5 one
    each, person 6's arrest after leaving is not counted). Rates: 12 / (2196/365.25) =
    1.9959 and 5 / (1731/365.25) = 1.0550 per person-year."""
    app, police, people, treated, compared = small
    app.cohorts.mark_left(treated, people[5], date(2025, 7, 1))
    events = []
    for pid in people[:6]:
        events += [OutcomeEvent(pid, K.ARREST, date(2024, 3, 3), police),
                   OutcomeEvent(pid, K.ARREST, date(2024, 10, 10), police)]
    for pid in people[:5]:
        events.append(OutcomeEvent(pid, K.ARREST, date(2025, 3, 1), police))
    events.append(OutcomeEvent(people[5], K.ARREST, date(2025, 8, 1), police))
    events.append(OutcomeEvent(people[4], K.DEATH, date(2025, 3, 31), police,
                               death_cause=DeathCause.DRUG_RELATED))
    app.outcomes.record_many(events)

    e = app.evaluation.evaluate(EvaluationQuery(cohort_id=treated, comparison_cohort_id=compared))
    arrests = e.measure("arrest")
    assert (e.people, arrests.before_count, arrests.after_count) == (6, 12, 5)
    assert arrests.before_person_years == pytest.approx(2196 / 365.25)
    assert arrests.after_person_years == pytest.approx(1731 / 365.25)
    assert arrests.before_rate == pytest.approx(12 * 365.25 / 2196)     # 1.9959
    assert arrests.after_rate == pytest.approx(5 * 365.25 / 1731)       # 1.0550
    assert e.measure("death").after_count == 1
    assert e.scope == "Cohort: Treated (fictional)"
    # The comparison cohort: five people, before 1 Mar 2025 to 28 Feb 2026 (365 days) and
    # after 1 Mar to 26 Nov 2026 (271 days), no outcomes.
    c_arrests = next(r for r in e.comparison if r.key == "arrest")
    assert e.comparison_people == 5
    assert c_arrests.after_person_years == pytest.approx(5 * 271 / 365.25)
    assert c_arrests.after_rate == 0
    # One consultation in the audit, with counts only.
    entry = app.audit_log.entries(1)[0]
    assert (entry.operation, entry.entity) == ("consultation", "evaluation")
    assert entry.detail == "aggregates: people=6 comparison=5"


def test_evaluation_of_a_group_uses_membership_dates(small):
    app, police, people, treated, compared = small
    gid = app.groups.create(Group(name="Test group (fictional)")).id
    app.groups.add_member(Membership(people[0], gid, start=date(2026, 1, 1), end=date(2026, 1, 31)))
    app.groups.add_member(Membership(people[1], gid, start=date(2026, 6, 1)))
    app.groups.add_member(Membership(people[2], gid))                   # no start: left out
    app.outcomes.record(OutcomeEvent(people[0], K.ARREST, date(2026, 1, 15)))
    app.outcomes.record(OutcomeEvent(people[0], K.ARREST, date(2026, 2, 15)))   # after the end
    e = app.evaluation.evaluate(EvaluationQuery(group_id=gid))
    assert (e.people, e.without_date) == (2, 1)
    arrests = e.measure("arrest")
    assert arrests.after_count == 1
    # after: 31 days (January) + 1 Jun to 26 Nov 2026 (30+31+31+30+31+26 = 179) = 210 days
    assert arrests.after_person_years == pytest.approx(210 / 365.25)


def test_evaluation_period_and_window(small):
    app, police, people, treated, compared = small
    e = app.evaluation.evaluate(EvaluationQuery(date_from=date(2026, 1, 1), window_months=6))
    assert e.people == 5 and e.scope == "Everyone in a cohort"          # only the comparison's
    assert e.measure("arrest").after_person_years == pytest.approx(5 * 184 / 365.25)
    e = app.evaluation.evaluate(EvaluationQuery(date_to=date(2025, 6, 30)))
    assert e.people == 6 and e.period_to == date(2025, 6, 30)
    assert e.measure("arrest").after_person_years == pytest.approx(6 * 181 / 365.25)


# -- the demo shows a change; what leaves the partnership -------------------------------------
def test_demo_evaluation_shows_a_change_and_engagement(demo_app):
    cohort = demo_app.cohorts.list()[0]
    e = demo_app.evaluation.evaluate(EvaluationQuery(cohort_id=cohort.id))
    assert e.people >= 5
    changed = [m for m in e.measures if m.before_count and m.change is not None]
    assert any(m.change < 0 for m in changed)            # fewer arrests or less violence
    assert e.engagement.invited and e.engagement.reached
    assert e.delivery and any(d.done for d in e.delivery)
    assert e.monthly and e.inclusion_dates
    assert sum(p.included for p in e.monthly) == e.people


def test_board_report_pdf(demo_app, tmp_path):
    cohorts = demo_app.cohorts.list()
    q = EvaluationQuery(cohort_id=cohorts[0].id, comparison_cohort_id=cohorts[1].id)
    folder = tmp_path / "out"
    folder.mkdir()
    out = demo_app.evaluation.write_report(q, folder / "board.pdf")
    assert mode(out) == 0o600
    text = pdf_text(out)
    pages = text.split("\f")[:-1]
    assert len(pages) >= 3
    assert all(page.count("OFFICIAL-SENSITIVE") >= 2 for page in pages)
    assert SUPPRESSED in text
    flat = " ".join(text.split())
    assert "A before/after comparison is not an impact estimate without a comparison group" in flat
    assert "Comparison cohort: Call-in cohort B" in flat
    assert "Period covered:" in flat and "Method note" in flat
    assert "Events per person-year in the window before" in flat
    for person in demo_app.people.list():
        assert person.reference not in text and person.family_name not in text
    assert [f.name for f in folder.iterdir()] == ["board.pdf"]     # no temporary left
    entry = demo_app.audit_log.entries(1)[0]
    assert (entry.operation, entry.entity) == ("disclosure", "evaluation")
    assert "board report PDF" in entry.detail


def test_board_report_renders(demo_app, tmp_path):
    """pdftoppm renders every page (the file is a well-formed PDF with its images)."""
    out = demo_app.evaluation.write_report(EvaluationQuery(), tmp_path / "board.pdf")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(out), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page-*.png"))) >= 3


def test_table_csv_and_xlsx_are_suppressed_like_the_report(demo_app, tmp_path):
    cohorts = demo_app.cohorts.list()
    q = EvaluationQuery(cohort_id=cohorts[0].id, comparison_cohort_id=cohorts[1].id)
    e = demo_app.evaluation.evaluate(q)
    csv_path = demo_app.evaluation.write_table_csv(q, tmp_path / "table.csv", evaluation=e)
    xlsx_path = demo_app.evaluation.write_table_xlsx(q, tmp_path / "table.xlsx", evaluation=e)
    assert mode(csv_path) == mode(xlsx_path) == 0o600
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["OFFICIAL-SENSITIVE"]
    header = rows.index(next(r for r in rows if r and r[0] == "Scope"))
    body = rows[header + 1:]
    assert len(body) == 2 * len(e.measures)
    arrest = next(r for r in body if r[0] == e.scope and r[1] == "Arrest")
    measure = e.measure("arrest")
    assert arrest[2] == str(measure.people)
    assert arrest[3] == (SUPPRESSED if 0 < measure.before_people_with < 5
                         else str(measure.before_count))
    assert any(SUPPRESSED in r for r in body)
    wb = load_workbook(xlsx_path)
    ws = wb["Evaluation"]
    assert ws["A1"].value == "OFFICIAL-SENSITIVE"
    values = [[c.value for c in r] for r in ws.iter_rows()]
    xbody = values[header + 1:]
    assert [r[:2] for r in xbody] == [r[:2] for r in body]
    xarrest = next(r for r in xbody if r[0] == e.scope and r[1] == "Arrest")
    assert xarrest[2] == measure.people                     # a number, not text
    assert sum(r.count(SUPPRESSED) for r in xbody) == sum(r.count(SUPPRESSED) for r in body)


def test_exports_refuse_a_missing_folder_clearly(demo_app, tmp_path):
    from deterrence_desktop.domain.errors import DeterrenceError
    with pytest.raises(DeterrenceError) as err:
        demo_app.evaluation.write_table_csv(EvaluationQuery(), tmp_path / "nope" / "t.csv")
    assert "does not exist" in str(err.value)


def test_charts_save_png_and_svg(demo_app, tmp_path):
    from deterrence_desktop.exports import charts
    e = demo_app.evaluation.evaluate(EvaluationQuery(cohort_id=demo_app.cohorts.list()[0].id))
    for make in (charts.before_after, charts.monthly, charts.delivery):
        fig = make(e)
        png = charts.save(fig, tmp_path / f"{make.__name__}.png", dpi=80)
        svg = charts.save(fig, tmp_path / f"{make.__name__}.svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and mode(png) == 0o600
        assert b"<svg" in svg.read_bytes()[:500] and mode(svg) == 0o600
    assert "Events per person-year" in (tmp_path / "before_after.svg").read_text()
    from deterrence_desktop.domain.errors import DeterrenceError
    with pytest.raises(DeterrenceError):
        charts.save(fig, tmp_path / "chart.bmp")


def test_erasing_a_person_erases_their_outcomes(demo_app):
    person = demo_app.people.list()[3]
    demo_app.outcomes.record_many([OutcomeEvent(person.id, K.ARREST, date(2026, 5, 5)),
                                   OutcomeEvent(person.id, K.HOUSING_SECURED, date(2026, 6, 6))])
    n = len(demo_app.outcomes.for_person(person.id))
    assert demo_app.retention.erasure_preview(person.id).counts["outcomes"] == n >= 2
    before = sum(demo_app.outcomes.counts_by_kind().values())
    report = demo_app.retention.erase(person.id, "Fictional test: retention period over")
    assert report.counts["outcomes"] == n
    assert sum(demo_app.outcomes.counts_by_kind().values()) == before - n


def test_an_evaluation_sees_every_write_since_the_last(small):
    """The events are kept between evaluations only while nothing was written: an outcome
    recorded, changed or removed in between is counted at once."""
    app, police, people, treated, compared = small
    q = EvaluationQuery(cohort_id=treated)
    assert app.evaluation.evaluate(q).measure("arrest").after_count == 0
    assert app.evaluation.evaluate(q).measure("arrest").after_count == 0     # kept
    oid = app.outcomes.record(OutcomeEvent(people[0], K.ARREST, date(2025, 2, 2)))
    assert app.evaluation.evaluate(q).measure("arrest").after_count == 1
    event = app.outcomes.get(oid)
    event.occurred_on = date(2024, 2, 2)
    app.outcomes.update(oid, event)
    e = app.evaluation.evaluate(q).measure("arrest")
    assert (e.before_count, e.after_count) == (1, 0)
    app.outcomes.remove(oid)
    assert app.evaluation.evaluate(q).measure("arrest").before_count == 0


def test_saving_the_report_keeps_the_events_read(small, tmp_path):
    """A disclosure writes an audit entry but changes no outcome: the next evaluation does
    not read every event again, and still sees an outcome recorded after it."""
    app, police, people, treated, compared = small
    q = EvaluationQuery(cohort_id=treated)
    e = app.evaluation.evaluate(q)
    cached = app.evaluation._cache[1]
    app.evaluation.write_table_csv(q, tmp_path / "t.csv", evaluation=e)
    app.evaluation.evaluate(q)
    assert app.evaluation._cache[1] is cached
    app.outcomes.record(OutcomeEvent(people[1], K.ARREST, date(2025, 2, 2)))
    assert app.evaluation.evaluate(q).measure("arrest").after_count == 1
    assert app.evaluation._cache[1] is not cached


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
