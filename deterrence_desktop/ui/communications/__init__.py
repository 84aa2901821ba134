"""Communications screens: the log, the quick contact form and a person's timeline.

The main window places :class:`CommunicationsPage` in its navigation; a person's page
opens :class:`CommunicationDialog` from "Add contact…" and may embed :class:`PersonTimeline`.
"""
from .dialog import CommunicationDialog
from .notification import CustomNotificationDialog, NotificationOutcomeDialog
from .page import CommunicationsPage
from .timeline import PersonTimeline

__all__ = ["CommunicationDialog", "CommunicationsPage", "CustomNotificationDialog",
           "NotificationOutcomeDialog", "PersonTimeline"]
