"""Cards of the action board: one list model per column and a delegate that paints them.

No widget per card: a column is a ``QListView`` over :class:`CardListModel`, and
:class:`CardDelegate` paints each card (kind by colour AND by shape and label,
overdue and due-this-week marks). Sizes follow a zoom factor, so 100% to 300%
reflows the text rather than stretching a bitmap. The same models serve the
projection, where ``show_names`` is off: a card then names the person by
partnership reference only and its tooltip carries no notes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import (
    QAbstractListModel, QByteArray, QMimeData, QModelIndex, QPointF,
    QRect, QRectF, QSize, Qt, Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ...domain.enums import label
from ...services.board import BoardCard

MIME = "application/x-deterrence-action-cards"
CardRole = Qt.ItemDataRole.UserRole + 1
HeaderRole = Qt.ItemDataRole.UserRole + 2
KIND_SHAPES = {"enforcement": "square", "support": "circle", "diversion": "diamond",
               "communication": "triangle", "analysis": "hexagon"}


@dataclass(frozen=True)
class CardTheme:
    name: str
    background: str
    card: str
    border: str
    text: str
    muted: str
    selected: str
    overdue_bg: str
    overdue_fg: str
    week_bg: str
    week_fg: str
    header: str
    kinds: dict

    def kind_colour(self, kind: str) -> QColor:
        return QColor(self.kinds.get(kind, self.muted))


NORMAL = CardTheme(
    "normal", background="#eef2f4", card="#ffffff", border="#cfd8dc", text="#1f2a30",
    muted="#5b6b73", selected="#2f6f73", overdue_bg="#a12a2a", overdue_fg="#ffffff",
    week_bg="#f2c14e", week_fg="#1f2a30", header="#1f4f55",
    kinds={"enforcement": "#1d4ed8", "support": "#15803d", "diversion": "#7e22ce",
           "communication": "#c2410c", "analysis": "#475569"})
HIGH_CONTRAST = CardTheme(
    "high contrast", background="#000000", card="#000000", border="#ffffff", text="#ffffff",
    muted="#e6e6e6", selected="#ffd400", overdue_bg="#ffd400", overdue_fg="#000000",
    week_bg="#ffffff", week_fg="#000000", header="#ffd400",
    kinds={"enforcement": "#7fb2ff", "support": "#5ff08a", "diversion": "#e2b6ff",
           "communication": "#ffb070", "analysis": "#e0e0e0"})


@dataclass(frozen=True)
class Header:
    """A heading inside a column when the board is grouped by partner, person or group."""
    title: str
    count: int


def card_subject(card: BoardCard, show_names: bool) -> str:
    a = card.action
    if a.person_id is not None:
        if show_names and a.person_name:
            return f"{a.person_reference} {a.person_name}"
        return a.person_reference
    return f"Group: {a.group_name}" if a.group_name else "Group action"


def due_text(card: BoardCard) -> str:
    d = card.action.due_date
    return f"Due {d:%d %b %Y}" if d else "No due date"


def card_text(card: BoardCard, show_names: bool) -> str:
    """The card in words: what a screen reader says and what the text checks read."""
    a = card.action
    marks = (" OVERDUE" if card.overdue else "") + (" due this week" if card.due_this_week else "")
    who = a.partner_name + (f", {a.assignee}" if a.assignee else "")
    return (f"{card_subject(card, show_names)}: {a.description}. {label(a.kind)}. {who}. "
            f"{due_text(card)}.{marks}")


class CardListModel(QAbstractListModel):
    """The cards of one column (with group headings). Drops ask the page to move cards."""

    cards_dropped = Signal(list, str)      # action ids, this column's key

    def __init__(self, key: str, parent=None, show_names: bool = True, editable: bool = True):
        super().__init__(parent)
        self.key = key
        self.show_names = show_names
        self.editable = editable
        self._rows: list[BoardCard | Header] = []
        self._index: dict[int, int] = {}

    # -- contents ------------------------------------------------------------------
    def set_rows(self, rows: list[BoardCard | Header]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._index = {r.action.id: i for i, r in enumerate(rows) if isinstance(r, BoardCard)}
        self.endResetModel()

    def set_show_names(self, show: bool) -> None:
        if show != self.show_names:
            self.show_names = show
            if self._rows:
                self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def relayout(self) -> None:
        """Sizes changed (zoom): let the views ask the delegate again."""
        self.layoutAboutToBeChanged.emit()
        self.layoutChanged.emit()

    def cards(self) -> list[BoardCard]:
        return [r for r in self._rows if isinstance(r, BoardCard)]

    def row_of(self, action_id: int) -> int | None:
        return self._index.get(action_id)

    def row_item(self, row: int) -> BoardCard | Header | None:
        """The card or heading at ``row`` (for the delegate: no QVariant round trip)."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def card_at(self, row: int) -> BoardCard | None:
        if 0 <= row < len(self._rows) and isinstance(self._rows[row], BoardCard):
            return self._rows[row]  # type: ignore[return-value]
        return None

    # -- Qt model --------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if isinstance(row, Header):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole,
                        Qt.ItemDataRole.ToolTipRole):
                return f"{row.title} ({row.count})"
            if role == HeaderRole:
                return row
            return None
        if role == CardRole:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return card_text(row, self.show_names)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = card_text(row, self.show_names)
            a = row.action
            if a.outcome:
                text += ("\nBlocker: " if a.status == "blocked" else "\nOutcome: ") + a.outcome
            if self.show_names and a.notes:
                text += "\nNotes: " + a.notes
            return text
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled if self.editable else Qt.ItemFlag.NoItemFlags
        if isinstance(self._rows[index.row()], Header):
            return Qt.ItemFlag.ItemIsEnabled
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.editable:
            f |= Qt.ItemFlag.ItemIsDragEnabled
        return f

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:
        ids = []
        for ix in indexes:
            card = self.card_at(ix.row())
            if card is not None and card.id not in ids:
                ids.append(card.id)
        mime = QMimeData()
        mime.setData(MIME, QByteArray(json.dumps({"from": self.key, "ids": ids}).encode()))
        return mime

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return self.editable and data.hasFormat(MIME)

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        """A drop of cards from another column: ask for the move (the page does it)."""
        if not self.editable or not data.hasFormat(MIME):
            return False
        try:
            payload = json.loads(bytes(data.data(MIME)).decode())
        except ValueError:
            return False
        ids = [int(i) for i in payload.get("ids", [])]
        if not ids or payload.get("from") == self.key:
            return False
        self.cards_dropped.emit(ids, self.key)
        return True


def _item(index) -> BoardCard | Header | None:
    """The row object behind ``index``, read from the Python model directly.

    Not ``index.data(role)``: under Python 3.11, PySide6 drops a reference to None each
    time an empty QVariant comes back, and thousands of sizeHint calls then crash the
    interpreter ("deallocating None"); reading the model avoids the round trip and is
    faster too."""
    model = index.model()
    getter = getattr(model, "row_item", None)
    return getter(index.row()) if getter is not None else None


class CardDelegate(QStyledItemDelegate):
    """Paints a card; all sizes scale with ``zoom`` (1.0 to 3.0)."""

    BASE_PT = 9.0

    def __init__(self, parent=None, theme: CardTheme = NORMAL, zoom: float = 1.0,
                 today: date | None = None):
        super().__init__(parent)
        self.theme = theme
        self.today = today
        self.narrow = False          # the column is too narrow for the wide card layout
        self._width = 0
        self.set_zoom(zoom)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = max(1.0, min(3.0, zoom))
        base = QApplication.font()
        z = self.zoom

        def font(pt: float, bold: bool = False) -> QFont:
            f = QFont(base)
            f.setPointSizeF(pt * z)
            f.setBold(bold)
            return f
        self.f_small = font(self.BASE_PT - 1, True)
        self.f_subject = font(self.BASE_PT + 1.5, True)
        self.f_text = font(self.BASE_PT + 0.5)
        self.f_meta = font(self.BASE_PT - 0.5)
        self.f_header = font(self.BASE_PT + 1, True)
        self.f_meta_bold = font(self.BASE_PT - 0.5, True)
        # Metrics made once per zoom, not once per card painted.
        self.fm_small = QFontMetrics(self.f_small)
        self.fm_subject = QFontMetrics(self.f_subject)
        self.fm_text = QFontMetrics(self.f_text)
        self.fm_meta = QFontMetrics(self.f_meta)
        self.fm_meta_bold = QFontMetrics(self.f_meta_bold)
        self.pad = int(7 * z)
        self.gap = int(3 * z)
        self.stripe = int(6 * z)
        m = QFontMetrics
        self._card_h = (2 * self.pad + m(self.f_small).height() + m(self.f_subject).height()
                        + 2 * m(self.f_text).lineSpacing() + m(self.f_meta).height() + 4 * self.gap
                        + int(6 * z))
        self._header_h = m(self.f_header).height() + 2 * self.pad
        self._narrow_extra = m(self.f_small).height() + self.gap
        self.set_width(self._width)

    def set_width(self, width: int) -> bool:
        """The columns' width: below what the wide layout needs at this zoom, cards put the
        due date on a line of its own so that the reference is never cut. True if the
        layout changed."""
        self._width = width
        z = self.zoom
        content = width - int(6 * z) - self.stripe - 2 * self.pad
        first = (self.fm_small.height() + self.fm_small.horizontalAdvance("COMMUNICATION")
                 + int(16 * z) + self.fm_small.horizontalAdvance("! OVERDUE"))
        second = (self.fm_subject.horizontalAdvance("FD-00000") + int(8 * z)
                  + self.fm_meta_bold.horizontalAdvance("00 Mmm 0000"))
        narrow = bool(width) and content < max(first, second)
        changed = narrow != self.narrow
        self.narrow = narrow
        return changed

    def narrow_width(self) -> int:
        """The least width of a column's viewport at which the narrow layout still shows a
        whole reference."""
        return (int(6 * self.zoom) + self.stripe + 2 * self.pad
                + self.fm_subject.horizontalAdvance("FD-00000"))

    def tallest_card(self) -> int:
        """The height of a card in the narrow layout, the taller of the two."""
        return self._card_h + self._narrow_extra

    def sizeHint(self, option, index) -> QSize:
        if isinstance(_item(index), Header):
            return QSize(100, self._header_h)
        return QSize(100, self._card_h + (self._narrow_extra if self.narrow else 0))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        t = self.theme
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        item = _item(index)
        if item is None:
            painter.restore()
            return
        header = item if isinstance(item, Header) else None
        if header is not None:
            r = option.rect.adjusted(self.pad // 2, 0, -self.pad // 2, 0)
            painter.setFont(self.f_header)
            painter.setPen(QColor(t.header))
            painter.drawText(r.adjusted(2, 0, 0, -2),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             f"{header.title}  ({header.count})")
            painter.setPen(QPen(QColor(t.header), max(1, int(self.zoom))))
            painter.drawLine(r.left(), r.bottom(), r.right(), r.bottom())
            painter.restore()
            return
        card: BoardCard = item
        model = index.model()
        show_names = getattr(model, "show_names", False)
        a = card.action
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        rect = QRectF(option.rect).adjusted(3 * self.zoom, 3 * self.zoom, -3 * self.zoom,
                                            -3 * self.zoom)
        radius = 6 * self.zoom
        path = QPainterPath()
        path.addRoundedRect(rect, radius, radius)
        painter.fillPath(path, QColor(t.card))
        border = QColor(t.selected) if selected else QColor(t.border)
        painter.setPen(QPen(border, (3 if selected else 1) * self.zoom))
        painter.drawPath(path)
        if focused and not selected:
            painter.setPen(QPen(QColor(t.selected), 1.5 * self.zoom, Qt.PenStyle.DashLine))
            painter.drawPath(path)
        kind_colour = t.kind_colour(a.kind)
        # Kind: a coloured stripe, a shape and a label (never colour alone).
        stripe = QPainterPath()
        stripe.addRoundedRect(QRectF(rect.left(), rect.top(), self.stripe, rect.height()),
                              radius / 2, radius / 2)
        painter.fillPath(stripe, kind_colour)
        x = int(rect.left()) + self.stripe + self.pad
        right = int(rect.right()) - self.pad
        y = int(rect.top()) + self.pad
        fm_small = self.fm_small
        h = fm_small.height()
        self._shape(painter, KIND_SHAPES.get(a.kind, "circle"),
                    QRectF(x, y + h * 0.15, h * 0.7, h * 0.7), kind_colour)
        kind_text = label(a.kind).upper()
        due = due_text(card)
        mark = "! OVERDUE" if card.overdue else ("THIS WEEK" if card.due_this_week else "")
        strong = card.overdue or card.due_this_week
        due_font = self.f_meta_bold if strong else self.f_meta
        fm_due = self.fm_meta_bold if strong else self.fm_meta
        d = a.due_date
        candidates = (due, f"{d:%d %b %Y}", f"{d:%d %b}") if d else (due,)
        due_pen = QColor(t.overdue_bg if card.overdue and t.name == "normal" else
                         (t.text if strong else t.muted))
        subject = card_subject(card, show_names)
        fm = self.fm_subject
        if self.narrow:
            # Narrow: kind; then mark and due date; then the subject on its own line.
            kind_end = self._kind_label(painter, kind_colour, kind_text, x, y, right, h)
            line1 = y
            y += h + self.gap
            px = x
            if mark:
                px = self._pill(painter, mark.removeprefix("! "), card.overdue, x, y, h, right,
                                left_align=True)
            # The due date beside the mark, or else beside the kind, whichever has room;
            # in bold if it fits, else in the regular face.
            places = ((y, px), (line1, kind_end + int(8 * self.zoom)))
            fonts = ((due_font, fm_due), (self.f_meta, self.fm_meta))
            fits = ((top, left, font, c) for font, fmx in fonts for top, left in places
                    for c in candidates if fmx.horizontalAdvance(c) <= right - left)
            found = next(fits, None)
            if found is not None:
                top, left, font, text = found
                painter.setFont(font)
                painter.setPen(due_pen)
                painter.drawText(QRect(left, top, right - left, h),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                                 text)
            y += h + self.gap
            painter.setFont(self.f_subject)
            painter.setPen(QColor(t.text))
            painter.drawText(QRect(x, y, right - x, fm.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(subject, Qt.TextElideMode.ElideRight, right - x))
        else:
            # Wide: kind and mark; then the subject with the due date beside it.
            px = right
            if mark:
                px = self._pill(painter, mark, card.overdue, x, y, h, right, left_align=False)
            self._kind_label(painter, kind_colour, kind_text, x, y, px, h)
            y += h + self.gap
            subject_w = fm.horizontalAdvance(subject) + int(8 * self.zoom)
            # The longest form that leaves the subject whole; else the shortest (the
            # subject is then shortened with an ellipsis).
            shown_due = next((c for c in candidates
                              if subject_w + fm_due.horizontalAdvance(c) <= right - x),
                             candidates[-1])
            if fm_due.horizontalAdvance(shown_due) > (right - x) * 0.6:
                shown_due = ""
            due_w = fm_due.horizontalAdvance(shown_due)
            painter.setFont(due_font)
            painter.setPen(due_pen)
            painter.drawText(QRect(right - due_w, y, due_w, fm.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             shown_due)
            room = max(0, right - x - due_w - int(8 * self.zoom))
            painter.setFont(self.f_subject)
            painter.setPen(QColor(t.text))
            painter.drawText(QRect(x, y, room, fm.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(subject, Qt.TextElideMode.ElideRight, room))
        y += fm.height() + self.gap
        # The action, up to two lines.
        painter.setFont(self.f_text)
        fm = self.fm_text
        lines = self._wrap(a.description, fm, right - x, 2)
        for line in lines:
            painter.drawText(QRect(x, y, right - x, fm.lineSpacing()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
            y += fm.lineSpacing()
        y += self.gap + (2 - len(lines)) * fm.lineSpacing()
        # Owning partner and assignee, the whole width.
        fm = self.fm_meta
        painter.setFont(self.f_meta)
        painter.setPen(QColor(t.muted))
        who = a.partner_name + (f"  ·  {a.assignee}" if a.assignee else "")
        painter.drawText(QRect(x, y, right - x, fm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(who, Qt.TextElideMode.ElideRight, right - x))
        painter.restore()

    def _kind_label(self, painter: QPainter, colour: QColor, text: str, x: int, y: int,
                    right: int, h: int) -> int:
        """The kind's label beside its shape (drawn before), elided to the room there is;
        returns where it ends."""
        kx = x + int(h * 0.95)
        room = max(0, right - kx)
        shown = self.fm_small.elidedText(text, Qt.TextElideMode.ElideRight, room)
        painter.setFont(self.f_small)
        painter.setPen(colour)
        painter.drawText(QRect(kx, y, room, h),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shown)
        return kx + self.fm_small.horizontalAdvance(shown)

    def _pill(self, painter: QPainter, mark: str, overdue: bool, x: int, y: int, h: int,
              right: int, left_align: bool) -> int:
        """Draw the overdue / this-week mark; return the x where the free room starts
        (left-aligned) or ends (right-aligned)."""
        t = self.theme
        w = self.fm_small.horizontalAdvance(mark) + int(10 * self.zoom)
        w = min(w, right - x)
        left = x if left_align else right - w
        pill = QRectF(left, y, w, h)
        pp = QPainterPath()
        pp.addRoundedRect(pill, h / 2, h / 2)
        painter.fillPath(pp, QColor(t.overdue_bg if overdue else t.week_bg))
        painter.setPen(QColor(t.overdue_fg if overdue else t.week_fg))
        painter.setFont(self.f_small)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, mark)
        gap = int(6 * self.zoom)
        return left + w + gap if left_align else left - gap

    @staticmethod
    def _wrap(text: str, fm: QFontMetrics, width: int, max_lines: int) -> list[str]:
        words = text.split()
        lines: list[str] = []
        current = ""
        for i, word in enumerate(words):
            trial = f"{current} {word}".strip()
            if fm.horizontalAdvance(trial) <= width or not current:
                current = trial
                continue
            lines.append(current)
            current = word
            if len(lines) == max_lines - 1:
                current = " ".join([word] + words[i + 1:])
                break
        if current:
            lines.append(current)
        lines = lines[:max_lines]
        if lines:
            lines[-1] = fm.elidedText(lines[-1], Qt.TextElideMode.ElideRight, width)
        return lines

    @staticmethod
    def _shape(painter: QPainter, shape: str, r: QRectF, colour: QColor) -> None:
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        c = r.center()
        if shape == "square":
            painter.drawRect(r)
        elif shape == "circle":
            painter.drawEllipse(r)
        elif shape == "diamond":
            painter.drawPolygon(QPolygonF([QPointF(c.x(), r.top()), QPointF(r.right(), c.y()),
                                           QPointF(c.x(), r.bottom()), QPointF(r.left(), c.y())]))
        elif shape == "triangle":
            painter.drawPolygon(QPolygonF([QPointF(c.x(), r.top()), QPointF(r.right(), r.bottom()),
                                           QPointF(r.left(), r.bottom())]))
        else:
            w, h = r.width(), r.height()
            painter.drawPolygon(QPolygonF([
                QPointF(r.left() + w * 0.25, r.top()), QPointF(r.left() + w * 0.75, r.top()),
                QPointF(r.right(), c.y()), QPointF(r.left() + w * 0.75, r.bottom()),
                QPointF(r.left() + w * 0.25, r.bottom()), QPointF(r.left(), c.y())]))
        painter.restore()
