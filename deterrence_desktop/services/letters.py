"""Personalised deterrence letters: templates, merge fields, pre-flight, batches, reprints.

Templates
---------
Default templates ship in ``resources/letters/NAME.LANG.txt`` (``en`` and ``cy``
for Welsh). On first use a workspace copies them into its ``letter_template``
table; an edit saved in the app is a new version row, older versions stay.

A template file is a few ``key: value`` header lines (``type``, ``title``), a
line ``---``, then the body. The body is plain text:

* a blank line separates paragraphs;
* a line starting with ``# `` is a heading, a line starting with ``- `` a bullet;
* ``{field}`` is a merge field from the fixed set :data:`MERGE_FIELDS`;
  ``{{`` and ``}}`` print a brace;
* the list fields (``{levers}``, ``{all_levers}``, ``{offers}``), ``{person.address}``
  and ``{signatories}`` stand alone on their line and become a block.

Nothing in a template is ever evaluated: a field is looked up by name in a
dictionary of values, and an unknown name is a pre-flight problem.

Which levers and offers apply to a person
-----------------------------------------
Levers: those named in the person's custom notifications, those linked to their
actions (not cancelled), and, for a person on licence or probation, the levers of
the probation partner type. Offers: those named in their custom notifications or
linked to their actions; when none is recorded, every offer of the catalogue.

Pre-flight
----------
Every merge field of every selected letter is checked before anything is
drawn: an unknown field, or an empty value (no address, no lever recorded, a
call-in without a venue, no signatory) blocks the batch with a list of who (by
reference) and what is missing. The caller may exclude people and check again.

Issuing
-------
A batch is drawn to a temporary file beside the target and moved into place
only after every letter is recorded, in the same transaction: one communication
per letter (channel letter, template and version, who printed it, the SHA-256 of
the printed file) and one audit disclosure per letter (recipient: the person's
reference), plus one for the batch (recipient: the printer). What each letter
said is kept as a snapshot so that a reprint reproduces the same text, and a
reprint of the whole batch reproduces the same bytes (same SHA-256).
"""
from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..domain.enums import (
    ActionStatus, AttendanceStatus, AuditOperation, CommunicationChannel, CommunicationOutcome,
    InterventionKind, LegalStatus, PartnerType, Role,
)
from ..domain.errors import DeterrenceError, NotFoundError, ValidationError
from ..exports import letters as pdf
from ..store.tables import (
    ActionRow, AssetRow, CallInRow, CohortMemberRow, CohortRow, CommunicationRow,
    CustomNotificationRow, GroupRow, InterventionRow, InvitationRow, LetterTemplateRow,
    MembershipRow, PartnerRow, PartnershipRow, PersonRow, SettingRow, SignatoryRow,
    LetterBatchRow, LetterIssueRow,
)
from . import audit
from .base import Service, UnitOfWork
from .custody import CustodyAddress, custody_addresses
from .settings import SettingsService

__all__ = [
    "MERGE_FIELDS", "TEMPLATE_NAMES", "LANGUAGES", "SOURCES", "LetterRequest", "Problem",
    "Preflight", "LetterPreflightError", "BatchResult", "TemplateInfo", "Template",
    "LetterService", "fields_in", "parse_template_file", "build_blocks",
]

TEMPLATE_NAMES = ("call_in_invitation", "custom_notification", "support_offer", "group_warning",
                  "no_show_follow_up")
LANGUAGES = ("en", "cy")
OUTPUT_LANGUAGES = ("en", "cy", "bilingual")
SOURCES = ("people", "cohort", "invitees", "no_shows")

MERGE_FIELDS: dict[str, str] = {
    "person.preferred_name": "The name the person likes to be called (else their given name)",
    "person.given_name": "Given name",
    "person.family_name": "Family name",
    "person.full_name": "Given and family name",
    "person.reference": "The partnership reference (FD-0042)",
    "person.address": "Address and postcode (a block of lines)",
    "person.postcode": "Postcode",
    "group.name": "The groups the person belongs to now",
    "call_in.title": "The call-in's title",
    "call_in.date": "The call-in's date (Thursday 17 December 2026)",
    "call_in.time": "The call-in's start time (6:30pm)",
    "call_in.venue": "Where the call-in is held",
    "levers": "The consequences that apply to this person (a bullet list)",
    "all_levers": "Every lever of the catalogue (a bullet list, for group warnings)",
    "offers": "The help on offer, with contact details (a bullet list)",
    "signatories": "The signatures: several partners can sign one letter (a block)",
    "letter.reference": "This letter's reference (L-2026-000001)",
    "letter.date": "The date of the letter",
    "partnership.name": "The partnership's name",
    "partnership.area": "The area it covers",
}
LIST_FIELDS = ("levers", "all_levers", "offers")
BLOCK_FIELDS = LIST_FIELDS + ("signatories", "person.address")

EMPTY_MESSAGES = {
    "person.address": "no address recorded",
    "person.postcode": "no postcode recorded",
    "group.name": "not a member of any group now",
    "levers": "no lever recorded for this person",
    "all_levers": "the catalogue has no levers",
    "offers": "no offer recorded and the catalogue has no offers",
    "call_in.venue": "the call-in has no venue",
}

_FIELD = re.compile(r"\{([^{}]*)\}")
_ESCAPED = re.compile(r"\{\{|\}\}")

NEXT_NUMBER_KEY = "letters.next_number"

WELSH_DAYS = ["Dydd Llun", "Dydd Mawrth", "Dydd Mercher", "Dydd Iau", "Dydd Gwener",
              "Dydd Sadwrn", "Dydd Sul"]
WELSH_MONTHS = ["Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf", "Awst",
                "Medi", "Hydref", "Tachwedd", "Rhagfyr"]


# ---------------------------------------------------------------------------- template text

def fields_in(text: str) -> list[str]:
    """The merge field names used in ``text``, in order of first use."""
    seen: dict[str, None] = {}
    for m in _FIELD.finditer(_ESCAPED.sub("", text)):
        seen.setdefault(m.group(1).strip(), None)
    return list(seen)


def unknown_fields(*texts: str) -> list[str]:
    return [f for t in texts for f in fields_in(t) if f not in MERGE_FIELDS]


def parse_template_file(text: str) -> tuple[str, str, str]:
    """(letter_type, title, body) of a template file."""
    head, sep, body = text.partition("\n---\n")
    if not sep:
        raise ValueError("a template file needs a line '---' between its header and its body")
    meta = {}
    for line in head.splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    return meta.get("type", "custom"), meta.get("title", ""), body.strip("\n") + "\n"


def _substitute(text: str, values: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return values.get(token[1:-1].strip(), token)
    return re.sub(r"\{\{|\}\}|\{[^{}]*\}", one, text)


def build_blocks(body: str, values: dict[str, str], lists: dict[str, tuple[str, ...]]) -> tuple[pdf.Block, ...]:
    """The body of a template, merged, as blocks for the renderer."""
    blocks: list[pdf.Block] = []
    para: list[str] = []
    bullets: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(pdf.Block("para", " ".join(para)))
            para.clear()
        if bullets:
            blocks.append(pdf.Block("bullet", items=tuple(bullets)))
            bullets.clear()

    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        lone = _FIELD.fullmatch(line)
        name = lone.group(1).strip() if lone else ""
        if name in BLOCK_FIELDS:
            flush()
            if name == "signatories":
                blocks.append(pdf.Block("signatories"))
            elif name == "person.address":
                blocks.append(pdf.Block("lines", items=lists.get(name, ())))
            else:
                blocks.append(pdf.Block("bullet", items=lists.get(name, ())))
        elif line.startswith("# "):
            flush()
            blocks.append(pdf.Block("heading", _substitute(line[2:].strip(), values)))
        elif line.startswith("- "):
            if para:
                blocks.append(pdf.Block("para", " ".join(para)))
                para.clear()
            bullets.append(_substitute(line[2:].strip(), values))
        else:
            if bullets:
                blocks.append(pdf.Block("bullet", items=tuple(bullets)))
                bullets.clear()
            para.append(_substitute(line, values))
    flush()
    return tuple(blocks)


def plain_text(letter: pdf.Letter) -> str:
    """The words of a letter as plain text (for the communications log)."""
    out: list[str] = []
    for section in letter.sections:
        out.append(section.title)
        for block in section.blocks:
            if block.kind in ("para", "heading"):
                out.append(block.text)
            elif block.kind == "bullet":
                out.extend(f"- {item}" for item in block.items)
            elif block.kind == "lines":
                out.extend(block.items)
            elif block.kind == "signatories":
                out.extend(", ".join(x for x in (s.name, s.title, s.partner) if x)
                           for s in letter.signatories)
        out.append("")
    return "\n".join(out).strip()


def format_date(d: date, language: str, weekday: bool = True) -> str:
    if language == "cy":
        text = f"{d.day} {WELSH_MONTHS[d.month - 1]} {d.year}"
        return f"{WELSH_DAYS[d.weekday()]} {text}" if weekday else text
    text = f"{d.day} {d.strftime('%B')} {d.year}"
    return f"{d.strftime('%A')} {text}" if weekday else text


def format_time(t: time, language: str) -> str:
    hour = t.hour % 12 or 12
    suffix = ("yb" if t.hour < 12 else "yh") if language == "cy" else ("am" if t.hour < 12 else "pm")
    return f"{hour}:{t.minute:02d}{suffix}"


# ---------------------------------------------------------------------------- records

@dataclass(frozen=True)
class LetterRequest:
    """What to print and for whom."""
    template: str
    language: str = "en"                   # en, cy, bilingual
    layout: str = "welsh_first"            # bilingual only: welsh_first or side_by_side
    source: str = "people"                 # people, cohort, invitees, no_shows
    person_ids: tuple[int, ...] = ()
    references: tuple[str, ...] = ()
    cohort_id: int | None = None
    call_in_id: int | None = None
    exclude: frozenset[int] = frozenset()  # person ids left out of the batch
    signatory_ids: tuple[int, ...] | None = None   # None: every signatory

    def languages(self) -> tuple[str, ...]:
        return ("cy", "en") if self.language == "bilingual" else (self.language,)


@dataclass(frozen=True)
class Problem:
    """Something that blocks a batch (or, as a warning, deserves a look before printing):
    ``reference`` is "" for every letter of the batch; ``fix`` says where to fix it."""
    person_id: int | None
    reference: str
    field: str
    message: str
    fix: str = ""
    warning: bool = False          # printed anyway; worth a look before the letters go out

    @property
    def every_letter(self) -> bool:
        return not self.reference

    def __str__(self) -> str:
        who = self.reference or "all letters"
        return f"{who}: {{{self.field}}} {self.message}" if self.field in MERGE_FIELDS \
            else f"{who}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Preflight:
    people: tuple[tuple[int, str], ...]          # (person id, reference) to receive a letter
    excluded: tuple[tuple[int, str], ...]
    problems: tuple[Problem, ...]
    template: str = ""
    warnings: tuple[Problem, ...] = ()           # printed anyway, but worth a look first

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.people)

    @property
    def blocked_references(self) -> list[str]:
        return sorted({p.reference for p in self.problems if p.person_id is not None})

    @property
    def blocks_every_letter(self) -> bool:
        """A problem no leaving-out can fix (no signatory, no call-in, a template error...)."""
        return any(p.every_letter for p in self.problems)

    def summary(self) -> str:
        if self.ok:
            return f"{len(self.people)} letter{'s' if len(self.people) != 1 else ''} ready"
        lines = [str(p) for p in self.problems[:20]]
        more = len(self.problems) - 20
        if more > 0:
            lines.append(f"... and {more} more")
        n = len(self.problems)
        return (f"{n} problem{'s' if n != 1 else ''} block{'' if n != 1 else 's'} the letters:\n"
                + "\n".join(lines))


class LetterPreflightError(DeterrenceError):
    """The batch is blocked; ``preflight.problems`` says who and what (references only)."""

    def __init__(self, preflight: Preflight):
        self.preflight = preflight
        super().__init__(preflight.summary())


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    path: Path
    sha256: str
    letters: int
    pages: int
    references: tuple[str, ...]                     # letter references, in print order
    person_references: tuple[str, ...]
    per_letter: tuple[Path, ...] = ()


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    letter_type: str
    language: str
    version: int
    title: str


@dataclass(frozen=True)
class Template:
    id: int
    name: str
    letter_type: str
    language: str
    version: int
    title: str
    body: str
    created_at: datetime | None
    created_by: str


@dataclass(frozen=True)
class SignatoryView:
    id: int
    name: str
    title: str
    partner_id: int | None
    partner_name: str
    has_signature: bool


@dataclass(frozen=True)
class LetterheadView:
    """What heads every letter: the partnership, how to reach it, and its logos."""
    partnership: str
    address: tuple[str, ...]
    phone: str
    email: str
    logos: int

    @property
    def has_contact(self) -> bool:
        return bool(self.address or self.phone or self.email)


LETTERHEAD_KEYS = ("letterhead_address", "letterhead_phone", "letterhead_email")
LETTERHEAD_ADDRESS_LINES = 6
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

# Where to fix each problem, in the app and from the command line ({ref}: the person).
FIX_SIGNATORIES = ("Add a signatory in Letters \u2192 Signatories and letterhead, or "
                   "`deterrence-desktop letters signatory add PATH --name NAME --title TITLE`")
FIX_LETTERHEAD = ("Add the return address, phone and email in Letters \u2192 Signatories and "
                  "letterhead, or `deterrence-desktop letters letterhead PATH --address ... --phone ...`")
FIXES = {
    "person.address": "Add the address on {ref}'s page (People \u2192 {ref} \u2192 Edit), or leave them out",
    "person.postcode": "Add the postcode on {ref}'s page (People \u2192 {ref} \u2192 Edit), or leave them out",
    "group.name": "Add {ref} to a group on their page (People \u2192 {ref}), or leave them out",
    "levers": ("Record the levers that apply: plan a custom notification on {ref}'s page "
               "(People \u2192 {ref} \u2192 Plan custom notification\u2026), or leave them out"),
    "offers": "Give the offer contact details in the catalogue, or leave {ref} out",
    "person": "Check the reference, or leave {ref} out",
    "call_in": "Choose a call-in in Letters \u2192 Call-in, or give --call-in ID (--for-call-in ID)",
    "call_in.date": "Choose a planned call-in: an invitation cannot be sent for one already held",
    "call_in.venue": "Give the call-in a venue on its page (Call-ins)",
    "signatories": FIX_SIGNATORIES,
    "all_levers": "Add levers to the catalogue",
    "template": "Choose one of the templates in Letters \u2192 Templates (--template NAME)",
    "people": "Choose who the letters are for",
    "cohort": "Choose a cohort (--cohort NAME)",
    "custody": ("Check the establishment (a partner of type prison, its postal address in its "
                "contact details) and the prison number on {ref}'s page (People \u2192 {ref} "
                "\u2192 Custody), or leave them out"),
    "letterhead": FIX_LETTERHEAD,
}
FIX_PERSON_FIELD = "Fill it in on {ref}'s page (People \u2192 {ref} \u2192 Edit), or leave them out"
FIX_TEMPLATE_FIELD = "Edit the template in Letters \u2192 Templates: use only the listed merge fields"


def _fixed(problem: Problem) -> Problem:
    """The problem with where to fix it."""
    if problem.fix:
        return problem
    hint = FIXES.get(problem.field)
    if hint is None:
        hint = FIX_TEMPLATE_FIELD if "is not a merge field" in problem.message \
            else FIX_PERSON_FIELD if problem.person_id is not None else ""
    return replace(problem, fix=hint.format(ref=problem.reference or "the person"))


# ---------------------------------------------------------------------------- planning

@dataclass
class _Context:
    """What a batch needs, read in one transaction."""
    templates: dict[str, LetterTemplateRow]
    people: list[PersonRow]
    excluded: list[PersonRow]
    partnership: PartnershipRow | None
    call_in: CallInRow | None
    levers: dict[int, list[InterventionRow]]
    offers: dict[int, list[InterventionRow]]
    all_levers: list[InterventionRow]
    groups: dict[int, list[str]]
    signatories: list[pdf.Signatory]
    letterhead: pdf.Letterhead
    images: dict[str, bytes]
    problems: list[Problem] = field(default_factory=list)
    custody: dict[int, CustodyAddress] = field(default_factory=dict)   # who is in custody


def _address_lines(p: PersonRow) -> tuple[str, ...]:
    lines = [x.strip() for x in (p.address or "").replace("\r", "").split("\n") if x.strip()]
    if p.postcode and p.postcode.strip():
        lines.append(p.postcode.strip())
    return tuple(lines)


def _postal_address(p: PersonRow) -> tuple[str, ...]:
    """The envelope-window block: the person's name, then the address and postcode."""
    return (f"{p.given_name} {p.family_name}".strip(),) + _address_lines(p)


def _envelope(ctx: _Context, p: PersonRow) -> tuple[str, ...]:
    """The envelope-window block: to the establishment, with the prison number, for someone
    in custody; else to the person's own address."""
    held = ctx.custody.get(p.id)
    if held is not None and not held.blocked:
        return held.envelope(f"{p.given_name} {p.family_name}".strip())
    return _postal_address(p)


def _lever_text(i: InterventionRow) -> str:
    return f"{i.name}: {i.description.strip()}" if i.description and i.description.strip() else i.name


def _offer_text(i: InterventionRow) -> str:
    return f"{i.name}: {i.contact.strip()}" if i.contact and i.contact.strip() else i.name


def _chunks(ids: Sequence[int], n: int = 5000) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), n):
        yield ids[i:i + n]


class LetterService(Service):
    # ------------------------------------------------------------------ templates
    def templates(self) -> list[TemplateInfo]:
        """The newest version of every template, by name then language."""
        with self.tx() as uow:
            self._ensure_defaults(uow)
            return [TemplateInfo(r.name, r.letter_type, r.language, r.version, r.title)
                    for r in self._latest_rows(uow.session)]

    def template(self, name: str, language: str = "en", version: int | None = None) -> Template:
        with self.tx() as uow:
            self._ensure_defaults(uow)
            row = self._template_row(uow.session, name, language, version)
            return self._template(row)

    def versions(self, name: str, language: str = "en") -> list[Template]:
        with self.tx() as uow:
            self._ensure_defaults(uow)
            rows = uow.session.scalars(select(LetterTemplateRow).where(
                LetterTemplateRow.name == name, LetterTemplateRow.language == language)
                .order_by(LetterTemplateRow.version.desc()))
            return [self._template(r) for r in rows]

    def save_template(self, name: str, language: str, title: str, body: str,
                      letter_type: str | None = None) -> Template:
        """Save an edited template as a new version (the older versions stay)."""
        self.require(Role.COORDINATOR)
        errors = {}
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,63}", name or ""):
            errors["name"] = "use 2 to 64 lower-case letters, digits or underscores"
        if language not in LANGUAGES:
            errors["language"] = "must be one of: " + ", ".join(LANGUAGES)
        if not (body or "").strip():
            errors["body"] = "is required"
        if len(title or "") > 200:
            errors["title"] = "is too long (at most 200 characters)"
        unknown = unknown_fields(title or "", body or "")
        if unknown:
            errors["body"] = "unknown merge fields: " + ", ".join("{" + f + "}" for f in unknown)
        if errors:
            raise ValidationError(errors)
        with self.tx() as uow:
            self._ensure_defaults(uow)
            s = uow.session
            current = s.scalar(select(func.max(LetterTemplateRow.version)).where(
                LetterTemplateRow.name == name, LetterTemplateRow.language == language)) or 0
            if letter_type is None:
                letter_type = s.scalar(select(LetterTemplateRow.letter_type).where(
                    LetterTemplateRow.name == name).limit(1)) or "custom"
            for old in s.scalars(select(LetterTemplateRow).where(
                    LetterTemplateRow.name == name, LetterTemplateRow.language == language,
                    LetterTemplateRow.active.is_(True))):
                old.active = False
            row = LetterTemplateRow(name=name, letter_type=letter_type, language=language,
                                    version=current + 1, title=title or "", body=body,
                                    created_by=self.actor.username, active=True)
            s.add(row)
            s.flush()
            uow.audit(AuditOperation.ALTERATION, "letter_template", f"{name}/{language}",
                      f"new version {row.version}")
            return self._template(row)

    # ------------------------------------------------------------------ signatories, logos
    def signatories(self) -> list[SignatoryView]:
        with self.tx() as uow:
            q = (select(SignatoryRow, PartnerRow.name)
                 .outerjoin(PartnerRow, PartnerRow.id == SignatoryRow.partner_id)
                 .order_by(SignatoryRow.id))
            return [SignatoryView(r.id, r.name, r.title, r.partner_id, pname or "",
                                  r.signature_asset_id is not None)
                    for r, pname in uow.session.execute(q)]

    def add_signatory(self, name: str, title: str = "", partner_id: int | None = None,
                      signature_png: bytes | None = None) -> SignatoryView:
        self.require(Role.COORDINATOR)
        if not (name or "").strip():
            raise ValidationError("name", "is required")
        with self.tx() as uow:
            partner = uow.get(PartnerRow, partner_id, "partner") if partner_id else None
            asset_id = None
            if signature_png:
                asset = AssetRow(kind="signature", name=f"signature of {name}"[:200],
                                 mime=_image_mime(signature_png), data=signature_png)
                uow.session.add(asset)
                uow.session.flush()
                asset_id = asset.id
            row = SignatoryRow(name=name.strip(), title=(title or "").strip(),
                               partner_id=partner_id, signature_asset_id=asset_id)
            uow.session.add(row)
            uow.session.flush()
            uow.audit(AuditOperation.COLLECTION, "signatory", row.id,
                      "with signature" if asset_id else "without signature")
            return SignatoryView(row.id, row.name, row.title, partner_id,
                                 partner.name if partner else "", asset_id is not None)

    def update_signatory(self, signatory_id: int, name: str, title: str = "",
                         partner_id: int | None = None, signature_png: bytes | None = None,
                         clear_signature: bool = False) -> SignatoryView:
        """Change who signs: name, title, partner, and (optionally) a new signature image or
        none. Letters already issued keep the signature they were printed with."""
        self.require(Role.COORDINATOR, entity="signatory", ref=signatory_id)
        if not (name or "").strip():
            raise ValidationError("name", "is required")
        mime = _image_mime(signature_png) if signature_png else ""
        with self.tx() as uow:
            row = uow.get(SignatoryRow, signatory_id, "signatory")
            partner = uow.get(PartnerRow, partner_id, "partner") if partner_id else None
            changed = [f for f, old, new in (("name", row.name, name.strip()),
                                             ("title", row.title, (title or "").strip()),
                                             ("partner", row.partner_id, partner_id)) if old != new]
            row.name, row.title, row.partner_id = name.strip(), (title or "").strip(), partner_id
            if signature_png:
                asset = AssetRow(kind="signature", name=f"signature of signatory {row.id}",
                                 mime=mime, data=signature_png)
                uow.session.add(asset)
                uow.session.flush()
                row.signature_asset_id = asset.id
                changed.append("signature")
            elif clear_signature and row.signature_asset_id is not None:
                row.signature_asset_id = None
                changed.append("signature")
            if changed:
                uow.session.flush()
                uow.audit(AuditOperation.ALTERATION, "signatory", row.id,
                          "fields=" + ",".join(sorted(changed)))
            return SignatoryView(row.id, row.name, row.title, row.partner_id,
                                 partner.name if partner else "", row.signature_asset_id is not None)

    def remove_signatory(self, signatory_id: int) -> None:
        """No longer sign letters. The signature image stays, so a reprint of a letter
        already issued reproduces it."""
        self.require(Role.COORDINATOR, entity="signatory", ref=signatory_id)
        with self.tx() as uow:
            row = uow.get(SignatoryRow, signatory_id, "signatory")
            uow.session.delete(row)
            uow.audit(AuditOperation.ERASURE, "signatory", signatory_id, "no longer signs letters")

    def letterhead(self) -> LetterheadView:
        with self.tx() as uow:
            head, _images = self._letterhead(uow.session)
            return LetterheadView(head.partnership, head.address, head.phone, head.email,
                                  len(head.logos))

    def set_letterhead(self, address: str | Sequence[str], phone: str = "",
                       email: str = "") -> LetterheadView:
        """The return address, phone and email printed at the head of every letter."""
        lines = _lines(address or "")
        phone, email = (phone or "").strip(), (email or "").strip()
        errors = {}
        if len(lines) > LETTERHEAD_ADDRESS_LINES:
            errors["address"] = f"use at most {LETTERHEAD_ADDRESS_LINES} lines"
        elif any(len(x) > 120 for x in lines) or not pdf.contact_address_fits(lines):
            errors["address"] = (f"is too long for the letterhead (it prints on at most "
                                 f"{pdf.CONTACT_ADDRESS_LINES} lines)")
        if phone and (len(phone) > 60 or sum(ch.isdigit() for ch in phone) < 6):
            errors["phone"] = "give a number with at least 6 digits (at most 60 characters)"
        if email and (len(email) > 120 or not _EMAIL.fullmatch(email)):
            errors["email"] = "is not an email address"
        if errors:
            raise ValidationError(errors)
        self.app.settings.set_many(dict(zip(LETTERHEAD_KEYS, ("\n".join(lines), phone, email))),
                                   "letterhead contact details")
        return self.letterhead()

    def add_logo(self, name: str, data: bytes) -> int:
        """Add a logo to the letterhead (PNG or JPEG)."""
        self.require(Role.COORDINATOR)
        mime = _image_mime(data)
        with self.tx() as uow:
            row = AssetRow(kind="logo", name=(name or "logo")[:200], mime=mime, data=data)
            uow.session.add(row)
            uow.session.flush()
            uow.audit(AuditOperation.COLLECTION, "asset", row.id, "letterhead logo")
            return row.id

    # ------------------------------------------------------------------ people
    def call_ins(self) -> list[tuple[int, str, datetime]]:
        """(id, title, starts at) of every call-in, newest first."""
        with self.tx() as uow:
            return [(r.id, r.title, r.starts_at) for r in uow.session.scalars(
                select(CallInRow).order_by(CallInRow.starts_at.desc()))]

    # ------------------------------------------------------------------ pre-flight
    def preflight(self, request: LetterRequest) -> Preflight:
        """Check every merge field of every selected letter; nothing is drawn or recorded."""
        with self.tx() as uow:
            self._ensure_defaults(uow)
            ctx = self._context(uow.session, request)
            result = self._preflight(ctx, request)
            uow.audit(AuditOperation.CONSULTATION, "letter", request.template,
                      f"pre-flight: {len(result.people)} people, {len(result.excluded)} excluded, "
                      f"{len(result.problems)} problems")
            return result

    # ------------------------------------------------------------------ issuing
    def generate(self, request: LetterRequest, out: Path | str,
                 per_letter_dir: Path | str | None = None, control: Any = None) -> BatchResult:
        """Draw, record and write the letters; blocked by any pre-flight problem.

        ``control`` (the UI's TaskControl, optional) receives progress and may cancel:
        then nothing is recorded and no file is left.
        """
        out = Path(out)
        report = _reporter(control)
        self.require_names_export("letter", request.template)
        with self.tx() as uow:
            self._ensure_defaults(uow)
            s = uow.session
            ctx = self._context(s, request)
            check = self._preflight(ctx, request)
            if not check.ok:
                raise LetterPreflightError(check)
            ctx.letterhead = replace(ctx.letterhead, audit_anchor=self.app.anchors.take(
                uow, f"letters {out.name}").token)
            report(0, len(ctx.people), "Merging letters")
            number = int(_setting(s, NEXT_NUMBER_KEY) or "1")
            year = self.today().year
            batch_id = f"B-{year}-{number:06d}"
            letters: list[pdf.Letter] = []
            for i, person in enumerate(ctx.people):
                reference = f"L-{year}-{number + i:06d}"
                letters.append(self._letter(ctx, request, person, reference))
            pending = pdf.render_letters(
                out, letters, ctx.letterhead, ctx.images, per_letter_dir,
                progress=lambda done, total: report(done, total, f"Letter {done} of {total}"),
                title="Letters: " + request.template)
            with pending:
                report(len(letters), len(letters), "Recording the letters")
                _set_setting(s, NEXT_NUMBER_KEY, str(number + len(letters)))   # written last: no
                self._record(s, request, ctx, letters, pending, batch_id)      # lock while drawing
                pending.commit()
            return BatchResult(batch_id, out, pending.sha256, len(letters), pending.pages,
                               tuple(x.reference for x in letters),
                               tuple(p.reference for p in ctx.people),
                               tuple(t for _tmp, t, _sha in pending.per_letter.values()))

    def _record(self, s: Session, request: LetterRequest, ctx: _Context, letters: list[pdf.Letter],
                pending: pdf.PendingFiles, batch_id: str) -> None:
        """One communication, one snapshot and one audit disclosure per letter; one for the batch."""
        label = self._template_label(ctx, request)
        now = self.now().replace(microsecond=0)
        offers = any("offers" in fields_in(t.body) for t in ctx.templates.values())
        ids = list(s.scalars(
            insert(CommunicationRow).returning(CommunicationRow.id, sort_by_parameter_order=True),
            [dict(person_id=person.id, occurred_at=now, channel=CommunicationChannel.LETTER.value,
                  delivered_by=self.actor.display_name, partner_id=self.actor.partner_id,
                  influencer_id=None, deterrence_message=request.template != "support_offer",
                  support_offer=offers, message=self._message(letter, label),
                  outcome=CommunicationOutcome.SENT.value, call_in_id=request.call_in_id,
                  document_sha256=pending.sha256, template=label)
             for letter, person in zip(letters, ctx.people)]))
        letterhead = asdict(ctx.letterhead)
        s.add(LetterBatchRow(id=batch_id, template=label, sha256=pending.sha256, pages=pending.pages,
                             letter_references=[x.reference for x in letters]))
        s.flush()
        issues, entries = [], []
        for letter, person, comm_id in zip(letters, ctx.people, ids):
            one = pending.per_letter.get(letter.reference)
            issues.append(dict(reference=letter.reference, batch_id=batch_id,
                               communication_id=comm_id, person_id=person.id,
                               file_sha256=one[2] if one else "", snapshot={
                                   "v": 1, "letter": asdict(letter), "letterhead": letterhead,
                                   "images": sorted(ctx.images)}))
            entries.append((AuditOperation.DISCLOSURE, "person", person.reference,
                            f"letter {letter.reference}; template {label}; printed by "
                            f"{self.actor.username}; batch {batch_id}", person.reference))
        s.execute(insert(LetterIssueRow), issues)
        entries.append((AuditOperation.DISCLOSURE, "letter_batch", batch_id,
                        f"{len(letters)} letters, {pending.pages} pages; template {label}; "
                        f"sha256 {pending.sha256}" + (
                            f"; {len(pending.per_letter)} single-letter files" if pending.per_letter else ""),
                        f"printer (printed by {self.actor.username})"))
        audit.append_many(s, self.actor.username, entries)

    # ------------------------------------------------------------------ reprints
    def reprint(self, letter_reference: str, out: Path | str) -> str:
        """Print one issued letter again, word for word; returns the new file's SHA-256."""
        self.require_names_export("letter", letter_reference)
        with self.tx() as uow:
            snap = self._snapshot(uow.session, letter_reference)
            letter, letterhead = _letter_from(snap["letter"]), _letterhead_from(snap["letterhead"])
            images = self._images(uow.session, snap["images"])
            pending = pdf.render_letters(out, [letter], letterhead, images,
                                         title=f"Letter {letter_reference}")
            with pending:
                person = uow.session.get(PersonRow, snap["person_id"])
                uow.audit(AuditOperation.DISCLOSURE, "person", person.reference,
                          f"reprint of letter {letter_reference}; printed by {self.actor.username}",
                          recipient=person.reference)
                pending.commit()
            return pending.sha256

    def reprint_batch(self, batch_id: str, out: Path | str) -> tuple[str, bool]:
        """Print a whole batch again; returns (SHA-256, whether it equals the original's)."""
        self.require_names_export("letter_batch", batch_id)
        with self.tx() as uow:
            s = uow.session
            batch = s.get(LetterBatchRow, batch_id)
            if batch is None:
                raise NotFoundError("letter batch", batch_id)
            letters, letterhead, images = [], None, {}
            for ref in batch.letter_references:
                snap = self._snapshot(s, ref)
                letters.append(_letter_from(snap["letter"]))
                letterhead = _letterhead_from(snap["letterhead"])
                images.update(self._images(s, snap["images"]))
            pending = pdf.render_letters(out, letters, letterhead, images,
                                         title="Letters: " + batch.template.split(" ")[0])
            with pending:
                uow.audit(AuditOperation.DISCLOSURE, "letter_batch", batch_id,
                          f"reprint of {len(letters)} letters; sha256 {pending.sha256}",
                          recipient=f"printer (printed by {self.actor.username})")
                pending.commit()
            return pending.sha256, pending.sha256 == batch.sha256

    def issued_with(self, sha256: str) -> list[str]:
        """Letter references recorded with this document digest (proof of what was printed)."""
        with self.tx() as uow:
            rows = uow.session.scalars(select(CommunicationRow.message).where(
                CommunicationRow.document_sha256 == sha256))
            refs = [m.split(":", 1)[0].removeprefix("Letter ") for m in rows]
            uow.audit(AuditOperation.CONSULTATION, "letter", sha256[:16],
                      f"digest check: {len(refs)} letters")
            return refs

    # ------------------------------------------------------------------ preview
    def preview(self, name: str, language: str, title: str, body: str,
                layout: str = "single") -> tuple[pdf.Letter, list[str], pdf.Letterhead, dict[str, bytes]]:
        """A letter of the given (possibly unsaved) template for a fictional sample person,
        with the workspace's letterhead and signatories; and the template's problems."""
        problems = ["{" + f + "} is not a merge field" for f in unknown_fields(title, body)]
        with self.tx() as uow:
            s = uow.session
            partnership = s.scalar(select(PartnershipRow).limit(1))
            letterhead, images = self._letterhead(s)
            signatories, sig_images = self._signatory_list(s, None)
            images.update(sig_images)
            call_in = s.scalar(select(CallInRow).where(CallInRow.status == "planned")
                               .order_by(CallInRow.starts_at).limit(1))
            levers = list(s.scalars(select(InterventionRow).where(
                InterventionRow.kind == InterventionKind.LEVER.value).order_by(InterventionRow.name)))
            offers = list(s.scalars(select(InterventionRow).where(
                InterventionRow.kind == InterventionKind.OFFER.value).order_by(InterventionRow.name)))
        sample = PersonRow(id=0, reference="FD-0000", given_name="Zoë", family_name="Example-Nguyễn",
                           preferred_name="Zoë", address="1 Example Street\nFictionbury",
                           postcode="ZZ99 1ZZ", legal_status="none")
        start = call_in.starts_at if call_in else datetime.combine(self.today() + timedelta(days=14), time(18, 30))
        venue = call_in.venue if call_in and call_in.venue else "Example Hall (sample)"
        ctx = _Context(templates={}, people=[sample], excluded=[], partnership=partnership,
                       call_in=CallInRow(title="Sample call-in", starts_at=start, venue=venue),
                       levers={0: levers[:2]}, offers={0: offers}, all_levers=levers,
                       groups={0: ["Example Group"]}, signatories=signatories,
                       letterhead=letterhead, images=images)
        langs = ("cy", "en") if language == "bilingual" else (language,)
        sections = []
        for lang in langs:
            values, lists = self._values(ctx, sample, lang, "L-0000-000000")
            sections.append(pdf.Section(lang, _substitute(title, values),
                                        build_blocks(body, values, lists)))
        letter = pdf.Letter("L-0000-000000 (sample)", self._date_text(langs), _postal_address(sample),
                            tuple(sections), layout if len(langs) == 2 else "single", tuple(signatories))
        return letter, problems, letterhead, images

    def preview_pdf(self, name: str, language: str, title: str, body: str,
                    layout: str = "single") -> tuple[bytes, list[str], str]:
        """The preview letter as PDF bytes, its problems and its plain text."""
        letter, problems, letterhead, images = self.preview(name, language, title, body, layout)
        return pdf.render_letter_bytes(letter, letterhead, images), problems, plain_text(letter)

    # ------------------------------------------------------------------ internals
    def _ensure_defaults(self, uow: UnitOfWork) -> None:
        """Copy the shipped templates into the workspace the first time they are needed."""
        s = uow.session
        have = set(s.execute(select(LetterTemplateRow.name, LetterTemplateRow.language).distinct()).all())
        added = []
        for path in sorted((pdf.resources_dir() / "letters").glob("*.*.txt")):
            name, language = path.name[:-4].rsplit(".", 1)
            if (name, language) in have:
                continue
            letter_type, title, body = parse_template_file(path.read_text(encoding="utf-8"))
            s.add(LetterTemplateRow(name=name, letter_type=letter_type, language=language,
                                    version=1, title=title, body=body, created_by="system",
                                    active=True))
            added.append(f"{name}/{language}")
        if added:
            s.flush()
            uow.audit(AuditOperation.COLLECTION, "letter_template", "defaults",
                      f"{len(added)} default templates installed")

    @staticmethod
    def _latest_rows(s: Session) -> list[LetterTemplateRow]:
        newest = (select(LetterTemplateRow.name, LetterTemplateRow.language,
                         func.max(LetterTemplateRow.version).label("v"))
                  .group_by(LetterTemplateRow.name, LetterTemplateRow.language).subquery())
        q = (select(LetterTemplateRow).join(newest, (newest.c.name == LetterTemplateRow.name)
                                            & (newest.c.language == LetterTemplateRow.language)
                                            & (newest.c.v == LetterTemplateRow.version)))
        order = {n: i for i, n in enumerate(TEMPLATE_NAMES)}
        rows = list(s.scalars(q))
        rows.sort(key=lambda r: (order.get(r.name, 99), r.name, r.language != "en", r.language))
        return rows

    @staticmethod
    def _template_row(s: Session, name: str, language: str, version: int | None) -> LetterTemplateRow:
        q = select(LetterTemplateRow).where(LetterTemplateRow.name == name,
                                            LetterTemplateRow.language == language)
        q = q.where(LetterTemplateRow.version == version) if version is not None else \
            q.order_by(LetterTemplateRow.version.desc()).limit(1)
        row = s.scalar(q)
        if row is None:
            raise ValidationError("template", f"no template {name!r} in language {language!r}"
                                  + (f" version {version}" if version else ""))
        return row

    @staticmethod
    def _template(r: LetterTemplateRow) -> Template:
        return Template(r.id, r.name, r.letter_type, r.language, r.version, r.title, r.body,
                        r.created_at, r.created_by)

    def _template_label(self, ctx: _Context, request: LetterRequest) -> str:
        parts = [f"{lang} v{ctx.templates[lang].version}" for lang in request.languages()]
        return f"{request.template} ({' + '.join(parts)})"

    def _people(self, s: Session, request: LetterRequest) -> tuple[list[PersonRow], list[Problem]]:
        problems: list[Problem] = []
        q = select(PersonRow)
        if request.source == "people":
            ids = set(request.person_ids)
            if request.references:
                found = dict(s.execute(select(PersonRow.reference, PersonRow.id).where(
                    PersonRow.reference.in_(request.references))).all())
                for ref in request.references:
                    if ref not in found:
                        problems.append(Problem(None, ref, "person", "no person with this reference"))
                ids |= set(found.values())
            q = q.where(PersonRow.id.in_(ids))
        elif request.source == "cohort":
            if request.cohort_id is None or s.get(CohortRow, request.cohort_id) is None:
                return [], [Problem(None, "", "cohort", "choose a cohort")]
            q = q.where(PersonRow.id.in_(select(CohortMemberRow.person_id).where(
                CohortMemberRow.cohort_id == request.cohort_id)))
        elif request.source in ("invitees", "no_shows"):
            if request.call_in_id is None:
                return [], [Problem(None, "", "call_in", "choose a call-in")]
            inv = select(InvitationRow.person_id).where(InvitationRow.call_in_id == request.call_in_id)
            if request.source == "no_shows":
                inv = inv.where(InvitationRow.attendance == AttendanceStatus.NO_SHOW.value)
            q = q.where(PersonRow.id.in_(inv))
        else:
            return [], [Problem(None, "", "source", "must be one of: " + ", ".join(SOURCES))]
        people = list(s.scalars(q.order_by(PersonRow.reference)))
        visible = self.officer_people()
        if visible is not None:
            allowed = set(s.scalars(select(PersonRow.id).where(PersonRow.id.in_(visible))))
            for p in people:
                if p.id not in allowed and p.id not in request.exclude:
                    problems.append(Problem(p.id, p.reference, "person",
                                            "no action of your agency concerns this person"))
        return people, problems

    def _context(self, s: Session, request: LetterRequest) -> _Context:
        problems: list[Problem] = []
        templates: dict[str, LetterTemplateRow] = {}
        if request.language not in OUTPUT_LANGUAGES:
            problems.append(Problem(None, "", "language", "must be en, cy or bilingual"))
        else:
            for lang in request.languages():
                try:
                    templates[lang] = self._template_row(s, request.template, lang, None)
                except ValidationError as exc:
                    problems.append(Problem(None, "", "template", exc.errors["template"]))
        people, found = self._people(s, request)
        problems += found
        included = [p for p in people if p.id not in request.exclude]
        excluded = [p for p in people if p.id in request.exclude]
        call_in = None
        if request.call_in_id is not None:
            call_in = s.get(CallInRow, request.call_in_id)
            if call_in is None:
                problems.append(Problem(None, "", "call_in", f"no call-in with id {request.call_in_id}"))
        ids = [p.id for p in included]
        interventions = {r.id: r for r in s.scalars(select(InterventionRow).order_by(InterventionRow.name))}
        order = {iid: i for i, iid in enumerate(interventions)}
        lever_ids: dict[int, set[int]] = defaultdict(set)
        offer_ids: dict[int, set[int]] = defaultdict(set)
        groups: dict[int, list[str]] = defaultdict(list)
        for chunk in _chunks(ids):
            for pid, levers, offers in s.execute(select(
                    CustomNotificationRow.person_id, CustomNotificationRow.lever_ids,
                    CustomNotificationRow.offer_ids).where(CustomNotificationRow.person_id.in_(chunk))):
                lever_ids[pid].update(levers or ())
                offer_ids[pid].update(offers or ())
            for pid, iid in s.execute(select(ActionRow.person_id, ActionRow.intervention_id).where(
                    ActionRow.person_id.in_(chunk), ActionRow.intervention_id.is_not(None),
                    ActionRow.status != ActionStatus.CANCELLED.value)):
                item = interventions.get(iid)
                if item is not None:
                    (lever_ids if item.kind == InterventionKind.LEVER.value else offer_ids)[pid].add(iid)
            for pid, gname in s.execute(select(MembershipRow.person_id, GroupRow.name)
                                        .join(GroupRow, GroupRow.id == MembershipRow.group_id)
                                        .where(MembershipRow.person_id.in_(chunk),
                                               MembershipRow.end.is_(None))
                                        .order_by(GroupRow.name)):
                if gname not in groups[pid]:
                    groups[pid].append(gname)
        all_levers = [i for i in interventions.values() if i.kind == InterventionKind.LEVER.value]
        all_offers = [i for i in interventions.values() if i.kind == InterventionKind.OFFER.value]
        probation_levers = {i.id for i in all_levers if i.partner_type == PartnerType.PROBATION.value}
        levers, offers = {}, {}
        for p in included:
            lids = {i for i in lever_ids[p.id] if interventions.get(i) is not None
                    and interventions[i].kind == InterventionKind.LEVER.value}
            if p.legal_status in (LegalStatus.LICENCE.value, LegalStatus.PROBATION.value):
                lids |= probation_levers
            levers[p.id] = [interventions[i] for i in sorted(lids, key=order.get)]
            oids = {i for i in offer_ids[p.id] if interventions.get(i) is not None
                    and interventions[i].kind == InterventionKind.OFFER.value}
            offers[p.id] = [interventions[i] for i in sorted(oids, key=order.get)] if oids else all_offers
        letterhead, images = self._letterhead(s)
        signatories, sig_images = self._signatory_list(s, request.signatory_ids)
        images.update(sig_images)
        return _Context(templates, included, excluded, s.scalar(select(PartnershipRow).limit(1)),
                        call_in, levers, offers, all_levers, groups, signatories, letterhead,
                        images, problems, custody=custody_addresses(s, included))

    def _letterhead(self, s: Session) -> tuple[pdf.Letterhead, dict[str, bytes]]:
        partnership = s.scalar(select(PartnershipRow).limit(1))
        partners = tuple(s.scalars(select(PartnerRow.name).order_by(PartnerRow.name)))
        images: dict[str, bytes] = {}
        logos = []
        for aid, data in s.execute(select(AssetRow.id, AssetRow.data).where(
                AssetRow.kind == "logo").order_by(AssetRow.id)):
            images[f"asset:{aid}"] = data
            logos.append(f"asset:{aid}")
        address, phone, email = (SettingsService.read(s, key) for key in LETTERHEAD_KEYS)
        return pdf.Letterhead(partnership.name if partnership else "", partners, tuple(logos),
                              (partnership.protective_marking if partnership else "") or pdf.MARKING,
                              address=_lines(address), phone=phone.strip(),
                              email=email.strip()), images

    def _signatory_list(self, s: Session, ids: Sequence[int] | None) -> tuple[list[pdf.Signatory], dict[str, bytes]]:
        q = (select(SignatoryRow, PartnerRow.name)
             .outerjoin(PartnerRow, PartnerRow.id == SignatoryRow.partner_id).order_by(SignatoryRow.id))
        if ids is not None:
            q = q.where(SignatoryRow.id.in_(ids))
        out, images = [], {}
        for row, pname in s.execute(q):
            key = ""
            if row.signature_asset_id is not None:
                data = s.scalar(select(AssetRow.data).where(AssetRow.id == row.signature_asset_id))
                if data:
                    key = f"asset:{row.signature_asset_id}"
                    images[key] = data
            out.append(pdf.Signatory(row.name, row.title, pname or "", key))
        return out, images

    def _images(self, s: Session, keys: Sequence[str]) -> dict[str, bytes]:
        out = {}
        for key in keys:
            data = s.scalar(select(AssetRow.data).where(AssetRow.id == int(key.split(":")[1])))
            if data is not None:
                out[key] = data
        return out

    def _values(self, ctx: _Context, p: PersonRow, lang: str, reference: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        ci = ctx.call_in
        values = {
            "person.preferred_name": (p.preferred_name or p.given_name or "").strip(),
            "person.given_name": (p.given_name or "").strip(),
            "person.family_name": (p.family_name or "").strip(),
            "person.full_name": f"{p.given_name} {p.family_name}".strip(),
            "person.reference": p.reference,
            "person.postcode": (p.postcode or "").strip(),
            "group.name": " and ".join(ctx.groups.get(p.id, ())),
            "call_in.title": ci.title if ci else "",
            "call_in.date": format_date(ci.starts_at.date(), lang) if ci and ci.starts_at else "",
            "call_in.time": format_time(ci.starts_at.time(), lang) if ci and ci.starts_at else "",
            "call_in.venue": (ci.venue or "").strip() if ci else "",
            "letter.reference": reference,
            "letter.date": format_date(self.today(), lang, weekday=False),
            "partnership.name": ctx.partnership.name if ctx.partnership else "",
            "partnership.area": ctx.partnership.area if ctx.partnership else "",
        }
        lists = {
            "levers": tuple(_lever_text(i) for i in ctx.levers.get(p.id, ())),
            "all_levers": tuple(_lever_text(i) for i in ctx.all_levers),
            "offers": tuple(_offer_text(i) for i in ctx.offers.get(p.id, ())),
            "person.address": _envelope(ctx, p)[1:],
        }
        values["person.address"] = ", ".join(lists["person.address"])
        for name in LIST_FIELDS:
            values[name] = "; ".join(lists[name])
        values["signatories"] = "; ".join(x.name for x in ctx.signatories)
        return values, lists

    def _preflight(self, ctx: _Context, request: LetterRequest) -> Preflight:
        problems = list(ctx.problems)
        used: list[str] = []
        for lang, row in ctx.templates.items():
            for f in fields_in(row.title) + fields_in(row.body):
                if f not in MERGE_FIELDS:
                    problems.append(Problem(None, "", f, f"is not a merge field (template "
                                            f"{row.name} {lang} v{row.version})"))
                elif f not in used:
                    used.append(f)
        if request.language == "bilingual" and request.layout not in ("welsh_first", "side_by_side"):
            problems.append(Problem(None, "", "layout", "must be welsh_first or side_by_side"))
        if any(f.startswith("call_in.") for f in used) and ctx.call_in is None \
                and not any(p.field == "call_in" for p in problems):
            problems.append(Problem(None, "", "call_in", "this letter needs a call-in: choose one"))
        if "signatories" in used and not ctx.signatories:
            problems.append(Problem(None, "", "signatories", "no one signs the letters"))
        if "all_levers" in used and not ctx.all_levers:
            problems.append(Problem(None, "", "all_levers", EMPTY_MESSAGES["all_levers"]))
        inviting = any(t.letter_type == "call_in_invitation" for t in ctx.templates.values())
        if inviting and ctx.call_in is not None:
            if ctx.call_in.status == "cancelled":
                problems.append(Problem(None, "", "call_in", "the call-in is cancelled"))
            elif ctx.call_in.starts_at and ctx.call_in.starts_at.date() < self.today():
                problems.append(Problem(None, "", "call_in.date", "the call-in has already taken place"))
        if ctx.call_in is not None and "call_in.venue" in used and not (ctx.call_in.venue or "").strip():
            problems.append(Problem(None, "", "call_in.venue", EMPTY_MESSAGES["call_in.venue"]))
        if not ctx.people and not any(p.reference == "" for p in problems):
            problems.append(Problem(None, "", "people", "nobody is selected"))
        per_person = [f for f in used if f != "person.address" and (
            f.startswith(("person.", "group.")) or f in ("levers", "offers"))]
        for p in ctx.people:
            # Every letter goes in a window envelope: the address is always checked. Someone in
            # custody is written to at the establishment, with their prison number, or not at all.
            held = ctx.custody.get(p.id)
            if held is not None:
                if held.blocked:
                    problems.append(Problem(p.id, p.reference, "custody", held.blocked))
                elif len(_envelope(ctx, p)) > pdf.ADDRESS_MAX_LINES:
                    problems.append(Problem(p.id, p.reference, "custody", f"the establishment's address "
                                            f"takes more than {pdf.ADDRESS_MAX_LINES - 2} lines: it "
                                            "will not fit the envelope window"))
            elif not (p.address or "").strip():
                problems.append(Problem(p.id, p.reference, "person.address", EMPTY_MESSAGES["person.address"]))
            elif not (p.postcode or "").strip():
                problems.append(Problem(p.id, p.reference, "person.address", "no postcode recorded"))
            elif len(_postal_address(p)) > pdf.ADDRESS_MAX_LINES:
                problems.append(Problem(p.id, p.reference, "person.address", f"name and address take more "
                                        f"than {pdf.ADDRESS_MAX_LINES} lines: they will not fit the envelope window"))
            values, lists = self._values(ctx, p, request.languages()[0], "")
            for f in per_person:
                empty = not lists[f] if f in lists else not values.get(f)
                if empty:
                    problems.append(Problem(p.id, p.reference, f, EMPTY_MESSAGES.get(f, "is empty")))
            if "offers" in per_person:
                for item in ctx.offers.get(p.id, ()):
                    if not (item.contact or "").strip():
                        problems.append(Problem(p.id, p.reference, "offers",
                                                f"the offer {item.name!r} has no contact details"))
        warnings: list[Problem] = []
        if ctx.people and not ctx.letterhead.has_contact:
            warnings.append(Problem(None, "", "letterhead", "the letters give no return address, "
                                    "phone or email for the reader to get in touch", warning=True))
        for p in ctx.people:
            held = ctx.custody.get(p.id)
            if held is not None and not held.blocked:
                warnings.append(Problem(p.id, p.reference, "custody", f"{held.situation}: the letter "
                                        f"goes to {held.establishment}, with their prison number",
                                        warning=True))
        return Preflight(tuple((p.id, p.reference) for p in ctx.people),
                         tuple((p.id, p.reference) for p in ctx.excluded),
                         tuple(_fixed(x) for x in problems), request.template,
                         tuple(_fixed(x) for x in warnings))

    def _date_text(self, langs: Sequence[str]) -> str:
        return "\n".join(format_date(self.today(), lang, weekday=False) for lang in langs)

    def _letter(self, ctx: _Context, request: LetterRequest, p: PersonRow, reference: str) -> pdf.Letter:
        langs = request.languages()
        sections = []
        for lang in langs:
            row = ctx.templates[lang]
            values, lists = self._values(ctx, p, lang, reference)
            sections.append(pdf.Section(lang, _substitute(row.title, values),
                                        build_blocks(row.body, values, lists)))
        layout = request.layout if len(langs) == 2 else "single"
        return pdf.Letter(reference, self._date_text(langs), _envelope(ctx, p), tuple(sections),
                          layout, tuple(ctx.signatories))

    @staticmethod
    def _message(letter: pdf.Letter, template_label: str) -> str:
        head = f"Letter {letter.reference}: {letter.sections[-1].title} (template {template_label})"
        return (head + "\n\n" + plain_text(letter))[:9000]

    @staticmethod
    def _snapshot(s: Session, reference: str) -> dict:
        """What an issued letter said; gone (NotFoundError) once its person was erased."""
        row = s.get(LetterIssueRow, reference)
        if row is None:
            raise NotFoundError("issued letter", reference)
        return dict(row.snapshot) | {"person_id": row.person_id}


# ---------------------------------------------------------------------------- helpers

def _reporter(control: Any) -> Callable[[int, int, str], None]:
    if control is None:
        return lambda done, total, text="": None
    return lambda done, total, text="": control.report(done, total, text)


def _setting(s: Session, key: str) -> str | None:
    row = s.get(SettingRow, key)
    return row.value if row is not None else None


def _set_setting(s: Session, key: str, value: str) -> None:
    row = s.get(SettingRow, key)
    if row is None:
        s.add(SettingRow(key=key, value=value))
    else:
        row.value = value


def _image_mime(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    raise ValidationError("image", "use a PNG or JPEG image")


def _letter_from(d: dict) -> pdf.Letter:
    return pdf.Letter(
        d["reference"], d["date_text"], tuple(d["address"]),
        tuple(pdf.Section(s["language"], s["title"],
                          tuple(pdf.Block(b["kind"], b["text"], tuple(b["items"])) for b in s["blocks"]))
              for s in d["sections"]),
        d["layout"], tuple(pdf.Signatory(**x) for x in d["signatories"]))


def _letterhead_from(d: dict) -> pdf.Letterhead:
    return pdf.Letterhead(d["partnership"], tuple(d["partners"]), tuple(d["logos"]), d["marking"],
                          audit_anchor=d.get("audit_anchor", ""), address=tuple(d.get("address", ())),
                          phone=d.get("phone", ""), email=d.get("email", ""))


def _lines(text: str | Sequence[str]) -> tuple[str, ...]:
    """Non-blank, stripped lines of a multi-line text (or of a list of lines)."""
    raw = text.replace("\r", "").split("\n") if isinstance(text, str) else text
    return tuple(x.strip() for x in raw if x and x.strip())


def sha256_of(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
