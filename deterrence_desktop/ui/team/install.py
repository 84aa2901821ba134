"""Team mode in the main window: connecting, live refresh, and the connection banner.

:func:`install` gives the main window a :class:`TeamMode`. It opens "Connect to a
server…" from the start screen (or a recent server), opens the main window on the server
workspace the way an unlocked file opens (``MainWindow._on_unlocked``), runs the change
listener while it is open, and shows the banner when the connection is lost: a task
failing with ``ConnectionLost``, or the listener losing its own connection.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from .banner import ConnectionBanner, Reconnector
from .refresh import LiveRefresh, refresh_everything


class TeamMode(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.address = None
        self.partnership = ""
        self.live: LiveRefresh | None = None
        self.reconnector: Reconnector | None = None
        self.dialog = None
        self.banner = ConnectionBanner(window.work)
        window.work.layout().insertWidget(0, self.banner)
        window.start.server_requested.connect(self.open_dialog)
        self.ctx.workspace_locked.connect(self._closed)
        self.ctx.runner.task_failed.connect(self._task_failed)

    @property
    def active(self) -> bool:
        """A server workspace is open in this window."""
        return self.address is not None and self.ctx.unlocked

    def title_suffix(self) -> str:
        """The window title's last part on a server: the partnership, never a person or a
        login (staff names stay off screens that others see)."""
        if not self.active:
            return ""
        return f" — {self.partnership} (server)" if self.partnership else " — server"

    # -- connecting -----------------------------------------------------------------------
    def open_dialog(self, entry: str = "", *, locked: bool = False):
        """The connect dialog, empty or filled in from a recent server's ``entry``."""
        from .connect import ConnectDialog
        from .recent import parse
        win = self.window
        if self.ctx.unlocked and not win.close_workspace():
            return None
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return self.dialog
        address = parse(entry) if entry else None
        dialog = ConnectDialog(self.ctx, win.settings, win, address=address, locked=locked)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connected.connect(self._connected)
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()
        if address is not None:
            dialog.password.setFocus()
        return dialog

    def _connected(self, opened, address, password: str) -> None:
        win = self.window
        services = opened.services
        self.address = address
        self.partnership = opened.partnership
        win._on_unlocked(services, address.text(), services.actor.username)
        self.live = LiveRefresh(self.ctx, address.dsn(password), self,
                                engine=services.workspace.engine)
        self.live.connection_changed.connect(self._listener_state)
        self.live.start()
        if opened.notice:
            self.ctx.status_message.emit(opened.notice)
        win._update_title()

    def _closed(self) -> None:
        """Locked or closed: the listener, the reconnect timer and the banner go with it."""
        if self.live is not None:
            self.live.stop()
            self.live.deleteLater()
            self.live = None
        if self.reconnector is not None:
            self.reconnector.stop()
        self.banner.clear()

    def show_locked(self, entry: str) -> None:
        """The lock on a server: back to the start screen, and the connect dialog asks for
        the password again (the connection was closed with the workspace)."""
        self.address = None
        self.window.show_start()
        self.open_dialog(entry, locked=True)

    # -- a lost connection ----------------------------------------------------------------
    def _task_failed(self, exc: BaseException) -> None:
        from ...store.errors import ConnectionLost
        if isinstance(exc, ConnectionLost) and self.active:
            self.connection_lost()

    def _listener_state(self, connected: bool) -> None:
        if not connected and self.active:
            self.connection_lost()

    def connection_lost(self) -> None:
        """The banner, and a question to the server every two seconds until it answers."""
        if self.banner.lost_now:
            return
        self.banner.show_lost()
        workspace = self.ctx.services.workspace
        if self.reconnector is not None:
            self.reconnector.stop()
            self.reconnector.deleteLater()
        self.reconnector = Reconnector(workspace.ping, parent=self)
        self.reconnector.answered.connect(self._reconnected)
        self.reconnector.start()

    def _reconnected(self) -> None:
        if not self.active:
            return
        self.banner.show_back()
        refresh_everything(self.ctx)


def install(window) -> TeamMode:
    return TeamMode(window)
