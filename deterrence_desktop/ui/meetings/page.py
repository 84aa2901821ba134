"""Partnership meetings: the list, meeting mode (item by item), minutes and partner lists.

Meeting mode walks the agenda: for each person or group, their open actions,
what changed since the previous meeting, new communications; the chair
records a decision and new actions (stamped with the meeting). The agenda can
be projected on the wall (references only). Minutes and each owning
partner's list of new actions are written as PDF on the database worker,
with progress and cancel, and recorded as disclosures.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView, QFileDialog, QFrame, QHBoxLayout, QHeaderView, QLabel,
    QMessageBox, QPlainTextEdit, QProgressDialog, QPushButton, QScrollArea, QSplitter,
    QStackedWidget, QTableView, QVBoxLayout, QWidget,
)

from ...domain.errors import readable
from ..board.page import alive, call_while_alive
from ..page import Page
from .dialogs import AddActionDialog, ChooseMeetingDialog, CreateMeetingDialog
from .models import (
    actions_model, agenda_model, changes_model, communications_model, meetings_model,
)


def _table(model, parent=None, stretch: int = 0) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().setVisible(False)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def _documents() -> Path:
    """Where a saved file goes first: the Documents folder if the account has one, else home
    (a fresh account may have no Documents folder)."""
    loc = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(loc) if loc and Path(loc).is_dir() else Path.home()


def _section(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setProperty("role", "subheading")
    lab.setStyleSheet("font-weight: 600; color: #1f4f55; padding-top: 4px;")
    return lab


class MeetingModeWidget(QWidget):
    """One meeting, item by item."""

    def __init__(self, page: "MeetingsPage"):
        super().__init__(page)
        self.page = page
        self.ctx = page.ctx
        self.detail = None
        self.brief = None
        self.item_index = -1
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.back = QPushButton("◀ All meetings")
        self.back.clicked.connect(page.show_list)
        top.addWidget(self.back)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.heading.setWordWrap(True)
        top.addWidget(self.heading, 1)
        self.project_button = QPushButton("Project agenda…")
        self.project_button.clicked.connect(lambda: page.start_projection())
        top.addWidget(self.project_button)
        self.minutes_button = QPushButton("Minutes PDF…")
        self.minutes_button.clicked.connect(page.choose_and_export_minutes)
        top.addWidget(self.minutes_button)
        self.lists_button = QPushButton("Partners' action lists…")
        self.lists_button.clicked.connect(page.choose_and_export_partner_lists)
        top.addWidget(self.lists_button)
        lay.addLayout(top)
        self.attendees = QLabel()
        self.attendees.setWordWrap(True)
        lay.addWidget(self.attendees)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(_section("Agenda"))
        self.agenda = agenda_model(self)
        self.agenda_view = _table(self.agenda, left, stretch=1)
        self.agenda_view.selectionModel().currentRowChanged.connect(
            lambda cur, prev: self.show_item(cur.row()))
        ll.addWidget(self.agenda_view)
        split.addWidget(left)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.item_heading = QLabel()
        self.item_heading.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.item_heading.setWordWrap(True)
        rl.addWidget(self.item_heading)
        self.since = QLabel()
        self.since.setProperty("role", "muted")
        self.since.setWordWrap(True)
        rl.addWidget(self.since)
        self.release_note = QLabel()             # issue 16: an incomplete continuity plan
        self.release_note.setObjectName("agendaReleaseNote")
        self.release_note.setProperty("role", "warning")
        self.release_note.setWordWrap(True)
        self.release_note.hide()
        rl.addWidget(self.release_note)
        # The item's four tables scroll together when the screen is short (a laptop), so that
        # the decision and its buttons always stay in view below them.
        sections = QWidget()
        sl = QVBoxLayout(sections)
        sl.setContentsMargins(0, 0, 0, 0)
        self.open_actions = actions_model(self)
        self.changes = changes_model(self)
        self.comms = communications_model(self)
        self.agreed = actions_model(self)
        for title, model, stretch_column, stretch in (
                ("Open actions", self.open_actions, 0, 2),
                ("What changed since the last meeting", self.changes, 1, 1),
                ("New communications", self.comms, 2, 1),
                ("Agreed at this meeting", self.agreed, 0, 1)):
            sl.addWidget(_section(title))
            view = _table(model, sections, stretch=stretch_column)
            view.setMinimumHeight(110)
            sl.addWidget(view, stretch)
        scroll = QScrollArea(right)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(sections)
        rl.addWidget(scroll, 1)
        rl.addWidget(_section("Decision"))
        self.decision = QPlainTextEdit()
        self.decision.setObjectName("decision")
        self.decision.setAccessibleName("Decision")
        self.decision.setPlaceholderText("What the partnership decided for this item")
        self.decision.setMaximumHeight(90)
        rl.addWidget(self.decision)
        buttons = QHBoxLayout()
        self.prev_button = QPushButton("◀ Previous item")
        self.prev_button.clicked.connect(lambda: self.select_item(self.item_index - 1))
        buttons.addWidget(self.prev_button)
        self.add_button = QPushButton("Add action…")
        self.add_button.clicked.connect(self.add_action_dialog)
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        self.save_button = QPushButton("Save decision")
        self.save_button.clicked.connect(lambda: self.save_decision())
        buttons.addWidget(self.save_button)
        self.next_button = QPushButton("Save and next ▶")
        self.next_button.setToolTip("Ctrl+Return")
        self.next_button.clicked.connect(lambda: self.save_decision(then_next=True))
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda: self.save_decision(then_next=True))
        buttons.addWidget(self.next_button)
        rl.addLayout(buttons)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        lay.addWidget(split, 1)

    def _call(self, fn, on_success=None, on_failure=None, label: str = ""):
        return call_while_alive(self.ctx, self, fn, on_success, on_failure, label)

    # -- loading ---------------------------------------------------------------------------
    def set_detail(self, detail, keep_index: bool = False) -> None:
        self.detail = detail
        m = detail.meeting
        self.heading.setText(f"{m.title}  ·  {m.held_on:%d %b %Y}")
        self.attendees.setText("Partners attending: "
                               + (", ".join(detail.attendee_names) or "none"))
        index = self.item_index if keep_index else 0
        self.agenda.set_rows(detail.items)
        if detail.items:
            self.select_item(max(0, min(index, len(detail.items) - 1)))

    def select_item(self, index: int) -> None:
        if self.detail is None or not 0 <= index < len(self.detail.items):
            return
        self.agenda_view.selectRow(index)
        self.show_item(index)

    @property
    def current_item(self):
        if self.detail is None or not 0 <= self.item_index < len(self.detail.items):
            return None
        return self.detail.items[self.item_index]

    def show_item(self, index: int) -> None:
        if self.detail is None or not 0 <= index < len(self.detail.items):
            return
        if index == self.item_index and self.brief is not None and \
                self.brief.item.id == self.detail.items[index].id:
            return
        self.item_index = index
        item = self.detail.items[index]
        name = f"  {item.person_name}" if item.person_name else ""
        self.item_heading.setText(f"{index + 1}. {item.label}{name}")
        self.decision.setPlainText(item.decision)
        self.prev_button.setEnabled(index > 0)
        mid = self.detail.meeting.id
        self._call(lambda s: s.meetings.item_brief(mid, item.id), self._brief_loaded,
                      self.page.show_error, label="meeting item")
        self._show_release_note(item.person_id)

    def _show_release_note(self, person_id) -> None:
        from ..release.strip import WITHIN_DAYS, agenda_note
        self.release_note.hide()
        if person_id is None:
            return

        def shown(plans):
            current = self.current_item
            note = agenda_note(plans, person_id) if current is not None and \
                current.person_id == person_id else ""
            self.release_note.setText(note)
            self.release_note.setVisible(bool(note))
        self._call(lambda s: s.continuity.incomplete_plans(WITHIN_DAYS, person_id), shown,
                   lambda _e: None, label="continuity plan")

    def _brief_loaded(self, brief) -> None:
        if self.current_item is None or brief.item.id != self.current_item.id:
            return
        self.brief = brief
        self.since.setText(f"Changes and communications since the previous meeting on "
                           f"{brief.since:%d %b %Y}" if brief.since else
                           "No earlier meeting: everything is shown")
        self.open_actions.set_rows(brief.open_actions)
        self.changes.set_rows(brief.changes)
        self.comms.set_rows(brief.communications)
        self.agreed.set_rows(brief.agreed)

    # -- the chair's records ------------------------------------------------------------------
    def save_decision(self, then_next: bool = False) -> None:
        item = self.current_item
        if item is None:
            return
        text = self.decision.toPlainText().strip()
        mid = self.detail.meeting.id
        index = self.item_index

        def done(_):
            self.page.reload_detail(mid, then_select=index + 1 if then_next else index)
        self._call(lambda s: s.meetings.record_decision(item.id, text, True), done,
                      self.page.show_error, label="record a decision")

    def add_action_dialog(self) -> None:
        item = self.current_item
        if item is None:
            return
        partners = self.page.partners
        dialog = AddActionDialog(partners, item.label, self.page.today(), self)
        dialog.setObjectName("addActionDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.add_action(dialog.action()))
        dialog.open()

    def add_action(self, action) -> None:
        item = self.current_item
        mid = self.detail.meeting.id

        def done(_):
            self.ctx.data_changed.emit("action")
            self.brief = None
            self.show_item(self.item_index)
            self.page.refresh_projection()
        self._call(lambda s: s.meetings.add_action(mid, item.id, action), done,
                      self.page.show_error, label="add an action")


class MeetingsPage(Page):
    title = "Meetings"
    data_kinds = ("meeting", "action")

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.partners = []
        self.meetings = meetings_model(self)
        self.last_export: list[Path] = []
        self.projection = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 10, 10)
        self.stack = QStackedWidget(self)
        lay.addWidget(self.stack)

        listing = QWidget()
        ll = QVBoxLayout(listing)
        ll.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        heading = QLabel("Partnership meetings")
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        top.addWidget(heading)
        top.addStretch(1)
        self.new_button = QPushButton("New meeting…")
        self.new_button.clicked.connect(self.new_record)
        top.addWidget(self.new_button)
        self.open_button = QPushButton("Meeting mode")
        self.open_button.clicked.connect(self.open_selected)
        top.addWidget(self.open_button)
        self.lists_button = QPushButton("Partners' action lists…")
        self.lists_button.clicked.connect(self.choose_and_export_partner_lists)
        top.addWidget(self.lists_button)
        ll.addLayout(top)
        self.table = _table(self.meetings, listing)
        self.table.doubleClicked.connect(lambda _: self.open_selected())
        ll.addWidget(self.table, 1)
        self.empty = QLabel("No meetings yet. Create one to walk the cohort's actions with "
                            "the partners.")
        self.empty.setProperty("role", "muted")
        ll.addWidget(self.empty)
        self.stack.addWidget(listing)
        self.mode = MeetingModeWidget(self)
        self.stack.addWidget(self.mode)

    def _call(self, fn, on_success=None, on_failure=None, label: str = ""):
        return call_while_alive(self.ctx, self, fn, on_success, on_failure, label)

    # -- page contract ------------------------------------------------------------------------
    def today(self):
        return self.ctx.services.today() if self.ctx.services else None

    def reload(self) -> None:
        self._call(lambda s: (s.meetings.list(), s.partners.all()), self._loaded,
                      self.show_error, label="load meetings")
        if self.mode.detail is not None and self.stack.currentIndex() == 1:
            self.reload_detail(self.mode.detail.meeting.id, self.mode.item_index)

    def _loaded(self, result) -> None:
        meetings, partners = result
        self.partners = partners
        self.meetings.set_rows(meetings)
        self.empty.setVisible(not meetings)

    def clear(self) -> None:
        self.meetings.set_rows([])
        self.partners = []
        self.mode.detail = None
        self.mode.brief = None
        self.mode.item_index = -1
        for m in (self.mode.agenda, self.mode.open_actions, self.mode.changes, self.mode.comms,
                  self.mode.agreed):
            m.set_rows([])
        self.mode.decision.clear()
        self.mode.item_heading.clear()
        self.stack.setCurrentIndex(0)
        if self.projection is not None:
            self.projection.close()

    def open_record(self, record_id: int) -> bool:
        """Open meeting ``record_id`` in meeting mode."""
        if not self.ctx.unlocked:
            return False
        self.open_meeting(record_id)
        return True

    def view_state(self) -> object:
        if self.stack.currentIndex() == 1 and self.mode.detail is not None:
            return {"meeting": self.mode.detail.meeting.id, "item": self.mode.item_index}
        return None

    def restore_view_state(self, state: object) -> None:
        if isinstance(state, dict) and state.get("meeting"):
            self.stack.setCurrentIndex(1)
            self.reload_detail(int(state["meeting"]), then_select=int(state.get("item") or 0))

    def show_error(self, exc: BaseException) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Meetings", readable(exc), parent=self)
        box.setObjectName("meetingError")
        box.open()

    def selected_meeting(self):
        ix = self.table.currentIndex()
        return self.meetings.row(ix.row()) if ix.isValid() else None

    # -- create and open -------------------------------------------------------------------------
    def new_record(self) -> None:
        self._call(lambda s: (s.partners.all(), s.cohorts.list(), s.people.list(),
                                 s.groups.list(), s.today()),
                      self._show_create_dialog, self.show_error, label="meeting choices")

    def _show_create_dialog(self, choices) -> None:
        dialog = CreateMeetingDialog(*choices, parent=self)
        dialog.setObjectName("createMeeting")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_meeting(*dialog.result_value()))
        dialog.open()

    def create_meeting(self, meeting, agenda) -> None:
        def created(detail):
            self.ctx.data_changed.emit("meeting")
            self.reload()
            self.open_meeting(detail.meeting.id, detail)
        self._call(lambda s: s.meetings.create(meeting, agenda), created, self.show_error,
                      label="create a meeting")

    def open_selected(self) -> None:
        """Meeting mode for the selected meeting; with none selected, ask which (or offer
        to create one)."""
        self.with_meeting("walk its agenda in meeting mode", "Meeting mode", self.open_meeting)

    def with_meeting(self, purpose: str, open_text: str, then) -> ChooseMeetingDialog | None:
        """``then(meeting_id)`` for the meeting in hand (open in meeting mode, or selected in
        the list); with none, a dialog says so and offers to choose one or create one."""
        mid = self.current_meeting_id()
        if mid is not None:
            then(mid)
            return None
        dialog = ChooseMeetingDialog(self.meetings.rows, purpose, open_text, self)
        dialog.setObjectName("chooseMeeting")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen():
            if dialog.chosen is None:
                self.new_record()
            else:
                self.select_meeting(dialog.chosen)
                then(dialog.chosen)
        dialog.accepted.connect(chosen)
        dialog.open()
        return dialog

    def select_meeting(self, meeting_id: int) -> None:
        for r, m in enumerate(self.meetings.rows):
            if m.id == meeting_id:
                self.table.selectRow(r)
                return

    def open_meeting(self, meeting_id: int, detail=None) -> None:
        self.stack.setCurrentIndex(1)
        if detail is not None:
            self.mode.set_detail(detail)
        else:
            self._call(lambda s: s.meetings.detail(meeting_id), self.mode.set_detail,
                          self.show_error, label="open a meeting")

    def reload_detail(self, meeting_id: int, then_select: int | None = None) -> None:
        def loaded(detail):
            self.mode.brief = None
            self.mode.item_index = -1
            self.mode.set_detail(detail)
            if then_select is not None:
                self.mode.select_item(min(then_select, len(detail.items) - 1))
        self._call(lambda s: s.meetings.detail(meeting_id), loaded, self.show_error)

    def show_list(self) -> None:
        self.stack.setCurrentIndex(0)
        self.reload()

    def current_meeting_id(self) -> int | None:
        if self.stack.currentIndex() == 1 and self.mode.detail is not None:
            return self.mode.detail.meeting.id
        m = self.selected_meeting()
        return m.id if m else None

    # -- minutes and partner lists ---------------------------------------------------------------
    def choose_and_export_minutes(self) -> None:
        """Ask where to save the minutes and whether to name people, then write them."""
        self.with_meeting("save its minutes", "Save its minutes…", self._ask_minutes_path)

    def _ask_minutes_path(self, mid: int) -> QFileDialog:
        today = self.today()
        name = f"{today:%Y-%m-%d}-minutes.pdf" if today else "minutes.pdf"
        dialog = QFileDialog(self, "Save the minutes", str(_documents() / name), "PDF (*.pdf)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("pdf")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self._ask_minutes_names(mid, Path(path)))
        dialog.open()
        return dialog

    def _ask_minutes_names(self, mid: int, path: Path) -> QMessageBox:
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        box = QMessageBox(QMessageBox.Icon.Question, "Names in the minutes",
                          "Include people's names beside their partnership references?\n\n"
                          "Choose No to send references only (the safer default).",
                          yes | no, self)
        box.setDefaultButton(no)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: self.export_minutes(
            path, include_names=box.standardButton(box.clickedButton()) == yes, meeting_id=mid))
        box.open()
        return box

    def _progress(self, text: str) -> QProgressDialog:
        dialog = QProgressDialog(text, "Cancel", 0, 0, self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        return dialog

    def export_minutes(self, path: Path, include_names: bool = False,
                       meeting_id: int | None = None):
        mid = meeting_id or self.current_meeting_id()
        services = self.ctx.services
        if mid is None or services is None:
            return None
        progress = self._progress("Writing the minutes…")

        def work(control):
            return services.meetings.export_minutes(mid, path, include_names, check=control.check)

        def done(out):
            progress.close()
            self.last_export = [out]
            self.ctx.status_message.emit(f"Minutes saved to {Path(out).name}")

        def failed(exc):
            progress.close()
            if type(exc).__name__ != "Cancelled":
                self.show_error(exc)
        task = self.ctx.runner.run_with_progress(work, alive(self, done), alive(self, failed),
                                                 label="minutes PDF")
        progress.canceled.connect(task.cancel)
        return task

    def choose_and_export_partner_lists(self) -> None:
        """Ask for a folder, then write each owning partner's list of new actions there."""
        self.with_meeting("write each partner's list of its new actions",
                          "Partners' action lists…", self._ask_lists_folder)

    def _ask_lists_folder(self, mid: int) -> QFileDialog:
        dialog = QFileDialog(self, "Folder for the partners' action lists", str(_documents()))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda folder: self.export_partner_lists(
            Path(folder), meeting_id=mid))
        dialog.open()
        return dialog

    def export_partner_lists(self, folder: Path, meeting_id: int | None = None):
        mid = meeting_id or self.current_meeting_id()
        services = self.ctx.services
        if mid is None or services is None:
            return None
        progress = self._progress("Writing each partner's list of new actions…")

        def done(paths):
            progress.close()
            self.last_export = list(paths)
            self.ctx.status_message.emit(f"{len(paths)} partner action lists saved")

        def failed(exc):
            progress.close()
            if type(exc).__name__ != "Cancelled":
                self.show_error(exc)
        task = self.ctx.runner.run_with_progress(
            lambda control: services.meetings.export_partner_lists(mid, folder,
                                                                   check=control.check),
            alive(self, done), alive(self, failed), label="partner action lists")
        progress.canceled.connect(task.cancel)
        return task

    # -- projection of the agenda ------------------------------------------------------------------
    def start_projection(self) -> None:
        """Load the agenda's cards, ask where and to whom, and project it item by item."""
        self.with_meeting("project its agenda", "Project its agenda…", lambda mid: self._call(
            lambda s: (s.board.load(), s.meetings.detail(mid)), self._ask_projection,
            self.show_error, label="prepare the projection"))

    def _ask_projection(self, result) -> None:
        from ..board.projection import ask_projection
        data, detail = result
        ask_projection(self, data.partners, list(detail.attendee_ids),
                       lambda settings: self._project(data, detail, settings))

    def _project(self, data, detail, settings):
        from ..board.projection import project
        window = project(self.ctx, settings, data.partners, self.projection_items(data, detail),
                         title=detail.meeting.title, scope=f"meeting {detail.meeting.id}",
                         today=data.today)
        window.item_changed.connect(self._follow_projection)
        self.projection = window
        window.destroyed.connect(lambda: setattr(self, "projection", None))
        return window

    @staticmethod
    def projection_items(data, detail):
        """One wall item per agenda item: its open actions, those agreed at this meeting and
        those changed since the previous one; counts only in the details line."""
        from datetime import datetime

        from ..board.projection import ProjectionItem
        since = datetime.combine(detail.previous_held_on, datetime.min.time()) \
            if detail.previous_held_on else None
        mid = detail.meeting.id
        items = []
        for it in detail.items:
            cards = [c for c in data.cards
                     if (it.person_id is not None and c.action.person_id == it.person_id)
                     or (it.person_id is None and c.action.group_id == it.group_id
                         and c.action.person_id is None)]
            changed = [c for c in cards if since is not None and c.action.updated_at is not None
                       and c.action.updated_at >= since]
            agreed = [c for c in cards if c.action.meeting_id == mid]
            shown = [c for c in cards if c.status in ("planned", "in_progress", "blocked")
                     or c in changed or c in agreed]
            n_open = sum(c.status in ("planned", "in_progress", "blocked") for c in cards)
            details = [f"{n_open} open",
                       f"{sum(c.overdue for c in cards)} overdue",
                       f"{len(agreed)} agreed at this meeting"]
            if since is not None:
                details.append(f"{len(changed)} changed since {detail.previous_held_on:%d %b}")
            items.append(ProjectionItem(it.label, shown, person_reference=it.reference,
                                        person_name=it.person_name, details=details))
        return items

    def refresh_projection(self) -> None:
        """Show what the chair just recorded on the wall too."""
        window = self.projection
        if window is None or self.mode.detail is None:
            return
        mid = self.mode.detail.meeting.id
        self._call(lambda s: (s.board.load(), s.meetings.detail(mid)),
                      lambda r: self.projection is not None and self.projection.set_items(
                          self.projection_items(r[0], r[1])),
                      self.show_error, label="refresh the projection")

    def _follow_projection(self, index: int) -> None:
        """The chair's screen follows the clicker."""
        if self.stack.currentIndex() == 1:
            self.mode.select_item(index)
