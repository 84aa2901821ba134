"""The board report: one PDF of an evaluation for the partnership board.

Takes an :class:`~deterrence_desktop.domain.evaluation.Evaluation` (aggregates only, no
names, no references) and a path. Every page carries the protective marking; the
charts are the page's own (``exports/charts.py``) drawn at print resolution; every
table cell about 1 to 4 people reads "<5"; the method note says what a before/after
comparison can and cannot show. Written to a temporary file beside the target (mode
0600) and moved into place.
"""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak, Image, KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle,
)

from ..domain.evaluation import (
    SUPPRESSED, TABLE_HEADER, Evaluation, MeasureRow, count_cell, is_small, people_cell,
    suppressed_row,
)
from . import charts
from .chart_style import NAVY
from .files import atomic_path
from .letters import PRODUCER
from .minutes import MARKING, _marking_painter, _p, _styles, fit_widths

WIDTH = A4[0] - 36 * mm
CHART_DPI = 220          # print resolution for A4 at the width drawn (about 300 ppi at 17 cm)
MEASURE_WIDTHS = (44, 15, 15, 16, 17, 15, 16, 17, 17)       # mm


def _day(d: date | None) -> str:
    return f"{d:%d %B %Y}".lstrip("0") if d else "-"


def period_text(e: Evaluation) -> str:
    q = e.query
    if q.date_from or q.date_to:
        included = f"people included from {_day(q.date_from) if q.date_from else 'the start'} " \
                   f"to {_day(q.date_to) if q.date_to else _day(e.period_to)}"
    else:
        included = "everyone included so far"
    return (f"{included}; outcomes counted in the {q.window_months} months before and after "
            f"each person's inclusion, up to {_day(e.period_to)}")


def method_note(e: Evaluation) -> list[str]:
    q = e.query
    paragraphs = [
        "Each person is counted from their own inclusion date: the day they joined the cohort "
        "(for a group, the day their membership began; for everyone, their first cohort). "
        f"The before window is the {q.window_months} months up to the day before inclusion; "
        f"the after window starts on the inclusion day and runs {q.window_months} months. It "
        "stops earlier on the day a person died, the day before they left the cohort, and at "
        f"the end of the period ({_day(e.period_to)}), so people included recently contribute "
        "less time after than before.",
        "Rates are events per person-year observed (the days each person was observed, added "
        "up, divided by 365.25). Outcomes are as partners recorded or returned them; an "
        "outcome not reported to the partnership is not counted.",
        "Any cell that counts fewer than 5 people is shown as \u201c<5\u201d, and so is every "
        "count, rate or change worked out from those people, because this report leaves the "
        "partnership. Delivery counts actions, not people.",
        "A before/after comparison is not an impact estimate without a comparison group. "
        "Outcomes change for many reasons: people are often included just after a peak in "
        "their offending, which then falls whatever is done (regression to the mean), and "
        "policing, recording and the season change over time. A fall after inclusion cannot "
        "on its own be attributed to the partnership's work.",
    ]
    if e.comparison is not None:
        paragraphs.append(
            f"The comparison cohort ({e.comparison_scope.removeprefix('Cohort: ')}) is shown "
            "beside the treated cohort, counted the same way. It supports a judgement about "
            "impact only as far as the two cohorts are alike and were treated differently.")
    else:
        paragraphs.append("No comparison cohort was chosen for this report.")
    return paragraphs


def _table(head: list[str], rows: list[tuple[str, ...]], st, preferred: tuple[float, ...],
           first_bold: bool = False) -> Table:
    cell, top = st["cell"], st["head"]
    columns = [[r[i] for r in rows] for i in range(len(head))]
    widths = fit_widths(head, columns, (top.fontName, 7.5), (cell.fontName, 7.5), preferred,
                        WIDTH)
    small_head = top.clone("evalhead", fontSize=7.5, leading=9)
    small_cell = cell.clone("evalcell", fontSize=7.5, leading=9)
    data = [[_p(h, small_head) for h in head]] + [[_p(c, small_cell) for c in r] for r in rows]
    t = Table(data, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), cell.fontName, 7.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(NAVY)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9AA5B1")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F0F3F7")]),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    t.setStyle(TableStyle(style))
    return t


def _chart(fig, width: float = WIDTH) -> Image:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=CHART_DPI)
    buf.seek(0)
    w_in, h_in = fig.get_size_inches()
    return Image(buf, width=width, height=width * h_in / w_in)


def _measure_table(rows: tuple[MeasureRow, ...], st) -> Table:
    return _table(list(TABLE_HEADER), [suppressed_row(r) for r in rows], st, MEASURE_WIDTHS)


def _pct(n: int, d: int) -> str:
    return f"{n / d:.0%}" if d else "-"


def engagement_rows(e: Evaluation) -> list[tuple[str, str, str]]:
    """(what, people, share) with the people counts suppressed below 5."""
    g = e.engagement

    def share(n: int, d: int) -> str:
        return SUPPRESSED if is_small(n) or is_small(d) else _pct(n, d)
    days = (SUPPRESSED if is_small(g.days_to_support_people) else
            ("-" if g.median_days_to_support is None else f"{g.median_days_to_support:g} days"))
    return [
        ("People evaluated", people_cell(g.people), ""),
        ("Invited to a call-in", people_cell(g.invited), share(g.invited, g.people)),
        ("Attended a call-in (of those invited)", people_cell(g.attended),
         share(g.attended, g.invited)),
        ("Reached by the message (any channel)", people_cell(g.reached), share(g.reached, g.people)),
        ("Offered support", people_cell(g.offers_made), share(g.offers_made, g.people)),
        ("Took support up (of those offered)", people_cell(g.offers_taken_up),
         share(g.offers_taken_up, g.offers_made)),
        ("Median days from call-in to first support contact", people_cell(
            g.days_to_support_people), days),
    ]


def attended_rows(e: Evaluation) -> list[tuple[str, ...]]:
    """Rate per person-year after inclusion, attended against no-show, suppressed."""
    out = []
    for a, n in zip(e.attended, e.no_show):
        if not (a.before_count or a.after_count or n.before_count or n.after_count):
            continue
        sa, sn = suppressed_row(a), suppressed_row(n)
        out.append((a.label, sa[1], sa[4], sa[7], sn[1], sn[4], sn[7]))
    return out


ATTENDED_HEADER = ("Measure", "Attended: people", "Attended: rate before",
                   "Attended: rate after", "No-show: people", "No-show: rate before",
                   "No-show: rate after")


def delivery_rows(e: Evaluation) -> list[tuple[str, ...]]:
    return [(d.name + (" (overloaded)" if d.flagged else ""), str(d.done), str(d.done_on_time),
             _pct(d.done_on_time, d.done), str(d.open), str(d.overdue)) for d in e.delivery]


DELIVERY_HEADER = ("Partner", "Done", "Done on time", "On time", "Open", "Overdue")


def charging_rows(e: Evaluation) -> list[tuple[str, ...]]:
    """Charges per month: a month with 1 to 4 charges is suppressed (a charge is a person)."""
    out = []
    for m in e.charging:
        hidden = is_small(m.count)
        out.append((f"{m.month:%b %Y}", count_cell(m.count, m.count, m.count),
                    SUPPRESSED if hidden else f"{m.median_days:g}",
                    SUPPRESSED if hidden else str(m.slowest_days)))
    return out


CHARGING_HEADER = ("Month of charge", "Charges", "Median days from arrest", "Slowest (days)")


def write_report(evaluation: Evaluation, path: Path | str, partnership: str = "",
                 marking: str = MARKING, audit_anchor: str = "", produced_by: str = "") -> Path:
    """Write the board report PDF for ``evaluation`` to ``path``; returns the path."""
    e = evaluation
    st, regular, bold = _styles()
    title = f"Outcomes and evaluation ({e.scope})"
    story = [
        _p(partnership, st["small"]),
        _p("Outcomes and evaluation", st["title"]),
        _p(e.scope + (f", beside {e.comparison_scope[0].lower()}{e.comparison_scope[1:]}"
                      if e.comparison is not None else ""), st["h2"]),
        _p(f"Period covered: {period_text(e)}.", st["base"]),
        _p(f"People observed: {people_cell(e.people)}"
           + (f"; comparison cohort: {people_cell(e.comparison_people)}"
              if e.comparison is not None else "")
           + (f". People without an inclusion date, left out: {people_cell(e.without_date)}"
              if e.without_date else "") + f". Prepared on {_day(e.computed_on)}.", st["base"]),
        Spacer(1, 3 * mm),
        _p("1. Before and after inclusion", st["h2"]),
        _p("Events per person-year in the window before each person's inclusion and the same "
           "window after it. Cells about fewer than 5 people read \u201c<5\u201d.", st["small"]),
        Spacer(1, 2 * mm),
        _chart(charts.before_after(e, suppress=True, dpi=CHART_DPI)),
        Spacer(1, 2 * mm),
        _measure_table(e.measures, st),
    ]
    if e.comparison is not None:
        story += [CondPageBreak(60 * mm),
                  _p(f"Comparison cohort: {e.comparison_scope.removeprefix('Cohort: ')}",
                     st["h2"]),
                  _measure_table(e.comparison, st)]
    story += [CondPageBreak(90 * mm),
              _p("2. Outcomes month by month", st["h2"]),
              _p("Events per month for the people evaluated; the lower panel counts the people "
                 "included each month and the dashed line marks the median inclusion date.",
                 st["small"]),
              _chart(charts.monthly(e, suppress=True, dpi=CHART_DPI))]
    story += [CondPageBreak(70 * mm),
              _p("3. Engagement", st["h2"]),
              _table(["Measure", "People", "Share"], engagement_rows(e), st, (110, 30, 34))]
    att = attended_rows(e)
    story += [CondPageBreak(60 * mm),
              _p("4. Attended a call-in against no-show", st["h2"])]
    story += [_table(list(ATTENDED_HEADER), att, st, (50, 20, 21, 21, 20, 21, 21))] if att else \
        [_p("No outcomes for people invited to a call-in in these windows.", st["base"])]
    story += [CondPageBreak(90 * mm),
              _p("5. Delivery per partner", st["h2"]),
              _p("Actions about the people evaluated. A partner is flagged as overloaded, as the "
                 "board flags it, when it carries many more overdue actions than the others. "
                 "\u201cOn time\u201d goes by the action's last change.", st["small"]),
              _chart(charts.delivery(e, dpi=CHART_DPI))]
    if e.delivery:
        story.append(_table(list(DELIVERY_HEADER), delivery_rows(e), st, (64, 20, 24, 20, 20, 26)))
    story += [Spacer(1, 3 * mm), _p("Days from arrest to charge", st["label"])]
    if e.charging:
        median = e.charge_median_days
        story += [_p(f"Over the period: {count_cell(e.charges, e.charges, e.charges)} charges, "
                     f"median {SUPPRESSED if is_small(e.charges) or median is None else f'{median:g}'}"
                     " days from arrest.", st["base"]),
                  _table(list(CHARGING_HEADER), charging_rows(e), st, (44, 40, 50, 40))]
    else:
        story.append(_p("No charges with an arrest date in the period.", st["base"]))
    story += [CondPageBreak(60 * mm), _p("Method note", st["h2"])]
    story += [KeepTogether([_p(text, st["base"]), Spacer(1, 2 * mm)]) for text in method_note(e)]

    footer = f"{title[:70]}, {_day(e.computed_on)}" + (
        f" - produced by {produced_by}" if produced_by else "")
    painter = _marking_painter(marking or MARKING, bold, footer, audit_anchor)
    with atomic_path(path, prefix=".board-report-") as tmp:
        doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                                topMargin=20 * mm, bottomMargin=22 * mm, title=title,
                                author=partnership, subject=marking or MARKING,
                                initialFontName=regular, creator=PRODUCER, producer=PRODUCER)
        doc.build(story, onFirstPage=painter, onLaterPages=painter)
    return Path(path)
