"""Backup commands: backup, backups, restore.

``backup`` and ``restore`` are for coordinators (signed in with ``--user`` and their
personal password) and take the writer lock; ``backups`` needs only the passphrase.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import (
    CommandError, add_passphrase_option, lock_workspace, open_services, read_passphrase, sign_in,
)


def register(sub) -> None:
    p = sub.add_parser("backup", help="make an encrypted, verified backup now, and rotate old ones "
                                      "(coordinators)")
    p.add_argument("path", type=Path)
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("backups", help="list a workspace's backups, checking each",
                       description="List the backups and check each. Needs only the passphrase. "
                                   "A backup left on the previous passphrase when it was changed "
                                   "is said to be so, not called damaged.")
    p.add_argument("path", type=Path)
    p.add_argument("--folder", type=Path, help="the backup folder (default: beside the workspace)")
    add_passphrase_option(p, user=False)
    p.set_defaults(handler=cmd_backups)

    p = sub.add_parser("restore", help="replace a (closed) workspace with a backup; the current "
                                       "file is kept aside (coordinators)",
                       description="Replace the workspace with a backup (coordinators). The "
                                   "current file is kept aside, and the restored file's audit "
                                   "trail says who restored which backup and what it replaced. "
                                   "A backup of another workspace is refused unless "
                                   "--other-workspace is given.")
    p.add_argument("path", type=Path)
    p.add_argument("backup", type=Path)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--other-workspace", action="store_true",
                   help="restore it even though the backup is of another workspace")
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
    from ..services.backup import backup_state, default_folder, list_backups

    passphrase = read_passphrase(args)
    folder = args.folder or default_folder(args.path)
    backups = list_backups(folder, args.path.stem)
    if not backups:
        print(f"No backups in {folder}")
        return 1
    live = _live_chain(args.path, passphrase)
    given_up = _given_up_by_restores(folder, args.path.stem)
    previous = _previous_passphrase_record(args.path, passphrase)
    differs = False
    for b in backups:
        state = backup_state(b.path, passphrase, previous)
        sound = state == "good"
        history = _backup_history(b.path, passphrase, live) if sound else None
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


def _previous_passphrase_record(path: Path, passphrase: str) -> dict:
    """What the workspace remembers of backups left on an earlier passphrase; nothing when
    it cannot be read (damaged, or needing an upgrade)."""
    from ..domain.errors import DeterrenceError
    from ..security.writer_lock import open_workspace
    from ..services.app import WorkspaceServices

    try:
        ws = open_workspace(path, passphrase, read_only=True)
    except DeterrenceError:
        return {}
    try:
        return WorkspaceServices(ws).backup.previous_passphrase_record()
    except DeterrenceError:
        return {}
    finally:
        ws.close()


def cmd_restore(args: argparse.Namespace) -> int:
    import sys

    from ..services.backup import OtherWorkspace
    from ..store.errors import WorkspaceError

    passphrase = read_passphrase(args)
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            raise CommandError("restoring replaces the workspace: confirm with --yes")
        answer = input(f"Replace {args.path.name} with {args.backup.name}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was changed.")
            return 1
    try:
        app = open_services(args, passphrase=passphrase)   # refused while the app has it open
    except WorkspaceError as exc:
        if not args.path.exists() or _unopenable(exc):
            aside = _restore_unopenable(args, passphrase, exc)
        else:
            raise
    else:
        try:
            aside = app.backup.restore(args.backup, other_workspace=args.other_workspace)
        except OtherWorkspace as exc:
            raise CommandError(f"{exc} Give --other-workspace to restore it all the same.") from None
        finally:
            app.close()
    kept = f"the previous file is kept as {aside.name}" if aside else "there was no file before"
    print(f"Restored {args.backup.name}; {kept}")
    return 0


def _unopenable(exc: Exception) -> bool:
    """The file itself cannot be opened (damaged, not a workspace, wrong key, missing), as
    opposed to a problem restoring would not cure (a newer version's file, a read-only
    folder, a full disk, no SQLCipher)."""
    from ..store.errors import (
        MigrationFailed, NewerWorkspace, NoSQLCipher, StorageError, WorkspaceReadOnly,
    )

    return not isinstance(exc, (NewerWorkspace, WorkspaceReadOnly, NoSQLCipher, StorageError,
                                MigrationFailed))


def _restore_unopenable(args: argparse.Namespace, passphrase: str,
                        why: Exception) -> Path | None:
    """Restore over a file that cannot be opened (damaged, missing): who may is decided by
    the users in the backup, and the restore is audited in the restored file."""
    from ..domain.enums import Role
    from ..domain.errors import PermissionDenied
    from ..security.writer_lock import attach
    from ..services.app import WorkspaceServices
    from ..services.backup import BackupDamaged, backup_identity, restore_backup, verify_backup
    from ..store.errors import WrongPassphrase
    from ..store.workspace import Workspace, open_or_explain

    lock = lock_workspace(args.path, getattr(args, "wait", 0.0))
    try:
        problems = verify_backup(args.backup, passphrase)
        if problems:
            raise BackupDamaged(f"The backup {args.backup.name} failed its checks and was not "
                                "restored: " + problems[0])
        with Workspace.open(args.backup, passphrase, read_only=True, migrate=False) as copy:
            actor = sign_in(WorkspaceServices(copy), args, via="command line: restore")
        if actor.role != Role.COORDINATOR:
            role = actor.role.value.replace("_", " ")
            raise PermissionDenied(f"Your role ({role}) cannot restore backups")
        backup_id, backup_head = backup_identity(args.backup, passphrase)
        existed = args.path.exists()
        aside = restore_backup(args.path, args.backup, passphrase)
        if not existed:
            aside, replaced = None, "no file (the workspace was missing)"
        else:
            replaced = ("a file that did not open with this passphrase (damaged, or keyed "
                        "with another)" if isinstance(why, WrongPassphrase)
                        else "a file that could not be opened")
        ws = open_or_explain(args.path, passphrase)
    except BaseException:
        lock.release()
        raise
    attach(ws, lock)
    try:
        WorkspaceServices(ws, actor).backup.record_restore(
            args.backup.name, backup_head, backup_id, replaced, aside)
    finally:
        ws.close()
    return aside

