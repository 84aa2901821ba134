"""The connection-lost banner across the top of the main window, and its reconnect timer.

Not a modal: what the user was doing stays on screen (a form whose save failed keeps
its values, and Save works again once the server answers). Every two seconds the server
is asked whether it answers (``ws.ping()``, on a thread of its own, so neither the GUI
nor the database worker waits for a server that is away); when it does, the banner says
"Reconnected" for a moment and the pages reload.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from ..style import set_role

LOST_TEXT = "The connection to the server was lost. Your work is kept; reconnecting…"
BACK_TEXT = "Reconnected"


class Reconnector(QObject):
    """Asks ``ping()`` every ``interval_ms`` off the GUI thread until it answers True."""

    answered = Signal()
    _result = Signal(bool)

    def __init__(self, ping: Callable[[], bool], interval_ms: int = 2000,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.ping = ping
        self.attempts = 0
        self._asking = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._ask)
        self._result.connect(self._heard, Qt.ConnectionType.QueuedConnection)

    @property
    def active(self) -> bool:
        return self.timer.isActive()

    def start(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _ask(self) -> None:
        if self._asking:                 # the last question is still on its way
            return
        self._asking = True
        self.attempts += 1
        ping, result = self.ping, self._result

        def ask():
            try:
                ok = bool(ping())
            except Exception:  # noqa: BLE001 - no answer is an answer
                ok = False
            try:
                result.emit(ok)
            except RuntimeError:         # the window closed meanwhile
                pass
        threading.Thread(target=ask, name="dd-reconnect", daemon=True).start()

    def _heard(self, ok: bool) -> None:
        self._asking = False
        if ok and self.timer.isActive():
            self.timer.stop()
            self.answered.emit()


class ConnectionBanner(QFrame):
    """One line across the top of the main window; hidden while all is well."""

    def __init__(self, parent: QWidget | None = None, back_ms: int = 3000):
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        self.text = QLabel()
        self.text.setObjectName("connectionBannerText")
        self.text.setWordWrap(True)
        self.text.setStyleSheet("font-weight: 600; font-size: 10.5pt;")
        row.addWidget(self.text, 1)
        self.lost_now = False
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(back_ms)
        self._hide_timer.timeout.connect(self.hide)
        self.hide()

    def show_lost(self) -> None:
        self._hide_timer.stop()
        self.lost_now = True
        set_role(self.text, "warning")
        self.text.setText(LOST_TEXT)
        self.show()

    def show_back(self) -> None:
        self.lost_now = False
        set_role(self.text, "hint")
        self.text.setText(BACK_TEXT)
        self.show()
        self._hide_timer.start()

    def clear(self) -> None:
        self.lost_now = False
        self._hide_timer.stop()
        self.hide()
