"""How the network is drawn, wherever it is drawn: the screen (ui/network/scene.py) and the
exported PNG/PDF (exports/network_picture.py) take their colours, line widths and legend
words from here, so a group has the same colour on the wall and on paper. Plain data: no
Qt, no matplotlib.
"""
from __future__ import annotations

# Colours a person can tell apart, also in print (Okabe-Ito and Tableau hues). None of them
# is the red of a rivalry or of "not reached".
GROUP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                 "#7F3C8D", "#3969AC", "#80BA5A", "#E68310", "#008695", "#CF1C90")
NO_GROUP = "#8c8c8c"
REACHED = "#1b7f3b"
NOT_REACHED = "#b3261e"

# Each kind of edge: colour, width (screen pixels; points on paper), dashed, legend words.
EDGE_STYLES: dict[str, tuple[str, float, bool, str]] = {
    "member": ("#b9c4c9", 0.8, False, "member of"),
    "co_offending": ("#5b4b8a", 1.6, False, "co-offending (shared incident)"),
    "family": ("#2f7d6d", 1.4, False, "family"),
    "associate": ("#6d7f8c", 1.2, False, "associate"),
    "victim_of": ("#a0522d", 1.4, True, "victim of"),
    "rival": ("#c62828", 3.0, True, "rivalry"),
    "ally": ("#2e7d32", 3.0, False, "alliance"),
}
DEFAULT_EDGE = ("#7a7a7a", 1.0, False, "link")
EDGE_ORDER = ("member", "associate", "family", "victim_of", "co_offending", "ally", "rival")
# How strongly a link shows by how sure the partnership is of it.
CONFIDENCE_ALPHA = {"confirmed": 0.95, "reported": 0.75, "suspected": 0.4, "": 0.9}


def group_colour(colour_key) -> str:
    """The colour of a group (a node's ``colour``: its group's id), as #rrggbb. Taken from
    the id, so a group keeps its colour whatever the filter shows beside it."""
    if colour_key is None or colour_key == "":
        return NO_GROUP
    try:
        n = int(colour_key) - 1
    except (TypeError, ValueError):
        n = sum(map(ord, str(colour_key)))
    return GROUP_COLOURS[n % len(GROUP_COLOURS)]
