"""`deterrence-desktop letters`: personalised letters as one print-ready PDF, and who signs
them and what heads them:

    deterrence-desktop letters PATH --template NAME (--cohort NAME | --call-in ID | --people REF,...) --out FILE.pdf
    deterrence-desktop letters signatories PATH
    deterrence-desktop letters signatory add PATH --name NAME [--title TITLE] [--partner NAME] [--signature PNG]
    deterrence-desktop letters signatory edit PATH ID [--name ...] [--title ...] [--partner ...] [--signature PNG | --no-signature]
    deterrence-desktop letters signatory remove PATH ID
    deterrence-desktop letters letterhead PATH [--address TEXT] [--phone TEXT] [--email TEXT]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import CommandError, add_passphrase_option, open_services

EXIT_BLOCKED = 3
MANAGE = ("signatories", "signatory", "letterhead")


class _LettersParser(argparse.ArgumentParser):
    """``letters PATH ...`` prints; ``letters signatories|signatory|letterhead ...`` manages
    who signs and the letterhead (a workspace path is never one of those words)."""

    manage: argparse.ArgumentParser

    def parse_known_args(self, args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        if args and args[0] in MANAGE:
            return self.manage.parse_known_args(args, namespace)
        return super().parse_known_args(args, namespace)


def _refs(text: str) -> tuple[str, ...]:
    return tuple(r.strip().upper() for r in text.split(",") if r.strip())


def register(sub) -> None:
    p = sub.add_parser(
        "letters", help="print personalised letters (call-in invitations, custom notifications...)",
        description="Check every merge field of every letter, then write one PDF for the printer "
                    "(each letter on its own sheets, duplex-safe). Each letter is recorded as a "
                    "communication and in the audit trail. Exit 3 when the pre-flight check "
                    "blocks the batch; it lists who (by reference) and what is missing.")
    p.add_argument("path", type=Path, help="the workspace")
    p.add_argument("--template", required=True,
                   help="call_in_invitation, custom_notification, support_offer, group_warning, "
                        "no_show_follow_up, or a template saved in the workspace")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--cohort", metavar="NAME", help="everyone in this cohort")
    who.add_argument("--call-in", metavar="ID", type=int, help="a call-in's invitees (or no-shows)")
    who.add_argument("--people", metavar="REF,...", type=_refs, help="these people, by reference")
    p.add_argument("--attendance", choices=["invitees", "no-shows"],
                   help="with --call-in: its invitees, or its no-shows "
                        "(default: no-shows for no_show_follow_up, else invitees)")
    p.add_argument("--for-call-in", metavar="ID", type=int,
                   help="with --cohort or --people: the call-in whose date and venue the letter gives")
    p.add_argument("--exclude", metavar="REF,...", type=_refs, default=(),
                   help="leave these people out")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.pdf", help="the PDF to write")
    p.add_argument("--per-letter-dir", type=Path, metavar="DIR",
                   help="also write one PDF per letter into DIR, named by letter reference")
    p.add_argument("--language", choices=["en", "cy", "bilingual"], default="en",
                   help="English, Welsh, or both (Welsh first)")
    p.add_argument("--layout", choices=["welsh-first", "side-by-side"], default="welsh-first",
                   help="with --language bilingual: Welsh then English, or two columns")
    p.add_argument("--check", action="store_true", help="only run the pre-flight check")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_letters)
    p.epilog = ("Who signs and the letterhead: deterrence-desktop letters signatories PATH | "
                "signatory add|edit|remove PATH ... | letterhead PATH ... (each has --help).")
    p.__class__ = _LettersParser
    p.manage = _manage_parser(p.prog)


def _manage_parser(prog: str) -> argparse.ArgumentParser:
    manage = argparse.ArgumentParser(prog=prog, description="Who signs the letters, and the letterhead.")
    sub = manage.add_subparsers(dest="letters_command", metavar="COMMAND", required=True)

    p = sub.add_parser("signatories", help="list who signs letters")
    p.add_argument("path", type=Path, help="the workspace")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_signatories)

    sig = sub.add_parser("signatory", help="add, change or remove someone who signs letters")
    verbs = sig.add_subparsers(dest="signatory_command", metavar="add|edit|remove", required=True)
    for verb in ("add", "edit"):
        p = verbs.add_parser(verb, help="add someone who signs letters" if verb == "add"
                             else "change a signatory (by the id `letters signatories` shows)")
        p.add_argument("path", type=Path, help="the workspace")
        if verb == "edit":
            p.add_argument("id", type=int, help="the signatory's id")
        p.add_argument("--name", required=verb == "add", help="as printed under the signature")
        p.add_argument("--title", help="their title, e.g. Chief Inspector")
        p.add_argument("--partner", metavar="NAME", help="the partner they sign for")
        image = p.add_mutually_exclusive_group()
        image.add_argument("--signature", type=Path, metavar="PNG",
                           help="an image of their signature (PNG or JPEG)")
        if verb == "edit":
            image.add_argument("--no-signature", action="store_true",
                               help="print no signature image (they sign by hand)")
        add_passphrase_option(p)
        p.set_defaults(handler=cmd_signatory_add if verb == "add" else cmd_signatory_edit)
    p = verbs.add_parser("remove", help="no longer sign letters (letters issued keep their signature)")
    p.add_argument("path", type=Path, help="the workspace")
    p.add_argument("id", type=int, help="the signatory's id")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_signatory_remove)

    p = sub.add_parser("letterhead", help="show or set the return address, phone and email "
                                          "printed at the head of every letter")
    p.add_argument("path", type=Path, help="the workspace")
    p.add_argument("--address", metavar="TEXT",
                   help="the return address: lines separated by new lines or by ' | '")
    p.add_argument("--phone", metavar="TEXT", help="the phone number people can call")
    p.add_argument("--email", metavar="TEXT", help="the email address people can write to")
    add_passphrase_option(p)
    p.set_defaults(handler=cmd_letterhead)
    return manage


def cmd_letters(args: argparse.Namespace) -> int:
    from ..services.letters import LetterPreflightError, LetterRequest

    if args.out.suffix.lower() != ".pdf":
        raise CommandError("--out must name a .pdf file")
    if args.attendance and args.call_in is None:
        raise CommandError("--attendance goes with --call-in")
    app = open_services(args)
    try:
        call_in_id = args.call_in if args.call_in is not None else args.for_call_in
        if args.cohort:
            source, cohort_id = "cohort", app.cohorts.by_name(args.cohort).id
        elif args.call_in is not None:
            default = "no-shows" if args.template == "no_show_follow_up" else "invitees"
            source = "no_shows" if (args.attendance or default) == "no-shows" else "invitees"
            cohort_id = None
        else:
            source, cohort_id = "people", None
        exclude = frozenset(app.people.by_reference(ref).id for ref in args.exclude)
        request = LetterRequest(
            template=args.template, language=args.language, layout=args.layout.replace("-", "_"),
            source=source, references=tuple(args.people or ()), cohort_id=cohort_id,
            call_in_id=call_in_id, exclude=exclude)
        check = app.letters.preflight(request)
        _report(check.warnings, "{n} warning{s}: check before the letters go out")
        if not check.ok:
            _report(check.problems, "{n} problem{s} block{v} the letters; nothing was printed")
            who = check.blocked_references
            if check.blocks_every_letter:
                print("Fix the problems for all letters first: leaving people out cannot fix them.",
                      file=sys.stderr)
            if who:
                print("Fix the records named, or leave those people out with --exclude "
                      + ",".join(who), file=sys.stderr)
            return EXIT_BLOCKED
        if args.check:
            print(f"Ready: {len(check.people)} letters, no problems")
            return 0
        try:
            result = app.letters.generate(request, args.out, args.per_letter_dir)
        except LetterPreflightError as exc:    # the data changed between check and print
            print(f"deterrence-desktop: blocked: {exc}", file=sys.stderr)
            return EXIT_BLOCKED
        print(f"Wrote {result.letters} letters ({result.pages} pages) to {result.path}")
        if result.per_letter:
            print(f"and {len(result.per_letter)} single-letter files to {args.per_letter_dir}")
        print(f"Batch {result.batch_id}; letters {result.references[0]} to {result.references[-1]}; "
              f"sha256 {result.sha256}")
        return 0
    finally:
        app.close()


def _report(problems, head: str) -> None:
    """Each problem with where to fix it; a fix shared by many is said once, at its first."""
    if not problems:
        return
    n = len(problems)
    print("deterrence-desktop: " + head.format(n=n, s="s" if n != 1 else "", v="" if n != 1 else "s")
          + ":", file=sys.stderr)
    said: set[str] = set()
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
        general = problem.fix.replace(problem.reference, "") if problem.reference else problem.fix
        if problem.fix and general not in said:
            said.add(general)
            print(f"    fix: {problem.fix}", file=sys.stderr)


def _partner_id(app, name: str | None) -> int | None:
    return app.partners.by_name(name).id if name else None


def _image(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read the signature image: {exc.strerror}") from None


def _show_signatory(s) -> str:
    parts = [x for x in (s.title, s.partner_name) if x]
    return (f"{s.id:>4}  {s.name}" + (f" ({', '.join(parts)})" if parts else "")
            + ("" if s.has_signature else "  [no signature image: signed by hand]"))


def cmd_signatories(args: argparse.Namespace) -> int:
    app = open_services(args)
    try:
        people = app.letters.signatories()
        if not people:
            print("No one signs letters yet. Add someone with: deterrence-desktop letters signatory "
                  "add PATH --name NAME --title TITLE [--partner NAME] [--signature PNG]")
            return 0
        for s in people:
            print(_show_signatory(s))
        return 0
    finally:
        app.close()


def cmd_signatory_add(args: argparse.Namespace) -> int:
    data = _image(args.signature)
    app = open_services(args)
    try:
        s = app.letters.add_signatory(args.name, args.title or "", _partner_id(app, args.partner), data)
        print("Added signatory " + _show_signatory(s).strip())
        return 0
    finally:
        app.close()


def cmd_signatory_edit(args: argparse.Namespace) -> int:
    data = _image(args.signature)
    app = open_services(args)
    try:
        now = next((s for s in app.letters.signatories() if s.id == args.id), None)
        if now is None:
            raise CommandError(f"no signatory with id {args.id} (see: deterrence-desktop letters "
                               "signatories PATH)")
        s = app.letters.update_signatory(
            args.id, args.name if args.name is not None else now.name,
            args.title if args.title is not None else now.title,
            _partner_id(app, args.partner) if args.partner is not None else now.partner_id,
            data, clear_signature=args.no_signature)
        print("Changed signatory " + _show_signatory(s).strip())
        return 0
    finally:
        app.close()


def cmd_signatory_remove(args: argparse.Namespace) -> int:
    app = open_services(args)
    try:
        app.letters.remove_signatory(args.id)
        print(f"Signatory {args.id} no longer signs letters.")
        return 0
    finally:
        app.close()


def cmd_letterhead(args: argparse.Namespace) -> int:
    changing = any(x is not None for x in (args.address, args.phone, args.email))
    app = open_services(args)
    try:
        head = app.letters.letterhead()
        if changing:
            address = args.address.replace(" | ", "\n") if args.address is not None else "\n".join(head.address)
            head = app.letters.set_letterhead(
                address, args.phone if args.phone is not None else head.phone,
                args.email if args.email is not None else head.email)
            print("Letterhead changed:")
        print(head.partnership)
        for line in head.address or ("(no return address)",):
            print(f"  {line}")
        print(f"  Phone: {head.phone or '(none)'}")
        print(f"  Email: {head.email or '(none)'}")
        if not head.has_contact:
            print("Letters ask people to get in touch: give --address, --phone and --email.")
        return 0
    finally:
        app.close()
