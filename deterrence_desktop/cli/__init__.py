"""The command line: `deterrence-desktop COMMAND ...`; with no command it opens the app.

Passphrases come from ``--passphrase-file FILE``, then the
``DETERRENCE_PASSPHRASE`` environment variable, then an interactive prompt (the
order restic and borg use). Expected errors print one line to stderr and exit
non-zero; only a bug prints a traceback.
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

# Modules that add sub-commands: each has register(subparsers).
COMMAND_MODULES = [
    "deterrence_desktop.cli.workspace_cmds",
    "deterrence_desktop.cli.tracker_cmd",
    "deterrence_desktop.cli.letters_cmd",
    "deterrence_desktop.cli.trust_cmds",
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


def tell(notices: list[str]) -> None:
    """What opening the workspace set aside (a journal that was not its own), on stderr."""
    for notice in notices:
        print(f"deterrence-desktop: note: {notice}", file=sys.stderr)


def add_passphrase_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--passphrase-file", metavar="FILE",
                        help=f"read the passphrase from FILE (else ${PASSPHRASE_ENV}, else a prompt)")
    parser.add_argument("--user", metavar="USERNAME", default=os.environ.get(USER_ENV),
                        help=f"act as this workspace user (else ${USER_ENV}, else the first coordinator)")


def open_services(args: argparse.Namespace, *, read_only: bool = False):
    """Open the workspace named by ``args.path`` and sign in as ``args.user``."""
    from ..domain.enums import Role
    from ..services.app import WorkspaceServices
    from ..store.workspace import open_or_explain

    passphrase = read_passphrase(args)
    ws = open_or_explain(args.path, passphrase, read_only=read_only)
    tell(ws.notices)
    app = WorkspaceServices(ws)
    try:
        username = getattr(args, "user", None)
        if not username:
            coordinators = [u for u in app.users.list() if u.role == Role.COORDINATOR and u.active]
            if not coordinators:
                raise CommandError("the workspace has no active coordinator; give --user")
            username = sorted(coordinators, key=lambda u: u.id)[0].username
        return app.as_user(username)
    except BaseException:
        ws.close()
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deterrence-desktop",
        description="Encrypted case coordination for focused-deterrence partnerships.")
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
        return 2
    except KeyboardInterrupt:
        print("deterrence-desktop: interrupted", file=sys.stderr)
        return 130
