"""Message reach, said the same way everywhere it shows: the group page, the group audit
table, the board's summary strip (and, as a colour, the network)."""
from __future__ import annotations

from html import escape

import shiboken6

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ...domain.enums import label
from ..models import Column, date_column, text_column


def reach_text(r) -> str:
    """'2 of 5 (40%) ✓ reached' / '1 of 6 (17%) ⚠ not reached since its last incident'."""
    if r is None:
        return ""
    if not r.current_members:
        return "no current members"
    text = f"{r.reached} of {r.current_members} ({r.share:.0%})"
    text += " ✓ reached" if r.reached_flag else " not yet reached"
    if r.unreached_since_incident:
        text += f" · ⚠ not reached since its last incident ({r.last_incident:%d %b})"
    return text


def channels_text(r) -> str:
    parts = [f"{label(ch).lower()} {n}" for ch, n in sorted(r.by_channel.items()) if n]
    return ", ".join(parts)


def strip_text(reaches) -> str:
    """For the board's summary strip: how many groups the message has reached."""
    reaches = [r for r in reaches if r.current_members]
    if not reaches:
        return ""
    reached = sum(1 for r in reaches if r.reached_flag)
    flagged = [r.name for r in reaches if r.unreached_since_incident]
    text = f"<b>Reach</b> {reached} of {len(reaches)} groups reached"
    if flagged:
        names = ", ".join(escape(n) for n in flagged[:4]) + (" …" if len(flagged) > 4 else "")
        text += (f"&nbsp;&nbsp;<span style='color:#a12a2a; font-weight:700'>⚠ not reached since "
                 f"their last incident: {names}</span>")
    return text


def reach_people_columns() -> list[Column]:
    return [text_column("Reference", "reference"), text_column("Name", "display_name"),
            Column("Channel", lambda p: label(p.channel), lambda p: str(p.channel)),
            date_column("Reached on", "reached_on")]


class _Person:
    """A reached member as the mini table shows it (``id``: Enter opens the person)."""

    def __init__(self, p):
        self.id = p.person_id
        self.reference, self.display_name = p.reference, p.display_name
        self.channel, self.reached_on = p.channel, p.reached_on


class ReachSummary(QWidget):
    """The headline of a group's reach, its channels and the threshold rule."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        self.headline = QLabel("")
        self.headline.setObjectName("groupReach")
        self.headline.setWordWrap(True)
        col.addWidget(self.headline)

    def show_reach(self, r, threshold: float | None = None) -> None:
        if r is None:
            self.headline.setText("")
            return
        colour = "#1b6b34" if r.reached_flag and not r.unreached_since_incident else "#a12a2a"
        lines = [f"<span style='color:{colour}; font-weight:700'>{escape(reach_text(r))}</span>"]
        ch = channels_text(r)
        if ch:
            lines.append(f"By channel: {escape(ch)}")
        if r.last_incident is not None:
            lines.append(f"Last incident: {r.last_incident:%d %b %Y}")
        if threshold is not None:
            lines.append(f"Reached at {threshold:.0%} of current members (the partnership's "
                         "threshold); a no-show or an undelivered letter does not count.")
        self.headline.setText("<br/>".join(lines))


class GroupReachCard:
    """The "Message reach" card of a group's page: the headline and who was reached, how and
    when. Built with the page's own card helpers; loads on the worker when a group shows."""

    def __init__(self, view):
        self.view = view
        self.card, self.table = view.table_card("Message reach", reach_people_columns(),
                                                "Nobody in the group has heard the message "
                                                "directly yet.", 8)
        self.table.setObjectName("groupReachPeople")
        self.summary = ReachSummary()
        self.card.layout_.insertWidget(1, self.summary)
        self.table.activated_id.connect(lambda pid: view.ctx.open_requested.emit("person", pid))

    def load(self, group_id: int) -> None:
        self.view.ctx.call(lambda s: s.reach.group(group_id),         # it carries the threshold
                           lambda r: self._shown((group_id, r, r.threshold)),
                           lambda exc: self.summary.show_reach(None), label="group reach")

    def _shown(self, result) -> None:
        group_id, r, threshold = result
        if not shiboken6.isValid(self.view) or self.view.record_id != group_id:
            return                   # the page closed, or another group is showing by now
        self.summary.show_reach(r, threshold)
        self.table.set_rows([_Person(p) for p in r.people if p.reached_on is not None])

    def clear(self) -> None:
        self.summary.show_reach(None)
