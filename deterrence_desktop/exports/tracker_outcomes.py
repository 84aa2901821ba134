"""The Outcomes sheet of an action tracker: where a partner reports outcomes (an arrest,
a treatment entry, housing secured...) for the people in their tracker, one per row.

The sheet goes out empty, with drop-downs for the outcome, the CPS decision and the
cause of death; it is not sealed (the partner writes it). On return every row is
checked against the workspace (services/outcome_returns.py): a row about a person who
is not in the tracker is refused, as is one that is not a well-formed outcome.
No Qt and no database here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openpyxl.worksheet.datavalidation import DataValidation

from ..domain.outcomes import CpsDecision, DeathCause, OutcomeKind, outcome_label

OUTCOMES_SHEET = "Outcomes"
# (header, width). The headers are what a return is read by.
OUTCOME_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Partnership reference", 14),
    ("Outcome", 34),
    ("Date", 12),
    ("Your reference", 18),
    ("CPS decision (charges)", 22),
    ("Arrest date (charges)", 14),
    ("Disposal (convictions)", 24),
    ("Cause of death", 16),
    ("Notes", 36),
)
OUTCOME_HEADERS = tuple(c[0] for c in OUTCOME_COLUMNS)
MAX_OUTCOME_ROWS = 5_000          # rows the drop-downs cover; a return may hold at most this
_LIST_COLUMNS = ("L", "M", "N")   # hidden columns holding the drop-downs' choices


def choices(kind: type) -> dict[str, str]:
    """Every way a partner may write a value (its label, its stored value, the value
    with spaces), case-folded, to the stored value."""
    out: dict[str, str] = {}
    for member in kind:
        for text in (outcome_label(member), member.value, member.value.replace("_", " ")):
            out.setdefault(" ".join(text.split()).casefold(), member.value)
    return out


KIND_CHOICES = choices(OutcomeKind)
CPS_CHOICES = choices(CpsDecision)
CAUSE_CHOICES = choices(DeathCause)


def write_outcomes_sheet(ws, header_cell: Callable[[str], Any], marking: str) -> None:
    """Fill a write-only sheet (already given its column widths by the caller's
    :func:`prepare_outcomes_sheet`) with the header row, the choices and drop-downs."""
    ws.append([header_cell(h) for h in OUTCOME_HEADERS] + [None, None]
              + ["Outcomes (choices)", "CPS decisions (choices)", "Causes (choices)"])
    lists = ([outcome_label(k) for k in OutcomeKind], [outcome_label(c) for c in CpsDecision],
             [outcome_label(c) for c in DeathCause])
    for i in range(max(len(x) for x in lists)):
        ws.append([None] * (len(OUTCOME_HEADERS) + 2)
                  + [x[i] if i < len(x) else None for x in lists])
    for column, values, title, target in (
            (_LIST_COLUMNS[0], lists[0], "Outcome", "B"),
            (_LIST_COLUMNS[1], lists[1], "CPS decision", "E"),
            (_LIST_COLUMNS[2], lists[2], "Cause of death", "H")):
        dv = DataValidation(type="list", formula1=f"${column}$2:${column}${len(values) + 1}",
                            allow_blank=True, showErrorMessage=True, errorStyle="stop",
                            errorTitle=title, error="Choose from the list.")
        dv.add(f"{target}2:{target}{MAX_OUTCOME_ROWS + 1}")
        ws.data_validations.append(dv)
    for target in ("C", "F"):
        dv = DataValidation(type="date", operator="greaterThan", formula1="32874",   # 1990
                            allow_blank=True, showErrorMessage=True, errorStyle="stop",
                            errorTitle="Date", error="Enter a date, e.g. 14/03/2026.")
        dv.add(f"{target}2:{target}{MAX_OUTCOME_ROWS + 1}")
        ws.data_validations.append(dv)


def prepare_outcomes_sheet(ws, marking: str) -> None:
    """Column widths, hidden choice columns and print settings: before the sheet streams."""
    for i, (_h, width) in enumerate(OUTCOME_COLUMNS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    for col in _LIST_COLUMNS:
        ws.column_dimensions[col].hidden = True
    ws.freeze_panes = "A2"
    ws.oddHeader.center.text = marking
    ws.oddFooter.center.text = marking
    ws.page_setup.orientation = "landscape"
