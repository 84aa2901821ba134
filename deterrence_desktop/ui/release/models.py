"""What the release screens show, as columns over the services' plain rows.

No widget here: the planner's and a plan's columns, the flags in words, and the
one-line notes the board and the meeting agenda show for an incomplete plan.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from PySide6.QtGui import QColor

from ...domain.enums import label
from ..models import Column, text_column
from ..style import ERROR, WARNING

FLAG_HELP = ("Friday: services close for the weekend. Before bank holiday: the next closed "
             "days include a bank holiday or a local closure. Long sentence: 12 months or "
             "more, particular provision on release. Remand, no date: often released at "
             "short notice.")


def flag_names(row) -> tuple[str, ...]:
    """The flags of a planner row in words (``ReleaseFlags.labels``)."""
    return row.flags.labels()


def flags_text(row) -> str:
    return str(row.flags)


def days_text(days: int | None) -> str:
    if days is None:
        return "no date"
    if days == 0:
        return "today"
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} ago"
    return f"{days} day{'s' if days != 1 else ''}"


def release_text(day: date | None) -> str:
    """'Fri 04 Dec 2026' (the weekday matters here), or 'No date'."""
    return day.strftime("%a %d %b %Y") if day is not None else "No date"


PLAN_STATUS_WORDS = {"none": "No plan", "incomplete": "Incomplete", "complete": "Complete"}


def plan_status_text(status: str | None) -> str:
    return PLAN_STATUS_WORDS.get(str(status or "none"), label(status))


def _status_colour(row) -> QColor | None:
    status = str(getattr(row, "plan_status", "none") or "none")
    if status == "complete":
        return None
    days = getattr(row, "days_to_go", None)
    return ERROR if days is not None and days <= 7 else WARNING


PLANNER_COLUMNS = [                # what a coordinator scans first comes first
    Column("Release", lambda r: release_text(r.release),
           lambda r: (r.release is None, r.release or date.max),
           tooltip="Expected release date; remand with no date last"),
    Column("In", lambda r: days_text(r.days_to_go),
           lambda r: (r.days_to_go is None, r.days_to_go or 0), align_right=True),
    text_column("Reference", "reference"),
    text_column("Name", "person_name"),
    Column("Flags", flags_text, lambda r: (-len(flag_names(r)), flags_text(r)),
           tooltip=FLAG_HELP, foreground=lambda r: ERROR if flag_names(r) else None),
    Column("Plan", lambda r: plan_status_text(r.plan_status),
           lambda r: str(r.plan_status), foreground=_status_colour,
           tooltip="The release's continuity plan: none yet, incomplete or complete"),
    Column("Custody", lambda r: label(r.kind), lambda r: str(r.kind)),
    text_column("Establishment", "establishment"),
]


def step_columns(today: Callable[[], date]) -> list[Column]:
    """A plan's steps: when (red once overdue on ``today()``), what, where its action
    stands, for whom."""
    return [
        Column("Due", lambda s: s.action.due_date.strftime("%a %d %b") if s.action.due_date else "",
               lambda s: s.action.due_date or date.max, tooltip="Moved off weekends, bank "
               "holidays and local closures as the template says. Red: overdue",
               foreground=lambda s: ERROR if s.action.is_overdue(today()) else None),
        text_column("Step", "title"),
        Column("Status", lambda s: label(s.action.status), lambda s: str(s.action.status)),
        text_column("Partner", "partner_name"),
        Column("When", step_when_text, lambda s: s.offset_days,
               tooltip="Relative to the release day, and the closed day it was moved off"),
    ]


def step_when_text(step) -> str:
    """'1 day after release, moved off Fri 25 Dec' when the due date is not the raw offset
    (``step.release``: the plan's release day)."""
    text = offset_text(step.offset_days)
    release, due = getattr(step, "release", None), step.action.due_date
    if release is not None and due is not None:
        raw = release + timedelta(days=step.offset_days)
        if raw != due:
            text += f", moved off {raw:%a %d %b}"
    return text


def offset_text(days: int) -> str:
    """-7 -> '7 days before release', 0 -> 'day of release', 1 -> '1 day after release'."""
    if days == 0:
        return "Day of release"
    n = abs(days)
    return f"{n} day{'s' if n != 1 else ''} {'before' if days < 0 else 'after'} release"


def template_step_columns() -> list[Column]:
    return [
        text_column("Step", "title"),
        Column("Partner", lambda s: label(s.partner_type), lambda s: str(s.partner_type)),
        Column("Kind", lambda s: label(s.kind), lambda s: str(s.kind)),
        Column("When", lambda s: offset_text(s.offset_days), lambda s: s.offset_days),
        Column("Off a closed day", lambda s: shift_text(s.shift), lambda s: str(s.shift)),
    ]


def shift_text(shift) -> str:
    return "Earlier" if str(shift) == "earlier" else "Later"


def plan_note(plan) -> str:
    """'FD-0012: release Fri 04 Dec 2026, 3 actions open' (a reference, never a name)."""
    if str(plan.status) == "none":
        state = "no plan yet"
    else:
        n = plan.open_actions
        state = f"{n} action{'s' if n != 1 else ''} open"
    return f"{plan.reference}: release {release_text(plan.release)}, {state}"


__all__ = ["FLAG_HELP", "PLANNER_COLUMNS", "flag_names", "flags_text", "days_text",
           "release_text", "plan_status_text", "step_columns", "template_step_columns",
           "offset_text", "shift_text", "plan_note"]
