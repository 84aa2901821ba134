"""The network on the command line.

    deterrence-desktop network PATH --out FILE.(png|pdf|graphml) [--group NAME] [--references]

Writes the network of people and groups (of one group and its rivals with ``--group``)
as a picture, or as GraphML for Gephi or yEd. With ``--references`` people are shown by
their reference only; without it, by name (not for analysts, who export references only).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import CommandError, add_passphrase_option, open_services

FORMATS = (".png", ".pdf", ".graphml")


def register(sub) -> None:
    p = sub.add_parser("network", help="write the network of people and groups to PNG, PDF or "
                                       "GraphML (Gephi, yEd)")
    p.add_argument("path", type=Path, help="the workspace")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.(png|pdf|graphml)")
    p.add_argument("--group", metavar="NAME", help="only this group and its rivals")
    p.add_argument("--references", action="store_true",
                   help="show people by reference only (default: by name)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_network)


def cmd_network(args: argparse.Namespace) -> int:
    from ..services.network import NetworkFilter

    if args.out.suffix.lower() not in FORMATS:
        raise CommandError(f"--out must end in {', '.join(FORMATS)} (got {args.out.name!r})")
    if not args.out.parent.resolve().is_dir():
        raise CommandError(f"the folder {args.out.parent} does not exist")
    app = open_services(args)
    try:
        group_ids, shown = None, "all groups"
        if args.group:
            named = {g.name.casefold(): g for g in app.groups.list()}
            group = named.get(args.group.strip().casefold())
            if group is None:
                raise CommandError(f"no group called {args.group!r}; the groups are: "
                                   + ", ".join(sorted(g.name for g in named.values())))
            group_ids, shown = [group.id], f"{group.name} and its rivals"
        flt = NetworkFilter(group_ids=group_ids, references_only=args.references)
        done = app.network.export(flt, args.out)
        marking = app.partnership.get().protective_marking
    finally:
        app.close()
    print(f"Wrote {args.out}: the network of {shown}, {done.people} people, {done.groups} groups, "
          f"{'references only' if done.references_only else 'with names'}. {marking}.")
    return 0
