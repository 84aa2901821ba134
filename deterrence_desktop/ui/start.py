"""Before a workspace is open: the start screen and the new-workspace wizard.

The start screen lists recent workspaces (paths, and servers' addresses) and offers
to create a new workspace, open another file, connect to a server, or open the demo.
The wizard asks for the file location, the partnership (name, area, strategy), the
passphrase twice with a strength hint, and the first user; the workspace is created on
the database worker while the wizard shows that it is busy.
"""
from __future__ import annotations

import math
import string
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QProgressBar, QPushButton, QVBoxLayout, QWidget, QWizard, QWizardPage,
)

from .. import paths
from ..domain.enums import Strategy, label
from ..domain.errors import DeterrenceError, ValidationError, readable
from ..domain.model import Partnership, User
from ..store.cipher import MIN_PASSPHRASE

SUFFIX = ".ddw"      # store.workspace.SUFFIX, without loading the database stack at start
from .context import AppContext
from .settings import is_server_entry
from .style import app_icon, set_role
from .team.recent import server_item


class StartScreen(QWidget):
    """Recent workspaces, and the ways to open or create one."""

    open_path = Signal(str)         # a recent or chosen workspace: go to the unlock screen
    new_requested = Signal()
    demo_requested = Signal()
    server_requested = Signal(str)  # "Connect to a server…" ("") or a recent server's address

    def __init__(self, recent: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("startScreen")
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        col = QVBoxLayout()
        col.addStretch(1)
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        head.addWidget(icon)
        titles = QVBoxLayout()
        title = QLabel("Deterrence Desktop")
        set_role(title, "heading")
        titles.addWidget(title)
        tagline = QLabel("Encrypted case coordination for a focused-deterrence partnership.\n"
                         "Everything stays in one encrypted workspace file on this computer, "
                         "or on your partnership's server.")
        set_role(tagline, "muted")
        titles.addWidget(tagline)
        head.addLayout(titles, 1)
        col.addLayout(head)
        col.addSpacing(18)
        recent_label = QLabel("&Recent workspaces")
        set_role(recent_label, "subheading")
        col.addWidget(recent_label)
        self.recent = QListWidget()
        self.recent.setObjectName("recentWorkspaces")
        self.recent.setMinimumWidth(520)
        self.recent.setMaximumHeight(200)
        self.recent.itemActivated.connect(self._activated)
        recent_label.setBuddy(self.recent)
        col.addWidget(self.recent)
        self.no_recent = QLabel("No recent workspaces. Create one, open a workspace file, or connect "
                                "to a server.")
        set_role(self.no_recent, "muted")
        col.addWidget(self.no_recent)
        buttons = QHBoxLayout()
        self.new_button = QPushButton("&New workspace…")
        self.new_button.setObjectName("newWorkspace")
        self.new_button.clicked.connect(self.new_requested)
        self.open_button = QPushButton("&Open a workspace file…")
        self.open_button.setObjectName("openWorkspace")
        self.open_button.clicked.connect(self.choose_file)
        self.demo_button = QPushButton("Try the &demo (fictional people)")
        self.demo_button.setObjectName("openDemo")
        self.demo_button.clicked.connect(self.demo_requested)
        self.server_button = QPushButton("&Connect to a server…")
        self.server_button.setObjectName("connectServer")
        self.server_button.setToolTip("Open the partnership's shared workspace on its server, "
                                      "with your own login")
        self.server_button.clicked.connect(lambda: self.server_requested.emit(""))
        for b in (self.new_button, self.open_button, self.server_button, self.demo_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        col.addSpacing(8)
        col.addLayout(buttons)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.busy_label = QLabel()
        set_role(self.busy_label, "muted")
        self.busy_label.hide()
        col.addWidget(self.busy_label)
        col.addWidget(self.busy)
        col.addStretch(2)
        outer.addLayout(col)
        outer.addStretch(1)
        self.set_recent(recent)

    def _activated(self, item: QListWidgetItem) -> None:
        entry = item.data(Qt.ItemDataRole.UserRole)
        (self.server_requested if is_server_entry(entry) else self.open_path).emit(entry)

    def set_recent(self, recent: list[str]) -> None:
        self.recent.clear()
        for path in recent:
            if is_server_entry(path):
                self.recent.addItem(server_item(path))
                continue
            p = Path(path)
            item = QListWidgetItem(f"{p.name}    —    {p.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(p))
            if not p.exists():
                item.setText(f"{p.name}    —    {p.parent}   (not found)")
                item.setForeground(Qt.GlobalColor.gray)
            self.recent.addItem(item)
        self.recent.setVisible(bool(recent))
        self.no_recent.setVisible(not recent)
        if recent:
            self.recent.setCurrentRow(0)

    def set_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_label.setVisible(bool(text))
        self.busy.setVisible(bool(text))
        for b in (self.new_button, self.open_button, self.server_button, self.demo_button,
                  self.recent):
            b.setEnabled(not text)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a workspace", str(paths.workspaces_dir()),
            f"Deterrence Desktop workspaces (*{SUFFIX});;All files (*)")
        if path:
            self.open_path.emit(path)

    def focus_default(self) -> None:
        (self.recent if self.recent.isVisible() else self.new_button).setFocus()


def passphrase_strength(text: str) -> tuple[int, str]:
    """A rough 0-4 score and a hint. Words count as words (about 12 bits each, as if
    drawn from a large list), not as strings of letters; a few unrelated words are best."""
    if not text:
        return 0, f"At least {MIN_PASSPHRASE} characters. A few unrelated words are easy to remember."
    if len(text) < MIN_PASSPHRASE:
        return 0, f"Too short: use at least {MIN_PASSPHRASE} characters."
    words = text.split()
    if len(words) >= 2 and all(w.isalpha() for w in words):
        bits = 12.5 * len(set(w.casefold() for w in words))
    else:
        pools = 0
        if any(c.islower() for c in text):
            pools += 26
        if any(c.isupper() for c in text):
            pools += 26
        if any(c.isdigit() for c in text):
            pools += 10
        if any(c in string.punctuation or c == " " for c in text):
            pools += 33
        if any(ord(c) > 127 for c in text):
            pools += 50
        bits = min(len(text), len(set(text)) * 2) * math.log2(max(pools, 2))
    if bits < 30:
        return 1, "Weak: add another word or two."
    if bits < 45:
        return 2, "Fair: one more unrelated word makes it much harder to guess."
    if bits < 60:
        return 3, "Good."
    return 4, "Strong."


class _LocationPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("Where to keep the workspace")
        self.setSubTitle("One encrypted file holds everything. Keep it on this computer or an "
                         "encrypted drive your organisation approves; back it up like any file.")
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit(str(paths.workspaces_dir() / f"partnership{SUFFIX}"))
        self.path.setObjectName("wizardPath")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        lab = QLabel("&File:")
        lab.setBuddy(self.path)
        form.addRow(lab, row)
        self.error = QLabel()
        set_role(self.error, "error")
        self.error.setWordWrap(True)
        form.addRow("", self.error)
        self.path.textChanged.connect(lambda: self.error.setText(""))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New workspace file", self.path.text(),
                                              f"Deterrence Desktop workspaces (*{SUFFIX})")
        if path:
            self.path.setText(path)

    def file_path(self) -> Path:
        text = self.path.text().strip()
        p = Path(text).expanduser()
        if text and p.suffix != SUFFIX:
            p = p.with_name(p.name + SUFFIX)
        return p

    def validatePage(self) -> bool:
        p = self.file_path()
        if not self.path.text().strip():
            self.error.setText("Choose a file name.")
        elif p.exists():
            self.error.setText(f"{p.name} already exists: choose another name.")
        elif not p.parent.is_dir():
            self.error.setText("That folder does not exist.")
        else:
            return True
        return False


class _PartnershipPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("The partnership")
        self.setSubTitle("Its name and area appear on letters and exports.")
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.name.setObjectName("wizardPartnershipName")
        self.area = QLineEdit()
        self.area.setObjectName("wizardArea")
        self.strategy = QComboBox()
        self.strategy.setObjectName("wizardStrategy")
        for s in Strategy:
            self.strategy.addItem(label(s), s)
        self.errors = {}
        for text, w, key in (("Partnership &name:", self.name, "name"), ("&Area:", self.area, "area"),
                             ("&Strategy:", self.strategy, "strategy")):
            lab = QLabel(text)
            lab.setBuddy(w)
            form.addRow(lab, w)
            err = QLabel()
            set_role(err, "error")
            err.hide()
            form.addRow("", err)
            self.errors[key] = err

    def partnership(self) -> Partnership:
        return Partnership(name=self.name.text().strip(), area=self.area.text().strip(),
                           strategy=self.strategy.currentData())

    def validatePage(self) -> bool:
        try:
            self.partnership().validate()
        except ValidationError as exc:
            for key, lab in self.errors.items():
                msg = exc.errors.get(key, "")
                lab.setText(msg.capitalize())
                lab.setVisible(bool(msg))
            return False
        return True


class _PassphrasePage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("The workspace passphrase")
        self.setSubTitle("It encrypts the whole file. Nobody, including support, can recover a "
                         "forgotten passphrase: agree with your partnership where it is kept.")
        form = QFormLayout(self)
        self.first = QLineEdit()
        self.first.setObjectName("wizardPassphrase")
        self.first.setEchoMode(QLineEdit.EchoMode.Password)
        self.second = QLineEdit()
        self.second.setObjectName("wizardPassphrase2")
        self.second.setEchoMode(QLineEdit.EchoMode.Password)
        lab1, lab2 = QLabel("&Passphrase:"), QLabel("&Repeat it:")
        lab1.setBuddy(self.first)
        lab2.setBuddy(self.second)
        form.addRow(lab1, self.first)
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(8)
        form.addRow("", self.meter)
        self.hint = QLabel()
        self.hint.setObjectName("strengthHint")
        set_role(self.hint, "muted")
        form.addRow("", self.hint)
        form.addRow(lab2, self.second)
        self.error = QLabel()
        set_role(self.error, "error")
        form.addRow("", self.error)
        self.first.textChanged.connect(self._update)
        self.second.textChanged.connect(lambda: self.error.setText(""))
        self._update("")

    def _update(self, text: str) -> None:
        score, hint = passphrase_strength(text)
        self.meter.setValue(score)
        self.hint.setText(hint)
        self.error.setText("")

    def validatePage(self) -> bool:
        from ..store.workspace import check_new_passphrase
        try:
            check_new_passphrase(self.first.text())
        except DeterrenceError as exc:
            self.error.setText(str(exc))
            return False
        if self.first.text() != self.second.text():
            self.error.setText("The two passphrases differ.")
            return False
        return True


class _UserPage(QWizardPage):
    def __init__(self):
        super().__init__()
        self.setTitle("The first user")
        self.setSubTitle("The partnership's coordinator, who adds the rest of the team later.")
        form = QFormLayout(self)
        self.username = QLineEdit()
        self.username.setObjectName("wizardUsername")
        self.username.setPlaceholderText("e.g. j.smith")
        self.display = QLineEdit()
        self.display.setObjectName("wizardDisplayName")
        self.errors = {}
        for text, w, key in (("&User name:", self.username, "username"),
                             ("&Display name:", self.display, "display_name")):
            lab = QLabel(text)
            lab.setBuddy(w)
            form.addRow(lab, w)
            err = QLabel()
            set_role(err, "error")
            err.hide()
            form.addRow("", err)
            self.errors[key] = err
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.busy.hide()
        form.addRow("", self.busy)
        self.general = QLabel()
        set_role(self.general, "error")
        self.general.setWordWrap(True)
        form.addRow("", self.general)

    def user(self) -> User:
        return User(username=self.username.text().strip(), display_name=self.display.text().strip())

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, lab in self.errors.items():
            msg = errors.get(key, "")
            lab.setText(msg[:1].upper() + msg[1:])
            lab.setVisible(bool(msg))

    def validatePage(self) -> bool:
        try:
            self.user().validate()
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return False
        self.show_errors({})
        return True


class NewWorkspaceWizard(QWizard):
    """Create a workspace; ``created(services, path)`` when it is open and signed in."""

    created = Signal(object, str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, today=None):
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        self.setObjectName("newWorkspaceWizard")
        self.setWindowTitle("New workspace")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.location = _LocationPage()
        self.partnership_page = _PartnershipPage()
        self.passphrase_page = _PassphrasePage()
        self.user_page = _UserPage()
        for page in (self.location, self.partnership_page, self.passphrase_page, self.user_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Create workspace")
        self._creating = False
        self.resize(620, 440)

    def accept(self) -> None:
        """Finish: create the workspace on the worker, then close."""
        if self._creating:
            return
        if not self.currentPage().validatePage():
            return
        from ..services.app import WorkspaceServices
        path = self.location.file_path()
        passphrase = self.passphrase_page.first.text()
        partnership = self.partnership_page.partnership()
        user = self.user_page.user()
        today = self.today

        def create():
            from ..security.writer_lock import WriterLock, attach
            lock = WriterLock(path).acquire()          # this copy is the file's one writer
            try:
                app = WorkspaceServices.create_workspace(path, passphrase, partnership, user)
            except BaseException:
                lock.release()
                raise
            attach(app.workspace, lock)
            if today is not None:
                app = WorkspaceServices(app.workspace, app.actor, today)
            return app
        self._creating = True
        self.user_page.busy.show()
        self.user_page.general.setText("")
        for b in (QWizard.WizardButton.FinishButton, QWizard.WizardButton.BackButton,
                  QWizard.WizardButton.CancelButton):
            self.button(b).setEnabled(False)
        self.ctx.runner.run(create, lambda app: self._created(app, path), self._failed,
                            label="create workspace")

    def _created(self, services, path: Path) -> None:
        self._creating = False
        self.user_page.busy.hide()
        self.passphrase_page.first.clear()
        self.passphrase_page.second.clear()
        super().accept()
        self.created.emit(services, str(path))

    def _failed(self, exc: BaseException) -> None:
        self._creating = False
        self.user_page.busy.hide()
        for b in (QWizard.WizardButton.FinishButton, QWizard.WizardButton.BackButton,
                  QWizard.WizardButton.CancelButton):
            self.button(b).setEnabled(True)
        if isinstance(exc, ValidationError):
            self.user_page.show_errors(exc.errors)
            self.user_page.general.setText(readable(exc))
        elif isinstance(exc, DeterrenceError):
            self.user_page.general.setText(str(exc))
        else:
            self.user_page.general.setText("The workspace could not be created.")
            self.ctx.runner.unhandled_error.emit(exc)
