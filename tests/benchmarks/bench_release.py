"""Benchmark of the release planner and continuity plans on the bench workspace:
10,000 fictional people, 1,500 of them in custody or on remand.

Run by hand: .venv/bin/python tests/benchmarks/bench_release.py [--people N] [--in-custody N]
Prints, as median and worst of several runs:
- the release planner for the next 6 weeks (one service call: query, plan statuses,
  calendar, flags; audited). Target: under 300 ms.
- applying the continuity template to 50 releases at once (one audited transaction:
  due dates off weekends and bank holidays, 400 actions and their plan links). Target: under 1 s.
  Each run is undone before the next (the undo is timed too).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TODAY = date(2026, 11, 26)
PASSPHRASE = "benchmark passphrase (fictional data)"


def timed(fn, runs: int = 7) -> tuple[float, float, object]:
    out, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), max(out), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--in-custody", type=int, default=1_500)
    ap.add_argument("--actions", type=int, default=100_000)
    args = ap.parse_args()

    from sqlalchemy import func, select, update

    from deterrence_desktop.domain.clock import FixedClock, set_clock
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.services.demo import bench_size, create_demo_workspace
    from deterrence_desktop.store.tables import PersonRow
    from deterrence_desktop.store.tables_custody import CustodyEpisodeRow

    set_clock(FixedClock(TODAY))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ddw"
        t0 = time.perf_counter()
        app = create_demo_workspace(path, PASSPHRASE, size=bench_size(args.people, args.actions),
                                    today=TODAY)
        # Bring the people in custody to the figure asked for: the others were released.
        with app.workspace.session() as s:
            current = list(s.scalars(select(CustodyEpisodeRow).where(
                CustodyEpisodeRow.actual_release.is_(None)).order_by(CustodyEpisodeRow.id.desc())))
            for e in current[:max(0, len(current) - args.in_custody)]:
                e.actual_release = TODAY - timedelta(days=10)
                s.execute(update(PersonRow).where(PersonRow.id == e.person_id)
                          .values(legal_status="none", custody_release=None))
            held = s.scalar(select(func.count()).select_from(CustodyEpisodeRow).where(
                CustodyEpisodeRow.actual_release.is_(None)))
        print(f"bench workspace: {args.people:,} people, {held:,} in custody or on remand, "
              f"{args.actions:,} actions; {time.perf_counter() - t0:.1f} s to generate")
        try:
            app = WorkspaceServices(app.workspace, app.actor, today=TODAY)
            med, worst, rows = timed(lambda: app.release_planner.rows(weeks=6))
            flagged = sum(1 for r in rows if r.flags.any)
            print(f"release planner, 6 weeks: {len(rows):,} rows ({flagged:,} flagged): "
                  f"{med:.0f} ms median / {worst:.0f} ms worst of 7  (target < 300 ms)")
            med12, worst12, rows12 = timed(lambda: app.release_planner.rows(weeks=52), runs=3)
            print(f"release planner, 52 weeks: {len(rows12):,} rows: "
                  f"{med12:.0f} ms median / {worst12:.0f} ms worst of 3")

            template = app.continuity.templates()[0]
            releases = [r.episode_id for r in app.release_planner.rows(weeks=52)
                        if r.release is not None and r.plan_status == "none"][:50]
            assert len(releases) == 50, "the bench needs 50 releases without a plan"
            applies, undos = [], []
            for _ in range(5):
                t1 = time.perf_counter()
                result = app.continuity.apply(template.template.id, releases)
                applies.append((time.perf_counter() - t1) * 1000)
                t1 = time.perf_counter()
                app.continuity.undo(result)
                undos.append((time.perf_counter() - t1) * 1000)
            print(f"apply the template to 50 releases: {len(result.action_ids)} actions: "
                  f"{statistics.median(applies):.0f} ms median / {max(applies):.0f} ms worst of 5  "
                  f"(target < 1000 ms)")
            print(f"undo that apply: {statistics.median(undos):.0f} ms median / "
                  f"{max(undos):.0f} ms worst of 5")
            med, worst, _ = timed(lambda: app.continuity.incomplete_plans(7))
            print(f"incomplete plans within 7 days (board strip): {med:.0f} ms median / "
                  f"{worst:.0f} ms worst of 7")
        finally:
            app.close()
    print("(2-core machine shared with other engineers' work: figures are noisy)")


if __name__ == "__main__":
    main()
