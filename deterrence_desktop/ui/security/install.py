"""Plug the trust features into the main window with one call: ``install(window)``.

Adds the Audit log page and Workspace menu entries (Users and roles, Backups,
Retention review), each shown only to roles that may use it; starts the hourly
backup check while a workspace is open; and queues the backup on close on the
database worker when the workspace locks or closes, ahead of the close itself.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from ...security.roles import Can, can
from ..audit.page import AuditLogPage
from .backups import BackupsDialog
from .guards import BackupScheduler
from .retention import RetentionDialog
from .users import UserManagementDialog

MENU = "&Workspace"


class SecurityFeatures(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self._services = None
        self.last_close_backup = None
        self.scheduler = BackupScheduler(self.ctx, self)
        self.audit_page = window.add_page("audit", AuditLogPage)
        add = window.add_menu_action
        self.users_action = add(MENU, "&Users and roles…", self.open_users, object_name="usersAction")
        self.backups_action = add(MENU, "&Backups…", self.open_backups, object_name="backupsAction")
        self.retention_action = add(MENU, "&Retention review…", self.open_retention,
                                    object_name="retentionAction")
        self.ctx.workspace_opened.connect(self._opened)
        self.ctx.workspace_locked.connect(self._locked)

    # -- roles ---------------------------------------------------------------------
    def _opened(self) -> None:
        self._services = self.ctx.services
        actor = self._services.actor
        self.users_action.setVisible(can(actor, Can.MANAGE_USERS))
        self.backups_action.setVisible(can(actor, Can.BACKUP_RESTORE))
        self.retention_action.setVisible(can(actor, Can.SEE_RETENTION_QUEUE))
        nav = self.window.nav
        for i in range(nav.count()):
            item = nav.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == "audit":
                item.setHidden(not can(actor, Can.SEE_AUDIT_LOG))

    def _locked(self) -> None:
        services, self._services = self._services, None
        if services is None or services.workspace.read_only:
            return
        # Queued now, so it runs on the worker before the close the window queues next.
        self.ctx.runner.run(services.backup.backup_on_close, self._backed_up,
                            self._backup_failed, label="backup on close")

    def _backed_up(self, info) -> None:
        self.last_close_backup = info

    def _backup_failed(self, exc: BaseException) -> None:
        self.ctx.status_message.emit(f"The backup on close failed: {exc}")

    # -- dialogs -------------------------------------------------------------------
    def open_users(self) -> None:
        UserManagementDialog(self.ctx, self.window).open()

    def open_backups(self) -> None:
        BackupsDialog(self.ctx, self.window).open()

    def open_retention(self) -> None:
        RetentionDialog(self.ctx, self.window).open()


def install(window) -> SecurityFeatures:
    """Add the trust features to a ``ui.main_window.MainWindow``."""
    features = SecurityFeatures(window)
    window.security = features
    return features
