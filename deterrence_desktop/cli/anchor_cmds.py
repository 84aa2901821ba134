"""The `witness` command: the audit chain's head, written to a file kept elsewhere."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import add_passphrase_option, file_or_server, open_services


def register(sub) -> None:
    p = sub.add_parser("witness", help="append the audit trail's current head, with the time, to a "
                                       "witness file you keep elsewhere (for `check --anchor`)")
    p.add_argument("path", type=file_or_server,
                   help="a workspace file, or a server workspace's postgresql:// address")
    p.add_argument("--out", type=Path, required=True, metavar="FILE",
                   help="the witness file (created, or appended to)")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_witness)


def cmd_witness(args: argparse.Namespace) -> int:
    if isinstance(args.path, str):          # a server workspace: the login is the user
        from .server_cmd import open_server_services
        app = open_server_services(args.path, via="command line: witness")
    else:
        app = open_services(args)
    try:
        anchor = app.anchors.witness(args.out)
    finally:
        app.close()
    print(f"Audit entry {anchor.seq} ({anchor.hash[:16]}…) written to {args.out} at {anchor.at}.")
    print("Keep that file where the workspace's users cannot change it; compare later with "
          f"deterrence-desktop check {args.path} --anchor {args.out}")
    return 0
