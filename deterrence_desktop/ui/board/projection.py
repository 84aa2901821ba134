"""Projection mode: the board (or a meeting's agenda) full screen on the wall.

Large type (zoom 100% to 300%, which reflows the cards and labels), a high
contrast theme, no editing chrome. Privacy on the wall: people appear by
partnership reference only; dates of birth, addresses and notes are never
shown; a coordinator can reveal the current item's name (audited), and moving
on hides it again. Optionally only the actions of partners whose
information-sharing agreement is in force. Page Down/Up and the arrow keys walk
the agenda; Esc leaves. Start and end are audited as a disclosure to the
partners present.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
    QListWidget, QListWidgetItem, QSizePolicy, QSpinBox, QVBoxLayout, QWidget,
)

from ...domain import clock
from ...services.board import ISA_SHAREABLE, BoardCard, BoardFilter, filter_cards, summarise
from .cards import HIGH_CONTRAST
from .columns import BoardColumns
from .widgets import SummaryStrip

ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 100, 300, 25
MARKING = "OFFICIAL-SENSITIVE"


@dataclass
class ProjectionItem:
    """One agenda item on the wall: a heading that is never a name, and its cards."""
    label: str                       # a partnership reference, a group's name, or "Action board"
    cards: list[BoardCard]
    person_reference: str = ""       # set when the item is one person (their name can be revealed)
    person_name: str = ""            # held, never shown unless revealed
    details: list[str] = field(default_factory=list)   # counts only, e.g. "2 changed since 12 Nov"


@dataclass
class ProjectionSettings:
    screen: QScreen | None
    partner_ids: list[int]
    zoom: int = 150
    isa_only: bool = True


def default_screen() -> QScreen | None:
    """The second screen when there is one (the projector), else the primary."""
    screens = QGuiApplication.screens()
    primary = QGuiApplication.primaryScreen()
    others = [s for s in screens if s is not primary]
    return others[0] if others else primary


class ProjectionStartDialog(QDialog):
    """Where to show it, which partners are in the room, how large, and the ISA rule."""

    def __init__(self, partners: list[tuple[int, str]], present: list[int], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Project on a screen")
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.screen_combo = QComboBox(self)
        screens = QGuiApplication.screens()
        for i, s in enumerate(screens):
            g = s.geometry()
            self.screen_combo.addItem(f"Screen {i + 1}: {s.name()} ({g.width()}×{g.height()})", i)
        default = default_screen()
        if default in screens:
            self.screen_combo.setCurrentIndex(screens.index(default))
        form.addRow("Show on", self.screen_combo)
        self.zoom = QSpinBox(self)
        self.zoom.setRange(ZOOM_MIN, ZOOM_MAX)
        self.zoom.setSingleStep(ZOOM_STEP)
        self.zoom.setSuffix("%")
        self.zoom.setValue(150)
        form.addRow("Text size", self.zoom)
        lay.addLayout(form)
        lay.addWidget(QLabel("Partners in the room (the projection is recorded as a "
                             "disclosure to them):"))
        self.partners = QListWidget(self)
        for pid, name in partners:
            it = QListWidgetItem(name)
            it.setData(Qt.ItemDataRole.UserRole, pid)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if pid in present else Qt.CheckState.Unchecked)
            self.partners.addItem(it)
        lay.addWidget(self.partners)
        self.isa_only = QCheckBox("Only show actions of partners whose information-sharing "
                                  "agreement is in force", self)
        self.isa_only.setChecked(True)
        lay.addWidget(self.isa_only)
        note = QLabel("People are shown by partnership reference; dates of birth, addresses and "
                      "notes are never shown. A coordinator can press R to show the current "
                      "person's name.")
        note.setWordWrap(True)
        lay.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start projection")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def settings(self) -> ProjectionSettings:
        screens = QGuiApplication.screens()
        i = self.screen_combo.currentData()
        ids = [self.partners.item(r).data(Qt.ItemDataRole.UserRole)
               for r in range(self.partners.count())
               if self.partners.item(r).checkState() == Qt.CheckState.Checked]
        return ProjectionSettings(screens[i] if i is not None and i < len(screens) else None,
                                  ids, self.zoom.value(), self.isa_only.isChecked())


def ask_projection(parent: QWidget, partners, present: list[int], then) -> ProjectionStartDialog:
    """Open the start dialog (not blocking); on "Start projection", ``then(settings)``.
    ``partners`` are the board's partner choices (id, label, extra = ISA state)."""
    dialog = ProjectionStartDialog([(p.id, p.label) for p in partners], present, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: then(dialog.settings()))
    dialog.open()
    return dialog


def project(ctx, settings: ProjectionSettings, partners, items: list[ProjectionItem], *,
            title: str, scope: str, today: date) -> "ProjectionWindow":
    """Show ``items`` full screen as ``settings`` say: the partners present as recipients,
    only partners with an agreement in force when asked, names revealable by a coordinator."""
    shareable = ({p.id for p in partners if p.extra in ISA_SHAREABLE}
                 if settings.isa_only else None)
    names = {p.id: p.label for p in partners}
    actor = ctx.services.actor if ctx.services else None
    window = ProjectionWindow(
        ctx, items, title=title, scope=scope,
        recipients=[names[i] for i in settings.partner_ids if i in names],
        shareable_partners=shareable, zoom=settings.zoom,
        can_reveal=actor is not None and actor.role.value == "coordinator", today=today)
    window.start(settings.screen)
    return window


class ProjectionWindow(QWidget):
    """Full-screen, read-only, high-contrast board for the wall."""

    item_changed = Signal(int)

    def __init__(self, ctx, items: list[ProjectionItem], *, title: str, scope: str,
                 recipients: list[str], shareable_partners: set[int] | None = None,
                 zoom: int = 150, can_reveal: bool = False, today: date | None = None,
                 parent=None):
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Deterrence Desktop - projection")   # never a name
        self.setObjectName("projection")
        self.ctx = ctx
        self.items = items or [ProjectionItem("Nothing to show", [])]
        self.title = title
        self.scope = scope
        self.recipients = recipients
        self.shareable = shareable_partners
        self.can_reveal = can_reveal
        self.today = today or (ctx.services.today() if ctx.services else clock.today())
        self.index = 0
        self.revealed = False
        self.reveals: list[str] = []
        self.zoom = zoom
        self._started = False
        self._ended = False

        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 12, 24, 12)
        lay.setSpacing(10)
        self.marking_top = QLabel(MARKING)
        self.marking_top.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.marking_top)
        head = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setObjectName("projectionHeading")
        self.heading.setWordWrap(True)          # a long group name wraps; the counter stays whole
        self.heading.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.heading, 1)
        self.position = QLabel()
        self.position.setObjectName("projectionPosition")
        self.position.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.position.setWordWrap(True)
        head.addWidget(self.position)
        lay.addLayout(head)
        self.details = QLabel()
        self.details.setWordWrap(True)
        lay.addWidget(self.details)
        self.summary = SummaryStrip(self, high_contrast=True)
        lay.addWidget(self.summary)
        self.columns = BoardColumns(self, editable=False, show_names=False, theme=HIGH_CONTRAST,
                                    zoom=zoom / 100, fit=True)
        for v in self.columns.views():
            v.itemDelegate().today = self.today
        lay.addWidget(self.columns, 1)
        self.hidden_note = QLabel()
        self.hidden_note.setWordWrap(True)
        lay.addWidget(self.hidden_note)
        self.keys = QLabel()
        self.keys.setObjectName("projectionKeys")
        self.keys.setWordWrap(True)             # always whole on the screen, on two lines if need be
        lay.addWidget(self.keys)
        self.marking_bottom = QLabel(MARKING)
        self.marking_bottom.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.marking_bottom)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._chrome_zoom = 0.0
        self._apply_style()
        self.columns.zoom_applied.connect(lambda _z: self._update_keys())
        self._update_keys()
        self.show_item(0)

    # -- life cycle ---------------------------------------------------------------------------
    def start(self, screen: QScreen | None = None) -> None:
        """Go full screen on ``screen`` (the second one by default) and audit the start."""
        screen = screen or default_screen()
        if screen is not None:
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
        self.showFullScreen()
        self.activateWindow()
        self.setFocus()
        self._started = True
        detail = (f"items={len(self.items)}; references only"
                  + ("; ISA in force only" if self.shareable is not None else ""))
        self.ctx.call(lambda s: s.board.record_projection(True, self.scope, self.recipients, detail),
                      None, lambda e: None)

    def closeEvent(self, event) -> None:
        if self._started and not self._ended:
            self._ended = True
            detail = f"names revealed={len(self.reveals)}"
            scope, recipients = self.scope, self.recipients
            self.ctx.call(lambda s: s.board.record_projection(False, scope, recipients, detail),
                          None, lambda e: None)
        super().closeEvent(event)

    # -- items ---------------------------------------------------------------------------------
    @property
    def current(self) -> ProjectionItem:
        return self.items[self.index]

    def show_item(self, index: int) -> None:
        self.index = max(0, min(len(self.items) - 1, index))
        self.revealed = False
        item = self.current
        cards = item.cards
        hidden = 0
        if self.shareable is not None:
            shown = filter_cards(cards, BoardFilter(), self.today, self.shareable)
            hidden = len(cards) - len(shown)
            cards = shown
        self.columns.set_show_names(False)
        self.columns.set_cards(cards)
        self.summary.show_summary(summarise(cards, self.today), max_partners=3)
        self._update_heading()
        # A long meeting title wraps; the counter never breaks (non-breaking spaces).
        self.position.setText(f"{self.title}  ·  item\u00a0{self.index + 1}\u00a0of"
                              f"\u00a0{len(self.items)}")
        self._fit_position()
        self.details.setText("   ·   ".join(item.details))
        self.details.setVisible(bool(item.details))
        self.hidden_note.setText(
            f"{hidden} action{'s' if hidden != 1 else ''} of partners without an "
            "information-sharing agreement in force not shown." if hidden else "")
        self.hidden_note.setVisible(bool(hidden))
        self.item_changed.emit(self.index)

    def set_items(self, items: list[ProjectionItem]) -> None:
        """New contents (a card moved, an action agreed): stay on the same item if it is
        still there. A revealed name is hidden again."""
        label = self.current.label
        self.items = items or [ProjectionItem("Nothing to show", [])]
        index = next((i for i, it in enumerate(self.items) if it.label == label),
                     min(self.index, len(self.items) - 1))
        self.show_item(index)

    def _fit_position(self) -> None:
        """The title and counter on one line when they take at most half the width; else
        wrapped in that half."""
        pos = self.position
        pos.ensurePolished()
        whole = pos.fontMetrics().horizontalAdvance(pos.text()) + 2 * pos.margin() + 4
        pos.setMinimumWidth(min(whole, max(1, (self.width() - 48) // 2)))

    def _update_heading(self) -> None:
        item = self.current
        text = item.label
        if self.revealed and item.person_name:
            text = f"{item.person_reference}  {item.person_name}"
        self.heading.setText(text)

    def next_item(self) -> None:
        if self.index < len(self.items) - 1:
            self.show_item(self.index + 1)

    def previous_item(self) -> None:
        if self.index > 0:
            self.show_item(self.index - 1)

    def reveal_name(self) -> bool:
        """Show the current person's name (coordinator only; audited); hidden again on moving."""
        item = self.current
        if not self.can_reveal or not item.person_reference or self.revealed:
            return False
        self.revealed = True
        self.reveals.append(item.person_reference)
        self.columns.set_show_names(True)
        self._update_heading()
        ref, scope, recipients = item.person_reference, self.scope, self.recipients
        self.ctx.call(lambda s: s.board.record_reveal(scope, ref, recipients), None,
                      lambda e: None)
        return True

    # -- zoom and look ---------------------------------------------------------------------------
    def set_zoom(self, zoom: int) -> None:
        self.zoom = max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        self._apply_style()
        self.columns.apply_theme(HIGH_CONTRAST, self.zoom / 100)
        self._update_keys()

    @property
    def shown_zoom(self) -> int:
        """The text size the cards are shown at: the one asked for unless the screen is too
        small for it."""
        return round(self.columns.zoom * 100)

    def _update_keys(self) -> None:
        size = f"+ / − text size {self.zoom}%"
        if self.shown_zoom < self.zoom:
            size += f" (shown at {self.shown_zoom}% to fit this screen)"
        self.keys.setText("   ·   ".join(
            ["Page Down / → next", "Page Up / ← previous", size]
            + (["R show name"] if self.can_reveal else []) + ["Esc leave"]))

    def chrome_zoom(self) -> float:
        """How much the headings, counter, summary and key hints grow: with the text size,
        but no more than the screen has room for (a 768-line laptop screen at 300% would
        otherwise have no room left for the cards)."""
        w, h = self.width(), self.height()
        return min(self.zoom / 100, max(1.0, h / 480), max(1.0, w / 640))

    def resizeEvent(self, event) -> None:
        if self.chrome_zoom() != self._chrome_zoom:
            self._apply_style()
        self._fit_position()
        super().resizeEvent(event)

    def _apply_style(self) -> None:
        z = self._chrome_zoom = self.chrome_zoom()
        self.setStyleSheet(
            f"QWidget#projection {{ background: #000000; }}"
            f"QWidget#projection QLabel {{ color: #ffffff; background: transparent; "
            f"font-size: {11 * z:.1f}pt; }}"
            f"QWidget#projection QLabel#projectionHeading {{ color: #ffd400; font-size: {22 * z:.1f}pt; "
            f"font-weight: 700; }}"
            f"QLabel#summaryStrip {{ border: 1px solid #ffffff; border-radius: 6px; "
            f"padding: {int(4 * z)}px; font-size: {9 * z:.1f}pt; }}")
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(self.backgroundRole(), Qt.GlobalColor.black)
        self.setPalette(pal)
        for lab in (self.marking_top, self.marking_bottom):
            lab.setStyleSheet(f"font-weight: 700; font-size: {10 * z:.1f}pt; color: #ffffff;")
        self._fit_position()

    # -- keys -------------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.close()
        elif key in (Qt.Key.Key_PageDown, Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_Space):
            self.next_item()
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Backspace):
            self.previous_item()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.set_zoom(self.zoom + ZOOM_STEP)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.set_zoom(self.zoom - ZOOM_STEP)
        elif key == Qt.Key.Key_0:
            self.set_zoom(ZOOM_MIN)
        elif key == Qt.Key.Key_R:
            self.reveal_name()
        else:
            super().keyPressEvent(event)

    # -- for checks: everything the wall shows as text ---------------------------------------------
    def rendered_texts(self) -> list[str]:
        texts = [self.windowTitle()]
        for lab in self.findChildren(QLabel):
            if lab.isVisible() or lab.text():
                texts.append(lab.text())
                texts.append(lab.toolTip())
        for model in self.columns.models.values():
            for r in range(model.rowCount()):
                ix = model.index(r)
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                             Qt.ItemDataRole.AccessibleTextRole):
                    value = ix.data(role)
                    if value:
                        texts.append(str(value))
        return texts
