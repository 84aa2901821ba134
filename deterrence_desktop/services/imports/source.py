"""A spreadsheet as the import sees it: the header row found (even below a title
block, with merged header cells filled), data rows as text, and the rows left out
(blank, totals, footers) with the reason each was left out."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .mapping import ImportKind, header_score
from .readers import HEADER_SEARCH_ROWS, Cell, ImportRefused, RawSheet, cell_text, read_sheet

FOOTER = re.compile(r"^(grand )?(total|totals|count|sum|subtotal|end of (report|list)|records?:)\b", re.I)


@dataclass(slots=True)
class SourceRow:
    line: int                   # the row number a person sees in their spreadsheet (1-based)
    texts: list[str]
    raw: list[Cell]


@dataclass
class SourceTable:
    path: Path
    sheet: str
    sheets: list[str]
    header_line: int
    headers: list[str]
    rows: list[SourceRow]
    skipped: list[tuple[int, str]] = field(default_factory=list)   # (line, why)
    sha256: str = ""

    def column(self, i: int) -> list[str]:
        return [r.texts[i] if i < len(r.texts) else "" for r in self.rows]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load(path: Path | str, kind: ImportKind, sheet: str | None = None) -> SourceTable:
    path = Path(path)
    raw = read_sheet(path, sheet)
    header_at = find_header(raw, kind)
    headers = _headers(raw, header_at)
    width = len(headers)
    rows: list[SourceRow] = []
    skipped: list[tuple[int, str]] = []
    for i in range(header_at + 1, len(raw.rows)):
        cells = list(raw.rows[i][:width]) + [None] * max(0, width - len(raw.rows[i]))
        texts = [cell_text(c) for c in cells]
        filled = [t for t in texts if t]
        if not filled:
            skipped.append((i + 1, "blank row"))
            continue
        if FOOTER.match(filled[0]) or (len(filled) == 1 and re.fullmatch(r"[\d.,]+", filled[0])
                                        and width > 2):
            skipped.append((i + 1, "a total or footer row"))
            continue
        rows.append(SourceRow(i + 1, texts, cells))
    return SourceTable(path, raw.name, raw.sheets, header_at + 1, headers, rows, skipped, file_sha256(path))


def find_header(raw: RawSheet, kind: ImportKind) -> int:
    """The 0-based index of the header row: the row among the first rows whose cells name
    the most fields of this kind (a title block above it names none)."""
    best, best_score = -1, 0
    for i, row in enumerate(raw.rows[:HEADER_SEARCH_ROWS]):
        texts = _filled_row(raw, i)
        s = header_score(kind, texts)
        if s > best_score:
            best, best_score = i, s
    if best < 0 or best_score < 2:
        raise ImportRefused(
            f"no header row could be recognised in the first {HEADER_SEARCH_ROWS} rows of "
            f"{raw.name}: the file needs a row of column names (for example Surname, Forename, "
            "Date of birth)")
    return best


def _filled_row(raw: RawSheet, i: int) -> list[str]:
    """Row ``i`` as text, with cells inside a merged range taking the range's value
    (a header merged over two rows, or across columns, names each of its columns)."""
    row = list(raw.rows[i])
    for r1, c1, r2, c2 in raw.merged:
        if r1 <= i <= r2 and r1 < len(raw.rows) and c1 < len(raw.rows[r1]):
            top = raw.rows[r1][c1]
            for c in range(c1, c2 + 1):
                while len(row) <= c:
                    row.append(None)
                if row[c] in (None, ""):
                    row[c] = top
    return [cell_text(c) for c in row]


def _headers(raw: RawSheet, at: int) -> list[str]:
    headers = _filled_row(raw, at)
    seen: dict[str, int] = {}
    out = []
    for i, h in enumerate(headers):
        h = h or f"Column {i + 1}"
        n = seen.get(h, 0)
        seen[h] = n + 1
        out.append(h if n == 0 else f"{h} ({n + 1})")
    return out


__all__ = ["SourceTable", "SourceRow", "load", "find_header", "ImportRefused", "file_sha256"]
