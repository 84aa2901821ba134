"""The rows of quick entry: outcomes for many people at once, typed as a table.

Each row is a :class:`Draft` (person, outcome, date, partner, reference). The last
row is always blank: typing into it makes it a row and opens a new blank one, whose
date and partner are those of the row above (a partner's return is usually one day
and one partner). Cells take the text a person types; :func:`pick` finds the person,
outcome or partner it means ("fd-0012", "arr" for Arrest). Nothing is saved here:
:meth:`QuickEntryModel.events` turns the rows into outcome events, or puts a message
on each row that cannot be one.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush

from ...domain.errors import ValidationError, sentence
from ...domain.outcomes import CpsDecision, DeathCause, OutcomeEvent, OutcomeKind, outcome_label
from ..forms import parse_date
from ..models import fmt_date
from ..style import ERROR, MUTED

PERSON, KIND, DATE, PARTNER, REFERENCE, PROBLEM = range(6)
HEADERS = ("Person", "Outcome", "Date", "Reported by", "Reference", "Problem")
Choices = Sequence[tuple[object, str]]

# Details quick entry cannot ask for; the person's page changes them later.
DEFAULT_DETAILS = {OutcomeKind.CHARGE: {"cps_decision": CpsDecision.PENDING},
                   OutcomeKind.DEATH: {"death_cause": DeathCause.UNKNOWN}}


def pick(choices: Choices, text: str):
    """The value of the choice ``text`` names: its label exactly, else the one label that
    starts with it, else the one that contains it (all ignoring case). None if no single
    choice fits."""
    typed = text.strip().casefold()
    if not typed:
        return None
    for rule in (lambda lab: lab == typed, lambda lab: lab.startswith(typed),
                 lambda lab: typed in lab):
        hits = [value for value, lab in choices if rule(lab.casefold())]
        if hits:
            return hits[0] if len(hits) == 1 else None      # several fit: say which
    return None


@dataclass
class Draft:
    person_id: int | None = None
    kind: OutcomeKind | None = None
    occurred_on: date | None = None
    partner_id: int | None = None
    source_reference: str = ""
    typed_date: str = ""          # what was typed when it is not a date
    cell_problems: dict[int, str] = field(default_factory=dict)   # column -> what is wrong
    problem: str = ""             # what the domain said of the whole row

    def is_blank(self) -> bool:
        return self.person_id is None and self.kind is None and not self.source_reference \
            and not self.cell_problems

    @property
    def problems(self) -> str:
        return "; ".join([*self.cell_problems.values(), *([self.problem] if self.problem else [])])

    def event(self) -> OutcomeEvent:
        return OutcomeEvent(person_id=self.person_id, kind=self.kind, occurred_on=self.occurred_on,
                            partner_id=self.partner_id, source_reference=self.source_reference,
                            **DEFAULT_DETAILS.get(self.kind, {}))


class QuickEntryModel(QAbstractTableModel):
    def __init__(self, people: Choices, partners: Choices, today: date, parent=None):
        super().__init__(parent)
        self.people = list(people)
        self.kinds = [(k, outcome_label(k)) for k in OutcomeKind]
        self.partners = list(partners)
        self.today = today
        self._people = dict(self.people)
        self._partners = dict(self.partners)
        self.rows: list[Draft] = [Draft(occurred_on=today)]

    def choices(self, column: int) -> Choices:
        return {PERSON: self.people, KIND: self.kinds, PARTNER: self.partners}.get(column, ())

    # -- Qt model --------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return "*" if section == len(self.rows) - 1 else str(section + 1)

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base if index.column() == PROBLEM else base | Qt.ItemFlag.ItemIsEditable

    def text(self, row: int, column: int) -> str:
        d = self.rows[row]
        if column == PERSON:
            return self._people.get(d.person_id, "")
        if column == KIND:
            return outcome_label(d.kind) if d.kind else ""
        if column == DATE:
            return d.typed_date or (fmt_date(d.occurred_on) if d.occurred_on else "")
        if column == PARTNER:
            return self._partners.get(d.partner_id, "") if d.partner_id is not None else ""
        if column == REFERENCE:
            return d.source_reference
        return d.problems

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.text(row, column)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == PROBLEM or (column == DATE and self.rows[row].typed_date):
                return QBrush(ERROR)
            if self.rows[row].is_blank():
                return QBrush(MUTED)
        if role == Qt.ItemDataRole.ToolTipRole and column == DATE:
            return "YYYY-MM-DD or DD/MM/YYYY"
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row, column = index.row(), index.column()
        d = self.rows[row]
        text = "" if value is None else str(value)
        d.cell_problems.pop(column, None)
        d.problem = ""
        if column in (PERSON, KIND, PARTNER):
            chosen = pick(self.choices(column), text) if text.strip() else None
            if text.strip() and chosen is None:
                d.cell_problems[column] = f"No single {HEADERS[column].lower()} matches “{text.strip()}”"
            if column == PERSON:
                d.person_id = chosen
            elif column == KIND:
                d.kind = chosen
            else:
                d.partner_id = chosen
        elif column == DATE:
            try:
                d.occurred_on, d.typed_date = parse_date(text), ""
            except ValueError as exc:
                d.occurred_on, d.typed_date = None, text
                d.cell_problems[column] = f"Date: {exc}"
        elif column == REFERENCE:
            d.source_reference = text.strip()
        self.dataChanged.emit(self.index(row, 0), self.index(row, PROBLEM))
        self._keep_blank_row(row)
        return True

    def _keep_blank_row(self, edited: int) -> None:
        """One blank row at the end, carrying the date and partner of the row above it."""
        if not self.rows[-1].is_blank():
            n = len(self.rows)
            self.beginInsertRows(QModelIndex(), n, n)
            self.rows.append(Draft())
            self.endInsertRows()
            self.headerDataChanged.emit(Qt.Orientation.Vertical, n - 1, n)
        last = len(self.rows) - 1
        if edited == last - 1:
            above, blank = self.rows[edited], self.rows[last]
            blank.occurred_on = above.occurred_on or self.today
            blank.typed_date = ""
            blank.partner_id = above.partner_id
            self.dataChanged.emit(self.index(last, 0), self.index(last, PROBLEM))

    def start_again(self) -> None:
        """One blank row, as when the table opened (the rows were recorded)."""
        self.beginResetModel()
        self.rows = [Draft(occurred_on=self.today)]
        self.endResetModel()

    def remove_row(self, row: int) -> None:
        if 0 <= row < len(self.rows) - 1:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.rows[row]
            self.endRemoveRows()

    # -- turning rows into events -------------------------------------------------------
    def filled(self) -> list[int]:
        return [i for i, d in enumerate(self.rows) if not d.is_blank()]

    def events(self) -> list[OutcomeEvent] | None:
        """The outcome events the rows describe, or None after putting a message on each
        row that cannot be one (nothing is saved unless every row is right)."""
        events, bad = [], False
        for i in self.filled():
            d = self.rows[i]
            d.problem = problem = ""
            if not d.cell_problems:
                missing = [name for name, value in (("the person", d.person_id),
                                                    ("the outcome", d.kind),
                                                    ("the date", d.occurred_on)) if value is None]
                if missing:
                    problem = "Give " + " and ".join(missing)
            if not problem and not d.cell_problems:
                try:
                    event = d.event()
                    event.validate(self.today)
                    events.append(event)
                except ValidationError as exc:
                    problem = "; ".join(sentence(k, v) for k, v in exc.errors.items())
            d.problem = problem
            bad = bad or bool(d.problems)
        if self.rows:
            self.dataChanged.emit(self.index(0, PROBLEM), self.index(len(self.rows) - 1, PROBLEM))
        return None if bad else events
