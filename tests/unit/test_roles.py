"""Roles are enforced by the services: refusals raise PermissionDenied and are audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.enums import ActionStatus, AuditOperation, Role
from deterrence_desktop.domain.errors import PermissionDenied
from deterrence_desktop.domain.model import Action, Cohort, Group, Partner, Person, User
from deterrence_desktop.services.actions import ActionFilter
from deterrence_desktop.store.tables import ActionRow, AuditEntryRow, PartnerRow


def _refusals(app, entity=None):
    with app.workspace.session() as s:
        q = select(AuditEntryRow).where(AuditEntryRow.detail.like("refused:%"))
        if entity:
            q = q.where(AuditEntryRow.entity == entity)
        return [(r.username, r.operation, r.entity, r.entity_ref) for r in s.scalars(q)]


def _on_server(app) -> bool:
    return getattr(app.workspace, "kind", "file") == "server"


@pytest.fixture
def officer(demo_app):
    return demo_app.as_user("demo.officer")


def _other_agency_action(app, officer_partner):
    with app.workspace.session() as s:
        return s.scalar(select(ActionRow.id).where(ActionRow.partner_id != officer_partner)
                        .order_by(ActionRow.id).limit(1))


def test_officer_is_refused_another_agencys_action_and_it_is_audited(demo_app, officer):
    other = _other_agency_action(demo_app, officer.actor.partner_id)
    before = demo_app.actions.get(other)
    with pytest.raises(PermissionDenied, match="partner officer"):
        officer.actions.get(other)
    with pytest.raises(PermissionDenied):
        officer.actions.set_status(other, ActionStatus.DONE, "closed by the wrong agency")
    changed = before.__class__(**{**before.__dict__, "notes": "edited by another agency"})
    with pytest.raises(PermissionDenied):
        officer.actions.update(changed)
    # Nothing changed, and each refusal is in the trail, naming the officer and the action.
    assert demo_app.actions.get(other) == before
    refusals = _refusals(demo_app, "action")
    if _on_server(demo_app):
        # The server's row-level security hides the action before the service sees what
        # was attempted: each attempt is refused as a consultation of it.
        assert refusals.count(("demo.officer", "consultation", "action", str(other))) == 3
    else:
        assert refusals.count(("demo.officer", "consultation", "action", str(other))) == 2
        assert ("demo.officer", "alteration", "action", str(other)) in refusals
    assert demo_app.maintenance.check().ok


def test_officer_sees_and_updates_only_own_agency(demo_app, officer):
    mine = officer.actions.list(ActionFilter())
    assert mine and {a.partner_id for a in mine} == {officer.actor.partner_id}
    total = len(demo_app.actions.list(ActionFilter()))
    assert len(mine) < total
    own = next(a for a in mine if a.status != "done")
    updated = officer.actions.set_status(own.id, ActionStatus.DONE, "done (fictional)")
    assert updated.status == ActionStatus.DONE
    # Moving an own action to another agency is refused too.
    other_partner = next(p.id for p in demo_app.partners.all() if p.id != officer.actor.partner_id)
    action = officer.actions.get(own.id)
    action.partner_id = other_partner
    with pytest.raises(PermissionDenied):
        officer.actions.update(action)


def test_officer_sees_only_the_people_their_actions_concern(demo_app, officer):
    people = officer.people.list()
    everyone = demo_app.people.list()
    assert 0 < len(people) < len(everyone)
    with demo_app.workspace.session() as s:
        concerned = set(s.scalars(select(ActionRow.person_id).where(
            ActionRow.partner_id == officer.actor.partner_id)))
    assert {p.id for p in people} <= concerned
    stranger = next(p for p in everyone if p.id not in concerned)
    with pytest.raises(PermissionDenied):
        officer.people.page(stranger.id)
    with pytest.raises(PermissionDenied):
        officer.communications.timeline(stranger.id)
    page = officer.people.page(people[0].id)
    assert all(a.partner_id == officer.actor.partner_id for a in page.actions)
    # On a server the officer never learns a hidden person's reference: the id is named.
    named = str(stranger.id) if _on_server(demo_app) else stranger.reference
    assert ("demo.officer", "consultation", "person", named) in _refusals(demo_app)
    with pytest.raises(PermissionDenied):
        officer.people.create(Person(reference="", given_name="Fictional", family_name="Refused"))
    with pytest.raises(PermissionDenied):
        officer.groups.page(demo_app.groups.list()[0].id)


def test_analyst_reads_all_edits_groups_and_cohorts_but_not_people_or_actions(demo_app):
    analyst = demo_app.as_user("demo.analyst")
    assert len(analyst.people.list()) == len(demo_app.people.list())
    analyst.groups.create(Group(name="Analyst's fictional group", type="street_group"))
    analyst.cohorts.create(Cohort(name="Analyst's fictional cohort"))
    person = analyst.people.get(analyst.people.list()[0].id)
    person.notes = "analyst edit"
    with pytest.raises(PermissionDenied):
        analyst.people.update(person)
    a = analyst.actions.list(ActionFilter(limit=1))[0]
    with pytest.raises(PermissionDenied):
        analyst.actions.set_status(a.id, ActionStatus.DONE)
    with pytest.raises(PermissionDenied):
        analyst.partners.create(Partner(name="Refused partner (fictional)", type="police"))
    with pytest.raises(PermissionDenied):
        analyst.users.create(User(username="sneaky", display_name="Not Allowed"))
    with pytest.raises(PermissionDenied):
        analyst.people.require_names_export("tracker")
    ops = {(e, o) for _, o, e, _ in _refusals(demo_app)}
    assert ("person", "alteration") in ops and ("partner", "collection") in ops
    assert ("user", "collection") in ops and ("tracker", "disclosure") in ops


def test_officer_cannot_create_for_another_agency(demo_app, officer):
    with demo_app.workspace.session() as s:
        other = s.scalar(select(PartnerRow.id).where(PartnerRow.id != officer.actor.partner_id))
    person_id = officer.people.list()[0].id
    with pytest.raises(PermissionDenied):
        officer.actions.create(Action(partner_id=other, kind="support", person_id=person_id,
                                      description="Fictional refused action"))
    mine = officer.actions.create(Action(partner_id=officer.actor.partner_id, kind="support",
                                         person_id=person_id, description="Fictional own action"))
    assert mine.id


def test_partner_officer_role_is_checked_on_every_mutation_of_users(demo_app, officer):
    with pytest.raises(PermissionDenied):
        officer.users.set_password("demo.coordinator", "a fictional password")
    assert Role(officer.actor.role) == Role.PARTNER_OFFICER
    assert AuditOperation.ALTERATION.value in {o for _, o, e, _ in _refusals(demo_app, "user")}


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
