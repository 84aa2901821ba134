"""Benchmark of importing from spreadsheets, with the matching's precision and recall.

Run by hand: .venv/bin/python tests/benchmarks/bench_imports.py [--people N] [--rows N] [--actions N]
Against a bench workspace of 10,000 fictional people it writes a 20,000-row people
sheet (.xlsx) in which 2,000 rows are existing people written differently (case,
accents, transposed names, typos, no date of birth) and 1,000 rows repeat another row
of the file the same ways; and a 100,000-row action sheet. It prints the time to read,
preview (parse, map, match, validate) and apply each, the process's peak memory, the
number of pairs compared, and the precision and recall of the duplicates found.
Targets: preview under 10 s, apply under 10 s, peak memory under 500 MB.
"""
from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TODAY = date(2026, 11, 26)
PASSPHRASE = "benchmark passphrase (fictional data)"
SYL = ["bra", "ck", "en", "fold", "quil", "lix", "mor", "ven", "tar", "ash", "wick", "oth", "el", "an",
       "dri", "fen", "gar", "hol", "ist", "jun", "kel", "lor", "mab", "nor", "pel", "ros", "sel", "tov"]


def fictional_name(rnd) -> str:
    return "".join(rnd.choice(SYL) for _ in range(rnd.randint(2, 3))).capitalize()


def vary(rnd, given: str, family: str, dob: date | None):
    """The same person as another spreadsheet writes them."""
    way = rnd.randrange(5)
    if way == 0:
        return given.upper(), family.upper(), dob
    if way == 1:
        return family, given, dob                            # transposed
    if way == 2 and len(family) > 4:
        i = rnd.randrange(1, len(family) - 1)
        return given, family[:i] + family[i + 1:], dob       # a letter dropped
    if way == 3:
        return given, family + "-" + fictional_name(rnd), dob  # a double-barrelled surname added
    return given, family, dob


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=10_000, help="people already in the workspace")
    ap.add_argument("--rows", type=int, default=20_000, help="rows of the people sheet")
    ap.add_argument("--actions", type=int, default=100_000, help="rows of the action sheet")
    args = ap.parse_args()

    import openpyxl

    from deterrence_desktop.domain.clock import FixedClock, set_clock
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.services.demo import bench_size, create_demo_workspace

    set_clock(FixedClock(TODAY))
    rnd = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        app = create_demo_workspace(tmp / "bench.ddw", PASSPHRASE,
                                    size=bench_size(args.people, 20_000), today=TODAY)
        app = WorkspaceServices(app.workspace, today=TODAY).as_user("demo.coordinator")
        with app.workspace.session() as s:
            from sqlalchemy import select

            from deterrence_desktop.store.tables import PersonRow
            people = s.execute(select(PersonRow.id, PersonRow.reference, PersonRow.given_name,
                                      PersonRow.family_name, PersonRow.date_of_birth)).all()
        print(f"workspace: {len(people):,} people ({time.perf_counter() - t0:.1f} s to generate)")

        # -- the people sheet, with known truth -------------------------------------------------
        rows, truth_ws, truth_dup = [], {}, {}
        n_ws, n_dup = args.rows // 10, args.rows // 20
        for person in rnd.sample(people, n_ws):
            g, f, d = vary(rnd, person.given_name, person.family_name, person.date_of_birth)
            truth_ws[len(rows)] = person.id
            rows.append([f, g, d])
        originals = []
        while len(rows) < args.rows - n_dup:
            g, f = fictional_name(rnd), fictional_name(rnd)
            d = date(1975, 1, 1) + timedelta(days=rnd.randrange(365 * 35))
            originals.append(len(rows))
            rows.append([f, g, d])
        for _ in range(n_dup):
            src = rnd.choice(originals)
            f, g, d = rows[src]
            g2, f2, d2 = vary(rnd, g, f, d)
            truth_dup[len(rows)] = src
            rows.append([f2, g2, d2])
        order = list(range(len(rows)))           # duplicates come after their originals
        sheet = tmp / "people.xlsx"
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Nominals")
        ws.append(["Fictionshire nominal list (FICTIONAL)"])
        ws.append(["Surname", "Forename", "Date of birth"])
        for i in order:
            ws.append(rows[i])
        wb.save(sheet)
        line_of = {i: k + 3 for k, i in enumerate(order)}      # sheet line of each generated row

        t = time.perf_counter()
        table = app.imports.read(sheet, "people")
        read_s = time.perf_counter() - t
        t = time.perf_counter()
        mapping = app.imports.guess(table, "people")
        plan = app.imports.preview(table, mapping)
        preview_s = time.perf_counter() - t
        by_line = {r.line: r for r in plan.rows}

        # precision and recall against the workspace (likely matches only) and within the file
        tp = fp = 0
        inv = {ln: i for i, ln in line_of.items()}
        for r in plan.rows:
            i = inv[r.line]
            if r.match_id is not None and not r.possible:
                if truth_ws.get(i) == r.match_id:
                    tp += 1
                else:
                    fp += 1
        fn_ = sum(1 for i, pid in truth_ws.items()
                  if not (by_line[line_of[i]].match_id == pid and not by_line[line_of[i]].possible))
        dtp = sum(1 for r in plan.rows if r.duplicate_of is not None and
                  truth_dup.get(inv[r.line]) is not None and line_of[truth_dup[inv[r.line]]] == r.duplicate_of)
        dfp = sum(1 for r in plan.rows if r.duplicate_of is not None) - dtp
        dfn = len(truth_dup) - dtp
        print(f"people sheet: {len(plan.rows):,} rows; read {read_s:.2f} s, preview (map, match, validate) "
              f"{preview_s:.2f} s  [target < 10 s]; {plan.summary()}")
        print(f"  against the workspace: precision {tp / max(tp + fp, 1):.3f}, recall {tp / max(tp + fn_, 1):.3f} "
              f"({tp} found of {len(truth_ws)}, {fp} wrong)")
        print(f"  within the file:       precision {dtp / max(dtp + dfp, 1):.3f}, recall {dtp / max(dtp + dfn, 1):.3f} "
              f"({dtp} found of {len(truth_dup)}, {dfp} wrong)")
        t = time.perf_counter()
        receipt = app.imports.apply(plan)
        print(f"  apply {time.perf_counter() - t:.2f} s  [target < 10 s]: {receipt.counts}")
        print(f"  peak memory so far {peak_mb():.0f} MB  [target < 500 MB]")

        # -- the action sheet -------------------------------------------------------------------
        del table, plan, by_line, receipt, rows, inv, line_of    # the people sheet's, before the next
        import gc
        gc.collect()
        partners = [p.name for p in app.partners.list()]
        refs = [p.reference for p in people]
        sheet = tmp / "actions.xlsx"
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Tracker")
        ws.append(["Ref", "Agency", "Type", "Action", "Due", "Status"])
        for k in range(args.actions):
            ws.append([rnd.choice(refs), rnd.choice(partners), rnd.choice(["Lever", "Support offer"]),
                       f"Fictional action {k}", TODAY + timedelta(days=rnd.randrange(90)),
                       rnd.choice(["Not started", "Ongoing", "Complete"])])
        wb.save(sheet)
        t = time.perf_counter()
        table = app.imports.read(sheet, "actions")
        read_s = time.perf_counter() - t
        t = time.perf_counter()
        plan = app.imports.preview(table, app.imports.guess(table, "actions"))
        preview_s = time.perf_counter() - t
        t = time.perf_counter()
        receipt = app.imports.apply(plan)
        apply_s = time.perf_counter() - t
        print(f"action sheet: {len(plan.rows):,} rows; read {read_s:.2f} s, preview {preview_s:.2f} s, "
              f"apply {apply_s:.2f} s  [target < 10 s]: {receipt.counts}")
        print(f"peak memory {peak_mb():.0f} MB  [target < 500 MB]")
        app.close()


if __name__ == "__main__":
    main()
