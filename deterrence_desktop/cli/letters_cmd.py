"""`deterrence-desktop letters`: personalised letters as one print-ready PDF."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import CommandError, add_passphrase_option, open_services

EXIT_BLOCKED = 3


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
        if not check.ok:
            print(f"deterrence-desktop: blocked: {len(check.problems)} problems; fix them or "
                  "leave the people out with --exclude", file=sys.stderr)
            for problem in check.problems:
                print(f"  {problem}", file=sys.stderr)
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
