"""The action board page: columns of cards by status, filters, summary strip, moves.

Data is loaded once through the board service (on the database worker) and
filtered in memory on every change of a filter. A move (drag and drop,
Ctrl+Left/Right, or Ctrl+M "Move to…") is a command on ``ctx.undo_stack``: the
card moves at once and the service saves it (audited, version-guarded) on the
worker; undo moves it back the same way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import shiboken6

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QHBoxLayout, QLabel, QMenu, QMessageBox, QPushButton,
    QVBoxLayout, QWidget,
)

from ...domain.enums import label
from ...domain.errors import EditConflict
from ...services.board import (
    NEEDS_OUTCOME, BoardCard, BoardData, BoardFilter, filter_cards, group_key,
    make_card, summarise,
)
from ..conflicts import KEEP_MINE, ConflictDialog
from ..page import Page
from .columns import STATUS_KEYS, BoardColumns
from .widgets import FilterBar, OutcomeDialog, SummaryStrip

ZOOMS = (100, 125, 150, 175, 200, 250, 300)
GROUPING_LABELS = (("status", "Status only"), ("partner", "Partner"), ("person", "Person"),
                   ("group", "Group"))


def alive(widget: QWidget, fn):
    """``fn`` wrapped to do nothing once ``widget`` is deleted: an answer from the database
    worker can arrive after its page was closed (locking, quitting)."""
    if fn is None:
        return None

    def call(*args):
        if shiboken6.isValid(widget):
            fn(*args)
    return call


def call_while_alive(ctx, widget: QWidget, fn, on_success=None, on_failure=None, label=""):
    """``ctx.call`` whose callbacks are skipped if ``widget`` was deleted meanwhile."""
    return ctx.call(fn, alive(widget, on_success), alive(widget, on_failure), label=label)


@dataclass
class Move:
    action_id: int
    old_status: str
    old_outcome: str
    new_status: str
    new_outcome: str | None      # None: keep the outcome as it is


class MoveCardsCommand(QUndoCommand):
    """Move cards between columns; undo moves them back. Each step is saved and audited."""

    def __init__(self, page: "BoardPage", moves: list[Move]):
        n = len(moves)
        target = label(moves[0].new_status)
        super().__init__(f"Move {n} card{'s' if n > 1 else ''} to {target}")
        self.page = page
        self.moves = moves

    def redo(self) -> None:
        self.page.apply_moves([(m.action_id, m.new_status, m.new_outcome) for m in self.moves],
                              self)

    def undo(self) -> None:
        self.page.apply_moves([(m.action_id, m.old_status, m.old_outcome) for m in self.moves],
                              self)


class BoardPage(Page):
    title = "Action board"
    data_kinds = ("action", "partner", "person", "group", "cohort", "meeting")

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._data: BoardData | None = None
        self._cards: dict[int, BoardCard] = {}
        self._by_partner: dict[int, list[int]] = {}
        self._by_person: dict[int, list[int]] = {}
        self._expected: dict[int, int] = {}     # action id -> version after our own saves
        self.conflict_dialog = None             # open while a move conflict is shown
        self._visible: list[BoardCard] = []
        self._filter_restored = False
        self._emitting = False
        self.grouping = "status"
        self.last_filter_ms = 0.0
        self.projection = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 10, 10)
        lay.setSpacing(8)
        # Two rows, so that nothing overlaps on a laptop: the title with the count and the
        # projection button; then how the cards are shown.
        top = QHBoxLayout()
        heading = QLabel("Action board")
        heading.setProperty("role", "heading")
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        top.addWidget(heading)
        self.count_label = QLabel("")
        self.count_label.setProperty("role", "muted")
        top.addWidget(self.count_label)
        top.addStretch(1)
        self.project_button = QPushButton("Project on a screen…", self)
        self.project_button.setToolTip("Show the board full screen for a partnership meeting "
                                       "(references instead of names)")
        # clicked(bool) would hand its checked flag to an optional argument: drop it.
        self.project_button.clicked.connect(lambda: self.start_projection())
        top.addWidget(self.project_button)
        lay.addLayout(top)
        view = QHBoxLayout()
        view.setSpacing(6)
        self.references_only = QCheckBox("References only", self)
        self.references_only.setToolTip("Show partnership references instead of names (for a "
                                        "shared or overlooked screen)")
        self.references_only.toggled.connect(lambda on: self.columns.set_show_names(not on))
        view.addWidget(self.references_only)
        view.addSpacing(12)
        self.grouping_combo = QComboBox(self)
        self.grouping_combo.setAccessibleName("Group cards by")
        for key, text in GROUPING_LABELS:
            self.grouping_combo.addItem(text, key)
        self.grouping_combo.currentIndexChanged.connect(self._grouping_changed)
        grouping_label = QLabel("Group within columns by", self)
        grouping_label.setBuddy(self.grouping_combo)
        view.addWidget(grouping_label)
        view.addWidget(self.grouping_combo)
        view.addSpacing(12)
        self.zoom_combo = QComboBox(self)
        self.zoom_combo.setAccessibleName("Zoom")
        for z in ZOOMS:
            self.zoom_combo.addItem(f"{z}%", z)
        self.zoom_combo.currentIndexChanged.connect(self._zoom_changed)
        zoom_label = QLabel("Zoom", self)
        zoom_label.setBuddy(self.zoom_combo)
        view.addWidget(zoom_label)
        view.addWidget(self.zoom_combo)
        view.addStretch(1)
        lay.addLayout(view)

        self.filters = FilterBar(self)
        self.filters.changed.connect(self._filters_changed)
        lay.addWidget(self.filters)
        self.summary = SummaryStrip(self)
        self.summary.setStyleSheet("QLabel#summaryStrip { background: #e3f0f0; border-radius: 6px;"
                                   " padding: 6px 10px; font-size: 10pt; }")
        lay.addWidget(self.summary)
        from ..release.strip import IncompletePlansStrip
        self.incomplete_plans = IncompletePlansStrip(self.ctx, self)     # issue 16
        lay.addWidget(self.incomplete_plans)
        self.columns = BoardColumns(self, editable=True, show_names=True)
        lay.addWidget(self.columns, 1)
        self.hint = QLabel("Drag a card to another column, or select it and press Ctrl+Left / "
                           "Ctrl+Right (Ctrl+M: move to…). Ctrl+Z undoes a move. Enter opens "
                           "the action.")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)

        for key, model in self.columns.models.items():
            model.cards_dropped.connect(self._dropped, Qt.ConnectionType.QueuedConnection)
        for key, col in self.columns.columns.items():
            v = col.view
            v.move_requested.connect(lambda d, k=key: self.move_selected(k, d))
            v.move_menu_requested.connect(lambda k=key: self.show_move_menu(k))
            v.focus_neighbour.connect(lambda d, k=key: self._focus_column(k, d))
            v.open_requested.connect(self._open_action)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(700)
        self._save_timer.timeout.connect(self._save_filter)

    def _call(self, fn, on_success=None, on_failure=None, label: str = ""):
        return call_while_alive(self.ctx, self, fn, on_success, on_failure, label)

    # -- loading ------------------------------------------------------------------------
    def reload(self) -> None:
        self._call(lambda s: (s.board.load(), s.board.saved_filter()), self._loaded,
                      self._failed, label="load the action board")
        self.incomplete_plans.reload()

    def clear(self) -> None:
        self._data = None
        self._cards = {}
        self._by_partner, self._by_person = {}, {}
        self._expected = {}
        self._visible = []
        self._filter_restored = False
        self.columns.set_cards([])
        self.summary.show_summary(None)
        self.incomplete_plans.show_plans([])
        self.count_label.setText("")
        if self.projection is not None:
            self.projection.close()

    def focus_search(self) -> None:
        self.filters.search.setFocus()
        self.filters.search.selectAll()

    def view_state(self) -> object:
        """Grouping, zoom and selected action ids (no personal data), kept across a lock."""
        return {"grouping": self.grouping, "zoom": self.zoom_combo.currentData(),
                "references_only": self.references_only.isChecked(),
                "selected": self._selection()}

    def restore_view_state(self, state: object) -> None:
        if not isinstance(state, dict):
            return
        i = self.grouping_combo.findData(state.get("grouping", "status"))
        self.grouping_combo.setCurrentIndex(max(0, i))
        i = self.zoom_combo.findData(state.get("zoom", 100))
        self.zoom_combo.setCurrentIndex(max(0, i))
        self.references_only.setChecked(bool(state.get("references_only")))
        for key, ids in (state.get("selected") or {}).items():
            if key in self.columns.columns:
                self.columns.columns[key].view.select_ids(list(ids))

    def _loaded(self, result) -> None:
        data, saved = result
        self._data = data
        self._call(lambda s: s.reach.summary(), self.summary.show_reach, lambda e: None,
                   label="reach of the groups")
        self._cards = {c.id: c for c in data.cards}
        # Ids by owning partner and by person, in board order: a partner or person filter
        # starts from its few hundred cards instead of testing all 20,000.
        self._by_partner: dict[int, list[int]] = {}
        self._by_person: dict[int, list[int]] = {}
        for c in data.cards:
            self._by_partner.setdefault(c.action.partner_id, []).append(c.id)
            if c.action.person_id is not None:
                self._by_person.setdefault(c.action.person_id, []).append(c.id)
        for v in self.columns.views():
            v.itemDelegate().today = data.today
        self.filters.set_choices(data)
        if not self._filter_restored:
            self.filters.set_filter(saved)
            self._filter_restored = True
        self.refilter()

    def _failed(self, exc: BaseException) -> None:
        self.ctx.status_message.emit(f"The board could not be loaded: {exc}")

    def _on_data_changed(self, kind: str) -> None:
        if self._emitting or kind not in self.data_kinds:
            return
        super()._on_data_changed(kind)

    # -- filtering ------------------------------------------------------------------------
    def current_filter(self) -> BoardFilter:
        return self.filters.filter()

    def set_filter(self, f: BoardFilter) -> None:
        self.filters.set_filter(f, emit=True)

    def _filters_changed(self) -> None:
        self.refilter()
        self._save_timer.start()

    def _save_filter(self) -> None:
        f = self.filters.filter()
        self._call(lambda s: s.board.save_filter(f), None, lambda e: None)

    def _zoom_changed(self) -> None:
        self.columns.apply_theme(self.columns.theme, self.zoom_combo.currentData() / 100)

    def _grouping_changed(self) -> None:
        self.grouping = self.grouping_combo.currentData()
        self.refilter()

    def refilter(self, keep_selection: bool = True) -> None:
        if self._data is None:
            return
        selected = self._selection() if keep_selection else {}
        t0 = time.perf_counter()
        today = self._data.today
        cards = self._filtered(self.filters.filter(), today)
        self._visible = cards
        self.columns.set_cards(cards, self.grouping, presorted=True)
        self.summary.show_summary(summarise(cards, today))
        self.last_filter_ms = (time.perf_counter() - t0) * 1000
        shown, total = len(cards), len(self._cards)
        self.count_label.setText(f"{shown} of {total} actions" if shown != total
                                 else f"{total} actions")
        for key, ids in selected.items():
            self.columns.columns[key].view.select_ids(ids)
        if self.projection is not None:       # the wall follows the board
            self.projection.set_items(self.projection_items())

    def _filtered(self, f: BoardFilter, today) -> list[BoardCard]:
        if f.person_id is not None:
            base = [self._cards[i] for i in self._by_person.get(f.person_id, ())]
            f = replace(f, person_id=None)
        elif f.partner_id is not None:
            base = [self._cards[i] for i in self._by_partner.get(f.partner_id, ())]
            f = replace(f, partner_id=None)
        else:
            base = list(self._cards.values())
        return filter_cards(base, f, today)

    def _selection(self) -> dict[str, list[int]]:
        out = {}
        for key, col in self.columns.columns.items():
            ids = [c.id for c in col.view.selected_cards()]
            if ids:
                out[key] = ids
        return out

    def visible_cards(self) -> list[BoardCard]:
        return list(self._visible)

    # -- moving cards ----------------------------------------------------------------------
    def move_selected(self, from_key: str, direction: int) -> bool:
        i = STATUS_KEYS.index(from_key) + direction
        if not 0 <= i < len(STATUS_KEYS):
            return False
        cards = self.columns.columns[from_key].view.selected_cards()
        return self.request_move([c.id for c in cards], STATUS_KEYS[i])

    def show_move_menu(self, from_key: str) -> None:
        view = self.columns.columns[from_key].view
        if not view.selected_cards():
            return
        menu = QMenu(self)
        for key in STATUS_KEYS:
            if key != from_key:
                menu.addAction(f"Move to {label(key)}",
                               lambda k=key: self.request_move(
                                   [c.id for c in view.selected_cards()], k))
        rect = view.visualRect(view.currentIndex())
        menu.popup(view.viewport().mapToGlobal(rect.center() if rect.isValid() else QPoint(0, 0)))

    def _dropped(self, ids: list, key: str) -> None:
        self.request_move(ids, key)

    def ask_outcome(self, status: str, cards: list[BoardCard]) -> str | None:
        """Ask for the outcome (done) or the blocker (blocked); None if the user cancels."""
        current = cards[0].action.outcome if len(cards) == 1 and status == "blocked" \
            and cards[0].status == "blocked" else ""
        dialog = OutcomeDialog(status, len(cards), current, self)
        return dialog.value() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def request_move(self, ids: list[int], target: str) -> bool:
        """Move the cards ``ids`` to the column ``target`` (undoable). False if nothing moved."""
        cards = [self._cards[i] for i in ids if i in self._cards]
        cards = [c for c in cards if c.status != target]
        if not cards or target not in STATUS_KEYS:
            return False
        outcome = None
        if target in {s.value for s in NEEDS_OUTCOME}:
            outcome = self.ask_outcome(target, cards)
            if outcome is None:
                return False
        moves = [Move(c.id, c.status, c.action.outcome, target, outcome) for c in cards]
        for c in cards:                     # the state the user acted on
            self._expected[c.id] = c.action.version
        self.ctx.undo_stack.push(MoveCardsCommand(self, moves))
        return True

    def apply_moves(self, changes: list[tuple[int, str, str | None]],
                    command: MoveCardsCommand) -> None:
        """Show the moves at once, then save them on the worker (called by the command)."""
        if self._data is None:
            return
        today = self._data.today
        target = changes[0][1]
        versions: dict[int, int] = {}
        for aid, status, outcome in changes:
            card = self._cards.get(aid)
            if card is None:
                continue
            # The version this step expects and the one it leaves, chained across this
            # board's own moves: a second move (or undo) made before the first is saved
            # expects the right version, while an undo after someone else's change (seen
            # only through a reload) is refused rather than overwriting it.
            expected = self._expected.get(aid, card.action.version)
            versions[aid] = expected
            self._expected[aid] = expected + 1
            view = replace(card.action, status=status, version=expected + 1,
                           outcome=card.action.outcome if outcome is None else outcome)
            self._cards[aid] = make_card(view, today, card.cohort_ids, card.group_ids)
        self.refilter(keep_selection=False)
        view = self.columns.columns[target].view
        view.select_ids([aid for aid, _, _ in changes])
        if self.isVisible():
            view.setFocus()

        done: list[BoardCard] = []          # saved so far (a conflict stops the rest)

        def save(services, expected: dict[int, int]):
            for aid, status, outcome in changes[len(done):]:
                done.append(services.board.move(aid, status, outcome,
                                                expected_version=expected.get(aid)))
            return list(done)

        def saved(cards: list[BoardCard]) -> None:
            for c in cards:
                self._expected[c.id] = c.action.version
                if self._data is not None and c.id in self._cards:
                    self._cards[c.id] = c
            self.refilter()
            self._emitting = True
            try:
                self.ctx.data_changed.emit("action")
            finally:
                self._emitting = False

        def failed(exc: BaseException) -> None:
            if isinstance(exc, EditConflict) and not exc.removed and exc.mine is not None:
                self.show_move_conflict(exc, command, lambda v: self._call(
                    lambda s: save(s, {**versions, exc.mine.id: v}), saved, failed,
                    label="move cards on the board"))
                return
            command.setObsolete(True)
            box = QMessageBox(QMessageBox.Icon.Warning, "The move was not saved",
                              f"The card could not be moved: {exc}\n\nThe board has been "
                              "reloaded to show the saved state.", parent=self)
            box.setObjectName("moveFailed")
            box.open()
            self.reload()
        self._call(lambda s: save(s, versions), saved, failed, label="move cards on the board")

    def show_move_conflict(self, conflict: EditConflict, command: MoveCardsCommand,
                           move_again) -> None:
        """A card someone else changed since the board drew it: show both versions.
        Keep mine moves it again over theirs (``move_again(their version)``); Take
        theirs and Cancel show the board as saved (the move is not kept on undo)."""
        dlg = ConflictDialog(
            conflict, self, cancel_text="Cancel",
            heading="Someone else changed this card since your board showed it",
            intro=("Your move was not saved. Keep mine moves the card over their change; "
                   "Take theirs or Cancel shows the card as it is saved now."))
        dlg.setWindowTitle("Someone else changed this card")

        def resolved(_code) -> None:
            self.conflict_dialog = None
            if dlg.choice == KEEP_MINE:
                move_again(conflict.theirs.version)
            else:
                command.setObsolete(True)
                self.reload()
        dlg.finished.connect(resolved)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.conflict_dialog = dlg
        dlg.open()

    def _focus_column(self, key: str, direction: int) -> None:
        i = STATUS_KEYS.index(key) + direction
        if 0 <= i < len(STATUS_KEYS):
            v = self.columns.columns[STATUS_KEYS[i]].view
            v.setFocus()
            if not v.currentIndex().isValid() and v.model().rowCount():
                for r in range(v.model().rowCount()):
                    if v.card_model().card_at(r) is not None:
                        v.select_ids([v.card_model().card_at(r).id])
                        break

    def _open_action(self, action_id: int) -> None:
        signal = getattr(self.ctx, "open_requested", None)
        if signal is not None:
            signal.emit("action", action_id)

    # -- projection -------------------------------------------------------------------------
    def projection_items(self):
        from .projection import ProjectionItem
        cards = self.visible_cards()
        if self.grouping == "status":
            return [ProjectionItem("Action board", cards)]
        groups: dict[str, list[BoardCard]] = {}
        for c in cards:
            groups.setdefault(group_key(c, self.grouping), []).append(c)
        items = []
        for title in sorted(groups, key=lambda t: (t.startswith("("), t.casefold())):
            members = groups[title]
            ref = title if self.grouping == "person" and title.startswith("FD-") else ""
            name = members[0].action.person_name if ref else ""
            items.append(ProjectionItem(title, members, person_reference=ref, person_name=name))
        return items

    def start_projection(self):
        """Ask where, how large and to whom (the dialog returned), then show the board full
        screen on that screen."""
        from .projection import ask_projection
        if self._data is None:
            self.ctx.status_message.emit("The board is still loading; try again in a moment.")
            return None
        partners = self._data.partners
        return ask_projection(self, partners, [p.id for p in partners], self._project)

    def _project(self, settings):
        from .projection import project
        if self._data is None:
            return None
        window = project(self.ctx, settings, self._data.partners, self.projection_items(),
                         title="Action board", scope="board", today=self._data.today)
        self.projection = window
        window.destroyed.connect(lambda: setattr(self, "projection", None))
        return window
