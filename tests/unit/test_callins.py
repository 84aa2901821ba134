"""The call-in wizard's flow, walked without Qt: every step, Back, drafts, warnings, finish."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from deterrence_desktop.domain.enums import LegalStatus
from deterrence_desktop.domain.errors import PermissionDenied, ValidationError
from deterrence_desktop.services import callins as C
from deterrence_desktop.store.tables import (
    ActionRow, AuditEntryRow, CallInRow, InvitationRow,
)

EVENT_DAY = "2026-12-10T18:30"


def partner(data: C.StepData, kind: str) -> int:
    return next(o.id for o in data.partners if o.kind == kind)


def group(data: C.StepData, name: str) -> int:
    return next(o.id for o in data.groups if o.label == name)


def event_values(data: C.StepData, groups=("Copperfield Crew",)) -> dict:
    return {"title": "Call-in for the Copperfield Crew (fictional)", "purpose": "Stop the shootings",
            "starts_at": EVENT_DAY, "venue": "Fictionbury Magistrates' Court",
            "venue_notes": "Step-free entrance on Example Street",
            "group_ids": [group(data, g) for g in groups], "cohort_ids": []}


def invitee_values(data: C.StepData, n: int = 4) -> dict:
    cands = sorted(data.facts.candidates.values(), key=lambda c: c.reference)[:n]
    return {"invitees": [{"person_id": c.person_id, "required": c.can_require} for c in cands]}


def speaker_values(data: C.StepData) -> dict:
    return {"speakers": [
        {"role": "law_enforcement", "name": "Insp. Avery Demo", "partner_id": partner(data, "police"),
         "influencer_id": None},
        {"role": "moral_voice", "name": "Ruth Storyteller", "partner_id": partner(data, "community"),
         "influencer_id": None},
    ]}


def message_values(data: C.StepData) -> dict:
    offer = data.offers[0]
    return {"lever_ids": [data.levers[0].id, data.levers[1].id],
            "offers": [{"intervention_id": offer.id, "partner_id": partner(data, offer.kind)}]}


def logistics_values(data: C.StepData) -> dict:
    return {"delivery_partner_id": partner(data, "police"), "delivery_method": "in person",
            "delivery_due": "2026-12-03", "delivery_overrides": {}, "transport": "Minibus",
            "room_layout": "Horseshoe", "risk_assessment_done": False,
            "tasks": [{"kind": "risk_assessment", "description": "Assess the venue and the rivalries",
                       "partner_id": partner(data, "police"), "due_date": "2026-12-01"},
                      {"kind": "transport", "description": "Book the minibus",
                       "partner_id": partner(data, "council"), "due_date": "2026-12-08"}]}


FILLERS = {C.EVENT: event_values, C.INVITEES: invitee_values, C.SPEAKERS: speaker_values,
           C.MESSAGES: message_values, C.LOGISTICS: logistics_values, C.REVIEW: lambda d: {}}


def walk_to(app, target: str, state: C.WizardState | None = None) -> C.WizardState:
    """Fill each step with valid values and go Next until ``target`` is current."""
    state = state or app.callins.start()
    while state.current != target:
        data = app.callins.step_data(state)
        move = app.callins.next(state, FILLERS[state.current](data))
        assert move.ok, move.errors
        state = move.state
    return state


def counts(app) -> dict[str, int]:
    with app.workspace.session() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t))
                for t in (CallInRow, InvitationRow, ActionRow, AuditEntryRow)}


# -- pure flow: no database at all ------------------------------------------------------

def pure_facts() -> C.WizardFacts:
    cand = {
        1: C.InviteeCandidate(1, "FD-0001", "Alex Example", "licence", date(2027, 6, 1), None, 7,
                              "Probation", (10,), ("Red",), True, "Can be required"),
        2: C.InviteeCandidate(2, "FD-0002", "Kai Sample", "none", None, None, None, "", (11,),
                              ("Blue",), False, "Invite only"),
        3: C.InviteeCandidate(3, "FD-0003", "Reece Mock", "custody", None, date(2026, 12, 15), None,
                              "", (10,), ("Red",), False, "Invite only"),
    }
    return C.WizardFacts(today=date(2026, 11, 26), starts_on=date(2026, 12, 10), candidates=cand,
                         partner_ids=frozenset({7, 8}), group_ids=frozenset({10, 11}),
                         cohort_ids=frozenset({20}), influencer_ids=frozenset({30}),
                         lever_ids=frozenset({40}), offer_ids=frozenset({41}),
                         rival_pairs=frozenset({(10, 11)}), group_names={10: "Red", 11: "Blue"},
                         task_group_id=10)


PURE_VALUES = {
    C.EVENT: {"title": "T", "starts_at": EVENT_DAY, "venue": "Hall", "group_ids": [10, 11]},
    C.INVITEES: {"invitees": [{"person_id": 1, "required": True}, {"person_id": 2, "required": False},
                              {"person_id": 3, "required": False}]},
    C.SPEAKERS: {"speakers": [{"role": "moral_voice", "name": "A voice", "partner_id": None,
                               "influencer_id": 30}]},
    C.MESSAGES: {"lever_ids": [40], "offers": [{"intervention_id": 41, "partner_id": 8}]},
    C.LOGISTICS: {"delivery_partner_id": 7, "delivery_method": "letter", "delivery_due": "2026-12-01",
                  "risk_assessment_done": True, "tasks": []},
}


def test_pure_flow_walks_forward_and_back_through_every_step():
    facts = pure_facts()
    state = C.WizardState()
    assert not state.can_go_back
    visited = []
    while not state.is_last:
        visited.append(state.current)
        move = C.go_next(state, PURE_VALUES[state.current], facts)
        assert move.ok, move.errors
        state = move.state
    assert visited + [state.current] == list(C.STEP_IDS)
    assert C.validate_step(C.REVIEW, state.answers, facts) == {}
    # Back from the review to the start, one step at a time; nothing entered is lost.
    for expected in reversed(C.STEP_IDS[:-1]):
        state = C.go_back(state)
        assert state.current == expected
        for key, value in PURE_VALUES[expected].items():
            assert state.answers[expected][key] == value
    assert not state.can_go_back
    # Forward again without entering anything: the kept answers are still valid.
    while not state.is_last:
        move = C.go_next(state, None, facts)
        assert move.ok
        state = move.state
    assert state.current == C.REVIEW


def test_pure_back_keeps_invalid_input_and_next_refuses_it():
    facts = pure_facts()
    state = C.go_next(C.WizardState(), PURE_VALUES[C.EVENT], facts).state
    bad = {"invitees": [{"person_id": 2, "required": True}]}      # not on licence: invite only
    move = C.go_next(state, bad, facts)
    assert not move.ok and "FD-0002" in move.errors["invitees"]
    assert move.state.current == C.INVITEES
    back = C.go_back(move.state, bad)
    assert back.current == C.EVENT
    assert back.answers[C.INVITEES]["invitees"] == bad["invitees"]


def test_pure_go_to_from_review_returns_to_a_visited_step_only():
    facts = pure_facts()
    state = C.WizardState()
    while not state.is_last:
        state = C.go_next(state, PURE_VALUES[state.current], facts).state
    jumped = C.go_to(state, C.SPEAKERS)
    assert jumped.current == C.SPEAKERS and jumped.history == [C.EVENT, C.INVITEES]
    with pytest.raises(ValidationError):
        C.go_to(jumped, C.LOGISTICS)       # not behind us any more


def test_pure_warnings_custody_release_and_rivals():
    facts = pure_facts()
    warnings = C.invitee_warnings({**C.blank_answers(), C.INVITEES: PURE_VALUES[C.INVITEES]}, facts)
    kinds = {(w.kind, w.person_ids) for w in warnings}
    assert ("custody", (3,)) in kinds
    assert ("release_near", (3,)) in kinds             # 15 Dec is 5 days after the 10th
    rivals = [w for w in warnings if w.kind == "rivals"]
    assert len(rivals) == 1 and "Red" in rivals[0].text and "Blue" in rivals[0].text
    only_red = {**C.blank_answers(), C.INVITEES: {"invitees": [{"person_id": 1}]}}
    assert C.invitee_warnings(only_red, facts) == []


@pytest.mark.parametrize("step, values, field", [
    (C.EVENT, {"title": ""}, "title"),
    (C.EVENT, {"starts_at": "2026-11-01T18:00"}, "starts_at"),
    (C.EVENT, {"starts_at": "not a date"}, "starts_at"),
    (C.EVENT, {"venue": " "}, "venue"),
    (C.EVENT, {"group_ids": [], "cohort_ids": []}, "targets"),
    (C.EVENT, {"group_ids": [99]}, "targets"),
    (C.INVITEES, {"invitees": []}, "invitees"),
    (C.INVITEES, {"invitees": [{"person_id": 99}]}, "invitees"),
    (C.INVITEES, {"invitees": [{"person_id": 1}, {"person_id": 1}]}, "invitees"),
    (C.SPEAKERS, {"speakers": []}, "speakers"),
    (C.SPEAKERS, {"speakers": [{"role": "moral_voice", "name": "X", "partner_id": 7,
                                "influencer_id": 30}]}, "speakers"),
    (C.SPEAKERS, {"speakers": [{"role": "judge", "name": "X", "partner_id": 7}]}, "speakers"),
    (C.MESSAGES, {"lever_ids": []}, "lever_ids"),
    (C.MESSAGES, {"offers": [{"intervention_id": 41, "partner_id": None}]}, "offers"),
    (C.LOGISTICS, {"delivery_due": "2026-12-10"}, "delivery_due"),          # not before the event
    (C.LOGISTICS, {"delivery_due": "2026-11-20"}, "delivery_due"),          # in the past
    (C.LOGISTICS, {"delivery_partner_id": None}, "delivery_partner_id"),
    (C.LOGISTICS, {"risk_assessment_done": False, "tasks": []}, "risk_assessment_done"),
    (C.LOGISTICS, {"tasks": [{"kind": "transport", "description": "Bus", "partner_id": 7,
                              "due_date": "2026-12-12"}]}, "tasks"),
])
def test_pure_validation_refuses_each_broken_step(step, values, field):
    facts = pure_facts()
    answers = C.blank_answers()
    for k, v in PURE_VALUES.items():
        answers[k].update(v)
    assert C.validate_step(step, answers, facts) == {}
    answers[step].update(values)
    errors = C.validate_step(step, answers, facts)
    assert field in errors
    assert f"{step}.{field}" in C.validate_step(C.REVIEW, answers, facts)


def test_state_survives_json_round_trip():
    facts = pure_facts()
    state = C.go_next(C.WizardState(), PURE_VALUES[C.EVENT], facts).state
    again = C.WizardState.from_json(state.to_json(), draft_id=5)
    assert again.answers == state.answers and again.current == C.INVITEES
    assert again.history == [C.EVENT] and again.draft_id == 5


# -- with the demo workspace --------------------------------------------------------------

def test_wizard_walks_to_review_and_finish_creates_everything_in_one_go(demo_app):
    before = counts(demo_app)
    state = walk_to(demo_app, C.REVIEW)
    data = demo_app.callins.step_data(state)
    headings = [h for h, _ in data.review]
    assert headings == ["Purpose and event", "Invitees", "Speakers and roles", "Messages", "Logistics"]
    assert any("Finish creates 6 actions" in line for line in data.review[-1][1])
    call_in = demo_app.callins.finish(state)
    after = counts(demo_app)
    assert after["call_in"] == before["call_in"] + 1
    assert after["invitation"] == before["invitation"] + 4
    assert after["action"] == before["action"] + 6          # 4 invitations + 2 tasks
    with demo_app.workspace.session() as s:
        row = s.get(CallInRow, call_in.id)
        assert row.status == "planned" and row.details["speakers"][1]["role"] == "moral_voice"
        assert row.details["messages"]["lever_ids"] and row.details["logistics"]["transport"] == "Minibus"
        actions = list(s.scalars(select(ActionRow).where(ActionRow.call_in_id == call_in.id)))
        assert all(a.due_date < date(2026, 12, 10) for a in actions)
        assert {a.kind for a in actions} == {"communication", "analysis", "support"}
        assert sum(1 for a in actions if a.group_id is not None) == 2
        invs = list(s.scalars(select(InvitationRow).where(InvitationRow.call_in_id == call_in.id)))
        assert all("Fictionbury Police (in person)" == i.delivered_by for i in invs)
        entries = list(s.scalars(select(AuditEntryRow).where(AuditEntryRow.seq > 0)
                                 .order_by(AuditEntryRow.seq.desc()).limit(11)))
    entities = [e.entity for e in entries]
    assert entities.count("invitation") == 4 and entities.count("action") == 6
    assert entries[0].entity == "call_in" and "4 invitations, 6 actions" in entries[0].detail
    assert all(e.operation == "collection" for e in entries)
    assert demo_app.maintenance.check().ok


def test_required_only_for_people_on_licence_or_probation(demo_app):
    state = walk_to(demo_app, C.INVITEES)
    data = demo_app.callins.step_data(state)
    invite_only = next(c for c in data.facts.candidates.values() if not c.can_require)
    requirable = next(c for c in data.facts.candidates.values() if c.can_require)
    assert LegalStatus(requirable.legal_status) in (LegalStatus.LICENCE, LegalStatus.PROBATION)
    assert "supervised by Fictionbury Probation Service" in requirable.requirement
    move = demo_app.callins.next(state, {"invitees": [{"person_id": invite_only.person_id, "required": True}]})
    assert not move.ok and invite_only.reference in move.errors["invitees"]
    move = demo_app.callins.next(state, {"invitees": [{"person_id": requirable.person_id, "required": True}]})
    assert move.ok


def test_custody_and_release_warnings_from_the_workspace(demo_app):
    state = walk_to(demo_app, C.INVITEES)
    data = demo_app.callins.step_data(state)
    person_id = sorted(data.facts.candidates)[0]
    person = demo_app.people.get(person_id)
    demo_app.people.update(replace(person, legal_status=LegalStatus.REMAND,
                                   custody_release=date(2026, 12, 12), supervising_partner_id=None,
                                   legal_status_end=None))
    state = C.record(state, {"invitees": [{"person_id": person_id, "required": False}]})
    warnings = demo_app.callins.step_data(state).warnings
    assert {w.kind for w in warnings if person_id in w.person_ids} == {"custody", "release_near"}


def test_rivals_invited_together_are_warned(demo_app):
    state = walk_to(demo_app, C.EVENT)
    data = demo_app.callins.step_data(state)
    rivals = demo_app.groups.rivals(set(data.facts.group_names))
    a, b = sorted(rivals)[0]
    names = (data.facts.group_names[a], data.facts.group_names[b])
    state = C.go_next(state, event_values(data, names), data.facts).state
    data = demo_app.callins.step_data(state)
    both = [c for c in data.facts.candidates.values() if a in c.group_ids][:1] + \
           [c for c in data.facts.candidates.values() if b in c.group_ids][:1]
    state = C.record(state, {"invitees": [{"person_id": c.person_id} for c in both]})
    warnings = [w for w in demo_app.callins.step_data(state).warnings if w.kind == "rivals"]
    assert len(warnings) == 1 and names[0] in warnings[0].text and names[1] in warnings[0].text


@pytest.mark.parametrize("step", [C.EVENT, C.INVITEES, C.SPEAKERS, C.MESSAGES, C.LOGISTICS, C.REVIEW])
def test_draft_saved_at_any_step_resumes_there_and_finishes_as_the_same_call_in(demo_app, step):
    state = walk_to(demo_app, step)
    if step == C.EVENT:
        state = C.record(state, {"title": "Half-typed title"})
    saved = demo_app.callins.save_draft(state)
    assert saved.draft_id is not None
    drafts = [c for c in demo_app.callins.list() if c.status == "draft"]
    assert [d.id for d in drafts] == [saved.draft_id]
    resumed = demo_app.callins.resume_draft(saved.draft_id)
    assert resumed.current == step and resumed.history == state.history
    assert resumed.answers == state.answers and resumed.draft_id == saved.draft_id
    # Saving again updates the same draft.
    again = demo_app.callins.save_draft(C.record(resumed, {}))
    assert again.draft_id == saved.draft_id
    before = counts(demo_app)["call_in"]
    if step == C.EVENT:
        resumed = C.record(resumed, {"title": ""})
    final = walk_to(demo_app, C.REVIEW, resumed)
    call_in = demo_app.callins.finish(final)
    assert call_in.id == saved.draft_id and call_in.status == "planned"
    assert counts(demo_app)["call_in"] == before
    with pytest.raises(ValidationError):
        demo_app.callins.resume_draft(saved.draft_id)     # no longer a draft


def test_back_in_the_service_flow_loses_nothing(demo_app):
    state = walk_to(demo_app, C.REVIEW)
    answers = state.answers
    while state.can_go_back:
        state = C.go_back(state)
    assert state.current == C.EVENT and state.answers == answers
    final = walk_to(demo_app, C.REVIEW, state)
    assert final.answers == answers


def test_finish_refuses_an_invalid_state_and_writes_nothing(demo_app):
    state = walk_to(demo_app, C.REVIEW)
    state.answers[C.LOGISTICS]["delivery_due"] = "2026-12-24"       # after the event
    before = counts(demo_app)
    with pytest.raises(ValidationError) as info:
        demo_app.callins.finish(state)
    assert "logistics.delivery_due" in info.value.errors
    assert counts(demo_app) == before


def test_finish_is_one_transaction(demo_app, monkeypatch):
    state = walk_to(demo_app, C.REVIEW)
    before = counts(demo_app)
    calls = []

    def failing(uow, act):
        calls.append(act)
        if len(calls) == 3:
            raise RuntimeError("disk full (simulated)")
        uow.session.add(act)
        uow.session.flush()
        return 1
    monkeypatch.setattr(C.CallInService, "_add_action", staticmethod(failing))
    with pytest.raises(RuntimeError):
        demo_app.callins.finish(state)
    assert counts(demo_app) == before


def test_analyst_cannot_finish_or_save_a_draft(demo_app):
    state = walk_to(demo_app, C.REVIEW)
    analyst = demo_app.as_user("demo.analyst")
    with pytest.raises(PermissionDenied):
        analyst.callins.finish(state)
    with pytest.raises(PermissionDenied):
        analyst.callins.save_draft(state)


def test_discard_draft(demo_app):
    saved = demo_app.callins.save_draft(walk_to(demo_app, C.SPEAKERS))
    demo_app.callins.discard_draft(saved.draft_id)
    assert all(c.id != saved.draft_id for c in demo_app.callins.list())


def test_a_cohort_only_call_in_files_event_tasks_under_the_invitees_commonest_group(demo_app):
    state = demo_app.callins.start()
    data = demo_app.callins.step_data(state)
    values = event_values(data, groups=()) | {"cohort_ids": [data.cohorts[0].id]}
    state = demo_app.callins.next(state, values).state
    assert state.current == C.INVITEES
    data = demo_app.callins.step_data(state)
    members = {m.person_id for m in demo_app.cohorts.members(data.cohorts[0].id)}
    assert set(data.facts.candidates) == members
    state = demo_app.callins.next(state, invitee_values(data, n=6)).state
    state = walk_to(demo_app, C.REVIEW, state)
    facts = demo_app.callins.facts(state)
    from collections import Counter
    commonest = Counter(g for p in state.invitee_ids() for g in facts.candidates[p].group_ids).most_common(1)[0][0]
    assert facts.task_group_id == commonest
    call_in = demo_app.callins.finish(state)
    with demo_app.workspace.session() as s:
        groups = {a.group_id for a in s.scalars(select(ActionRow).where(
            ActionRow.call_in_id == call_in.id, ActionRow.person_id.is_(None)))}
    assert groups == {commonest}


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
