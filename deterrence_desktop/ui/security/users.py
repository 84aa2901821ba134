"""User management for coordinators: add a user with a role (and partner), set a
personal password, change a role, deactivate. Every call goes through ``ctx.call``;
the services refuse anyone but a coordinator anyway."""
from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QInputDialog,
    QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget,
)

from ...domain.enums import Role, label
from ...domain.errors import ValidationError
from ...domain.model import User
from .common import record_table
from ..context import AppContext
from ..errors import show_failure
from ..models import Column, RowsModel, text_column
from ..style import set_role


@dataclass(frozen=True)
class UserLine:
    id: int
    username: str
    display_name: str
    role: str
    partner: str
    active: bool
    password: bool
    user: User


COLUMNS = [
    text_column("User name", "username"),
    text_column("Name", "display_name"),
    Column("Role", lambda r: label(r.role), lambda r: r.role),
    text_column("Partner", "partner"),
    Column("Active", lambda r: "yes" if r.active else "no", lambda r: r.active),
    Column("Password", lambda r: "set" if r.password else "not set", lambda r: r.password),
]


def _fetch(services):
    users = services.users.list()
    passwords = services.users.password_set()
    partners = services.partners.all()
    names = {p.id: p.name for p in partners}
    lines = [UserLine(u.id, u.username, u.display_name, u.role.value,
                      names.get(u.partner_id, ""), u.active, passwords.get(u.username, False), u)
             for u in users]
    return lines, [(p.id, p.name) for p in partners]


class PasswordDialog(QDialog):
    def __init__(self, username: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Set password")
        form = QFormLayout(self)
        form.addRow(QLabel(f"A personal password for {username}:"))
        self.first = QLineEdit()
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit()
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&Password:", self.first)
        form.addRow("&Repeat:", self.second)
        self.error = QLabel()
        set_role(self.error, "error")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _check(self) -> None:
        if self.first.text() != self.second.text():
            self.error.setText("The two passwords differ.")
            return
        self.accept()

    def password(self) -> str:
        return self.first.text()


class UserManagementDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("userManagementDialog")
        self.setWindowTitle("Users and roles")
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        intro = QLabel("Each member of the team signs in as themselves. Coordinators manage "
                       "users and partners; analysts read everything and edit groups and "
                       "cohorts; partner officers see and update their own agency's actions.")
        intro.setWordWrap(True)
        set_role(intro, "muted")
        layout.addWidget(intro)

        self.model = RowsModel(COLUMNS, parent=self)
        self.table = record_table(self.model, "usersTable")
        layout.addWidget(self.table, 1)

        row = QHBoxLayout()
        self.password_button = QPushButton("Set &password…")
        self.role_button = QPushButton("Change &role…")
        self.active_button = QPushButton("&Deactivate")
        for b in (self.password_button, self.role_button, self.active_button):
            b.setEnabled(False)
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self.password_button.clicked.connect(self.set_password)
        self.role_button.clicked.connect(self.change_role)
        self.active_button.clicked.connect(self.toggle_active)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

        box = QGroupBox("Add a user")
        form = QFormLayout(box)
        self.username = QLineEdit()
        self.username.setObjectName("newUsername")
        self.display_name = QLineEdit()
        self.display_name.setObjectName("newDisplayName")
        self.role = QComboBox()
        self.role.setObjectName("newRole")
        for r in Role:
            self.role.addItem(label(r), r.value)
        self.partner = QComboBox()
        self.partner.setObjectName("newPartner")
        self.new_password = QLineEdit()
        self.new_password.setObjectName("newPassword")
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("newPasswordRepeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("User &name:", self.username)
        form.addRow("&Full name:", self.display_name)
        form.addRow("R&ole:", self.role)
        form.addRow("Pa&rtner:", self.partner)
        form.addRow("Pass&word:", self.new_password)
        form.addRow("Re&peat:", self.repeat)
        self.form_error = QLabel()
        self.form_error.setObjectName("userFormError")
        self.form_error.setWordWrap(True)
        set_role(self.form_error, "error")
        form.addRow(self.form_error)
        self.add_button = QPushButton("&Add user")
        self.add_button.setObjectName("addUser")
        self.add_button.clicked.connect(self.add_user)
        form.addRow(self.add_button)
        layout.addWidget(box)
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        if ctx.services is not None and ctx.services.actor.role != Role.COORDINATOR:
            box.setEnabled(False)
            self.table.setEnabled(False)
        self.reload()

    # -- loading -------------------------------------------------------------------
    def reload(self) -> None:
        self.ctx.call(_fetch, self._loaded, lambda e: show_failure(self, e))

    def _loaded(self, result) -> None:
        lines, partners = result
        self.model.set_rows(lines)
        current = self.partner.currentData()
        self.partner.clear()
        self.partner.addItem("(none)", None)
        for pid, name in partners:
            self.partner.addItem(name, pid)
        if current is not None:
            self.partner.setCurrentIndex(max(0, self.partner.findData(current)))
        self._selection_changed()

    def selected(self) -> UserLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def _selection_changed(self, *args) -> None:
        line = self.selected()
        for b in (self.password_button, self.role_button, self.active_button):
            b.setEnabled(line is not None)
        if line is not None:
            self.active_button.setText("&Deactivate" if line.active else "&Activate")

    def _role_changed(self) -> None:
        self.partner.setEnabled(self.role.currentData() == Role.PARTNER_OFFICER.value)

    # -- actions ---------------------------------------------------------------------
    def add_user(self) -> None:
        self.form_error.setText("")
        if self.new_password.text() != self.repeat.text():
            self.form_error.setText("The two passwords differ.")
            return
        role = Role(self.role.currentData())
        user = User(username=self.username.text().strip(),
                    display_name=self.display_name.text().strip(), role=role,
                    partner_id=self.partner.currentData() if role == Role.PARTNER_OFFICER else None)
        password = self.new_password.text() or None
        self.add_button.setEnabled(False)

        def done(_):
            self.add_button.setEnabled(True)
            for w in (self.username, self.display_name, self.new_password, self.repeat):
                w.clear()
            self.ctx.data_changed.emit("user")
            self.reload()

        def failed(exc):
            self.add_button.setEnabled(True)
            if isinstance(exc, ValidationError):      # keep what was typed; say what is wrong
                self.form_error.setText(str(exc))
            else:
                show_failure(self, exc, "Could not add the user")

        self.ctx.call(lambda s: s.users.create(user, password), done, failed, label="add user")

    def set_password(self) -> None:
        line = self.selected()
        if line is None:
            return
        dialog = PasswordDialog(line.username, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        password = dialog.password()
        self.ctx.call(lambda s: s.users.set_password(line.username, password),
                      lambda _: self.reload(), lambda e: show_failure(self, e, "Password not set"))

    def change_role(self) -> None:
        line = self.selected()
        if line is None:
            return
        labels = [label(r) for r in Role]
        choice, ok = QInputDialog.getItem(self, "Change role", f"Role of {line.username}:",
                                          labels, labels.index(label(line.role)), False)
        if not ok:
            return
        role = list(Role)[labels.index(choice)]
        partner_id = line.user.partner_id
        if role == Role.PARTNER_OFFICER and partner_id is None:
            partner_id = self.partner.currentData()
        user = replace(line.user, role=role,
                       partner_id=partner_id if role == Role.PARTNER_OFFICER else None)
        self.ctx.call(lambda s: s.users.update(user), lambda _: self.reload(),
                      lambda e: show_failure(self, e, "Role not changed"))

    def toggle_active(self) -> None:
        line = self.selected()
        if line is None:
            return
        user = replace(line.user, active=not line.active)
        self.ctx.call(lambda s: s.users.update(user), lambda _: self.reload(),
                      lambda e: show_failure(self, e, "Not changed"))
