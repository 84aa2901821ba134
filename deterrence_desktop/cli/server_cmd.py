"""`deterrence-desktop server ...`: set up and look after a workspace on a PostgreSQL server.

Passwords are never arguments: the administrator's comes from ``$DD_SERVER_PASSWORD``
or a prompt; a new login's from ``--password-file``, ``$DD_NEW_USER_PASSWORD`` or a
prompt (asked twice). The address carries no password either:
``postgresql://admin@host:5432/deterrence?sslrootcert=/path/to/partnership-ca.crt``.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from . import CommandError, read_passphrase

SERVER_PASSWORD_ENV = "DD_SERVER_PASSWORD"
NEW_USER_PASSWORD_ENV = "DD_NEW_USER_PASSWORD"
ROLES = ("coordinator", "analyst", "partner_officer")


def register(sub) -> None:
    server = sub.add_parser(
        "server", help="team mode: a workspace on a PostgreSQL server (init, add-user, upgrade, "
                       "upload, download)",
        description="A workspace on a PostgreSQL server, for several coordinators, analysts and "
                    "partner officers at once. The server's certificate is verified against the "
                    "partnership's CA file (sslrootcert in the address); each user signs in with "
                    f"a login of their own. The administrator's password: ${SERVER_PASSWORD_ENV} "
                    "or a prompt.")
    ssub = server.add_subparsers(dest="server_command", metavar="SUBCOMMAND", required=True)

    p = ssub.add_parser("init", help="set up an empty database: schema, roles, the partnership "
                                     "and its first coordinator's login")
    p.add_argument("url", help="postgresql://ADMIN@HOST:PORT/DATABASE?sslrootcert=CA_FILE")
    p.add_argument("--partnership", default="New partnership", help="the partnership's name")
    p.add_argument("--area", default="Not set", help="the area it covers")
    p.add_argument("--coordinator", default="coordinator", help="the first coordinator's login")
    p.add_argument("--display-name", default="Coordinator", help="the first coordinator's name")
    p.add_argument("--password-file", metavar="FILE",
                   help=f"the coordinator's new password (else ${NEW_USER_PASSWORD_ENV}, else a prompt)")
    p.add_argument("--demo", action="store_true",
                   help="fill it with the demo's fictional partnership (to try team mode)")
    p.set_defaults(handler=cmd_init)

    p = ssub.add_parser("add-user", help="give a user a login of their own in one of the roles")
    p.add_argument("url")
    p.add_argument("username")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--display-name", help="their full name (default: the user name)")
    p.add_argument("--partner", help="a partner officer's agency (its name in the workspace)")
    p.add_argument("--password-file", metavar="FILE",
                   help=f"their new password (else ${NEW_USER_PASSWORD_ENV}, else a prompt)")
    p.set_defaults(handler=cmd_add_user)

    p = ssub.add_parser("upgrade", help="run the schema changes this version brings")
    p.add_argument("url")
    p.set_defaults(handler=cmd_upgrade)

    from .server_transfer_cmd import register_transfer   # upload, download
    register_transfer(ssub)


def address_of(text: str):
    from ..store.server import ServerAddress
    return ServerAddress.parse(text)


def server_password(address, *, env: str = SERVER_PASSWORD_ENV) -> str:
    if os.environ.get(env):
        return os.environ[env]
    if not sys.stdin or not sys.stdin.isatty():
        raise CommandError(f"no password for {address.user}: set ${env} or run in a terminal")
    return getpass.getpass(f"Password for {address.label()}: ")


def new_password(args: argparse.Namespace, username: str) -> str:
    return read_passphrase(args, prompt=f"New password for {username}: ",
                           env=NEW_USER_PASSWORD_ENV, file_attr="password_file", confirm=True)


def cmd_init(args: argparse.Namespace) -> int:
    from ..domain.model import Partnership, User
    from ..services import server_admin

    address = address_of(args.url)
    password = server_password(address)
    coordinator_password = new_password(args, args.coordinator)
    result = server_admin.init(
        address, password, Partnership(name=args.partnership, area=args.area),
        User(username=args.coordinator, display_name=args.display_name), coordinator_password,
        demo=args.demo)
    print(f"Set up {address.database} on {address.host}:{address.port} (schema {result.schema})"
          f"{' with the demo' if result.demo else ''}.")
    print(f"{result.coordinator} signs in with their own password; add the others with "
          "`deterrence-desktop server add-user`.")
    return 0


def cmd_add_user(args: argparse.Namespace) -> int:
    from ..domain.enums import Role
    from ..domain.model import User
    from ..services import server_admin

    address = address_of(args.url)
    password = server_password(address)
    user_password = new_password(args, args.username)
    partner_id = _partner_id(address, password, args.partner) if args.partner else None
    if args.role == "partner_officer" and partner_id is None:
        raise CommandError("a partner officer belongs to an agency: give --partner NAME")
    server_admin.add_user(address, password, User(
        username=args.username, display_name=args.display_name or args.username,
        role=Role(args.role), partner_id=partner_id, active=True), user_password)
    print(f"{args.username} can sign in as {args.role.replace('_', ' ')}.")
    return 0


def _partner_id(address, password: str, name: str) -> int:
    from sqlalchemy import select

    from ..store.server import ServerWorkspace
    from ..store.tables import PartnerRow
    with ServerWorkspace(address, password) as ws, ws.session() as s:
        found = s.scalar(select(PartnerRow.id).where(PartnerRow.name == name))
    if found is None:
        raise CommandError(f"no partner named {name!r} in the workspace")
    return found


def cmd_upgrade(args: argparse.Namespace) -> int:
    from ..services import server_admin

    address = address_of(args.url)
    schema = server_admin.upgrade(address, server_password(address))
    print(f"{address.database} is at schema {schema}.")
    return 0


def open_server_services(text: str, *, via: str = "command line"):
    """A server workspace's services signed in as the address's login ($DD_SERVER_PASSWORD
    or a prompt), for commands that take a file or a server (``check``)."""
    from ..services.team import open_server

    address = address_of(text)
    return open_server(address, server_password(address), via=via).services
