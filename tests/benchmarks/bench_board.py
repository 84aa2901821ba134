"""Benchmark of the action board with 20,000 actions: load once, then filter in memory.

Run by hand: .venv/bin/python tests/benchmarks/bench_board.py [--actions N]
Prints the load time, the pure in-memory filter time, and the full filter update of
the board page (filter + four column models reset + summary strip + layout), each
as median and worst of several runs. Target: a filter update under 100 ms.
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


def timed(fn, runs=7):
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out), max(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--actions", type=int, default=20_000)
    ap.add_argument("--people", type=int, default=2_000)
    args = ap.parse_args()

    from deterrence_desktop.services.board import BoardFilter, filter_cards, summarise
    from deterrence_desktop.services.demo import bench_size, create_demo_workspace

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ddw"
        t0 = time.perf_counter()
        app = create_demo_workspace(path, PASSPHRASE, size=bench_size(args.people, args.actions),
                                    today=TODAY)
        print(f"workspace with {args.actions} actions, {args.people} people: "
              f"{time.perf_counter() - t0:.1f} s to generate")
        try:
            t0 = time.perf_counter()
            data = app.board.load()
            print(f"board load (one query set, audited): {(time.perf_counter() - t0) * 1000:.0f} ms, "
                  f"{len(data.cards)} cards")
            filters = {
                "no filter": BoardFilter(),
                "partner": BoardFilter(partner_id=data.partners[0].id),
                "partner + kind + overdue": BoardFilter(partner_id=data.partners[0].id,
                                                        kind="support", overdue_only=True),
                "cohort + due within 14 days": BoardFilter(cohort_id=data.cohorts[0].id,
                                                           due_within_days=14),
                "group": BoardFilter(group_id=data.groups[0].id),
                "search text": BoardFilter(text="housing"),
                "agreed at meeting": BoardFilter(meeting_id=data.meetings[0].id),
            }
            print("\nin-memory filter_cards + summarise (median / worst of 7):")
            for name, f in filters.items():
                n = len(filter_cards(data.cards, f, data.today))
                med, worst = timed(lambda f=f: summarise(filter_cards(data.cards, f, data.today),
                                                         data.today))
                print(f"  {name:32s} {n:6d} cards  {med:6.1f} / {worst:6.1f} ms")

            from PySide6.QtWidgets import QApplication
            from deterrence_desktop.ui.board import BoardPage
            from deterrence_desktop.ui.context import AppContext
            qapp = QApplication.instance() or QApplication([])
            ctx = AppContext()
            page = BoardPage(ctx)
            page.resize(1600, 1000)
            page.show()
            ctx.set_services(app)
            deadline = time.time() + 120
            while page._data is None and time.time() < deadline:
                qapp.processEvents()
                time.sleep(0.01)
            print("\nboard page filter update: filter + 4 column models + summary + layout "
                  "(median / worst of 7):")
            for grouping in ("status", "partner"):
                page.grouping_combo.setCurrentIndex(page.grouping_combo.findData(grouping))
                for name, f in filters.items():
                    def update(f=f):
                        page.filters.set_filter(f)
                        page.refilter()
                        qapp.processEvents()      # the views lay the cards out
                    med, worst = timed(update)
                    print(f"  [{grouping:7s}] {name:32s} {len(page.visible_cards()):6d} cards  "
                          f"{med:6.1f} / {worst:6.1f} ms")
            ctx.runner.shutdown()
        finally:
            app.close()
    print("\n(2-core machine shared with other engineers' work: figures are noisy)")


if __name__ == "__main__":
    main()
