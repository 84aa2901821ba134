"""The evaluation's three charts, as matplotlib Figures: the page shows them (through
backend_qtagg), the board report prints them, "Save as" writes them. No pyplot (no global
figure state, safe on the worker) and no Qt here.

``suppress=True`` (the report, and any file that leaves the partnership) leaves out what
is about 1 to 4 people and says "<5" in its place, as the tables do.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from ..domain.evaluation import MONTHLY_KEYS, SUPPRESSED, Evaluation, MeasureRow, is_small
from . import chart_style as st
from .files import ExportError, atomic_path

__all__ = ["before_after", "monthly", "delivery", "save", "chart_measures", "FORMATS"]

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
MAX_BARS = 10


def _figure(width: float, height: float, dpi: int = st.SCREEN_DPI, left: float = 0.6,
            bottom: float = 0.5, top: float = 0.35, right: float = 0.25,
            wspace: float = 0.08, hspace: float = 0.1) -> Figure:
    """A figure with fixed margins in inches (a layout engine costs more than the drawing)."""
    with matplotlib.rc_context(st.RC):
        fig = Figure(figsize=(width, height), dpi=dpi)
    fig.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                        top=1 - top / height, wspace=wspace, hspace=hspace)
    return fig


def chart_measures(rows: tuple[MeasureRow, ...], limit: int = MAX_BARS) -> list[MeasureRow]:
    """The measures worth a bar: those with any event before or after, in the table's order."""
    return [r for r in rows if r.before_count or r.after_count][:limit]


def _hidden(row: MeasureRow, when: str) -> bool:
    people = row.before_people if when == "before" else row.after_people
    with_ = row.before_people_with if when == "before" else row.after_people_with
    return is_small(people) or is_small(with_)


def before_after(evaluation: Evaluation, suppress: bool = False, width: float = 7.5,
                 dpi: int = st.SCREEN_DPI) -> Figure:
    """Rate per person-year before and after inclusion, a pair of bars per measure; the
    comparison cohort's pair beside it when there is one."""
    panels = [(evaluation.scope, evaluation.measures)]
    if evaluation.comparison is not None:
        panels.append((f"Comparison: {evaluation.comparison_scope.removeprefix('Cohort: ')}",
                       evaluation.comparison))
    keys = [r.key for r in chart_measures(evaluation.measures)]
    if evaluation.comparison is not None:
        keys += [r.key for r in chart_measures(evaluation.comparison) if r.key not in keys]
    keys = keys[:MAX_BARS]
    height = 1.0 + 0.42 * max(3, len(keys))
    fig = _figure(width, height, dpi, left=1.9, bottom=0.55, top=0.55)
    with matplotlib.rc_context(st.RC):
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        for ax, (title, rows) in zip(axes, panels):
            by_key = {r.key: r for r in rows}
            shown = [by_key[k] for k in keys if k in by_key]
            ax.set_title(title[:60], fontsize=9, loc="left")
            if not shown:
                ax.text(0.5, 0.5, "No outcomes recorded in the windows", ha="center",
                        va="center", transform=ax.transAxes, color=st.TEXT)
                ax.set_yticks([])
                continue
            top = max([(r.before_rate or 0) for r in shown] + [(r.after_rate or 0) for r in shown]
                      + [0.01])
            for offset, when, colour, label in ((-0.2, "before", st.GREY, "Before inclusion"),
                                                (0.2, "after", st.NAVY, "After inclusion")):
                ys, values = [], []
                for i, r in enumerate(shown):
                    value = r.before_rate if when == "before" else r.after_rate
                    y = i + offset
                    if suppress and _hidden(r, when):
                        ax.text(top * 0.01, y, SUPPRESSED, va="center", fontsize=7,
                                color=st.TEXT)
                        continue
                    ys.append(y)
                    values.append(value or 0)
                    if value is not None:
                        ax.text(value + top * 0.01, y, f"{value:.2f}", va="center",
                                fontsize=7, color=st.TEXT)
                ax.barh(ys, values, height=0.38, color=colour, label=label)
            ax.set_yticks(range(len(shown)), [_wrap(r.label) for r in shown])
            ax.set_ylim(len(shown) - 0.5, -0.5)
            ax.set_xlim(0, top * 1.2)
            ax.set_xlabel(f"Events per person-year ({evaluation.query.window_months} months "
                          "before / after)" if len(panels) == 1 else "Events per person-year")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="upper right", ncols=2,
                   bbox_to_anchor=(1.0, 1.0))
    return fig


def _wrap(text: str, width: int = 26) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    lines.append(line)
    return "\n".join(lines[:2])


def monthly(evaluation: Evaluation, suppress: bool = False, keys: tuple[str, ...] = MONTHLY_KEYS,
            width: float = 7.5, dpi: int = st.SCREEN_DPI) -> Figure:
    """Events per month for a few measures, with the months people were included marked
    beneath (a light bar per month, and a line at the median inclusion date)."""
    fig = _figure(width, 3.4, dpi, left=0.6, bottom=0.35, top=0.3)
    points = evaluation.monthly
    with matplotlib.rc_context(st.RC):
        ax, inc = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        ax.set_title(f"Outcomes per month: {evaluation.scope}"[:80])
        ax.grid(axis="y")
        ax.grid(axis="x", visible=False)
        months = [p.month for p in points]
        hidden_any = False
        highest = 1
        for colour, key in zip(st.SERIES, keys):
            label = next((m.label for m in evaluation.measures if m.key == key), key)
            ys = []
            for p in points:
                n = p.counts.get(key, 0)
                if suppress and is_small(p.people_with.get(key, 0)):
                    ys.append(float("nan"))
                    hidden_any = True
                else:
                    ys.append(n)
                    highest = max(highest, n)
            ax.plot(months, ys, color=colour, linewidth=1.4, marker="o", markersize=2.5,
                    label=label)
        ax.set_ylabel("Events")
        ax.set_ylim(0, highest * 1.25)
        ax.legend(loc="upper left", ncols=2)
        if hidden_any:
            shown_any = highest > 1 or any(
                p.counts.get(k, 0) and not is_small(p.people_with.get(k, 0))
                for p in points for k in keys)
            if shown_any:
                ax.text(1.0, 0.98, "gaps: months about fewer than 5 people (<5)", ha="right",
                        va="top", transform=ax.transAxes, fontsize=7, color=st.TEXT)
            else:
                ax.text(0.5, 0.45, "Every month counts fewer than 5 people:\n"
                        "not shown outside the partnership (<5)", ha="center", va="center",
                        transform=ax.transAxes, fontsize=9, color=st.TEXT)
        counts = [p.included for p in points]
        shown = [0 if suppress and is_small(c) else c for c in counts]
        inc.bar(months, shown, width=20, color=st.LIGHT, edgecolor=st.GREY, linewidth=0.4)
        inc.set_ylabel("Included", fontsize=8)
        inc.set_ylim(0, max([1] + shown) * 1.2)
        inc.grid(axis="x", visible=False)
        inc.grid(axis="y")
        dates = evaluation.inclusion_dates
        if dates:
            mid = dates[len(dates) // 2]
            for a in (ax, inc):
                a.axvline(mid, color=st.NAVY, linestyle="--", linewidth=0.9)
            ax.annotate("median inclusion", (mid, 1), xycoords=("data", "axes fraction"),
                        xytext=(3, -10), textcoords="offset points", fontsize=7, color=st.NAVY)
    return fig


def delivery(evaluation: Evaluation, width: float = 7.5, dpi: int = st.SCREEN_DPI) -> Figure:
    """Per partner, the actions about the people evaluated: done on time, done late, open
    and overdue; an overloaded partner flagged as the board flags it."""
    rows = list(evaluation.delivery)
    fig = _figure(width, 1.3 + 0.36 * max(3, len(rows)), dpi, left=2.4, bottom=0.75, top=0.3)
    with matplotlib.rc_context(st.RC):
        ax = fig.subplots()
        ax.set_title("Delivery per partner (actions about the people evaluated)")
        if not rows:
            ax.text(0.5, 0.5, "No actions about these people", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_yticks([])
            return fig
        names = [_wrap(r.name, 32) + ("  ⚑" if r.flagged else "") for r in rows]
        segments = (("Done on time", [r.done_on_time for r in rows], st.GREEN),
                    ("Done late", [r.done - r.done_on_time for r in rows], st.GREY),
                    ("Open", [r.open - r.overdue for r in rows], st.LIGHT),
                    ("Overdue", [r.overdue for r in rows], st.AMBER))
        left = [0] * len(rows)
        ys = list(range(len(rows)))
        for label, values, colour in segments:
            ax.barh(ys, values, left=left, color=colour, height=0.6, label=label)
            left = [a + b for a, b in zip(left, values)]
        ax.set_xlim(0, max(left + [1]) * 1.06)
        ax.set_yticks(ys, names)
        for tick, r in zip(ax.get_yticklabels(), rows):
            if r.flagged:
                tick.set_color(st.RED)
        ax.invert_yaxis()
        ax.set_xlabel("Actions" + ("   (⚑ overloaded: many more overdue than the other partners)"
                                   if any(r.flagged for r in rows) else ""))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16 * 3.5 / fig.get_figheight()),
                  ncols=4)
    return fig


def save(fig: Figure, path: Path | str, dpi: int = st.PRINT_DPI) -> Path:
    """Write ``fig`` as PNG, SVG or PDF (by the file's suffix), atomically, mode 0600."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ExportError("Save a chart as .png, .svg or .pdf")
    with atomic_path(path, prefix=".chart-") as tmp:
        with matplotlib.rc_context(st.RC):
            fig.savefig(tmp, format=fmt, dpi=dpi,
                        metadata={"Creator": "Deterrence Desktop"} if fmt != "png" else None)
    return path
