"""Partnership meetings: list, meeting mode, minutes and the agenda on the wall."""
from .page import MeetingModeWidget, MeetingsPage

__all__ = ["MeetingsPage", "MeetingModeWidget"]
