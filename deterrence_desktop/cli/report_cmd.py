"""`deterrence-desktop report`: the board report of an evaluation, as one PDF:

    deterrence-desktop report PATH [--cohort NAME | --group NAME] [--from DATE] [--to DATE]
                                   [--window MONTHS] [--compare NAME] --out FILE.pdf [--table FILE.csv|.xlsx]

Aggregates only: every cell about fewer than 5 people reads "<5". The disclosure is audited.
"""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from . import CommandError, add_passphrase_option, open_services


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write it as 2026-04-01") from None


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="write the board report (outcomes before and after inclusion) as a PDF",
        description="Evaluate a cohort, a group or everyone in a cohort: outcomes in a window "
                    "before and after each person's inclusion, engagement and delivery; write "
                    "the board report PDF (OFFICIAL-SENSITIVE, cells about fewer than 5 people "
                    "suppressed, with a method note).")
    p.add_argument("path", type=Path, help="the workspace")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--cohort", metavar="NAME", help="this cohort (default: everyone in a cohort)")
    who.add_argument("--group", metavar="NAME", help="this group (inclusion: membership start)")
    p.add_argument("--from", dest="date_from", type=_date, metavar="DATE",
                   help="people included on or after this day (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=_date, metavar="DATE",
                   help="people included up to this day; outcomes counted up to it")
    p.add_argument("--window", type=int, default=12, metavar="MONTHS",
                   help="months before and after inclusion (default 12)")
    p.add_argument("--compare", metavar="NAME", help="a comparison cohort, shown beside")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.pdf", help="the PDF to write")
    p.add_argument("--table", type=Path, metavar="FILE",
                   help="also write the aggregate table (.csv or .xlsx), suppressed the same way")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from ..domain.evaluation import EvaluationQuery

    if args.out.suffix.lower() != ".pdf":
        raise CommandError("--out must name a .pdf file")
    if args.table is not None and args.table.suffix.lower() not in (".csv", ".xlsx"):
        raise CommandError("--table must name a .csv or .xlsx file")
    app = open_services(args)
    try:
        cohorts, groups = app.evaluation.scopes()

        def find(name: str | None, choices, what: str) -> int | None:
            if name is None:
                return None
            for cid, cname in choices:
                if cname.casefold() == name.strip().casefold():
                    return cid
            known = ", ".join(n for _, n in choices) or "none"
            raise CommandError(f"no {what} called {name!r} (the workspace has: {known})")
        query = EvaluationQuery(cohort_id=find(args.cohort, cohorts, "cohort"),
                                group_id=find(args.group, groups, "group"),
                                window_months=args.window, date_from=args.date_from,
                                date_to=args.date_to,
                                comparison_cohort_id=find(args.compare, cohorts, "cohort"))
        evaluation = app.evaluation.evaluate(query)
        app.evaluation.write_report(query, args.out, evaluation=evaluation)
        if args.table is not None:
            write = (app.evaluation.write_table_xlsx if args.table.suffix.lower() == ".xlsx"
                     else app.evaluation.write_table_csv)
            write(query, args.table, evaluation=evaluation)
    finally:
        app.close()
    people = evaluation.people if not 0 < evaluation.people < 5 else "fewer than 5"
    print(f"Wrote {args.out}: {evaluation.scope}, {people} people, "
          f"{args.window}-month windows, up to {evaluation.period_to:%d %b %Y}"
          + (f"; table {args.table}" if args.table is not None else "")
          + ". OFFICIAL-SENSITIVE.")
    return 0
