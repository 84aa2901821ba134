"""Property: whatever a partner (or an attacker) does to a returned tracker, the importer
answers with a plan or its own TrackerFileError, and the workspace changes only by the
accepted rows of a valid return."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError
from sqlalchemy import func, select

from deterrence_desktop.domain.errors import DeterrenceError
from deterrence_desktop.exports.tracker_xlsx import ACTIONS_SHEET, DATA_SHEET, TrackerFileError
from deterrence_desktop.services.trackers import ReturnPlan, RowState
from deterrence_desktop.store.tables import ActionRow, AuditEntryRow

POLICE = "Fictionbury Police"

cell_values = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["Done", "done", "In progress", "BLOCKED", "Finished", "", " ", "=1+1",
                     "+1", "-2", "@SUM(A1)", "2027-01-15", "15/01/2027", "next week", "0", "-5",
                     "12.5", "1e9", "\x00\x01", "\ud800"]),
    st.integers(min_value=-10, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
)

workbook_edits = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from([ACTIONS_SHEET, DATA_SHEET]),
              st.integers(1, 25), st.integers(1, 14), cell_values),
    st.tuples(st.just("delete_cols"), st.sampled_from([ACTIONS_SHEET, DATA_SHEET]),
              st.integers(1, 13)),
    st.tuples(st.just("delete_rows"), st.sampled_from([ACTIONS_SHEET, DATA_SHEET]),
              st.integers(1, 25)),
    st.tuples(st.just("insert_rows"), st.sampled_from([ACTIONS_SHEET, DATA_SHEET]),
              st.integers(1, 25)),
    st.tuples(st.just("rename"), st.sampled_from([ACTIONS_SHEET, DATA_SHEET]),
              st.sampled_from(["actions", "Sheet1", "TrackerData2"])),
    st.tuples(st.just("remove"), st.sampled_from([ACTIONS_SHEET, DATA_SHEET])),
    st.tuples(st.just("append"), st.lists(cell_values, max_size=14)),
)

byte_edits = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
    st.tuples(st.just("replace_part"), st.sampled_from(
        ["xl/workbook.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml",
         "[Content_Types].xml", "xl/styles.xml"]), st.binary(max_size=200)),
    st.tuples(st.just("random"), st.binary(max_size=300)),
)


def unsavable(value) -> bool:
    """Lone surrogates: openpyxl takes them in memory but no file can hold them."""
    return isinstance(value, str) and any("\ud800" <= ch <= "\udfff" for ch in value)


def apply_workbook_edits(path, edits) -> None:
    wb = openpyxl.load_workbook(path)
    for edit in edits:
        kind = edit[0]
        if kind == "append":
            if ACTIONS_SHEET in wb.sheetnames:
                try:
                    wb[ACTIONS_SHEET].append([None if unsavable(v) else v for v in edit[1]])
                except (ValueError, TypeError, IllegalCharacterError):
                    pass
            continue
        sheet = edit[1]
        if sheet not in wb.sheetnames:
            continue
        ws = wb[sheet]
        if kind == "cell" and not unsavable(edit[4]):
            try:
                ws.cell(edit[2], edit[3]).value = edit[4]
            except (ValueError, TypeError, IllegalCharacterError):
                pass        # openpyxl itself refuses the value: a partner could not type it
        elif kind == "delete_cols":
            ws.delete_cols(edit[2])
        elif kind == "delete_rows":
            ws.delete_rows(edit[2])
        elif kind == "insert_rows":
            ws.insert_rows(edit[2])
        elif kind == "rename":
            if edit[2] not in wb.sheetnames:
                ws.title = edit[2]
        elif kind == "remove" and len(wb.sheetnames) > 1:
            wb.remove(ws)
    wb.save(path)


def apply_byte_edit(path, edit) -> None:
    data = path.read_bytes()
    kind = edit[0]
    if kind == "truncate":
        data = data[:int(len(data) * edit[1])]
    elif kind == "flip" and data:
        i = min(int(len(data) * edit[1]), len(data) - 1)
        data = data[:i] + bytes([data[i] ^ edit[2]]) + data[i + 1:]
    elif kind == "replace_part":
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                dst.writestr(info.filename,
                             edit[2] if info.filename == edit[1] else src.read(info))
        data = out.getvalue()
    elif kind == "random":
        data = edit[1]
    path.write_bytes(data)


def snapshot(app):
    """Everything an import could change: every action row, and the audit trail's length."""
    with app.workspace.session() as s:
        actions = [tuple(r) for r in s.execute(
            select(ActionRow.id, ActionRow.status, ActionRow.outcome, ActionRow.notes,
                   ActionRow.due_date, ActionRow.version).order_by(ActionRow.id))]
        audit = s.scalar(select(func.count()).select_from(AuditEntryRow))
    return actions, audit


@pytest.fixture
def police(demo_app):
    return demo_app, demo_app.partners.by_name(POLICE).id


def run_import(app, path, accept_conflicts: bool) -> None:
    before_actions, before_audit = snapshot(app)
    try:
        plan = app.trackers.check_return(path)
    except TrackerFileError as exc:
        assert str(exc)                                     # a clear message
        assert snapshot(app) == (before_actions, before_audit)
        return
    assert isinstance(plan, ReturnPlan)
    assert snapshot(app) == (before_actions, before_audit)  # the dry run wrote nothing
    accept = {r.action_id for r in plan.rows if r.state == RowState.CHANGE
              or (accept_conflicts and r.state == RowState.CONFLICT)}
    try:
        result = app.trackers.apply_return(plan, accept)
    except DeterrenceError:
        assert snapshot(app) == (before_actions, before_audit)   # nothing half-applied
        return
    after_actions, after_audit = snapshot(app)
    before = {r[0]: r for r in before_actions}
    after = {r[0]: r for r in after_actions}
    changed = {i for i in after if after[i] != before.get(i)}
    assert changed == set(result.action_ids) <= accept
    assert after_audit == before_audit + len(result.action_ids)
    rows = {r.action_id: r for r in plan.rows}
    fields = {"status": 1, "outcome": 2, "notes": 3, "due_date": 4}
    for i in changed:
        assert after[i][5] == before[i][5] + 1
        for c in rows[i].changes:
            assert after[i][fields[c.field]] == c.new


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edits=st.lists(workbook_edits, max_size=6), accept_conflicts=st.booleans())
def test_edited_workbooks_never_crash_or_half_apply(police, tmp_path, edits, accept_conflicts):
    app, pid = police
    path = tmp_path / "return.xlsx"
    app.trackers.export(path, partner_id=pid)
    apply_workbook_edits(path, edits)
    run_import(app, path, accept_conflicts)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(edit=byte_edits)
def test_damaged_files_never_crash_or_change_anything(police, tmp_path, edit):
    app, pid = police
    path = tmp_path / "return.xlsx"
    app.trackers.export(path, partner_id=pid)
    apply_byte_edit(path, edit)
    run_import(app, path, accept_conflicts=True)
