"""The command line: `deterrence-desktop COMMAND ...`; with no command it opens the app.

Passphrases come from ``--passphrase-file FILE``, then the
``DETERRENCE_PASSPHRASE`` environment variable, then an interactive prompt (the
order restic and borg use). A user's personal password comes the same way:
``--password-file FILE``, then ``DETERRENCE_PASSWORD``, then a prompt. Expected
errors print one line to stderr and exit non-zero; only a bug prints a traceback.

Who may act: a command that acts as a user (exports, imports, letters, backup,
restore, passwd) signs that user in. A user with a personal password must give it;
with no ``--user``, the command acts as the first coordinator only while nobody in
the workspace has a personal password. The passphrase alone still runs ``info``,
``check`` and ``backups``, which show no personal data. That is not a barrier against
the passphrase holder: whoever has the passphrase can decrypt the file with any
SQLCipher tool, so on a file whose passphrase is shared, roles and personal
passwords keep honest people to their part and name them in the audit trail; they
cannot stop someone determined to read or rewrite the file.

Every command that changes the workspace (and every command that acts as a user:
its audit entries are changes) takes the workspace's writer lock, the one the app
holds while it has the workspace open. If another copy holds it the command stops
with exit 75 and says who, or with ``--wait SECONDS`` waits that long for it.
"""
from __future__ import annotations

import argparse
import getpass
import importlib
import os
import sys
from pathlib import Path

from ..domain.errors import DeterrenceError

PASSPHRASE_ENV = "DETERRENCE_PASSPHRASE"
NEW_PASSPHRASE_ENV = "DETERRENCE_NEW_PASSPHRASE"
USER_ENV = "DETERRENCE_USER"
PASSWORD_ENV = "DETERRENCE_PASSWORD"

# Modules that add sub-commands: each has register(subparsers).
COMMAND_MODULES = [
    "deterrence_desktop.cli.workspace_cmds",
    "deterrence_desktop.cli.tracker_cmd",
    "deterrence_desktop.cli.letters_cmd",
    "deterrence_desktop.cli.trust_cmds",
    "deterrence_desktop.cli.imports_cmd",
    "deterrence_desktop.cli.anchor_cmds",
    "deterrence_desktop.cli.network_cmd",
    "deterrence_desktop.cli.report_cmd",
    "deterrence_desktop.cli.server_cmd",
]


class CommandError(DeterrenceError):
    """A command-line usage problem, reported as one line."""


def read_passphrase(args: argparse.Namespace, *, prompt: str = "Passphrase: ",
                    env: str = PASSPHRASE_ENV, file_attr: str = "passphrase_file",
                    confirm: bool = False) -> str:
    file = getattr(args, file_attr, None)
    if file:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read the passphrase file: {exc.strerror}") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError("the passphrase file is not UTF-8 text: save it as UTF-8 "
                               "and try again") from None
        return checked_passphrase(text.rstrip("\r\n"), "the passphrase file")
    if os.environ.get(env):
        return checked_passphrase(os.environ[env], f"${env}")
    if not sys.stdin or not sys.stdin.isatty():
        raise CommandError(
            f"no passphrase: give --{file_attr.replace('_', '-')} FILE or set {env}")
    value = checked_passphrase(getpass.getpass(prompt), "the passphrase typed")
    if confirm and getpass.getpass("Repeat: ") != value:
        raise CommandError("the two passphrases differ")
    return value


def checked_passphrase(value: str, source: str) -> str:
    """``value`` if it can be a passphrase at all; else a clear CommandError naming ``source``
    (never the value). Whether it is long enough for a new workspace is checked on use."""
    if not value:
        raise CommandError(f"{source} holds an empty passphrase")
    if "\x00" in value:
        raise CommandError(f"{source} holds a NUL character, which no passphrase can contain")
    if any(ch in value for ch in "\r\n"):
        raise CommandError(f"{source} holds more than one line: put the passphrase alone on "
                           "the first line")
    return value


def file_or_server(text: str):
    """A workspace file's path, or a server workspace's address (kept as text: a Path
    would fold its ``//``)."""
    from ..store.server import ServerAddress
    return text if ServerAddress.is_address(text) else Path(text)


def tell(notices: list[str]) -> None:
    """What opening the workspace set aside (a journal that was not its own), on stderr."""
    for notice in notices:
        print(f"deterrence-desktop: note: {notice}", file=sys.stderr)


def add_passphrase_option(parser: argparse.ArgumentParser, *, user: bool = True) -> None:
    """``--passphrase-file``; with ``user``, also who acts (``--user``, ``--password-file``)
    and ``--wait`` for the writer lock."""
    parser.add_argument("--passphrase-file", metavar="FILE",
                        help=f"read the passphrase from FILE (else ${PASSPHRASE_ENV}, else a prompt)")
    if not user:
        return
    parser.add_argument("--user", metavar="USERNAME", default=os.environ.get(USER_ENV),
                        help=f"act as this workspace user (else ${USER_ENV}; without either, the "
                             "first coordinator, but only while no user has a personal password)")
    parser.add_argument("--password-file", metavar="FILE",
                        help=f"read your personal password from FILE (else ${PASSWORD_ENV}, else a "
                             "prompt); needed when the user has one")
    parser.add_argument("--wait", metavar="SECONDS", type=float, default=0.0,
                        help="if another copy of the app has the workspace open, wait up to SECONDS "
                             "for it to close (default: stop at once)")


class WorkspaceBusy(CommandError):
    """Another process has the workspace; the command changed nothing. Exit 75 (EX_TEMPFAIL)."""
    exit_code = 75


def lock_workspace(path: Path, wait: float = 0.0):
    """The workspace's writer lock, held; waiting up to ``wait`` seconds (saying so once on
    stderr) while another live process holds it. Raises :class:`WorkspaceBusy`."""
    import time

    from ..security.writer_lock import WorkspaceInUse, WriterLock

    deadline = time.monotonic() + max(0.0, wait)
    told = False
    while True:
        try:
            return WriterLock(path).acquire()
        except WorkspaceInUse as exc:
            holder = exc.holder.describe() if exc.holder else "another copy of Deterrence Desktop"
            if time.monotonic() >= deadline:
                waited = f" (waited {wait:g} s)" if wait > 0 else ""
                raise WorkspaceBusy(
                    f"{Path(path).name} is open in {holder}{waited}: only one copy can change it at "
                    "a time. Nothing was changed. Close it there, or give --wait SECONDS.") from None
            if not told:
                print(f"Waiting up to {wait:g} s: {Path(path).name} is open in {holder}",
                      file=sys.stderr, flush=True)
                told = True
            time.sleep(min(0.2, max(0.01, deadline - time.monotonic())))


def open_locked(path: Path, passphrase: str, wait: float = 0.0, *, before_open=None):
    """The workspace opened as its one writer (the lock released when it closes).
    ``before_open()`` runs once the lock is held, before this process opens the file."""
    from ..security.writer_lock import attach
    from ..store.workspace import open_or_explain

    lock = lock_workspace(path, wait)
    try:
        if before_open is not None:
            before_open()
        ws = open_or_explain(path, passphrase)
    except BaseException:
        lock.release()
        raise
    attach(ws, lock)
    tell(ws.notices)
    return ws


def open_to_read(path: Path, passphrase: str, *, quiet: bool = False):
    """For the commands the passphrase alone may run (info, check): as the writer when the
    workspace is free (so an upgrade can run), else read-only beside the copy that has it."""
    from ..security.writer_lock import WorkspaceInUse, open_workspace

    try:
        ws = open_workspace(path, passphrase)
    except WorkspaceInUse:
        if not quiet:
            print("The workspace is open in another copy of the app: reading it read-only.")
        ws = open_workspace(path, passphrase, read_only=True)
    tell(ws.notices)
    return ws


def sign_in(app, args: argparse.Namespace, *, via: str = "command line"):
    """The actor for this command: ``--user`` (with their personal password, when they
    have one), or the first coordinator while nobody has a personal password."""
    from ..domain.enums import Role

    username = getattr(args, "user", None)
    if not username:
        users = [u for u in app.users.list() if u.active]
        has_password = app.users.password_set()
        if any(has_password.get(u.username) for u in users):
            raise CommandError("this workspace's users have personal passwords: say who you are "
                               f"with --user USERNAME (or ${USER_ENV})")
        coordinators = [u for u in users if u.role == Role.COORDINATOR]
        if not coordinators:
            raise CommandError("the workspace has no active coordinator; give --user")
        username = sorted(coordinators, key=lambda u: u.id)[0].username
    password = None
    if not app.users.needs_password(username):
        if not getattr(args, "password_file", None) and not os.environ.get(PASSWORD_ENV) \
                and (not sys.stdin or not sys.stdin.isatty()):
            raise CommandError(f"{username} has a personal password: give --password-file FILE "
                               f"or set {PASSWORD_ENV}")
        password = read_passphrase(args, prompt=f"Password for {username}: ", env=PASSWORD_ENV,
                                   file_attr="password_file")
    return app.users.sign_in(username, password, via=via)


def open_services(args: argparse.Namespace, *, passphrase: str | None = None, before_open=None):
    """Open the workspace named by ``args.path`` as its one writer and sign in (see
    :func:`sign_in`). The lock and the workspace are released when it closes."""
    from ..services.app import WorkspaceServices

    if passphrase is None:
        passphrase = read_passphrase(args)
    ws = open_locked(args.path, passphrase, getattr(args, "wait", 0.0), before_open=before_open)
    try:
        base = WorkspaceServices(ws)
        command = getattr(args, "command", None)
        kind = getattr(args, f"{command}_kind", None)
        actor = sign_in(base, args, via=" ".join(filter(None, ("command line:", command, kind))))
        return WorkspaceServices(ws, actor)
    except BaseException:
        ws.close()
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deterrence-desktop",
        description="Encrypted case coordination for focused-deterrence partnerships.",
        epilog="Who may act: commands that act as a user sign them in with --user and, when "
               f"they have one, their personal password (--password-file, ${PASSWORD_ENV}, or a "
               "prompt); backup, restore and passwd are for coordinators. The passphrase alone "
               "runs info, check and backups, which show no personal data. Whoever holds the "
               "passphrase can still read the whole file with any SQLCipher tool: on a file "
               "whose passphrase is shared, roles and personal passwords name who did what in "
               "the audit trail and keep people to their part; they do not lock out the "
               "passphrase holder.")
    parser.add_argument("--demo", action="store_true",
                        help="open the app on the demo workspace (fictional people), creating it on first run")
    parser.add_argument("--data-dir", metavar="DIR", help="keep app data in DIR (tests, portable use)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from ..system_check import explain, missing_packages
        missing = missing_packages()
        if missing:                     # Qt would abort, or fail on a bare soname
            print(f"deterrence-desktop: error: {explain(missing)}", file=sys.stderr)
            return 2
        try:
            from ..ui.launch import run_gui
        except ImportError as exc:
            print(f"deterrence-desktop: error: the desktop app cannot start: {exc}", file=sys.stderr)
            return 2
        return run_gui(args)
    try:
        return int(args.handler(args) or 0)
    except DeterrenceError as exc:
        print(f"deterrence-desktop: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    except KeyboardInterrupt:
        print("deterrence-desktop: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if not _busy(exc):
            raise
        print("deterrence-desktop: error: another process was writing to the workspace at the "
              "same moment: this command changed nothing. Try again.", file=sys.stderr)
        return WorkspaceBusy.exit_code


def _busy(exc: BaseException) -> bool:
    """SQLite's SQLITE_BUSY/SQLITE_LOCKED (after its busy timeout), however wrapped."""
    orig = getattr(exc, "orig", exc)
    return (getattr(orig, "sqlite_errorcode", None) or 0) & 0xFF in (5, 6) or \
        "database is locked" in str(orig).lower()
