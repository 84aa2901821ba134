"""Workspace commands: init, demo, info, check, passwd."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import (
    CommandError, NEW_PASSPHRASE_ENV, WorkspaceBusy, add_passphrase_option, file_or_server,
    open_services, open_to_read, read_passphrase,
)

PASSPHRASE_ONLY = ("Needs only the passphrase: it shows no personal data. (Whoever holds the "
                   "passphrase can read the whole file with any SQLCipher tool anyway.)")


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

    p = sub.add_parser("info", help="counts by table, schema version, cipher settings",
                       description=PASSPHRASE_ONLY)
    p.add_argument("path", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_passphrase_option(p, user=False)
    p.set_defaults(handler=cmd_info)

    p = sub.add_parser("check", help="page HMACs, SQLite integrity, the audit chain and its anchors; "
                                     "exit 0 only if all pass", description=PASSPHRASE_ONLY)
    p.add_argument("path", type=file_or_server,
                   help="a workspace file, or a server workspace's postgresql:// address")
    p.add_argument("--anchor", metavar="FILE", type=Path, action="append", default=[],
                   help="also compare the audit trail with the head recorded in FILE: a witness "
                        "file, a PDF or a tracker the app exported (repeatable)")
    add_passphrase_option(p, user=False)
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser(
        "passwd", help="change the workspace passphrase (coordinators)",
        description="Change the workspace passphrase. For coordinators, signed in with --user and "
                    "their personal password. Refused while another copy of the app or another "
                    "process has the workspace open. Backups keep the passphrase they were made "
                    "with unless re-encrypted (--reencrypt-backups, or say yes when asked).")
    p.add_argument("path", type=Path)
    add_passphrase_option(p)
    p.add_argument("--new-passphrase-file", metavar="FILE",
                   help=f"read the new passphrase from FILE (else ${NEW_PASSPHRASE_ENV}, else a prompt)")
    backups = p.add_mutually_exclusive_group()
    backups.add_argument("--reencrypt-backups", action="store_true", default=None,
                         help="re-encrypt every backup with the new passphrase (each verified)")
    backups.add_argument("--keep-backups", action="store_false", dest="reencrypt_backups",
                         help="leave the backups on the previous passphrase (the default "
                              "without a terminal)")
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
    from ..services.app import WorkspaceServices

    app = WorkspaceServices(open_to_read(args.path, read_passphrase(args), quiet=args.json))
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
    from ..services.app import WorkspaceServices
    from ..services.backup import newest_good_backup
    from ..store.errors import WorkspaceDamaged, WrongPassphrase

    if isinstance(args.path, str):          # a server workspace
        from .server_cmd import open_server_services
        app = open_server_services(args.path, via="command line: check")
        try:
            report = app.maintenance.check(tuple(args.anchor), None)
        finally:
            app.close()
        return _print_check(report)
    passphrase = read_passphrase(args)
    try:
        ws = open_to_read(args.path, passphrase)
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
    try:
        report = WorkspaceServices(ws).maintenance.check(tuple(args.anchor), passphrase)
    finally:
        ws.close()
    if _print_check(report) and not _history_advice(report):
        print("The workspace failed its checks: restore the newest good backup.")
        _suggest_backup(args.path, passphrase)
    return 0 if report.ok else 1


def _print_check(report) -> int:
    """Print each check's result; 0 when all passed, else 1."""
    for result in report.results:
        print(f"{'PASS' if result.ok else 'FAIL'}  {result.name}")
        for problem in result.problems:
            print(f"      {problem}")
    return 0 if report.ok else 1


def _history_advice(report) -> bool:
    """When only the audit trail's history failed (the file itself is sound), say what that
    means instead of advising a restore, which would replace the evidence."""
    history = ("audit chain", "audit trail append-only triggers", "audit anchors",
               "people changed outside the app")
    if any(not r.ok and not r.name.startswith(history) for r in report.results):
        return False
    print("The workspace's history does not match what was recorded: someone who holds the "
          "passphrase may have changed it outside the app. Keep a copy of this file as it is, "
          "and compare it with the backups: deterrence-desktop backups PATH.")
    return True


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
    from ..security.session import open_elsewhere
    from ..store.workspace import check_new_passphrase

    old = read_passphrase(args, prompt="Current passphrase: ")
    new = read_passphrase(args, prompt="New passphrase: ", env=NEW_PASSPHRASE_ENV,
                          file_attr="new_passphrase_file", confirm=True)
    if new == old:
        raise CommandError("the new passphrase is the same as the current one")
    check_new_passphrase(new)

    def nobody_else_has_it() -> None:
        pid = open_elsewhere(args.path)
        if pid is not None:
            who = f"process {pid}" if pid else "another process"
            raise WorkspaceBusy(
                f"{args.path.name} is open in {who} on this computer (perhaps a copy of the app "
                "opened read-only): close it there first. Nothing was changed.")

    app = open_services(args, passphrase=old, before_open=nobody_else_has_it)
    try:
        reencrypt = args.reencrypt_backups
        if reencrypt is None:
            reencrypt = _ask_reencrypt(len(app.backup.list()))
        result = app.maintenance.change_passphrase(old, new, reencrypt_backups=reencrypt)
    finally:
        app.close()
    print("Passphrase changed.")
    if result.reencrypted:
        print(f"{len(result.reencrypted)} backups re-encrypted with the new passphrase and verified.")
    for why in result.failed:
        print(f"  not re-encrypted: {why}")
    if result.left:
        print(f"{len(result.left)} backups still use the previous passphrase: keep it as long as "
              "you keep them (`backups` lists them).")
    return 0


def _ask_reencrypt(count: int) -> bool:
    import sys

    if not count or not sys.stdin or not sys.stdin.isatty():
        return False
    answer = input(f"Re-encrypt the {count} backups with the new passphrase too? [Y/n] ")
    return answer.strip().lower() in ("", "y", "yes")
