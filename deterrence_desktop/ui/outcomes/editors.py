"""The outcome form (one outcome of one person) and removing one, each undoable.

The form is a :class:`~deterrence_desktop.ui.forms.RecordDialog` built from
:data:`OUTCOME_FIELDS`; the services validate (a charge needs its CPS decision, a
death its cause, no date in the future) and each message appears under its field.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from ...domain.outcomes import CpsDecision, DeathCause, OutcomeEvent, OutcomeKind, outcome_label
from ..context import AppContext
from ..errors import show_failure
from ..forms import Field, RemoveRecordCommand, change_and_push, open_record_dialog

# Pages that show outcomes reload on this kind (the person's page, the evaluation).
OUTCOME_KINDS = ("outcome", "person")

OUTCOME_FIELDS = [
    Field("kind", "&Outcome", "choice"),
    Field("occurred_on", "&Date", "date", help="the day it happened"),
    Field("partner_id", "Reported &by", "choice", help="the partner that reported it"),
    Field("source_reference", "&Reference", placeholder="the partner's own reference, e.g. a crime number"),
    Field("cps_decision", "&CPS decision", "choice", help="a charge: the CPS decision"),
    Field("arrested_on", "&Arrested on", "date",
          help="a charge: the day of the arrest (gives the days from arrest to charge)"),
    Field("disposal", "D&isposal", placeholder="a conviction or out-of-court disposal: what it was"),
    Field("death_cause", "Cause of dea&th", "choice", help="a death: its cause category"),
    Field("notes", "N&otes", "multiline"),
]

NONE = "—"


def kind_choices() -> list[tuple[OutcomeKind, str]]:
    return [(k, outcome_label(k)) for k in OutcomeKind]


def _optional(enum) -> list[tuple[object, str]]:
    return [(None, NONE)] + [(m, outcome_label(m)) for m in enum]


def partner_choices(partners) -> list[tuple[int | None, str]]:
    return [(None, NONE)] + [(p.id, p.name) for p in partners]


def _create(s, record: OutcomeEvent) -> OutcomeEvent:
    """Record a new outcome, or put back one an undo took away (under its old id)."""
    new_id = s.outcomes.record(record) if record.id is None else s.outcomes.restore(record)
    return dataclasses.replace(record, id=new_id)


def _update(s, record: OutcomeEvent) -> OutcomeEvent:
    return s.outcomes.update(record.id, record)


def _remove(s, record: OutcomeEvent) -> OutcomeEvent:
    return s.outcomes.remove(record.id)


def edit_outcome(ctx: AppContext, parent: QWidget, person_id: int, reference: str,
                 outcome_id: int | None = None, on_saved: Callable | None = None) -> None:
    """Record a new outcome for a person (``outcome_id`` None), or change one; undoable."""
    def load(s):
        record = s.outcomes.get(outcome_id) if outcome_id is not None else OutcomeEvent(
            person_id=person_id, kind=OutcomeKind.ARREST, occurred_on=s.today())
        return record, s.partners.all()

    def show(result):
        if not ctx.unlocked:
            return
        record, partners = result
        new = record.id is None
        dialog = open_record_dialog(
            ctx, parent, kind=OUTCOME_KINDS,
            title=f"Record an outcome for {reference}" if new else f"Outcome of {reference}",
            fields=OUTCOME_FIELDS, record=record,
            choices={"kind": kind_choices(), "partner_id": partner_choices(partners),
                     "cps_decision": _optional(CpsDecision), "death_cause": _optional(DeathCause)},
            create=_create, update=_update, remove=_remove,
            undo_text=f"Record an outcome for {reference}" if new
            else f"Change an outcome of {reference}",
            saved_text=(lambda r: f"Recorded {outcome_label(r.kind).lower()} for {reference}") if new
            else f"Saved the outcome of {reference}",
            on_saved=on_saved,
            intro="A charge needs the CPS decision (and the arrest date, for the days to charge); "
                  "a death needs its cause category.")
        dialog.resize(620, 470)          # nine fields scroll; this fits them without gaps
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open outcome form")


def remove_outcome(ctx: AppContext, parent: QWidget, outcome_id: int, reference: str) -> None:
    """Delete an outcome recorded in error; Ctrl+Z puts it back."""
    change_and_push(ctx, parent, lambda s: s.outcomes.remove(outcome_id),
                    lambda removed: RemoveRecordCommand(
                        ctx, OUTCOME_KINDS, f"Remove an outcome of {reference}",
                        _remove, _create, removed),
                    f"Removed an outcome of {reference}")
