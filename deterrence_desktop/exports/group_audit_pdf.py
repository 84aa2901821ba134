"""The one-page group audit for the partnership: the table of groups and the key players,
OFFICIAL-SENSITIVE at top and bottom, by reference or by name as the coordinator chose.
Plain data in, a PDF out (reportlab, the fonts the letters embed), written atomically."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .letters import PRODUCER
from .minutes import _styles
from .files import atomic_path

MARKING = "OFFICIAL-SENSITIVE"
PAGE = landscape(A4)


@dataclass(frozen=True)
class SheetRow:
    group: str
    members: int
    active: int
    incidents_3m: int
    incidents_6m: int
    incidents_12m: int
    rivals: str
    allies: str
    reached: int
    reached_percent: int
    reached_flag: bool
    unreached_since_incident: bool


@dataclass(frozen=True)
class AuditSheet:
    partnership: str
    held_on: date
    participants: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    key_players: tuple[tuple[str, str], ...]      # (label, reasons)
    threshold_percent: int = 33
    names: bool = False
    marking: str = MARKING
    produced_by: str = ""
    closed: bool = False


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text or ""), style)


def write(path: Path, sheet: AuditSheet) -> Path:
    st, regular, bold = _styles()
    cell = st["cell"].clone("c", fontSize=8, leading=10)
    head = st["head"].clone("h", fontSize=8, leading=10)
    story = [
        _p(sheet.partnership, st["small"]),
        _p(f"Group audit, {sheet.held_on:%d %B %Y}", st["title"]),
        _p("Taking part: " + (", ".join(sheet.participants) or "none recorded")
           + ("" if sheet.closed else " (session still open)"), st["small"]),
        Spacer(1, 3 * mm),
    ]
    header = ["Group", "Members", "Active", "Incidents 3 / 6 / 12 months", "Rivals", "Allies",
              f"Reach (threshold {sheet.threshold_percent}%)"]
    rows = [[_p(h, head) for h in header]]
    for r in sheet.rows:
        reach = f"{r.reached} of {r.members} ({r.reached_percent}%): " + (
            "reached" if r.reached_flag else "not reached")
        if r.unreached_since_incident:
            reach += "; nobody reached since the last incident"
        rows.append([_p(t, cell) for t in (
            r.group, str(r.members), str(r.active),
            f"{r.incidents_3m} / {r.incidents_6m} / {r.incidents_12m}", r.rivals or "-",
            r.allies or "-", reach)])
    table = Table(rows, colWidths=[x * mm for x in (42, 20, 16, 34, 49, 49, 57)], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), regular, 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3A5F")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA5B1")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F0F3F7")]),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    story.append(table)
    if sheet.key_players:
        story += [Spacer(1, 3 * mm),
                  _p("Key players" + ("" if sheet.names else " (by reference)"), st["h2"])]
        kp = Table([[_p(label, cell), _p(why, cell)] for label, why in sheet.key_players],
                   colWidths=[45 * mm, 222 * mm])
        kp.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), regular, 8),
                                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                ("TOPPADDING", (0, 0), (-1, -1), 1),
                                ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
        story.append(kp)

    def paint(canvas, doc):
        w, h = PAGE
        canvas.saveState()
        canvas.setFont(bold, 10)
        canvas.drawCentredString(w / 2, h - 10 * mm, sheet.marking)
        canvas.drawCentredString(w / 2, 7 * mm, sheet.marking)
        canvas.setFont(regular, 7)
        canvas.drawString(15 * mm, 12 * mm, f"Group audit {sheet.held_on:%d %b %Y}"
                          + (f" - produced by {sheet.produced_by}" if sheet.produced_by else ""))
        canvas.restoreState()

    with atomic_path(path, ".group-audit-") as tmp:
        doc = SimpleDocTemplate(str(tmp), pagesize=PAGE, leftMargin=15 * mm, rightMargin=15 * mm,
                                topMargin=15 * mm, bottomMargin=16 * mm,
                                title=f"Group audit {sheet.held_on:%d %b %Y}",
                                subject=sheet.marking, initialFontName=regular,
                                creator=PRODUCER, producer=PRODUCER)
        doc.build(story, onFirstPage=paint, onLaterPages=paint)
    return Path(path)
