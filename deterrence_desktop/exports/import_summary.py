"""The summary of an applied import as a PDF marked OFFICIAL-SENSITIVE: the file, its
SHA-256, the mapping, the counts, and the rows left out or in error by their line
(never a name: the summary may be filed with the partnership's records)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from .minutes import _marking_painter, _p, _styles, _write

MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class ImportSummary:
    partnership: str
    what: str                       # "people", "actions", ...
    file_name: str
    sha256: str
    sheet: str
    mapping: str
    applied_at: str
    applied_by: str
    counts: list[tuple[str, int]]
    problems: list[tuple[int, str, str]]        # line, state, why


def write_import_summary(path: Path | str, data: ImportSummary) -> Path:
    st, regular, bold = _styles()

    def build(tmp: str) -> None:
        doc = SimpleDocTemplate(tmp, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                topMargin=20 * mm, bottomMargin=22 * mm,
                                title=f"Import summary: {data.what}", author=data.partnership,
                                creator="Deterrence Desktop")
        story = [_p(f"Import summary: {data.what}", st["title"]),
                 _p(data.partnership, st["base"]), Spacer(1, 4 * mm)]
        facts = [("File", data.file_name), ("SHA-256", data.sha256), ("Sheet", data.sheet),
                 ("Mapping", data.mapping), ("Applied", f"{data.applied_at} by {data.applied_by}")]
        t = Table([[_p(k, st["label"]), _p(v, st["cell"])] for k, v in facts],
                  colWidths=[30 * mm, 144 * mm])
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [t, _p("What was done", st["h2"])]
        t = Table([[_p(k.capitalize(), st["cell"]), _p(f"{n:,}", st["cell"])] for k, n in data.counts],
                  colWidths=[80 * mm, 30 * mm])
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA5B1"))]))
        story.append(t)
        if data.problems:
            story.append(_p("Rows not imported, by their line in the file", st["h2"]))
            rows = [[_p(h, st["head"]) for h in ("Row", "Result", "Why")]]
            rows += [[_p(str(line), st["cell"]), _p(state, st["cell"]), _p(why, st["cell"])]
                     for line, state, why in data.problems[:2000]]
            t = Table(rows, colWidths=[16 * mm, 24 * mm, 134 * mm], repeatRows=1)
            t.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3A5F")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA5B1"))]))
            story.append(t)
        painter = _marking_painter(MARKING, bold, f"Import of {data.what}, {data.applied_at}")
        doc.build(story, onFirstPage=painter, onLaterPages=painter)
    return _write(Path(path), build)
