"""Custody episodes on a person's page: record a new episode (remand or sentenced), learn
a new expected release date, record a release, and open the continuity plan.

Recording an episode proposes what starts on entry into custody (a prison drug-service
referral, a review at release) and the open community actions to pause; the
proposals dialog lets the user accept each line.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import shiboken6

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton,
    QVBoxLayout, QWidget,
)

from ...security.roles import Can
from ..context import AppContext
from ..errors import show_failure
from ..forms import Field, open_record_dialog
from ..models import Column, date_column, enum_column, fmt_date, text_column
from ..record_pages import Card, MiniTable, ui_today
from ..style import set_role
from .models import FLAG_HELP, plan_status_text, release_text


def call_while_alive(ctx, widget, fn, on_success=None, on_failure=None, label=""):
    """The board's ``call_while_alive``, imported when first used: this card is built with
    the People page at start-up, before the feature pages load."""
    from ..board.page import call_while_alive as call
    return call(ctx, widget, fn, on_success, on_failure, label)


@dataclass
class ReleaseDateForm:
    """What the Learn a new release date form edits."""
    expected_release: date | None
    learned_on: date | None
    id: int | None = None


@dataclass
class ReleaseForm:
    """What the Record a release form edits."""
    actual_release: date | None
    status_after: str = "none"
    status_end: date | None = None
    id: int | None = None


RELEASE_DATE_FIELDS = [
    Field("expected_release", "New e&xpected release", "date",
          help="left empty when the release date is no longer known"),
    Field("learned_on", "&Learned on", "date", help="the day this date became known"),
]
RELEASE_FIELDS = [
    Field("actual_release", "&Released on", "date"),
    Field("status_after", "Legal status &after", "choice"),
    Field("status_end", "Licence or probation &ends", "date"),
]
STATUS_AFTER = [("none", "None"), ("licence", "Licence"), ("probation", "Probation"),
                ("bail", "Bail")]


def episode_fields():
    from ...domain.custody import CustodyKind, SentenceBand
    return [
        Field("kind", "&Custody", "enum", CustodyKind),
        Field("establishment_id", "&Establishment", "choice", help="a partner of type prison"),
        Field("prison_number", "&Prison number", placeholder="e.g. A1234BC"),
        Field("started_on", "&Started", "date"),
        Field("expected_release", "E&xpected release", "date",
              help="left empty on remand with no date (the planner flags it)"),
        Field("sentence_band", "Sentence &length", "enum", SentenceBand),
    ]


class _EpisodeRow:
    """An episode view read as its episode's fields too (the table's columns)."""

    def __init__(self, view):
        self.view = view
        self.id = view.id

    def __getattr__(self, name):
        try:
            return getattr(self.view, name)
        except AttributeError:
            return getattr(self.view.episode, name)


EPISODE_COLUMNS = [             # what matters for a release first: when, flags, plan
    enum_column("Custody", "kind"),
    Column("Expected release", lambda e: release_text(e.expected_release)
           if e.actual_release is None else fmt_date(e.expected_release),
           lambda e: e.expected_release or date.max),
    Column("Flags", lambda e: str(e.flags) if e.actual_release is None else "", tooltip=FLAG_HELP),
    Column("Plan", lambda e: plan_status_text(e.plan_status), tooltip="Continuity plan"),
    text_column("Establishment", "establishment"),
    text_column("Prison no.", "prison_number"),
    date_column("Started", "started_on"),
    date_column("Released", "actual_release"),
    enum_column("Sentence", "sentence_band"),
]


CHANGED_KINDS = ("custody", "person", "action")     # an episode moves status, dates, plans


def learn_release_date(ctx: AppContext, parent: QWidget, episode_id: int, reference: str,
                       expected: date | None, on_saved) -> None:
    """The form for a new expected release date (empty: no longer known), kept with the
    day it was learned; the plan's due dates follow it."""
    open_record_dialog(
        ctx, parent, kind=CHANGED_KINDS, title=f"New release date for {reference}",
        fields=RELEASE_DATE_FIELDS, record=ReleaseDateForm(expected, ui_today(ctx)),
        create=lambda s, r: s.custody.learn_release_date(episode_id, r.expected_release,
                                                         r.learned_on), update=None,
        intro="The continuity plan's due dates move with the release date; their owners "
              "see the change on the board.",
        on_saved=on_saved, saved_text="Release date learned")


def record_release(ctx: AppContext, parent: QWidget, episode_id: int, reference: str,
                   on_saved) -> None:
    """The form for a release that happened, with the legal status that follows it."""
    open_record_dialog(
        ctx, parent, kind=CHANGED_KINDS, title=f"Release of {reference}", fields=RELEASE_FIELDS,
        record=ReleaseForm(ui_today(ctx)), choices={"status_after": STATUS_AFTER},
        create=lambda s, r: s.custody.record_release(episode_id, r.actual_release,
                                                     r.status_after, r.status_end), update=None,
        intro="On licence or probation after release needs the person's supervising partner "
              "(Edit… on their page).",
        on_saved=on_saved, saved_text="Release recorded")


def record_episode(ctx: AppContext, parent: QWidget, on_changed, person_id: int | None = None,
                   reference: str = "") -> None:
    """The form for entry into custody (for ``person_id``, or a person chosen in it), then
    what starts on entry, proposed line by line. ``on_changed(proposals)`` after each step."""
    from ...domain.custody import CustodyEpisode, CustodyKind

    def load(s):
        people = None if person_id is not None else [
            (p.id, f"{p.reference} · {p.given_name} {p.family_name}") for p in s.people.list()
            if str(p.legal_status) not in ("custody", "remand")]
        return s.partners.all(), people

    def show(loaded):
        partners, people = loaded
        prisons = [(None, "— not known yet —")] + [
            (p.id, p.name) for p in partners if str(p.type) == "prison"]
        choices = {"establishment_id": prisons}
        fields = episode_fields()
        if people is not None:
            choices["person_id"] = people
            fields.insert(0, Field("person_id", "Pe&rson", "choice",
                                   help="those not in custody already"))
        episode = CustodyEpisode(person_id=person_id or (people[0][0] if people else 0),
                                 kind=CustodyKind.REMAND, started_on=ui_today(ctx))
        parent.episode_dialog = open_record_dialog(
            ctx, parent, kind=CHANGED_KINDS, fields=fields, record=episode, update=None,
            title=f"Custody episode for {reference}" if reference else "Custody episode",
            create=lambda s, r: s.custody.record_episode(r), choices=choices,
            intro="What starts on entry into custody is proposed next, line by line.",
            on_saved=recorded, saved_text="Custody episode recorded")

    def recorded(proposals) -> None:
        on_changed(proposals)
        if proposals.proposals and shiboken6.isValid(parent):
            dialog = EntryProposalsDialog(ctx, proposals, parent)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted_lines.connect(lambda _n: on_changed(proposals))
            parent.proposals_dialog = dialog
            dialog.open()
    call_while_alive(ctx, parent, load, show, lambda e: show_failure(parent, e),
                     label="open custody form")


class CustodyCard(Card):
    """The person's custody episodes, newest first, with the quick buttons."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__("Custody episodes", parent)
        self.setObjectName("custodyCard")
        self.ctx = ctx
        self.person_id: int | None = None
        self.reference = ""
        self.episodes: list = []
        self.table = MiniTable(EPISODE_COLUMNS, "No custody episodes recorded.", max_rows=6)
        self.table.setObjectName("custodyEpisodes")
        self.table.activated_id.connect(lambda _id: self.open_plan())
        self.add(self.table)
        self.add(self.table.empty_label)
        self.history = QLabel()
        self.history.setObjectName("releaseDateHistory")
        self.history.setWordWrap(True)
        set_role(self.history, "muted")
        self.add(self.history)
        row = QHBoxLayout()
        self.record_btn = QPushButton("Record custody &episode…")
        self.record_btn.setToolTip("Remand or sentenced: what starts on entry is proposed")
        self.learn_btn = QPushButton("Learn release &date…")
        self.learn_btn.setToolTip("A new expected release date for the selected episode "
                                  "(kept with the day it was learned)")
        self.release_btn = QPushButton("Record re&lease…")
        self.plan_btn = QPushButton("Continuity &plan…")
        for b in (self.record_btn, self.learn_btn, self.release_btn, self.plan_btn):
            row.addWidget(b)
        row.addStretch(1)
        self.layout_.addLayout(row)
        self.record_btn.clicked.connect(lambda: self.record_episode())
        self.learn_btn.clicked.connect(lambda: self.learn_release_date())
        self.release_btn.clicked.connect(lambda: self.record_release())
        self.plan_btn.clicked.connect(lambda: self.open_plan())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.table.model_.modelReset.connect(self._update)
        self._update()

    # -- showing -----------------------------------------------------------------------
    def show_person(self, person_id: int, reference: str) -> None:
        self.person_id, self.reference = person_id, reference
        call_while_alive(self.ctx, self, lambda s: s.custody.episodes(person_id), self._loaded,
                         lambda e: show_failure(self, e), label="custody episodes")

    def _loaded(self, episodes) -> None:
        self.episodes = [_EpisodeRow(v) for v in episodes]
        self.table.set_rows(self.episodes)
        if self.episodes:
            self.table.selectRow(0)             # the newest: what the buttons act on
        self._update()

    def clear(self) -> None:
        self.person_id = None
        self.episodes = []
        self.table.clear_rows()
        self.history.setText("")

    def selected(self):
        return self.table.selected()

    def _update(self) -> None:
        ep = self.selected()
        may = self.ctx.permits(Can.EDIT_PEOPLE)
        for b in (self.record_btn, self.learn_btn, self.release_btn, self.plan_btn):
            b.setVisible(may or b is self.plan_btn)
        current = ep is not None and ep.actual_release is None
        in_custody = any(e.actual_release is None for e in self.episodes)
        self.record_btn.setEnabled(self.person_id is not None and not in_custody)
        self.record_btn.setToolTip("Record the release of the current episode first" if in_custody
                                   else "Remand or sentenced: what starts on entry is proposed")
        self.learn_btn.setEnabled(current)
        self.release_btn.setEnabled(current)
        self.plan_btn.setEnabled(ep is not None)
        self.history.setVisible(False)
        if ep is not None and ep.date_changes:
            eid = ep.id
            call_while_alive(self.ctx, self, lambda s: s.custody.date_changes(eid),
                             lambda changes: self._show_history(eid, changes),
                             lambda e: show_failure(self, e), label="release date changes")

    def _show_history(self, episode_id: int, changes) -> None:
        ep = self.selected()
        if ep is None or ep.id != episode_id:
            return
        parts = [f"{release_text(c.expected_release)} (learned {fmt_date(c.learned_on)})"
                 for c in changes]
        self.history.setText("Expected release, as learned: " + " → ".join(parts))
        self.history.setVisible(bool(parts))

    # -- changes -----------------------------------------------------------------------
    def _saved(self) -> None:
        """The form emitted its kinds already; show the episodes afresh here too."""
        self.changed.emit()
        if self.person_id is not None:
            self.show_person(self.person_id, self.reference)

    def record_episode(self) -> None:
        if self.person_id is not None:
            record_episode(self.ctx, self, lambda _p: self._saved(), self.person_id,
                           self.reference)

    def learn_release_date(self) -> None:
        ep = self.selected()
        if ep is not None and ep.actual_release is None:
            learn_release_date(self.ctx, self, ep.id, self.reference, ep.expected_release,
                               lambda _r: self._saved())

    def record_release(self) -> None:
        ep = self.selected()
        if ep is not None and ep.actual_release is None:
            record_release(self.ctx, self, ep.id, self.reference, lambda _r: self._saved())

    def open_plan(self):
        ep = self.selected()
        if ep is None:
            return None
        from .plan import PlanDialog
        dialog = PlanDialog(self.ctx, ep.id, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog


PROPOSAL_WORDS = {"referral": "Start", "review": "Start", "pause": "Pause"}


def proposal_text(p) -> str:
    """'Start: Referral to the prison drug service … (HMP Example, due 28 Nov 2026)'."""
    extra = ", ".join(x for x in (p.partner_name, f"due {fmt_date(p.due_date)}" if p.due_date
                                  else "") if x)
    return f"{PROPOSAL_WORDS.get(p.what, p.what.capitalize())}: {p.description}" + \
        (f" ({extra})" if extra else "")


class EntryProposalsDialog(QDialog):
    """What starts on entry into custody, and the community actions to pause: each line
    ticked is accepted; nothing is done for a line left unticked."""

    accepted_lines = Signal(int)

    def __init__(self, ctx: AppContext, proposals, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.proposals = proposals
        self.lines = list(proposals.proposals)
        self.setWindowTitle("On entry into custody")
        self.resize(780, 320)
        col = QVBoxLayout(self)
        intro = QLabel("Help starts on entry into prison. Tick each line to accept it; "
                       "open community actions that cannot be delivered in custody are paused, "
                       "not left to go overdue.")
        intro.setWordWrap(True)
        col.addWidget(intro)
        self.list = QListWidget()
        self.list.setObjectName("entryProposals")
        self.list.setWordWrap(True)
        for line in self.lines:
            item = QListWidgetItem(proposal_text(line))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        col.addWidget(self.list, 1)
        self.buttons = QDialogButtonBox()
        self.accept_button = self.buttons.addButton("Accept ticked", QDialogButtonBox.ButtonRole.AcceptRole)
        self.accept_button.setDefault(True)
        self.buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept_ticked)
        self.buttons.rejected.connect(self.reject)
        col.addWidget(self.buttons)
        self.list.itemChanged.connect(lambda _i: self._count())
        self._count()

    def ticked(self) -> list[int]:
        return [i for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def _count(self) -> None:
        n = len(self.ticked())
        self.accept_button.setText(f"Accept {n} ticked")
        self.accept_button.setEnabled(n > 0)

    def accept_ticked(self) -> None:
        chosen = [self.lines[i] for i in self.ticked()]
        if not chosen:
            return
        self.accept_button.setEnabled(False)
        episode_id = self.proposals.episode.id

        def done(_):
            n = len(chosen)
            for kind in ("action", "person"):
                self.ctx.data_changed.emit(kind)
            self.ctx.status_message.emit(f"{n} proposal{'s' if n != 1 else ''} accepted")
            self.accepted_lines.emit(n)
            self.accept()

        def failed(exc):
            self._count()
            show_failure(self, exc)
        call_while_alive(self.ctx, self, lambda s: s.custody.accept_proposals(episode_id, chosen),
                         done, failed, label="accept entry proposals")
