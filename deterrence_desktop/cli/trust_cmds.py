"""Backup commands: backup, backups, restore."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import CommandError, add_passphrase_option, open_services, read_passphrase


def register(sub) -> None:
    p = sub.add_parser("backup", help="make an encrypted, verified backup now (and rotate old ones)")
    p.add_argument("path", type=Path)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("backups", help="list a workspace's backups, checking each")
    p.add_argument("path", type=Path)
    p.add_argument("--folder", type=Path, help="the backup folder (default: beside the workspace)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_backups)

    p = sub.add_parser("restore", help="replace a (closed) workspace with a backup; the current "
                                       "file is kept aside")
    p.add_argument("path", type=Path)
    p.add_argument("backup", type=Path)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    app = open_services(args)
    try:
        info = app.backup.backup_now("command line")
    finally:
        app.close()
    print(f"Backed up and verified: {info.path}")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from ..services.backup import default_folder, list_backups, verify_backup

    passphrase = read_passphrase(args)
    folder = args.folder or default_folder(args.path)
    backups = list_backups(folder, args.path.stem)
    if not backups:
        print(f"No backups in {folder}")
        return 1
    live = _live_chain(args.path, passphrase)
    given_up = _given_up_by_restores(folder, args.path.stem)
    differs = False
    for b in backups:
        problems = verify_backup(b.path, passphrase)
        state = "good" if not problems else f"FAILS: {problems[0]}"
        history = _backup_history(b.path, passphrase, live) if not problems else None
        if history and b.name in given_up and history.startswith("HISTORY DIFFERS"):
            history = "made after the backup a restore brought back: its later entries were given up"
        differs = differs or bool(history and history.startswith("HISTORY DIFFERS"))
        print(f"{b.made_at:%Y-%m-%d %H:%M}  {b.size / 1e6:8.1f} MB  {b.path.name}  {state}")
        if history:
            print(f"      {history}")
    changed = _people_changed(backups, passphrase, live)
    if differs or changed:
        print("The workspace's history does not match what its backups recorded: someone who "
              "holds the passphrase may have changed it outside the app.")
    return 1 if differs or changed else 0


def _given_up_by_restores(folder: Path, stem: str) -> set[str]:
    """Backups the backups folder's index says a later restore gave up."""
    from ..services.anchors import index_path, parse_text, restores_gave_up

    try:
        lines = parse_text(index_path(folder, stem).read_text(encoding="utf-8", errors="replace"), "")
    except OSError:
        return set()
    return restores_gave_up(lines)


def _people_changed(backups, passphrase: str, live) -> bool:
    """Compare each good backup's people with the next backup's (and the newest with the
    workspace's): a person changed in between with no audit entry naming them."""
    from ..services.unaudited import changed_without_entry, say, read_people_file

    copies = []
    for b in reversed(backups):                      # oldest first
        try:
            copies.append((f"backup {b.name}", read_people_file(b.path, passphrase)))
        except Exception:       # noqa: BLE001 - reported above as failing or not compared
            continue
    if live is not None:
        copies.append(("the workspace", live[2]))
    found = False
    for (older_name, older), (newer_name, newer) in zip(copies, copies[1:]):
        refs = changed_without_entry(older, newer)
        if refs:
            found = True
            print("PEOPLE CHANGED OUTSIDE THE APP: "
                  + say(refs, f"between {older_name} and {newer_name}"))
    return found


def _live_chain(path: Path, passphrase: str):
    """(workspace id, the live file's audit chain, its people), read-only; None if it does
    not open."""
    from ..domain.errors import DeterrenceError
    from ..services import audit
    from ..services.unaudited import live_people
    from ..store.workspace import open_or_explain

    try:
        ws = open_or_explain(path, passphrase, read_only=True)
    except DeterrenceError as exc:
        print(f"The workspace itself does not open ({exc}): backups are not compared with it.")
        return None
    try:
        with ws.session() as s:
            chain = audit.verify(s, keep_chain=True)
        return ws.workspace_id, chain, live_people(ws)
    finally:
        ws.close()


def _backup_history(backup: Path, passphrase: str, live) -> str | None:
    """How the backup's audit trail stands against the live file's."""
    from ..services.anchors import compare_backup

    if live is None:
        return None
    try:
        differs = compare_backup(backup, passphrase, live[1], live[0])
    except Exception:       # noqa: BLE001 - it verified; a chain that cannot be read is reported
        return "HISTORY NOT COMPARED: its audit trail could not be read"
    return ("its audit trail is in the workspace's" if differs is None
            else f"HISTORY DIFFERS: {differs}")


def cmd_restore(args: argparse.Namespace) -> int:
    import sys

    from ..security.writer_lock import WriterLock
    from ..services.backup import restore_backup

    passphrase = read_passphrase(args)
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise CommandError("restoring replaces the workspace: confirm with --yes")
        answer = input(f"Replace {args.path.name} with {args.backup.name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was changed.")
            return 1
    with WriterLock(args.path):         # refuses while the app has the workspace open
        aside = restore_backup(args.path, args.backup, passphrase)
    print(f"Restored {args.backup.name}; the previous file is kept as {aside.name}")
    return 0
