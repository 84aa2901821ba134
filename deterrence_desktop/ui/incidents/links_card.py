"""Links between people, on a person's page: family, associate, rival, victim of (each with
the partner who said so, a date and a confidence), and co-offending, derived from shared
incidents (shown, never edited). Every change is undoable.

Light on purpose: a person's page is built when the window opens, so the form (and the
services it calls) is imported only when a button asks for it."""
from __future__ import annotations

from dataclasses import replace

import shiboken6

from ...domain.enums import label
from ...security.roles import Can
from ..errors import show_failure
from ..forms import ServiceCommand
from ..models import Column, date_column, text_column

KINDS = ("link", "network")          # a person's page reloads only its links card


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
        ctx.data_changed.connect(self._changed)

    def _alive(self) -> bool:
        return shiboken6.isValid(self.view)        # answers can outlive a closed page

    def _changed(self, kind: str) -> None:
        if (kind in ("link", "incident") and self._alive() and self.view.record_id is not None
                and self.view.isVisible()):
            self.load(self.view.record_id)

    def load(self, person_id: int) -> None:
        self.view.ctx.call(lambda s: (person_id, s.links.for_person(person_id)), self._shown,
                           lambda exc: None, label="person links")

    def _shown(self, result) -> None:
        person_id, links = result
        if self._alive() and self.view.record_id == person_id:
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
        from .links import open_link_dialog
        if self.view.record_id is not None:
            open_link_dialog(self.view.ctx, self.view, self.view.record_id)

    def change(self) -> None:
        from .links import open_link_dialog
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
