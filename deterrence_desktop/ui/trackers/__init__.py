"""Excel action trackers: export one for a partner, check and apply a partner's return."""
from .dialogs import ExportTrackerDialog, ImportTrackerDialog
from .models import ReturnRowsModel

__all__ = ["ExportTrackerDialog", "ImportTrackerDialog", "ReturnRowsModel"]
