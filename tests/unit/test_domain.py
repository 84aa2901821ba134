"""Domain validation: one typed error per record, naming every field that breaks a rule."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from deterrence_desktop.domain.enums import (
    ActionKind, ActionStatus, CommunicationChannel, LegalStatus, PartnerType, Role, Strategy,
)
from deterrence_desktop.domain.errors import DeterrenceError, ValidationError
from conftest import DEMO_TODAY
from deterrence_desktop.domain.model import (
    MAX_NOTE, MAX_TEXT, Action, CallIn, Cohort, CohortMember, Communication, Group, GroupRelation,
    Influencer, Intervention, Meeting, Membership, Partner, Partnership, Person, User,
)


def errors_of(record) -> dict[str, str]:
    with pytest.raises(ValidationError) as err:
        record.validate()
    assert isinstance(err.value, DeterrenceError)
    # The message names each field, so a one-line error is still useful.
    for name in err.value.errors:
        assert name in str(err.value)
    return err.value.errors


def person(**kw) -> Person:
    values = dict(reference="FD-0042", given_name="Testy", family_name="Fictionperson")
    values.update(kw)
    return Person(**values)


def test_valid_records_pass():
    person(date_of_birth=date(2001, 2, 3), review_date=date(2027, 1, 1),
           legal_status=LegalStatus.LICENCE, legal_status_end=date(2027, 5, 1),
           supervising_partner_id=2).validate()
    Partner(name="Fictional Probation", type=PartnerType.PROBATION,
            isa_start=date(2026, 1, 1), isa_end=date(2027, 1, 1)).validate()
    Partnership(name="Fictional Partnership", area="Testshire",
                strategy=Strategy.DRUG_MARKET).validate()
    Action(partner_id=1, kind=ActionKind.SUPPORT, description="Refer to a fictional service",
           person_id=1).validate()


def test_required_fields_are_named_together():
    errors = errors_of(Person(reference="", given_name=" ", family_name=""))
    assert errors == {"reference": "is required", "given_name": "is required",
                      "family_name": "is required"}


def test_reference_format():
    assert errors_of(person(reference="0042"))["reference"] == "must look like FD-0042"
    person(reference="FD-123456").validate()


def test_text_lengths():
    errors = errors_of(person(family_name="x" * (MAX_TEXT + 1), notes="n" * (MAX_NOTE + 1)))
    assert errors["family_name"] == f"is too long ({MAX_TEXT + 1} characters; at most {MAX_TEXT})"
    assert "at most 10000" in errors["notes"]
    person(notes="n" * MAX_NOTE).validate()          # notes may be long, names may not
    assert "aliases" in errors_of(person(aliases=["a" * (MAX_TEXT + 1)]))
    assert errors_of(person(aliases=[f"Alias{i}" for i in range(21)]))["aliases"] == "at most 20 aliases"


def test_enumerations():
    errors = errors_of(person(legal_status="house arrest", risk_level="extreme", needs=["money"]))
    assert set(errors) == {"legal_status", "risk_level", "needs"}
    assert errors["risk_level"] == "must be one of: low, medium, high, very_high"
    assert "type" in errors_of(Partner(name="X", type="embassy"))
    assert "strategy" in errors_of(Partnership(name="P", area="A", strategy="chess"))
    assert "channel" in errors_of(Communication(person_id=1, occurred_at=datetime(2026, 1, 1),
                                                channel="carrier pigeon"))
    assert set(errors_of(Action(partner_id=1, kind="hope", description="x", person_id=1,
                                status="someday"))) == {"kind", "status"}
    assert "role" in errors_of(User(username="test.user", display_name="Test", role="king"))


def test_dates_in_order():
    errors = errors_of(person(date_of_birth=date(2000, 5, 1), review_date=date(1999, 1, 1)))
    assert errors == {"review_date": "must not be before date of birth"}
    errors = errors_of(Partner(name="Fictional Council", type=PartnerType.COUNCIL,
                               isa_start=date(2026, 6, 1), isa_end=date(2026, 5, 31)))
    assert errors == {"isa_end": "must not be before isa start"}
    assert errors_of(Membership(person_id=1, group_id=1, start=date(2026, 3, 1),
                                end=date(2026, 2, 1))) == {"end": "must not be before start"}
    Membership(person_id=1, group_id=1, start=date(2026, 3, 1), end=date(2026, 3, 1)).validate()


def test_dates_in_range():
    tomorrow = DEMO_TODAY + timedelta(days=1)      # the tests' clock, not the machine's
    assert errors_of(person(date_of_birth=tomorrow)) == {"date_of_birth": "must not be in the future"}
    assert errors_of(person(date_of_birth=date(1850, 1, 1))) == {"date_of_birth": "must be after 1900"}
    future = datetime.combine(tomorrow, datetime.min.time())
    assert "occurred_at" in errors_of(Communication(person_id=1, occurred_at=future,
                                                    channel=CommunicationChannel.PHONE))


def test_legal_status_needs_its_dates():
    assert set(errors_of(person(legal_status=LegalStatus.CUSTODY))) == {"custody_release"}
    assert set(errors_of(person(legal_status=LegalStatus.REMAND))) == {"custody_release"}
    person(legal_status=LegalStatus.REMAND).validate(release_unknown=True)     # remand, no date: a flag
    assert set(errors_of(person(legal_status=LegalStatus.LICENCE))) == {
        "legal_status_end", "supervising_partner_id"}
    person(legal_status=LegalStatus.BAIL).validate()


def test_cross_field_rules():
    assert errors_of(Action(partner_id=1, kind=ActionKind.ANALYSIS, description="Map")) == {
        "person_id": "an action is about a person or a group"}
    Action(partner_id=1, kind=ActionKind.ANALYSIS, description="Map", group_id=3).validate()
    assert "other_group_id" in errors_of(GroupRelation(group_id=2, other_group_id=2, kind="rivalry"))
    assert "partner_id" in errors_of(User(username="officer.one", display_name="Officer",
                                          role=Role.PARTNER_OFFICER))
    assert "username" in errors_of(User(username="bad name!", display_name="Test"))
    assert "retention_months" in errors_of(Partnership(name="P", area="A", retention_months=0))
    assert "status" in errors_of(CallIn(title="Fictional call-in", starts_at=datetime(2027, 1, 1),
                                        status="maybe"))


@pytest.mark.parametrize("record, field", [
    (Influencer(person_id=1, name=""), "name"),
    (Group(name=""), "name"),
    (Cohort(name=" "), "name"),
    (CohortMember(cohort_id=1, person_id=1, reason=""), "reason"),
    (Intervention(name="", kind="lever", partner_type=PartnerType.POLICE), "name"),
    (Meeting(title="", held_on=date(2026, 1, 1)), "title"),
    (Membership(person_id=1, group_id=1, role=""), "role"),
    (Action(partner_id=1, kind=ActionKind.SUPPORT, description="", person_id=1), "description"),
])
def test_every_record_names_its_required_field(record, field):
    assert errors_of(record)[field] == "is required"


def test_error_for_one_field():
    err = ValidationError("reference", "no person with reference FD-9999")
    assert err.field == "reference"
    assert str(err) == "reference: no person with reference FD-9999"


def test_overdue_and_open():
    today = date(2026, 11, 26)
    a = Action(partner_id=1, kind=ActionKind.SUPPORT, description="x", person_id=1,
               due_date=date(2026, 11, 25))
    assert a.is_overdue(today)
    a.status = ActionStatus.DONE
    assert not a.is_overdue(today)
    assert ActionStatus.BLOCKED.is_open and not ActionStatus.CANCELLED.is_open
