"""The Network page: people and groups as networkx lays them out, filtered, analysed.

The picture and its analysis are computed on the database worker (``ctx.call``): the
GUI thread only builds the scene from the plain rows it gets back. A click on a node
selects it and says who it is; a double click (or Enter) opens the person or group.
References replace names when "References only" is ticked, when the role may not see
names, and always while the board is projected on a wall.
"""
from __future__ import annotations

from datetime import timedelta
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget,
    QListWidgetItem, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from ...domain.errors import DeterrenceError, readable
from ...domain.network import LinkKind
from ...security.roles import Can
from ..board.page import call_while_alive
from ..context import AppContext
from ..errors import show_failure
from ..flow import FlowLayout
from ..incidents.links_card import link_label
from ..meetings.page import _documents
from ..page import Page
from .scene import EDGE_STYLES, NetworkView

ANY = -1            # "all" entries carry a sentinel, never None (see board.widgets)
PERIODS = (("Any time", 0), ("Last 3 months", 91), ("Last 6 months", 182),
           ("Last 12 months", 365))
CONFIDENCES = (("Any confidence", ""), ("Confirmed only", "confirmed"),
               ("Confirmed or reported", "confirmed,reported"))


def projecting() -> bool:
    """Whether the board (or a meeting's agenda) is on a wall right now."""
    app = QApplication.instance()
    return any(w.objectName() == "projection" and w.isVisible()
               for w in (app.topLevelWidgets() if app is not None else ()))


def legend_html() -> str:
    rows = []
    for kind in ("member", "co_offending", "family", "associate", "victim_of", "rival", "ally"):
        colour, width, dashed, text = EDGE_STYLES[kind]
        line = "╍╍╍" if dashed else "━━━"
        rows.append(f"<span style='color:{colour}; font-weight:900'>{line}</span> {escape(text)}")
    rows.append("<span style='color:#1b7f3b; font-weight:700'>◯</span> reached by the message")
    rows.append("<span style='color:#b3261e; font-weight:700'>◌</span> not yet reached")
    rows.append("● person (larger: more central) &nbsp; ■ group")
    return "<br/>".join(rows)


def save_dialog(parent: QWidget, title: str, start: Path, chosen) -> QFileDialog:
    """Ask where to save (not blocking): Qt's own dialog, the same on every desktop and
    drivable by the journeys; ``chosen(path)`` once accepted. The suffix of ``start``
    (pdf, png) is the file type."""
    suffix = start.suffix.lstrip(".")
    dialog = QFileDialog(parent, title, str(start))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setNameFilter(f"{suffix.upper()} (*.{suffix})")
    dialog.setDefaultSuffix(suffix)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile(start.name)
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


class NetworkPage(Page):
    title = "Network"
    data_kinds = ("network", "incident", "link", "person", "group", "cohort", "communication",
                  "call_in", "custom_notification")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.picture = None
        self.analysis = None
        self._asked = 0
        self._choices_loaded = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 10, 10, 10)
        lay.setSpacing(6)
        top = QHBoxLayout()
        heading = QLabel("Network")
        heading.setStyleSheet("font-size: 15pt; font-weight: 600;")
        top.addWidget(heading)
        self.count_label = QLabel("")
        self.count_label.setObjectName("networkCount")
        self.count_label.setProperty("role", "muted")
        top.addWidget(self.count_label)
        top.addStretch(1)
        self.references_only = QCheckBox("References only")
        self.references_only.setToolTip("Show partnership references instead of names (always "
                                        "so while the board is projected)")
        self.references_only.toggled.connect(lambda _on: self.reload())
        top.addWidget(self.references_only)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setToolTip("Show the whole picture (0); + and - zoom, drag to pan")
        top.addWidget(self.fit_button)
        self.png_button = QPushButton("Save PNG…")
        self.pdf_button = QPushButton("Save PDF…")
        for b, fmt in ((self.png_button, "png"), (self.pdf_button, "pdf")):
            b.setToolTip(f"Save this picture as {fmt.upper()}, marked OFFICIAL-SENSITIVE")
            b.clicked.connect(lambda _c=False, f=fmt: self.ask_export(f))
            top.addWidget(b)
        lay.addLayout(top)

        filters = QWidget()
        flow = FlowLayout(filters, spacing=6, row_spacing=4)
        flow.setContentsMargins(0, 0, 0, 0)

        def combo(name: str, text: str) -> QComboBox:
            c = QComboBox(filters)
            c.setObjectName(name)
            c.setAccessibleName(text)
            c.setToolTip(text)
            c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            flow.addWidget(c)
            return c
        self.group = combo("networkGroup", "Group")
        self.cohort = combo("networkCohort", "Cohort")
        self.link_kind = combo("networkLinkKind", "Kind of link")
        self.confidence = combo("networkConfidence", "Confidence")
        self.period = combo("networkPeriod", "Incidents and links since")
        self.rivals = QCheckBox("With rival groups", filters)
        self.rivals.setChecked(True)
        self.rivals.setToolTip("With one group chosen, also show the groups in conflict or "
                               "allied with it, and their people")
        flow.addWidget(self.rivals)
        self.group.addItem("All groups", ANY)
        self.cohort.addItem("All cohorts", ANY)
        self.link_kind.addItem("All kinds of link", "")
        for k in LinkKind:
            self.link_kind.addItem(link_label(k), k.value)
        for text, value in CONFIDENCES:
            self.confidence.addItem(text, value)
        for text, days in PERIODS:
            self.period.addItem(text, days)
        for c in (self.group, self.cohort, self.link_kind, self.confidence, self.period):
            c.currentIndexChanged.connect(self._filters_changed)
        self.rivals.toggled.connect(self._filters_changed)
        lay.addWidget(filters)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.view = NetworkView(split)
        self.view.setObjectName("networkView")
        self.view.node_clicked.connect(self._node_clicked)
        self.view.node_opened.connect(self._open)
        self.fit_button.clicked.connect(self.view.fit)
        split.addWidget(self.view)
        side = QWidget(split)
        side.setMinimumWidth(250)
        side.setMaximumWidth(420)
        col = QVBoxLayout(side)
        col.setContentsMargins(6, 0, 0, 0)
        self.selected = QLabel("Click a person or group to see who it is; double-click "
                               "opens the record.")
        self.selected.setObjectName("networkSelected")
        self.selected.setWordWrap(True)
        col.addWidget(self.selected)
        self.open_button = QPushButton("Open the record")
        self.open_button.setToolTip("Open the selected person's or group's page (Enter)")
        self.open_button.clicked.connect(lambda: self._chosen and self._open(*self._chosen))
        self.open_button.hide()
        col.addWidget(self.open_button)
        self._chosen: tuple[str, int] | None = None
        head = QLabel("Key players")
        head.setStyleSheet("font-weight: 600; padding-top: 6px;")
        col.addWidget(head)
        self.summary = QLabel("")
        self.summary.setObjectName("networkAnalysis")
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "muted")
        col.addWidget(self.summary)
        self.players = QListWidget(side)
        self.players.setObjectName("keyPlayers")
        self.players.setAccessibleName("Key players")
        self.players.setWordWrap(True)
        self.players.currentItemChanged.connect(self._player_chosen)
        self.players.itemActivated.connect(
            lambda item: self._open("person", item.data(Qt.ItemDataRole.UserRole)))
        col.addWidget(self.players, 1)
        legend_head = QLabel("Legend")
        legend_head.setStyleSheet("font-weight: 600;")
        col.addWidget(legend_head)
        legend = QLabel(legend_html())
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setWordWrap(True)
        col.addWidget(legend)
        split.addWidget(side)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        lay.addWidget(split, 1)
        self.hint = QLabel("Drag to pan, wheel or +/- to zoom, 0 to fit. Names show as you zoom "
                           "in; labels never pile up.")
        self.hint.setProperty("role", "muted")
        lay.addWidget(self.hint)
        # a projection may start or stop while this page is open: follow it
        self._projection_timer = QTimer(self)
        self._projection_timer.setInterval(1000)
        self._projection_timer.timeout.connect(self._follow_projection)
        self._was_projecting = False
        self._restore: dict | None = None

    # -- filter ----------------------------------------------------------------------------
    def references(self) -> bool:
        return self.references_only.isChecked() or projecting()

    def current_filter(self):
        from ...services.network import NetworkFilter
        group = self.group.currentData()
        cohort = self.cohort.currentData()
        kind = self.link_kind.currentData()
        conf = self.confidence.currentData()
        days = self.period.currentData() or 0
        today = self.ctx.services.today() if self.ctx.services is not None else None
        return NetworkFilter(
            group_ids=[group] if group not in (ANY, None) else None,
            cohort_id=cohort if cohort not in (ANY, None) else None,
            link_kinds={kind} if kind else None,
            confidences=set(conf.split(",")) if conf else None,
            date_from=(today - timedelta(days=days)) if days and today else None,
            date_to=None,
            include_rivals=self.rivals.isChecked(),
            references_only=self.references())

    def _filters_changed(self, *_):
        self.reload()

    def _follow_projection(self) -> None:
        now = projecting()
        if now != self._was_projecting:
            self._was_projecting = now
            self.references_only.setEnabled(not now)
            self.reload()

    # -- loading ---------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._projection_timer.start()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._projection_timer.stop()

    def reload(self) -> None:
        if not self.ctx.unlocked:
            return
        if not self.isVisible():
            self._stale = True
            return
        if not self._choices_loaded:
            call_while_alive(self.ctx, self, lambda s: (s.groups.list(), s.cohorts.list()),
                             self._choices, self._failed, label="network filters")
            return
        self._was_projecting = projecting()
        self.references_only.setEnabled(not self._was_projecting)
        self._asked += 1
        asked = self._asked
        f = self.current_filter()
        self.count_label.setText("Drawing…")
        call_while_alive(self.ctx, self, lambda s: s.network.picture_and_analysis(f),
                         lambda result: self._loaded(asked, result), self._failed,
                         label="network picture")

    def _choices(self, result) -> None:
        groups, cohorts = result
        for c in (self.group, self.cohort):
            c.blockSignals(True)
        for combo, rows in ((self.group, groups), (self.cohort, cohorts)):
            keep = combo.currentData()
            while combo.count() > 1:
                combo.removeItem(1)
            for r in rows:
                combo.addItem(r.name, r.id)
            combo.setCurrentIndex(max(0, combo.findData(keep)))
        for c in (self.group, self.cohort):
            c.blockSignals(False)
        self._choices_loaded = True
        if self._restore is not None:         # back from a lock: the filters as they were
            self._apply_restore()
        self.reload()

    def _loaded(self, asked: int, result) -> None:
        if asked != self._asked or not self.ctx.unlocked:
            return                       # a newer filter is on its way
        self.picture, self.analysis = result
        self.view.set_picture(self.picture)
        people = sum(1 for n in self.picture.nodes if n.kind == "person")
        groups = len(self.picture.nodes) - people
        links = sum(1 for e in self.picture.edges if e.kind != "member")
        self.count_label.setText(f"{people} people, {groups} groups, {links} links")
        self._show_analysis(self.analysis)
        self._unselect()

    def _show_analysis(self, a) -> None:
        self.players.clear()
        if a is None:
            self.summary.setText("")
            return
        comps = len(a.components)
        bridges = len(a.bridges)
        self.summary.setText(f"{comps} connected part{'s' if comps != 1 else ''}; "
                             f"{bridges} bridge{'s' if bridges != 1 else ''} between groups; "
                             f"betweenness: {a.method}.")
        for pid, text, reasons in a.key_players:
            item = QListWidgetItem(f"{text} — {'; '.join(reasons)}")
            item.setData(Qt.ItemDataRole.UserRole, pid)
            self.players.addItem(item)

    def _failed(self, exc: BaseException) -> None:
        self.count_label.setText("")
        if isinstance(exc, DeterrenceError):      # e.g. a role that may not see the network
            self._unselect(readable(exc))
        else:
            show_failure(self, exc, "Could not draw the network")

    def _on_data_changed(self, kind: str) -> None:
        if kind in ("group", "cohort"):
            self._choices_loaded = False          # the filters' lists change too
        super()._on_data_changed(kind)

    def clear(self) -> None:
        self.picture = self.analysis = None
        self._choices_loaded = False
        self.view.set_picture(None)
        self.players.clear()
        self.summary.setText("")
        self.count_label.setText("")
        self._unselect("")

    def _unselect(self, text: str = "Click a person or group to see who it is; double-click "
                                     "opens the record.") -> None:
        self.selected.setText(text)
        self._chosen = None
        self.open_button.hide()

    def view_state(self) -> object:
        """The filters (ids only), kept across a lock."""
        return {"group": self.group.currentData(), "cohort": self.cohort.currentData(),
                "kind": self.link_kind.currentData(), "confidence": self.confidence.currentData(),
                "period": self.period.currentData(), "rivals": self.rivals.isChecked(),
                "references_only": self.references_only.isChecked()}

    def restore_view_state(self, state: object) -> None:
        if isinstance(state, dict):
            self._restore = state

    def _apply_restore(self) -> None:
        state, self._restore = self._restore, None
        for combo, key in ((self.group, "group"), (self.cohort, "cohort"), (self.link_kind, "kind"),
                           (self.confidence, "confidence"), (self.period, "period")):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(state.get(key))))
            combo.blockSignals(False)
        for box, key in ((self.rivals, "rivals"), (self.references_only, "references_only")):
            box.blockSignals(True)
            box.setChecked(bool(state.get(key, box.isChecked())))
            box.blockSignals(False)

    # -- nodes -----------------------------------------------------------------------------
    def _node_clicked(self, kind: str, entity_id: int) -> None:
        node = self.view.net.nodes.get(f"{'p' if kind == 'person' else 'g'}:{entity_id}")
        if node is None:
            return
        n = node.node
        reach = {True: "reached by the message", False: "not yet reached"}.get(n.reached, "")
        degree = sum(1 for e in self.picture.edges if n.key in (e.a, e.b)) if self.picture else 0
        what = "Group" if kind == "group" else "Person"
        self.selected.setText(f"<b>{escape(n.label)}</b> ({what.lower()}; {degree} "
                              f"connection{'s' if degree != 1 else ''}"
                              + (f"; {reach}" if reach else "") + ")")
        self._chosen = (kind, int(entity_id))
        self.open_button.setText(f"Open the {what.lower()}")
        self.open_button.show()

    def _player_chosen(self, item, _previous=None) -> None:
        if item is not None:
            key = f"p:{item.data(Qt.ItemDataRole.UserRole)}"
            self.view.centre_on_key(key)
            node = self.view.net.nodes.get(key)
            if node is not None:
                self._node_clicked("person", node.node.entity_id)

    def _open(self, kind: str, entity_id: int) -> None:
        self.ctx.open_requested.emit(kind, int(entity_id))

    # -- export ----------------------------------------------------------------------------
    def ask_export(self, fmt: str) -> QFileDialog | None:
        if self.picture is None:
            return None
        today = self.ctx.services.today() if self.ctx.services is not None else None
        name = f"{today:%Y-%m-%d}-network.{fmt}" if today else f"network.{fmt}"
        return save_dialog(self, f"Save the network as {fmt.upper()}", _documents() / name,
                           lambda path: self.export(Path(path), fmt))

    def export(self, path: Path, fmt: str) -> None:
        f = self.current_filter()
        picture = self.picture              # drawn from the positions on screen
        if not self.ctx.permits(Can.EXPORT_NAMES) and not f.references_only:
            from dataclasses import replace     # names leave only with the right to export them
            f, picture = replace(f, references_only=True), None

        def done(written):
            self.ctx.status_message.emit(
                f"Saved the network picture ({written.people} people, "
                f"{'references only' if written.references_only else 'with names'}): "
                f"{written.path.name}")
        call_while_alive(self.ctx, self, lambda s: s.network.export(f, path, picture), done,
                         lambda e: show_failure(self, e, "Could not save the picture"),
                         label="save network picture")
