"""The application's one clock.

Every "today" and "now" in Deterrence Desktop comes from here: form defaults,
"not in the future" checks, audit timestamps, backup stamps, file names. The
services hold a clock (``WorkspaceServices.clock``), which is the process clock
unless one was given; the process clock is the machine's unless something (a test,
a demo made for a fixed date) set another. Nothing else reads the machine's date.
"""
from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta, timezone


class Clock:
    """The machine's clock: local wall time and UTC."""

    def now(self) -> datetime:
        """Local wall time, naive (what a person reads off the laptop)."""
        return datetime.now()

    def utcnow(self) -> datetime:
        """UTC, naive (what the workspace stores)."""
        return datetime.now(timezone.utc).replace(tzinfo=None)

    def today(self) -> date:
        return self.now().date()

    def __repr__(self) -> str:
        return "Clock()"


class FixedClock(Clock):
    """A clock set to a chosen moment that runs on from there at the machine's pace,
    so that a test (or a demo made for a date) sees one date whatever the machine's,
    while timestamps still move forward."""

    def __init__(self, start: datetime | date, utc_offset_hours: float = 0.0):
        if not isinstance(start, datetime):
            start = datetime.combine(start, time(9, 0))
        self.start = start.replace(tzinfo=None)
        self._offset = utc_offset_hours
        self._t0 = _time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=_time.monotonic() - self._t0)

    def utcnow(self) -> datetime:
        return self.now() - timedelta(hours=self._offset)

    def __repr__(self) -> str:
        return f"FixedClock({self.start.isoformat()})"


_current: Clock = Clock()


def clock() -> Clock:
    """The process clock."""
    return _current


def set_clock(new: Clock | None) -> Clock:
    """Set the process clock (None: the machine's); returns the one it replaced."""
    global _current
    previous, _current = _current, (new if new is not None else Clock())
    return previous


def today() -> date:
    return _current.today()


def now() -> datetime:
    return _current.now()


def utcnow() -> datetime:
    return _current.utcnow()
