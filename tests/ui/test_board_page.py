"""The action board page: moves by keyboard and by drag (drop on the model), undo,
the stored status and the audit trail; filters remembered; the outcome dialog."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from deterrence_desktop.domain.enums import ActionStatus
from deterrence_desktop.services.board import BoardFilter, filter_cards
from deterrence_desktop.ui.board import BoardPage
from deterrence_desktop.ui.board.widgets import OutcomeDialog
from tests.ui.board_support import audit_for, open_page, save_shot, wait_idle


@pytest.fixture
def board(qtbot, demo_app):
    ctx, page = open_page(qtbot, demo_app, BoardPage)
    page.show()
    qtbot.waitUntil(lambda: page._data is not None, timeout=15_000)
    yield ctx, page
    wait_idle(qtbot, ctx)
    ctx.runner.shutdown()


def first_card(page, key):
    model = page.columns.models[key]
    for r in range(model.rowCount()):
        card = model.card_at(r)
        if card is not None:
            return r, card
    raise AssertionError(f"no card in {key}")


def answer_next_dialog(qtbot, text=None):
    """Fill and accept (or, with text None, cancel) the next modal outcome dialog."""
    def act():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, OutcomeDialog):
            QTimer.singleShot(20, act)
            return
        if text is None:
            dialog.reject()
        else:
            dialog.text.setPlainText(text)
            dialog.accept()
    QTimer.singleShot(0, act)


def test_board_shows_every_action_in_status_columns(board, demo_app):
    ctx, page = board
    page.set_filter(BoardFilter())
    total = sum(1 for c in page._cards.values() if c.status in ("planned", "in_progress", "blocked", "done"))
    shown = sum(len(m.cards()) for m in page.columns.models.values())
    assert shown == total > 0
    for key, model in page.columns.models.items():
        assert all(c.status == key for c in model.cards())
    assert "Open" in page.summary.text() and "Overdue" in page.summary.text()
    flagged = page.summary.summary.flagged
    assert flagged and all(f"⚠ {p.name}" in page.summary.text() for p in flagged)
    save_shot(page, "board-normal.png")


def test_keyboard_move_then_undo_and_redo(board, qtbot, demo_app):
    ctx, page = board
    row, card = first_card(page, "planned")
    view = page.columns.columns["planned"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(row))
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    # The card moves at once and keeps the selection in its new column.
    moved_view = page.columns.columns["in_progress"].view
    assert page.columns.models["in_progress"].row_of(card.id) is not None
    assert page.columns.models["planned"].row_of(card.id) is None
    assert [c.id for c in moved_view.selected_cards()] == [card.id]
    wait_idle(qtbot, ctx)
    assert demo_app.actions.get(card.id).status == ActionStatus.IN_PROGRESS
    entries = audit_for(demo_app, "action", card.id)
    assert entries[-1].operation == "alteration" and "status" in entries[-1].detail
    assert entries[-1].username == "demo.coordinator"
    n = len(entries)

    ctx.undo_stack.undo()
    assert page.columns.models["planned"].row_of(card.id) is not None
    wait_idle(qtbot, ctx)
    assert demo_app.actions.get(card.id).status == ActionStatus.PLANNED
    assert len(audit_for(demo_app, "action", card.id)) == n + 1

    ctx.undo_stack.redo()
    wait_idle(qtbot, ctx)
    assert demo_app.actions.get(card.id).status == ActionStatus.IN_PROGRESS
    assert len(audit_for(demo_app, "action", card.id)) == n + 2
    # Ctrl+Left on the card in its new column moves it back again.
    moved_view.setFocus()
    qtbot.keyClick(moved_view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, ctx)
    assert demo_app.actions.get(card.id).status == ActionStatus.PLANNED


def test_drag_to_done_asks_the_outcome_and_undo_restores_it(board, qtbot, demo_app):
    ctx, page = board
    row, card = first_card(page, "in_progress")
    old_outcome = demo_app.actions.get(card.id).outcome
    source = page.columns.models["in_progress"]
    target = page.columns.models["done"]
    mime = source.mimeData([source.index(row)])
    assert target.canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, QModelIndex())
    answer_next_dialog(qtbot, "Assessment attended; treatment started (fictional)")
    assert target.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, QModelIndex())
    qtbot.waitUntil(lambda: target.row_of(card.id) is not None, timeout=5000)
    wait_idle(qtbot, ctx)
    stored = demo_app.actions.get(card.id)
    assert stored.status == ActionStatus.DONE
    assert stored.outcome == "Assessment attended; treatment started (fictional)"
    detail = audit_for(demo_app, "action", card.id)[-1].detail
    assert "outcome" in detail and "status" in detail and "treatment" not in detail
    assert ctx.undo_stack.undoText().startswith("Move 1 card to Done")
    ctx.undo_stack.undo()
    wait_idle(qtbot, ctx)
    stored = demo_app.actions.get(card.id)
    assert stored.status == ActionStatus.IN_PROGRESS and stored.outcome == old_outcome
    assert source.row_of(card.id) is not None
    # A drop back into the same column is no move at all.
    same = source.mimeData([source.index(source.row_of(card.id))])
    assert not source.dropMimeData(same, Qt.DropAction.MoveAction, -1, -1, QModelIndex())


def test_cancelling_the_blocker_leaves_the_card(board, qtbot, demo_app):
    ctx, page = board
    row, card = first_card(page, "planned")
    answer_next_dialog(qtbot, None)
    assert page.request_move([card.id], "blocked") is False
    assert page.columns.models["planned"].row_of(card.id) is not None
    assert ctx.undo_stack.count() == 0
    assert demo_app.actions.get(card.id).status == ActionStatus.PLANNED


def test_outcome_dialog_needs_text():
    d = OutcomeDialog("blocked", 2)
    ok = d.buttons.buttons()[0]
    assert not ok.isEnabled()
    d.text.setPlainText("Waiting for housing panel (fictional)")
    assert ok.isEnabled() and d.value().startswith("Waiting")
    assert "2 actions" in d.prompt.text()


def test_a_stale_card_shows_the_conflict_and_cancel_reloads_the_board(board, qtbot, demo_app):
    ctx, page = board
    row, card = first_card(page, "planned")
    # Someone else edits the action after the board loaded (its version moves on).
    from dataclasses import replace
    from deterrence_desktop.ui.conflicts import ConflictDialog
    action = demo_app.actions.get(card.id)
    demo_app.actions.update(replace(action, assignee="Z. Someone-else"))
    assert page.request_move([card.id], "in_progress")
    wait_idle(qtbot, ctx)
    qtbot.waitUntil(lambda: isinstance(page.conflict_dialog, ConflictDialog), timeout=10_000)
    assert demo_app.actions.get(card.id).status == ActionStatus.PLANNED     # not overwritten
    page.conflict_dialog.cancel_button.click()
    qtbot.waitUntil(lambda: page.columns.models["planned"].row_of(card.id) is not None,
                    timeout=10_000)                 # reloaded: the card where it is saved
    assert page._cards[card.id].action.assignee == "Z. Someone-else"
    assert demo_app.actions.get(card.id).status == ActionStatus.PLANNED


def test_filters_combine_and_are_remembered(board, qtbot, demo_app):
    ctx, page = board
    data = page._data
    f = BoardFilter(partner_id=data.partners[1].id, kind="support", overdue_only=False,
                    due_within_days=30, cohort_id=data.cohorts[0].id)
    page.set_filter(f)
    assert page.current_filter() == f
    want = {c.id for c in filter_cards(data.cards, f, data.today)}
    assert {c.id for c in page.visible_cards()} == want
    assert all(c.action.partner_id == f.partner_id and c.action.kind == "support"
               for c in page.visible_cards())
    assert page.last_filter_ms > 0
    page._save_timer.timeout.emit()          # the debounce fires
    wait_idle(qtbot, ctx)
    assert demo_app.board.saved_filter() == f
    # A new board page (next session) starts with the remembered filter.
    from tests.ui.board_support import open_page as again
    ctx2, page2 = again(qtbot, demo_app, BoardPage)
    qtbot.waitUntil(lambda: page2._data is not None, timeout=15_000)
    assert page2.current_filter() == f
    assert {c.id for c in page2.visible_cards()} == want
    wait_idle(qtbot, ctx2)
    ctx2.runner.shutdown()


def test_grouping_puts_headings_inside_columns(board):
    ctx, page = board
    page.grouping_combo.setCurrentIndex(page.grouping_combo.findData("partner"))
    model = page.columns.models["planned"]
    headings = [model.index(r).data() for r in range(model.rowCount())
                if model.card_at(r) is None]
    assert headings and all("(" in h for h in headings)
    save_shot(page, "board-grouped-partner.png")


def test_lock_drops_every_card(board):
    ctx, page = board
    page.clear()
    assert all(m.rowCount() == 0 for m in page.columns.models.values())
    assert page._cards == {}


def test_move_to_menu_by_keyboard(board, qtbot, demo_app):
    from PySide6.QtWidgets import QMenu
    ctx, page = board
    row, card = first_card(page, "planned")
    view = page.columns.columns["planned"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(row))
    qtbot.keyClick(view, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    menu = next(m for m in page.findChildren(QMenu) if m.isVisible())
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Move to In progress", "Move to Blocked", "Move to Done"]
    menu.actions()[0].trigger()
    wait_idle(qtbot, ctx)
    assert demo_app.actions.get(card.id).status == ActionStatus.IN_PROGRESS
    assert page.columns.models["in_progress"].row_of(card.id) is not None


def test_qt_setters_cannot_drain_none(qtbot):
    """A long session of filtering must not drain None's or True's reference counts (the
    PySide6 6.12 wheels did on Python 3.11; see tests/ui/test_qt_binding.py)."""
    import sys
    from deterrence_desktop.ui.board.widgets import FilterBar
    bar = FilterBar()
    qtbot.addWidget(bar)
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        bar.search.setText("x")           # a void call, and FilterBar.changed.emit()
        bar.search.setText("")
    after = sys.getrefcount(None), sys.getrefcount(True)
    assert after[0] > before[0] - 100 and after[1] > before[1] - 100, (before, after)


def test_references_only_hides_names_at_the_desk(board, demo_app):
    ctx, page = board
    row, card = first_card(page, "planned")
    model = page.columns.models["planned"]
    name = card.action.person_name
    assert name and name in model.index(row).data()
    page.references_only.setChecked(True)
    texts = [model.index(r).data() for r in range(model.rowCount())]
    assert not any(name in t for t in texts) and card.action.person_reference in texts[row]
    state = page.view_state()
    page.references_only.setChecked(False)
    page.restore_view_state(state)
    assert page.references_only.isChecked()


def test_quick_successive_moves_of_one_card_are_all_saved(board, qtbot, demo_app):
    ctx, page = board
    row, card = first_card(page, "planned")
    view = page.columns.columns["planned"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(row))
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    moved = page.columns.columns["in_progress"].view
    qtbot.keyClick(moved, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)   # before the save
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, ctx)
    assert page.findChild(QDialog, "moveFailed") is None
    stored = demo_app.actions.get(card.id)
    assert stored.status == ActionStatus.IN_PROGRESS and stored.version == card.action.version + 3
    assert page._cards[card.id].action.version == stored.version
    ctx.undo_stack.undo()
    ctx.undo_stack.undo()
    ctx.undo_stack.undo()
    wait_idle(qtbot, ctx)
    assert demo_app.actions.get(card.id).status == ActionStatus.PLANNED
    assert page.findChild(QDialog, "moveFailed") is None


def test_undo_after_someone_elses_change_is_refused(board, qtbot, demo_app):
    from dataclasses import replace
    ctx, page = board
    row, card = first_card(page, "planned")
    assert page.request_move([card.id], "in_progress")
    wait_idle(qtbot, ctx)
    # A partner changes the action too; the board reloads and shows their version.
    theirs = demo_app.actions.update(replace(demo_app.actions.get(card.id), assignee="Z. Partner"))
    page.reload()
    wait_idle(qtbot, ctx)
    ctx.undo_stack.undo()
    wait_idle(qtbot, ctx)
    from deterrence_desktop.ui.conflicts import ConflictDialog
    assert isinstance(page.conflict_dialog, ConflictDialog)       # both versions shown
    stored = demo_app.actions.get(card.id)
    assert stored.status == ActionStatus.IN_PROGRESS and stored.version == theirs.version
    page.conflict_dialog.cancel_button.click()
    qtbot.waitUntil(lambda: page.columns.models["in_progress"].row_of(card.id) is not None,
                    timeout=10_000)


def test_changes_made_while_hidden_show_when_the_board_returns(board, qtbot, demo_app):
    ctx, page = board
    row, card = first_card(page, "planned")
    page.hide()
    demo_app.actions.set_status(card.id, ActionStatus.IN_PROGRESS)   # e.g. from the Actions page
    ctx.data_changed.emit("action")
    page.show()
    qtbot.waitUntil(lambda: page.columns.models["in_progress"].row_of(card.id) is not None,
                    timeout=10_000)
