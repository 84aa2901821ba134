"""Incidents, links, message reach and the group audit (issue 14) through the services:
real workspace files, the audit trail, the PDF read back with pdftotext, and the CLI."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.enums import CommunicationChannel as Ch, CommunicationOutcome as Out
from deterrence_desktop.domain.errors import PermissionDenied, ValidationError
from deterrence_desktop.domain.model import Communication, Group, Membership, Person
from deterrence_desktop.domain.network import (
    Confidence, Incident, IncidentKind, IncidentRole, LinkKind, PersonLink,
)
from deterrence_desktop.store.tables import AuditEntryRow

from conftest import PASSPHRASE

DAY = date(2026, 11, 26)


def entries(app, entity: str) -> list[AuditEntryRow]:
    with app.workspace.session() as s:
        return list(s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == entity)
                              .order_by(AuditEntryRow.seq)))


@pytest.fixture
def crew(empty_app):
    """A fictional group of six current members. Returns (app, group id, person ids)."""
    app = empty_app
    gid = app.groups.create(Group(name="Testbed Crew (fictional)")).id
    ids = []
    for i in range(6):
        p = app.people.create(Person(reference=f"FD-{i + 1:04d}", given_name=f"Test{i}",
                                     family_name="Example"))
        app.groups.add_member(Membership(p.id, gid, start=date(2025, 1, 1)))
        ids.append(p.id)
    return app, gid, ids


def say(app, pid, channel, outcome, day=date(2026, 11, 20), message=True):
    app.communications.record(Communication(pid, datetime.combine(day, time(10)), channel,
                                            outcome=outcome, deterrence_message=message))


def test_reach_counts_only_messages_given(crew):
    app, gid, (a, b, c, d, e, f) = crew
    r = app.reach.group(gid)
    assert (r.current_members, r.reached, r.reached_flag) == (6, 0, False)
    say(app, a, Ch.LETTER, Out.SENT)                        # a letter that went out
    say(app, b, Ch.LETTER, Out.NOT_FOUND)                   # an undelivered, returned letter
    say(app, c, Ch.CALL_IN, Out.NO_SHOW, message=False)     # a no-show at a call-in
    say(app, d, Ch.CUSTOM_NOTIFICATION, Out.REFUSED)        # refused at the door
    say(app, e, Ch.PHONE, Out.DELIVERED, message=False)     # a support call, no message
    r = app.reach.group(gid)
    assert r.reached == 1 and r.share == pytest.approx(1 / 6) and not r.reached_flag
    assert r.by_channel == {"letter": 1}
    first = r.people[0]
    assert (first.person_id, first.channel, first.reached_on) == (a, "letter", date(2026, 11, 20))
    assert {p.person_id for p in r.people if not p.reached} == {b, c, d, e, f}
    say(app, f, Ch.CUSTOM_NOTIFICATION, Out.DELIVERED, day=date(2026, 11, 22))
    r = app.reach.group(gid)
    assert r.reached == 2 and r.reached_flag                # 2 of 6 is the default third
    assert r.by_channel == {"custom_notification": 1, "letter": 1}


def test_threshold_is_a_partnership_setting_and_audited(crew):
    app, gid, ids = crew
    say(app, ids[0], Ch.HOME_VISIT, Out.DELIVERED)
    say(app, ids[1], Ch.INFLUENCER, Out.DELIVERED)
    assert app.reach.threshold() == pytest.approx(1 / 3) and app.reach.group(gid).reached_flag
    app.reach.set_threshold(0.5)
    assert app.reach.threshold() == 0.5 and not app.reach.group(gid).reached_flag
    assert entries(app, "setting")[-1].entity_ref == "reach_threshold"
    for bad in (0, 1.5, "half"):
        with pytest.raises(ValidationError):
            app.reach.set_threshold(bad)


def test_a_group_not_reached_since_its_last_incident_is_flagged(crew):
    app, gid, ids = crew
    say(app, ids[0], Ch.LETTER, Out.SENT, day=date(2026, 11, 1))
    app.incidents.record(Incident(date(2026, 11, 10), "Sample Road", IncidentKind.STABBING),
                         [(ids[1], IncidentRole.SUSPECT)], [])
    r = app.reach.group(gid)
    assert r.last_incident == date(2026, 11, 10) and r.unreached_since_incident
    say(app, ids[2], Ch.LETTER, Out.NOT_FOUND, day=date(2026, 11, 12))   # returned: still flagged
    assert app.reach.group(gid).unreached_since_incident
    say(app, ids[2], Ch.HOME_VISIT, Out.DELIVERED, day=date(2026, 11, 12))
    assert not app.reach.group(gid).unreached_since_incident


def test_call_in_attendance_reaches_and_a_no_show_does_not(demo_app):
    from deterrence_desktop.domain.enums import AttendanceStatus as A
    from deterrence_desktop.services import callins as C
    from deterrence_desktop.services.app import WorkspaceServices
    from test_callins import walk_to

    call_in = demo_app.callins.finish(walk_to(demo_app, C.REVIEW))
    after = WorkspaceServices(demo_app.workspace, demo_app.actor, today=date(2026, 12, 11))
    invited = [i.person_id for i in after.callins.page(call_in.id).invitations]
    came, stayed_away = invited[:2]
    after.callins.record_attendance(call_in.id, {came: (A.ATTENDED, False),
                                                 stayed_away: (A.NO_SHOW, False)})
    people = {p.person_id: p for r in after.reach.groups() for p in r.people}
    assert people[came].channel == "call_in" and people[came].reached_on == call_in.starts_at.date()
    assert people[stayed_away].reached_on != call_in.starts_at.date()


def test_incidents_are_recorded_edited_removed_and_restored_with_audit(crew):
    app, gid, ids = crew
    iid = app.incidents.record(Incident(date(2026, 11, 2), "Fable Row", IncidentKind.ROBBERY,
                                        "Fictional robbery"),
                               [(ids[0], IncidentRole.SUSPECT), (ids[1], IncidentRole.VICTIM)],
                               [gid])
    assert entries(app, "incident")[-1].detail.startswith("robbery with 2 people (FD-0001,FD-0002)")
    [summary] = app.incidents.list()
    assert (summary.people, summary.groups) == (2, ("Testbed Crew (fictional)",))
    assert app.incidents.list(since=date(2026, 11, 3)) == []
    assert [i.id for i in app.incidents.list(group_id=gid)] == [iid]
    detail = app.incidents.get(iid)
    changed = Incident(date(2026, 11, 2), "Fable Row shops", IncidentKind.ROBBERY, "Fictional robbery")
    app.incidents.update(iid, changed, [(ids[0], IncidentRole.SUSPECT), (ids[2], IncidentRole.WITNESS)],
                         [])
    again = app.incidents.get(iid)
    assert again.incident.place == "Fable Row shops" and not again.groups
    assert [(p.person_id, p.role) for p in again.people] == [(ids[0], "suspect"), (ids[2], "witness")]
    details = [e.detail for e in entries(app, "incident") if e.operation == "alteration"]
    assert details == ["fields=place", "involved: 2 people (FD-0001,FD-0003), 0 groups"]
    removed = app.incidents.remove(iid)
    assert app.incidents.list() == [] and entries(app, "incident")[-1].operation == "erasure"
    assert app.incidents.restore(removed) == iid
    assert app.incidents.get(iid).people == again.people
    assert detail.incident.id == iid


def test_bad_incidents_are_refused_with_a_message(crew):
    app, gid, ids = crew
    with pytest.raises(ValidationError) as info:
        app.incidents.record(Incident(date(2026, 12, 1), "", IncidentKind.OTHER), [], [])
    assert set(info.value.errors) == {"place", "occurred_on"}
    with pytest.raises(ValidationError):
        app.incidents.record(Incident(DAY, "Here", IncidentKind.OTHER),
                             [(ids[0], IncidentRole.SUSPECT), (ids[0], IncidentRole.VICTIM)], [])
    with pytest.raises(ValidationError):
        app.incidents.record(Incident(DAY, "Here", IncidentKind.OTHER), [(99999, "suspect")], [])
    assert app.incidents.list() == []


def test_find_people_searches_references_names_and_aliases(demo_app):
    app = demo_app
    person = app.people.by_reference("FD-0007")
    by_ref = app.incidents.find_people("fd-0007")
    assert by_ref[0].id == person.id and by_ref[0].reference == "FD-0007"
    by_name = app.incidents.find_people(f"{person.given_name[:3]} {person.family_name[:4]}")
    assert person.id in [c.id for c in by_name]
    aliased = next(p for p in app.people.list() if p.aliases)
    assert aliased.id in [c.id for c in app.incidents.find_people(aliased.aliases[0], limit=50)]
    assert app.incidents.find_people("   ") == [] and len(app.incidents.find_people("a", 3)) == 3
    assert app.incidents.find_people("100%_") == []
    # A partner officer finds only the people their agency's actions concern.
    officer = app.as_user("demo.officer")
    mine = {c.id for c in officer.incidents.find_people("FD-", limit=200)}
    assert mine and mine < {p.id for p in app.people.list()}


def test_links_stored_and_derived_on_a_persons_page(crew):
    app, gid, ids = crew
    lid = app.links.add(PersonLink(ids[0], ids[1], LinkKind.FAMILY, None, date(2026, 3, 1),
                                   Confidence.REPORTED, "cousins (fictional)"))
    app.incidents.record(Incident(date(2026, 10, 1), "Sample Road", IncidentKind.ASSAULT),
                         [(ids[0], IncidentRole.SUSPECT), (ids[2], IncidentRole.PRESENT),
                          (ids[3], IncidentRole.VICTIM)], [])
    views = app.links.for_person(ids[0])
    assert [(v.other_person_id, v.kind, v.derived) for v in views] == [
        (ids[2], "co_offending", True), (ids[1], "family", False)]       # the victim is no co-offender
    with pytest.raises(ValidationError):
        app.links.add(PersonLink(ids[1], ids[0], LinkKind.FAMILY, None, date(2026, 3, 1)))
    with pytest.raises(ValidationError):
        app.links.add(PersonLink(ids[0], ids[4], LinkKind.CO_OFFENDING, None, date(2026, 3, 1)))
    with pytest.raises(ValidationError):
        app.links.add(PersonLink(ids[0], ids[0], LinkKind.RIVAL, None, date(2026, 3, 1)))
    app.links.update(lid, PersonLink(ids[0], ids[1], LinkKind.FAMILY, None, date(2026, 3, 1),
                                     Confidence.CONFIRMED, "cousins (fictional)"))
    assert app.links.get(lid).confidence == "confirmed"
    removed = app.links.remove(lid)
    assert [v.kind for v in app.links.for_person(ids[0])] == ["co_offending"]
    assert app.links.add(removed) == lid                       # an undo puts it back
    ops = [(e.operation, e.detail) for e in entries(app, "person_link")]
    assert ops[0] == ("collection", "family (reported) between FD-0001 and FD-0002")
    assert [o for o, _d in ops] == ["collection", "alteration", "erasure", "collection"]


def test_analysts_record_partner_officers_may_not(demo_app):
    analyst, officer = demo_app.as_user("demo.analyst"), demo_app.as_user("demo.officer")
    a, b = (p.id for p in demo_app.people.list()[:2])
    assert analyst.incidents.record(Incident(DAY, "Here", IncidentKind.OTHER),
                                    [(a, IncidentRole.SUSPECT)], [])
    with pytest.raises(PermissionDenied):
        officer.incidents.record(Incident(DAY, "Here", IncidentKind.OTHER), [], [])
    with pytest.raises(PermissionDenied):
        officer.links.add(PersonLink(a, b, LinkKind.ASSOCIATE, None, DAY))


def test_a_session_is_summed_up_in_one_combination_entry(demo_app):
    app = demo_app
    police, probation = app.partners.list()[:2]
    aid = app.group_audit.open(DAY, [police.id, probation.id])
    assert app.group_audit.current().id == aid
    with pytest.raises(ValidationError):
        app.group_audit.open(DAY, [police.id])                 # one session at a time
    people = app.people.list()
    for n in range(3):
        app.incidents.record(Incident(DAY, f"Place {n}", IncidentKind.ASSAULT),
                             [(people[n].id, IncidentRole.SUSPECT)], [])
    app.links.add(PersonLink(people[0].id, people[5].id, LinkKind.RIVAL, police.id, DAY))
    summary = app.group_audit.close(aid)
    [combined] = [e for e in entries(app, "group_audit") if e.operation == "combination"]
    assert combined.detail == summary == (
        "group audit of 2026-11-26 with 2 partners: incident collection x3; "
        "person_link collection x1")
    assert combined.entity_ref == str(aid)
    assert app.group_audit.current() is None and app.group_audit.sessions()[0].closed_at
    with pytest.raises(ValidationError):
        app.group_audit.close(aid)


def test_the_audit_table(demo_app):
    rows = {r.name: r for r in demo_app.group_audit.table()}
    assert set(rows) == {g.name for g in demo_app.groups.list()}
    copper = rows["Copperfield Crew"]
    assert copper.rivals == ["Bluebell Line"] and rows["Northgate Firm"].allies == ["Eastmoor Boys"]
    assert copper.incidents_3m <= copper.incidents_6m <= copper.incidents_12m and copper.incidents_12m
    assert copper.active_members <= copper.members == copper.reach.current_members
    earlier = {r.name: r for r in demo_app.group_audit.table(as_of=date(2026, 1, 1))}
    assert earlier["Copperfield Crew"].incidents_12m < copper.incidents_12m


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_the_one_page_audit_pdf(demo_app, tmp_path):
    app = demo_app
    session = app.group_audit.sessions()[0]
    path = app.group_audit.write_pdf(session.id, tmp_path / "audit.pdf", names=False)
    from pypdf import PdfReader
    assert len(PdfReader(path).pages) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = pdf_text(path)
    assert text.count("OFFICIAL-SENSITIVE") >= 2
    assert "Group audit" in text and "Copperfield Crew" in text and "Key players" in text
    assert "FD-0" in text
    for person in app.people.list():
        assert person.family_name not in text                 # references only
    named = pdf_text(app.group_audit.write_pdf(session.id, tmp_path / "named.pdf", names=True))
    assert any(p.family_name in named for p in app.people.list())
    assert entries(app, "group_audit")[-1].operation == "disclosure"
    with pytest.raises(PermissionDenied):
        app.as_user("demo.analyst").group_audit.write_pdf(session.id, tmp_path / "x.pdf", True)
    assert not (tmp_path / "x.pdf").exists()


def test_network_exports_are_marked_atomic_and_audited(demo_app, tmp_path):
    import networkx as nx
    from deterrence_desktop.services.network import NetworkFilter

    out = tmp_path / "out"
    out.mkdir()
    for ext in ("png", "pdf", "graphml"):
        done = demo_app.network.export(NetworkFilter(references_only=True), out / f"n.{ext}")
        assert stat.S_IMODE(os.stat(done.path).st_mode) == 0o600 and done.people > 0
    assert "OFFICIAL-SENSITIVE" in pdf_text(out / "n.pdf")
    graph = nx.read_graphml(out / "n.graphml")
    assert graph.graph["marking"] == "OFFICIAL-SENSITIVE"
    assert all(d["label"].startswith("FD-") for _n, d in graph.nodes(data=True)
               if d["kind"] == "person")
    assert [e.operation for e in entries(demo_app, "network")][-3:] == ["disclosure"] * 3
    assert sorted(p.name for p in out.iterdir()) == ["n.graphml", "n.pdf", "n.png"]  # no leftovers
    with pytest.raises(ValidationError):
        demo_app.network.export(NetworkFilter(), out / "n.svg")


def cli(*args, env_extra=None):
    env = dict(os.environ, DETERRENCE_PASSPHRASE=PASSPHRASE, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "deterrence_desktop", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_cli_network(demo_path, tmp_path):
    out = cli("network", demo_path, "--out", tmp_path / "g.graphml", "--group", "northgate firm",
              "--references")
    assert out.returncode == 0, out.stderr
    assert "Northgate Firm and its rivals" in out.stdout and "references only" in out.stdout
    import networkx as nx
    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert {d["label"] for _n, d in graph.nodes(data=True) if d["kind"] == "group"} == {
        "Northgate Firm", "Riverside Runners"}
    out = cli("network", demo_path, "--out", tmp_path / "n.png")
    assert out.returncode == 0 and (tmp_path / "n.png").read_bytes()[:4] == b"\x89PNG"
    bad = cli("network", demo_path, "--out", tmp_path / "n.txt")
    assert bad.returncode == 2 and "must end in" in bad.stderr and "Traceback" not in bad.stderr
    bad = cli("network", demo_path, "--out", tmp_path / "n.pdf", "--group", "Nobody")
    assert bad.returncode == 2 and "no group called 'Nobody'" in bad.stderr
    bad = cli("network", demo_path, "--out", tmp_path / "a.pdf", "--user", "demo.analyst")
    assert bad.returncode == 2 and "cannot export people's names" in bad.stderr
    assert not (tmp_path / "a.pdf").exists()


def test_erasing_a_person_takes_their_incident_roles_and_links(demo_app):
    app = demo_app
    a, b, c = (p.id for p in app.people.list()[:3])
    iid = app.incidents.record(Incident(DAY, "Here", IncidentKind.ASSAULT),
                               [(a, IncidentRole.SUSPECT), (b, IncidentRole.VICTIM)], [])
    app.links.add(PersonLink(a, c, LinkKind.FAMILY, None, DAY))
    app.links.add(PersonLink(c, a, LinkKind.ASSOCIATE, None, DAY))
    preview = app.retention.erasure_preview(a)
    assert preview.counts["incident_involvements"] >= 1
    assert preview.counts["links"] >= 1 and preview.counts["links_to_them"] >= 1
    app.retention.erase(a, "Fictional: no longer meets the criteria")
    assert [p.person_id for p in app.incidents.get(iid).people] == [b]   # the incident stays
    assert all(a not in (v.person_id, v.other_person_id) for v in app.links.for_person(c))


def test_one_groups_reach_reads_the_same_as_every_groups(demo_app):
    every = {r.group_id: r for r in demo_app.reach.groups()}
    assert every and any(r.last_incident for r in every.values())
    for gid, reach in every.items():
        assert demo_app.reach.group(gid) == reach
    assert entries(demo_app, "reach")[-1].operation == "consultation"


def test_the_board_strips_figures_name_no_one_and_consult_no_record(demo_app):
    """The board refreshes its summary strip often; reach as figures (``summary``) carries
    no people and leaves no consultation entry, while the people behind it (``groups``) do."""
    before = len(entries(demo_app, "reach"))
    figures = demo_app.reach.summary()
    assert figures and all(r.people == () for r in figures)
    assert len(entries(demo_app, "reach")) == before
    full = demo_app.reach.groups()
    assert [(r.name, r.reached, r.share, r.reached_flag, r.unreached_since_incident)
            for r in full] == [(r.name, r.reached, r.share, r.reached_flag,
                                r.unreached_since_incident) for r in figures]
    assert any(r.people for r in full)
    assert len(entries(demo_app, "reach")) == before + 1


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
