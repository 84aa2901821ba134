"""Continuity plans still incomplete within 7 days of release: a line on the board's
summary strip, and a note on the person's item in the meeting agenda. References only,
never names (the board may be on a shared screen)."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ..board.page import call_while_alive
from ..style import set_role
from .models import plan_note

WITHIN_DAYS = 7


def strip_text(plans) -> str:
    if not plans:
        return ""
    shown = [escape(plan_note(p)) for p in plans[:6]]
    more = len(plans) - len(shown)
    if more > 0:
        shown.append(f"and {more} more")
    n = len(plans)
    return (f"<b>Continuity plan{'s' if n != 1 else ''} not complete, release within "
            f"{WITHIN_DAYS} days</b> ({n}): " + "&nbsp;&nbsp;|&nbsp;&nbsp;".join(shown))


class IncompletePlansStrip(QLabel):
    """Under the board's summary strip; hidden when every plan due soon is complete."""

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.plans: list = []
        self.setObjectName("incompletePlans")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        set_role(self, "warning")
        self.setToolTip("Open the Release planner to see each plan's steps")
        self.hide()

    def reload(self) -> None:
        """Quietly empty when the plans cannot be read: the board reports its own errors."""
        call_while_alive(self.ctx, self, lambda s: s.continuity.incomplete_plans(within_days=WITHIN_DAYS),
                         self.show_plans, lambda _e: self.show_plans([]), label="incomplete plans")

    def show_plans(self, plans) -> None:
        self.plans = list(plans or [])
        self.setText(strip_text(self.plans))
        self.setVisible(bool(self.plans))


def agenda_note(plans, person_id: int | None) -> str:
    """The meeting agenda's note for one person, or ''."""
    if person_id is None:
        return ""
    mine = [p for p in plans or [] if p.person_id == person_id]
    return "Continuity plan not complete: " + "; ".join(plan_note(p) for p in mine) if mine else ""
