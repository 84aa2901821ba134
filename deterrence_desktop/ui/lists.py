"""The list pages: People, Groups, Partners and Actions.

Each loads all its summaries in one service call on the worker, shows them in
a :class:`RowsModel` behind a :class:`SearchProxy` (search as you type, click
a header to sort), and opens the selected record with Enter or a double-click:
a person's, group's or partner's page in place of the list, or an action's
form. A page loads when it is first shown, so unlocking a 10,000-person
workspace loads one list, not four.
"""
from __future__ import annotations


from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
    QStackedWidget, QTableView, QVBoxLayout, QWidget,
)

from ..domain.enums import label
from ..security.roles import Can
from .context import AppContext
from .editors import edit_action, edit_group, edit_partner, edit_person
from .errors import show_failure
from .models import (
    Column, IdRole, RowsModel, SearchProxy, date_column, enum_column, number_column, sort_text,
    text_column,
)
from .page import Page
from .record_pages import GroupView, PartnerView, PersonView, RecordView, action_columns
from .style import ERROR, WARNING, set_role


class ListPage(Page):
    """A searchable, sortable list with an optional one-record view in its place."""

    title = "List"
    kind = ""                       # data_changed kind and open_requested kind
    search_hint = "Search"
    new_text = ""                   # "&New person…": empty for no New button
    edit_right: Can | None = None   # the role right needed to add and edit these records
    empty_text = "Nothing here yet."
    fit_columns = True              # short lists: size columns to their contents once

    view_changed = Signal()         # the window title may change

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        if not self.data_kinds:
            self.data_kinds = (self.kind,) if self.kind else ()
        self._stale = True
        self._loading = False
        self._pending_state: dict | None = None
        self.loaded_at_least_once = False

        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 10)
        outer.addWidget(self.stack)

        self.list_panel = QWidget()
        col = QVBoxLayout(self.list_panel)
        col.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        heading = QLabel(self.title)
        set_role(heading, "heading")
        top.addWidget(heading)
        top.addSpacing(16)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.search_hint + "  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(f"Search {self.title.lower()}")
        self.search.setMinimumWidth(280)
        self.search.textChanged.connect(self._search_changed)
        self.search.returnPressed.connect(self._open_first_match)
        top.addWidget(self.search, 1)
        self.extra_filters = QHBoxLayout()
        top.addLayout(self.extra_filters)
        self.count_label = QLabel()
        set_role(self.count_label, "muted")
        top.addWidget(self.count_label)
        if self.new_text:
            self.new_button = QPushButton(self.new_text)
            self.new_button.setToolTip("Ctrl+N")
            self.new_button.clicked.connect(self.new_record)
            top.addWidget(self.new_button)
        col.addLayout(top)

        self.model = RowsModel(self.columns(), self.search_text, self)
        self.proxy = SearchProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("listTable")
        self.table.setAccessibleName(self.title)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setWordWrap(False)
        self.table.doubleClicked.connect(lambda ix: self.open_row(ix.row()))
        self.table.installEventFilter(self)
        col.addWidget(self.table, 1)
        self.empty_label = QLabel(self.empty_text)
        set_role(self.empty_label, "empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        col.addWidget(self.empty_label, 1)
        self.stack.addWidget(self.list_panel)
        self.search.installEventFilter(self)

        self.record_view: RecordView | None = self.make_record_view()
        if self.record_view is not None:
            self.stack.addWidget(self.record_view)
            self.record_view.back_requested.connect(self.show_list)
        self._set_widths()

    # -- what a subclass says ----------------------------------------------------
    def columns(self) -> list[Column]:
        raise NotImplementedError

    def search_text(self, row) -> str:
        return " ".join(c.text(row) for c in self.model.columns)

    def fetch(self, services):
        """The rows, fetched on the worker."""
        raise NotImplementedError

    def make_record_view(self) -> RecordView | None:
        return None

    def fetch_record(self, services, record_id: int):
        raise NotImplementedError

    def column_widths(self) -> list[int]:
        return []

    # -- loading -------------------------------------------------------------------
    def reload(self) -> None:
        if not self.ctx.unlocked:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._loading = True
        if self.new_text:
            self.new_button.setVisible(self.may_edit())
        self.count_label.setText("Loading…")
        fetch, prepare = self.fetch, self.model.prepare_rows
        self.ctx.call(lambda s: prepare(fetch(s)), self._loaded, self._load_failed,
                      label=f"load {self.title}")
        if self.record_view is not None and self.stack.currentWidget() is self.record_view \
                and self.record_view.record_id is not None:
            self.open_record(self.record_view.record_id)

    def _loaded(self, prepared) -> None:
        self._loading = False
        if not self.ctx.unlocked:          # locked while loading: keep nothing
            return
        rows, texts, sorted_as = prepared
        selected = self.selected_id()
        self.model.set_rows(rows, texts, sorted_as)
        if self.fit_columns and not self.loaded_at_least_once and 0 < len(rows) <= 2000:
            self._fit_columns()
        self.loaded_at_least_once = True
        self._update_count()
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self._apply_state(state)
        elif selected is not None:
            self.select_id(selected)

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.count_label.setText("")
        show_failure(self, exc, f"Could not load {self.title.lower()}")

    def clear(self) -> None:
        self.model.clear()
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.proxy.set_search("")
        self.count_label.setText("")
        self._stale = True
        if self.record_view is not None:
            self.record_view.clear()
        self.stack.setCurrentWidget(self.list_panel)

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = self.title.lower()
        self.count_label.setText(f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,}")
        empty = total == 0 and self.loaded_at_least_once
        self.empty_label.setVisible(empty)
        self.table.setVisible(not empty)

    def _fit_columns(self) -> None:
        """Short lists: columns as wide as their contents (capped); long lists keep the
        preset widths, as measuring 10,000 rows would cost more than it gives."""
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader()
        last = self.model.columnCount() - 1
        for c in range(last):
            self.table.setColumnWidth(c, max(min(self.table.columnWidth(c) + 10, 300),
                                             header.sectionSizeHint(c) + 12))

    def _set_widths(self) -> None:
        """The preset widths, each at least as wide as its header ("Legal status" whole,
        with room for the sort arrow)."""
        header = self.table.horizontalHeader()
        for i, w in enumerate(self.column_widths()):
            self.table.setColumnWidth(i, max(w, header.sectionSizeHint(i) + 12))

    # -- search and selection ----------------------------------------------------------
    def _search_changed(self, text: str) -> None:
        self.proxy.set_search(text)
        self._update_count()
        if self.proxy.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)

    def focus_search(self) -> None:
        if self.record_view is not None:
            self.show_list()
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def eventFilter(self, obj, event) -> bool:
        from PySide6.QtCore import QEvent
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if obj is self.search and key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
                self.table.setFocus()
                if not self.table.selectionModel().hasSelection() and self.proxy.rowCount():
                    self.table.selectRow(0)
                return True
            if obj is self.table and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                ix = self.table.currentIndex()
                if ix.isValid():
                    self.open_row(ix.row())
                return True
        return super().eventFilter(obj, event)

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        value = self.proxy.data(rows[0], IdRole)
        return int(value) if value is not None else None

    def select_id(self, row_id: int) -> bool:
        src = self.model.row_of_id(row_id)
        if src < 0:
            return False
        ix = self.proxy.mapFromSource(self.model.index(src, 0))
        if not ix.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            ix, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(ix)
        return True

    def _open_first_match(self) -> None:
        if self.proxy.rowCount():
            ix = self.table.currentIndex()
            self.open_row(ix.row() if ix.isValid() else 0)

    def open_row(self, proxy_row: int) -> None:
        row = self.proxy.row_object(proxy_row)
        if row is not None:
            self.open_record(row.id)

    # -- one record ------------------------------------------------------------------
    def open_record(self, record_id: int) -> bool:
        view = self.record_view
        if view is None:
            return False

        def show(page):
            if not self.ctx.unlocked:
                return
            view.show_page(page)
            self.stack.setCurrentWidget(view)
            view.back_button.setFocus()
            self.view_changed.emit()
        self.ctx.call(lambda s: self.fetch_record(s, record_id), show,
                      lambda e: show_failure(self, e, "Could not open the record"),
                      label=f"open {self.kind}")
        return True

    def show_list(self) -> None:
        shown = self.record_view.record_id if self.record_view is not None else None
        self.stack.setCurrentWidget(self.list_panel)
        if self.record_view is not None:
            self.record_view.clear()     # the page's details leave memory with the view
        if shown is not None:
            self.select_id(shown)
        self.table.setFocus()
        self.view_changed.emit()

    def showing_record(self) -> bool:
        return self.record_view is not None and self.stack.currentWidget() is self.record_view

    def window_title(self) -> str:
        if self.showing_record():
            return self.record_view.window_title()
        return self.title

    # -- state across a lock ---------------------------------------------------------
    def view_state(self) -> dict:
        return {"selected": self.selected_id(),
                "open": self.record_view.record_id if self.showing_record() else None}

    def restore_view_state(self, state) -> None:
        if not state:
            return
        if self.loaded_at_least_once and not self._loading and self.model.rowCount():
            self._apply_state(state)
        else:
            self._pending_state = state

    def _apply_state(self, state: dict) -> None:
        if state.get("selected") is not None:
            self.select_id(state["selected"])
        if state.get("open") is not None:
            self.open_record(state["open"])

    def may_edit(self) -> bool:
        return self.ctx.permits(self.edit_right)

    def edit_current(self) -> None:
        if not self.may_edit():
            return
        record_id = self.record_view.record_id if self.showing_record() else self.selected_id()
        if record_id is not None:
            self.edit(record_id)

    def edit(self, record_id: int) -> None:
        """Open the form for ``record_id``."""


class PeoplePage(ListPage):
    title = "People"
    kind = "person"
    data_kinds = ("person", "action", "group", "communication", "custody")
    fit_columns = False
    search_hint = "Search by reference, name or alias"
    new_text = "&New person…"
    edit_right = Can.EDIT_PEOPLE
    empty_text = "No people yet. Add the first person with New person… (Ctrl+N)."
    add_contact_requested = Signal(int)

    def columns(self):
        return [
            text_column("Reference", "reference"),
            Column("Name", lambda p: p.display_name,
                   lambda p: (sort_text(p.family_name), sort_text(p.given_name))),
            Column("Aliases", lambda p: ", ".join(p.aliases), lambda p: sort_text(", ".join(p.aliases))),
            date_column("Date of birth", "date_of_birth"),
            enum_column("Legal status", "legal_status"),
            Column("Risk", lambda p: label(p.risk_level),
                   lambda p: ("low", "medium", "high", "very_high").index(p.risk_level)
                   if p.risk_level in ("low", "medium", "high", "very_high") else 9,
                   foreground=lambda p: ERROR if p.risk_level == "very_high" else None),
            Column("Groups", lambda p: ", ".join(p.groups), lambda p: sort_text(", ".join(p.groups))),
            number_column("Open", "open_actions", tooltip="Open actions"),
            date_column("Review", "review_date", tooltip="Retention review date"),
        ]

    def column_widths(self):
        return [92, 175, 115, 105, 95, 75, 135, 60]

    def search_text(self, p) -> str:
        return " ".join((p.reference, p.given_name, p.family_name, p.preferred_name, *p.aliases))

    def fetch(self, s):
        return s.people.list()

    def make_record_view(self):
        view = PersonView(self.ctx)
        view.edit_requested.connect(self.edit)
        view.add_contact_requested.connect(self.add_contact_requested)
        view.add_action_requested.connect(
            lambda pid: edit_action(self.ctx, self, None, person_id=pid, subject=view.reference))
        return view

    def fetch_record(self, s, person_id):
        return s.people.page(person_id)

    def new_record(self) -> None:
        def saved(person):
            self.ctx.status_message.emit(f"Added {person.reference}")
            self._pending_state = {"selected": person.id, "open": None}
        edit_person(self.ctx, self, None, saved)

    def edit(self, person_id: int) -> None:
        edit_person(self.ctx, self, person_id)


class GroupsPage(ListPage):
    title = "Groups"
    kind = "group"
    data_kinds = ("group", "action", "person")
    search_hint = "Search groups by name, type or area"
    new_text = "&New group…"
    edit_right = Can.EDIT_GROUPS
    empty_text = "No groups yet. Add one with New group… (Ctrl+N)."

    def columns(self):
        return [text_column("Name", "name"), enum_column("Type", "type"), text_column("Area", "area"),
                number_column("Members", "members"),
                number_column("Open", "open_actions", tooltip="Open actions")]

    def column_widths(self):
        return [240, 180, 180, 90]

    def fetch(self, s):
        return s.groups.list()

    def make_record_view(self):
        view = GroupView(self.ctx)
        view.edit_requested.connect(self.edit)
        view.add_action_requested.connect(
            lambda gid: edit_action(self.ctx, self, None, group_id=gid, subject=view.group_name))
        return view

    def fetch_record(self, s, group_id):
        return s.groups.page(group_id)

    def new_record(self) -> None:
        edit_group(self.ctx, self, None)

    def edit(self, group_id: int) -> None:
        edit_group(self.ctx, self, group_id)


def _isa_colour(p):
    if p.isa_state in ("ended", "none"):
        return ERROR
    if p.isa_state in ("ends soon", "not started"):
        return WARNING
    return None


class PartnersPage(ListPage):
    title = "Partners"
    kind = "partner"
    data_kinds = ("partner", "action")
    search_hint = "Search partners by name, type or contact"
    new_text = "&New partner…"
    edit_right = Can.MANAGE_PARTNERS
    empty_text = "No partner agencies yet. Add one with New partner… (Ctrl+N)."

    def columns(self):
        isa = "Information-sharing agreement"
        return [text_column("Name", "name"), enum_column("Type", "type"),
                text_column("Lead contact", "lead_contact"),
                text_column("Agreement", "isa_reference", tooltip=isa),
                date_column("Ends", "isa_end", tooltip=f"{isa}: end date"),
                Column("State", lambda p: p.isa_state.capitalize(), lambda p: p.isa_state,
                       foreground=_isa_colour, tooltip=f"{isa}: in force, ends soon (30 days), ended"),
                number_column("Open", "open_actions", tooltip="Open actions"),
                Column("Overdue", lambda p: str(p.overdue_actions), lambda p: p.overdue_actions,
                       align_right=True, foreground=lambda p: ERROR if p.overdue_actions else None,
                       tooltip="Overdue actions")]

    def column_widths(self):
        return [260, 120, 170, 120, 120, 120, 100]

    def fetch(self, s):
        return s.partners.list()

    def make_record_view(self):
        view = PartnerView(self.ctx)
        view.edit_requested.connect(self.edit)
        return view

    def fetch_record(self, s, partner_id):
        return s.partners.page(partner_id)

    def new_record(self) -> None:
        edit_partner(self.ctx, self, None)

    def edit(self, partner_id: int) -> None:
        edit_partner(self.ctx, self, partner_id)


# label -> services.actions.ActionFilter arguments
ACTION_SCOPES = [
    ("Open actions", {"open_only": True}),
    ("Overdue", {"overdue_only": True}),
    ("Due within 14 days", {"open_only": True, "due_within_days": 14}),
    ("All actions", {}),
]


class ActionsPage(ListPage):
    title = "Actions"
    edit_right = Can.EDIT_ACTIONS
    kind = "action"
    fit_columns = False
    search_hint = "Search by reference, group, partner, assignee or description"
    empty_text = "No actions in this view. Add actions from a person's or a group's page."

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.scope = QComboBox()
        self.scope.setObjectName("actionScope")
        self.scope.setToolTip("Which actions to list")
        for text, _ in ACTION_SCOPES:
            self.scope.addItem(text)
        self.scope.currentIndexChanged.connect(lambda _: self.reload())
        self.extra_filters.addWidget(self.scope)

    def columns(self):
        return action_columns(self.ctx)

    def column_widths(self):
        return [100, 100, 110, 150, 200, 130]

    def search_text(self, a) -> str:
        return " ".join((a.person_reference, a.group_name, a.partner_name, a.assignee,
                         a.description))

    def fetch(self, s):
        from ..services.actions import ActionFilter     # the database stack loads on the worker
        return s.actions.list(ActionFilter(**ACTION_SCOPES[self.scope.currentIndex()][1]))

    def open_record(self, record_id: int) -> bool:
        edit_action(self.ctx, self, record_id)
        return True

    def edit(self, action_id: int) -> None:
        edit_action(self.ctx, self, action_id)

    def new_record(self) -> None:
        self.ctx.status_message.emit("Add an action from a person's or a group's page")
