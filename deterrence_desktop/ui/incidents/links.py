"""Links between people, on a person's page: family, associate, rival, victim of (each with
the partner who said so, a date and a confidence), and co-offending, derived from shared
incidents (shown, never edited). Every change is undoable."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget,
)

from ...domain.enums import label
from ...domain.errors import DeterrenceError, readable
from ...domain.network import Confidence, LinkKind, PersonLink
from ...security.roles import Can
from ..board.page import alive, call_while_alive
from ..errors import show_failure
from ..forms import ServiceCommand
from ..models import Column, date_column, text_column
from .dialog import pydate, qdate
from .picker import PersonPicker, choice_text

KINDS = ("link", "network")          # a person's page reloads only its links card
STORED_KINDS = [k for k in LinkKind if k.value != "co_offending"]    # co-offending is derived


def link_label(kind) -> str:
    return "Co-offending" if str(kind) == "co_offending" else label(kind)


def link_columns() -> list[Column]:
    return [
        text_column("Linked to", "other_text"),
        Column("Kind", lambda r: link_label(r.kind), lambda r: str(r.kind)),
        text_column("Source", "source_text"),
        date_column("Reported", "reported_on"),
        Column("Confidence", lambda r: label(r.confidence), lambda r: str(r.confidence)),
    ]


class LinkRow:
    """A ``LinkView`` as the mini table shows it; ``id`` is the other person (Enter opens them)."""

    def __init__(self, v):
        self.view = v
        self.id = v.other_person_id
        ref, name = v.other_reference, getattr(v, "other_name", "") or ""
        self.other_text = ref if not name or name == ref else f"{ref}  {name}"
        self.kind, self.confidence, self.reported_on = v.kind, v.confidence, v.reported_on
        self.source_text = v.source_partner or ""


class LinkDialog(QDialog):
    """A new link from ``person_id`` (pick the other person) or an edit of ``link``."""

    def __init__(self, ctx, person_id: int, partners, parent: QWidget | None = None,
                 link: PersonLink | None = None, other_text: str = ""):
        super().__init__(parent)
        self.ctx = ctx
        self.person_id = person_id
        self.link = link
        self.other_id = link.other_person_id if link else None
        self.setWindowTitle("Edit link" if link else "Add a link")
        form = QFormLayout(self)
        self.other = QLabel(other_text or "nobody chosen yet")
        self.other.setObjectName("linkOther")
        form.addRow("Linked to", self.other)
        self.picker = PersonPicker(ctx, self)
        self.picker.exclude = {person_id}
        self.picker.picked.connect(self._picked)
        self.picker.setVisible(link is None)
        if link is None:
            form.addRow("", self.picker)
        self.kind = QComboBox(self)
        for k in STORED_KINDS:
            self.kind.addItem(label(k), k.value)
        self.source = QComboBox(self)
        self.source.addItem("— not recorded —", -1)
        for p in partners:
            self.source.addItem(p.name, p.id)
        self.reported = QDateEdit(self)
        self.reported.setCalendarPopup(True)
        self.reported.setDisplayFormat("dd MMM yyyy")
        self.reported.setDate(qdate(ctx.services.today()))
        self.confidence = QComboBox(self)
        for c in Confidence:
            self.confidence.addItem(label(c), c.value)
        self.notes = QLineEdit(self)
        for text, w in (("&Kind", self.kind), ("&Source (which partner said so)", self.source),
                        ("&Reported on", self.reported), ("&Confidence", self.confidence),
                        ("&Notes", self.notes)):
            lab = QLabel(text)
            lab.setBuddy(w)
            form.addRow(lab, w)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        form.addRow(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        for b in buttons.buttons():
            b.setAutoDefault(False)
        form.addRow(buttons)
        if link is not None:
            self.kind.setCurrentIndex(max(0, self.kind.findData(str(link.kind))))
            self.source.setCurrentIndex(max(0, self.source.findData(link.source_partner_id)))
            self.reported.setDate(qdate(link.reported_on))
            self.confidence.setCurrentIndex(max(0, self.confidence.findData(str(link.confidence))))
            self.notes.setText(link.notes)
        else:
            self.picker.search.setFocus()

    def _picked(self, choice) -> None:
        self.other_id = choice.id
        self.other.setText(choice_text(choice))

    def record(self) -> PersonLink:
        source = self.source.currentData()
        values = dict(person_id=self.person_id, other_person_id=self.other_id,
                      kind=LinkKind(self.kind.currentData()),
                      source_partner_id=None if source in (-1, None) else source,
                      reported_on=pydate(self.reported.date()),
                      confidence=Confidence(self.confidence.currentData()),
                      notes=self.notes.text().strip())
        if self.link is not None:
            return replace(self.link, **{k: v for k, v in values.items() if k != "person_id"})
        return PersonLink(**values)

    def save(self) -> None:
        if self.other_id is None:
            self.message.setText("Choose the person this link is to: type in the search box "
                                 "and press Enter.")
            return
        after = self.record()
        before = self.link

        def work(s):
            if before is None:
                return s.links.add(after)
            s.links.update(before.id, after)
            return before.id

        def done(link_id):
            if before is None:
                after.id = link_id
                cmd = ServiceCommand(self.ctx, KINDS, f"Add link: {label(after.kind).lower()}",
                                     lambda s: _re_add(s, after), lambda s: s.links.remove(after.id))
            else:
                cmd = ServiceCommand(self.ctx, KINDS, f"Edit link: {label(after.kind).lower()}",
                                     lambda s: s.links.update(before.id, after),
                                     lambda s: s.links.update(before.id, before))
            self.ctx.undo_stack.push(cmd)
            for kind in KINDS:
                self.ctx.data_changed.emit(kind)
            self.ctx.status_message.emit("Saved the link")
            self.accept()

        def failed(exc):
            if isinstance(exc, DeterrenceError):
                self.message.setText(f"<span style='color:#a12a2a'>{readable(exc)}</span>")
            else:
                show_failure(self, exc, "Could not save the link")
        call_while_alive(self.ctx, self, work, done, failed, label="save link")

    def close_quietly(self) -> None:
        self.reject()


def _re_add(services, link: PersonLink) -> None:
    link.id = services.links.add(replace(link, id=None))


def open_link_dialog(ctx, parent: QWidget, person_id: int, link_id: int | None = None,
                     other_text: str = "") -> None:
    def load(s):
        partners = s.partners.all()
        return partners, (s.links.get(link_id) if link_id is not None else None)

    def show(result):
        if not ctx.unlocked:
            return
        partners, link = result
        dlg = LinkDialog(ctx, person_id, partners, parent, link, other_text)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.open()
    ctx.call(load, show, lambda e: show_failure(parent, e), label="open link form")


class PersonLinksCard:
    """The "Links" card of a person's page, built with the page's card helpers."""

    def __init__(self, view):
        self.view = view
        ctx = view.ctx
        self.card, self.table = view.table_card("Links to other people", link_columns(),
                                                "No links recorded.", 10)
        self.table.setObjectName("personLinks")
        self.table.activated_id.connect(lambda pid: ctx.open_requested.emit("person", pid))
        view.card_buttons(self.card, self.table, Can.EDIT_GROUPS, [
            ("Add &link…", self.add, "Record a link to another person: family, associate, "
                                     "rival, victim of", False),
            ("Change link…", self.change, "Change the selected link (co-offending comes from "
                                          "shared incidents and cannot be changed here)", True),
            ("Remove link", self.remove, "Remove the selected link (Ctrl+Z undoes)", True)])
        self._shown = alive(view, self._shown_now)
        ctx.data_changed.connect(alive(view, self._changed))

    def _changed(self, kind: str) -> None:
        if kind in ("link", "incident") and self.view.record_id is not None and self.view.isVisible():
            self.load(self.view.record_id)

    def load(self, person_id: int) -> None:
        self.view.ctx.call(lambda s: (person_id, s.links.for_person(person_id)), self._shown,
                           lambda exc: None, label="person links")

    def _shown_now(self, result) -> None:
        person_id, links = result
        if self.view.record_id == person_id:
            self.table.set_rows([LinkRow(v) for v in links])

    def _selected_stored(self):
        row = self.table.selected()
        if row is None:
            return None
        if row.view.derived:
            self.view.ctx.status_message.emit("Co-offending links come from shared incidents: "
                                              "change the incident instead")
            return None
        return row

    def add(self) -> None:
        if self.view.record_id is not None:
            open_link_dialog(self.view.ctx, self.view, self.view.record_id)

    def change(self) -> None:
        row = self._selected_stored()
        if row is not None:
            open_link_dialog(self.view.ctx, self.view, self.view.record_id, row.view.id,
                             row.other_text)

    def remove(self) -> None:
        row = self._selected_stored()
        if row is None:
            return
        ctx = self.view.ctx
        link_id = row.view.id
        text = f"Remove link: {label(row.kind).lower()} to {row.view.other_reference}"

        def done(removed):
            holder = {"link": removed}

            def put_back(s):
                holder["link"].id = s.links.add(replace(holder["link"], id=None))

            ctx.undo_stack.push(ServiceCommand(ctx, KINDS, text, lambda s: s.links.remove(holder["link"].id),
                                               put_back))
            for kind in KINDS:
                ctx.data_changed.emit(kind)
            ctx.status_message.emit(text)
        ctx.call(lambda s: s.links.remove(link_id), done,
                 lambda e: show_failure(self.view, e, "Could not remove the link"), label=text)
