"""The network of people and groups, and its analysis: networkx lives here (and in
exports/network_picture.py), behind plain results the screens draw.

Two graphs are built from the same filtered data: the *person graph* (people, and the
links between them: reported links and co-offending derived from shared incidents) on
which components, degree and betweenness are computed, and the *picture graph* that
adds the groups (member edges, rivalry and alliance edges) and is laid out for drawing
and written to GraphML.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..domain.enums import AuditOperation
from ..domain.errors import NotFoundError, ValidationError
from . import network_data, reach
from .base import Service
from .reach import GroupReach, refuse_partner_officer
from .settings import SettingsService

# Betweenness costs one breadth-first search per source node: exact while all of them fit
# this many node and edge visits (a few hundred people with their links), else sampled.
BETWEENNESS_BUDGET = 1_000_000
MIN_SOURCES = 10
GIRVAN_NEWMAN_UP_TO = 500           # edges: Girvan-Newman recomputes edge betweenness per cut
SEED = 42
KEY_PLAYERS = 10
RELATION_EDGE = {"rivalry": "rival", "alliance": "ally"}

if TYPE_CHECKING:
    import networkx as nx


def _nx():
    """networkx, imported on first use (it takes most of a second to import: the app
    starts without it)."""
    import networkx
    return networkx


@dataclass(frozen=True)
class NetworkFilter:
    group_ids: list[int] | None = None      # these groups (and their rivals) only; None: all
    cohort_id: int | None = None            # people of this cohort only
    link_kinds: set[str] | None = None      # None: every kind (co_offending, family, ...)
    confidences: set[str] | None = None     # None: every confidence
    date_from: date | None = None           # incidents and reported links in this window
    date_to: date | None = None
    include_rivals: bool = True             # with group_ids: their rivals' members too
    references_only: bool = False           # labels are references (projection, exports)


@dataclass(frozen=True)
class NodeView:
    key: str                  # "p:12" or "g:3"
    kind: str                 # "person" or "group"
    entity_id: int
    label: str                # a person's name, or reference when references only; a group's name
    group_id: int | None      # a person's main group; a group's own id
    colour: int | None        # colour key: the group id the node takes its colour from
    reached: bool | None      # a person: has had the message; a group: counts as reached
    size: float               # 0..1: degree centrality relative to the busiest node shown
    x: float                  # 0..1, from networkx's spring layout (seeded: the same each time)
    y: float
    reference: str = ""       # a person's reference (always shown when names are not)
    degree: int = 0


@dataclass(frozen=True)
class EdgeView:
    a: str                    # node keys
    b: str
    kind: str                 # member, rival, ally, co_offending, family, associate, rival, victim_of
    confidence: str = ""      # for links between people
    weight: int = 1           # links of this pair (shared incidents for co-offending)
    kinds: tuple[str, ...] = ()   # every kind between this pair of people


@dataclass(frozen=True)
class NetworkPicture:
    nodes: list[NodeView]
    edges: list[EdgeView]
    groups: dict[int, str] = field(default_factory=dict)     # the groups shown, for a legend
    references_only: bool = False


class Bridge(NamedTuple):
    person_id: int
    group_a: int
    group_b: int


class KeyPlayer(NamedTuple):
    person_id: int
    label: str
    reasons: list[str]


class NetworkExport(NamedTuple):
    path: Path
    people: int
    groups: int
    references_only: bool


class Suggestion(NamedTuple):
    person_id: int
    label: str
    reason: str
    reference: str = ""


@dataclass(frozen=True)
class NetworkAnalysis:
    people: int
    links: int
    components: list[list[int]]           # person ids, the largest component first
    degree: dict[int, float]              # degree centrality (networkx)
    betweenness: dict[int, float]         # betweenness centrality (networkx, normalised)
    method: str                           # "exact" or "sampled k=N"
    bridges: list[Bridge]
    key_players: list[KeyPlayer]
    reach: list[GroupReach]
    group_names: dict[int, str] = field(default_factory=dict)


@dataclass
class _Built:
    data: network_data.NetworkData
    people: set[int]
    groups: set[int]
    person_graph: nx.Graph
    given: dict[int, reach.Message]
    reach: dict[int, GroupReach]


class NetworkService(Service):
    # -- the API ---------------------------------------------------------------
    def picture(self, flt: NetworkFilter | None = None) -> NetworkPicture:
        flt = flt or NetworkFilter()
        built = self._build(flt, "network picture")
        return picture_of(built, flt.references_only)

    def analysis(self, flt: NetworkFilter | None = None) -> NetworkAnalysis:
        flt = flt or NetworkFilter()
        built = self._build(flt, "network analysis")
        return analyse(built, flt.references_only)

    def picture_and_analysis(self, flt: NetworkFilter | None = None
                             ) -> tuple[NetworkPicture, NetworkAnalysis]:
        """Both from one build of the network (the page shows them side by side)."""
        flt = flt or NetworkFilter()
        built = self._build(flt, "network picture and analysis")
        return picture_of(built, flt.references_only), analyse(built, flt.references_only)

    def graph(self, flt: NetworkFilter | None = None) -> nx.Graph:
        """The picture graph, with plain attributes (for GraphML, Gephi, yEd and tests)."""
        flt = flt or NetworkFilter()
        built = self._build(flt, "network graph")
        return graph_of(picture_of(built, flt.references_only))

    def suggest_invitees(self, group_id: int, limit: int = 5,
                         references_only: bool = False) -> list[Suggestion]:
        """The group's most connected current members who are not in custody and have not
        had the message: suggestions for a call-in's invitees."""
        # The group with the groups it is related to: their links are the ones that count.
        built = self._build(NetworkFilter(group_ids=[group_id]), "invitee suggestions",
                            audit=False, with_allies=True)
        data, g = built.data, built.person_graph
        incidents = _incidents_of(data)
        out = []
        for pid in data.members.get(group_id, ()):
            info = data.people[pid]
            if info.in_custody or pid in built.given:
                continue
            degree = g.degree(pid) if pid in g else 0
            reason = f"{degree} link{'s' if degree != 1 else ''} in the network"
            if incidents.get(pid):
                n = incidents[pid]
                reason += f", in {n} incident{'s' if n != 1 else ''}"
            out.append((-degree, -incidents.get(pid, 0), info.reference,
                        Suggestion(pid, _label(info, references_only),
                                   reason + "; not reached yet", info.reference)))
        return [s for *_k, s in sorted(out)][:max(0, limit)]

    def suggested_groupings(self, flt: NetworkFilter | None = None) -> list[set[int]]:
        """Groupings the links suggest (person ids): the first Girvan-Newman split on a
        small network, Louvain communities (seeded) on a large one."""
        built = self._build(flt or NetworkFilter(), "network analysis", audit=False)
        return suggested_groupings(built.person_graph)

    def export(self, flt: NetworkFilter, path: Path | str,
               picture: NetworkPicture | None = None) -> NetworkExport:
        """Write the network to ``path`` (.png, .pdf or .graphml, by its suffix): a disclosure,
        audited; with names only for roles that may export them. ``picture``: the one on
        screen (drawn from its positions), else it is made from ``flt``."""
        from ..exports import network_picture as out

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".png", ".pdf", ".graphml"):
            raise ValidationError("out", "the network is written as .png, .pdf or .graphml")
        if not flt.references_only:
            self.require_names_export("network", path.name)
        if picture is None or picture.references_only != flt.references_only:
            picture = picture_of(self._build(flt, "network export", audit=False),
                                 flt.references_only)
        marking = self.app.partnership.get().protective_marking
        if suffix == ".graphml":
            out.write_graphml(graph_of(picture), path, marking)
        elif suffix == ".pdf":
            out.write_pdf(picture, path, marking)
        else:
            out.write_png(picture, path, marking)
        people = sum(1 for n in picture.nodes if n.kind == "person")
        with self.tx() as uow:
            uow.audit(AuditOperation.DISCLOSURE, "network", suffix.lstrip("."),
                      f"{people} people, {len(picture.groups)} groups, "
                      f"{'references only' if flt.references_only else 'with names'}",
                      recipient=path.name[:200])
        return NetworkExport(path, people, len(picture.groups), flt.references_only)

    # -- building --------------------------------------------------------------
    def _build(self, flt: NetworkFilter, what: str, audit: bool = True,
               with_allies: bool = False) -> _Built:
        refuse_partner_officer(self, "network")
        with self.tx() as uow:
            s = uow.session
            scope = None
            if flt.group_ids:
                scope = shown_groups(s, flt, with_allies)
            data = network_data.load(s, self.today(), date_from=flt.date_from,
                                     date_to=flt.date_to, groups=scope)
            cohort = network_data.cohort_people(s, flt.cohort_id) if flt.cohort_id else None
            given = reach.messages(s, set(data.people) if scope is not None else None)
            threshold = float(SettingsService.read(s, reach.THRESHOLD_KEY))
            built = build(data, flt, given, threshold, cohort, scope)
            if audit:
                uow.audit(AuditOperation.CONSULTATION, "network", "",
                          f"{what}: {len(built.people)} people, {len(built.groups)} groups")
            return built


def shown_groups(s, flt: NetworkFilter, with_allies: bool = False) -> set[int]:
    """The filter's groups, and their rivals when it asks for them (and allies)."""
    from sqlalchemy import select

    from ..store.tables import GroupRelationRow, GroupRow
    chosen = set(flt.group_ids or ())
    known = set(s.scalars(select(GroupRow.id).where(GroupRow.id.in_(sorted(chosen)))))
    if chosen - known:
        raise NotFoundError("group", min(chosen - known))
    shown = set(chosen)
    if flt.include_rivals:
        kinds = ["rivalry", "alliance"] if with_allies else ["rivalry"]
        for a, b in s.execute(select(GroupRelationRow.group_id, GroupRelationRow.other_group_id)
                              .where(GroupRelationRow.kind.in_(kinds))):
            if a in chosen:
                shown.add(b)
            if b in chosen:
                shown.add(a)
    return shown


def _label(info: network_data.PersonInfo, references_only: bool) -> str:
    return info.reference if references_only else info.name


def build(data: network_data.NetworkData, flt: NetworkFilter, given: dict[int, reach.Message],
          threshold: float, cohort: set[int] | None = None, shown: set[int] | None = None) -> _Built:
    """Choose the people and groups the filter shows (``shown``: the groups already chosen
    by :func:`shown_groups`), and the person graph between them."""
    links = [l for l in data.links
             if (flt.link_kinds is None or l.kind in flt.link_kinds)
             and (flt.confidences is None or l.confidence in flt.confidences)]
    if flt.group_ids:
        groups = set(flt.group_ids) if shown is None else set(shown)
        if flt.include_rivals and shown is None:
            for gid in flt.group_ids:
                groups |= data.rivals_and_allies(gid)[0]
        people = set().union(set(), *(data.members.get(g, set()) for g in groups))
    else:
        groups = set(data.groups)
        people = set(data.person_groups) | {p for l in links for p in (l.a, l.b)}
    if cohort is not None:
        people &= cohort
    people &= set(data.people)
    if not flt.group_ids:
        groups = {g for p in people for g in data.person_groups.get(p, ())}
    pairs: dict[tuple[int, int], dict] = {}
    for link in links:
        if link.a in people and link.b in people:
            key = (link.a, link.b) if link.a < link.b else (link.b, link.a)
            e = pairs.get(key)
            if e is None:
                pairs[key] = {"weight": link.weight, "kinds": [link.kind],
                              "confidences": [link.confidence]}
            else:
                e["weight"] += link.weight
                e["kinds"].append(link.kind)
                e["confidences"].append(link.confidence)
    g = _nx().Graph()
    g.add_nodes_from(sorted(people))
    g.add_edges_from((a, b, attrs) for (a, b), attrs in pairs.items())
    reached = reach.compute(data, given, threshold, sorted(groups))
    return _Built(data, people, groups, g, given, reached)


def picture_of(built: _Built, references_only: bool) -> NetworkPicture:
    data, g = built.data, built.person_graph
    pic = _nx().Graph()
    for pid in sorted(built.people):
        pic.add_node(f"p:{pid}")
    for gid in sorted(built.groups):
        pic.add_node(f"g:{gid}")
    edges: list[EdgeView] = []
    for pid in sorted(built.people):
        for gid in data.person_groups.get(pid, ()):
            if gid in built.groups:
                pic.add_edge(f"p:{pid}", f"g:{gid}", weight=1.0)
                edges.append(EdgeView(f"p:{pid}", f"g:{gid}", "member"))
    for a, b, attrs in sorted(g.edges(data=True)):
        kinds = tuple(attrs["kinds"])
        pic.add_edge(f"p:{a}", f"p:{b}", weight=2.0)
        edges.append(EdgeView(f"p:{a}", f"p:{b}", _main_kind(kinds),
                              _strongest(attrs["confidences"]), attrs["weight"], kinds))
    for a, b, kind in sorted(data.relations):
        if a in built.groups and b in built.groups:
            pic.add_edge(f"g:{a}", f"g:{b}", weight=0.2)
            edges.append(EdgeView(f"g:{a}", f"g:{b}", RELATION_EDGE.get(kind, kind)))
    pos = _layout(pic)
    degrees = dict(g.degree())
    busiest = max(degrees.values(), default=0) or 1
    biggest = max((len(data.members.get(gid, ())) for gid in built.groups), default=0) or 1
    nodes = []
    for pid in sorted(built.people):
        info, key = data.people[pid], f"p:{pid}"
        main = data.main_group(pid)
        nodes.append(NodeView(key, "person", pid, _label(info, references_only), main, main,
                              pid in built.given, degrees.get(pid, 0) / busiest, *pos[key],
                              reference=info.reference, degree=degrees.get(pid, 0)))
    for gid in sorted(built.groups):
        key = f"g:{gid}"
        r = built.reach.get(gid)
        nodes.append(NodeView(key, "group", gid, data.groups[gid], gid, gid,
                              r.reached_flag if r else None,
                              len(data.members.get(gid, ())) / biggest, *pos[key]))
    return NetworkPicture(nodes, edges, {gid: data.groups[gid] for gid in sorted(built.groups)},
                          references_only)


LINK_PRIORITY = ("co_offending", "victim_of", "rival", "family", "associate")


def _main_kind(kinds) -> str:
    return min(kinds, key=lambda k: LINK_PRIORITY.index(k) if k in LINK_PRIORITY else 99)


def _strongest(confidences) -> str:
    order = ("confirmed", "reported", "suspected")
    return min(confidences, key=lambda c: order.index(c) if c in order else 99)


def _layout(pic: nx.Graph) -> dict[str, tuple[float, float]]:
    """Spring layout, seeded, scaled into 0..1 (the same picture every time)."""
    if pic.number_of_nodes() == 0:
        return {}
    if pic.number_of_nodes() == 1:
        return {next(iter(pic.nodes)): (0.5, 0.5)}
    raw = _nx().spring_layout(pic, seed=SEED, weight="weight",
                           iterations=50 if pic.number_of_nodes() <= 2000 else 30)
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    x0, y0 = min(xs), min(ys)
    span = max(max(xs) - x0, max(ys) - y0) or 1.0
    return {k: (float((p[0] - x0) / span), float((p[1] - y0) / span)) for k, p in raw.items()}


def graph_of(picture: NetworkPicture) -> nx.Graph:
    """The picture as a networkx graph with GraphML-safe attributes."""
    g = _nx().Graph()
    for n in picture.nodes:
        attrs = dict(label=n.label, kind=n.kind, x=n.x, y=n.y, size=n.size)
        if n.group_id is not None:
            attrs["group"] = picture.groups.get(n.group_id, "")
        if n.reached is not None:
            attrs["reached"] = bool(n.reached)
        if n.reference:
            attrs["reference"] = n.reference
        g.add_node(n.key, **attrs)
    for e in picture.edges:
        g.add_edge(e.a, e.b, kind=e.kind, confidence=e.confidence, weight=e.weight,
                   kinds=",".join(e.kinds or (e.kind,)))
    return g


def betweenness(g: nx.Graph) -> tuple[dict[int, float], str]:
    """networkx's betweenness: exact while every source fits the work budget, else sampled
    from as many sources (seeded, so repeatable) as fit it, and never fewer than MIN_SOURCES.
    Returns the values and the method used ("exact" or "sampled k=N")."""
    n, m = g.number_of_nodes(), g.number_of_edges()
    per_source = n + 2 * m                  # one breadth-first search visits each node and edge
    if n * per_source <= BETWEENNESS_BUDGET:
        return _nx().betweenness_centrality(g), "exact"
    k = min(n, max(MIN_SOURCES, BETWEENNESS_BUDGET // per_source))
    return _nx().betweenness_centrality(g, k=k, seed=SEED), f"sampled k={k}"


def _incidents_of(data: network_data.NetworkData, year: int | None = None) -> Counter:
    counts: Counter = Counter()
    for iid, involved in data.incident_people.items():
        if year is not None and data.incidents[iid][0].year != year:
            continue
        for pid, _role in involved:
            counts[pid] += 1
    return counts


def bridges(built: _Built) -> list[Bridge]:
    """People who link two groups: a member of both, or a member of one linked to a member
    of the other (who is not in the first)."""
    data, g = built.data, built.person_graph
    shown = built.groups
    groups = {p: [x for x in data.person_groups.get(p, ()) if x in shown] for p in g.nodes}
    found = set()
    for pid, mine in groups.items():
        for i, a in enumerate(mine):
            for b in mine[i + 1:]:
                found.add((pid, a, b) if a < b else (pid, b, a))
    for p, q in g.edges:
        gp, gq = groups[p], groups[q]
        if not gp or not gq or gp == gq:
            continue
        for one, mine, theirs in ((p, gp, gq), (q, gq, gp)):
            for b in theirs:
                if b not in mine:
                    for a in mine:
                        found.add((one, a, b) if a < b else (one, b, a))
    return [Bridge(*t) for t in sorted(found)]


def analyse(built: _Built, references_only: bool) -> NetworkAnalysis:
    data, g = built.data, built.person_graph
    components = sorted((sorted(c) for c in _nx().connected_components(g)),
                        key=lambda c: (-len(c), c[0] if c else 0))
    degree = _nx().degree_centrality(g) if g.number_of_nodes() > 1 else {p: 0.0 for p in g}
    between, method = betweenness(g)
    found = bridges(built)
    this_year = _incidents_of(data, data.today.year)
    by_person = defaultdict(list)
    for b in found:
        by_person[b.person_id].append(b)
    ranked = sorted(g.nodes, key=lambda p: (-between.get(p, 0.0), -g.degree(p),
                                            data.people[p].reference))
    top_between = {p for p in ranked[:5] if between.get(p, 0.0) > 0}
    top_degree = {p for p in sorted(g.nodes, key=lambda p: (-g.degree(p), data.people[p].reference))[:5]
                  if g.degree(p) > 0}
    players = []
    for pid in ranked:
        reasons = []
        if pid in top_between:
            reasons.append(f"on many shortest paths between others (betweenness {between[pid]:.2f})")
        for b in by_person.get(pid, [])[:2]:
            reasons.append(f"links {data.groups[b.group_a]} and {data.groups[b.group_b]}")
        if this_year.get(pid, 0) >= 2:
            reasons.append(f"in {this_year[pid]} incidents this year")
        if pid in top_degree:
            reasons.append(f"{g.degree(pid)} direct links")
        if reasons:
            players.append(KeyPlayer(pid, _label(data.people[pid], references_only), reasons))
        if len(players) == KEY_PLAYERS:
            break
    return NetworkAnalysis(g.number_of_nodes(), g.number_of_edges(), components, degree, between,
                           method, found, players,
                           sorted(built.reach.values(), key=lambda r: r.name),
                           {gid: data.groups[gid] for gid in sorted(built.groups)})


def suggested_groupings(g: nx.Graph) -> list[set[int]]:
    if g.number_of_edges() == 0:
        return [set(g.nodes)] if g.number_of_nodes() else []
    if g.number_of_edges() <= GIRVAN_NEWMAN_UP_TO:
        first = next(_nx().community.girvan_newman(g))
        return [set(c) for c in first]
    return [set(c) for c in _nx().community.louvain_communities(g, seed=SEED)]
