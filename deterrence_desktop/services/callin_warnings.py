"""What the call-in wizard warns about, beyond the invitees: another call-in at the same
time, and a support offer from a partner whose information-sharing agreement has ended.
Also who "Invite all" leaves out (people in custody on the date).

Pure functions over the wizard's answers and its facts (:class:`~.callins.WizardFacts`);
no Qt and no database. A warning never blocks the wizard: it says what to check.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..domain.enums import LegalStatus

if TYPE_CHECKING:       # the wizard's types live in callins, which imports this module
    from .callins import InviteeCandidate, WizardFacts

CALL_IN_LENGTH = timedelta(hours=2)     # a call-in with arrivals and departures: about two hours


@dataclass(frozen=True)
class WizardWarning:
    step: str
    kind: str                   # clash, custody, release_near, rivals, ends_before, isa_ended
    text: str
    person_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class OtherCallIn:
    """A planned or held call-in the one being planned might clash with."""
    id: int
    title: str
    starts_at: datetime
    venue: str


@dataclass(frozen=True)
class Agreement:
    """A partner's information-sharing agreement, as the wizard needs it."""
    partner_id: int
    partner: str
    reference: str
    start: date | None
    end: date | None


def _when(d: datetime) -> str:
    return f"{d:%A} {d.day} {d:%B %Y} at {d:%H:%M}"


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def clash_warnings(starts_at: datetime | None, others: tuple[OtherCallIn, ...],
                   step: str) -> list[WizardWarning]:
    """Another call-in at the same date and time, or close enough to overlap (warnings
    of the wizard's ``step``)."""
    if starts_at is None:
        return []
    out = []
    for o in sorted(others, key=lambda o: o.starts_at):
        if abs(o.starts_at - starts_at) >= CALL_IN_LENGTH:
            continue
        where = f" ({o.venue})" if o.venue else ""
        if o.starts_at == starts_at:
            text = f"Another call-in is at the same date and time: {o.title}, {_when(o.starts_at)}{where}."
        else:
            text = (f"Another call-in overlaps this one: {o.title}, {_when(o.starts_at)}{where}. "
                    f"A call-in takes about {CALL_IN_LENGTH.seconds // 3600} hours.")
        out.append(WizardWarning(step, "clash", text))
    return out


def agreement_problem(agreement: Agreement | None, on: date | None, today: date) -> str | None:
    """Why a partner should not deliver an offer on the night: its information-sharing
    agreement has ended, or ends before the call-in (``on``). None when it is in force."""
    if agreement is None or agreement.end is None or not agreement.reference:
        return None
    day = on or today
    if agreement.end < today:
        return (f"the information-sharing agreement with {agreement.partner} ended on "
                f"{_day(agreement.end)}.")
    if agreement.end < day:
        return (f"the information-sharing agreement with {agreement.partner} ends on "
                f"{_day(agreement.end)}, before the call-in.")
    return None


def offer_warnings(offers: list[dict[str, Any]], facts: WizardFacts, offer_names: dict[int, str],
                   step: str) -> list[WizardWarning]:
    """An offer on the night from a partner whose agreement has ended (by the call-in's date)."""
    out = []
    for o in offers:
        problem = agreement_problem(facts.agreements.get(o.get("partner_id")), facts.starts_on, facts.today)
        if problem:
            name = offer_names.get(o.get("intervention_id"), "A support offer")
            out.append(WizardWarning(step, "isa_ended", f"{name}: {problem} Choose another partner "
                                     "or renew the agreement first."))
    return out


def in_custody_on(c: InviteeCandidate, day: date | None) -> bool:
    """Expected to be in custody (or on remand) on the day of the call-in."""
    if day is None:
        return False
    return (LegalStatus(c.legal_status) in (LegalStatus.CUSTODY, LegalStatus.REMAND)
            and (c.custody_release is None or c.custody_release > day))


def invite_all(candidates: list[InviteeCandidate], invitees: list[dict], day: date | None,
               require: bool) -> tuple[list[dict], list[InviteeCandidate]]:
    """Everyone the targets give, except people in custody on the date (who are returned as
    left out). People already chosen keep their choice; the others are required only when
    ``require`` and their licence or probation allows it."""
    chosen = {int(i["person_id"]): bool(i.get("required")) for i in invitees}
    out, left_out = [], []
    for c in candidates:
        if c.person_id in chosen:
            out.append({"person_id": c.person_id, "required": chosen[c.person_id]})
        elif in_custody_on(c, day):
            left_out.append(c)
        else:
            out.append({"person_id": c.person_id, "required": bool(require and c.can_require)})
    return out, left_out


def left_out_text(left_out: list[InviteeCandidate]) -> str:
    if not left_out:
        return ""
    n = len(left_out)
    refs = ", ".join(c.reference for c in left_out)
    return (f"{n} {'person' if n == 1 else 'people'} left out: in custody on the date ({refs}). "
            "Tick them one by one to invite them all the same.")


__all__ = ["WizardWarning", "OtherCallIn", "Agreement", "CALL_IN_LENGTH", "clash_warnings",
           "agreement_problem", "offer_warnings", "in_custody_on", "invite_all", "left_out_text"]
