"""The main window: start screen, unlock screen, and the workspace with its pages.

One window holds three screens (KeePassXC's way): the start screen, the
unlock screen, and the workspace (navigation on the left, pages on the right).
Locking drops the services and every page's rows, closes open dialogs (asking
whether to keep unsaved edits), closes the workspace on the database worker,
and shows the unlock screen; unlocking returns to the same page and record.

The pages are listed once, in :data:`PAGES`: each entry is a key and a
``Page`` subclass constructed as ``PageClass(ctx, parent)``; ``add_page``
replaces one in place.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import NamedTuple
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QDialog, QHBoxLayout, QInputDialog, QLabel, QListWidget, QListWidgetItem,
    QMainWindow, QMenu, QMessageBox, QProgressBar, QStackedWidget, QVBoxLayout, QWidget,
)

from .. import paths
from .context import AppContext
from .editors import edit_action
from .errors import ErrorReporter, show_failure
from .lists import ActionsPage, GroupsPage, PartnersPage, PeoplePage
from .page import Page
from .password import PasswordBanner
from .settings import AppSettings, is_server_entry
from .start import NewWorkspaceWizard, StartScreen
from .style import set_role
from .team.install import install as install_team
from .unlock import IdleLock, UnlockScreen

APP_TITLE = "Deterrence Desktop"


class Deferred(NamedTuple):
    """A feature page whose module (and the services, reportlab and openpyxl behind it)
    is imported on the database worker after the window shows, not before."""
    title: str
    module: str             # relative to deterrence_desktop.ui
    name: str

    def load(self) -> type[Page]:
        return getattr(importlib.import_module(f"deterrence_desktop.ui.{self.module}"), self.name)


class PendingPage(Page):
    """Stands in a feature page's place for the moment its module loads."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        col = QVBoxLayout(self)
        text = QLabel("Loading…")
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(text, "empty")
        col.addWidget(text)


def pending(title: str) -> type[Page]:
    return type("PendingPage", (PendingPage,), {"title": title})


# The navigation, in order.
PAGES: list[tuple[str, type[Page] | Deferred]] = [
    ("people", PeoplePage),
    ("groups", GroupsPage),
    ("partners", PartnersPage),
    ("actions", ActionsPage),
    ("board", Deferred("Action board", "board.page", "BoardPage")),
    ("callins", Deferred("Call-ins", "callins.page", "CallInsPage")),
    ("communications", Deferred("Communications", "communications.page", "CommunicationsPage")),
    ("letters", Deferred("Letters", "letters.page", "LettersPage")),
    ("meetings", Deferred("Meetings", "meetings.page", "MeetingsPage")),
    ("evaluation", Deferred("Evaluation", "evaluation.page", "EvaluationPage")),
    ("audit", Deferred("Audit log", "audit.page", "AuditLogPage")),
    ("incidents", Deferred("Incidents", "incidents.page", "IncidentsPage")),
    ("group_audit", Deferred("Group audit", "group_audit.page", "GroupAuditPage")),
    ("network", Deferred("Network", "network.page", "NetworkPage")),
    ("release", Deferred("Release planner", "release.page", "ReleasePlannerPage")),
]
# Modules of features that add menus rather than pages; imported with the deferred pages.
FEATURE_MODULES = ("security.install", "trackers.menu", "trackers.dialogs",
                   "communications.dialog", "imports.menu", "imports.wizard",
                   "outcomes.menu", "outcomes.quick_entry")


def page_class(spec: type[Page] | Deferred) -> type[Page]:
    return spec.load() if isinstance(spec, Deferred) else spec


def _import_features() -> None:
    """On the worker: import every deferred page and feature module (no widget is made)."""
    for _key, spec in PAGES:
        if isinstance(spec, Deferred):
            spec.load()
    for module in FEATURE_MODULES:
        importlib.import_module(f"deterrence_desktop.ui.{module}")


# ctx.open_requested kinds -> the page that shows them
OPEN_KINDS = {"person": "people", "group": "groups", "partner": "partners",
              "meeting": "meetings", "incident": "incidents"}


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, settings: AppSettings | None = None, *, today=None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings or AppSettings()
        self.today = today
        self.path = ""
        self.username = ""
        self.demo_passphrase = ""
        self._resume: tuple[str, object] | None = None
        self._workspace_actions: list[QAction] = []
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_TITLE)
        self.errors = ErrorReporter(self)

        self.screens = QStackedWidget()
        self.setCentralWidget(self.screens)
        self.start = StartScreen(self.settings.recent_workspaces())
        self.start.open_path.connect(lambda p: self.show_unlock(p))
        self.start.new_requested.connect(self.new_workspace)
        self.start.demo_requested.connect(self.open_demo)
        self.unlock_screen = UnlockScreen(ctx, today=today)
        self.unlock_screen.unlocked.connect(self._on_unlocked)
        self.unlock_screen.back_requested.connect(self.show_start)
        self.work = QWidget()
        work_col = QVBoxLayout(self.work)
        work_col.setContentsMargins(0, 0, 0, 0)
        work_col.setSpacing(0)
        self.password_banner = PasswordBanner(ctx)
        work_col.addWidget(self.password_banner)
        self.unlock_screen.password_needed.connect(self.password_banner.offer)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        work_col.addLayout(row, 1)
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(190)
        self.nav.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.stack = QStackedWidget()
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.pages: dict[str, Page] = {}
        self._go_actions: dict[str, QAction] = {}
        for key, spec in PAGES:
            self.add_page(key, pending(spec.title) if isinstance(spec, Deferred) else spec)
        self.nav.currentRowChanged.connect(self._nav_changed)
        for w in (self.start, self.unlock_screen, self.work):
            self.screens.addWidget(w)
        self.team = install_team(self)          # server workspaces (issue 17)

        self._build_status_bar()
        self._build_menus()
        self.features_loaded = False
        ctx.runner.run(_import_features, lambda _: self._install_features(),
                       label="load features")
        self.idle = IdleLock(self.settings.idle_minutes, self)
        self.idle.idle.connect(lambda: self.lock(ask=False))
        ctx.status_message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        ctx.open_requested.connect(self.open_record)
        app = QGuiApplication.instance()
        if app is not None:
            app.applicationStateChanged.connect(self._app_state_changed)
        self._restore_geometry()
        self.show_start()

    # -- building ------------------------------------------------------------------------
    def add_page(self, key: str, cls: type[Page]) -> Page:
        """Add a page to the navigation, or replace the page already there under ``key``
        (a placeholder swapped for the real page keeps its place and shortcut)."""
        page = cls(self.ctx, self.stack)
        page.setObjectName(f"page_{key}")
        old = self.pages.get(key)
        if old is not None:
            index = self.stack.indexOf(old)
            self.stack.insertWidget(index, page)
            self.stack.removeWidget(old)
            old.deleteLater()
            item = self.nav.item(index)
            item.setText(page.title)
            action = self._go_actions.get(key)
            if action is not None:
                action.setText(page.title)
        else:
            self.stack.addWidget(page)
            item = QListWidgetItem(page.title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
            if hasattr(self, "_menus"):
                self._add_go_action(key, page.title, None)
        self.pages[key] = page
        if hasattr(page, "view_changed"):
            page.view_changed.connect(self._update_title)
        if hasattr(page, "add_contact_requested"):
            page.add_contact_requested.connect(self.add_contact)
        if self.nav.currentItem() is item:
            self.stack.setCurrentWidget(page)
        return page

    def _new_record(self) -> None:
        page = self.current_page()
        if getattr(page, "may_edit", lambda: True)():     # Ctrl+N offers only what the role may add
            page.new_record()

    def _install_features(self) -> None:
        """Swap the feature pages in for their stand-ins, and add the features that bring
        their own menus: trackers, and the trust features (users and roles, backups,
        retention review, backup on close). Their modules are already imported."""
        from .security.install import install as install_security
        from .imports.menu import install as install_imports
        from .outcomes.menu import install as install_outcomes
        from .trackers.menu import install as install_trackers
        for key, spec in PAGES:
            if isinstance(spec, Deferred):
                self.add_page(key, spec.load())
        install_trackers(self)
        install_imports(self)
        install_outcomes(self)
        install_security(self)
        self.features_loaded = True

    def page_keys(self) -> list[str]:
        return [self.nav.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.nav.count())]

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel()
        set_role(self.user_label, "muted")
        bar.addPermanentWidget(self.user_label)
        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("busyIndicator")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumSize(120, 10)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        bar.addPermanentWidget(self.busy_bar)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(250)       # quick calls never flash a busy bar
        self._busy_timer.timeout.connect(self.busy_bar.show)
        self.ctx.runner.busy_changed.connect(self._busy_changed)

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy_bar.hide()

    def add_menu_action(self, menu: str, text: str, slot: Callable[[], None],
                        shortcut: QKeySequence | str | QKeySequence.StandardKey | None = None,
                        *, needs_workspace: bool = True, object_name: str = "") -> QAction:
        """Add an action to ``menu`` (created if new); disabled while locked when
        ``needs_workspace``. Other features add their menu entries through this."""
        found = self._menus.get(menu)
        if found is None:
            help_menu = self._menus.get("&Help")
            if help_menu is not None:            # Help stays last
                found = QMenu(menu, self.menuBar())
                self.menuBar().insertMenu(help_menu.menuAction(), found)
            else:
                found = self.menuBar().addMenu(menu)
            self._menus[menu] = found
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut) if not isinstance(shortcut, QKeySequence) else shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if object_name:
            action.setObjectName(object_name)
        action.triggered.connect(lambda checked=False: slot())
        found.addAction(action)
        self.addAction(action)
        if needs_workspace:
            self._workspace_actions.append(action)
            action.setEnabled(self.ctx.unlocked)
        self._enable_menus(self.ctx.unlocked)
        return action

    def _build_menus(self) -> None:
        self._menus: dict[str, object] = {}
        self._undo_actions: tuple[QAction, ...] = ()
        add = self.add_menu_action
        add("&File", "&New workspace…", self.new_workspace, "Ctrl+Shift+N", needs_workspace=False)
        add("&File", "&Open workspace…", self.choose_workspace, QKeySequence.StandardKey.Open,
            needs_workspace=False)
        add("&File", "Connect to a &server…", lambda: self.team.open_dialog(),
            needs_workspace=False)
        self._menus["&File"].addSeparator()
        self.lock_action = add("&File", "&Lock", lambda: self.lock(ask=True), "Ctrl+L",
                               object_name="lockAction")
        add("&File", "&Close workspace", self.close_workspace, "Ctrl+Shift+W")
        add("&File", "Lock after &idle time…", self.choose_idle_minutes, needs_workspace=False)
        self._menus["&File"].addSeparator()
        add("&File", "&Quit", self.close, QKeySequence.StandardKey.Quit, needs_workspace=False)

        edit = self._menus["&Edit"] = self.menuBar().addMenu("&Edit")
        self.undo_action = self.ctx.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.ctx.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")])
        self._undo_actions = (self.undo_action, self.redo_action)
        for a in self._undo_actions:
            edit.addAction(a)
            self.addAction(a)
        edit.addSeparator()
        add("&Edit", "&New record…", self._new_record,
            QKeySequence.StandardKey.New)
        add("&Edit", "&Edit record…", lambda: self.current_page().edit_current(), "Ctrl+E")
        add("&Edit", "&Find", lambda: self.current_page().focus_search(), QKeySequence.StandardKey.Find)

        add("&Go", "&Navigation list", lambda: self.nav.setFocus(), "Alt+0")
        self._menus["&Go"].addSeparator()
        for n, key in enumerate(self.page_keys()):
            self._add_go_action(key, self.pages[key].title, f"Ctrl+{(n + 1) % 10}" if n < 10 else None)

        add("&Help", "&Keyboard shortcuts", self.show_shortcuts, "F1", needs_workspace=False)
        add("&Help", "&About Deterrence Desktop", self.show_about, needs_workspace=False)

    def _add_go_action(self, key: str, title: str, shortcut: str | None) -> None:
        self._go_actions[key] = self.add_menu_action("&Go", title, lambda k=key: self.go_to(k), shortcut)

    def _set_workspace_actions(self, enabled: bool) -> None:
        for a in self._workspace_actions:
            a.setEnabled(enabled)
        self._enable_menus(enabled)

    def _enable_menus(self, unlocked: bool) -> None:
        """A menu whose every entry needs an open workspace (Edit, Go, Workspace, …) is
        greyed out while it is locked, not only its entries."""
        for menu in self._menus.values():
            entries = [a for a in menu.actions() if not a.isSeparator()]
            needs = all(a in self._workspace_actions or a in self._undo_actions for a in entries)
            menu.menuAction().setEnabled(unlocked or not needs)

    # -- screens -------------------------------------------------------------------------
    def current_page(self) -> Page:
        return self.stack.currentWidget()

    def current_key(self) -> str:
        item = self.nav.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else self.page_keys()[0]

    def show_start(self) -> None:
        self.start.set_recent(self.settings.recent_workspaces())
        self.start.set_busy("")
        self.screens.setCurrentWidget(self.start)
        self.setWindowTitle(APP_TITLE)
        self.user_label.setText("")
        self.start.focus_default()

    def show_unlock(self, path: str, username: str | None = None, *, locked: bool = False) -> None:
        path = str(path)
        if is_server_entry(path):               # a server asks for its login's password
            self.team.show_locked(path)
            return
        demo = ""
        if Path(path) == paths.demo_workspace_path():
            from ..services.demo import DEMO_PASSPHRASE      # loaded by the warm-up already
            demo = self.demo_passphrase = DEMO_PASSPHRASE
        if username is None:
            username = "demo.coordinator" if demo else self.settings.get("unlock/last_username")
        self.path = path
        self.unlock_screen.prepare(path, username, demo_passphrase=demo, locked=locked)
        self.screens.setCurrentWidget(self.unlock_screen)
        self.setWindowTitle(f"{APP_TITLE} — {'Locked' if locked else 'Unlock'}")
        self.user_label.setText("")
        self.unlock_screen.focus_default()

    def go_to(self, key: str) -> Page:
        keys = self.page_keys()
        self.nav.setCurrentRow(keys.index(key) if key in keys else 0)
        return self.current_page()

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        self.stack.setCurrentIndex(row)
        self._update_title()

    def _update_title(self) -> None:
        if self.screens.currentWidget() is self.work:
            self.setWindowTitle(f"{APP_TITLE} — {self.current_page().window_title()}"
                                f"{self.team.title_suffix()}")

    # -- opening ---------------------------------------------------------------------------
    def choose_workspace(self) -> None:
        if self.ctx.unlocked and not self.close_workspace():
            return
        self.start.choose_file()

    def new_workspace(self) -> None:
        if self.ctx.unlocked and not self.close_workspace():
            return
        wizard = NewWorkspaceWizard(self.ctx, self, today=self.today)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.created.connect(lambda services, path: (
            self._on_unlocked(services, path, services.actor.username),
            self.password_banner.offer(services.actor.username)))
        self.wizard = wizard
        wizard.open()
        return wizard

    def open_demo(self) -> None:
        """Create the demo workspace on first use (off the GUI thread), then unlock it."""
        from ..services.demo import DEMO_PASSPHRASE, create_demo_workspace
        path = paths.demo_workspace_path()
        self.demo_passphrase = DEMO_PASSPHRASE
        if path.exists():
            self.show_unlock(str(path))
            return
        self.show_start()
        self.start.set_busy("Creating the demo workspace (fictional people)…")
        today = self.today

        def create():
            path.parent.mkdir(parents=True, exist_ok=True)
            app = create_demo_workspace(path, DEMO_PASSPHRASE, today=today)
            app.workspace.checkpoint()
            app.close()
            return str(path)

        def failed(exc):
            self.start.set_busy("")
            show_failure(self, exc, "Could not create the demo workspace", self.errors)
        self.ctx.runner.run(create, lambda p: (self.start.set_busy(""), self.show_unlock(p)),
                            failed, label="create demo")

    def _on_unlocked(self, services, path: str, username: str) -> None:
        self.path = str(path)
        self.username = username
        self.settings.add_recent(path)
        self.settings.set("unlock/last_username", username)
        self.ctx.set_services(services)
        self.screens.setCurrentWidget(self.work)
        self._set_workspace_actions(True)
        display = getattr(services.actor, "display_name", username)
        read_only = " (read-only)" if services.workspace.read_only else ""
        self.user_label.setText(f"Signed in as {display}{read_only}")
        resume, self._resume = self._resume, None
        if resume is not None and resume[0] in self.pages:
            page = self.go_to(resume[0])
            page.restore_view_state(resume[1])
        else:
            self.go_to(self.current_key())
        self._update_title()
        self.idle.set_minutes(self.settings.idle_minutes)
        self.idle.start()
        self.nav.setFocus()
        self._tell_notices(services.workspace.notices)

    def _tell_notices(self, notices: list[str]) -> None:
        """What opening set aside (a journal file that was not the workspace's own): said
        once, plainly, so nobody wonders where it went. Non-blocking."""
        if not notices:
            return
        box = QMessageBox(QMessageBox.Icon.Information, "A file was set aside",
                          "\n\n".join(notices), QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()

    def open_record(self, kind: str, record_id: int) -> None:
        if not self.ctx.unlocked:
            return
        if kind == "action":
            edit_action(self.ctx, self, record_id)
            return
        key = OPEN_KINDS.get(kind)
        if key is None:
            return
        self.go_to(key).open_record(record_id)

    def add_contact(self, person_id: int) -> None:
        """Record a communication with a person: two clicks from their page."""
        if not self.ctx.unlocked:
            return
        from .communications.dialog import CommunicationDialog
        dialog = CommunicationDialog(self.ctx, person_id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    # -- locking -----------------------------------------------------------------------------
    def open_dialogs(self) -> list[QWidget]:
        """Visible dialogs of this window, including any opened without a parent."""
        found = [d for d in self.findChildren(QDialog) if d.isVisible()]
        app = QApplication.instance()
        for w in app.topLevelWidgets() if app is not None else ():
            if isinstance(w, QDialog) and w.isVisible() and w not in found:
                found.append(w)
        return found

    def lock(self, ask: bool = True, *, to_start: bool = False) -> bool:
        """Lock the workspace. With ``ask``, unsaved edits in open dialogs are offered to be
        kept (saved) or discarded, or the lock cancelled; without (idle lock), they are kept
        when they can be saved. Returns False if cancelled or already locked.

        A dialog takes part by having ``is_dirty()``, ``save_before_lock()`` (queue its
        save on the worker; it runs before the workspace closes) and ``close_quietly()``;
        any other dialog is rejected. Pages drop their rows on ``ctx.workspace_locked``."""
        if not self.ctx.unlocked:
            return False
        dialogs = self.open_dialogs()
        keep: list[QWidget] = []
        for d in dialogs:
            dirty = getattr(d, "is_dirty", None)
            if not callable(dirty) or not dirty():
                continue
            if ask:
                answer = QMessageBox.question(
                    self, "Unsaved edits",
                    f"“{d.windowTitle()}” has edits that are not saved. Keep them (save) before "
                    "the workspace closes?",
                    QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                    | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
                if answer == QMessageBox.StandardButton.Cancel:
                    return False
                if answer == QMessageBox.StandardButton.Save:
                    keep.append(d)
            else:
                keep.append(d)
        for d in keep:
            saver = getattr(d, "save_before_lock", None)
            if callable(saver):
                saver()
        for d in self.open_dialogs():
            getattr(d, "close_quietly", d.reject)()
        clipboard = QGuiApplication.clipboard()
        if clipboard.ownsClipboard():          # text copied from a page leaves with the lock
            clipboard.clear()
        self._resume = (self.current_key(), self.current_page().view_state())
        services = self.ctx.services
        self.ctx.drop_services()
        # The connection belongs to the worker thread: close it there, after queued saves.
        self.ctx.runner.run(services.close, label="lock",
                            on_failure=lambda e: self.errors.report(e))
        self.idle.stop()
        self._set_workspace_actions(False)
        if to_start:
            self._resume = None
            self.show_start()
        else:
            self.show_unlock(self.path, self.username, locked=True)
        return True

    def close_workspace(self) -> bool:
        if not self.ctx.unlocked:
            self.show_start()
            return True
        return self.lock(ask=True, to_start=True)

    def _app_state_changed(self, state) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended and self.ctx.unlocked:
            self.lock(ask=False)

    def choose_idle_minutes(self) -> None:
        minutes, ok = QInputDialog.getInt(
            self, "Lock after idle time", "Lock the workspace after this many minutes without "
            "keyboard or mouse use:", self.settings.idle_minutes, 1, 240)
        if ok:
            self.settings.set("lock/idle_minutes", minutes)
            self.idle.set_minutes(minutes)
            if self.ctx.unlocked:
                self.idle.start()

    # -- help ----------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        lines = ["Ctrl+L  Lock", "Ctrl+F  Search this list", "Ctrl+N  New record",
                 "Ctrl+E  Edit the selected record", "Ctrl+S  Save a form",
                 "Ctrl+Z / Ctrl+Shift+Z  Undo / redo an edit", "Enter  Open the selected record",
                 "Esc  Back to the list", "Down  From the search box into the list"]
        lines += [f"Ctrl+{(n + 1) % 10}  {self.pages[k].title}" for n, k in enumerate(self.page_keys()[:10])]
        lines.append("Alt+0  The navigation list")
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(lines))

    def show_about(self) -> None:
        QMessageBox.about(self, "About Deterrence Desktop",
                          "Deterrence Desktop\n\nOffline, encrypted case coordination for "
                          "focused-deterrence partnerships. Everything lives in one SQLCipher "
                          "workspace file; exports are marked OFFICIAL-SENSITIVE and audited.")

    # -- window ----------------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.settings.get("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 780)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """No larger than the screen's free area (a 1366x768 or 1280x720 laptop with its
        taskbar), leaving room for the title bar, so the status bar stays in view."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None or self.isMaximized() or self.isFullScreen():
            return
        free = screen.availableGeometry()
        frame = QSize(16, 40) if not self.isVisible() else \
            self.frameGeometry().size() - self.geometry().size()
        w = min(self.width(), free.width() - frame.width())
        h = min(self.height(), free.height() - frame.height())
        if (w, h) != (self.width(), self.height()):
            self.resize(max(w, self.minimumSizeHint().width()),
                        max(h, self.minimumSizeHint().height()))

    def closeEvent(self, event) -> None:
        if self.ctx.unlocked:
            if not self.lock(ask=True, to_start=True):
                event.ignore()
                return
            try:
                self.ctx.runner.call_sync(lambda: None, timeout_ms=15_000)   # let the close finish
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        self.settings.set("window/geometry", self.saveGeometry())
        self.idle.stop()
        super().closeEvent(event)
