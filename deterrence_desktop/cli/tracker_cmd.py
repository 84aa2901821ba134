"""Excel action trackers on the command line.

    deterrence-desktop export tracker PATH --out FILE.xlsx [--partner NAME] [--names] [--force]
    deterrence-desktop import tracker PATH FILE.xlsx [--apply]

``import tracker`` prints the dry run (row by row: change, conflict, error) and
changes nothing unless ``--apply`` is given; then it applies the changes (not the
conflicts) in one transaction.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import CommandError, add_passphrase_option, open_services


def _verb(sub, name: str, help_text: str):
    """The ``export`` / ``import`` command, shared with other modules that add their own kinds."""
    parser = sub.choices.get(name)
    if parser is None:
        parser = sub.add_parser(name, help=help_text)
        kinds = parser.add_subparsers(dest=f"{name}_kind", metavar="KIND")
        kinds.required = True
        return kinds
    for action in parser._actions:          # another module registered the verb first
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError(f"the '{name}' command takes no kinds")  # pragma: no cover


def register(sub) -> None:
    p = _verb(sub, "export", "write an export (a tracker, ...)").add_parser(
        "tracker", help="write an Excel action tracker for a partner or the whole partnership")
    p.add_argument("path", type=Path, help="the workspace")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx")
    p.add_argument("--partner", metavar="NAME", help="only this partner's actions (default: all)")
    p.add_argument("--names", action="store_true",
                   help="show people's names (default: partnership references only)")
    p.add_argument("--force", action="store_true",
                   help="export even though the partner's information-sharing agreement is not in force")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_export_tracker)

    p = _verb(sub, "import", "read a returned file (a tracker, ...)").add_parser(
        "tracker", help="check a partner's returned tracker (dry run), and apply it with --apply")
    p.add_argument("path", type=Path, help="the workspace")
    p.add_argument("file", type=Path, metavar="FILE.xlsx")
    p.add_argument("--apply", action="store_true",
                   help="apply the changes (conflicts and errors are never applied)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_import_tracker)


def cmd_export_tracker(args: argparse.Namespace) -> int:
    from ..services.trackers import AgreementNotInForce

    app = open_services(args)
    try:
        partner_id = app.partners.by_name(args.partner).id if args.partner else None
        try:
            result = app.trackers.export(args.out, partner_id=partner_id, names=args.names,
                                         force=args.force)
        except AgreementNotInForce as exc:
            raise CommandError(f"{exc} Give --force to export anyway.") from None
    finally:
        app.close()
    extra = " (agreement not in force: exported with --force)" if result.overridden else ""
    print(f"Wrote {args.out}: {result.rows} actions for {result.recipient}, "
          f"{'with names' if result.names else 'references only'}{extra}, "
          f"export {result.export_id}. OFFICIAL-SENSITIVE.")
    return 0


def cmd_import_tracker(args: argparse.Namespace) -> int:
    from ..services.trackers import RowState

    app = open_services(args)
    try:
        plan = app.trackers.check_return(args.file)
        print(f"Return from {plan.recipient}, {plan.export_label}: {len(plan.rows)} rows")
        for problem in plan.problems:
            print(f"  file: {problem}")
        for r in plan.rows:
            if r.state == RowState.UNCHANGED:
                continue
            what = "; ".join(f"{c.column}: {_show(c.old)} -> {_show(c.new)}" for c in r.changes)
            parts = [p for p in (what, r.message) if p]
            print(f"  row {r.line:>6}  action {r.action_id or '-':>7}  {r.state.value:<8}  "
                  + " | ".join(parts))
        print(f"{plan.count(RowState.CHANGE)} to change, {plan.count(RowState.CONFLICT)} in "
              f"conflict, {plan.count(RowState.ERROR)} with errors, "
              f"{plan.count(RowState.UNCHANGED)} unchanged")
        for o in plan.outcomes:
            print(f"  outcome row {o.line:>5}  {o.reference or '-':<9} {o.state.value:<9} "
                  + " | ".join(p for p in (o.summary, o.message) if p))
        if plan.outcomes:
            print(f"Outcomes: {plan.outcome_count(RowState.CHANGE)} new, "
                  f"{plan.outcome_count(RowState.CONFLICT)} in conflict, "
                  f"{plan.outcome_count(RowState.ERROR)} with errors, "
                  f"{plan.outcome_count(RowState.UNCHANGED)} already recorded")
        if not args.apply:
            print("Dry run: nothing was changed. Give --apply to apply the changes.")
            return 1 if plan.errors or plan.outcome_count(RowState.ERROR) else 0
        result = app.trackers.apply_return(plan)
        print(f"Applied {result.fields} changes to {result.applied} actions"
              + (f" and added {result.outcomes} outcomes" if plan.outcomes else "")
              + " (conflicts and errors were not applied).")
        return 0
    finally:
        app.close()


def _show(value) -> str:
    if value is None or value == "":
        return "(empty)"
    text = str(value).replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"
