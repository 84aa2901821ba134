"""``deterrence-desktop import people|groups|actions|communications PATH FILE``.

Reads a partner's spreadsheet with a mapping saved in the app (``--mapping NAME``) or,
without one, with the columns the import guesses (printed, so they can be checked).
Without ``--apply`` it prints the dry run: counts of new, updated, unchanged, left out
and errors, and each row behind them by its line in the file (never a name). With
``--apply`` the rows as the dry run proposes them are written in one transaction.
"""
from __future__ import annotations

from pathlib import Path

from . import add_passphrase_option, open_services
from .tracker_cmd import _verb

KINDS = ("people", "groups", "actions", "communications")


def register(sub) -> None:
    verb = _verb(sub, "import", "read a file into the workspace (a tracker, a spreadsheet of people, ...)")
    for kind in KINDS:
        p = verb.add_parser(kind, help=f"bring {kind} in from a spreadsheet (.xlsx, .csv or .ods)")
        p.add_argument("path", type=Path, help="the workspace")
        p.add_argument("file", type=Path, help="the spreadsheet")
        p.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first)")
        p.add_argument("--mapping", metavar="NAME",
                       help="a mapping saved in the app (File → Import from a spreadsheet…); "
                            "default: the columns guessed from the header")
        p.add_argument("--apply", action="store_true", help="write the rows (default: a dry run)")
        add_passphrase_option(p)
        p.set_defaults(handler=cmd_import, import_kind=kind)


def cmd_import(args) -> int:
    from ..services.imports.plan import RowState

    app = open_services(args)
    try:
        svc = app.imports
        table = svc.read(args.file, args.import_kind, args.sheet)
        if args.mapping:
            mapping = svc.mapping(args.mapping)
            if mapping.kind.value != args.import_kind:
                print(f"The mapping {mapping.name!r} is for {mapping.kind.value}, not {args.import_kind}.")
                return 2
        else:
            mapping = svc.guess(table, args.import_kind)
            print(f"Columns guessed from the header on row {table.header_line} "
                  "(save a mapping in the app to fix them):")
            for header, key in mapping.columns.items():
                print(f"  {header[:40]:<40} -> {key or '(left out)'}")
        plan = svc.preview(table, mapping)
        print(f"{table.path.name}, sheet {table.sheet}: {plan.summary()}")
        for r in plan.rows:
            if r.state == RowState.NEW and not r.reasons:
                continue
            print(f"  row {r.line}: {r.state.value}" + (f": {_no_names(r)}" if r.reasons else ""))
        for line, why in plan.skipped:
            print(f"  row {line}: left out: {why}")
        if not args.apply:
            print("Dry run: nothing was written. Add --apply to write the rows as shown.")
            return 0
        receipt = svc.apply(plan)
        done = ", ".join(f"{n} {k}" for k, n in receipt.counts.items()) or "nothing changed"
        print(f"Applied in one step: {done}.")
        return 0
    finally:
        app.close()


def _no_names(r) -> str:
    """A row's reasons with the matched person named by reference only."""
    text = r.reasons
    if r.match_label:
        text = text.replace(r.match_label, r.match_label.split(" ")[0])
    return text
