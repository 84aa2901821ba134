"""Invitee suggestions for the call-in wizard's invitee step, from the network: per targeted
group, its most connected current members who are not in custody and have not yet heard
the message. The user accepts them (they become invited) or ignores them."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from ..board.page import call_while_alive


class SuggestionsBox(QFrame):
    """The suggestions, ticked; "Invite the suggested" accepts the ticked ones, "Ignore"
    puts the box away. ``accepted`` carries the person ids."""

    accepted = Signal(list)

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("inviteeSuggestions")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._asked = 0
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 6, 8, 6)
        self.heading = QLabel("Suggested by the network: the most connected members not in "
                              "custody and not yet reached")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: 600;")
        col.addWidget(self.heading)
        self.list = QListWidget(self)
        self.list.setObjectName("suggestedInvitees")
        self.list.setAccessibleName("Suggested invitees")
        self.list.setMaximumHeight(110)
        col.addWidget(self.list)
        row = QHBoxLayout()
        self.accept_button = QPushButton("Invite the suggested")
        self.accept_button.setToolTip("Invite the ticked people")
        self.ignore_button = QPushButton("Ignore suggestions")
        row.addWidget(self.accept_button)
        row.addWidget(self.ignore_button)
        row.addStretch(1)
        col.addLayout(row)
        self.accept_button.clicked.connect(self._accept)
        self.ignore_button.clicked.connect(self.hide)
        self.hide()

    def load(self, group_ids: list[int], invited: set[int]) -> None:
        """Ask for suggestions for ``group_ids``; people already invited are not suggested."""
        self._asked += 1
        asked = self._asked
        if not group_ids:
            self.hide()
            return

        def fetch(s):
            names = {g.id: g.name for g in s.groups.list()}
            return [(names.get(gid, ""), s.network.suggest_invitees(gid)) for gid in group_ids]
        call_while_alive(self.ctx, self, fetch, lambda found: self._show(asked, found, invited),
                         lambda exc: self.hide(), label="invitee suggestions")

    def _show(self, asked: int, found, invited: set[int]) -> None:
        if asked != self._asked:
            return
        self.list.clear()
        seen: set[int] = set()
        for group_name, suggestions in found:
            for sug in suggestions:
                if sug.person_id in invited or sug.person_id in seen:
                    continue
                seen.add(sug.person_id)
                item = QListWidgetItem(f"{sug.label} ({group_name}) — {sug.reason}")
                item.setData(Qt.ItemDataRole.UserRole, sug.person_id)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                self.list.addItem(item)
        self.setVisible(self.list.count() > 0)

    def _accept(self) -> None:
        ids = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
               if self.list.item(i).checkState() == Qt.CheckState.Checked]
        self.hide()
        if ids:
            self.accepted.emit(ids)
