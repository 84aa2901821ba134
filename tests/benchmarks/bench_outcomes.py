"""Benchmark of the evaluation (issue 15) on the bench workspace: 10,000 people and
200,000 outcome events.

Run by hand: .venv/bin/python tests/benchmarks/bench_outcomes.py [--people N] [--events N] [--actions N]
Prints: the evaluation for everyone (target under 1 s, computed on the worker), for one
cohort (what switching cohort costs before the redraw) and with a comparison cohort; the
three charts built and drawn (the redraw); the board report PDF (target under 5 s) and
the CSV/xlsx table. Medians and worst of several runs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TODAY = date(2026, 11, 26)
PASSPHRASE = "benchmark passphrase (fictional data)"


def timed(fn, runs=5):
    """Median and worst wall time (ms), the median CPU time of this process (ms: what the
    work costs whatever else the machine is doing), and the last result."""
    out, cpu, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        out.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(out), max(out), statistics.median(cpu), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--actions", type=int, default=200_000)
    ap.add_argument("--keep", type=Path, metavar="FILE.ddw",
                    help="keep the bench workspace in FILE (made on the first run, reused after)")
    args = ap.parse_args()

    from deterrence_desktop.domain.clock import FixedClock, set_clock
    set_clock(FixedClock(TODAY))
    from sqlalchemy import func, select

    from deterrence_desktop.domain.evaluation import EvaluationQuery
    from deterrence_desktop.services.demo import bench_size, create_demo_workspace
    from deterrence_desktop.services.outcome_demo import add_bulk_outcomes
    from deterrence_desktop.store.tables_outcomes import OutcomeEventRow

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = args.keep or tmp / "bench.ddw"
        t0 = time.perf_counter()
        if path.exists():
            from deterrence_desktop.services.app import WorkspaceServices
            from deterrence_desktop.store.workspace import Workspace
            app = WorkspaceServices(Workspace.open(path, PASSPHRASE)).as_user("demo.coordinator")
        else:
            app = create_demo_workspace(path, PASSPHRASE,
                                        size=bench_size(args.people, args.actions), today=TODAY)
            with app.workspace.session() as s:
                have = s.scalar(select(func.count()).select_from(OutcomeEventRow))
                add_bulk_outcomes(s, TODAY, max(0, args.events - have))
        with app.workspace.session() as s:
            total = s.scalar(select(func.count()).select_from(OutcomeEventRow))
        print(f"bench workspace: {len(app.people.list()):,} people, {total:,} outcome events: "
              f"{time.perf_counter() - t0:.1f} s to make or open; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        try:
            cohorts = app.cohorts.list()
            biggest = max(cohorts, key=lambda c: c.members)
            other = next(c for c in cohorts if c.id != biggest.id)
            wall, _w, cpu, _ = timed(lambda: app.evaluation.evaluate(EvaluationQuery()), runs=1)
            print(f"evaluate, everyone in a cohort, first (reads every event): "
                  f"{wall:.0f} ms (cpu {cpu:.0f} ms)")
            for label, query in (
                    ("everyone in a cohort, again", EvaluationQuery()),
                    (f"one cohort ({biggest.members:,} people)", EvaluationQuery(cohort_id=biggest.id)),
                    ("cohort + comparison cohort",
                     EvaluationQuery(cohort_id=biggest.id, comparison_cohort_id=other.id))):
                med, worst, cpu, e = timed(lambda q=query: app.evaluation.evaluate(q))
                print(f"evaluate, {label}: median {med:.0f} ms, worst {worst:.0f} ms, "
                      f"cpu {cpu:.0f} ms ({e.people:,} people observed)")
            everyone = app.evaluation.evaluate(EvaluationQuery())

            t0 = time.perf_counter()
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            from deterrence_desktop.exports import charts
            print(f"import matplotlib + charts (first open of the page): "
                  f"{(time.perf_counter() - t0) * 1000:.0f} ms")
            print(f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            for make in (charts.before_after, charts.monthly, charts.delivery):
                med, worst, cpu, _ = timed(lambda m=make: FigureCanvasAgg(m(everyone)).draw())
                print(f"chart {make.__name__}: build + draw median {med:.0f} ms, "
                      f"worst {worst:.0f} ms, cpu {cpu:.0f} ms")

            med, worst, cpu, _ = timed(lambda: app.evaluation.write_report(
                EvaluationQuery(), tmp / "board.pdf", evaluation=everyone), runs=3)
            print(f"board report PDF (evaluation given): median {med:.0f} ms, worst {worst:.0f} ms, "
                  f"cpu {cpu:.0f} ms, {(tmp / 'board.pdf').stat().st_size // 1024} KB")
            wall, _w, cpu, _ = timed(lambda: app.evaluation.write_report(
                EvaluationQuery(), tmp / "board2.pdf"), runs=1)
            print(f"board report PDF (evaluate + write): {wall:.0f} ms, cpu {cpu:.0f} ms")
            for suffix, write in ((".csv", app.evaluation.write_table_csv),
                                  (".xlsx", app.evaluation.write_table_xlsx)):
                med, worst, cpu, _ = timed(lambda w=write, s=suffix: w(
                    EvaluationQuery(), tmp / f"table{s}", evaluation=everyone), runs=3)
                print(f"table {suffix}: median {med:.0f} ms, cpu {cpu:.0f} ms")
        finally:
            app.close()


if __name__ == "__main__":
    main()
