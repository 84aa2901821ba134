"""Workspace commands: init, demo, info, check, passwd."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import (
    CommandError, NEW_PASSPHRASE_ENV, add_passphrase_option, open_services, read_passphrase, tell,
)


def register(sub) -> None:
    p = sub.add_parser("init", help="create a new, empty workspace")
    p.add_argument("path", type=Path)
    p.add_argument("--partnership", default="New partnership", help="the partnership's name")
    p.add_argument("--area", default="Not set", help="the area it covers")
    p.add_argument("--strategy", default="group_violence",
                   choices=["group_violence", "drug_market", "whole_system_drugs"])
    p.add_argument("--username", default="coordinator", help="the first user's sign-in name")
    p.add_argument("--display-name", default="Coordinator", help="the first user's full name")
    p.add_argument("--passphrase-file", metavar="FILE")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="create a demo workspace of fictional people")
    p.add_argument("path", type=Path)
    p.add_argument("--passphrase-file", metavar="FILE",
                   help="default: $DETERRENCE_PASSPHRASE, else the demo passphrase")
    p.add_argument("--people", type=int, help="bench size: this many people")
    p.add_argument("--actions", type=int, help="bench size: this many actions")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("info", help="counts by table, schema version, cipher settings")
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("check", help="page HMACs, SQLite integrity and the audit chain; exit 0 only if all pass")
    p.add_argument("path", type=Path)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("passwd", help="change the workspace passphrase")
    p.add_argument("path", type=Path)
    add_passphrase_option(p)
    p.add_argument("--new-passphrase-file", metavar="FILE",
                   help=f"read the new passphrase from FILE (else ${NEW_PASSPHRASE_ENV}, else a prompt)")
    p.set_defaults(handler=cmd_passwd)


def cmd_init(args: argparse.Namespace) -> int:
    from ..domain.model import Partnership, User
    from ..services.app import WorkspaceServices

    passphrase = read_passphrase(args, prompt="New passphrase: ", confirm=True)
    app = WorkspaceServices.create_workspace(
        args.path, passphrase,
        Partnership(name=args.partnership, area=args.area, strategy=args.strategy),
        User(username=args.username, display_name=args.display_name))
    app.close()
    print(f"Created {args.path}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import os

    from ..services import demo

    if args.passphrase_file or os.environ.get("DETERRENCE_PASSPHRASE"):
        passphrase = read_passphrase(args)
    else:
        passphrase = demo.DEMO_PASSPHRASE
    size = demo.DEMO
    if args.people or args.actions:
        size = demo.bench_size(args.people or 10_000, args.actions or 200_000)
    app = demo.create_demo_workspace(args.path, passphrase, size)
    counts = app.maintenance.info().counts
    app.close()
    print(f"Created demo workspace {args.path}: {counts['person']} people, "
          f"{counts['action']} actions (all fictional)")
    if passphrase == demo.DEMO_PASSPHRASE:
        print(f"Demo passphrase: {passphrase}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    app = open_services(args)
    try:
        info = app.maintenance.info()
    finally:
        app.close()
    if args.json:
        print(json.dumps(info.__dict__, indent=2, default=str))
        return 0
    print(f"Workspace:      {info.path}")
    print(f"Partnership:    {info.partnership}")
    print(f"Workspace id:   {info.workspace_id}")
    print(f"Schema version: {info.schema_version}")
    print("Cipher:         " + ", ".join(f"{k}={v}" for k, v in info.cipher.items()))
    print("Records:")
    for table, n in info.counts.items():
        print(f"  {table:<20} {n:>9,}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from ..security.writer_lock import WorkspaceInUse, open_workspace
    from ..services.app import WorkspaceServices
    from ..services.backup import newest_good_backup
    from ..store.errors import WorkspaceDamaged, WrongPassphrase

    passphrase = read_passphrase(args)
    try:
        try:
            ws = open_workspace(args.path, passphrase)
        except WorkspaceInUse:
            print("The workspace is open in another copy of the app: checking it read-only.")
            ws = open_workspace(args.path, passphrase, read_only=True)
    except WorkspaceDamaged as exc:
        print("FAIL  opening the workspace")
        print(f"      {exc}")
        _suggest_backup(args.path, passphrase)
        return 1
    except WrongPassphrase:
        # A damaged first page fails exactly as a wrong passphrase does. Backups are keyed
        # with the same passphrase: if one opens with it, the passphrase is right.
        found = newest_good_backup(args.path, passphrase)
        if found[0] is None:
            raise
        print("FAIL  opening the workspace")
        print(f"      The passphrase opens the backup {found[0].name}, so it is right: the "
              f"workspace file is damaged (its first page fails its check).")
        _suggest_backup(args.path, passphrase, found)
        return 1
    tell(ws.notices)
    try:
        report = WorkspaceServices(ws).maintenance.check()
    finally:
        ws.close()
    for result in report.results:
        print(f"{'PASS' if result.ok else 'FAIL'}  {result.name}")
        for problem in result.problems:
            print(f"      {problem}")
    if not report.ok:
        print("The workspace failed its checks: restore the newest good backup.")
        _suggest_backup(args.path, passphrase)
    return 0 if report.ok else 1


def _suggest_backup(path: Path, passphrase: str, found=None) -> None:
    """Name the newest backup beside the file that passes both checks (``found``: what
    :func:`newest_good_backup` already said)."""
    from ..services.backup import default_folder, newest_good_backup

    good, bad = found or newest_good_backup(path, passphrase)
    for info, problems in bad:
        print(f"      backup {info.name} also fails: {problems[0]}")
    if good is not None:
        print(f"Newest good backup: {good.path} (made {good.made_at:%d %b %Y %H:%M}); "
              "restore it from the app (Backups) or copy it over the damaged file.")
    else:
        print(f"No good backup was found in {default_folder(path)}.")


def cmd_passwd(args: argparse.Namespace) -> int:
    from ..store.workspace import open_or_explain

    old = read_passphrase(args, prompt="Current passphrase: ")
    new = read_passphrase(args, prompt="New passphrase: ", env=NEW_PASSPHRASE_ENV,
                          file_attr="new_passphrase_file", confirm=True)
    if new == old:
        raise CommandError("the new passphrase is the same as the current one")
    ws = open_or_explain(args.path, old)
    try:
        ws.change_passphrase(old, new)
    finally:
        ws.close()
    print("Passphrase changed.")
    return 0
