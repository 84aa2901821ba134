"""Partnership meetings: agenda, meeting mode, decisions, new actions, minutes PDF."""
from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from deterrence_desktop.domain.enums import ActionKind, ActionStatus
from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.domain.model import Action, Communication, Meeting
from deterrence_desktop.services.meetings import AgendaEntry
from deterrence_desktop.store.tables import AuditEntryRow, MeetingItemRow
from tests.conftest import DEMO_TODAY


def last_audit(app, entity):
    with app.workspace.session() as s:
        return s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == entity)
                         .order_by(AuditEntryRow.seq.desc())).first()


def make_meeting(app, cohort=True):
    partners = app.partners.all()
    people = app.people.list()
    group = app.groups.list()[0]
    agenda = [AgendaEntry(person_id=people[0].id), AgendaEntry(person_id=people[1].id),
              AgendaEntry(group_id=group.id)]
    m = Meeting(title="Partnership meeting (fictional) Zoë & Łukasz", held_on=DEMO_TODAY,
                attendees=[partners[0].id, partners[1].id])
    return app.meetings.create(m, agenda), people, partners


def test_create_meeting_makes_items_and_audits(demo_app):
    detail, people, partners = make_meeting(demo_app)
    assert [i.label for i in detail.items] == [people[0].reference, people[1].reference,
                                               detail.items[2].group_name]
    assert detail.meeting.agenda == [people[0].id, people[1].id]
    assert detail.attendee_names == (partners[0].name, partners[1].name)
    assert detail.previous_held_on is not None and detail.previous_held_on < DEMO_TODAY
    entry = last_audit(demo_app, "meeting")
    assert entry.operation == "collection" and "items=3" in entry.detail
    with pytest.raises(ValidationError):
        demo_app.meetings.create(Meeting(title="Empty", held_on=DEMO_TODAY), [])


def test_cohort_fills_the_agenda(demo_app):
    cohort = demo_app.cohorts.list()[0]
    detail = demo_app.meetings.create(Meeting(title="Cohort review", held_on=DEMO_TODAY,
                                              cohort_id=cohort.id))
    members = demo_app.cohorts.members(cohort.id)
    assert [i.reference for i in detail.items] == [m.reference for m in members]


def test_meeting_mode_shows_changes_since_last_meeting(demo_app):
    detail, people, partners = make_meeting(demo_app)
    item = detail.items[0]
    before = demo_app.meetings.item_brief(detail.meeting.id, item.id)
    assert all(a.person_id == people[0].id for a in before.open_actions)
    assert all(a.status in ("planned", "in_progress", "blocked") for a in before.open_actions)
    # Something changes: an action moves and a new communication is recorded.
    action = demo_app.actions.create(Action(partner_id=partners[0].id, kind=ActionKind.SUPPORT,
                                            description="Housing needs assessment (fictional)",
                                            person_id=people[0].id))
    demo_app.actions.set_status(action.id, ActionStatus.IN_PROGRESS)
    from datetime import datetime
    demo_app.communications.record(Communication(
        person_id=people[0].id, occurred_at=datetime(2026, 11, 25, 10, 0), channel="home_visit"))
    brief = demo_app.meetings.item_brief(detail.meeting.id, item.id)
    assert action.id in {a.id for a in brief.changed_actions}
    mine = [c for c in brief.changes if c.action_id == action.id]
    bulk = [c for c in brief.changes if c.operation == "updated"]
    assert {c.action_id for c in bulk} | {action.id} == {a.id for a in brief.changed_actions}
    assert all(c.summary.startswith("Updated; status now") for c in bulk)
    assert [c.operation for c in mine] == ["collection", "alteration"]
    assert [c.summary for c in mine] == ["New action", "Changed status"]
    assert mine[0].description == "Housing needs assessment (fictional)"
    assert len(brief.communications) >= len([c for c in before.communications]) + 1
    assert brief.since == detail.previous_held_on
    assert last_audit(demo_app, "meeting").operation == "consultation"


def test_decisions_and_new_actions_are_stamped_with_the_meeting(demo_app):
    detail, people, partners = make_meeting(demo_app)
    mid = detail.meeting.id
    item, group_item = detail.items[0], detail.items[2]
    view = demo_app.meetings.record_decision(item.id, "Offer relocation support; review in 4 weeks.")
    assert view.discussed and view.decision.startswith("Offer relocation")
    assert "fields=decision,discussed" in last_audit(demo_app, "meeting").detail
    a = demo_app.meetings.add_action(mid, item.id, Action(
        partner_id=partners[1].id, kind=ActionKind.SUPPORT, description="Relocation referral (fictional)",
        assignee="B. Worker", due_date=DEMO_TODAY + timedelta(days=14)))
    g = demo_app.meetings.add_action(mid, group_item.id, Action(
        partner_id=partners[0].id, kind=ActionKind.ENFORCEMENT, description="Review for injunction application",
        due_date=DEMO_TODAY + timedelta(days=21)))
    assert a.meeting_id == mid and a.person_id == people[0].id and a.group_id is None
    assert g.meeting_id == mid and g.group_id == group_item.group_id and g.person_id is None
    brief = demo_app.meetings.item_brief(mid, item.id)
    assert [x.id for x in brief.agreed] == [a.id]
    lists = demo_app.meetings.new_actions_by_partner(mid)
    assert {k: [x.id for x in v] for k, v in lists.items()} == {partners[1].name: [a.id],
                                                                partners[0].name: [g.id]}


def test_minutes_pdf_text_marking_and_audit(demo_app, tmp_path):
    detail, people, partners = make_meeting(demo_app)
    mid = detail.meeting.id
    item = detail.items[0]
    demo_app.meetings.record_decision(item.id, "Refer to Open Door for assessment; café meeting agreed.")
    demo_app.meetings.add_action(mid, item.id, Action(
        partner_id=partners[1].id, kind=ActionKind.SUPPORT, description="Book mental health appointment",
        assignee="C. Keyworker", due_date=date(2026, 12, 10)))
    path = tmp_path / "minutes.pdf"
    demo_app.meetings.export_minutes(mid, path)
    assert path.exists() and not list(tmp_path.glob("*.part"))
    reader = PdfReader(str(path))
    text = "\n".join(p.extract_text() for p in reader.pages)
    for page in reader.pages:
        t = page.extract_text()
        assert t.strip().startswith("OFFICIAL-SENSITIVE") and t.strip().endswith("OFFICIAL-SENSITIVE") or \
            t.count("OFFICIAL-SENSITIVE") >= 2
    assert "Zoë & Łukasz" in text                      # accents survive (DejaVu)
    assert partners[0].name in text and partners[1].name in text
    assert people[0].reference in text and "café meeting agreed" in text
    assert "Book mental health appointment" in text and "10 Dec 2026" in text and "C. Keyworker" in text
    person = demo_app.people.get(people[0].id)
    assert person.family_name not in text             # references only by default
    entry = last_audit(demo_app, "meeting")
    assert entry.operation == "disclosure" and partners[0].name in entry.recipient
    assert "names=no" in entry.detail
    # With names, for the partners who need them.
    named = tmp_path / "named.pdf"
    demo_app.meetings.export_minutes(mid, named, include_names=True)
    assert person.family_name in "\n".join(p.extract_text() for p in PdfReader(str(named)).pages)
    shots = Path(__file__).resolve().parents[2] / "screenshots" / "board"
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(shots / "minutes")], check=False)


def test_minutes_export_failure_leaves_no_file_and_no_disclosure(demo_app, tmp_path):
    detail, _, _ = make_meeting(demo_app)
    before = last_audit(demo_app, "meeting").seq

    def boom():
        raise RuntimeError("cancelled")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError):
        demo_app.meetings.export_minutes(detail.meeting.id, out / "m.pdf", check=boom)
    assert list(out.iterdir()) == []
    assert last_audit(demo_app, "meeting").seq == before


def test_partner_lists_one_pdf_per_owning_partner(demo_app, tmp_path):
    detail, people, partners = make_meeting(demo_app)
    mid = detail.meeting.id
    for p, item in ((partners[0], detail.items[0]), (partners[2], detail.items[1])):
        demo_app.meetings.add_action(mid, item.id, Action(
            partner_id=p.id, kind=ActionKind.COMMUNICATION, description="Send follow-up letter"))
    out = tmp_path / "lists"
    out.mkdir()
    paths = demo_app.meetings.export_partner_lists(mid, out)
    assert len(paths) == 2
    texts = {p.name: "\n".join(pg.extract_text() for pg in PdfReader(str(p)).pages) for p in paths}
    assert any(partners[2].name in t and people[1].reference in t and people[0].reference not in t
               for t in texts.values())
    assert all("OFFICIAL-SENSITIVE" in t for t in texts.values())
    assert last_audit(demo_app, "meeting").recipient in (partners[0].name, partners[2].name)


def test_demo_meeting_gets_items_from_its_agenda(demo_app):
    m = demo_app.meetings.list()[-1]
    detail = demo_app.meetings.detail(m.id)
    assert len(detail.items) == len(detail.meeting.agenda) > 0
    with demo_app.workspace.session() as s:
        assert s.scalar(select(MeetingItemRow.id).where(MeetingItemRow.meeting_id == m.id))


def test_analyst_minutes_carry_references_only(demo_app, tmp_path):
    detail, people, partners = make_meeting(demo_app)
    analyst = demo_app.as_user("demo.analyst")
    from deterrence_desktop.domain.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        analyst.meetings.export_minutes(detail.meeting.id, tmp_path / "named.pdf", include_names=True)
    assert not (tmp_path / "named.pdf").exists()
    analyst.meetings.export_minutes(detail.meeting.id, tmp_path / "refs.pdf")
    assert (tmp_path / "refs.pdf").exists()


def test_minutes_embed_their_fonts(demo_app, tmp_path):
    detail, _, _ = make_meeting(demo_app)
    path = demo_app.meetings.export_minutes(detail.meeting.id, tmp_path / "m.pdf")
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows and all("DejaVu" in r[0] for r in rows)
    assert all(r[-5] == "yes" for r in rows)          # "emb" column: embedded


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
