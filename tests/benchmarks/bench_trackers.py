"""Benchmark: Excel action trackers.

    .venv/bin/python tests/benchmarks/bench_trackers.py [--keep DIR]

* Export 20,000 and 100,000 actions (the whole partnership) through
  ``TrackerService.export`` (database streaming, all formatting, hidden sheet, audit,
  atomic rename), and, in the same run, the floor: bare openpyxl write-only
  writing the same Actions cells (plain values, already in memory) to a file.
  Also the writer alone (``write_tracker_file`` on the same in-memory rows).
  Target: within 1.3x of the floor.
  Wall time and CPU time are both printed: on a shared machine CPU time is the
  steadier comparison.
* Peak memory (ru_maxrss) of a fresh process exporting 100,000 actions. Target < 500 MB.
* Import a 10,000-row return (one partner's tracker, 1,000 rows edited): dry run and
  apply. Target < 10 s.

Each measurement runs in its own subprocess so peak memory is the export's own.
Workspaces are built with ``services.demo.bench_size``; figures are medians of 3 runs
on a shared, noisy machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PASSPHRASE = "bench passphrase - fictional data only"
TODAY = "2026-11-26"


def build(path: Path, actions: int) -> None:
    from datetime import date

    from deterrence_desktop.services import demo
    if path.exists():
        return
    t = time.perf_counter()
    size = demo.bench_size(people=max(2_000, actions // 20), actions=actions)
    app = demo.create_demo_workspace(path, PASSPHRASE, size, today=date.fromisoformat(TODAY))
    app.workspace.checkpoint()
    app.close()
    print(f"  built {path.name}: {actions:,} actions in {time.perf_counter() - t:.1f} s",
          flush=True)


def open_app(path: Path):
    from datetime import date

    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.store.workspace import Workspace
    ws = Workspace.open(path, PASSPHRASE)
    return WorkspaceServices(ws, today=date.fromisoformat(TODAY)).as_user("demo.coordinator")


def peak_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- subprocess modes -------------------------------------------------------------------

def mode_export(path: Path, out: Path) -> dict:
    app = open_app(path)
    base = peak_mb()
    t, c = time.perf_counter(), time.process_time()
    result = app.trackers.export(out, names=False)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    app.close()
    return {"seconds": elapsed, "cpu": cpu, "rows": result.rows, "peak_mb": peak_mb(),
            "base_mb": base, "bytes": out.stat().st_size}


def _rows(path: Path):
    app = open_app(path)
    with app.workspace.session() as s:
        rows = list(app.trackers._tracker_rows(
            s.execute(app.trackers._export_query(None, False)), False))
    app.close()
    return rows


def mode_floor(path: Path, out: Path) -> dict:
    """Bare openpyxl write-only: the same Actions cells, plain values, no formatting."""
    from openpyxl import Workbook

    from deterrence_desktop.exports.tracker_xlsx import HEADERS, KIND_LABELS, STATUS_LABELS
    rows = _rows(path)
    base = peak_mb()
    t, c = time.perf_counter(), time.process_time()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Actions")
    ws.append(list(HEADERS))
    for r in rows:
        ws.append((r.action_id, r.reference, r.subject, r.description,
                   KIND_LABELS.get(r.kind, r.kind), r.partner, r.assignee, r.due_date,
                   STATUS_LABELS.get(r.status, r.status), r.outcome, r.notes,
                   r.updated_at.replace(microsecond=0) if r.updated_at else None))
    wb.save(out)
    return {"seconds": time.perf_counter() - t, "cpu": time.process_time() - c,
            "rows": len(rows), "peak_mb": peak_mb(), "base_mb": base}


def mode_writer(path: Path, out: Path) -> dict:
    """Our writer alone, on the same in-memory rows (no database, no audit)."""
    from datetime import date, datetime

    from deterrence_desktop.exports.tracker_xlsx import TrackerMeta, write_tracker
    rows = _rows(path)
    t, c = time.perf_counter(), time.process_time()
    write_tracker(out, rows, TrackerMeta("bench", datetime(2026, 11, 26, 9, 0), None, "",
                                         today=date.fromisoformat(TODAY)))
    return {"seconds": time.perf_counter() - t, "cpu": time.process_time() - c,
            "rows": len(rows), "peak_mb": peak_mb()}


def mode_import(path: Path, out: Path) -> dict:
    import openpyxl

    from deterrence_desktop.exports.tracker_xlsx import ACTIONS_SHEET, HEADERS
    app = open_app(path)
    partner = max(app.partners.list(), key=lambda p: p.open_actions)
    # The partner with most actions; cut to 10,000 rows with a bench-only limit if larger.
    result = app.trackers.export(out, partner_id=partner.id, force=True)
    wb = openpyxl.load_workbook(out)
    ws = wb[ACTIONS_SHEET]
    status, notes = HEADERS.index("Status") + 1, HEADERS.index("Notes") + 1
    if ws.max_row - 1 > 10_000:
        ws.delete_rows(10_002, ws.max_row - 10_001)
    for r in range(2, min(ws.max_row, 1_001) + 1):
        ws.cell(r, status).value = "Done" if ws.cell(r, status).value != "Done" else "Planned"
        ws.cell(r, notes).value = f"Updated by the partner, row {r} (fictional)"
    wb.save(out)
    rows = ws.max_row - 1
    t = time.perf_counter()
    plan = app.trackers.check_return(out)
    dry = time.perf_counter() - t
    t = time.perf_counter()
    applied = app.trackers.apply_return(plan)
    apply_s = time.perf_counter() - t
    app.close()
    return {"rows": rows, "exported": result.rows, "dry_run_s": dry, "apply_s": apply_s,
            "changes": applied.applied, "peak_mb": peak_mb()}


MODES = {"export": mode_export, "floor": mode_floor, "writer": mode_writer,
         "import": mode_import}


def sub(mode: str, path: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--mode", mode, str(path), str(out)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=MODES)
    parser.add_argument("args", nargs="*")
    parser.add_argument("--keep", type=Path, help="keep the bench workspaces in DIR")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(MODES[args.mode](Path(args.args[0]), Path(args.args[1]))))
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-trackers-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"bench_trackers (cpu count {os.cpu_count()}, load {os.getloadavg()[0]:.1f}); "
          f"workspaces in {folder}", flush=True)
    for n in (20_000, 100_000):
        build(folder / f"bench-{n}.ddw", n)

    for n in (20_000, 100_000):
        ws = folder / f"bench-{n}.ddw"
        runs = {"floor": [], "writer": [], "export": []}
        cpu = {"floor": [], "writer": [], "export": []}
        peaks = []
        for _ in range(args.runs):
            for mode in ("floor", "writer", "export"):
                out = folder / f"{mode}-{n}.xlsx"
                r = sub(mode, ws, out)
                runs[mode].append(r["seconds"])
                cpu[mode].append(r["cpu"])
                if mode == "export":
                    peaks.append(r["peak_mb"])
                    base = r["base_mb"]
                    size = r["bytes"]
                out.unlink(missing_ok=True)
        floor = statistics.median(runs["floor"])
        writer = statistics.median(runs["writer"])
        export = statistics.median(runs["export"])
        print(f"export {n:>7,} actions: floor (bare openpyxl write-only) {floor:6.2f} s | "
              f"our writer {writer:6.2f} s ({writer / floor:.2f}x) | "
              f"service export end to end {export:6.2f} s ({export / floor:.2f}x) | "
              f"peak RSS {max(peaks):.0f} MB (after opening: {base:.0f} MB) | file {size / 1e6:.1f} MB", flush=True)
        fc, wc, ec = (statistics.median(cpu[m]) for m in ("floor", "writer", "export"))
        print(f"         CPU time: floor {fc:6.2f} s | our writer {wc:6.2f} s ({wc / fc:.2f}x) | "
              f"service export end to end {ec:6.2f} s ({ec / fc:.2f}x)", flush=True)

    r = sub("import", folder / "bench-100000.ddw", folder / "return.xlsx")
    print(f"import a {r['rows']:,}-row return ({r['changes']:,} rows changed): dry run "
          f"{r['dry_run_s']:.2f} s, apply {r['apply_s']:.2f} s, total "
          f"{r['dry_run_s'] + r['apply_s']:.2f} s (target < 10 s); peak RSS {r['peak_mb']:.0f} MB",
          flush=True)


if __name__ == "__main__":
    main()
