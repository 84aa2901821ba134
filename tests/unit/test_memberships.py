"""Group memberships, influencers and cohort places: added, changed, removed and put back,
each in one transaction with its audit entry."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.errors import PermissionDenied, ValidationError
from deterrence_desktop.domain.model import CohortMember, Influencer, Membership
from deterrence_desktop.store.tables import AuditEntryRow


def _newest(app, n=1):
    with app.workspace.session() as s:
        return list(s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(n)))


def _person_and_free_group(app):
    people = app.people.list()
    groups = app.groups.list()
    for p in people:
        page = app.people.page(p.id)
        current = {m.group_id for m in page.memberships if m.end is None}
        free = [g for g in groups if g.id not in current]
        if free:
            return page, free[0]
    raise AssertionError("the demo has no person outside a group")


def test_membership_added_changed_ended_removed_and_put_back(demo_app):
    page, group = _person_and_free_group(demo_app)
    m = demo_app.groups.add_member(Membership(page.person.id, group.id, "runner", date(2026, 1, 5)))
    assert _newest(demo_app)[0].operation == "collection"
    assert _newest(demo_app)[0].entity == "membership"
    with pytest.raises(ValidationError) as err:          # one current membership per group
        demo_app.groups.add_member(Membership(page.person.id, group.id, "member"))
    assert "already a current member" in str(err.value)

    changed = demo_app.groups.update_member(dataclasses.replace(m, role="leader",
                                                                end=date(2026, 11, 1)))
    assert changed.role == "leader" and changed.end == date(2026, 11, 1)
    entry = _newest(demo_app)[0]
    assert entry.operation == "alteration" and "role" in entry.detail and "leader" not in entry.detail

    removed = demo_app.groups.remove_member(m.id)
    entry = _newest(demo_app)[0]
    assert entry.operation == "erasure" and entry.entity == "membership"
    assert all(x.id != m.id for x in demo_app.people.page(page.person.id).memberships)

    back = demo_app.groups.add_member(removed)           # an undone removal keeps its id
    assert back.id == m.id and back.role == "leader"


def test_influencer_added_changed_removed_and_put_back(demo_app):
    person = demo_app.people.list()[0]
    inf = demo_app.people.add_influencer(Influencer(person.id, "Aunt Testina (fictional)",
                                                    relationship="aunt"))
    demo_app.people.update_influencer(dataclasses.replace(inf, relationship="godmother"))
    assert "relationship" in _newest(demo_app)[0].detail
    with pytest.raises(ValidationError):
        demo_app.people.update_influencer(dataclasses.replace(inf, person_id=person.id + 1))
    removed = demo_app.people.remove_influencer(inf.id)
    assert removed.relationship == "godmother"
    entry = _newest(demo_app)[0]
    assert (entry.operation, entry.entity, entry.entity_ref) == ("erasure", "influencer", str(inf.id))
    assert "Testina" not in entry.detail
    back = demo_app.people.add_influencer(removed)
    assert back.id == inf.id
    assert [i.name for i in demo_app.people.page(person.id).influencers].count(inf.name) == 1


def test_cohort_place_shown_on_the_page_removed_and_put_back(demo_app):
    cohort = demo_app.cohorts.list()[0]
    members = {m.person_id for m in demo_app.cohorts.members(cohort.id)}
    person = next(p for p in demo_app.people.list() if p.id not in members)
    demo_app.cohorts.add_member(CohortMember(cohort.id, person.id, "new to the area"))
    page = demo_app.people.page(person.id)
    place = next(c for c in page.cohort_memberships if c.cohort_id == cohort.id)
    assert place.reason == "new to the area" and place.added_on == date(2026, 11, 26)
    assert cohort.name in page.cohorts
    removed = demo_app.cohorts.remove_member(cohort.id, person.id)
    assert removed.reason == "new to the area"
    assert demo_app.cohorts.remove_member(cohort.id, person.id) is None
    demo_app.cohorts.add_member(removed)
    assert person.id in {m.person_id for m in demo_app.cohorts.members(cohort.id)}


def test_partner_officer_cannot_remove_a_membership(demo_app):
    page, _ = _person_and_free_group(demo_app)
    membership_id = page.memberships[0].id if page.memberships else None
    if membership_id is None:
        pytest.skip("no membership")
    officer = next(u for u in demo_app.users.list() if u.role == "partner_officer")
    with pytest.raises(PermissionDenied):
        demo_app.as_user(officer.username).groups.remove_member(membership_id)
    assert _newest(demo_app)[0].detail.startswith("refused")


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
