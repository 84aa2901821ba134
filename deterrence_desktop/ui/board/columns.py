"""The board's columns (one per status) and the list view of each, shared by the
board page and the projection window."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QFrame, QHBoxLayout, QLabel, QListView, QStyle,
    QVBoxLayout, QWidget,
)

from ...domain.enums import label
from ...services.board import BOARD_STATUSES, BoardCard, group_key
from .cards import NORMAL, CardDelegate, CardListModel, CardTheme, Header

STATUS_KEYS = tuple(s.value for s in BOARD_STATUSES)
STATUS_GLYPHS = {"planned": "○", "in_progress": "◐", "blocked": "⊘", "done": "●"}
HEADING_PT = 11.0                 # a column heading's size at 100%
HEADING_STYLE = ("color: {colour}; font-weight: 700; font-size: {pt:.1f}pt; padding: 2px 4px; "
                 "background: transparent; border: none;")
ZOOM_STEP = 0.25


def _due_key(card: BoardCard):
    d = card.action.due_date
    return (d is None, d or date.max, card.id)


def column_rows(cards: list[BoardCard], grouping: str, presorted: bool = False) -> dict[str, list]:
    """Cards per status column, by due date; under headings when grouped.

    ``presorted``: the cards already come by due date (the board loads them so, and a
    filter keeps the order), which spares a sort of 20,000 cards on every keystroke."""
    if not presorted:
        cards = sorted(cards, key=_due_key)
    per: dict[str, list[BoardCard]] = defaultdict(list)
    for c in cards:
        per[c.action.status].append(c)
    out: dict[str, list] = {}
    for key in STATUS_KEYS:
        items = per.get(key, [])
        if grouping == "status":
            out[key] = items
            continue
        groups: dict[str, list[BoardCard]] = defaultdict(list)
        for c in items:
            groups[group_key(c, grouping)].append(c)
        rows: list = []
        for title in sorted(groups, key=lambda t: (t.startswith("("), t.casefold())):
            members = groups[title]
            rows.append(Header(title, len(members)))
            rows.extend(members)
        out[key] = rows
    return out


class CardListView(QListView):
    """One column's cards. Ctrl+Left/Right asks to move the selected cards; Left/Right
    alone moves the focus to the next column; Ctrl+M opens "Move to…"."""

    move_requested = Signal(int)           # -1 left, +1 right
    move_menu_requested = Signal()
    focus_neighbour = Signal(int)
    open_requested = Signal(int)           # action id

    def __init__(self, model: CardListModel, delegate: CardDelegate, editable: bool, parent=None):
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(delegate)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(False)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(300)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        if editable:
            self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
            self.setDragEnabled(True)
            self.setAcceptDrops(True)
            self.setDropIndicatorShown(True)
            self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
            self.setDefaultDropAction(Qt.DropAction.MoveAction)
        else:
            self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
            self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.editable = editable
        self.doubleClicked.connect(self._open)

    def card_model(self) -> CardListModel:
        return self.model()  # type: ignore[return-value]

    def selected_cards(self) -> list[BoardCard]:
        m = self.card_model()
        rows = sorted({ix.row() for ix in self.selectionModel().selectedIndexes()})
        cards = [m.card_at(r) for r in rows]
        if not cards and self.currentIndex().isValid():
            cards = [m.card_at(self.currentIndex().row())]
        return [c for c in cards if c is not None]

    def select_ids(self, ids: list[int]) -> None:
        m = self.card_model()
        sel = self.selectionModel()
        sel.clearSelection()
        first = None
        for aid in ids:
            row = m.row_of(aid)
            if row is None:
                continue
            ix = m.index(row)
            sel.select(ix, QItemSelectionModel.SelectionFlag.Select)
            first = first or ix
        if first is not None:
            sel.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollTo(first)

    def keyPressEvent(self, event) -> None:
        if not self.editable:
            return super().keyPressEvent(event)
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.move_requested.emit(-1 if key == Qt.Key.Key_Left else 1)
            return
        if ctrl and key == Qt.Key.Key_M:
            self.move_menu_requested.emit()
            return
        if not ctrl and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.focus_neighbour.emit(-1 if key == Qt.Key.Key_Left else 1)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _open(self, index) -> None:
        card = self.card_model().card_at(index.row()) if index.isValid() else None
        if card is not None:
            self.open_requested.emit(card.id)


class BoardColumn(QFrame):
    def __init__(self, key: str, model: CardListModel, delegate: CardDelegate, editable: bool,
                 parent=None):
        super().__init__(parent)
        self.key = key
        self.setObjectName("boardColumn")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(4)
        self.heading = QLabel()
        self.heading.setObjectName("columnHeading")
        self.heading.setWordWrap(True)          # a large zoom in a narrow column wraps, not cuts
        lay.addWidget(self.heading)
        self.view = CardListView(model, delegate, editable, self)
        self.view.setAccessibleName(f"{label(key)} column")
        lay.addWidget(self.view, 1)

    def set_count(self, n: int) -> None:
        self.heading.setText(f"{STATUS_GLYPHS.get(self.key, '')} {label(self.key)}  ·  {n}")


class BoardColumns(QWidget):
    """Four status columns side by side.

    With ``fit`` (the projection), the cards are shown at the zoom asked for or, when the
    room is too small for that (a laptop screen at 300%), at the largest step below it at
    which every column still shows a whole card and a whole reference: ``zoom`` is what
    is shown, ``requested_zoom`` what was asked."""

    zoom_applied = Signal(float)       # the zoom the cards are shown at (after fitting)

    def __init__(self, parent=None, *, editable: bool = True, show_names: bool = True,
                 theme: CardTheme = NORMAL, zoom: float = 1.0, fit: bool = False):
        super().__init__(parent)
        self.editable = editable
        self.theme = theme
        self.fit = fit
        self.requested_zoom = zoom
        self.delegate = CardDelegate(self, theme, zoom)
        self.models: dict[str, CardListModel] = {}
        self.columns: dict[str, BoardColumn] = {}
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        for key in STATUS_KEYS:
            model = CardListModel(key, self, show_names=show_names, editable=editable)
            col = BoardColumn(key, model, self.delegate, editable, self)
            self.models[key] = model
            self.columns[key] = col
            lay.addWidget(col, 1)
        self.apply_theme(theme, zoom)

    @property
    def zoom(self) -> float:
        return self.delegate.zoom

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fit:
            z = self.fitting_zoom()
            if z != self.delegate.zoom:
                self._apply(self.theme, z)
                return
        self._update_width()

    def fitting_zoom(self) -> float:
        """The largest zoom, at most the one asked for, at which each column is wide enough
        for a whole reference and tall enough for its heading and one whole card."""
        z = max(1.0, min(3.0, self.requested_zoom))
        w, h = self.width(), self.height()
        if w <= 0 or h <= 0:
            return z
        spacing = self.layout().spacing()
        scroll = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        column_w = (w - spacing * (len(STATUS_KEYS) - 1)) // len(STATUS_KEYS)
        inner_w = column_w - 2 * 6 - 2                 # the column's margins and border
        # The longest heading there can be (a three-figure count), as it wraps.
        longest = max((f"{STATUS_GLYPHS[k]} {label(k)}  ·  000" for k in STATUS_KEYS), key=len)
        probe = QLabel(longest)                         # a heading as it wraps, never shown
        probe.setWordWrap(True)
        while z > 1.0:
            d = CardDelegate(None, self.theme, z)
            probe.setStyleSheet(HEADING_STYLE.format(colour="#000000", pt=HEADING_PT * z))
            probe.ensurePolished()
            heading_h = probe.heightForWidth(inner_w)
            need_h = 2 * 6 + 2 + 4 + heading_h + d.tallest_card()
            if inner_w - scroll >= d.narrow_width() and h >= need_h:
                break
            z = max(1.0, z - ZOOM_STEP)
        return z

    def _update_width(self) -> None:
        """Tell the delegate how wide the cards are; relayout if the card layout changed."""
        view = self.columns[STATUS_KEYS[0]].view
        width = view.viewport().width()
        if width > 0 and self.delegate.set_width(width):
            for m in self.models.values():
                m.relayout()

    def views(self) -> list[CardListView]:
        return [c.view for c in self.columns.values()]

    def set_cards(self, cards: list[BoardCard], grouping: str = "status",
                  presorted: bool = False) -> None:
        rows = column_rows(cards, grouping, presorted)
        for key, model in self.models.items():
            model.set_rows(rows[key])
            self.columns[key].set_count(sum(1 for r in rows[key] if isinstance(r, BoardCard)))

    def set_show_names(self, show: bool) -> None:
        for m in self.models.values():
            m.set_show_names(show)

    def apply_theme(self, theme: CardTheme, zoom: float) -> None:
        """Show the cards in ``theme`` at ``zoom`` (with ``fit``, at most ``zoom``)."""
        self.requested_zoom = zoom
        self._apply(theme, self.fitting_zoom() if self.fit else zoom)

    def _apply(self, theme: CardTheme, zoom: float) -> None:
        self.theme = theme
        self.delegate.theme = theme
        self.delegate.set_zoom(zoom)
        pt = HEADING_PT * self.delegate.zoom
        self.setStyleSheet(
            f"QFrame#boardColumn {{ background: {theme.background}; border-radius: 8px; "
            f"border: 1px solid {theme.border if theme.name != 'normal' else '#dde4e7'}; }}"
            "QLabel#columnHeading { " + HEADING_STYLE.format(colour=theme.header, pt=pt) + " }"
            f"QListView {{ background: {theme.background}; border: none; }}")
        self.delegate.set_width(self.columns[STATUS_KEYS[0]].view.viewport().width())
        for m in self.models.values():
            m.relayout()
        for v in self.views():
            v.doItemsLayout()
        self.zoom_applied.emit(self.delegate.zoom)
