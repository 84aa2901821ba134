"""Drive the app as a person does: find what is on the screen by its visible text, click
it, type into it, accept the dialog. Journey tests use only these, never a page's
methods with arguments.

Every finder waits (the database work runs on the worker) and fails with a list of
what *was* visible, so a failing journey says what the user would have seen.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QApplication, QComboBox,
                               QDialog, QLabel, QLineEdit, QMenu, QPlainTextEdit, QTabBar,
                               QTextEdit, QWidget)

WAIT = 20_000          # ms; each wait ends as soon as its condition holds
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots" / "journeys"


def plain(text: str) -> str:
    """Visible text without the mnemonic '&' and with spaces folded."""
    return re.sub(r"\s+", " ", text.replace("&&", "\x00").replace("&", "").replace("\x00", "&")).strip()


def _matches(have: str, want: str | re.Pattern) -> bool:
    if isinstance(want, re.Pattern):
        return bool(want.search(plain(have)))
    return plain(have) == plain(want)


def _showing(w: QWidget) -> bool:
    return w.isVisible() and w.isEnabled()


def top_windows() -> list[QWidget]:
    """Visible top-level windows, the active modal dialog first."""
    app = QApplication.instance()
    tops = [w for w in app.topLevelWidgets() if w.isVisible()]
    modal = app.activeModalWidget()
    if modal is not None and modal in tops:
        tops.remove(modal)
        tops.insert(0, modal)
    return tops


def visible_texts(root: QWidget | None = None) -> list[str]:
    roots = [root] if root is not None else top_windows()
    out = []
    for r in roots:
        for b in r.findChildren(QAbstractButton):
            if b.isVisible() and b.text():
                out.append(f"[{plain(b.text())}]")
    return out


def button(qtbot, text: str | re.Pattern, root: QWidget | None = None) -> QAbstractButton:
    """The visible, enabled button whose text is ``text`` (the active dialog is searched
    first, then every window)."""
    found: list[QAbstractButton] = []

    def look():
        found.clear()
        for r in ([root] if root is not None else top_windows()):
            for b in r.findChildren(QAbstractButton):
                if _showing(b) and _matches(b.text(), text):
                    found.append(b)
            if found:
                return True
        return False
    try:
        qtbot.waitUntil(look, timeout=WAIT)
    except Exception:
        raise AssertionError(f"no button {text!r} on screen; visible: {visible_texts(root)}") from None
    return found[0]


def press(qtbot, text: str | re.Pattern, root: QWidget | None = None) -> None:
    """Click the button a person sees as ``text``."""
    b = button(qtbot, text, root)
    qtbot.mouseClick(b, Qt.MouseButton.LeftButton)


def menu(qtbot, window, *path: str) -> None:
    """Choose a menu entry by its visible text: ``menu(qtbot, win, "File", "Back up now")``."""
    bar = window.menuBar()
    actions = bar.actions()
    action: QAction | None = None
    for i, name in enumerate(path):
        action = next((a for a in actions if a.isVisible() and _matches(a.text(), name)), None)
        assert action is not None, (f"no menu entry {name!r}; there are "
                                    f"{[plain(a.text()) for a in actions if a.text()]}")
        if i < len(path) - 1:
            sub = action.menu()
            assert sub is not None, f"{name!r} is not a menu"
            sub.aboutToShow.emit()          # menus that fill themselves when opened
            actions = sub.actions()
    assert action.isEnabled(), f"menu entry {path[-1]!r} is disabled"
    action.trigger()


def popup_entry(qtbot, text: str | re.Pattern) -> None:
    """Choose the entry ``text`` of the pop-up menu on screen (a context menu, Ctrl+M)."""
    found: list[QAction] = []

    def look():
        found.clear()
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMenu) and w.isVisible():
                found.extend(a for a in w.actions() if a.isEnabled() and _matches(a.text(), text))
        return bool(found)
    try:
        qtbot.waitUntil(look, timeout=WAIT)
    except Exception:
        shown = [plain(a.text()) for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMenu) and w.isVisible() for a in w.actions()]
        raise AssertionError(f"no menu entry {text!r} on screen; there are {shown}") from None
    menu = found[0].parent()
    found[0].trigger()
    if isinstance(menu, QMenu):
        menu.close()


def when_dialog(title: str | re.Pattern, act, cls=QDialog, wait_ms: int = WAIT) -> None:
    """Answer a dialog that is about to open with ``exec()`` (which blocks whoever opens it):
    once it shows, ``act(dialog)`` types into it and presses its buttons."""
    def poll(left: int = wait_ms // 20) -> None:
        for w in top_windows():
            if isinstance(w, cls) and _matches(w.windowTitle(), title):
                act(w)
                return
        if left > 0:
            QTimer.singleShot(20, lambda: poll(left - 1))
    QTimer.singleShot(0, poll)


def dialog(qtbot, title: str | re.Pattern | None = None, cls=QDialog) -> QDialog:
    """The open dialog (the modal one, or the newest visible one) with ``title``."""
    found: list[QDialog] = []

    def look():
        found.clear()
        for w in top_windows():
            if isinstance(w, cls) and (title is None or _matches(w.windowTitle(), title)):
                found.append(w)
        return bool(found)
    try:
        qtbot.waitUntil(look, timeout=WAIT)
    except Exception:
        raise AssertionError(f"no dialog {title!r}; windows: "
                             f"{[plain(w.windowTitle()) for w in top_windows()]}") from None
    return found[0]


def field(qtbot, root: QWidget, label: str | re.Pattern, cls=QWidget) -> QWidget:
    """The input a person finds next to the label ``label`` (a QLabel buddy or a form row),
    or whose placeholder text is ``label``."""
    hit: list[QWidget] = []

    def look():
        hit.clear()
        for lab in root.findChildren(QLabel):
            if lab.isVisible() and _matches(lab.text().rstrip(":"), label) and lab.buddy() is not None:
                hit.append(lab.buddy())
                return True
        for w in root.findChildren(cls):
            ph = getattr(w, "placeholderText", None)
            if w.isVisible() and callable(ph) and ph() and _matches(ph(), label):
                hit.append(w)
                return True
            acc = w.accessibleName()
            if w.isVisible() and acc and _matches(acc, label):
                hit.append(w)
                return True
        return False
    try:
        qtbot.waitUntil(look, timeout=WAIT)
    except Exception:
        labels = [plain(l.text()) for l in root.findChildren(QLabel) if l.isVisible() and l.text()]
        raise AssertionError(f"no field {label!r}; labels: {labels[:40]}") from None
    return hit[0]


def type_into(qtbot, widget: QWidget, text: str, *, replace: bool = True) -> None:
    """Type as a person does (select all first, when replacing)."""
    widget.setFocus()
    if isinstance(widget, QComboBox) and not widget.isEditable():
        choose(qtbot, widget, text)
        return
    if replace:
        if isinstance(widget, (QLineEdit,)):
            widget.selectAll()
            qtbot.keyClick(widget, Qt.Key.Key_Delete)
        elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
            widget.selectAll()
            qtbot.keyClick(widget, Qt.Key.Key_Delete)
        else:
            qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    target = widget.lineEdit() if isinstance(widget, QComboBox) and widget.isEditable() else widget
    qtbot.keyClicks(target, text)


def choose(qtbot, combo: QComboBox, text: str | re.Pattern) -> None:
    """Pick the combo entry shown as ``text``, the way the keyboard does."""
    items = [combo.itemText(i) for i in range(combo.count())]
    idx = next((i for i, t in enumerate(items) if _matches(t, text)), -1)
    assert idx >= 0, f"no entry {text!r} in the list; it has {items}"
    combo.setFocus()
    combo.setCurrentIndex(idx)
    combo.activated.emit(idx)


def tab(qtbot, root: QWidget, text: str | re.Pattern) -> None:
    for bar in root.findChildren(QTabBar):
        if not bar.isVisible():
            continue
        for i in range(bar.count()):
            if _matches(bar.tabText(i), text):
                qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(i).center())
                return
    raise AssertionError(f"no tab {text!r}")


def _columns(model) -> int:
    try:
        return model.columnCount()
    except TypeError:              # a list model: PySide hides QAbstractListModel.columnCount
        return 1


def row_of(qtbot, view: QAbstractItemView, text: str | re.Pattern, column: int | None = None) -> QModelIndex:
    """The index of the first row showing ``text`` in ``view`` (any column unless given)."""
    model = view.model()
    hit: list[QModelIndex] = []

    def look():
        hit.clear()
        for r in range(model.rowCount()):
            cols = [column] if column is not None else range(_columns(model))
            for c in cols:
                idx = model.index(r, c)
                if _matches(str(idx.data() or ""), text):
                    hit.append(idx)
                    return True
        return False
    try:
        qtbot.waitUntil(look, timeout=WAIT)
    except Exception:
        raise AssertionError(f"no row {text!r} among {model.rowCount()} rows") from None
    return hit[0]


def click_row(qtbot, view: QAbstractItemView, text: str | re.Pattern, *, double: bool = False,
              column: int | None = None) -> QModelIndex:
    """Click (or double-click) the row a person sees as ``text``."""
    idx = row_of(qtbot, view, text, column)
    view.scrollTo(idx)
    rect = view.visualRect(idx)
    pos = rect.center()
    vp = view.viewport()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    if double:
        qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    return idx


def tick(qtbot, view: QAbstractItemView, text: str | re.Pattern, column: int | None = None) -> QModelIndex:
    """Tick (or untick) the checkable row a person sees as ``text``: click it, press Space."""
    idx = click_row(qtbot, view, text, column=column)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    return idx


def navigate(qtbot, window, title: str) -> QWidget:
    """Go to a page through the navigation list, by its visible title; returns the page."""
    nav = window.nav
    for i in range(nav.count()):
        item = nav.item(i)
        if _matches(item.text(), title):
            rect = nav.visualItemRect(item)
            qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            qtbot.waitUntil(lambda: window.stack.currentWidget() is not None
                            and getattr(window.stack.currentWidget(), "title", None) is not None,
                            timeout=WAIT)
            return window.stack.currentWidget()
    raise AssertionError(f"no page {title!r} in the navigation; it has "
                         f"{[nav.item(i).text() for i in range(nav.count())]}")


def see(qtbot, text: str | re.Pattern, root: QWidget | None = None) -> str:
    """Wait until a visible label or text view shows ``text`` (a substring, or a pattern
    searched for); returns the whole text it is part of."""
    found: list[str] = []

    def look():
        found.clear()
        for r in ([root] if root is not None else top_windows()):
            shown = [w.text() for w in r.findChildren(QLabel) if w.isVisible()]
            shown += [w.toPlainText() for w in r.findChildren(QTextEdit) if w.isVisible()]
            for t in shown:
                t = plain(t)
                if (text.search(t) if isinstance(text, re.Pattern) else plain(text) in t):
                    found.append(t)
                    return True
        return False
    try:
        qtbot.waitUntil(look, timeout=WAIT)
    except Exception:
        raise AssertionError(f"{text!r} is not on screen") from None
    return found[0]


def screen_size() -> tuple[int, int]:
    w, h = os.environ.get("DD_SCREEN", "1366x768").lower().split("x")
    return int(w), int(h)


def shot(widget: QWidget, journey: str, name: str) -> Path:
    """Save what the person sees now: screenshots/journeys/<WxH>/<journey>-<name>.png."""
    QApplication.processEvents()
    w, h = screen_size()
    folder = SCREENSHOTS / f"{w}x{h}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{journey}-{name}.png"
    widget.window().grab().save(str(path))
    return path


def keys(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key (a shortcut such as Ctrl+Z) in ``window``, as a person does with that
    window in front: it is made the active window first, and the key goes to whatever has
    the keyboard focus in it (the window itself when nothing has)."""
    window.activateWindow()
    window.raise_()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    target = QApplication.focusWidget()
    if target is None or target.window() is not window:
        target = window
    qtbot.keyClick(target, key, modifiers)


def file_dialog(qtbot, title: str | re.Pattern, path) -> None:
    """In the open Qt file dialog titled ``title``, type ``path`` into its file-name field
    and press Enter, as a person does."""
    from PySide6.QtWidgets import QFileDialog
    dlg = dialog(qtbot, title, QFileDialog)
    name = dlg.findChild(QLineEdit, "fileNameEdit")
    assert name is not None, "not Qt's own file dialog (give it DontUseNativeDialog)"
    dlg.activateWindow()        # typed into an inactive dialog, a path selects its folders
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg, timeout=WAIT)
    type_into(qtbot, name, str(path))
    qtbot.keyClick(name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=WAIT)
