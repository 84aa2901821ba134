"""The network picture as PNG or PDF (matplotlib, Agg: no Qt), and as GraphML for Gephi or
yEd. Drawn from the same node positions as the screen. Every file is marked, written
to a temporary file (mode 0600) beside the target and moved into place.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg", force=False)
from matplotlib.backends.backend_agg import FigureCanvasAgg   # noqa: E402
from matplotlib.backends.backend_pdf import FigureCanvasPdf   # noqa: E402
from matplotlib.collections import LineCollection             # noqa: E402
from matplotlib.figure import Figure                          # noqa: E402
from matplotlib.lines import Line2D                           # noqa: E402

from .files import atomic_path                                # noqa: E402
from .network_style import (                                  # noqa: E402
    CONFIDENCE_ALPHA, DEFAULT_EDGE, EDGE_ORDER, EDGE_STYLES, NOT_REACHED, REACHED, group_colour,
)

MARKING = "OFFICIAL-SENSITIVE"
LABELLED_PEOPLE = 40          # beyond this many people, only the most connected are labelled


def _figure(picture, marking: str, size: tuple[float, float], dpi: int) -> Figure:
    fig = Figure(figsize=size, dpi=dpi)
    ax = fig.add_axes((0.02, 0.07, 0.74, 0.86))
    ax.set_axis_off()
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    at = {n.key: (n.x, n.y) for n in picture.nodes}
    kinds = sorted({e.kind for e in picture.edges},
                   key=lambda k: (k not in EDGE_ORDER, EDGE_ORDER.index(k) if k in EDGE_ORDER else 0, k))
    for kind in kinds:
        colour, width, dashed, _ = EDGE_STYLES.get(kind, DEFAULT_EDGE)
        style = "--" if dashed else "-"
        for conf in CONFIDENCE_ALPHA:
            segs = [(at[e.a], at[e.b]) for e in picture.edges
                    if e.kind == kind and e.confidence == conf and e.a in at and e.b in at]
            if segs:
                ax.add_collection(LineCollection(segs, colors=colour, linewidths=width,
                                                 linestyles=style, alpha=CONFIDENCE_ALPHA[conf],
                                                 zorder=1 if kind == "member" else 2))
    people = [n for n in picture.nodes if n.kind == "person"]
    groups = [n for n in picture.nodes if n.kind == "group"]
    if people:
        ax.scatter([n.x for n in people], [n.y for n in people],
                   s=[25 + 220 * n.size for n in people],
                   c=[group_colour(n.colour) for n in people],
                   edgecolors=[REACHED if n.reached else NOT_REACHED for n in people],
                   linewidths=1.4, zorder=3)
    if groups:
        ax.scatter([n.x for n in groups], [n.y for n in groups], marker="s",
                   s=[300 + 500 * n.size for n in groups],
                   c=[group_colour(n.colour) for n in groups],
                   edgecolors=[REACHED if n.reached else NOT_REACHED for n in groups],
                   linewidths=2.2, zorder=4)
    shown = sorted(people, key=lambda n: (-n.degree, n.reference))
    if len(people) > LABELLED_PEOPLE:
        shown = shown[:LABELLED_PEOPLE]
    for n in shown:
        ax.annotate(n.label, (n.x, n.y), xytext=(4, 4), textcoords="offset points", fontsize=6.5,
                    zorder=5, color="#1b2631")
    for n in groups:
        ax.annotate(n.label, (n.x, n.y), xytext=(0, 12), textcoords="offset points",
                    fontsize=9, fontweight="bold", ha="center", zorder=6,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8))
    handles = [Line2D([], [], marker="s", ls="", color=group_colour(g), markersize=9, label=name)
               for g, name in sorted(picture.groups.items(), key=lambda t: t[1])]
    handles += [Line2D([], [], color=c, lw=w, ls="--" if d else "-", label=words)
                for c, w, d, words in (EDGE_STYLES.get(k, DEFAULT_EDGE) for k in kinds)]
    handles += [Line2D([], [], marker="o", ls="", markerfacecolor="#bbbbbb",
                       markeredgecolor=REACHED, markeredgewidth=1.6, label="reached by the message"),
                Line2D([], [], marker="o", ls="", markerfacecolor="#bbbbbb",
                       markeredgecolor=NOT_REACHED, markeredgewidth=1.6, label="not yet reached")]
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.77, 0.5), fontsize=8,
               frameon=False)
    fig.text(0.5, 0.975, marking, ha="center", va="top", fontsize=11, fontweight="bold")
    fig.text(0.5, 0.015, marking, ha="center", va="bottom", fontsize=11, fontweight="bold")
    n_people, n_groups = len(people), len(groups)
    fig.text(0.02, 0.94, f"Network: {n_people} people, {n_groups} groups"
             + (" (references only)" if picture.references_only else ""), fontsize=10)
    return fig


def write_png(picture, path: Path | str, marking: str = MARKING) -> Path:
    """A 1920x1080 PNG of the picture."""
    fig = _figure(picture, marking, (16, 9), 120)
    with atomic_path(path, ".network-") as tmp:
        FigureCanvasAgg(fig).print_png(tmp, metadata={"Description": marking})
    return Path(path)


def write_pdf(picture, path: Path | str, marking: str = MARKING) -> Path:
    """An A4 landscape, vector PDF of the picture, marked top and bottom."""
    fig = _figure(picture, marking, (11.69, 8.27), 100)
    with atomic_path(path, ".network-") as tmp:
        FigureCanvasPdf(fig).print_pdf(tmp, metadata={"Title": "Network picture",
                                                      "Subject": marking,
                                                      "Creator": "Deterrence Desktop"})
    return Path(path)


def write_graphml(graph, path: Path | str, marking: str = MARKING) -> Path:
    """GraphML (opens in Gephi and yEd), the marking as a graph attribute."""
    import networkx as nx

    graph = graph.copy()
    graph.graph["marking"] = marking
    with atomic_path(path, ".network-") as tmp:
        nx.write_graphml(graph, tmp)
    return Path(path)
