"""Benchmark of the Evaluation page (issue 15): switching cohort redraws in under 300 ms.

    .venv/bin/python tests/benchmarks/bench_evaluation_page.py [--people N] [--events N] [--keep FILE.ddw]

On the bench workspace (10,000 people, 200,000 outcome events; made once, or reused
with --keep), the real page at 1366x768 (offscreen) is opened, then the "Who" list is
switched between cohorts as a person does. Each time is from the choice to the chart
in view painted: the evaluation on the worker, the figures drawn there, the canvas
swapped in and painted here. Also printed: the first open (matplotlib loaded on the
worker). Medians and worst. Not a test: pytest ignores tests/benchmarks.
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
TARGET_MS = 300


def open_or_make(path: Path, people: int, events: int):
    from sqlalchemy import func, select

    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.services.demo import bench_size, create_demo_workspace
    from deterrence_desktop.services.outcome_demo import add_bulk_outcomes
    from deterrence_desktop.store.tables_outcomes import OutcomeEventRow
    from deterrence_desktop.store.workspace import Workspace

    if path.exists():
        return WorkspaceServices(Workspace.open(path, PASSPHRASE)).as_user("demo.coordinator")
    app = create_demo_workspace(path, PASSPHRASE, size=bench_size(people), today=TODAY)
    with app.workspace.session() as s:
        have = s.scalar(select(func.count()).select_from(OutcomeEventRow))
        add_bulk_outcomes(s, TODAY, max(0, events - have))
    app.workspace.checkpoint()
    return app


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--switches", type=int, default=12)
    ap.add_argument("--keep", type=Path, metavar="FILE.ddw")
    args = ap.parse_args()

    from deterrence_desktop.domain.clock import FixedClock, set_clock
    set_clock(FixedClock(TODAY))
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from deterrence_desktop.ui.context import AppContext
    from deterrence_desktop.ui.style import apply_style

    qapp = QApplication.instance() or QApplication([])
    apply_style(qapp)

    def wait_until(cond, timeout_s: float = 120) -> None:
        loop, deadline = QEventLoop(), time.perf_counter() + timeout_s
        while not cond():
            if time.perf_counter() > deadline:
                raise TimeoutError("the page did not finish")
            QTimer.singleShot(2, loop.quit)
            loop.exec()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.ddw"
        t = time.perf_counter()
        app = open_or_make(path, args.people, args.events)
        print(f"bench workspace: {len(app.people.list()):,} people; "
              f"{time.perf_counter() - t:.1f} s to make or open", flush=True)
        ctx = AppContext()
        # the connection belongs to the worker from here on (as in the app)
        ctx.runner.call_sync(lambda: None)
        ctx.set_services(app)

        from deterrence_desktop.ui.evaluation.page import EvaluationPage
        page = EvaluationPage(ctx)
        page.resize(1366 - 190, 768 - 120)           # the page's share of a 1366x768 window
        t = time.perf_counter()
        page.show()
        wait_until(lambda: page.evaluation is not None and not page.progress.isVisible())
        page.charts["before_after"].canvas.grab()
        first = (time.perf_counter() - t) * 1000
        print(f"first open (matplotlib loaded on the worker, everyone evaluated): {first:.0f} ms")

        cohorts = [i for i in range(page.who.count()) if page.who.itemText(i).startswith("Cohort: ")]
        choices = [0] + cohorts                 # everyone, then each cohort, round and round
        times, people, alone = [], [], []
        for n in range(args.switches):
            index = choices[(n + 1) % len(choices)]
            if index == page.who.currentIndex():
                continue
            before = page.evaluation
            t = time.perf_counter()
            page.who.setCurrentIndex(index)
            wait_until(lambda: page.evaluation is not before and not page.progress.isVisible())
            page.charts["before_after"].canvas.grab()          # the chart in view, painted
            times.append((time.perf_counter() - t) * 1000)
            people.append(page.evaluation.people)
            query = page.evaluation.query                  # the same question, alone
            t = time.perf_counter()
            ctx.call_sync(lambda s: s.evaluation.evaluate(query))
            alone.append((time.perf_counter() - t) * 1000)
        med, worst = statistics.median(times), max(times)
        print(f"switching cohort ({len(times)} switches, {min(people):,} to {max(people):,} people "
              f"evaluated): median {med:.0f} ms, worst {worst:.0f} ms "
              f"(target {TARGET_MS} ms: {'met' if med < TARGET_MS else 'NOT met'}), of which "
              f"services.evaluation.evaluate alone: median {statistics.median(alone):.0f} ms; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        page.hide()
        ctx.drop_services()
        ctx.runner.call_sync(app.close)
        ctx.runner.shutdown()


if __name__ == "__main__":
    main()
