"""Personal passwords: Argon2id hashes inside the workspace, checked at sign-in."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.errors import PermissionDenied, ValidationError
from deterrence_desktop.domain.model import User
from deterrence_desktop.security import passwords
from deterrence_desktop.services.users import SignInFailed
from deterrence_desktop.store.tables import AuditEntryRow, UserRow


def test_hash_is_argon2id_and_verifies_only_the_right_password():
    digest = passwords.hash_password("correct horse fictional")
    assert digest.startswith("$argon2id$")
    assert passwords.verify_password(digest, "correct horse fictional")
    assert not passwords.verify_password(digest, "correct horse fictionaL")
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("not a hash", "anything")


def test_sign_in_checks_the_personal_password_and_audits_failures(empty_app):
    app = empty_app
    app.users.create(User(username="officer.one", display_name="Fictional Officer",
                          role="analyst"), password="fictional pass 1")
    with app.workspace.session() as s:
        stored = s.scalar(select(UserRow.password_hash).where(UserRow.username == "officer.one"))
    assert stored.startswith("$argon2id$") and "fictional" not in stored

    actor = app.users.sign_in("officer.one", "fictional pass 1")
    assert actor.username == "officer.one" and actor.role == "analyst"
    for wrong in ("fictional pass 2", None, ""):
        with pytest.raises(SignInFailed) as err:
            app.users.sign_in("officer.one", wrong)
        assert "fictional" not in str(err.value)
    with pytest.raises(SignInFailed):
        app.users.sign_in("nobody.here", "fictional pass 1")
    with app.workspace.session() as s:
        details = [(r.entity_ref, r.detail) for r in s.scalars(
            select(AuditEntryRow).where(AuditEntryRow.entity == "session"))]
    assert details.count(("officer.one", "sign-in refused")) == 3
    assert ("officer.one", "signed in") in details
    assert all("fictional pass" not in d for _, d in details)


def test_user_without_password_is_asked_to_choose_one(empty_app):
    assert empty_app.users.needs_password("coord")
    assert empty_app.users.sign_in("coord", None).username == "coord"
    empty_app.users.set_password("coord", "a fictional password")
    assert not empty_app.users.needs_password("coord")
    with pytest.raises(SignInFailed):
        empty_app.users.sign_in("coord", None)


def test_set_password_rules_and_who_may_set_it(empty_app):
    app = empty_app
    app.users.create(User(username="analyst.a", display_name="Fictional Analyst", role="analyst"),
                     password="analyst pass 1")
    with pytest.raises(ValidationError) as err:
        app.users.set_password("analyst.a", "short")
    assert err.value.field == "password"
    analyst = app.as_user("analyst.a")
    with pytest.raises(PermissionDenied):
        analyst.users.set_password("coord", "taking over pass")
    with pytest.raises(ValidationError):
        analyst.users.set_password("analyst.a", "new analyst pass", current_password="wrong one!")
    analyst.users.set_password("analyst.a", "new analyst pass", current_password="analyst pass 1")
    assert app.users.sign_in("analyst.a", "new analyst pass")


def test_last_coordinator_cannot_be_demoted(empty_app):
    me = next(u for u in empty_app.users.list() if u.username == "coord")
    me.role = "analyst"
    with pytest.raises(ValidationError):
        empty_app.users.update(me)
    empty_app.users.create(User(username="coord2", display_name="Second Fictional"))
    empty_app.users.update(me)
    assert {u.username: u.role for u in empty_app.users.list()}["coord"] == "analyst"
