"""The network picture's scene and view, from a plain picture (no services): one item per
node, edges grouped by kind, labels that never overlap and are decided once per zoom band,
a click on a node says which person or group it is."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt

from deterrence_desktop.ui.network.scene import NetworkView, NodeItem
from tests.ui.network_support import picture


def make_view(qtbot, people=300, groups=10):
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_picture(picture(people, groups))
    return view


def label_rects(view):
    rects = []
    for key in view.net.visible_labels():
        item = view.net.labels[key]
        rects.append(item.deviceTransform(view.viewportTransform())
                     .mapRect(item.boundingRect()))
    return rects


def test_scene_has_a_node_per_person_and_group_and_few_edge_items(qtbot):
    view = make_view(qtbot)
    nodes = [i for i in view.net.items() if isinstance(i, NodeItem)]
    assert len(nodes) == 310
    assert set(view.net.edge_items) >= {"member", "rival", "ally"}
    assert len(view.net.edge_items) <= 8            # not one item per edge
    assert view.net.edge_counts["member"] == 300
    assert view.net.edge_counts["rival"] + view.net.edge_counts["ally"] == 10


def test_labels_never_overlap_and_more_show_when_zoomed_in(qtbot):
    view = make_view(qtbot)
    far = view.net.visible_labels()
    rects = label_rects(view)
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not QRectF(a).adjusted(1, 1, -1, -1).intersects(QRectF(b)), "labels pile up"
    assert all(k.startswith("g:") for k in far[:10])        # groups keep their names first
    view.zoom_by(6.0)                        # from the whole picture to a part of it
    near = view.net.visible_labels()
    assert len(near) > len(far)
    rects = label_rects(view)
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not QRectF(a).adjusted(1, 1, -1, -1).intersects(QRectF(b))


def test_a_persons_label_never_covers_a_node_and_every_group_is_named(qtbot):
    view = make_view(qtbot)
    view.zoom_by(6.0)
    shown = view.net.visible_labels()
    assert {k for k in view.net.nodes if k.startswith("g:")} <= set(shown)
    nodes = [view.mapFromScene(i.sceneBoundingRect()).boundingRect() for i in view.net.nodes.values()]
    for key in shown:
        if key.startswith("p:"):
            item = view.net.labels[key]
            rect = item.deviceTransform(view.viewportTransform()).mapRect(item.boundingRect())
            assert not any(QRectF(rect).adjusted(2, 2, -2, -2).intersects(QRectF(n).adjusted(3, 3, -3, -3))
                           for n in nodes), key


def test_labels_are_decided_once_per_zoom_band_ahead_of_need(qtbot):
    view = make_view(qtbot)
    net = view.net
    assert not net.show_labels_for(view.zoom())            # same band: nothing recomputed
    qtbot.waitUntil(lambda: not view._prepare_timer.isActive(), timeout=5000)    # idle time
    bands = dict(net._bands)
    assert len(bands) >= 20                                # every band from 5% to 800%
    calls = []
    net._fit_labels = lambda zoom: calls.append(zoom) or {}
    for _ in range(12):
        view.zoom_by(1.25)                                 # wheel steps through the bands
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 200)   # a pan
    assert calls == [] and net._bands == bands             # nothing decided on a frame


def test_clicking_a_node_says_which_person_it_is(qtbot):
    view = make_view(qtbot, people=30, groups=3)
    item = view.net.nodes["p:5"]
    view.centerOn(item)
    pos = view.mapFromScene(item.pos())
    with qtbot.waitSignal(view.node_clicked) as sig:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args == ["person", 5]
    assert item.isSelected()
    with qtbot.waitSignal(view.node_opened) as sig:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert sig.args == ["person", 5]


def test_keyboard_zoom_and_fit(qtbot):
    view = make_view(qtbot, people=30, groups=3)
    z = view.zoom()
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.zoom() > z
    qtbot.keyClick(view, Qt.Key.Key_0)
    assert abs(view.zoom() - z) < 1e-6


def test_an_empty_picture_is_an_empty_scene(qtbot):
    view = NetworkView()
    qtbot.addWidget(view)
    view.set_picture(None)
    assert view.net.nodes == {}
