"""The contract of a page in the main window's navigation."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from .context import AppContext


class Page(QWidget):
    """A page of the main window. Subclasses load rows through ``ctx.call`` when the
    workspace opens, and drop every row when it locks (``clear``)."""

    title = "Page"
    data_kinds: tuple[str, ...] = ()    # data_changed kinds that make this page reload

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        ctx.workspace_opened.connect(self.reload)
        ctx.workspace_locked.connect(self.clear)
        ctx.data_changed.connect(self._on_data_changed)

    def reload(self) -> None:
        """Fetch this page's rows (asynchronously)."""

    def clear(self) -> None:
        """Drop every row held in memory: the workspace was locked."""

    def focus_search(self) -> None:
        """Ctrl+F: put the keyboard focus in this page's search box, if it has one."""

    def window_title(self) -> str:
        """What the window title shows for this page: never a person's name (use a reference)."""
        return self.title

    def view_state(self) -> object:
        """Where the user is on this page (ids only, no personal data), kept across a lock."""
        return None

    def restore_view_state(self, state: object) -> None:
        """Return to ``view_state()``'s place once the rows are back (after unlocking)."""

    def open_record(self, record_id: int) -> bool:
        """Show one record of this page's kind (``ctx.open_requested``); False if it cannot."""
        return False

    def new_record(self) -> None:
        """Ctrl+N on this page: start a new record, if the page makes any."""

    def edit_current(self) -> None:
        """Ctrl+E on this page: edit the record in view or selected, if any."""

    def _on_data_changed(self, kind: str) -> None:
        if kind in self.data_kinds and self.ctx.unlocked and self.isVisible():
            self.reload()
