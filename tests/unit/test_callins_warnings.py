"""The wizard's warnings about the event and the offers, and whom "Invite all" leaves out."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from deterrence_desktop.services import callin_warnings as W
from deterrence_desktop.services import callins as C
from test_callins import PURE_VALUES, pure_facts, walk_to

DEMO_CALL_IN = datetime(2026, 12, 10, 18, 30)      # the demo's planned call-in


def other(starts_at: datetime, id: int = 99) -> W.OtherCallIn:
    return W.OtherCallIn(id, "Call-in 2: Fictionbury groups", starts_at, "Fictionbury Community Centre")


def test_a_call_in_at_the_same_time_or_overlapping_is_warned_about():
    same = W.clash_warnings(DEMO_CALL_IN, (other(DEMO_CALL_IN),), C.EVENT)
    assert [w.kind for w in same] == ["clash"] and same[0].step == C.EVENT
    assert same[0].text == ("Another call-in is at the same date and time: Call-in 2: Fictionbury groups, "
                            "Thursday 10 December 2026 at 18:30 (Fictionbury Community Centre).")
    overlap = W.clash_warnings(datetime(2026, 12, 10, 19, 45), (other(DEMO_CALL_IN),), C.EVENT)
    assert len(overlap) == 1 and overlap[0].text.startswith("Another call-in overlaps this one")
    assert W.clash_warnings(datetime(2026, 12, 10, 20, 30), (other(DEMO_CALL_IN),), C.EVENT) == []
    assert W.clash_warnings(datetime(2026, 12, 11, 18, 30), (other(DEMO_CALL_IN),), C.EVENT) == []
    assert W.clash_warnings(None, (other(DEMO_CALL_IN),), C.EVENT) == []


def test_an_offer_from_a_partner_whose_agreement_ended_is_flagged():
    facts = replace(pure_facts(), agreements={
        7: W.Agreement(7, "Probation", "ISA-7", date(2025, 1, 1), None),
        8: W.Agreement(8, "Fictionbury Homes", "ISA-8", date(2025, 1, 1), date(2026, 11, 6))})
    answers = {**C.blank_answers(), **PURE_VALUES}
    warnings = C.wizard_warnings(answers, facts, {41: "Emergency housing referral"})
    isa = [w for w in warnings if w.kind == "isa_ended"]
    assert len(isa) == 1 and isa[0].step == C.MESSAGES
    assert isa[0].text.startswith("Emergency housing referral: the information-sharing agreement with "
                                  "Fictionbury Homes ended on 6 November 2026.")
    # Ending after today but before the call-in is flagged too; in force on the day is not.
    ends_first = W.Agreement(8, "Fictionbury Homes", "ISA-8", date(2025, 1, 1), date(2026, 12, 5))
    assert "before the call-in" in W.agreement_problem(ends_first, date(2026, 12, 10), date(2026, 11, 26))
    assert W.agreement_problem(ends_first, date(2026, 12, 5), date(2026, 11, 26)) is None
    assert W.agreement_problem(None, date(2026, 12, 10), date(2026, 11, 26)) is None


def test_invite_all_leaves_out_people_in_custody_and_keeps_choices():
    facts = pure_facts()
    cands = sorted(facts.candidates.values(), key=lambda c: c.reference)
    invitees, left_out = W.invite_all(cands, [], facts.starts_on, require=False)
    assert [i["person_id"] for i in invitees] == [1, 2] and not any(i["required"] for i in invitees)
    assert [c.reference for c in left_out] == ["FD-0003"]
    assert W.left_out_text(left_out) == ("1 person left out: in custody on the date (FD-0003). "
                                         "Tick them one by one to invite them all the same.")
    required, _ = W.invite_all(cands, [], facts.starts_on, require=True)
    assert [i["required"] for i in required] == [True, False]      # only where a licence allows
    kept, left = W.invite_all(cands, [{"person_id": 3, "required": False}], facts.starts_on, require=True)
    assert [i["person_id"] for i in kept] == [1, 2, 3] and left == []
    released = W.invite_all(cands, [], date(2026, 12, 20), require=False)[1]
    assert released == []                      # released before the date: invited


def test_the_demo_warns_of_its_own_call_in_and_its_ended_agreement(demo_app):
    state = walk_to(demo_app, C.MESSAGES)       # the event is on 10 Dec 2026 at 18:30, as the demo's
    data = demo_app.callins.step_data(state)
    assert [w.kind for w in data.warnings if w.step == C.EVENT] == ["clash"]
    homes = next(p for p in data.partners if p.label == "Fictionbury Homes")
    offer = next(o for o in data.offers if o.kind == "housing")
    state = C.record(state, {"lever_ids": [data.levers[0].id],
                             "offers": [{"intervention_id": offer.id, "partner_id": homes.id}]})
    data = demo_app.callins.step_data(state)
    isa = [w for w in data.warnings if w.kind == "isa_ended"]
    assert len(isa) == 1 and "Fictionbury Homes ended on" in isa[0].text
    review = dict(data.review)
    assert any(line.startswith("Warning: Another call-in") for line in review["Purpose and event"])
    assert any("Fictionbury Homes ended on" in line for line in review["Messages"])
    # A draft never clashes with itself.
    saved = demo_app.callins.save_draft(state)
    facts = demo_app.callins.facts(saved)
    assert saved.draft_id not in {o.id for o in facts.other_call_ins}
