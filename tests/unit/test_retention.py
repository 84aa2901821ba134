"""Retention review: a queue of people due, keep with the next date, or erase everything
only about the person while the audit keeps metadata only."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from deterrence_desktop.domain.dates import add_months
from deterrence_desktop.domain.errors import PermissionDenied, ValidationError
from deterrence_desktop.domain.model import Communication, Influencer
from deterrence_desktop.store import tables as t

from conftest import DEMO_TODAY


def _busiest_person(app):
    """The demo person with the most records about them."""
    with app.workspace.session() as s:
        return s.scalar(select(t.ActionRow.person_id).where(t.ActionRow.person_id.is_not(None))
                        .group_by(t.ActionRow.person_id).order_by(func.count().desc()).limit(1))


def _make_due(app, person_id, days_ago=3):
    person = app.people.get(person_id)
    person.review_date = DEMO_TODAY - timedelta(days=days_ago)
    app.people.update(person)
    return person


def test_queue_lists_people_due_and_keep_sets_the_next_review(demo_app):
    app = demo_app
    pid = _busiest_person(app)
    person = _make_due(app, pid, 10)
    queue = app.retention.due()
    item = next(i for i in queue if i.person_id == pid)
    assert item.reference == person.reference and item.days_overdue == 10
    assert all(i.review_date is None or i.review_date <= DEMO_TODAY for i in queue)
    months = app.partnership.get().retention_months
    nxt = app.retention.keep(pid, "Still active in the cohort (fictional)")
    assert nxt == add_months(DEMO_TODAY, months)
    assert app.people.get(pid).review_date == nxt
    assert pid not in {i.person_id for i in app.retention.due()}
    rec = app.retention.history(person.reference)[0]
    assert (rec.decision, rec.reviewer, rec.next_review) == ("keep", "demo.coordinator", nxt)
    with pytest.raises(ValidationError):
        app.retention.keep(pid, "")


def test_new_person_gets_a_review_date_from_the_retention_rule(demo_app):
    from deterrence_desktop.domain.model import Person
    p = demo_app.people.create(Person(reference="", given_name="Fictional", family_name="Newcomer"))
    assert p.review_date == add_months(DEMO_TODAY, demo_app.partnership.get().retention_months)


def test_erasure_removes_everything_only_about_the_person(demo_app):
    app = demo_app
    pid = _busiest_person(app)
    person = _make_due(app, pid)
    marker = "Quokkafictus"
    app.people.add_influencer(Influencer(person_id=pid, name=f"{marker} Aunt", kind="family"))
    app.communications.record(Communication(person_id=pid, channel="phone",
                                            occurred_at=datetime(2026, 11, 20, 10),
                                            message=f"spoke with {marker}"))
    other = next(p for p in app.people.list() if p.id != pid)
    with app.workspace.session() as s:
        others_before = {name: s.scalar(select(func.count()).select_from(tbl))
                         for name, tbl in [("actions", t.ActionRow), ("comms", t.CommunicationRow)]}
        group_actions = s.scalar(select(func.count()).select_from(t.ActionRow)
                                 .where(t.ActionRow.person_id.is_(None)))
    preview = app.retention.erasure_preview(pid)
    assert preview.counts["actions"] > 0 and preview.counts["communications"] > 0
    report = app.retention.erase(pid, "No longer in the cohort (fictional reason)")
    assert report.reference == person.reference and report.counts == {
        **preview.counts, "call_in_details": report.counts["call_in_details"]}
    with app.workspace.session() as s:
        assert s.get(t.PersonRow, pid) is None
        for tbl in (t.InfluencerRow, t.MembershipRow, t.CohortMemberRow, t.InvitationRow,
                    t.CustomNotificationRow, t.ActionRow, t.MeetingItemRow, t.CommunicationRow):
            assert s.scalar(select(func.count()).select_from(tbl)
                            .where(tbl.person_id == pid)) == 0, tbl.__tablename__
        assert s.scalar(select(func.count()).select_from(t.ActionRow)
                        .where(t.ActionRow.person_id.is_(None))) == group_actions
        assert s.scalar(select(func.count()).select_from(t.ActionRow)) == \
            others_before["actions"] - preview.counts["actions"]
        erasure = s.scalar(select(t.AuditEntryRow).where(t.AuditEntryRow.operation == "erasure"))
        texts = [" ".join((r.detail, r.entity_ref, r.recipient))
                 for r in s.scalars(select(t.AuditEntryRow))]
        review = s.scalar(select(t.RetentionReviewRow).where(
            t.RetentionReviewRow.person_reference == person.reference,
            t.RetentionReviewRow.decision == "erase"))
    assert erasure.entity_ref == person.reference and erasure.username == "demo.coordinator"
    assert "actions=" in erasure.detail and marker not in erasure.detail
    assert not any(marker in x or person.family_name in x for x in texts)
    assert review is not None and review.next_review is None
    app.people.get(other.id)                      # others untouched
    report = app.maintenance.check()
    assert report.ok, [r.problems for r in report.results]
    # Nothing of the person is left in any table's decrypted content either.
    with app.workspace.engine.connect() as c:
        names = [r[0] for r in c.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            for row in c.exec_driver_sql(f'SELECT * FROM "{name}"'):
                assert marker not in repr(tuple(row)), name


def test_only_coordinators_decide(demo_app):
    pid = _busiest_person(demo_app)
    _make_due(demo_app, pid)
    analyst = demo_app.as_user("demo.analyst")
    assert analyst.retention.due()
    with pytest.raises(PermissionDenied):
        analyst.retention.erase(pid, "not allowed")
    with pytest.raises(PermissionDenied):
        analyst.retention.keep(pid, "not allowed")
    with pytest.raises(PermissionDenied):
        demo_app.as_user("demo.officer").retention.due()
    assert demo_app.people.get(pid)


def test_person_without_a_review_date_is_due_at_once(demo_app):
    from sqlalchemy import update
    pid = demo_app.people.list()[-1].id
    with demo_app.workspace.session() as s:
        s.execute(update(t.PersonRow).where(t.PersonRow.id == pid).values(review_date=None))
    item = next(i for i in demo_app.retention.due() if i.person_id == pid)
    assert item.review_date is None and item.days_overdue == 0
    demo_app.retention.keep(pid, "Reviewed after an import (fictional)")
    assert demo_app.people.get(pid).review_date is not None


def test_erasure_takes_what_the_persons_letters_said(demo_app, tmp_path):
    from deterrence_desktop.services.letters import LetterRequest
    app = demo_app
    police = app.partners.by_name("Fictionbury Police")
    app.letters.add_signatory("Insp. Avery Demo", "Inspector", police.id)
    result = app.letters.generate(LetterRequest("support_offer", references=("FD-0001", "FD-0002")),
                                  tmp_path / "letters.pdf")
    person = app.people.by_reference("FD-0001")
    report = app.retention.erase(person.id, "Left the programme (fictional reason)")
    assert report.counts["letters"] == 1
    with app.workspace.session() as s:
        left = set(s.scalars(select(t.LetterIssueRow.reference)))
    assert left == {result.references[1]}


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
