"""After the call-in: attendance, proposed follow-ups, and the call-in page's figures."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.enums import AttendanceStatus as A
from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.domain.model import message_given
from deterrence_desktop.services import callins as C
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.tables import (
    ActionRow, AuditEntryRow, CommunicationRow, CustomNotificationRow,
)
from test_callins import walk_to

DEMO_TODAY = date(2026, 11, 26)


@pytest.fixture
def demo_app(demo_app):
    """The demo workspace the day after the call-in planned below (10 Dec 2026)."""
    return WorkspaceServices(demo_app.workspace, demo_app.actor, today=date(2026, 12, 11))


@pytest.fixture
def planned(demo_app):
    """A call-in planned (on 26 Nov) through the wizard, four invitees, one offer on the night."""
    planner = WorkspaceServices(demo_app.workspace, demo_app.actor, today=DEMO_TODAY)
    call_in = planner.callins.finish(walk_to(planner, C.REVIEW))
    page = demo_app.callins.page(call_in.id)
    assert len(page.invitations) == 4
    return call_in, page


def test_attendance_is_refused_before_the_day(demo_app, planned):
    call_in, page = planned
    before = WorkspaceServices(demo_app.workspace, demo_app.actor, today=DEMO_TODAY)
    with pytest.raises(ValidationError) as info:
        before.callins.record_attendance(call_in.id, {page.invitations[0].person_id: (A.ATTENDED, False)})
    assert info.value.errors["status"] == ("Attendance can be recorded from the day of the call-in, "
                                           "10 December 2026.")
    assert C.attendance_not_yet(call_in.starts_at, date(2026, 12, 10)) is None


def test_two_no_shows_give_two_proposed_follow_ups(demo_app, planned):
    call_in, page = planned
    a, b, c, d = (i.person_id for i in page.invitations)
    proposals = demo_app.callins.record_attendance(call_in.id, {
        a: (A.NO_SHOW, False), b: (A.NO_SHOW, False), c: (A.ATTENDED, False), d: (A.LATE, False)})
    no_shows = [p for p in proposals if p.kind == "custom_notification"]
    assert sorted(p.person_id for p in no_shows) == sorted([a, b])
    assert all("home_visit" in p.alternatives for p in no_shows)
    assert len(proposals) == 2
    # The call-in is now held; attendees and no-shows have a call-in communication each.
    assert demo_app.callins.get(call_in.id).status == "held"
    with demo_app.workspace.session() as s:
        comms = {p: o for p, o in s.execute(select(CommunicationRow.person_id, CommunicationRow.outcome)
                                            .where(CommunicationRow.call_in_id == call_in.id))}
    assert comms == {a: "no_show", b: "no_show", c: "attended", d: "attended"}


def test_accepting_follow_ups_creates_actions_and_a_planned_notification(demo_app, planned):
    call_in, page = planned
    a, b, c, d = (i.person_id for i in page.invitations)
    proposals = demo_app.callins.record_attendance(call_in.id, {
        a: (A.NO_SHOW, False), b: (A.NO_SHOW, False), c: (A.ATTENDED, True), d: (A.EXCUSED, False)})
    referral = [p for p in proposals if p.kind == "referral"]
    assert [p.person_id for p in referral] == [c]
    home_visit = next(p for p in proposals if p.person_id == b)
    chosen = [next(p for p in proposals if p.person_id == a),
              C.FollowUpProposal(**{**home_visit.__dict__, "kind": "home_visit"}), referral[0]]
    ids = demo_app.callins.accept_follow_ups(call_in.id, chosen)
    assert len(ids) == 3
    with demo_app.workspace.session() as s:
        acts = {r.person_id: r for r in s.scalars(select(ActionRow).where(ActionRow.id.in_(ids)))}
        notes = list(s.scalars(select(CustomNotificationRow).where(CustomNotificationRow.person_id == a)))
    assert acts[a].kind == "communication" and "Custom notification" in acts[a].description
    assert acts[b].description.startswith("Home visit")
    assert acts[c].kind == "support" and acts[c].description.startswith("Referral")
    assert all(act.call_in_id == call_in.id for act in acts.values())
    assert len(notes) == 1 and notes[0].action_id == acts[a].id and notes[0].legal_risk_summary
    # Nothing is proposed twice.
    assert demo_app.callins.proposals(call_in.id) == []
    assert demo_app.callins.accept_follow_ups(call_in.id, chosen) == []
    # The page's figures: 1 of 3 expected attended (excused does not count), 1 help, 1 referral.
    stats = demo_app.callins.page(call_in.id).stats
    assert stats.attendance_rate == pytest.approx(1 / 3)
    assert (stats.help_requests, stats.referrals, stats.attended) == (1, 1, 1)
    summary = next(x for x in demo_app.callins.list() if x.id == call_in.id)
    assert summary == stats


def test_attendance_is_audited_per_invitation(demo_app, planned):
    call_in, page = planned
    first = page.invitations[0]
    demo_app.callins.record_attendance(call_in.id, {first.person_id: (A.ATTENDED, True)})
    with demo_app.workspace.session() as s:
        entries = list(s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == "invitation",
                                                              AuditEntryRow.operation == "alteration")))
    assert len(entries) == 1 and entries[0].entity_ref == str(first.id)
    assert "attendance" in entries[0].detail and "asked_for_help" in entries[0].detail
    assert first.name not in entries[0].detail


def test_recording_again_does_not_duplicate_communications(demo_app, planned):
    call_in, page = planned
    pid = page.invitations[0].person_id
    demo_app.callins.record_attendance(call_in.id, {pid: (A.ATTENDED, False)})
    demo_app.callins.record_attendance(call_in.id, {pid: (A.ATTENDED, True)})
    with demo_app.workspace.session() as s:
        n = len(list(s.scalars(select(CommunicationRow).where(CommunicationRow.call_in_id == call_in.id))))
    assert n == 1


def test_attendance_refused_for_someone_not_invited_or_a_draft(demo_app, planned):
    call_in, page = planned
    with pytest.raises(ValidationError):
        demo_app.callins.record_attendance(call_in.id, {999_999: (A.ATTENDED, False)})
    draft = demo_app.callins.save_draft(demo_app.callins.start())
    with pytest.raises(ValidationError):
        demo_app.callins.record_attendance(draft.draft_id, {})


def test_demo_call_in_without_offers_refers_by_need(demo_app):
    held = next(c for c in demo_app.callins.list() if c.status == "held")
    page = demo_app.callins.page(held.id)
    assert held.attendance_rate is not None and 0 < held.attendance_rate <= 1
    helped = [i for i in page.invitations if i.asked_for_help and i.attendance in C.ATTENDED]
    proposals = demo_app.callins.proposals(held.id)
    referred = {p.person_id for p in proposals if p.kind == "referral"}
    assert referred <= {i.person_id for i in helped}
    for p in proposals:
        if p.kind == "referral":
            person = demo_app.people.get(p.person_id)
            assert person.needs, "a referral without offers on the night comes from a need"


def test_attendance_rate_rules():
    assert C.attendance_rate([]) is None
    assert C.attendance_rate(["invited", "invited"]) is None
    assert C.attendance_rate(["attended", "late", "no_show", "excused", "in_custody"]) == pytest.approx(2 / 3)


def test_cancelling_a_planned_call_in_cancels_its_open_actions(demo_app, planned):
    call_in, page = planned
    assert demo_app.callins.cancel(call_in.id) == 6
    assert demo_app.callins.get(call_in.id).status == "cancelled"
    with demo_app.workspace.session() as s:
        statuses = set(s.scalars(select(ActionRow.status).where(ActionRow.call_in_id == call_in.id)))
    assert statuses == {"cancelled"}
    with pytest.raises(ValidationError):
        demo_app.callins.cancel(call_in.id)
    with pytest.raises(ValidationError):
        demo_app.callins.record_attendance(call_in.id, {})


def test_a_no_show_is_recorded_but_never_counts_as_the_message_given(demo_app, planned):
    call_in, page = planned
    a, b, c, d = (i.person_id for i in page.invitations)
    before = demo_app.contacts.counts()
    given_before = {p: demo_app.people.page(p).messages_given for p in (a, c)}
    demo_app.callins.record_attendance(call_in.id, {
        a: (A.NO_SHOW, False), b: (A.NO_SHOW, False), c: (A.ATTENDED, False), d: (A.LATE, False)})
    with demo_app.workspace.session() as s:
        comms = {r.person_id: r for r in s.scalars(select(CommunicationRow).where(
            CommunicationRow.call_in_id == call_in.id))}
    no_show, attended = comms[a], comms[c]
    assert (no_show.outcome, no_show.deterrence_message, no_show.support_offer) == ("no_show", False, False)
    assert no_show.delivered_by == "" and no_show.message.startswith("Did not attend the call-in")
    assert (attended.outcome, attended.deterrence_message, attended.support_offer) == ("attended", True, True)
    # The person's page: a contact, not a message given; the attendee's message counts.
    assert demo_app.people.page(a).messages_given == given_before[a]
    assert "Call-in speakers" not in demo_app.people.page(a).deliverers()
    assert demo_app.people.page(c).messages_given == given_before[c] + 1
    # The counts: four more contacts, two more messages given.
    after = demo_app.contacts.counts()
    assert after.total == before.total + 4
    assert after.messages_given == before.messages_given + 2
    # The rule, in the domain: only a delivered, attended or sent message was given.
    assert [message_given(o) for o in ("delivered", "attended", "sent", "no_show", "refused", "not_found")] \
        == [True, True, True, False, False, False]
    # The timeline shows the no-show as a no-show, with no message given.
    entry = next(e for e in demo_app.contacts.timeline(a)
                 if e.kind == "communication" and e.channel == "call_in")
    assert (entry.outcome, entry.messages) == ("no_show", "not given")


def test_correcting_attendance_corrects_the_call_in_communication(demo_app, planned):
    call_in, page = planned
    pid = page.invitations[0].person_id
    demo_app.callins.record_attendance(call_in.id, {pid: (A.ATTENDED, False)})
    demo_app.callins.record_attendance(call_in.id, {pid: (A.NO_SHOW, False)})
    with demo_app.workspace.session() as s:
        comms = list(s.scalars(select(CommunicationRow).where(CommunicationRow.call_in_id == call_in.id)))
        audit = s.scalars(select(AuditEntryRow).where(
            AuditEntryRow.entity == "communication", AuditEntryRow.operation == "alteration")
            .order_by(AuditEntryRow.seq.desc())).first()
    assert len(comms) == 1 and comms[0].outcome == "no_show" and not comms[0].deterrence_message
    assert audit.entity_ref == str(comms[0].id) and "outcome" in audit.detail


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
