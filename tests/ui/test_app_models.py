"""The list models without any widget: rows, search across names and aliases, sorting."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPersistentModelIndex, Qt  # noqa: E402

from deterrence_desktop.ui.forms import parse_date  # noqa: E402
from deterrence_desktop.ui.models import (  # noqa: E402
    Column, IdRole, RowsModel, SearchProxy, date_column, number_column, text_column,
)
from deterrence_desktop.ui.start import passphrase_strength  # noqa: E402


@dataclass(frozen=True)
class Row:
    id: int
    reference: str
    name: str
    aliases: tuple[str, ...] = field(default=())
    born: date | None = None
    count: int = 0


ROWS = [
    Row(1, "FD-0001", "Alex Quillfeather", ("Sparks",), date(2001, 5, 1), 3),
    Row(2, "FD-0002", "Zoë Marbleton", ("Ghost", "Wisp"), None, 0),
    Row(3, "FD-0003", "Kai Ashcombe", (), date(1999, 1, 2), 7),
    Row(4, "FD-0004", "Łukasz Nettlebury", ("Lefty",), date(2004, 3, 3), 1),
]


def make(qapp):
    model = RowsModel([text_column("Reference", "reference"), text_column("Name", "name"),
                       Column("Aliases", lambda r: ", ".join(r.aliases)),
                       date_column("Born", "born"), number_column("Open", "count")],
                      search_text=lambda r: " ".join((r.reference, r.name, *r.aliases)))
    model.set_rows(ROWS)
    proxy = SearchProxy()
    proxy.setSourceModel(model)
    return model, proxy


def shown(proxy):
    return [proxy.row_object(i).id for i in range(proxy.rowCount())]


def test_model_shows_rows_and_columns(qapp):
    model, _ = make(qapp)
    assert model.rowCount() == 4 and model.columnCount() == 5
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Name"
    assert model.data(model.index(0, 3)) == "01 May 2001"
    assert model.data(model.index(1, 3)) == ""
    assert model.data(model.index(2, 0), IdRole) == 3
    assert model.data(model.index(2, 4), Qt.ItemDataRole.TextAlignmentRole)
    model.clear()
    assert model.rowCount() == 0 and model.search_texts == []


@pytest.mark.parametrize("typed, expected", [
    ("park", [1]), ("GHO", [2]), ("fd-000", [1, 2, 3, 4]), ("zoë", [2]), ("łuk", [4]),
    ("ash kai", [3]), ("kai sparks", []), ("", [1, 2, 3, 4]), ("   ", [1, 2, 3, 4]),
    ("zoe", [2]), ("lukasz", [4]), ("LUKASZ NETT", [4]),
])
def test_search_matches_reference_names_and_aliases(qapp, typed, expected):
    _, proxy = make(qapp)
    proxy.set_search(typed)
    assert shown(proxy) == expected


def test_sorting_goes_through_the_source_and_keeps_the_filter(qapp):
    model, proxy = make(qapp)
    proxy.set_search("fd")
    proxy.sort(1, Qt.SortOrder.AscendingOrder)                       # by name; Ł with the Ls
    assert shown(proxy) == [1, 3, 4, 2]
    proxy.sort(3, Qt.SortOrder.AscendingOrder)                       # by date, empty last
    assert shown(proxy) == [3, 1, 4, 2]
    proxy.sort(4, Qt.SortOrder.DescendingOrder)
    assert shown(proxy) == [3, 1, 4, 2]
    proxy.set_search("e")                                            # filter after a sort
    assert set(shown(proxy)) == {1, 2, 3, 4}
    proxy.set_search("lefty")
    assert shown(proxy) == [4]
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    assert shown(proxy) == [4]


def test_a_selection_follows_its_row_through_a_sort(qapp):
    model, proxy = make(qapp)
    keep = QPersistentModelIndex(model.index(model.row_of_id(2), 0))
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(keep.row(), 0), IdRole) == 2


def test_new_rows_replace_the_old_and_keep_the_sort(qapp):
    model, proxy = make(qapp)
    proxy.sort(0, Qt.SortOrder.DescendingOrder)
    proxy.set_search("fd")
    model.set_rows(ROWS[:2])
    assert shown(proxy) == [2, 1]


def test_dates_typed_in_forms():
    assert parse_date("2026-11-26") == date(2026, 11, 26)
    assert parse_date("26/11/2026") == date(2026, 11, 26)
    assert parse_date(" 3 Feb 2001 ") == date(2001, 2, 3)
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("31/02/2001")


def test_passphrase_strength_hint():
    assert passphrase_strength("")[0] == 0
    assert passphrase_strength("short")[0] == 0
    assert passphrase_strength("aaaaaaaaaaaa")[0] <= 1
    assert passphrase_strength("correct horse battery staple")[0] >= 3
    assert passphrase_strength("three fictional words")[0] == 2          # words count as words
    assert passphrase_strength("five quite unrelated fictional words")[0] == 4
    assert passphrase_strength("x7#Qp!2vLm9&")[0] == 4
