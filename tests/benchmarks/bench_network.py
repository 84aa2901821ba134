"""Benchmark of the group audit and the network (issue 14) on a bench workspace:
10,000 people, 30,000 links and 5,000 incidents (plainly fictional).

Run by hand: .venv/bin/python tests/benchmarks/bench_network.py [--people N --links N --incidents N]
Prints, as median and worst of several runs:
  - the full analysis (load, components, degree and betweenness, bridges, key players, reach
    of every group): target under 2 s; it runs on the worker, never on the GUI thread;
  - the picture of one group and its rivals, grown to about 300 nodes (load, filter, seeded
    spring layout): the service's share of the 500 ms target to a drawn picture;
  - reach of every group, the group-audit table, and the PNG of the 300-node picture.
Says whether betweenness was exact or sampled (k=N).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TODAY = date(2026, 11, 26)
PASSPHRASE = "benchmark passphrase (fictional data)"


def calibration() -> float:
    """Milliseconds for a million dict updates: ~150 ms on an idle laptop core. The figures
    below scale with it on a shared, loaded machine."""
    t0 = time.perf_counter()
    d: dict[int, int] = {}
    for i in range(1_000_000):
        d[i % 5000] = d.get(i % 5000, 0) + 1
    return (time.perf_counter() - t0) * 1000


def stages(app) -> str:
    """Where the full analysis spends its time, stage by stage (one run)."""
    import networkx as nx

    from deterrence_desktop.services import network as N, network_data, reach
    t = [time.perf_counter()]
    with app.workspace.session() as s:
        data = network_data.load(s, TODAY)
        t.append(time.perf_counter())
        given = reach.messages(s)
        t.append(time.perf_counter())
    built = N.build(data, N.NetworkFilter(), given, 1 / 3)
    t.append(time.perf_counter())
    list(nx.connected_components(built.person_graph))
    nx.degree_centrality(built.person_graph)
    t.append(time.perf_counter())
    _values, method = N.betweenness(built.person_graph)
    t.append(time.perf_counter())
    N.bridges(built)
    t.append(time.perf_counter())
    names = ["load", "messages", "graph + reach", "components + degree", f"betweenness ({method})",
             "bridges"]
    return ", ".join(f"{n} {(b - a) * 1000:.0f}" for n, a, b in zip(names, t, t[1:])) + " ms"


def timed(fn, runs=5):
    out, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), max(out), result


def add_links_and_incidents(app, links: int, incidents: int, seed: int = 7) -> None:
    """Links mostly inside a group, some across; incidents with 2-4 people, most from one group
    and a victim from another. One transaction, bulk inserts."""
    from sqlalchemy import insert, select

    from deterrence_desktop.store.tables import MembershipRow
    from deterrence_desktop.store.tables_network import (
        IncidentGroupRow, IncidentPersonRow, IncidentRow, PersonLinkRow,
    )
    rnd = random.Random(seed)
    kinds = ["associate"] * 5 + ["family"] * 2 + ["rival", "victim_of"]
    confidences = ["confirmed", "confirmed", "reported", "suspected"]
    with app.workspace.session() as s:
        members: dict[int, list[int]] = {}
        for pid, gid in s.execute(select(MembershipRow.person_id, MembershipRow.group_id)):
            members.setdefault(gid, []).append(pid)
        groups = [g for g in sorted(members) if len(members[g]) >= 4]
        everyone = [p for g in groups for p in members[g]]
        seen, rows = set(), []
        while len(rows) < links:
            if rnd.random() < 0.8:
                a, b = rnd.sample(members[rnd.choice(groups)], 2)
            else:
                a, b = rnd.sample(everyone, 2)
            kind = rnd.choice(kinds)
            if (min(a, b), max(a, b), kind) in seen:
                continue
            seen.add((min(a, b), max(a, b), kind))
            rows.append(dict(person_id=a, other_person_id=b, kind=kind, source_partner_id=None,
                             reported_on=TODAY - timedelta(days=rnd.randint(1, 900)),
                             confidence=rnd.choice(confidences), notes=""))
        s.execute(insert(PersonLinkRow), rows)
        first = (s.scalar(select(IncidentRow.id).order_by(IncidentRow.id.desc()).limit(1)) or 0) + 1
        s.execute(insert(IncidentRow), [
            dict(id=first + i, occurred_on=TODAY - timedelta(days=rnd.randint(0, 720)),
                 place="Bench Street (fictional)", kind=rnd.choice(
                     ["shooting", "stabbing", "assault", "robbery", "other"]), description="")
            for i in range(incidents)])
        people, direct = [], []
        for i in range(incidents):
            g = rnd.choice(groups)
            suspects = rnd.sample(members[g], rnd.randint(1, 3))
            victim = rnd.choice(everyone)
            involved = {p: "suspect" for p in suspects}
            involved.setdefault(victim, "victim")
            people += [dict(incident_id=first + i, person_id=p, role=r) for p, r in involved.items()]
            if rnd.random() < 0.3:
                direct.append(dict(incident_id=first + i, group_id=g))
        s.execute(insert(IncidentPersonRow), people)
        s.execute(insert(IncidentGroupRow), direct)


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in __import__("os").getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--links", type=int, default=30_000)
    ap.add_argument("--incidents", type=int, default=5_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    from deterrence_desktop.services import network as N
    from deterrence_desktop.services.demo import bench_size, create_demo_workspace

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        app = create_demo_workspace(Path(tmp) / "bench.ddw", PASSPHRASE,
                                    size=bench_size(args.people, 20_000), today=TODAY)
        add_links_and_incidents(app, args.links, args.incidents)
        print(f"bench workspace: {args.people} people, {args.links} links, {args.incidents} "
              f"incidents (+ the demo's own): {time.perf_counter() - t0:.1f} s to generate")
        try:
            import networkx  # noqa: F401  (imported once, as the app does on first use)
            print(f"machine: a million dict updates take {calibration():.0f} ms "
                  f"(~150 ms on an idle laptop core); load average {_load()}")
            med, worst, analysis = timed(lambda: app.network.analysis(), args.runs)
            print(f"full analysis (load, components, degree, betweenness, bridges, key players, "
                  f"reach of {len(analysis.reach)} groups): {med:.0f} / {worst:.0f} ms "
                  f"(median / worst of {args.runs})")
            print(f"  {analysis.people} people, {analysis.links} linked pairs, "
                  f"{len(analysis.components)} components, {len(analysis.bridges)} bridges; "
                  f"betweenness: {analysis.method}")
            print(f"  stages: {stages(app)}")
            # One group and its rivals, grown group by group to about 300 people.
            groups = [g.id for g in app.groups.list()]
            chosen: list[int] = []
            for gid in groups:
                chosen.append(gid)
                pic = app.network.picture(N.NetworkFilter(group_ids=chosen))
                if len(pic.nodes) >= 300:
                    break
            flt = N.NetworkFilter(group_ids=chosen)
            med, worst, pic = timed(lambda: app.network.picture(flt), args.runs)
            print(f"picture of {len(chosen)} group(s) and their rivals: {len(pic.nodes)} nodes, "
                  f"{len(pic.edges)} edges: {med:.0f} / {worst:.0f} ms")
            med, worst, rows = timed(lambda: app.reach.groups(), args.runs)
            print(f"reach of every group ({len(rows)}): {med:.0f} / {worst:.0f} ms")
            med, worst, rows = timed(lambda: app.group_audit.table(), args.runs)
            print(f"group-audit table ({len(rows)} groups): {med:.0f} / {worst:.0f} ms")
            from deterrence_desktop.exports.network_picture import write_png
            med, worst, _ = timed(lambda: write_png(pic, Path(tmp) / "bench.png"), 3)
            print(f"PNG of the {len(pic.nodes)}-node picture: {med:.0f} / {worst:.0f} ms")
        finally:
            app.close()


if __name__ == "__main__":
    main()
