"""Minutes of a partnership meeting, and each partner's list of new actions, as PDF.

Takes plain data (no database, no Qt) and a path. The file is written to a
temporary file beside the target and moved into place, so a failure leaves no
half-written PDF. Every page carries the protective marking at top and bottom.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
)
from xml.sax.saxutils import escape

from . import audit_anchor
from .letters import BOLD, PRODUCER, REGULAR, register_fonts

MARKING = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class MinutesAction:
    description: str
    kind: str
    owner: str            # owning partner
    assignee: str
    due: date | None
    status: str


@dataclass(frozen=True)
class MinutesItem:
    heading: str          # "FD-0012" or "FD-0012 Alex Ashcombe" or a group name
    decision: str
    actions: tuple[MinutesAction, ...] = ()
    discussed: bool = True


@dataclass(frozen=True)
class MinutesData:
    partnership: str
    title: str
    held_on: date
    attendees: tuple[str, ...]
    items: tuple[MinutesItem, ...]
    notes: str = ""
    marking: str = MARKING
    produced_by: str = ""
    audit_anchor: str = ""        # the audit chain's head when exported (exports/audit_anchor.py)


@dataclass(frozen=True)
class PartnerActionList:
    partnership: str
    meeting_title: str
    held_on: date
    partner: str
    rows: tuple[tuple[str, MinutesAction], ...]   # (subject heading, action)
    marking: str = MARKING
    audit_anchor: str = ""


def _fonts() -> tuple[str, str]:
    """DejaVu Sans, embedded, as the letters use it (accents print; no base-14 Helvetica)."""
    register_fonts()
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return REGULAR, BOLD


def _styles():
    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=10, leading=13)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20,
                                spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12, leading=15,
                             spaceBefore=10, spaceAfter=3),
        "label": ParagraphStyle("label", parent=base, fontName=bold),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11.5),
        "head": ParagraphStyle("head", parent=base, fontName=bold, fontSize=9, leading=11.5,
                               textColor=colors.white),
        "mark": ParagraphStyle("mark", parent=base, fontName=bold, alignment=TA_CENTER),
    }, regular, bold


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _label(value: str) -> str:
    return (value or "").replace("_", " ").capitalize()


def _marking_painter(marking: str, bold: str, footer_left: str, anchor: str = ""):
    def paint(canvas, doc):
        audit_anchor.stamp(canvas, anchor, 18 * mm, 5 * mm, _fonts()[0])
        canvas.saveState()
        w, h = A4
        canvas.setFont(bold, 10)
        canvas.setFillColor(colors.black)
        canvas.drawCentredString(w / 2, h - 12 * mm, marking)
        canvas.drawCentredString(w / 2, 9 * mm, marking)
        canvas.setFont(bold.replace("-Bold", "") if bold.endswith("-Bold") else bold, 8)
        canvas.drawString(18 * mm, 14 * mm, footer_left)
        canvas.drawRightString(w - 18 * mm, 14 * mm, f"Page {doc.page}")
        canvas.restoreState()
    return paint


CELL_PAD = 4          # points each side of a cell's text
ACTION_WIDTHS = (58, 29, 36, 25, 26)            # mm: Action, Kind, Owner, Assignee, Due
ACTION_WIDTHS_WITH_SUBJECT = (28, 40, 29, 30, 24, 23)


def _longest_word(texts, font: str, size: float) -> float:
    return max((pdfmetrics.stringWidth(w, font, size) for t in texts for w in (t or "").split()),
               default=0.0)


def fit_widths(head: list[str], columns: list[list[str]], head_font: tuple[str, float],
               font: tuple[str, float], preferred: tuple[float, ...], total: float) -> list[float]:
    """Column widths (points) near ``preferred`` (mm) that fill ``total`` and give every column
    room for its longest word, so cells wrap between words and never inside one."""
    pref = [w * mm for w in preferred]
    need = [max(_longest_word([h], *head_font), _longest_word(col, *font)) + 2 * CELL_PAD + 1
            for h, col in zip(head, columns)]
    widths = [max(p, n) for p, n in zip(pref, need)]
    over = sum(widths) - total
    while over > 0.5:
        slack = [w - n for w, n in zip(widths, need)]
        room = sum(x for x in slack if x > 0)
        if room <= 0:
            break                                     # the words cannot fit: reportlab splits them
        take = min(over, room)
        widths = [w - take * x / room if x > 0 else w for w, x in zip(widths, slack)]
        over = sum(widths) - total
    return widths


def _actions_table(actions, st, with_subject: bool = False) -> Table:
    head = (["Subject"] if with_subject else []) + ["Action", "Kind", "Owner", "Assignee", "Due"]
    texts: list[list[str]] = []
    for item in actions:
        subject, a = item if with_subject else (None, item)
        texts.append(([subject or ""] if with_subject else []) + [
            a.description, _label(a.kind), a.owner, a.assignee or "-",
            f"{a.due:%d %b %Y}" if a.due else "-"])
    columns = [[row[i] for row in texts] for i in range(len(head))]
    cell, top = st["cell"], st["head"]
    widths = fit_widths(head, columns, (top.fontName, top.fontSize), (cell.fontName, cell.fontSize),
                        ACTION_WIDTHS_WITH_SUBJECT if with_subject else ACTION_WIDTHS,
                        A4[0] - 36 * mm)
    rows = [[_p(h, top) for h in head]] + [[_p(t, cell) for t in row] for row in texts]
    t = Table(rows, colWidths=widths, repeatRows=1)
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), cell.fontName, cell.fontSize),   # no stray Helvetica
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3A5F")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA5B1")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F0F3F7")]),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return t


def _write(path: Path, build: Callable[[str], None]) -> Path:
    """Build into a temporary file in the target folder, then move it into place."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".minutes-", suffix=".pdf.part", dir=path.parent)
    os.close(fd)
    try:
        build(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def write_minutes(path: Path | str, data: MinutesData,
                  check: Callable[[], None] | None = None) -> Path:
    """Write the minutes PDF to ``path``. ``check`` is called between items (cancel)."""
    st, regular, bold = _styles()
    story = [
        _p(data.partnership, st["small"]),
        _p(f"Minutes: {data.title}", st["title"]),
        _p(f"Held on {data.held_on:%A %d %B %Y}", st["base"]),
        Spacer(1, 4 * mm),
        _p("Partners attending", st["h2"]),
        _p(", ".join(data.attendees) if data.attendees else "None recorded", st["base"]),
    ]
    if data.notes:
        story += [_p("Notes", st["h2"]), _p(data.notes, st["base"])]
    story.append(_p("Agenda", st["h2"]))
    for n, item in enumerate(data.items, 1):
        if check:
            check()
        block = [_p(f"{n}. {item.heading}" + ("" if item.discussed else " (not discussed)"),
                    st["h2"])]
        block.append(_p("Decision: " + (item.decision or "No decision recorded."), st["base"]))
        if item.actions:
            block += [Spacer(1, 2 * mm), _actions_table(item.actions, st)]
        else:
            block.append(_p("No new actions agreed.", st["small"]))
        story.append(KeepTogether(block))
    footer = f"{data.title}, {data.held_on:%d %b %Y}" + (
        f" - produced by {data.produced_by}" if data.produced_by else "")
    painter = _marking_painter(data.marking, bold, footer, data.audit_anchor)

    def build(tmp: str) -> None:
        doc = SimpleDocTemplate(tmp, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                topMargin=20 * mm, bottomMargin=22 * mm,
                                title=f"Minutes: {data.title}", author=data.partnership,
                                subject=data.marking, initialFontName=regular,
                                creator=PRODUCER, producer=PRODUCER)
        doc.build(story, onFirstPage=painter, onLaterPages=painter)
    return _write(Path(path), build)


def write_partner_actions(path: Path | str, data: PartnerActionList) -> Path:
    """One partner's list of the actions it took on at a meeting."""
    st, regular, bold = _styles()
    story = [
        _p(data.partnership, st["small"]),
        _p(f"New actions for {data.partner}", st["title"]),
        _p(f"Agreed at {data.meeting_title} on {data.held_on:%d %B %Y}", st["base"]),
        Spacer(1, 5 * mm),
    ]
    if data.rows:
        story.append(_actions_table(data.rows, st, with_subject=True))
    else:
        story.append(_p("No new actions for this partner.", st["base"]))
    painter = _marking_painter(data.marking, bold, f"{data.partner}: {data.meeting_title}",
                               data.audit_anchor)

    def build(tmp: str) -> None:
        doc = SimpleDocTemplate(tmp, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                topMargin=20 * mm, bottomMargin=22 * mm,
                                title=f"New actions: {data.partner}", subject=data.marking,
                                initialFontName=regular, creator=PRODUCER, producer=PRODUCER)
        doc.build(story, onFirstPage=painter, onLaterPages=painter)
    return _write(Path(path), build)
