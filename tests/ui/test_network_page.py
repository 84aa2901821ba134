"""The Network page on the demo: the picture and its analysis come from the worker, the
filters narrow it, "References only" replaces names, a click says who a node is and a
double click opens the record, and Save PDF writes a marked picture."""
from __future__ import annotations

import re
import subprocess

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from deterrence_desktop.ui.network.page import NetworkPage
from deterrence_desktop.ui.network.scene import NodeItem
from tests.journeys.driver import WAIT, button, choose, field, file_dialog, press
from tests.ui.board_support import open_page, wait_idle


@pytest.fixture
def network(qtbot, demo_app):
    ctx, page = open_page(qtbot, demo_app, NetworkPage)
    qtbot.waitUntil(lambda: page.picture is not None, timeout=WAIT)
    yield ctx, page
    wait_idle(qtbot, ctx)
    ctx.runner.shutdown()


def _redrawn(qtbot, page, before):
    qtbot.waitUntil(lambda: page.picture is not before and page.picture is not None, timeout=WAIT)
    return page.picture


def test_the_demo_network_is_drawn_with_key_players(qtbot, network):
    ctx, page = network
    people = [n for n in page.picture.nodes if n.kind == "person"]
    groups = [n for n in page.picture.nodes if n.kind == "group"]
    assert people and groups
    assert len([i for i in page.view.net.items() if isinstance(i, NodeItem)]) == len(page.picture.nodes)
    assert page.players.count() > 0
    assert re.search(r"\d+ people, \d+ groups, \d+ links", page.count_label.text())
    assert "betweenness" in page.summary.text()


def test_group_filter_and_references_only(qtbot, network, demo_app):
    ctx, page = network
    everyone = page.picture
    group = max(demo_app.groups.list(), key=lambda g: g.members)
    choose(qtbot, field(qtbot, page, "Group", QComboBox), group.name)
    one = _redrawn(qtbot, page, everyone)
    assert len(one.nodes) < len(everyone.nodes)
    assert f"g:{group.id}" in {n.key for n in one.nodes}
    qtbot.mouseClick(button(qtbot, "References only", page), Qt.MouseButton.LeftButton)
    refs = _redrawn(qtbot, page, one)
    labels = [n.label for n in refs.nodes if n.kind == "person"]
    assert labels and all(n.label == n.reference for n in refs.nodes if n.kind == "person")


def test_clicking_and_double_clicking_a_person(qtbot, network):
    ctx, page = network
    node = max((n for n in page.picture.nodes if n.kind == "person"), key=lambda n: n.size)
    item = page.view.net.nodes[node.key]
    page.view.centerOn(item)
    pos = page.view.mapFromScene(item.pos())
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert node.label in page.selected.text()
    with qtbot.waitSignal(ctx.open_requested) as sig:
        press(qtbot, "Open the person", page)
    assert sig.args == ["person", node.entity_id]
    with qtbot.waitSignal(ctx.open_requested) as sig:
        qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args == ["person", node.entity_id]


def test_the_filters_come_back_after_a_lock(qtbot, network, demo_app):
    ctx, page = network
    group = max(demo_app.groups.list(), key=lambda g: g.members)
    before = page.picture
    choose(qtbot, field(qtbot, page, "Group", QComboBox), group.name)
    _redrawn(qtbot, page, before)
    state = page.view_state()
    services = ctx.services
    ctx.drop_services()                            # locked: every row dropped
    assert page.picture is None and page.group.currentText() == group.name
    page.restore_view_state(state)
    ctx.set_services(services)                     # unlocked again
    qtbot.waitUntil(lambda: page.picture is not None, timeout=WAIT)
    assert page.group.currentText() == group.name
    assert f"g:{group.id}" in {n.key for n in page.picture.nodes}


def test_save_pdf_writes_a_marked_picture(qtbot, network, tmp_path):
    ctx, page = network
    out = tmp_path / "network.pdf"
    press(qtbot, "Save PDF…", page)
    file_dialog(qtbot, "Save the network as PDF", out)
    qtbot.waitUntil(out.exists, timeout=WAIT)
    wait_idle(qtbot, ctx)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "OFFICIAL-SENSITIVE" in text
    assert (out.stat().st_mode & 0o777) == 0o600


def test_while_the_board_is_projected_the_network_shows_references(qtbot, network, demo_app):
    from deterrence_desktop.ui.board import BoardPage
    from tests.ui.board_support import project_by_pressing

    ctx, page = network
    names = page.picture
    assert any(n.label != n.reference for n in names.nodes if n.kind == "person")
    board = BoardPage(ctx)
    qtbot.addWidget(board)
    board.resize(1200, 800)
    board.show()
    qtbot.waitUntil(lambda: board._data is not None, timeout=WAIT)
    # the board's summary strip says how far the message has reached
    qtbot.waitUntil(lambda: "groups reached" in board.summary.text(), timeout=WAIT)
    reaches = ctx.call_sync(lambda s: s.reach.groups())
    reached = sum(1 for r in reaches if r.reached_flag)
    assert f"<b>Reach</b> {reached} of {len(reaches)} groups reached" in board.summary.text()
    project_by_pressing(qtbot, board, zoom=150, isa_only=False,
                        present=[p.name for p in demo_app.partners.all()[:2]])
    qtbot.waitUntil(lambda: board.projection is not None, timeout=WAIT)
    page.activateWindow()
    refs = _redrawn(qtbot, page, names)            # the page follows the projection
    assert all(n.label == n.reference for n in refs.nodes if n.kind == "person")
    assert not page.references_only.isEnabled()
    board.projection.close()
    back = _redrawn(qtbot, page, refs)
    assert any(n.label != n.reference for n in back.nodes if n.kind == "person")
    assert page.references_only.isEnabled()


def test_a_partner_officer_is_told_plainly_and_sees_no_picture(qtbot, demo_app):
    officer = demo_app.as_user("demo.officer")
    ctx, page = open_page(qtbot, officer, NetworkPage)
    qtbot.waitUntil(lambda: page.selected.text() and "Click a person" not in page.selected.text(),
                    timeout=WAIT)
    assert page.picture is None and not page.view.net.nodes
    from PySide6.QtWidgets import QApplication, QMessageBox
    assert not [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()]              # no box in the way
    wait_idle(qtbot, ctx)
    ctx.runner.shutdown()
