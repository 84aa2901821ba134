"""`deterrence-desktop server upload FILE URL` and `server download URL FILE`.

Upload moves a file workspace into a new, empty database on the server, as the server's
administrator (the address's user). Download takes an encrypted copy of the server's
workspace into a new file, as the administrator or a coordinator. Both copy every table
in one transaction, keep every id and the audit trail as it is, verify row counts per
table and the audit chain before anything is kept, and print the counts.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from . import NEW_PASSPHRASE_ENV, PASSPHRASE_ENV, open_to_read, read_passphrase
from .server_cmd import SERVER_PASSWORD_ENV, address_of, server_password


def register_transfer(ssub) -> None:
    """Add ``upload`` and ``download`` to the ``server`` command's subparsers."""
    p = ssub.add_parser(
        "upload", help="move a file workspace into a new, empty database on the server",
        description="Copy every table of FILE (with its audit trail, ids kept) into the "
                    "server's database, which must be new and empty, in one transaction, "
                    "then verify row counts and the audit chain. Signs in as the server's "
                    f"administrator (the address's user; password from ${SERVER_PASSWORD_ENV} "
                    "or a prompt). The workspace's users get their logins afterwards with "
                    "`server add-user`.")
    p.add_argument("path", type=Path, metavar="FILE", help="the workspace file (.ddw)")
    p.add_argument("url", help="postgresql://ADMIN@HOST:PORT/DATABASE?sslrootcert=CA_FILE")
    p.add_argument("--passphrase-file", metavar="FILE",
                   help=f"the file's passphrase (else ${PASSPHRASE_ENV}, else a prompt)")
    p.set_defaults(handler=cmd_upload)

    p = ssub.add_parser(
        "download", help="take an encrypted copy of the server's workspace into a new file",
        description="Copy every table of the server's workspace (with its audit trail, ids "
                    "kept) into a NEW encrypted file, readable by you only, then verify row "
                    "counts, the audit chain and that its head is the server's. Signs in as "
                    "the administrator or a coordinator. Nothing is left behind on failure.")
    p.add_argument("url", help="postgresql://USER@HOST:PORT/DATABASE?sslrootcert=CA_FILE")
    p.add_argument("path", type=Path, metavar="FILE", help="the new workspace file (.ddw)")
    p.add_argument("--new-passphrase-file", metavar="FILE",
                   help=f"the new file's passphrase (else ${NEW_PASSPHRASE_ENV}, else a prompt, "
                        "asked twice)")
    p.set_defaults(handler=cmd_download)


def _progress(line: str) -> None:
    print(line, flush=True)


def _engine(address):
    """The server's engine, its sign-in proved now (a clear refusal, never a password)."""
    from sqlalchemy.exc import DBAPIError

    from ..store.server import admin_engine, refusal

    engine = admin_engine(address, server_password(address))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        engine.dispose()
        raise refusal(exc, address) from None
    return engine


def cmd_upload(args: argparse.Namespace) -> int:
    from ..services import transfer

    address = address_of(args.url)
    passphrase = read_passphrase(args)
    ws = open_to_read(args.path, passphrase, quiet=True)
    try:
        engine = _engine(address)
        try:
            print(f"Uploading {args.path.name} to {address.label()}")
            report = transfer.upload(ws, engine, _progress)
            missing = transfer.logins_missing(engine, report.usernames)
        finally:
            engine.dispose()
    finally:
        ws.close()
    print(report.table())
    print(f"Verified: every table has the same rows on the server; the audit chain is intact "
          f"and ends at entry {report.head[0]}, as in the file (the upload itself is the "
          "next entry).")
    if missing:
        print(f"{len(missing)} users cannot sign in to it yet: {', '.join(missing)}. The "
              "administrator gives each one a login with `deterrence-desktop server add-user "
              "URL USERNAME --role ROLE`.")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from ..services import transfer
    from ..store.errors import WorkspaceExists

    address = address_of(args.url)
    if args.path.exists():          # before any password is asked
        raise WorkspaceExists(f"{args.path.name} already exists: choose another file name. "
                              "Nothing was downloaded.")
    passphrase = read_passphrase(args, prompt="Passphrase for the new file: ",
                                 env=NEW_PASSPHRASE_ENV, file_attr="new_passphrase_file",
                                 confirm=True)
    engine = _engine(address)
    try:
        print(f"Downloading {address.label()} to {args.path.name}")
        report = transfer.download(engine, args.path, passphrase, _progress)
    finally:
        engine.dispose()
    print(report.table())
    print(f"Verified: every table has the same rows in {args.path.name}; the audit chain is "
          f"intact and ends at entry {report.head[0]}, as on the server. The file is readable "
          "by you only; keep its passphrase apart from it.")
    return 0

