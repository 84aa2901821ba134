"""One record on one screen: a person's page, a group's page, a partner's page.

Each view shows a read model from the services (``PersonPage``, ``GroupPage``,
``PartnerPage``) and drops it on ``clear()``. Sub-lists are :class:`RowsModel`
tables; a double-click (or Enter) on a row asks the main window, through
``ctx.open_requested``, to show that person, group or action. A person's groups,
influencers and cohorts, and a group's members, are changed with the buttons
under their tables (``editors``), each change undoable.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QFormLayout, QFrame, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
    QPushButton, QScrollArea, QSizePolicy, QTableView, QVBoxLayout, QWidget,
)

from ..domain import clock
from ..domain.enums import label
from ..security.roles import Can
from . import editors
from ..services.contacts import messages_label
from .context import AppContext
from .outcomes.section import OutcomesSection
from .models import Column, IdRole, RowsModel, date_column, enum_column, fmt_date, text_column
from .style import ERROR, set_role


def _heading(text: str, role: str = "heading") -> QLabel:
    lab = QLabel(text)
    set_role(lab, role)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    lab.setWordWrap(True)
    return lab


class Card(QFrame):
    """A titled white panel."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        set_role(self, "card")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(12, 8, 12, 12)
        self.title_label = _heading(title, "subheading")
        self.layout_.addWidget(self.title_label)
        self.layout_.setAlignment(Qt.AlignmentFlag.AlignTop)

    def add(self, widget: QWidget, stretch: int = 0) -> QWidget:
        self.layout_.addWidget(widget, stretch)
        return widget


class KeyValues(QWidget):
    """Label: value rows whose values are replaced on each show."""

    def __init__(self, keys: Sequence[str], parent: QWidget | None = None,
                 wrap: Sequence[str] = ()):
        super().__init__(parent)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.values: dict[str, QLabel] = {}
        for key in keys:
            value = QLabel()
            value.setWordWrap(key in wrap)      # wrapped labels in a form mis-size their height
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            key_label = QLabel(key)
            set_role(key_label, "muted")
            form.addRow(key_label, value)
            self.values[key] = value

    def set(self, key: str, text: str) -> None:
        self.values[key].setText(text or "—")

    def clear(self) -> None:
        for v in self.values.values():
            v.setText("")


class MiniTable(QTableView):
    """A short, sortable, read-only table inside a page; grows to fit up to ``max_rows``."""

    activated_id = Signal(int)

    def __init__(self, columns: Sequence[Column], empty_text: str, max_rows: int = 10,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.model_ = RowsModel(columns, parent=self)
        self.setModel(self.model_)
        self.max_rows = max_rows
        self.empty_text = empty_text
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)          # rows come in the service's order until a click
        self.verticalHeader().hide()
        self.setWordWrap(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(160)        # never wider than its card: scroll sideways instead
        self.doubleClicked.connect(self._activate)
        self.empty_label = QLabel(empty_text)
        set_role(self.empty_label, "muted")

    def set_rows(self, rows) -> None:
        self.model_.set_rows(rows)
        self.resizeColumnsToContents()
        for c in range(self.model_.columnCount() - 1):
            self.setColumnWidth(c, min(self.columnWidth(c) + 12, 320))
        shown = max(1, min(len(rows), self.max_rows))
        height = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
        height += sum(self.verticalHeader().sectionSize(0) for _ in range(shown)) if rows else 24
        self.updateGeometries()
        if self.horizontalScrollBar().maximum() > 0:      # wide columns: keep the rows in view
            height += self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(height + 2)
        self.setVisible(bool(rows))
        self.empty_label.setVisible(not rows)

    def clear_rows(self) -> None:
        self.model_.clear()

    def selected(self):
        """The row (as the service gave it) selected in this table, or None."""
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        row = self.model_.row_object(rows[0].row()) if rows else None
        return row._v if isinstance(row, _Subject) else row

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _activate(self, index) -> None:
        row_id = self.model_.data(self.model_.index(index.row(), 0), IdRole)
        if row_id is not None:
            self.activated_id.emit(int(row_id))


def ui_today(ctx: AppContext) -> date:
    """Today on the services' clock (the app's one clock while nothing is open)."""
    return ctx.services.today() if ctx.services is not None else clock.today()


def action_columns(ctx: AppContext, with_subject: bool = True,
                   with_partner: bool = True) -> list[Column]:
    """Due (red when overdue), status, kind, what it is about, partner, assignee, description."""
    cols = [date_column("Due", "due_date", tooltip="Red: overdue",
                        foreground=lambda a: ERROR if a.is_overdue(ui_today(ctx)) else None),
            enum_column("Status", "status"),
            enum_column("Kind", "kind")]
    if with_subject:
        cols.append(Column("About", lambda a: a.subject, lambda a: a.subject.casefold()))
    if with_partner:
        cols.append(text_column("Partner", "partner_name"))
    cols += [text_column("Assignee", "assignee"), text_column("Description", "description")]
    return cols


class _Subject:
    """A row adapter so a membership opens the person (or the group) it names."""

    def __init__(self, view, id_attr: str):
        self._v = view
        self.id = getattr(view, id_attr)

    def __getattr__(self, name):
        return getattr(self._v, name)


class RecordView(QWidget):
    """Base of the one-record pages: a header with Back, and a scrolling body of cards."""

    back_requested = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.record_id: int | None = None
        self._rights: list[tuple[QPushButton, Can | None]] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.back_button = QPushButton("← &Back to the list")
        self.back_button.setToolTip("Back to the list (Esc)")
        self.back_button.clicked.connect(self.back_requested)
        top.addWidget(self.back_button)
        top.addStretch(1)
        self.buttons = top
        outer.addLayout(top)
        self.heading = _heading("")
        self.heading.setObjectName("recordHeading")
        outer.addWidget(self.heading)
        self.subheading = _heading("", "muted")
        outer.addWidget(self.subheading)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        self.grid = QGridLayout(body)
        self.grid.setContentsMargins(0, 6, 6, 6)
        self.grid.setSpacing(10)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.back_requested.emit,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def add_button(self, text: str, slot, tooltip: str = "", name: str = "",
                   right: Can | None = None) -> QPushButton:
        """A header button; with ``right``, shown only to roles that have it."""
        b = QPushButton(text)
        self._rights.append((b, right))
        if tooltip:
            b.setToolTip(tooltip)
        if name:
            b.setObjectName(name)
        b.clicked.connect(slot)
        self.buttons.addWidget(b)
        return b

    def apply_rights(self) -> None:
        """Show each button only to a role that may use it (called as a record is shown)."""
        for button, right in self._rights:
            button.setVisible(self.ctx.permits(right))

    def table_card(self, title: str, columns, empty: str, max_rows: int = 10) -> tuple[Card, MiniTable]:
        card = Card(title)
        table = MiniTable(columns, empty, max_rows)
        card.add(table)
        card.add(table.empty_label)
        return card, table

    def card_buttons(self, card: Card, table: MiniTable, right: Can,
                     buttons: Sequence[tuple[str, object, str, bool]]) -> list[QPushButton]:
        """A row of buttons under a card's table, shown to roles with ``right``: each is
        (text, slot, tooltip, needs a selected row); those that need a row are enabled
        only while one is selected."""
        row = QHBoxLayout()
        made, need_row = [], []
        for text, slot, tooltip, needs_row in buttons:
            b = QPushButton(text)
            b.setToolTip(tooltip)
            b.clicked.connect(lambda checked=False, f=slot: f())
            self._rights.append((b, right))
            row.addWidget(b)
            made.append(b)
            if needs_row:
                need_row.append(b)
        row.addStretch(1)
        card.layout_.addLayout(row)

        def selection_changed(*_):
            has = table.selected() is not None
            for b in need_row:
                b.setEnabled(has)
        table.selectionModel().selectionChanged.connect(selection_changed)
        table.model_.modelReset.connect(selection_changed)
        selection_changed()
        return made

    def window_title(self) -> str:
        return ""

    def clear(self) -> None:
        self.record_id = None
        self.heading.setText("")
        self.subheading.setText("")
        for table in self.findChildren(MiniTable):
            table.clear_rows()
        for kv in self.findChildren(KeyValues):
            kv.clear()


class PersonView(RecordView):
    """Everything about one person: details, legal status, needs, influencers, groups,
    actions with their partners, and the communications timeline, newest first."""

    edit_requested = Signal(int)
    add_contact_requested = Signal(int)
    add_action_requested = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("personView")
        self.reference = ""
        self.edit_button = self.add_button("&Edit…", lambda: self._emit(self.edit_requested),
                                           "Edit this person (Ctrl+E)", "editPerson",
                                           Can.EDIT_PEOPLE)
        self.contact_button = self.add_button(
            "Add &contact…", lambda: self._emit(self.add_contact_requested),
            "Record a communication with this person", "addContact",
            Can.RECORD_COMMUNICATIONS)
        self.action_button = self.add_button(
            "Add &action…", lambda: self._emit(self.add_action_requested),
            "Plan an action about this person", "addAction", Can.EDIT_ACTIONS)

        details = Card("Details")
        self.details = details.add(KeyValues(
            ["Reference", "Name", "Preferred name", "Aliases", "Date of birth", "Address",
             "Postcode", "Risk level", "Review date"]))
        legal = Card("Legal status and key dates")
        self.legal = legal.add(KeyValues(
            ["Legal status", "Licence or probation ends", "Expected release", "Supervising partner"]))
        needs = Card("Needs")
        self.needs = needs.add(QLabel())
        self.needs.setWordWrap(True)
        notes = Card("Notes")
        self.notes = notes.add(QLabel())
        self.notes.setWordWrap(True)
        self.notes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        infl_card, self.influencers = self.table_card("Influencers", [
            text_column("Name", "name"), enum_column("Kind", "kind"),
            text_column("Relationship", "relationship"), text_column("Contact", "contact")],
            "No influencers recorded.")
        self.influencers.activated_id.connect(lambda _id: self._change_influencer())
        self.card_buttons(infl_card, self.influencers, Can.EDIT_PEOPLE, [
            ("Add &influencer…", self._add_influencer, "Someone who can carry the message", False),
            ("Change…", self._change_influencer, "Change the selected influencer", True),
            ("Remove", self._remove_influencer, "Remove the selected influencer (Ctrl+Z undoes)",
             True)])
        group_card, self.groups = self.table_card("Groups", [
            text_column("Group", "group_name"), text_column("Role", "role"),
            date_column("Since", "start"), date_column("Until", "end")], "In no group.")
        self.groups.setObjectName("personGroups")
        self.groups.activated_id.connect(lambda gid: ctx.open_requested.emit("group", gid))
        self.card_buttons(group_card, self.groups, Can.EDIT_GROUPS, [
            ("Add to &group…", self._add_membership, "Put this person in a group, with a role", False),
            ("Change…", self._change_membership, "Change the role or dates of the selected "
                                                 "membership", True),
            ("End", self._end_membership, "The selected membership ends today", True),
            ("Remove", self._remove_membership, "Delete the selected membership, recorded in "
                                                "error (Ctrl+Z undoes)", True)])
        cohort_card, self.cohorts = self.table_card("Cohorts", [
            text_column("Cohort", "cohort_name"), text_column("Why included", "reason"),
            date_column("Added", "added_on")], "In no cohort.")
        self.card_buttons(cohort_card, self.cohorts, Can.EDIT_COHORTS, [
            ("Add to c&ohort…", self._add_cohort, "Include this person in a cohort, with the "
                                                  "reason", False),
            ("Remove", self._remove_cohort, "Take this person out of the selected cohort "
                                            "(Ctrl+Z undoes)", True)])
        act_card, self.actions = self.table_card("Actions", action_columns(ctx, with_subject=False),
                                                 "No actions.", 12)
        self.actions.activated_id.connect(lambda aid: ctx.open_requested.emit("action", aid))
        self.outcomes = OutcomesSection(self)
        comm_card, self.timeline = self.table_card("Communications (newest first)", [
            date_column("When", "occurred_at"), enum_column("Channel", "channel"),
            text_column("Delivered by", "delivered_by"), text_column("Partner", "partner_name"),
            Column("Message", lambda c: messages_label(c.deterrence_message, c.support_offer, c.outcome)),
            enum_column("Outcome", "outcome"), text_column("Notes", "message")],
            "No communications yet.", 12)
        self.delivery_summary = QLabel()
        self.delivery_summary.setObjectName("deliverySummary")
        self.delivery_summary.setWordWrap(True)
        comm_card.layout_.insertWidget(1, self.delivery_summary)
        from .incidents.links_card import PersonLinksCard
        self.links = PersonLinksCard(self)

        from .release.custody import CustodyCard        # issue 16 (imports record_pages)
        self.custody = CustodyCard(ctx)

        g = self.grid
        g.addWidget(details, 0, 0, 2, 1)
        g.addWidget(legal, 0, 1)
        g.addWidget(needs, 1, 1)
        g.addWidget(self.custody, 2, 0, 1, 2)
        g.addWidget(group_card, 3, 0)
        g.addWidget(infl_card, 3, 1)
        g.addWidget(cohort_card, 4, 0, 1, 2)
        g.addWidget(self.links.card, 5, 0, 1, 2)
        g.addWidget(act_card, 6, 0, 1, 2)
        g.addWidget(self.outcomes.card, 7, 0, 1, 2)
        g.addWidget(comm_card, 8, 0, 1, 2)
        g.addWidget(notes, 9, 0, 1, 2)
        g.setColumnStretch(0, 1)
        g.setColumnStretch(1, 1)
        g.setRowStretch(10, 1)

    def _emit(self, signal) -> None:
        if self.record_id is not None:
            signal.emit(self.record_id)

    def window_title(self) -> str:
        return f"Person {self.reference}" if self.reference else "Person"

    # -- groups, influencers, cohorts (each change undoable, through the services) ------
    def _add_membership(self) -> None:
        if self.record_id is not None:
            editors.edit_membership(self.ctx, self, person_id=self.record_id)

    def _change_membership(self) -> None:
        m = self.groups.selected()
        if m is not None:
            editors.edit_membership(self.ctx, self, person_id=m.person_id,
                                    membership=editors.membership_record(m))

    def _end_membership(self) -> None:
        m = self.groups.selected()
        if m is None:
            return
        if m.end is not None:
            self.ctx.status_message.emit("This membership has ended already")
            return
        editors.end_membership(self.ctx, self, editors.membership_record(m), self.reference)

    def _remove_membership(self) -> None:
        m = self.groups.selected()
        if m is not None:
            editors.remove_membership(self.ctx, self, editors.membership_record(m), self.reference)

    def _add_influencer(self) -> None:
        if self.record_id is not None:
            editors.edit_influencer(self.ctx, self, self.record_id, self.reference)

    def _change_influencer(self) -> None:
        i = self.influencers.selected()
        if i is not None and self.ctx.permits(Can.EDIT_PEOPLE):
            editors.edit_influencer(self.ctx, self, i.person_id, self.reference, i)

    def _remove_influencer(self) -> None:
        i = self.influencers.selected()
        if i is not None:
            editors.remove_influencer(self.ctx, self, i, self.reference)

    def _add_cohort(self) -> None:
        if self.record_id is not None:
            editors.add_to_cohort(self.ctx, self, self.record_id, self.reference)

    def _remove_cohort(self) -> None:
        c = self.cohorts.selected()
        if c is not None:
            editors.remove_from_cohort(self.ctx, self, c.cohort_id, c.person_id, self.reference)

    def show_page(self, page) -> None:
        self.apply_rights()
        p = page.person
        self.record_id = p.id
        self.reference = p.reference
        self.heading.setText(f"{p.reference} · {p.display_name}")
        self.subheading.setText(
            f"Risk: {label(p.risk_level)} · Legal status: {label(p.legal_status)} · "
            f"{page.contact_count} contact{'s' if page.contact_count != 1 else ''} · "
            f"{sum(1 for a in page.actions if a.status in ('planned', 'in_progress', 'blocked'))} open actions")
        d = self.details
        d.set("Reference", p.reference)
        d.set("Name", f"{p.given_name} {p.family_name}")
        d.set("Preferred name", p.preferred_name)
        d.set("Aliases", ", ".join(p.aliases))
        d.set("Date of birth", fmt_date(p.date_of_birth))
        d.set("Address", p.address)
        d.set("Postcode", p.postcode)
        d.set("Risk level", label(p.risk_level))
        d.set("Review date", fmt_date(p.review_date))
        lg = self.legal
        lg.set("Legal status", label(p.legal_status))
        lg.set("Licence or probation ends", fmt_date(p.legal_status_end))
        lg.set("Expected release", fmt_date(p.custody_release))
        lg.set("Supervising partner", page.supervising_partner)
        self.needs.setText(", ".join(label(n) for n in p.needs) or "No needs recorded.")
        self.notes.setText(p.notes or "—")
        self.influencers.set_rows(page.influencers)
        self.groups.set_rows([_Subject(m, "group_id") for m in page.memberships])
        self.cohorts.set_rows(page.cohort_memberships)
        self.actions.set_rows(page.actions)
        self.custody.show_person(p.id, p.reference)
        self.timeline.set_rows(page.communications)
        self.links.load(p.id)
        self.outcomes.show(p.id, p.reference)
        by = page.deliverers()
        if by:
            parts = ", ".join(f"{who} ×{n}" for who, n in sorted(by.items(), key=lambda kv: (-kv[1], kv[0])))
            self.delivery_summary.setText(
                f"The message was given {page.messages_given} time{'s' if page.messages_given != 1 else ''}, by {parts}.")
        else:
            self.delivery_summary.setText("The message has not been given yet.")

    def clear(self) -> None:
        super().clear()
        self.custody.clear()
        self.reference = ""
        self.needs.setText("")
        self.notes.setText("")
        self.delivery_summary.setText("")


class GroupView(RecordView):
    """A group: members with roles, related groups (alliance, rivalry), actions against it."""

    edit_requested = Signal(int)
    add_action_requested = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("groupView")
        self.add_button("&Edit…", lambda: self.record_id and self.edit_requested.emit(self.record_id),
                        "Edit this group (Ctrl+E)", "editGroup", Can.EDIT_GROUPS)
        self.add_button("Add &action…",
                        lambda: self.record_id and self.add_action_requested.emit(self.record_id),
                        "Plan an action about this group", "addGroupAction", Can.EDIT_ACTIONS)
        about = Card("About the group")
        self.about = about.add(KeyValues(["Type", "Area", "Description"], wrap=["Description"]))
        mem_card, self.members = self.table_card("Members", [
            text_column("Reference", "person_reference"), text_column("Name", "person_name"),
            text_column("Role", "role"), date_column("Since", "start"), date_column("Until", "end")],
            "No members recorded.", 15)
        self.members.setObjectName("groupMembers")
        self.members.activated_id.connect(lambda pid: ctx.open_requested.emit("person", pid))
        self.card_buttons(mem_card, self.members, Can.EDIT_GROUPS, [
            ("Add &member…", self._add_member, "Put a person in this group, with a role", False),
            ("Change…", self._change_member, "Change the role or dates of the selected "
                                             "membership", True),
            ("End", self._end_member, "The selected membership ends today", True),
            ("Remove", self._remove_member, "Delete the selected membership, recorded in "
                                            "error (Ctrl+Z undoes)", True)])
        rel_card, self.relations = self.table_card("Related groups", [
            text_column("Group", "other_group_name"),
            Column("Relation", lambda r: label(r.kind), lambda r: r.kind,
                   foreground=lambda r: ERROR if r.kind == "rivalry" else None),
            date_column("Since", "since")], "No alliances or rivalries recorded.")
        self.relations.activated_id.connect(lambda gid: ctx.open_requested.emit("group", gid))
        act_card, self.actions = self.table_card("Actions against the group",
                                                 action_columns(ctx, with_subject=False),
                                                 "No actions.", 12)
        self.actions.activated_id.connect(lambda aid: ctx.open_requested.emit("action", aid))
        from .network.reach import GroupReachCard
        self.reach = GroupReachCard(self)
        g = self.grid
        g.addWidget(about, 0, 0)
        g.addWidget(rel_card, 0, 1)
        g.addWidget(self.reach.card, 1, 0, 1, 2)
        g.addWidget(mem_card, 2, 0, 1, 2)
        g.addWidget(act_card, 3, 0, 1, 2)
        g.setColumnStretch(0, 1)
        g.setColumnStretch(1, 1)
        g.setRowStretch(4, 1)
        self.group_name = ""

    def window_title(self) -> str:
        return f"Group {self.group_name}" if self.group_name else "Group"

    def _add_member(self) -> None:
        if self.record_id is not None:
            editors.edit_membership(self.ctx, self, group_id=self.record_id)

    def _change_member(self) -> None:
        m = self.members.selected()
        if m is not None:
            editors.edit_membership(self.ctx, self, group_id=m.group_id,
                                    membership=editors.membership_record(m))

    def _end_member(self) -> None:
        m = self.members.selected()
        if m is None:
            return
        if m.end is not None:
            self.ctx.status_message.emit("This membership has ended already")
            return
        editors.end_membership(self.ctx, self, editors.membership_record(m), m.person_reference)

    def _remove_member(self) -> None:
        m = self.members.selected()
        if m is not None:
            editors.remove_membership(self.ctx, self, editors.membership_record(m),
                                      m.person_reference)

    def show_page(self, page) -> None:
        self.apply_rights()
        grp = page.group
        self.record_id = grp.id
        self.group_name = grp.name
        current = sum(1 for m in page.members if m.end is None)
        self.heading.setText(grp.name)
        self.subheading.setText(f"{label(grp.type)} · {current} current member{'s' if current != 1 else ''}"
                                f" · {len(page.actions)} actions")
        self.about.set("Type", label(grp.type))
        self.about.set("Area", grp.area)
        self.about.set("Description", grp.description)
        self.members.set_rows([_Subject(m, "person_id") for m in page.members])
        self.relations.set_rows([_Subject(r, "other_group_id") for r in page.relations])
        self.actions.set_rows(page.actions)
        self.reach.load(grp.id)

    def clear(self) -> None:
        super().clear()
        self.reach.clear()
        self.group_name = ""


class PartnerView(RecordView):
    """A partner agency: its information-sharing agreement (with a warning when it has
    ended or ends within 30 days) and its open and overdue actions."""

    edit_requested = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setObjectName("partnerView")
        self.add_button("&Edit…", lambda: self.record_id and self.edit_requested.emit(self.record_id),
                        "Edit this partner (Ctrl+E)", "editPartner",
                        Can.MANAGE_PARTNERS)
        self.warning = QLabel()
        self.warning.setObjectName("isaWarning")
        self.warning.setWordWrap(True)
        set_role(self.warning, "warning")
        self.warning.hide()
        agency = Card("The agency")
        self.agency = agency.add(KeyValues(["Type", "Lead contact", "Contact details"],
                                           wrap=["Contact details"]))
        isa = Card("Information-sharing agreement")
        isa.add(self.warning)
        self.isa = isa.add(KeyValues(["Reference", "Starts", "Ends", "State"]))
        over_card, self.overdue = self.table_card("Overdue actions", action_columns(ctx, with_partner=False),
                                                  "Nothing overdue.", 10)
        open_card, self.open_actions = self.table_card("Open actions", action_columns(ctx, with_partner=False),
                                                       "No open actions.", 15)
        for t in (self.overdue, self.open_actions):
            t.activated_id.connect(lambda aid: ctx.open_requested.emit("action", aid))
        g = self.grid
        g.addWidget(agency, 0, 0)
        g.addWidget(isa, 0, 1)
        g.addWidget(over_card, 1, 0, 1, 2)
        g.addWidget(open_card, 2, 0, 1, 2)
        g.setColumnStretch(0, 1)
        g.setColumnStretch(1, 1)
        g.setRowStretch(3, 1)
        self.partner_name = ""

    def window_title(self) -> str:
        return f"Partner {self.partner_name}" if self.partner_name else "Partner"

    def show_page(self, page) -> None:
        self.apply_rights()
        p = page.partner
        self.record_id = p.id
        self.partner_name = p.name
        self.heading.setText(p.name)
        self.subheading.setText(f"{label(p.type)} · {len(page.open_actions)} open actions · "
                                f"{len(page.overdue_actions)} overdue")
        self.agency.set("Type", label(p.type))
        self.agency.set("Lead contact", p.lead_contact)
        self.agency.set("Contact details", p.contact_details)
        self.isa.set("Reference", p.isa_reference)
        self.isa.set("Starts", fmt_date(p.isa_start))
        self.isa.set("Ends", fmt_date(p.isa_end))
        self.isa.set("State", page.isa_state.capitalize())
        warn = page.isa_state in ("ended", "ends soon", "none", "not started") and page.isa_warning
        self.warning.setText(page.isa_warning if warn else "")
        self.warning.setVisible(bool(warn))
        self.overdue.set_rows(page.overdue_actions)
        self.open_actions.set_rows(page.open_actions)

    def clear(self) -> None:
        super().clear()
        self.partner_name = ""
        self.warning.hide()
