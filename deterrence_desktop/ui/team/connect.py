""""Connect to a server…": the dialog that opens a workspace on the partnership's server.

Host, port, database, the user's login, the partnership's CA certificate (chosen once
with a file dialog, then remembered in the app's settings) and the password, which is
never written anywhere unless the user ticks "Remember in the system keyring".
Connecting runs on the database worker with a busy bar; a refusal is shown as the
server's sentence under the fields, and nothing typed is lost.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
    QLineEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ...domain.errors import DeterrenceError, readable
from ..context import AppContext
from ..settings import AppSettings
from ..style import set_role

DEFAULT_PORT = 5432
DEFAULT_DATABASE = "deterrence"


class ConnectDialog(QDialog):
    """Emits ``connected(opened, address, password)`` once signed in; then closes."""

    connected = Signal(object, object, str)

    def __init__(self, ctx: AppContext, settings: AppSettings, parent: QWidget | None = None,
                 *, address=None, locked: bool = False, clock=None):
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings
        self.clock = clock
        self._busy = False
        self._from_keyring = False
        self.setObjectName("connectDialog")
        self.setWindowTitle("Connect to a server")
        col = QVBoxLayout(self)
        intro = QLabel("Sign in to your partnership's workspace on its server with your own "
                       "login. The connection is encrypted, and the server's certificate is "
                       "checked against the partnership's CA file.")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        col.addWidget(intro)
        self.locked_note = QLabel("Locked: the connection was closed. Type your password to "
                                  "go on.")
        self.locked_note.setObjectName("connectLocked")
        self.locked_note.setWordWrap(True)
        set_role(self.locked_note, "hint")
        self.locked_note.setVisible(locked)
        col.addWidget(self.locked_note)

        form = QFormLayout()
        self.host = QLineEdit()
        self.host.setObjectName("serverHost")
        self.host.setPlaceholderText("e.g. dd.partnership.example")
        self.port = QSpinBox()
        self.port.setObjectName("serverPort")
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.database = QLineEdit(DEFAULT_DATABASE)
        self.database.setObjectName("serverDatabase")
        self.user = QLineEdit()
        self.user.setObjectName("serverUser")
        self.ca_file = QLineEdit(settings.get("server/ca_file"))
        self.ca_file.setObjectName("serverCaFile")
        self.ca_file.setPlaceholderText("the partnership's ca.crt")
        self.ca_button = QPushButton("C&hoose…")
        self.ca_button.setObjectName("chooseCaFile")
        self.ca_button.clicked.connect(self.choose_ca_file)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.ca_button)
        self.password = QLineEdit()
        self.password.setObjectName("serverPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Remember in the system &keyring")
        self.remember.setObjectName("rememberPassword")
        self.remember.setToolTip("Otherwise the password is never stored: type it each time")
        self.remember.toggled.connect(self._remember_toggled)
        for text, widget in (("&Host:", self.host), ("P&ort:", self.port),
                             ("&Database:", self.database), ("&User name:", self.user),
                             ("CA cer&tificate:", ca_row), ("&Password:", self.password)):
            lab = QLabel(text)
            lab.setBuddy(self.ca_file if widget is ca_row else widget)
            form.addRow(lab, widget)
        form.addRow("", self.remember)
        col.addLayout(form)
        self.keyring_note = QLabel()
        self.keyring_note.setObjectName("keyringNote")
        self.keyring_note.setWordWrap(True)
        set_role(self.keyring_note, "muted")
        self.keyring_note.hide()
        col.addWidget(self.keyring_note)
        self.error = QLabel()
        self.error.setObjectName("connectError")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        col.addWidget(self.error)
        self.busy = QProgressBar()
        self.busy.setObjectName("connectBusy")
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.hide()
        col.addWidget(self.busy)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.connect_button.setText("&Connect")
        self.connect_button.setObjectName("connectButton")
        self.buttons.accepted.connect(self.connect_now)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        for w in (self.host, self.database, self.user, self.ca_file, self.password):
            w.textEdited.connect(lambda _: self.error.hide())
        self.setMinimumWidth(520)
        if address is not None:
            self.fill(address)
        self.focus_default()

    # -- fields ---------------------------------------------------------------------------
    def fill(self, address) -> None:
        """Fill in a known server (a recent entry); the password is asked for, or read from
        the keyring when the user chose to keep it there."""
        self.host.setText(address.host)
        self.port.setValue(address.port)
        self.database.setText(address.database)
        self.user.setText(address.user)
        if address.ca_file:
            self.ca_file.setText(address.ca_file)
        from ...services.team import remembered_password
        self.ctx.runner.run(lambda: remembered_password(address), self._recalled,
                            lambda exc: None, label="read the keyring")

    def _recalled(self, password: str | None) -> None:
        if password and not self.password.text() and not self._busy:
            self.password.setText(password)
            self._from_keyring = True
            self.remember.blockSignals(True)
            self.remember.setChecked(True)
            self.remember.blockSignals(False)
            self.connect_button.setFocus()

    def address(self):
        from ...store.server import ServerAddress
        return ServerAddress(host=self.host.text().strip(), port=self.port.value(),
                             database=self.database.text().strip() or DEFAULT_DATABASE,
                             user=self.user.text().strip(), ca_file=self.ca_file.text().strip())

    def focus_default(self) -> None:
        for w in (self.host, self.user, self.ca_file, self.password):
            if not w.text().strip():
                w.setFocus()
                return
        self.password.setFocus()

    def choose_ca_file(self) -> None:
        dialog = QFileDialog(self, "The partnership's CA certificate")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Certificates (*.crt *.pem *.cer)", "All files (*)"])
        current = Path(self.ca_file.text().strip()).expanduser()
        dialog.setDirectory(str(current.parent if current.parent.is_dir() else Path.home()))
        dialog.fileSelected.connect(self._ca_chosen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.ca_dialog = dialog
        dialog.open()

    def _ca_chosen(self, path: str) -> None:
        if path:
            self.ca_file.setText(path)
            self.settings.set("server/ca_file", path)
            self.error.hide()
            self.focus_default()

    def _remember_toggled(self, on: bool) -> None:
        self.keyring_note.hide()
        if not on:
            return
        from ...services.team import NO_KEYRING, keyring_available
        if not keyring_available():
            self.remember.blockSignals(True)
            self.remember.setChecked(False)
            self.remember.blockSignals(False)
            self.keyring_note.setText(NO_KEYRING)
            self.keyring_note.show()

    # -- connecting -----------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy.setVisible(busy)
        for w in (self.host, self.port, self.database, self.user, self.ca_file, self.ca_button,
                  self.password, self.remember, self.connect_button):
            w.setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(not busy)

    def connect_now(self) -> None:
        if self._busy:
            return
        missing = [(w, text) for w, text in (
            (self.host, "Type the server's host name."),
            (self.user, "Type your user name (your login on the server)."),
            (self.ca_file, "Choose the partnership's CA certificate file (Choose…)."),
            (self.password, "Type your password.")) if not w.text().strip()]
        if missing:
            widget, text = missing[0]
            self.show_error(text)
            widget.setFocus()
            return
        address = self.address()
        if not Path(address.ca_file).expanduser().is_file():
            self.show_error(f"The CA certificate file {Path(address.ca_file).name} cannot be "
                            "found: choose it again.")
            self.ca_file.setFocus()
            return
        self.settings.set("server/ca_file", address.ca_file)
        password = self.password.text()
        remember = True if self.remember.isChecked() else (False if self._from_keyring else None)
        clock = self.clock
        self.error.hide()
        self.set_busy(True)
        from ...services.team import open_server
        self.ctx.runner.run(lambda: open_server(address, password, remember=remember, clock=clock),
                            lambda opened: self._connected(opened, address, password),
                            self._failed, label="connect to the server")

    def _connected(self, opened, address, password: str) -> None:
        self.set_busy(False)
        self.password.clear()
        self.accept()
        self.connected.emit(opened, address, password)

    def _failed(self, exc: BaseException) -> None:
        from ...store.errors import ServerRefused
        self.set_busy(False)
        if isinstance(exc, ServerRefused):
            self.show_error(str(exc).rstrip(".") + ".")
            text = str(exc).lower()
            if "certificate" in text or "ca " in text:
                self.ca_file.setFocus()
            else:
                self.password.setFocus()
                self.password.selectAll()
        elif isinstance(exc, DeterrenceError):
            self.show_error(readable(exc))
            self.focus_default()
        else:
            self.show_error("The server workspace could not be opened.")
            self.ctx.runner.unhandled_error.emit(exc)

    def reject(self) -> None:
        if self._busy:                   # the connection is on its way: wait for it
            return
        self.password.clear()
        super().reject()
