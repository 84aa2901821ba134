"""The evaluation's aggregate table as CSV and xlsx, for analysts' own tools.

One row per measure and scope (the cohort evaluated, and the comparison cohort when
chosen), suppressed exactly as the board report is ("<5" for any cell about 1 to 4
people). The protective marking heads the file; written atomically, mode 0600.
"""
from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from ..domain.evaluation import TABLE_HEADER, Evaluation, suppressed_values
from .files import atomic_path

HEADER = ("Scope",) + TABLE_HEADER
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    """A name a user typed, made safe for a spreadsheet: never read as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def table_rows(e: Evaluation) -> list[tuple]:
    """The rows of the export, values typed (numbers stay numbers), suppressed."""
    rows = [(_text(e.scope),) + suppressed_values(m) for m in e.measures]
    if e.comparison is not None:
        rows += [(_text(e.comparison_scope),) + suppressed_values(m) for m in e.comparison]
    return rows


def preamble(e: Evaluation, marking: str) -> list[tuple[str, str]]:
    from .board_report import period_text
    return [(marking, ""), ("Period", period_text(e)),
            ("Suppression", "cells about fewer than 5 people read <5"),
            ("Rates", "events per person-year observed; change = after rate / before rate - 1")]


def write_csv(e: Evaluation, path: Path | str, marking: str = "OFFICIAL-SENSITIVE") -> Path:
    with atomic_path(path, prefix=".evaluation-") as tmp:
        with open(tmp, "w", newline="", encoding="utf-8-sig") as f:
            w = csv.writer(f)
            for line in preamble(e, marking):
                w.writerow([x for x in line if x])
            w.writerow([])
            w.writerow(HEADER)
            for row in table_rows(e):
                w.writerow(["" if v is None else v for v in row])
    return Path(path)


def write_xlsx(e: Evaluation, path: Path | str, marking: str = "OFFICIAL-SENSITIVE") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Evaluation"
    bold = Font(bold=True)
    for line in preamble(e, marking):
        ws.append(list(line))
        ws.cell(ws.max_row, 1).font = bold
    ws.append([])
    ws.append(list(HEADER))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = bold
    for row in table_rows(e):
        ws.append(list(row))
    for r in ws.iter_rows(min_row=1):
        for cell in r:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"            # text, never a formula
    ws.freeze_panes = ws.cell(header_row + 1, 3)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 38
    for col in "CDEFGHIJ":
        ws.column_dimensions[col].width = 14
    ws.oddHeader.center.text = marking
    ws.oddFooter.center.text = marking
    with atomic_path(path, prefix=".evaluation-") as tmp:
        wb.save(tmp)
    return Path(path)
