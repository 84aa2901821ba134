"""Outcomes a partner sends back on the Outcomes sheet of their tracker: the dry run's
row-by-row verdict, and applying the accepted rows. Called by
:class:`~deterrence_desktop.services.trackers.TrackerService` (check_return,
apply_return), inside its transactions.

A row is **new** (it becomes an outcome event when applied), **unchanged** (exactly this
outcome is already recorded), in **conflict** (the partner's own reference is already on
a different outcome of that person: applied only if the coordinator ticks it) or an
**error**: not a well-formed outcome, or about a person who is not in the tracker (a
forged row), refused with the reason.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.enums import AuditOperation
from ..domain.errors import ConflictError, ValidationError, sentence
from ..domain.model import REFERENCE_PATTERN
from ..domain.outcomes import OutcomeEvent, outcome_label
from ..exports.tracker_outcomes import CAUSE_CHOICES, CPS_CHOICES, KIND_CHOICES, OUTCOME_HEADERS
from ..exports.tracker_xlsx import cell_text, safe_text
from ..store.mapping import column_values
from ..store.tables import ActionRow, PersonRow
from ..store.tables_outcomes import OutcomeEventRow
from .trackers import RowState, _CHUNK, _date

H_REF, H_KIND, H_DATE, H_SOURCE, H_CPS, H_ARREST, H_DISPOSAL, H_CAUSE, H_NOTES = OUTCOME_HEADERS
# An event's fields as the sheet's columns name them (for the messages of a refused row).
_SHEET_NAMES = {"occurred_on": "date", "arrested_on": "arrest_date", "death_cause": "cause_of_death",
                "source_reference": "your_reference", "kind": "outcome"}


@dataclass(frozen=True)
class OutcomeReturnRow:
    """One row of a returned Outcomes sheet, as the dry run judged it."""
    line: int                               # the row number in the Outcomes sheet
    state: RowState
    reference: str = ""
    event: OutcomeEvent | None = None
    message: str = ""

    @property
    def acceptable(self) -> bool:
        return self.state in (RowState.CHANGE, RowState.CONFLICT)

    @property
    def summary(self) -> str:
        """'Arrest on 14 Mar 2026 (CR/123)' for a list."""
        e = self.event
        if e is None:
            return ""
        return (f"{outcome_label(e.kind)} on {e.occurred_on:%d %b %Y}"
                + (f" ({e.source_reference})" if e.source_reference else ""))


def _key(e: OutcomeEvent) -> tuple:
    return (e.person_id, str(e.kind), e.occurred_on, e.partner_id, e.source_reference)


def tracker_people(s: Session, action_ids) -> dict[str, int]:
    """Reference -> person id of the people the tracker's (sealed) actions are about."""
    ids = sorted(action_ids)
    out: dict[str, int] = {}
    for i in range(0, len(ids), _CHUNK):
        for ref, pid in s.execute(
                select(PersonRow.reference, PersonRow.id)
                .join(ActionRow, ActionRow.person_id == PersonRow.id)
                .where(ActionRow.id.in_(ids[i:i + _CHUNK]))):
            out[ref.upper()] = pid
    return out


def _existing(s: Session, person_ids) -> tuple[set, dict]:
    """The outcomes already recorded for these people: exact keys, and by (person,
    partner, source reference) for the partner's own references."""
    exact: set = set()
    by_source: dict[tuple, list] = defaultdict(list)
    ids = sorted(person_ids)
    for i in range(0, len(ids), _CHUNK):
        for pid, kind, day, partner, source in s.execute(
                select(OutcomeEventRow.person_id, OutcomeEventRow.kind,
                       OutcomeEventRow.occurred_on, OutcomeEventRow.partner_id,
                       OutcomeEventRow.source_reference)
                .where(OutcomeEventRow.person_id.in_(ids[i:i + _CHUNK]))):
            exact.add((pid, kind, day, partner, source))
            if source:
                by_source[(pid, partner, source)].append((kind, day))
    return exact, by_source


def check_outcomes(s: Session, returned, partner_id: int | None, today: date
                   ) -> list[OutcomeReturnRow]:
    """The dry run of a returned Outcomes sheet (writes nothing)."""
    if not returned.outcome_rows:
        return []
    cols = returned.outcome_columns
    if H_REF not in cols:
        return [OutcomeReturnRow(line, RowState.ERROR, message=f"the '{H_REF}' column is missing")
                for line, _v in returned.outcome_rows]
    people = tracker_people(s, returned.versions)
    exact, by_source = _existing(s, set(people.values()))
    seen: set = set()
    out = []
    for line, values in returned.outcome_rows:
        row = _judge(line, values, cols, people, partner_id, today)
        if row.state == RowState.ERROR:
            out.append(row)
            continue
        key = _key(row.event)
        if key in seen:
            out.append(OutcomeReturnRow(line, RowState.ERROR, row.reference, row.event,
                                        "this outcome appears more than once in the file"))
            continue
        seen.add(key)
        e = row.event
        if (e.person_id, str(e.kind), e.occurred_on, e.partner_id, e.source_reference) in exact:
            out.append(OutcomeReturnRow(line, RowState.UNCHANGED, row.reference, e,
                                        "already recorded"))
            continue
        others = by_source.get((e.person_id, e.partner_id, e.source_reference)) if \
            e.source_reference else None
        if others:
            kind, day = others[0]
            out.append(OutcomeReturnRow(
                line, RowState.CONFLICT, row.reference, e,
                f"your reference {e.source_reference} is already on another outcome of this "
                f"person ({outcome_label(kind).lower()} on {day:%d %b %Y})"))
            continue
        out.append(row)
    return out


def _judge(line: int, values: tuple, cols: dict[str, int], people: dict[str, int],
           partner_id: int | None, today: date) -> OutcomeReturnRow:
    def cell(header: str):
        pos = cols.get(header)
        return None if pos is None or pos >= len(values) else values[pos]

    def text(header: str) -> str:
        return " ".join(safe_text(cell_text(cell(header))).split())

    reference = text(H_REF).upper()
    if not reference:
        return OutcomeReturnRow(line, RowState.ERROR, message="the partnership reference is missing")
    if not REFERENCE_PATTERN.match(reference):
        return OutcomeReturnRow(line, RowState.ERROR, reference,
                                message="the partnership reference is not like FD-0042")
    person_id = people.get(reference)
    if person_id is None:
        return OutcomeReturnRow(line, RowState.ERROR, reference,
                                message=f"{reference} is not one of the people in this tracker: "
                                        "refused")
    errors = []

    def choice(header: str, table: dict[str, str], what: str, required: bool = False):
        raw = text(header)
        if not raw:
            if required:
                errors.append(f"the {what} is missing")
            return None
        value = table.get(raw.casefold())
        if value is None:
            errors.append(f"the {what} '{raw[:40]}' is not one of the choices")
        return value

    def day(header: str, what: str, required: bool = False):
        value = _date(cell(header))
        if value is False:
            errors.append(f"the {what} is not a date")
            return None
        if value is None and required:
            errors.append(f"the {what} is missing")
        return value

    kind = choice(H_KIND, KIND_CHOICES, "outcome", required=True)
    occurred = day(H_DATE, "date", required=True)
    cps = choice(H_CPS, CPS_CHOICES, "CPS decision")
    arrested = day(H_ARREST, "arrest date")
    cause = choice(H_CAUSE, CAUSE_CHOICES, "cause of death")
    if errors:
        return OutcomeReturnRow(line, RowState.ERROR, reference, message="; ".join(errors))
    event = OutcomeEvent(person_id, kind, occurred, partner_id, text(H_SOURCE)[:200], cps,
                         arrested, text(H_DISPOSAL), None, cause,
                         safe_text(cell_text(cell(H_NOTES))).strip())
    try:
        event.validate(today)
    except ValidationError as exc:
        # Named by the sheet's columns, as the partner sees them.
        message = " ".join(sentence(_SHEET_NAMES.get(k, k), v) for k, v in exc.errors.items())
        return OutcomeReturnRow(line, RowState.ERROR, reference, message=message)
    return OutcomeReturnRow(line, RowState.CHANGE, reference, event)


def apply_outcomes(uow, rows: list[OutcomeReturnRow], source: str, file_sha256: str) -> int:
    """Add the accepted rows as outcome events in the caller's transaction, each audited;
    all or nothing (:class:`ConflictError` if one was recorded since the dry run)."""
    if not rows:
        return 0
    s = uow.session
    exact, _ = _existing(s, {r.event.person_id for r in rows})
    references = dict(s.execute(select(PersonRow.id, PersonRow.reference).where(
        PersonRow.id.in_({r.event.person_id for r in rows}))).all())
    for r in rows:
        if _key(r.event) in exact:
            raise ConflictError(f"The outcome on row {r.line} of the Outcomes sheet was recorded "
                                "after the file was checked: nothing was applied. Check the "
                                "file again")
        if r.event.person_id not in references:
            raise ConflictError(f"The person on row {r.line} of the Outcomes sheet is no longer "
                                "in the workspace: nothing was applied")
    for r in rows:
        row = OutcomeEventRow(**column_values(r.event))
        s.add(row)
        s.flush()
        uow.audit(AuditOperation.COLLECTION, "outcome", row.id,
                  f"{row.kind} for person {references[r.event.person_id]}; source={source}; "
                  f"file_sha256={file_sha256[:16]}")
    return len(rows)
