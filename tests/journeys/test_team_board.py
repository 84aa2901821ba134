"""Journey (issue 17, "done when"): two people on one server workspace at once. The
coordinator watches the action board; a police partner officer, on another computer (here
another main window in the same process, with a connection and worker of its own), marks
one of their agency's actions done on their board. Within a second of the officer's save,
the card sits in the Done column of the coordinator's board, without anyone pressing
refresh: the server's NOTIFY reached the coordinator's listener and the board reloaded.
"""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from driver import (WAIT, click_row, field, navigate, popup_entry, press, shot, type_into,
                    when_dialog)
from tests.ui.team_support import (  # noqa: F401 - fixtures
    COORDINATOR_PASSWORD, OFFICER_PASSWORD, connect_through_dialog, start_window, stop_window,
    team_db, team_template,
)

pytestmark = pytest.mark.server


def column(board, name: str):
    return next(v for v in board.columns.views() if v.accessibleName() == f"{name} column")


def open_board(qtbot, win, address, password):
    connect_through_dialog(qtbot, win, address, password)
    qtbot.waitUntil(lambda: win.ctx.unlocked, timeout=WAIT)
    board = navigate(qtbot, win, "Action board")
    qtbot.waitUntil(lambda: board.count_label.text().endswith("actions"), timeout=WAIT)
    qtbot.waitUntil(lambda: win.team.live is not None and win.team.live.listener.connected,
                    timeout=WAIT)
    return board


def test_an_officer_marks_an_action_done_and_the_coordinators_board_moves_the_card(
        qtbot, tmp_path, team_db, capsys):
    coordinator = start_window(qtbot, tmp_path / "coordinator")
    officer = start_window(qtbot, tmp_path / "officer")
    try:
        coord_board = open_board(qtbot, coordinator, team_db.address(team_db.coordinator),
                                 COORDINATOR_PASSWORD)
        officer_board = open_board(qtbot, officer, team_db.address(team_db.officer),
                                   OFFICER_PASSWORD)
        assert officer.ctx.services.actor.role.value == "partner_officer"
        # the server shows the officer only their agency's actions
        mine = {c.id for c in officer_board.visible_cards()}
        assert mine and len(mine) < len(coord_board.visible_cards())
        assert {c.action.partner_name for c in officer_board.visible_cards()} == {team_db.officer_partner}

        # -- the officer: select their first card in progress, Ctrl+M, "Move to Done" ------
        source = column(officer_board, "In progress")
        if source.model().rowCount() == 0:
            source = column(officer_board, "Planned")
        first = source.model().index(0).data()
        click_row(qtbot, source, first)
        card = source.selected_cards()[0]
        coord_done = column(coord_board, "Done")
        assert coord_done.model().row_of(card.id) is None
        shot(coordinator, "team-board", "coordinator-before")

        saved_at: list[float] = []
        officer.ctx.data_changed.connect(
            lambda kind: saved_at.append(time.perf_counter()) if kind == "action" else None)

        def outcome(dlg):
            type_into(qtbot, field(qtbot, dlg, "Outcome"),
                      "Home visit made with the neighbourhood team (fictional)")
            press(qtbot, "Mark done", dlg)
        when_dialog("Outcome", outcome)
        qtbot.keyClick(source, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
        popup_entry(qtbot, "Move to Done")

        # the officer's save returns (their board emits data_changed("action") once saved)
        qtbot.waitUntil(lambda: bool(saved_at), timeout=WAIT)
        assert column(officer_board, "Done").model().row_of(card.id) is not None
        # ... and within a second the coordinator's board has the card in Done
        qtbot.waitUntil(lambda: coord_done.model().row_of(card.id) is not None, timeout=1000)
        moved_ms = (time.perf_counter() - saved_at[0]) * 1000
        with capsys.disabled():
            print(f"\n[team-board] the card moved on the coordinator's board {moved_ms:.0f} ms "
                  "after the officer's save returned")
        saved = coordinator.ctx.call_sync(lambda s: s.actions.get(card.id))
        assert getattr(saved.status, "value", saved.status) == "done"
        assert saved.outcome.startswith("Home visit made")
        # the server wrote who did it, from the officer's own login
        entries = coordinator.ctx.call_sync(lambda s: s.audit_log.entries(limit=50))
        assert any(e.username == team_db.officer and e.entity == "action"
                   and e.entity_ref == str(card.id) for e in entries)
        # the coordinator looks the person up on the board: the card is in Done
        search = field(qtbot, coord_board, "Search actions, references…")
        type_into(qtbot, search, card.action.person_reference)
        qtbot.waitUntil(lambda: coord_done.model().row_of(card.id) is not None
                        and len(coord_board.visible_cards()) < 20, timeout=WAIT)
        shot(coordinator, "team-board", "coordinator-card-done")
        shot(officer, "team-board", "officer-card-done")
    finally:
        stop_window(officer)
        stop_window(coordinator)
