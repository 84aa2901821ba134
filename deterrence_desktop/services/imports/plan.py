"""The dry run's result: each row of the file with what applying would do to it, and
the user's decision per row (new, same as an existing person, or leave out)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .mapping import ImportKind, Mapping


class RowState(StrEnum):
    NEW = "new"
    UPDATE = "updated"
    UNCHANGED = "unchanged"
    LEAVE_OUT = "left out"
    ERROR = "error"


class Choice(StrEnum):
    NEW = "new"
    SAME = "same"             # the same as an existing person: merge into them
    LEAVE_OUT = "leave out"


@dataclass(slots=True)
class FieldDiff:
    field: str
    label: str
    existing: str
    incoming: str


@dataclass(slots=True)        # a dry run holds one per row of the file: 100,000 of them
class PlanRow:
    line: int
    label: str                                   # what the row is, for the user's eyes
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    match_id: int | None = None                  # the existing record it matches
    match_label: str = ""
    match_score: int = 0
    match_reasons: tuple[str, ...] = ()
    possible: bool = False                       # a possible, not likely, match: the user decides
    duplicate_of: int | None = None              # the earlier line of the same file it repeats
    diffs: list[FieldDiff] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)    # e.g. a membership to add
    choice: Choice = Choice.NEW
    take: set[str] = field(default_factory=set)  # fields whose incoming value is kept on a merge

    @property
    def state(self) -> RowState:
        if self.errors:
            return RowState.ERROR
        if self.choice == Choice.LEAVE_OUT:
            return RowState.LEAVE_OUT
        if self.choice == Choice.NEW:
            return RowState.NEW
        if self.take or self.extra.get("membership_new"):
            return RowState.UPDATE
        return RowState.UNCHANGED

    @property
    def reasons(self) -> str:
        """Why the row is as it is, in words (errors first)."""
        if self.errors:
            return "; ".join(self.errors)
        parts = []
        if self.duplicate_of:
            parts.append(f"repeats row {self.duplicate_of} of the file")
        if self.match_id is not None:
            kind = "possibly" if self.possible else "likely"
            parts.append(f"{kind} {self.match_label} ({', '.join(self.match_reasons)})")
        parts.extend(self.warnings)
        return "; ".join(parts)


@dataclass
class ImportPlan:
    kind: ImportKind
    mapping: Mapping
    file_name: str
    sha256: str
    sheet: str
    rows: list[PlanRow]
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def counts(self) -> dict[RowState, int]:
        out = {s: 0 for s in RowState}
        for r in self.rows:
            out[r.state] += 1
        out[RowState.LEAVE_OUT] += len(self.skipped)
        return out

    def summary(self) -> str:
        c = self.counts()
        return ", ".join(f"{c[s]:,} {s.value}" + ("s" if s == RowState.ERROR and c[s] != 1 else "")
                         for s in RowState)

    def by_state(self, state: RowState) -> list[PlanRow]:
        return [r for r in self.rows if r.state == state]


@dataclass
class ImportReceipt:
    """What an applied import did, so that it can be undone as one step."""
    kind: ImportKind
    file_name: str
    sha256: str
    created: dict[str, list[int]] = field(default_factory=dict)       # table -> new row ids
    before: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)  # table, id, old values
    counts: dict[str, int] = field(default_factory=dict)
    undone: bool = False
