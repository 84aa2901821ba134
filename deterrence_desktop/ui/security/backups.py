"""The backups dialog: the list, back up now, verify one, and restore one after a
confirmation (the current file is kept aside; the workspace stays open on the
restored content, and every page reloads)."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from .common import confirm_destructive, record_table
from ..context import AppContext
from ..errors import show_failure
from ..models import Column, RowsModel, fmt_date
from ..style import set_role


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{max(1, n // 1024)} KB"


COLUMNS = [
    Column("Made", lambda b: fmt_date(b.made_at), lambda b: b.made_at),
    Column("File", lambda b: b.name, lambda b: b.name),
    Column("Size", lambda b: _size(b.size), lambda b: b.size, align_right=True),
]


class BackupsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, confirm=None):
        super().__init__(parent)
        self.ctx = ctx
        # confirm(text) -> bool: a question box; tests pass their own answer.
        self._confirm = confirm or self._ask
        self.setObjectName("backupsDialog")
        self.setWindowTitle("Backups")
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        self.folder_label = QLabel()
        self.folder_label.setObjectName("backupFolder")
        self.folder_label.setWordWrap(True)
        set_role(self.folder_label, "muted")
        layout.addWidget(self.folder_label)
        self.model = RowsModel(COLUMNS, parent=self)
        self.table = record_table(self.model, "backupsTable")
        layout.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setObjectName("backupStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.backup_button = QPushButton("&Back up now")
        self.backup_button.setObjectName("backupNow")
        self.verify_button = QPushButton("&Verify")
        self.restore_button = QPushButton("&Restore…")
        self.restore_button.setObjectName("restoreBackup")
        row.addWidget(self.backup_button)
        row.addWidget(self.verify_button)
        row.addStretch(1)
        row.addWidget(self.restore_button)
        layout.addLayout(row)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.backup_button.clicked.connect(self.backup_now)
        self.verify_button.clicked.connect(self.verify)
        self.restore_button.clicked.connect(self.restore)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._selection_changed()
        self.reload()

    def reload(self) -> None:
        self.ctx.call(lambda s: (s.backup.folder(), s.backup.list()), self._loaded,
                      lambda e: show_failure(self, e))

    def _loaded(self, result) -> None:
        folder, backups = result
        self.folder_label.setText(
            f"Encrypted backups in {folder}: the last 10 are kept, and one a week for 8 weeks. "
            "A backup opens with the workspace passphrase.")
        self.model.set_rows(backups)
        if backups and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._selection_changed()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def _selection_changed(self, *args) -> None:
        has = self.selected() is not None
        self.verify_button.setEnabled(has)
        self.restore_button.setEnabled(has)

    def _busy(self, text: str) -> None:
        self.status.setText(text)
        for b in (self.backup_button, self.verify_button, self.restore_button):
            b.setEnabled(False)

    def _idle(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        set_role(self.status, "error" if error else "muted")
        self.backup_button.setEnabled(True)
        self._selection_changed()

    def _failed(self, exc: BaseException) -> None:
        self._idle("")
        show_failure(self, exc)

    def backup_now(self) -> None:
        self._busy("Backing up and verifying…")

        def done(info):
            self._idle(f"Backed up and verified: {info.name}")
            self.reload()
        self.ctx.call(lambda s: s.backup.backup_now("manual"), done, self._failed, label="backup")

    def verify(self) -> None:
        b = self.selected()
        if b is None:
            return
        self._busy(f"Verifying {b.name}…")

        def done(state: str):
            if state == "good":
                self._idle(f"{b.name} opens and passes both integrity checks.")
            elif state.startswith("FAILS: "):
                self._idle(f"{b.name} failed its checks: {state[len('FAILS: '):]}", error=True)
            else:                   # left on the previous passphrase: not damaged
                self._idle(f"{b.name} {state}.")
        self.ctx.call(lambda s: s.backup.state(b.path), done, self._failed, label="verify backup")

    @staticmethod
    def _ask(parent, text: str) -> bool:
        return confirm_destructive(parent, "Restore a backup", text, "Restore")

    def restore(self) -> None:
        b = self.selected()
        if b is None:
            return
        text = (f"Replace the workspace with the backup made {fmt_date(b.made_at)}?\n\n"
                "Everything changed since then will no longer be in the workspace. The "
                "current file is kept aside beside it, so nothing is deleted.")
        if not self._confirm(self, text):
            return
        self._busy("Checking and restoring the backup…")

        def done(aside):
            self._idle(f"Restored {b.name}. The previous file was kept as {aside.name}.")
            self.ctx.undo_stack.clear()
            self.ctx.workspace_opened.emit()          # every page reloads its rows
            self.reload()
        self.ctx.call(lambda s: s.backup.restore(b.path), done, self._failed, label="restore")
