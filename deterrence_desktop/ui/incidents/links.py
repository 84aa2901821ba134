"""The form of a link between two people: the other person (search as you type), kind
(family, associate, rival, victim of; co-offending is derived from shared incidents), the
partner who said so, the date and the confidence. Saved changes are undoable."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget,
)

from ...domain.enums import label
from ...domain.errors import DeterrenceError, EditConflict, readable
from ...domain.network import Confidence, LinkKind, PersonLink
from ..board.page import call_while_alive
from ..conflicts import resolve
from ..errors import show_failure
from ..forms import SaveRecordCommand, ServiceCommand
from .dialog import pydate, qdate
from .links_card import KINDS
from .picker import PersonPicker, choice_text

STORED_KINDS = [k for k in LinkKind if k.value != "co_offending"]    # co-offending is derived


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
            self._fill(link)
        else:
            self.picker.search.setFocus()

    def _conflict(self, conflict: EditConflict) -> None:
        """Someone else saved this link meanwhile: show both and let the user choose."""
        labels = {"kind": "Kind", "source_partner_id": "Source", "reported_on": "Reported on",
                  "confidence": "Confidence", "notes": "Notes"}
        def keep(kept: PersonLink) -> None:
            self.link = conflict.theirs        # saved over their version (undo goes back to it)
            self._fill(kept)
            self.save()

        def take(theirs: PersonLink) -> None:
            self.link = theirs
            self._fill(theirs)
            self.message.setText("The form now shows the link as someone else saved it.")
        resolve(self, conflict, keep=keep, take=take, original=self.link, labels=labels,
                cancel=lambda: self.message.setText(
                    "Nothing was saved: someone else changed this link meanwhile."))

    def _fill(self, link: PersonLink) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(str(link.kind))))
        self.source.setCurrentIndex(max(0, self.source.findData(link.source_partner_id)))
        self.reported.setDate(qdate(link.reported_on))
        self.confidence.setCurrentIndex(max(0, self.confidence.findData(str(link.confidence))))
        self.notes.setText(link.notes)

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
            return s.links.update(before.id, after)

        def done(result):
            if before is None:
                after.id = result
                cmd = ServiceCommand(self.ctx, KINDS, f"Add link: {label(after.kind).lower()}",
                                     lambda s: _re_add(s, after), lambda s: s.links.remove(after.id))
            else:        # undo and redo save over the version the last save left
                cmd = SaveRecordCommand(self.ctx, KINDS, f"Edit link: {label(after.kind).lower()}",
                                        lambda s, r: s.links.update(r.id, r), before, result)
            self.ctx.undo_stack.push(cmd)
            for kind in KINDS:
                self.ctx.data_changed.emit(kind)
            self.ctx.status_message.emit("Saved the link")
            self.accept()

        def failed(exc):
            if isinstance(exc, EditConflict) and not exc.removed and exc.mine is not None:
                self._conflict(exc)
            elif isinstance(exc, DeterrenceError):
                self.message.setText(f"<span style='color:#a12a2a'>{readable(exc)}</span>")
            else:
                show_failure(self, exc, "Could not save the link")
        call_while_alive(self.ctx, self, work, done, failed, label="save link")


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
