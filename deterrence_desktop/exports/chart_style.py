"""The one look of every chart: a sober board-paper style (greys and one navy, no chart
junk), the same on screen and in the board report."""
from __future__ import annotations

NAVY = "#1F3A5F"          # after / the cohort
GREY = "#9AA5B1"          # before
LIGHT = "#D9DEE4"         # open, inclusions
AMBER = "#B26B00"         # overdue
RED = "#A61B1B"           # a flagged (overloaded) partner
GREEN = "#2E6B3A"         # done on time
TEXT = "#1B1F24"
SERIES = (NAVY, "#5B7FA6", "#7A6A8E", "#6B8E5A", "#A0522D")

FONT = "DejaVu Sans"      # present everywhere the app runs; renders accents and the euro

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.edgecolor": "#5A6570",
    "axes.labelcolor": TEXT,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "x",
    "axes.axisbelow": True,
    "grid.color": "#E3E7EB",
    "grid.linewidth": 0.6,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",        # text stays text in SVG (searchable, small)
    "pdf.fonttype": 42,            # TrueType in PDF, so pdftotext reads the labels
}

SCREEN_DPI = 100
PRINT_DPI = 300
