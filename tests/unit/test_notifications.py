"""Custom notifications and the communications log queries."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.domain.model import Communication
from deterrence_desktop.services.notifications import CustomNotification
from deterrence_desktop.store.tables import ActionRow, AuditEntryRow, CommunicationRow


def person_with(app, status: str):
    return next(p for p in app.people.list() if p.legal_status == status and p.groups)


def plan_for(app, person_id: int, **kw) -> CustomNotification:
    risk = app.notifications.legal_risk(person_id)
    n = CustomNotification(person_id=person_id, partner_id=risk.suggested_partner_id,
                           delivered_by=risk.suggested_deliverer, legal_risk_summary=risk.text,
                           lever_ids=list(risk.lever_ids), offer_ids=list(risk.offer_ids),
                           support_offer=risk.support_offer, place="Home address",
                           planned_for=date(2026, 11, 30))
    for k, v in kw.items():
        setattr(n, k, v)
    return app.notifications.plan(n)


def test_legal_risk_summary_follows_legal_status_and_groups(demo_app):
    on_licence = person_with(demo_app, "licence")
    risk = demo_app.notifications.legal_risk(on_licence.id)
    names = {o.id: o.label for o in risk.levers}
    applied = {names[i] for i in risk.lever_ids}
    assert "Licence recall" in applied and "Banked case reactivated" in applied
    assert "On licence until" in risk.text and on_licence.groups[0] in risk.text
    assert risk.suggested_deliverer == "probation"
    assert on_licence.given_name not in risk.text          # the summary names the reference
    free = next(p for p in demo_app.people.list() if p.legal_status == "none" and p.groups)
    risk = demo_app.notifications.legal_risk(free.id)
    applied = {o.label for o in risk.levers if o.id in risk.lever_ids}
    assert "Licence recall" not in applied and "Banked case reactivated" in applied
    assert risk.suggested_deliverer == "police" and risk.offer_ids
    with demo_app.workspace.session() as s:
        last = s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)).one()
    assert (last.operation, last.detail) == ("consultation", "legal-risk summary")


def test_planned_notification_is_an_action(demo_app):
    person = person_with(demo_app, "probation")
    n = plan_for(demo_app, person.id)
    assert n.id is not None and n.outcome == "" and n.action_id is not None
    action = demo_app.actions.get(n.action_id)
    assert action.person_id == person.id and action.kind == "communication"
    assert action.due_date == date(2026, 11, 30) and action.status == "planned"
    assert [v.id for v in demo_app.notifications.list(person.id, open_only=True)] == [n.id]


def test_delivering_writes_a_communication_and_closes_the_action(demo_app):
    person = person_with(demo_app, "none")
    n = plan_for(demo_app, person.id)
    done = demo_app.notifications.record_outcome(n.id, "delivered", datetime(2026, 11, 26, 10, 30),
                                                 note="Mother present")
    assert done.outcome == "delivered" and done.communication_id is not None
    with demo_app.workspace.session() as s:
        comm = s.get(CommunicationRow, done.communication_id)
        act = s.get(ActionRow, n.action_id)
    assert comm.channel == "custom_notification" and comm.outcome == "delivered"
    assert comm.person_id == person.id and comm.support_offer and comm.deterrence_message
    assert act.status == "done" and "delivered" in act.outcome
    with pytest.raises(ValidationError):
        demo_app.notifications.record_outcome(n.id, "refused", datetime(2026, 11, 26, 11, 0))


def test_not_found_keeps_the_action_open_for_another_attempt(demo_app):
    person = person_with(demo_app, "bail")
    n = plan_for(demo_app, person.id)
    demo_app.notifications.record_outcome(n.id, "not_found", datetime(2026, 11, 25, 18, 0))
    assert demo_app.actions.get(n.action_id).status == "in_progress"
    assert [v.id for v in demo_app.notifications.list(person.id, open_only=True)] == [n.id]
    demo_app.notifications.record_outcome(n.id, "delivered", datetime(2026, 11, 26, 9, 0))
    assert demo_app.actions.get(n.action_id).status == "done"
    timeline = demo_app.contacts.timeline(person.id)
    mine = [e for e in timeline if e.channel == "custom_notification" and e.kind == "communication"]
    assert [e.outcome for e in mine][:2] == ["delivered", "not_found"]


def test_delivery_by_an_influencer_needs_one_of_the_persons_influencers(demo_app):
    people = [p for p in demo_app.people.list() if p.groups]
    with_infl = next(p for p in people if demo_app.notifications.legal_risk(p.id).influencers)
    other = next(p for p in people if p.id != with_infl.id)
    infl = demo_app.notifications.legal_risk(with_infl.id).influencers[0]
    with pytest.raises(ValidationError) as info:
        plan_for(demo_app, with_infl.id, delivered_by="influencer")
    assert "influencer_id" in info.value.errors
    with pytest.raises(ValidationError):
        plan_for(demo_app, other.id, delivered_by="influencer", influencer_id=infl.id)
    n = plan_for(demo_app, with_infl.id, delivered_by="influencer", influencer_id=infl.id)
    done = demo_app.notifications.record_outcome(n.id, "refused", datetime(2026, 11, 26, 12, 0))
    with demo_app.workspace.session() as s:
        comm = s.get(CommunicationRow, done.communication_id)
    assert comm.influencer_id == infl.id and comm.outcome == "refused"


def test_notification_validation_names_fields(demo_app):
    person = person_with(demo_app, "none")
    with pytest.raises(ValidationError) as info:
        plan_for(demo_app, person.id, place=" ", planned_for=None, partner_id=None)
    assert {"place", "planned_for", "partner_id"} <= set(info.value.errors)


# -- communications log --------------------------------------------------------------------

def test_timeline_has_contacts_call_ins_and_planned_notifications_newest_first(demo_app):
    held = next(c for c in demo_app.callins.list() if c.status == "held")
    person_id = demo_app.callins.page(held.id).invitations[0].person_id
    plan_for(demo_app, person_id, planned_for=date(2026, 12, 2))
    demo_app.communications.record(Communication(
        person_id=person_id, occurred_at=datetime(2026, 11, 26, 9, 0), channel="phone",
        delivered_by="PO Sample Two", outcome="delivered"))
    timeline = demo_app.contacts.timeline(person_id)
    kinds = {e.kind for e in timeline}
    assert kinds >= {"communication", "call_in", "notification_planned"}
    assert timeline == sorted(timeline, key=lambda e: e.when, reverse=True)
    assert timeline[0].kind == "notification_planned"
    assert timeline[1].channel == "phone" and timeline[1].delivered_by == "PO Sample Two"


def test_not_contacted_in_n_days_for_a_cohort(demo_app):
    cohort = demo_app.cohorts.list()[0]
    members = {m.person_id for m in demo_app.cohorts.members(cohort.id)}
    rows = demo_app.contacts.not_contacted(30, cohort.id)
    assert rows and {r.person_id for r in rows} <= members
    assert all(r.days is None or r.days > 30 for r in rows)
    assert [r.days for r in rows if r.days is not None] == sorted(
        (r.days for r in rows if r.days is not None), reverse=True)
    target = rows[0]
    demo_app.communications.record(Communication(
        person_id=target.person_id, occurred_at=datetime(2026, 11, 25, 15, 0), channel="home_visit"))
    again = demo_app.contacts.not_contacted(30, cohort.id)
    assert target.person_id not in {r.person_id for r in again}
    assert len(again) == len(rows) - 1


def test_counts_by_channel_and_partner_add_up(demo_app):
    counts = demo_app.contacts.counts()
    assert counts.total == 200
    assert sum(n for _, n in counts.by_partner) == 200 == sum(n for _, n in counts.by_outcome)
    assert "Fictionbury Police" in dict(counts.by_partner)
    recent = demo_app.contacts.counts(days=30)
    assert 0 < recent.total < 200
    assert len(demo_app.contacts.recent(days=30)) == recent.total


def test_form_choices_list_the_persons_influencers_and_call_ins(demo_app):
    held = next(c for c in demo_app.callins.list() if c.status == "held")
    person_id = demo_app.callins.page(held.id).invitations[0].person_id
    choices = demo_app.contacts.form_choices(person_id)
    assert held.id in {o.id for o in choices.call_ins}
    assert len(choices.partners) == 8


def test_a_partner_officer_sees_only_the_people_their_agency_acts_for(demo_app):
    officer = demo_app.as_user("demo.officer")           # Fictionbury Police
    police = demo_app.partners.by_name("Fictionbury Police").id
    mine = {a.person_id for a in demo_app.actions.list() if a.partner_id == police and a.person_id}
    others = [p.id for p in demo_app.people.list() if p.id not in mine]
    assert mine and others
    assert {c.person_id for c in officer.contacts.recent(days=None)} <= mine
    assert {r.person_id for r in officer.contacts.not_contacted(30)} <= mine
    assert officer.contacts.counts().total < demo_app.contacts.counts().total
    from deterrence_desktop.domain.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        officer.contacts.timeline(others[0])
    with pytest.raises(PermissionDenied):
        officer.notifications.legal_risk(others[0])
    assert officer.contacts.timeline(sorted(mine)[0]) is not None
    held = next(c for c in demo_app.callins.list() if c.status == "held")
    page = officer.callins.page(held.id)
    assert {i.person_id for i in page.invitations} <= mine
    # On a server the officer's session holds only the invitations of its agency's people
    # (row-level security), so the call-in's figures count those; on a file, everyone's.
    on_server = getattr(demo_app.workspace, "kind", "file") == "server"
    assert page.stats.invited == (len(page.invitations) if on_server else 15)


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
