"""The contract of a page in the main window's navigation."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from .context import AppContext


class Page(QWidget):
    """A page of the main window. Subclasses load rows through ``ctx.call`` in
    ``reload()`` and drop every row when the workspace locks (``clear``).

    Loading is lazy: when the workspace opens, or records of the page's kinds change,
    only a visible page reloads at once; a hidden one is marked stale and reloads when
    it is next shown. One database worker serves every page, so ten pages loading on
    unlock would make the page in front wait for all of them."""

    title = "Page"
    data_kinds: tuple[str, ...] = ()    # data_changed kinds that make this page reload

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._stale = ctx.unlocked      # made after unlocking: load when first shown
        ctx.workspace_opened.connect(self._workspace_opened)
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

    def _workspace_opened(self) -> None:
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def _on_data_changed(self, kind: str) -> None:
        if kind in self.data_kinds and self.ctx.unlocked:
            if self.isVisible():
                self.reload()
            else:
                self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale and self.ctx.unlocked:
            self._stale = False
            self.reload()
