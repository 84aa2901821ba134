"""The network picture on screen: a QGraphicsScene built once from a ``NetworkPicture``.

The services hand over plain ``NodeView``/``EdgeView`` rows with positions laid out by
networkx; nothing here computes a layout. To stay smooth at a few hundred nodes:

- edges are drawn as a handful of path items (one per kind of edge), not one item each;
- nodes cache their drawing (``DeviceCoordinateCache``) and never recompute on a frame;
- labels keep their size on screen (they ignore the view's scale) and only those that do
  not pile on a bigger node's label are shown at each zoom band: the set is decided once
  per band (a step of the zoom) and remembered, so panning changes nothing and zooming
  only re-checks when the band changes.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen,
                           QTransform)
from PySide6.QtWidgets import (
    QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QGraphicsSimpleTextItem, QGraphicsView,
    QStyleOptionGraphicsItem, QWidget,
)

from ...exports import network_style as style
from ...exports.network_style import DEFAULT_EDGE, EDGE_ORDER, EDGE_STYLES  # noqa: F401 (the page's legend)

REACHED = QColor(style.REACHED)
NOT_REACHED = QColor(style.NOT_REACHED)

LABEL_BANDS = 1.25          # zoom bands: labels are re-decided when the zoom crosses one


def group_colour(colour_key) -> QColor:
    return QColor(style.group_colour(colour_key))


def scene_scale(n_nodes: int) -> float:
    """Scene units per layout unit (the layout spans about one unit): more nodes get more
    room, so that the nodes (5 to 24 units across) stay apart as the density grows."""
    return max(700.0, 150.0 * math.sqrt(max(n_nodes, 1)))


def node_radius(node) -> float:
    size = max(0.0, min(1.0, float(getattr(node, "size", 0.0) or 0.0)))
    return (15.0 + 9.0 * size) if node.kind == "group" else (5.0 + 11.0 * size)


class NodeItem(QGraphicsItem):
    """A person (a circle sized by centrality) or a group (a larger rounded square), in its
    group's colour, with a ring saying whether the message reached it (green) or not (red)."""

    def __init__(self, node, colour: QColor, pos: QPointF):
        super().__init__()
        self.node = node
        self.key = node.key
        self.radius = node_radius(node)
        self.colour = colour
        self.setPos(pos)
        self.setZValue(2 if node.kind == "group" else 1)
        self.setAcceptHoverEvents(False)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setToolTip(node.label)
        r = self.radius + 3
        self._bounds = QRectF(-r, -r, 2 * r, 2 * r)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self._bounds)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        r = self.radius
        reached = getattr(self.node, "reached", None)
        if reached is None:
            ring = QPen(QColor("#ffffff"), 1.2)
        else:
            ring = QPen(REACHED if reached else NOT_REACHED, 2.6)
            if not reached:
                ring.setStyle(Qt.PenStyle.DashLine)
        if self.isSelected():
            ring = QPen(QColor("#111111"), 3.2)
        painter.setPen(ring)
        painter.setBrush(QBrush(self.colour))
        rect = QRectF(-r, -r, 2 * r, 2 * r)
        if self.node.kind == "group":
            painter.drawRoundedRect(rect, 5, 5)
        else:
            painter.drawEllipse(rect)


class NetworkScene(QGraphicsScene):
    """The scene of one picture. ``nodes``: key -> NodeItem; ``labels``: key -> label item."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.nodes: dict[str, NodeItem] = {}
        self.labels: dict[str, QGraphicsSimpleTextItem] = {}
        self.edge_items: dict[str, QGraphicsPathItem] = {}
        self.edge_counts: dict[str, int] = {}
        self.nodes_rect = QRectF()
        self._label_order: list[str] = []
        self._label_sizes: dict[str, tuple[float, float]] = {}
        self._bands: dict[int, dict[str, tuple[float, float]]] = {}
        self.band = None
        self._shown: dict[str, tuple[float, float]] = {}
        self.font = QFont()
        self.font.setPointSizeF(8.5)
        self.group_font = QFont(self.font)
        self.group_font.setBold(True)
        self.group_font.setPointSizeF(10)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)

    # -- building ---------------------------------------------------------------------------
    def set_picture(self, picture) -> None:
        """Show ``picture`` (nodes and edges with positions); replaces what was there."""
        self.clear()
        self.nodes, self.labels, self.edge_items, self.edge_counts = {}, {}, {}, {}
        self._bands, self.band, self._shown = {}, None, {}
        self._label_sizes, self._label_order = {}, []
        nodes: Sequence = list(picture.nodes) if picture is not None else []
        edges: Sequence = list(picture.edges) if picture is not None else []
        scale = scene_scale(len(nodes))
        for n in nodes:
            item = NodeItem(n, group_colour(getattr(n, "colour", None)),
                            QPointF(float(n.x) * scale, float(n.y) * scale))
            self.addItem(item)
            self.nodes[n.key] = item
        paths: dict[str, QPainterPath] = {}
        for e in edges:
            a, b = self.nodes.get(e.a), self.nodes.get(e.b)
            if a is None or b is None:
                continue
            path = paths.setdefault(e.kind, QPainterPath())
            path.moveTo(a.pos())
            path.lineTo(b.pos())
            self.edge_counts[e.kind] = self.edge_counts.get(e.kind, 0) + 1
        for z, kind in enumerate(sorted(paths, key=lambda k: (k not in EDGE_ORDER, EDGE_ORDER.index(k)
                                                               if k in EDGE_ORDER else 0, k))):
            colour, width, dashed, _ = EDGE_STYLES.get(kind, DEFAULT_EDGE)
            pen = QPen(QColor(colour), width)
            pen.setCosmetic(True)           # the same thickness at every zoom
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            item = QGraphicsPathItem(paths[kind])
            item.setPen(pen)
            item.setZValue(-1 + z * 0.01)
            item.setData(0, kind)
            self.addItem(item)
            self.edge_items[kind] = item
        self._make_labels(nodes)
        self.nodes_rect = QRectF()
        for item in self.nodes.values():
            self.nodes_rect |= item.sceneBoundingRect()
        m = max(self.nodes_rect.width(), self.nodes_rect.height())     # room to pan around
        self.setSceneRect(self.nodes_rect.adjusted(-m, -m, m, m))

    def _make_labels(self, nodes) -> None:
        metrics = {False: QFontMetricsF(self.font), True: QFontMetricsF(self.group_font)}
        # who keeps a label when two would overlap: groups, then the most central people
        order = sorted(nodes, key=lambda n: (n.kind != "group", -float(getattr(n, "size", 0) or 0),
                                             str(n.label)))
        for n in order:
            is_group = n.kind == "group"
            text = QGraphicsSimpleTextItem(str(n.label))
            text.setFont(self.group_font if is_group else self.font)
            text.setBrush(QBrush(QColor("#1a1a1a")))
            text.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            w = metrics[is_group].horizontalAdvance(str(n.label))
            h = metrics[is_group].height()
            node = self.nodes[n.key]
            # centred under the node, in screen pixels (the item ignores the view's scale)
            text.setPos(node.pos())
            text.setZValue(3)
            text.setVisible(False)
            text.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.addItem(text)
            self.labels[n.key] = text
            self._label_sizes[n.key] = (w, h)
        self._label_order = [n.key for n in order]

    # -- labels by zoom ---------------------------------------------------------------------
    def band_of(self, zoom: float) -> int:
        return int(math.floor(math.log(max(zoom, 1e-6), LABEL_BANDS)))

    def show_labels_for(self, zoom: float) -> bool:
        """Show the labels that fit at ``zoom`` (view pixels per scene unit). Returns True
        when the set changed (a new band), False when this band's set was already shown."""
        band = self.band_of(zoom)
        if band == self.band:
            return False
        self.band = band
        shown = self._bands.get(band)
        if shown is None:
            shown = self._bands[band] = self._fit_labels(LABEL_BANDS ** band)
        before = self._shown
        for key in before.keys() - shown.keys():
            self.labels[key].setVisible(False)
        for key, offset in shown.items():
            if before.get(key) != offset:
                item = self.labels[key]
                # ItemIgnoresTransformations: pos is in scene units, the offset in pixels
                item.setTransform(QTransform.fromTranslate(*offset))
                item.setVisible(True)
        self._shown = shown
        return True

    def _fit_labels(self, zoom: float) -> dict[str, tuple[float, float]]:
        """Greedy placement in screen pixels at ``zoom``: a label is shown unless it would
        overlap a label already placed (a bigger node's) - checked on a coarse grid."""
        cell = 60.0
        grid: dict[tuple[int, int], list[QRectF]] = {}
        shown: dict[str, tuple[float, float]] = {}

        def cells_of(rect: QRectF):
            return [(i, j) for i in range(int(rect.left() // cell), int(rect.right() // cell) + 1)
                    for j in range(int(rect.top() // cell), int(rect.bottom() // cell) + 1)]
        for node in self.nodes.values():       # a label never covers a node
            r = node.radius * zoom
            rect = QRectF(node.pos().x() * zoom - r, node.pos().y() * zoom - r, 2 * r, 2 * r)
            for c in cells_of(rect):
                grid.setdefault(c, []).append(rect)
        for key in self._label_order:
            node = self.nodes[key]
            w, h = self._label_sizes[key]
            if node.node.kind != "group" and zoom < 0.35:
                continue                # far out: only the groups are named
            cx, cy = node.pos().x() * zoom, node.pos().y() * zoom
            r = node.radius * zoom

            def free(rect: QRectF) -> bool:
                return not any(rect.intersects(o) for c in cells_of(rect) for o in grid.get(c, ()))
            dy = r + 1                                   # centred under the node ...
            rect = QRectF(cx - w / 2, cy + dy, w, h)
            if not free(rect):
                if node.node.kind != "group":
                    continue
                # ... a group is always named: above its square when a node is below it
                above = QRectF(cx - w / 2, cy - r - 1 - h, w, h)
                if free(above):
                    dy, rect = -r - 1 - h, above
            for c in cells_of(rect):
                grid.setdefault(c, []).append(rect)
            shown[key] = (-w / 2, dy)
        return shown

    def prepare_band(self, band: int) -> bool:
        """Decide the labels of ``band`` ahead of need (idle time); False if already known."""
        if band in self._bands or not self.nodes:
            return False
        self._bands[band] = self._fit_labels(LABEL_BANDS ** band)
        return True

    def visible_labels(self) -> list[str]:
        return [k for k in self._label_order if k in self._shown]

    def select_key(self, key: str) -> NodeItem | None:
        self.clearSelection()
        item = self.nodes.get(key)
        if item is not None:
            item.setSelected(True)
        return item


class NetworkView(QGraphicsView):
    """Pan by dragging, zoom with the wheel (around the pointer) or +/-; 0 fits the picture.
    A click on a node emits ``node_clicked(kind, entity_id)``; a double click or Enter on the
    selected node emits ``node_opened``."""

    node_clicked = Signal(str, int)
    node_opened = Signal(str, int)
    zoom_changed = Signal(float)

    MIN_ZOOM, MAX_ZOOM = 0.05, 8.0

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.net = NetworkScene(self)
        self.setScene(self.net)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setBackgroundBrush(QBrush(QColor("#fbfcfc")))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Network picture")
        # panned by dragging: no scroll bars eating into a laptop's screen
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._press_pos = None
        # While the picture moves it is drawn without antialiasing (several times cheaper
        # with hundreds of edges); a moment after it stops, once more smoothly.
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(180)
        self._settle.timeout.connect(self._settled)
        self._to_prepare: list[int] = []
        self._prepare_timer = QTimer(self)
        self._prepare_timer.setInterval(0)          # runs when the event queue is empty
        self._prepare_timer.timeout.connect(self._prepare_next)

    def _moving(self) -> None:
        if self.renderHints() & QPainter.RenderHint.Antialiasing:
            self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._settle.start()

    def _settled(self) -> None:
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.viewport().update()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self._moving()
        super().scrollContentsBy(dx, dy)

    # -- content -----------------------------------------------------------------------------
    def set_picture(self, picture) -> None:
        self.net.set_picture(picture)
        self.fit()
        # the labels of the zoom bands around this one, decided one per idle moment, so that
        # a wheel step into a new band only shows what is already known
        here = self.net.band
        self._to_prepare = sorted((b for b in range(self.net.band_of(self.MIN_ZOOM),
                                                    self.net.band_of(self.MAX_ZOOM) + 1)),
                                  key=lambda b: abs(b - here)) if here is not None else []
        self._prepare_timer.start()

    def _prepare_next(self) -> None:
        while self._to_prepare:
            if self.net.prepare_band(self._to_prepare.pop(0)):
                return                      # one band per idle moment
        self._prepare_timer.stop()

    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        if not self.net.nodes:
            self.resetTransform()
            self.net.show_labels_for(1.0)
            return
        self.fitInView(self.net.nodes_rect.adjusted(-40, -40, 40, 60),
                       Qt.AspectRatioMode.KeepAspectRatio)
        self.scale(0.92, 0.92)          # room at the edges for the outermost names
        self._zoomed()

    def zoom_by(self, factor: float) -> None:
        z = self.zoom()
        factor = max(self.MIN_ZOOM / z, min(self.MAX_ZOOM / z, factor))
        self._moving()
        self.scale(factor, factor)
        self._zoomed()

    def _zoomed(self) -> None:
        self.net.show_labels_for(self.zoom())
        self.zoom_changed.emit(self.zoom())

    def centre_on_key(self, key: str) -> None:
        item = self.net.select_key(key)
        if item is not None:
            self.centerOn(item)

    # -- input ---------------------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15 ** steps)
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_0:
            self.fit()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            chosen = [i for i in self.net.selectedItems() if isinstance(i, NodeItem)]
            if chosen:
                n = chosen[0].node
                self.node_opened.emit(n.kind, int(n.entity_id))
        else:
            super().keyPressEvent(event)

    def node_at(self, pos) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event) -> None:
        self._press_pos = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        pos = event.position().toPoint()
        if (event.button() == Qt.MouseButton.LeftButton and self._press_pos is not None
                and (pos - self._press_pos).manhattanLength() < 5):
            item = self.node_at(pos)
            if item is not None:
                self.net.select_key(item.key)
                self.node_clicked.emit(item.node.kind, int(item.node.entity_id))
        self._press_pos = None

    def mouseDoubleClickEvent(self, event) -> None:
        item = self.node_at(event.position().toPoint())
        if item is not None:
            self.node_opened.emit(item.node.kind, int(item.node.entity_id))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)
