"""The audit anchor a PDF carries: the audit chain's head when it was made.

The services hand the export a token such as ``deterrence-audit=1234:<64 hex>
workspace=<id>`` (see ``services/anchors.py``). :func:`stamp` puts the token in
the PDF's keywords, where ``deterrence-desktop check --anchor FILE`` reads it,
and draws one line of small print ("Audit 1234:ab12cd34ef56ab12…") for a
person holding the paper. A PDF made without a token is left as it was.
"""
from __future__ import annotations

import re

TOKEN = re.compile(r"deterrence-audit=(\d{1,12}):([0-9a-f]{64})")


def small_print(token: str) -> str:
    """The human-readable line for ``token`` ("" when it holds no anchor)."""
    m = TOKEN.search(token or "")
    return f"Audit {m[1]}:{m[2][:16]}\u2026" if m else ""


def stamp(canvas, token: str, x: float, y: float, font: str, size: float = 6) -> None:
    """Set ``token`` as the document's keywords and draw its small print at (x, y)."""
    line = small_print(token)
    if not line:
        return
    canvas.setKeywords(token)
    canvas.saveState()
    canvas.setFont(font, size)
    canvas.setFillGray(0.35)
    canvas.drawString(x, y, line)
    canvas.restoreState()
