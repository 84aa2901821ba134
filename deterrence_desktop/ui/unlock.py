"""The unlock screen (in the style of KeePassXC) and the idle-lock timer.

Unlocking opens the workspace with ``store.workspace.open_or_explain`` and
signs in with ``services.users.sign_in`` on the database worker, so key
derivation never freezes the window; a busy bar shows meanwhile, and a failure
is shown as one clear sentence under the fields.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from ..domain.errors import DeterrenceError, readable
from ..store.errors import WrongPassphrase
from .context import AppContext
from .style import app_icon, set_role


def open_workspace(path: str, passphrase: str, username: str, password: str | None,
                   today=None, *, read_only: bool = False, take_over: bool = False):
    """Open as the workspace's one writer (or read-only) and sign in; runs on the worker.
    Returns the signed-in services and whether the user still has to choose a password."""
    from ..security.session import open_signed_in
    services = open_signed_in(path, passphrase, username, password, today=today,
                              read_only=read_only, take_over=take_over)
    try:
        needs = services.users.needs_password(username)
    except BaseException:
        services.close()
        raise
    return services, needs


class UnlockScreen(QWidget):
    """Passphrase (with show/hide), user name and personal password; Unlock."""

    unlocked = Signal(object, str, str)      # services, path, username
    password_needed = Signal(str)            # signed in by the passphrase alone: choose one
    back_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, today=None):
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        self.path = ""
        self.setObjectName("unlockScreen")
        self._busy = False
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        col = QVBoxLayout()
        col.addStretch(1)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(72, 72))
        icon.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        col.addWidget(icon)
        self.title = QLabel("Unlock the workspace")
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        set_role(self.title, "heading")
        col.addWidget(self.title)
        self.file_label = QLabel()
        self.file_label.setObjectName("unlockFile")
        self.file_label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        set_role(self.file_label, "muted")
        col.addWidget(self.file_label)
        self.locked_note = QLabel("Locked: nothing from the workspace is held in memory.")
        self.locked_note.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        set_role(self.locked_note, "muted")
        self.locked_note.hide()
        col.addWidget(self.locked_note)
        col.addSpacing(12)
        self.demo_hint = QLabel()
        self.demo_hint.setObjectName("demoHint")
        self.demo_hint.setWordWrap(True)
        self.demo_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.demo_hint, "hint")
        self.demo_hint.hide()
        col.addWidget(self.demo_hint)

        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphrase")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setMinimumWidth(340)
        self.show_action = QAction("Show", self.passphrase)
        self.show_action.setCheckable(True)
        self.show_action.setToolTip("Show or hide the passphrase (Ctrl+H)")
        self.show_action.setShortcut("Ctrl+H")
        self.show_action.toggled.connect(self.set_passphrase_visible)
        self.passphrase.addAction(self.show_action, QLineEdit.ActionPosition.TrailingPosition)
        self.show_button = QPushButton("S&how")
        self.show_button.setObjectName("showPassphrase")
        self.show_button.setCheckable(True)
        self.show_button.toggled.connect(self.show_action.setChecked)
        self.show_action.toggled.connect(self.show_button.setChecked)
        row = QHBoxLayout()
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.show_button)
        lab = QLabel("&Passphrase:")
        lab.setBuddy(self.passphrase)
        form.addRow(lab, row)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        lab = QLabel("&User name:")
        lab.setBuddy(self.username)
        form.addRow(lab, self.username)
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("your personal password, if you have set one")
        lab = QLabel("Pass&word:")
        lab.setBuddy(self.password)
        form.addRow(lab, self.password)
        col.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("unlockError")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        col.addWidget(self.error)
        self.busy = QProgressBar()
        self.busy.setObjectName("unlockBusy")
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.hide()
        col.addWidget(self.busy)
        buttons = QHBoxLayout()
        self.other_button = QPushButton("&Another workspace…")
        self.other_button.clicked.connect(self.back_requested)
        self.unlock_button = QPushButton("Un&lock")
        self.unlock_button.setObjectName("unlockButton")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock)
        buttons.addWidget(self.other_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        col.addLayout(buttons)
        col.addStretch(2)
        outer.addLayout(col)
        outer.addStretch(1)
        for w in (self.passphrase, self.username, self.password):
            w.returnPressed.connect(self.unlock)
            w.textEdited.connect(lambda _: self.error.hide())

    def set_passphrase_visible(self, visible: bool) -> None:
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Normal if visible else QLineEdit.EchoMode.Password)
        self.show_action.setText("Hide" if visible else "Show")
        self.show_button.setText("&Hide" if visible else "S&how")

    def prepare(self, path: str, username: str = "", *, demo_passphrase: str = "",
                locked: bool = False) -> None:
        """Show the screen for ``path``: fields empty (the passphrase never kept)."""
        self.path = str(path)
        self.title.setText("Locked" if locked else "Unlock the workspace")
        self.locked_note.setVisible(locked)
        self.file_label.setText(f"{Path(path).name}  —  {Path(path).parent}")
        self.passphrase.clear()
        self.password.clear()
        self.set_passphrase_visible(False)
        self.show_button.setChecked(False)
        self.username.setText(username)
        self.error.hide()
        self.set_busy(False)
        if demo_passphrase:
            self.demo_hint.setText(
                "This is the demo workspace: every person in it is fictional.\n"
                f"Its passphrase is:  {demo_passphrase}\nSign in as demo.coordinator.")
            self.passphrase.setText(demo_passphrase)
        self.demo_hint.setVisible(bool(demo_passphrase))
        self.focus_default()

    def focus_default(self) -> None:
        if not self.passphrase.text():
            self.passphrase.setFocus()
        elif not self.username.text():
            self.username.setFocus()
        else:
            self.unlock_button.setFocus()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy.setVisible(busy)
        for w in (self.passphrase, self.username, self.password, self.unlock_button,
                  self.other_button, self.show_button):
            w.setEnabled(not busy)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def unlock(self, *, read_only: bool = False, take_over: bool = False) -> None:
        if self._busy:
            return
        passphrase = self.passphrase.text()
        username = self.username.text().strip()
        if not passphrase:
            self.show_error("Type the workspace passphrase.")
            self.passphrase.setFocus()
            return
        if not username:
            self.show_error("Type your user name.")
            self.username.setFocus()
            return
        self.error.hide()
        self.set_busy(True)
        path, password, today = self.path, self.password.text(), self.today
        self.ctx.runner.run(
            lambda: open_workspace(path, passphrase, username, password, today,
                                   read_only=read_only, take_over=take_over),
            lambda result: self._opened(result, username), self._failed, label="unlock")

    def _opened(self, result, username: str) -> None:
        services, needs_password = result
        self.set_busy(False)
        self.passphrase.clear()
        self.password.clear()
        self.unlocked.emit(services, self.path, username)
        if needs_password and not services.workspace.read_only:
            self.password_needed.emit(username)

    def _failed(self, exc: BaseException) -> None:
        self.set_busy(False)
        from ..security.writer_lock import WorkspaceInUse
        if isinstance(exc, WorkspaceInUse):
            self._in_use(exc)
        elif isinstance(exc, WrongPassphrase):
            self.show_error("The passphrase is wrong. Check Caps Lock and the keyboard layout, "
                            "then try again.")
            self.passphrase.selectAll()
            self.passphrase.setFocus()
        elif isinstance(exc, DeterrenceError):
            self.show_error(readable(exc))
            self.focus_default()
        else:
            self.show_error("The workspace could not be opened.")
            self.ctx.runner.unhandled_error.emit(exc)


    def _in_use(self, exc) -> None:
        """Another copy holds the writer lock: open read-only, take over, or cancel."""
        from PySide6.QtWidgets import QMessageBox
        box = QMessageBox(QMessageBox.Icon.Question, "Workspace in use",
                          f"{Path(self.path).name} is open in {exc.holder.describe()}.\n\n"
                          "Open it read-only, or take it over if that copy is no longer in use "
                          "(its unsaved work would be lost).", parent=self)
        read_only = box.addButton("Open &read-only", QMessageBox.ButtonRole.AcceptRole)
        take_over = box.addButton("&Take over", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(read_only)
        self._in_use_box = box
        box.exec()
        chosen = box.clickedButton()
        if chosen is read_only:
            self._retry(read_only=True)
        elif chosen is take_over:
            self._retry(take_over=True)
        else:
            self.show_error("The workspace is open elsewhere.")

    def _retry(self, **how) -> None:
        # the fields still hold what was typed: unlock() cleared nothing on failure
        self.unlock(**how)


_INPUT_EVENTS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                 QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.Shortcut}


class IdleLock(QObject):
    """Emits ``idle`` after ``minutes`` without keyboard or mouse input in the app.

    It watches the app's top-level windows (each ``QWindow`` that gets the focus),
    not every object: input arrives at a window first, while the many paint and timer
    events of the widgets never reach this Python filter. An app-wide filter would
    take the interpreter lock for every event and slow the database worker.
    """

    idle = Signal()

    def __init__(self, minutes: float, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_minutes(minutes)
        self._armed = False
        self._watched: list = []
        app = QGuiApplication.instance()
        app.focusWindowChanged.connect(self._watch)
        self._watch(app.focusWindow())

    def _watch(self, window) -> None:
        if window is None:
            return
        self._watched = [w for w in self._watched if _alive(w)]
        if window not in self._watched:
            window.installEventFilter(self)
            self._watched.append(window)
        self.activity()

    def set_minutes(self, minutes: float) -> None:
        self.timer.setInterval(max(1, int(minutes * 60_000)))

    def start(self) -> None:
        self._armed = True
        self.timer.start()

    def stop(self) -> None:
        self._armed = False
        self.timer.stop()

    def activity(self) -> None:
        if self._armed:
            self.timer.start()

    def eventFilter(self, obj, event) -> bool:
        if self._armed and event.type() in _INPUT_EVENTS:
            self.timer.start()
        return False


def _alive(obj) -> bool:
    try:
        import shiboken6
        return shiboken6.isValid(obj)
    except ImportError:  # pragma: no cover
        return True
