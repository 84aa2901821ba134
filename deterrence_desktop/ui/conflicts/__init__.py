"""Edit conflicts: someone else saved a record while this user was editing it.

The services refuse a save made from a stale copy with
:class:`~deterrence_desktop.domain.errors.EditConflict` (both versions, nothing
written); :class:`ConflictDialog` shows the fields that differ and lets the user
keep theirs, take the saved one, or go back to the form. Nothing is lost either way.
"""
from .dialog import KEEP_MINE, TAKE_THEIRS, ConflictDialog, keep_mine, resolve, with_version
from .model import ConflictModel, ConflictRow, describe

__all__ = ["ConflictDialog", "ConflictModel", "ConflictRow", "KEEP_MINE", "TAKE_THEIRS",
           "describe", "keep_mine", "resolve", "with_version"]
