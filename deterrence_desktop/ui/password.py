"""Choosing a personal password after signing in with the workspace passphrase alone.

A user without a personal password (a new workspace's first user, a demo user)
is signed in by the passphrase; the main window then shows a calm banner
offering to choose one, so that what they do is recorded as theirs alone.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from ..domain.errors import DeterrenceError, ValidationError
from .context import AppContext
from .style import set_role


class ChoosePasswordDialog(QDialog):
    done_ok = Signal()

    def __init__(self, ctx: AppContext, username: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.username = username
        self.setObjectName("choosePasswordDialog")
        self.setWindowTitle("Choose your password")
        col = QVBoxLayout(self)
        intro = QLabel(f"Choose a personal password for {username}. You will type it with the "
                       "workspace passphrase each time you unlock.")
        intro.setWordWrap(True)
        col.addWidget(intro)
        form = QFormLayout()
        self.first = QLineEdit()
        self.first.setObjectName("newPassword")
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit()
        self.second.setObjectName("newPassword2")
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        lab1, lab2 = QLabel("&New password:"), QLabel("&Repeat it:")
        lab1.setBuddy(self.first)
        lab2.setBuddy(self.second)
        form.addRow(lab1, self.first)
        form.addRow(lab2, self.second)
        col.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("passwordError")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        col.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Set password")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)

    def save(self) -> None:
        if self.first.text() != self.second.text():
            self._show("The two passwords differ.")
            return
        password, username = self.first.text(), self.username
        self.save_button.setEnabled(False)
        if self.ctx.call(lambda s: s.users.set_password(username, password), self._saved,
                         self._failed, label="set password") is None:
            self.save_button.setEnabled(True)

    def _show(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def _saved(self, _result) -> None:
        self.first.clear()
        self.second.clear()
        self.done_ok.emit()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self._show("; ".join(exc.errors.values()).capitalize())
        elif isinstance(exc, DeterrenceError):
            self._show(str(exc))
        else:
            self.ctx.runner.unhandled_error.emit(exc)


class PasswordBanner(QFrame):
    """'You signed in with the passphrase only' with Choose… and Not now."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.username = ""
        self.setObjectName("passwordBanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        self.text = QLabel()
        self.text.setWordWrap(True)         # two lines on a laptop, not a wider window
        set_role(self.text, "hint")
        row.addWidget(self.text, 1)
        self.choose = QPushButton("Choose a &password…")
        self.choose.clicked.connect(self.open_dialog)
        self.later = QPushButton("Not now")
        self.later.clicked.connect(self.hide)
        row.addWidget(self.choose)
        row.addWidget(self.later)
        self.hide()
        ctx.workspace_locked.connect(self.hide)

    def offer(self, username: str) -> None:
        self.username = username
        self.text.setText(f"{username} signed in with the workspace passphrase alone. Choose a "
                          "personal password so that what you do is recorded as yours alone.")
        self.show()

    def open_dialog(self) -> ChoosePasswordDialog:
        dlg = ChoosePasswordDialog(self.ctx, self.username, self.window())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.done_ok.connect(self.hide)
        dlg.done_ok.connect(lambda: self.ctx.status_message.emit("Your password is set"))
        dlg.open()
        return dlg
