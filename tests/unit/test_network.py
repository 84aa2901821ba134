"""The network and its analysis (issue 14), checked against networkx on a real network
(Zachary's karate club) loaded through the services, and on the demo's incidents."""
from __future__ import annotations

from datetime import date

import networkx as nx
import pytest

from deterrence_desktop.domain.errors import PermissionDenied
from deterrence_desktop.domain.model import Group, Membership, Person
from deterrence_desktop.domain.network import (
    Confidence, Incident, IncidentKind, IncidentRole, LinkKind, PersonLink,
)
from deterrence_desktop.services import network as N

KARATE = nx.karate_club_graph()


@pytest.fixture
def karate(empty_app):
    """The karate club's 34 members as people, its 78 ties as reported associate links, and
    the two factions of the split as groups. Returns (app, person id of each member)."""
    app = empty_app
    ids = {}
    for m in sorted(KARATE.nodes):
        person = app.people.create(Person(reference=f"FD-{m + 1:04d}", given_name=f"Member{m}",
                                          family_name="Karate (fictional)"))
        ids[m] = person.id
    factions = {}
    for name in sorted({KARATE.nodes[m]["club"] for m in KARATE.nodes}):
        factions[name] = app.groups.create(Group(name=f"Club {name}")).id
    for m in sorted(KARATE.nodes):
        app.groups.add_member(Membership(ids[m], factions[KARATE.nodes[m]["club"]]))
    for a, b in sorted(KARATE.edges):
        app.links.add(PersonLink(ids[a], ids[b], LinkKind.ASSOCIATE, None, date(2026, 1, 5),
                                 Confidence.CONFIRMED))
    return app, ids


def test_karate_club_centrality_and_key_players_equal_networkx(karate):
    app, ids = karate
    member = {pid: m for m, pid in ids.items()}
    analysis = app.network.analysis()
    assert (analysis.people, analysis.links) == (34, 78)
    assert analysis.method == "exact"
    assert len(analysis.components) == 1
    expected_between = nx.betweenness_centrality(KARATE)
    expected_degree = nx.degree_centrality(KARATE)
    assert {member[p]: v for p, v in analysis.betweenness.items()} == pytest.approx(expected_between)
    assert {member[p]: v for p, v in analysis.degree.items()} == pytest.approx(expected_degree)
    top3 = sorted(expected_between, key=expected_between.get, reverse=True)[:3]
    assert top3 == [0, 33, 32]
    assert [member[k.person_id] for k in analysis.key_players[:3]] == [0, 33, 32]
    assert all(k.reasons for k in analysis.key_players)
    assert "betweenness" in analysis.key_players[0].reasons[0]


def test_karate_club_first_girvan_newman_split_matches_the_factions(karate):
    app, ids = karate
    member = {pid: m for m, pid in ids.items()}
    groupings = app.network.suggested_groupings()
    assert len(groupings) == 2
    ours = [{member[p] for p in c} for c in groupings]
    theirs = [set(c) for c in next(nx.community.girvan_newman(KARATE))]
    assert sorted(map(sorted, ours)) == sorted(map(sorted, theirs))
    club = {m: KARATE.nodes[m]["club"] for m in KARATE.nodes}

    def agreement(split):
        a, b = split
        one = sum(club[m] == "Mr. Hi" for m in a) + sum(club[m] == "Officer" for m in b)
        return max(one, 34 - one)
    assert agreement(ours) >= 32
    assert agreement(ours) == agreement(theirs)


def test_karate_club_bridges_link_the_two_factions(karate):
    app, ids = karate
    analysis = app.network.analysis()
    across = {b.person_id for b in analysis.bridges}
    member = {pid: m for m, pid in ids.items()}
    club = {m: KARATE.nodes[m]["club"] for m in KARATE.nodes}
    crossing = {m for a, b in KARATE.edges if club[a] != club[b] for m in (a, b)}
    assert {member[p] for p in across} == crossing
    assert any("links Club Mr. Hi and Club Officer" in r for k in analysis.key_players
               for r in k.reasons)


def test_the_demo_network_is_built_from_its_incidents(demo_app):
    app = demo_app
    incidents = app.incidents.list()
    assert len(incidents) == 14 and all(i.groups for i in incidents)
    # Co-offending is derived: suspects of one incident are linked, weighted by incidents shared.
    graph = app.network.graph()
    expected = nx.Graph()
    for summary in incidents:
        detail = app.incidents.get(summary.id)
        suspects = [p.person_id for p in detail.people if p.role == "suspect"]
        for i, a in enumerate(suspects):
            for b in suspects[i + 1:]:
                w = expected.get_edge_data(a, b, {"w": 0})["w"]
                expected.add_edge(a, b, w=w + 1)
    derived = {(min(a, b), max(a, b)): d["w"] for a, b, d in expected.edges(data=True)}
    ours = {tuple(sorted((int(a[2:]), int(b[2:])))) for a, b, d in graph.edges(data=True)
            if "co_offending" in d["kinds"].split(",")}
    assert ours == set(derived) and derived
    # Our analysis equals networkx's on the same person graph.
    analysis = app.network.analysis()
    people = nx.Graph()
    people.add_nodes_from(int(n[2:]) for n, d in graph.nodes(data=True) if d["kind"] == "person")
    people.add_edges_from((int(a[2:]), int(b[2:])) for a, b in graph.edges
                          if a.startswith("p:") and b.startswith("p:"))
    assert analysis.betweenness == pytest.approx(nx.betweenness_centrality(people))
    assert len(analysis.components) == nx.number_connected_components(people)
    assert analysis.key_players and analysis.bridges
    names = set(analysis.group_names.values())
    assert any(r.startswith("links ") and r.removeprefix("links ").split(" and ")[0] in names
               for k in analysis.key_players for r in k.reasons)
    # Today's incident: its groups have not been reached since.
    flagged = {r.name for r in analysis.reach if r.unreached_since_incident}
    today = [i for i in incidents if i.occurred_on == date(2026, 11, 26)]
    assert today and flagged == set(today[0].groups)


def test_an_incident_with_two_rivals_shows_on_the_network(demo_app):
    app = demo_app
    groups = {g.name: g.id for g in app.groups.list()}
    rival_a, rival_b = groups["Copperfield Crew"], groups["Bluebell Line"]
    pics = app.network.picture(N.NetworkFilter(group_ids=[rival_a]))
    assert set(pics.groups) == {rival_a, rival_b}                  # a group and its rivals
    a = next(n for n in pics.nodes if n.kind == "person" and n.group_id == rival_a)
    b = next(n for n in pics.nodes if n.kind == "person" and n.group_id == rival_b
             and not any({e.a, e.b} == {a.key, n.key} for e in pics.edges))
    app.incidents.record(Incident(date(2026, 11, 20), "Example Street", IncidentKind.ASSAULT),
                         [(a.entity_id, IncidentRole.SUSPECT), (b.entity_id, IncidentRole.SUSPECT)], [])
    pic = app.network.picture(N.NetworkFilter(group_ids=[rival_a]))
    edge = next(e for e in pic.edges if {e.a, e.b} == {a.key, b.key})
    assert edge.kind == "co_offending" and edge.confidence == "confirmed"
    assert any(e.kind == "rival" and {e.a, e.b} == {f"g:{rival_a}", f"g:{rival_b}"}
               for e in pic.edges)
    # Positions are networkx's seeded layout, in 0..1, the same each time.
    assert all(0 <= n.x <= 1 and 0 <= n.y <= 1 for n in pic.nodes)
    again = app.network.picture(N.NetworkFilter(group_ids=[rival_a]))
    assert [(n.key, n.x, n.y) for n in again.nodes] == [(n.key, n.x, n.y) for n in pic.nodes]
    assert max(n.size for n in pic.nodes if n.kind == "person") == 1.0


def test_filters_by_kind_confidence_cohort_and_dates(demo_app):
    app = demo_app
    everything = app.network.picture()
    kinds = {e.kind for e in everything.edges}
    assert {"member", "co_offending", "associate"} <= kinds
    only = app.network.picture(N.NetworkFilter(link_kinds={"family"}))
    assert {e.kind for e in only.edges} <= {"member", "family", "rival", "ally"}
    sure = app.network.graph(N.NetworkFilter(confidences={"confirmed"}))
    assert all(d["confidence"] in ("", "confirmed") for _a, _b, d in sure.edges(data=True))
    window = app.network.picture(N.NetworkFilter(date_from=date(2026, 11, 1),
                                                 link_kinds={"co_offending"}))
    assert sum(e.kind == "co_offending" for e in window.edges) < \
        sum(e.kind == "co_offending" for e in everything.edges)
    cohort = app.cohorts.list()[0]
    members = {m.person_id for m in app.cohorts.members(cohort.id)}
    pic = app.network.picture(N.NetworkFilter(cohort_id=cohort.id))
    assert {n.entity_id for n in pic.nodes if n.kind == "person"} <= members


def test_references_only_hides_names(demo_app):
    pic = demo_app.network.picture(N.NetworkFilter(references_only=True))
    people = [n for n in pic.nodes if n.kind == "person"]
    assert people and all(n.label == n.reference and n.label.startswith("FD-") for n in people)
    analysis = demo_app.network.analysis(N.NetworkFilter(references_only=True))
    assert all(k.label.startswith("FD-") for k in analysis.key_players)


def test_invitee_suggestions_skip_custody_and_people_reached(demo_app):
    app = demo_app
    reach = {r.group_id: r for r in app.reach.groups()}
    gid = next(g for g, r in reach.items() if r.reached < r.current_members)
    suggestions = app.network.suggest_invitees(gid, limit=5)
    reached = {p.person_id for p in reach[gid].people if p.reached}
    assert suggestions
    for s in suggestions:
        person = app.people.get(s.person_id)
        assert person.legal_status not in ("custody", "remand")
        assert s.person_id not in reached and "not reached yet" in s.reason


def test_partner_officers_do_not_see_the_network(demo_app):
    officer = demo_app.as_user("demo.officer")
    with pytest.raises(PermissionDenied):
        officer.network.picture()
    with pytest.raises(PermissionDenied):
        officer.group_audit.table()


def test_betweenness_is_exact_on_small_graphs_and_sampled_on_large_ones():
    small = nx.gnm_random_graph(300, 1200, seed=1)
    assert N.betweenness(small)[1] == "exact"
    g = nx.gnm_random_graph(3000, 9000, seed=1)
    values, method = N.betweenness(g)
    k = N.BETWEENNESS_BUDGET // (3000 + 2 * 9000)
    assert method == f"sampled k={k}" and len(values) == g.number_of_nodes()
    assert values == nx.betweenness_centrality(g, k=k, seed=N.SEED)     # seeded: repeatable


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
