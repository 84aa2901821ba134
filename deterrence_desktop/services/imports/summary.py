"""From an applied import to the summary PDF's content: rows by line, never by name."""
from __future__ import annotations

import re

from ...exports.import_summary import ImportSummary
from .plan import ImportPlan, ImportReceipt, RowState


def default_name(plan: ImportPlan) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", plan.file_name.rsplit(".", 1)[0])[:40]
    return f"import-summary-{plan.kind.value}-{stem}.pdf"


def summary_of(plan: ImportPlan, receipt: ImportReceipt, partnership: str, when: str,
               who: str) -> ImportSummary:
    counts = list(receipt.counts.items())
    c = plan.counts()
    counts += [("rows unchanged", c[RowState.UNCHANGED]), ("rows left out", c[RowState.LEAVE_OUT]),
               ("rows in error", c[RowState.ERROR])]
    problems = [(r.line, r.state.value, "; ".join(r.errors) if r.errors else
                 (f"repeats row {r.duplicate_of}" if r.duplicate_of else "left out by the user"))
                for r in plan.rows if r.state in (RowState.ERROR, RowState.LEAVE_OUT)]
    problems += [(line, "left out", why) for line, why in plan.skipped]
    problems.sort()
    return ImportSummary(partnership, plan.kind.value, plan.file_name, plan.sha256, plan.sheet,
                         plan.mapping.name or "not saved", when, who, counts, problems)
