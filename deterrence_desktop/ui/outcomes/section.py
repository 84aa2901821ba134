"""The Outcomes section of a person's page: what happened to them, newest first, with
Add outcome…, Change… and Remove (Ctrl+Z undoes) under the table.

The rows come from ``services.outcomes.for_person`` in their own worker call each
time the person's page is shown, so the page's read model stays as it was.
"""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ...security.roles import Can
from ..models import Column, fmt_date, text_column
from .editors import edit_outcome, remove_outcome


COLUMNS = [
    Column("Date", lambda o: fmt_date(o.event.occurred_on), lambda o: o.event.occurred_on),
    Column("Outcome", lambda o: o.kind_label, lambda o: o.kind_label.casefold()),
    Column("Detail", lambda o: o.detail),
    text_column("Reported by", "partner_name"),
    Column("Reference", lambda o: o.event.source_reference),
]


class OutcomesSection:
    """The Outcomes card of a :class:`~deterrence_desktop.ui.record_pages.PersonView`."""

    def __init__(self, view):
        self.view = view
        self.ctx = view.ctx
        self.person_id: int | None = None
        self.reference = ""
        self.card, self.table = view.table_card("Outcomes (newest first)", COLUMNS,
                                                "No outcomes recorded.", 10)
        self.card.setObjectName("outcomesCard")
        self.table.setObjectName("personOutcomes")
        self.table.activated_id.connect(lambda _id: self.change())
        self.add_button, self.change_button, self.remove_button = view.card_buttons(
            self.card, self.table, Can.RECORD_OUTCOMES, [
                ("Add &outcome…", self.add, "Record an arrest, a charge, a treatment entry… "
                                            "for this person", False),
                ("Change…", self.change, "Change the selected outcome", True),
                ("Remove", self.remove, "Delete the selected outcome, recorded in error "
                                        "(Ctrl+Z undoes)", True)])

    @property
    def widget(self) -> QWidget:
        return self.card

    def show(self, person_id: int, reference: str) -> None:
        """Load the person's outcomes (on the worker) into the table."""
        self.person_id, self.reference = person_id, reference

        def loaded(rows):
            if self.ctx.unlocked and self.view.record_id == person_id:
                self.table.set_rows(rows)
                # rows that come after the page was laid out: lay the card and the page
                # out again now, or the buttons sit over the table until the next resize
                self.card.layout_.activate()
                self.view.grid.activate()
        self.ctx.call(lambda s: s.outcomes.for_person(person_id), loaded,
                      lambda exc: self.ctx.status_message.emit("Could not load the outcomes"),
                      label="load outcomes")

    def add(self) -> None:
        if self.person_id is not None:
            edit_outcome(self.ctx, self.view, self.person_id, self.reference)

    def change(self) -> None:
        row = self.table.selected()
        if row is not None and self.ctx.permits(Can.RECORD_OUTCOMES):
            edit_outcome(self.ctx, self.view, row.event.person_id, self.reference, row.id)

    def remove(self) -> None:
        row = self.table.selected()
        if row is not None:
            remove_outcome(self.ctx, self.view, row.id, self.reference)
