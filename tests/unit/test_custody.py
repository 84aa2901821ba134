"""Custody episodes, continuity plans and the release planner, on real workspace files.

Every due date below was worked out by hand from a calendar and the published bank
holidays for England (gov.uk/bank-holidays)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from deterrence_desktop.domain.custody import CustodyEpisode, CustodyKind, LocalClosure, SentenceBand
from deterrence_desktop.domain.enums import (
    ActionStatus, CommunicationChannel, CommunicationOutcome, LegalStatus, PartnerType,
)
from deterrence_desktop.domain.errors import ConflictError, ValidationError
from deterrence_desktop.domain.model import Communication, Partner, Person
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.services.continuity import EXAMPLE_TEMPLATE
from deterrence_desktop.store.tables import ActionRow, AuditEntryRow

D = date
STEPS = [s[0] for s in EXAMPLE_TEMPLATE[2]]


def on(app: WorkspaceServices, day: date) -> WorkspaceServices:
    """The same workspace and user, with the services' clock on ``day``."""
    return WorkspaceServices(app.workspace, app.actor, today=day)


@pytest.fixture
def town(empty_app):
    """A workspace with one partner of each type, the example template and one person."""
    for ptype in PartnerType:
        empty_app.partners.create(Partner(name=f"Fictional {ptype.value}", type=ptype))
    person = empty_app.people.create(Person(reference="", given_name="Ada", family_name="Fictor"))
    from deterrence_desktop.domain.custody import ContinuityTemplate, TemplateStep
    name, description, steps = EXAMPLE_TEMPLATE
    view = empty_app.continuity.save_template(
        ContinuityTemplate(name, description),
        [TemplateStep(0, title, ptype, kind, offset, shift, text)
         for title, ptype, kind, offset, shift, text in steps])
    return empty_app, person, view.template.id


def prison_of(app) -> int:
    return next(p.id for p in app.partners.list() if p.type == "prison")


def due_dates(app, episode_id) -> dict[str, date]:
    return {s.title: s.action.due_date for s in app.continuity.plan(episode_id).steps}


def audit_rows(app, entity: str) -> list[AuditEntryRow]:
    with app.workspace.session() as s:
        return list(s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == entity)
                              .order_by(AuditEntryRow.seq)))


def test_template_applied_to_a_friday_release_before_a_bank_holiday_monday(town):
    """Friday 28 August 2026; Monday 31 August is the late summer bank holiday."""
    app, person, template_id = town
    app = on(app, D(2026, 8, 3))
    entry = app.custody.record_episode(CustodyEpisode(
        person.id, CustodyKind.SENTENCED, D(2026, 2, 2), prison_of(app), "A1234ZZ",
        expected_release=D(2026, 8, 28), sentence_band=SentenceBand.UNDER_12_MONTHS))
    result = app.continuity.apply(template_id, [entry.episode.id])
    assert len(result.action_ids) == 8 and result.applied == (entry.episode.id,)
    assert due_dates(app, entry.episode.id) == {
        "Probation appointment on the day of release": D(2026, 8, 28),
        "Accommodation confirmed": D(2026, 8, 21),                           # 7 days before
        "Treatment appointment within 1 day of release": D(2026, 8, 28),     # Sat 29 -> back to Fri
        "Opioid substitution continuity": D(2026, 8, 28),
        "Naloxone at the gate": D(2026, 8, 28),
        "GP registration": D(2026, 9, 2),                                    # +5: Wed 2 Sep
        "Custom notification within 3 days of release": D(2026, 8, 28),      # Mon 31 BH, Sun, Sat -> Fri
        "Family support contact": D(2026, 9, 1),                             # Sun 30, Mon 31 BH -> Tue
    }
    row = app.release_planner.rows(weeks=6)[0]
    assert (row.reference, row.release, row.days_to_go) == (person.reference, D(2026, 8, 28), 25)
    assert row.flags.friday and row.flags.before_bank_holiday and row.plan_status == "incomplete"
    # Each action is for the partner of the step's type.
    partners = {s.title: s.partner_name for s in app.continuity.plan(entry.episode.id).steps}
    assert partners["GP registration"] == "Fictional health"
    assert partners["Naloxone at the gate"] == "Fictional drug_treatment"


def test_a_release_date_that_moves_twice_takes_the_plan_with_it(town):
    app, person, template_id = town
    app = on(app, D(2026, 11, 26))
    entry = app.custody.record_episode(CustodyEpisode(
        person.id, CustodyKind.SENTENCED, D(2026, 3, 1), prison_of(app), "A1234ZZ",
        expected_release=D(2026, 12, 4), sentence_band="12_months_to_4_years"))
    eid = entry.episode.id
    app.continuity.apply(template_id, [eid])
    first = due_dates(app, eid)
    assert first == {
        STEPS[0]: D(2026, 12, 4), STEPS[1]: D(2026, 11, 27), STEPS[2]: D(2026, 12, 4),
        STEPS[3]: D(2026, 12, 4), STEPS[4]: D(2026, 12, 4), STEPS[5]: D(2026, 12, 9),
        STEPS[6]: D(2026, 12, 7), STEPS[7]: D(2026, 12, 7)}

    moved = app.custody.learn_release_date(eid, D(2026, 12, 14), learned_on=D(2026, 11, 25))
    assert len(moved.moved) == 8
    assert due_dates(app, eid) == {
        STEPS[0]: D(2026, 12, 14), STEPS[1]: D(2026, 12, 7), STEPS[2]: D(2026, 12, 15),
        STEPS[3]: D(2026, 12, 14), STEPS[4]: D(2026, 12, 14),
        STEPS[5]: D(2026, 12, 21),                 # +5 is Sat 19 -> Mon 21
        STEPS[6]: D(2026, 12, 17), STEPS[7]: D(2026, 12, 16)}

    # Naloxone is given; a done action keeps its date when the release moves again.
    naloxone = next(s.action for s in app.continuity.plan(eid).steps if s.title == STEPS[4])
    app.actions.set_status(naloxone.id, ActionStatus.DONE, "Kit given (fictional)")
    app.custody.learn_release_date(eid, D(2026, 12, 24))          # Christmas Eve, a Thursday
    assert due_dates(app, eid) == {
        STEPS[0]: D(2026, 12, 24), STEPS[1]: D(2026, 12, 17),
        STEPS[2]: D(2026, 12, 24),                 # Fri 25 is Christmas -> back to Thu 24
        STEPS[3]: D(2026, 12, 24), STEPS[4]: D(2026, 12, 14),
        STEPS[5]: D(2026, 12, 29),                 # +5 is Tue 29, open
        STEPS[6]: D(2026, 12, 24),                 # Sun 27, Sat 26, Fri 25 -> Thu 24
        STEPS[7]: D(2026, 12, 29)}                 # Sat 26, Sun, Mon 28 (Boxing Day) -> Tue 29

    changes = app.custody.date_changes(eid)
    assert [(c.previous, c.expected_release, c.learned_on) for c in changes] == [
        (None, D(2026, 12, 4), D(2026, 11, 26)),
        (D(2026, 12, 4), D(2026, 12, 14), D(2026, 11, 25)),
        (D(2026, 12, 14), D(2026, 12, 24), D(2026, 11, 26))]
    assert app.people.get(person.id).custody_release == D(2026, 12, 24)
    # The owners see it on their actions, and the audit trail says so (by field name).
    gp = next(s.action for s in app.continuity.plan(eid).steps if s.title == STEPS[5])
    assert "Due date moved from 21 Dec 2026 to 29 Dec 2026" in gp.notes
    assert gp.version == 3
    redated = [a for a in audit_rows(app, "action") if "release date changed" in a.detail]
    assert len(redated) == 8 + 7           # the second move leaves the done action alone
    flags = app.release_planner.rows()[0].flags
    assert flags.before_bank_holiday and flags.long_sentence and not flags.friday


def test_remand_with_no_date(town):
    app, person, template_id = town
    app = on(app, D(2026, 11, 26))
    entry = app.custody.record_episode(CustodyEpisode(
        person.id, CustodyKind.REMAND, D(2026, 11, 20), prison_of(app), " b2345zz "))
    assert entry.episode.prison_number == "B2345ZZ"
    p = app.people.get(person.id)
    assert (p.legal_status, p.custody_release) == (LegalStatus.REMAND, None)
    app.people.update(replace(p, notes="Edited while on remand (fictional)"))   # no error: a flag
    row = app.release_planner.rows()[0]
    assert row.release is None and row.days_to_go is None and row.flags.remand_no_date
    result = app.continuity.apply(template_id, [entry.episode.id])
    assert result.action_ids == () and result.skipped == ((entry.episode.id, "no expected release date yet"),)
    assert app.custody.date_changes(entry.episode.id) == []
    # The court gives a date at short notice: the flag goes, the date is kept with the day learned.
    app.custody.learn_release_date(entry.episode.id, D(2026, 11, 30))
    row = app.release_planner.rows()[0]
    assert row.release == D(2026, 11, 30) and not row.flags.remand_no_date and row.days_to_go == 4
    assert app.people.get(person.id).custody_release == D(2026, 11, 30)
    # Sentenced custody always needs a date.
    with pytest.raises(ValidationError) as err:
        CustodyEpisode(person.id, CustodyKind.SENTENCED, D(2026, 1, 1)).validate()
    assert "expected_release" in err.value.errors


def test_apply_to_several_releases_is_one_undoable_audited_step(town):
    app, person, template_id = town
    app = on(app, D(2026, 11, 26))
    other = app.people.create(Person(reference="", given_name="Bo", family_name="Fictional"))
    e1 = app.custody.record_episode(CustodyEpisode(person.id, "sentenced", D(2026, 5, 1), prison_of(app),
                                                   expected_release=D(2026, 12, 11))).episode
    e2 = app.custody.record_episode(CustodyEpisode(other.id, "sentenced", D(2026, 6, 1), prison_of(app),
                                                   expected_release=D(2026, 12, 18))).episode
    with app.workspace.session() as s:
        before = s.scalar(select(func.count()).select_from(ActionRow))
    result = app.continuity.apply(template_id, [e1.id, e2.id])
    assert len(result.plan_ids) == 2 and len(result.action_ids) == 16
    assert [a.detail for a in audit_rows(app, "continuity_plan")] == [
        f"template applied: 2 plans, 16 actions; episodes={e1.id},{e2.id}"]
    again = app.continuity.apply(template_id, [e1.id])
    assert again.action_ids == () and "already has a plan" in again.skipped[0][1]

    assert app.continuity.undo(result) == 16
    with app.workspace.session() as s:
        assert s.scalar(select(func.count()).select_from(ActionRow)) == before
    assert app.continuity.plan(e1.id) is None
    assert audit_rows(app, "continuity_plan")[-1].operation == "erasure"

    # Once a partner has started on an action, the undo is refused and nothing changes.
    result = app.continuity.apply(template_id, [e1.id])
    app.actions.set_status(result.action_ids[0], ActionStatus.IN_PROGRESS)
    with pytest.raises(ConflictError):
        app.continuity.undo(result)
    assert len(app.continuity.plan(e1.id).steps) == 8


def test_entry_into_custody_proposes_referral_review_and_pausing(demo_app):
    app = demo_app
    person = next(p for p in app.people.list() if p.legal_status == "none" and p.open_actions >= 2)
    open_before = [a for a in app.people.page(person.id).actions if a.status in ("planned", "in_progress")]
    prison = prison_of(app)
    entry = app.custody.record_episode(CustodyEpisode(person.id, "remand", D(2026, 11, 25), prison,
                                                      "C3456ZZ", expected_release=D(2027, 2, 1)))
    kinds = [p.what for p in entry.proposals]
    assert kinds[:2] == ["referral", "review"]
    referral, review = entry.proposals[:2]
    assert referral.partner_id == prison and referral.due_date == D(2026, 11, 30)   # Sat 28 -> Mon 30
    assert review.partner_name == "Fictionbury Probation Service" and review.due_date == D(2027, 2, 1)
    paused = [p for p in entry.proposals if p.what == "pause"]
    assert paused and {p.action_id for p in paused} <= {a.id for a in open_before}
    # The user accepts the referral and one pause, not the rest.
    done = app.custody.accept_proposals(entry.episode.id, [referral, paused[0]])
    assert len(done) == 2
    page = app.people.page(person.id)
    assert any(a.description.startswith("Referral to the prison drug service") for a in page.actions)
    held = next(a for a in page.actions if a.id == paused[0].action_id)
    assert held.status == "blocked" and held.outcome.startswith("Paused: in custody from 25 Nov 2026")
    assert app.people.get(person.id).legal_status == LegalStatus.REMAND
    with pytest.raises(ValidationError):      # one current episode at a time
        app.custody.record_episode(CustodyEpisode(person.id, "remand", D(2026, 11, 26), prison))


def test_release_returns_the_legal_status_and_leaves_the_planner(town):
    app, person, _ = town
    app = on(app, D(2026, 11, 26))
    e = app.custody.record_episode(CustodyEpisode(person.id, "sentenced", D(2026, 5, 1), prison_of(app),
                                                  expected_release=D(2026, 11, 26))).episode
    assert [r.episode_id for r in app.release_planner.rows()] == [e.id]
    app.custody.record_release(e.id, D(2026, 11, 26))
    assert app.release_planner.rows() == []
    assert app.custody.current(person.id) is None
    views = app.custody.episodes(person.id)
    assert views[0].episode.actual_release == D(2026, 11, 26)
    p = app.people.get(person.id)
    assert (p.legal_status, p.custody_release) == (LegalStatus.NONE, None)
    with pytest.raises(ValidationError):
        app.custody.record_release(e.id, D(2026, 11, 26))


def test_planner_lists_releases_within_weeks_and_remand_sorted_by_date(demo_app):
    rows = demo_app.release_planner.rows(weeks=6)
    dates = [r.release for r in rows]
    assert dates == sorted(dates, key=lambda d: (d is None, d or D.min))
    assert rows[-1].release is None and rows[-1].flags.remand_no_date
    friday = rows[0]
    assert friday.release == D(2026, 11, 27) and friday.flags.friday and friday.flags.long_sentence
    assert friday.plan_status == "incomplete" and friday.establishment == "HMP Fictionbury"
    assert any(r.release == D(2026, 12, 24) and r.flags.before_bank_holiday for r in rows)
    assert any(r.kind == "remand" and r.release and r.release > D(2027, 1, 7) for r in rows)
    assert all(r.kind == "remand" or r.release <= D(2027, 1, 7) for r in rows)
    assert len(demo_app.release_planner.rows(weeks=1)) < len(rows)
    incomplete = demo_app.continuity.incomplete_plans(7)
    assert [(p.reference, p.status) for p in incomplete] == [(friday.reference, "incomplete")]
    assert demo_app.continuity.incomplete_plans(7, person_id=friday.person_id) == incomplete
    assert demo_app.continuity.incomplete_plans(7, person_id=rows[-1].person_id) == []
    with pytest.raises(ValidationError):
        demo_app.release_planner.rows(weeks=0)


def test_closures_and_nation_move_the_flags(demo_app):
    app = demo_app
    release = next(r for r in app.release_planner.rows() if r.release == D(2026, 12, 24))
    assert release.flags.before_bank_holiday
    closure = app.release_planner.add_closure(LocalClosure(D(2026, 12, 2), "Council closure (fictional)"))
    assert D(2026, 12, 2) in app.release_planner.closed_days(D(2026, 12, 1), D(2026, 12, 31))
    with pytest.raises(ValidationError):
        app.release_planner.add_closure(LocalClosure(D(2026, 12, 2), "Twice"))
    assert [c.on for c in app.release_planner.closures()].count(D(2026, 12, 2)) == 1
    app.release_planner.remove_closure(closure.id)
    assert D(2026, 12, 2) not in app.release_planner.closed_days(D(2026, 12, 1), D(2026, 12, 31))
    assert app.release_planner.nation() == "england"
    app.release_planner.set_nation("scotland")
    assert D(2026, 11, 30) in app.release_planner.closed_days(D(2026, 11, 1), D(2026, 11, 30))
    with pytest.raises(ValidationError):
        app.release_planner.set_nation("atlantis")


def test_template_editing(town):
    app, person, template_id = town
    view = app.continuity.template(template_id)
    steps = list(view.steps)
    steps[0] = replace(steps[0], offset_days=-1)
    del steps[-1]
    saved = app.continuity.save_template(view.template, steps)
    assert len(saved.steps) == 7 and saved.steps[0].offset_days == -1
    assert saved.steps[0].id == view.steps[0].id          # edited in place, not replaced
    with pytest.raises(ValidationError):
        app.continuity.save_template(replace(view.template, id=None), [])     # same name
    with pytest.raises(ValidationError):
        app.continuity.save_template(view.template, [replace(steps[0], title="")])
    # A plan made from the template outlives the template and its steps.
    e = app.custody.record_episode(CustodyEpisode(
        person.id, "sentenced", D(2026, 5, 1), prison_of(app), expected_release=D(2026, 12, 11))).episode
    app.continuity.apply(template_id, [e.id])
    app.continuity.delete_template(template_id)
    assert app.continuity.templates() == []
    plan = app.continuity.plan(e.id)
    assert plan.template_name == "" and len(plan.steps) == 7
    assert "Probation appointment on the day of release" in {st.title for st in plan.steps}
    assert app.custody.learn_release_date(e.id, D(2026, 12, 18)).moved      # still follows


def test_custody_suite_contacts_counted_by_hour_and_weekday(town):
    app, person, _ = town
    treatment = next(p.id for p in app.partners.list() if p.type == "drug_treatment")
    for when, outcome in [(datetime(2026, 11, 20, 22, 15), CommunicationOutcome.REFERRAL_MADE),   # Fri
                          (datetime(2026, 11, 21, 22, 40), CommunicationOutcome.REFERRAL_ACCEPTED),  # Sat
                          (datetime(2026, 11, 23, 10, 5), CommunicationOutcome.REFERRAL_DECLINED),   # Mon
                          (datetime(2026, 11, 23, 11, 0), CommunicationOutcome.DELIVERED)]:   # not a referral
        app.communications.record(Communication(person.id, when, CommunicationChannel.CUSTODY,
                                                delivered_by="Drug worker (fictional)",
                                                partner_id=treatment, outcome=outcome))
    counts = app.custody.custody_suite_counts(D(2026, 11, 1), D(2026, 11, 30))
    assert counts.total == 3 and counts.by_hour[22] == 2 and counts.by_hour[10] == 1
    assert counts.by_weekday == (1, 0, 0, 0, 1, 1, 0)
    assert counts.grid[5][22] == 1
    assert counts.by_outcome == {"referral_made": 1, "ref_accepted": 1, "ref_declined": 1}
    assert app.custody.custody_suite_counts(D(2026, 11, 21), D(2026, 11, 21)).total == 1


def test_a_release_date_typed_on_the_persons_page_is_kept_on_the_episode(demo_app):
    app = demo_app
    row = next(r for r in app.release_planner.rows() if r.plan_status == "incomplete")
    record = app.people.get(row.person_id)
    before = len(app.custody.date_changes(row.episode_id))
    app.people.update(replace(record, custody_release=D(2026, 12, 4)))
    changes = app.custody.date_changes(row.episode_id)
    assert len(changes) == before + 1
    assert (changes[-1].previous, changes[-1].expected_release, changes[-1].learned_on) == (
        D(2026, 11, 27), D(2026, 12, 4), D(2026, 11, 26))
    assert app.custody.current(row.person_id).episode.expected_release == D(2026, 12, 4)
    plan = app.continuity.plan(row.episode_id)
    naloxone = next(s.action for s in plan.steps if s.title == "Naloxone at the gate")
    assert naloxone.due_date == D(2026, 12, 4) and "release date changed" in naloxone.notes
    with pytest.raises(ValidationError):
        app.people.update(replace(record, custody_release=D(2020, 1, 1)))


def test_erasing_a_person_erases_their_custody_episodes_dates_and_plans(demo_app):
    from deterrence_desktop.store.tables_custody import (
        ContinuityPlanRow, CustodyEpisodeRow, PlanActionRow, ReleaseDateChangeRow,
    )
    row = next(r for r in demo_app.release_planner.rows() if r.plan_status == "incomplete")
    assert demo_app.retention.erasure_preview(row.person_id).counts["custody_episodes"] == 1
    report = demo_app.retention.erase(row.person_id, "Retention review: no longer needed (fictional)")
    assert report.counts["custody_episodes"] == 1
    with demo_app.workspace.session() as s:
        for table, column in ((CustodyEpisodeRow, CustodyEpisodeRow.id),
                              (ReleaseDateChangeRow, ReleaseDateChangeRow.episode_id),
                              (ContinuityPlanRow, ContinuityPlanRow.episode_id)):
            assert s.scalar(select(func.count()).select_from(table).where(column == row.episode_id)) == 0
        assert s.scalar(select(func.count()).select_from(PlanActionRow)) == 0


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
