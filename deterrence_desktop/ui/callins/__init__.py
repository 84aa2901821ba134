"""Call-in screens: the planning wizard, the call-ins page and the attendance dialog.

The main window places :class:`CallInsPage` in its navigation; the page opens the
wizard (:class:`CallInWizard`) and the attendance dialog itself.
"""
from .attendance import AttendanceDialog
from .page import CallInsPage
from .wizard import CallInWizard

__all__ = ["AttendanceDialog", "CallInsPage", "CallInWizard"]
