"""The GUI's role table (security.roles) agrees with what the services enforce."""
from __future__ import annotations

import pytest

from deterrence_desktop.domain.enums import Role
from deterrence_desktop.domain.errors import PermissionDenied
from deterrence_desktop.domain.evaluation import EvaluationQuery
from deterrence_desktop.domain.model import Cohort, Group, Partner, User
from deterrence_desktop.security.roles import Can, can


def _attempts(app):
    person = app.people.get(app.people.list()[0].id) if app.actor.role != Role.PARTNER_OFFICER \
        else None
    return {
        Can.EDIT_GROUPS: lambda: app.groups.create(Group(name=f"G {app.actor.username}",
                                                         type="street_group")),
        Can.EDIT_COHORTS: lambda: app.cohorts.create(Cohort(name=f"C {app.actor.username}")),
        Can.MANAGE_PARTNERS: lambda: app.partners.create(Partner(name=f"P {app.actor.username}",
                                                                 type="police")),
        Can.MANAGE_USERS: lambda: app.users.create(User(username=f"u.{app.actor.role.value}",
                                                        display_name="Fictional")),
        Can.EXPORT_NAMES: lambda: app.people.require_names_export(),
        Can.REVIEW_RETENTION: lambda: app.retention.erasure_preview(app.people.list()[0].id),
        Can.SEE_RETENTION_QUEUE: lambda: app.retention.due(),
        Can.SEE_AUDIT_LOG: lambda: app.audit_log.entries(10),
        Can.CHANGE_SETTINGS: lambda: app.settings.set("idle_lock_minutes", 15),
        Can.SEE_EVALUATION: lambda: app.evaluation.evaluate(EvaluationQuery()),
        Can.RECORD_OUTCOMES: lambda: app.outcomes.record_many([]),
        Can.EDIT_PEOPLE: (lambda: app.people.update(person)) if person else
        (lambda: app.people.update(app.people.get(app.people.list()[0].id))),
    }


@pytest.mark.parametrize("username", ["demo.coordinator", "demo.analyst", "demo.officer"])
def test_table_matches_the_services(demo_app, username):
    app = demo_app.as_user(username)
    for what, attempt in _attempts(app).items():
        allowed = can(app.actor, what)
        try:
            attempt()
            refused = False
        except PermissionDenied:
            refused = True
        assert refused != allowed, (username, what.value)


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
