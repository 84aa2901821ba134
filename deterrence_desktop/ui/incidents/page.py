"""The Incidents page: serious-violence incidents, newest first; record many in one
sitting (the quick entry dialog), edit one (Enter or double click), remove one (undoable)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from ...domain.enums import label
from ...security.roles import Can
from ..context import AppContext
from ..errors import show_failure
from ..forms import ServiceCommand
from ..lists import ListPage
from ..models import Column, date_column, number_column, sort_text, text_column
from .dialog import KINDS, confirm, open_incident_dialog


def _names(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else ", ".join(value)


class RemoveIncidentCommand(ServiceCommand):
    """An incident removed in error: undo records it again as it was."""

    def __init__(self, ctx, detail, text: str):
        super().__init__(ctx, KINDS, text, self._take, self._put_back)
        self.detail = detail
        self.incident_id = detail.incident.id

    def _take(self, services) -> None:
        self.detail = services.incidents.remove(self.incident_id)

    def _put_back(self, services) -> None:
        self.incident_id = services.incidents.restore(self.detail)


class IncidentsPage(ListPage):
    title = "Incidents"
    kind = "incident"
    data_kinds = ("incident", "person", "group")
    search_hint = "Search incidents by place, kind or group"
    new_text = "&Record incidents…"
    edit_right = Can.EDIT_GROUPS
    empty_text = "No incidents recorded. Record the first with Record incidents… (Ctrl+N)."

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setToolTip("Remove the selected incident, recorded in error "
                                      "(Ctrl+Z undoes)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.extra_filters.addWidget(self.remove_button)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)

    def columns(self):
        return [
            date_column("Date", "occurred_on"),
            text_column("Place", "place"),
            Column("Kind", lambda r: label(r.kind), lambda r: str(r.kind)),
            number_column("People", "people"),
            Column("Groups", lambda r: _names(r.groups), lambda r: sort_text(_names(r.groups))),
        ]

    def column_widths(self):
        return [110, 220, 100, 70]

    def fetch(self, s):
        return s.incidents.list()

    def reload(self) -> None:
        super().reload()
        if self.new_text:
            self.remove_button.setVisible(self.may_edit())

    def new_record(self) -> None:
        if self.may_edit():
            open_incident_dialog(self.ctx, self)

    def edit(self, record_id: int) -> None:
        open_incident_dialog(self.ctx, self, record_id)

    def open_record(self, record_id: int) -> bool:
        if not self.may_edit():
            return False
        self.select_id(record_id)
        self.edit(record_id)
        return True

    def remove_selected(self) -> None:
        incident_id = self.selected_id()
        if incident_id is None:
            return
        row = self.model.row_object(self.model.row_of_id(incident_id))
        what = f"{label(row.kind)} on {row.occurred_on.strftime('%d %b %Y')}"
        confirm(self, "Remove incident", f"Remove the {what.lower()} at {row.place}? Ctrl+Z "
                "puts it back.", lambda: self._remove(incident_id, what))

    def _remove(self, incident_id: int, what: str) -> None:
        def done(detail):
            self.ctx.undo_stack.push(RemoveIncidentCommand(self.ctx, detail, f"Remove incident: {what}"))
            for kind in KINDS:
                self.ctx.data_changed.emit(kind)
            self.ctx.status_message.emit(f"Removed incident: {what}")
        self.ctx.call(lambda s: s.incidents.remove(incident_id), done,
                      lambda e: show_failure(self, e, "Could not remove the incident"),
                      label="remove incident")
