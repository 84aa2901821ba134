"""Bringing people, groups, actions and communications in from messy spreadsheets:
each test checks exactly what ends up in the workspace (all people fictional)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.services.imports.plan import Choice, RowState
from deterrence_desktop.services.imports.readers import ImportRefused
from deterrence_desktop.services.imports.values import parse_date
from deterrence_desktop.store.tables import AuditEntryRow, MembershipRow, PersonRow

from imports_files import nominal_xlsx, write_csv, write_ods

TODAY = date(2026, 11, 26)


def person_count(app) -> int:
    with app.workspace.session() as s:
        return s.scalar(select(func.count()).select_from(PersonRow))


def people_named(app, family: str):
    with app.workspace.session() as s:
        return s.execute(select(PersonRow).where(PersonRow.family_name == family)).scalars().all()


# -- dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,expected,ambiguous", [
    ("01/02/2003", date(2003, 2, 1), True),
    ("13/02/2003", date(2003, 2, 13), False),
    ("1-Feb-03", date(2003, 2, 1), False),
    ("2003-02-01", date(2003, 2, 1), False),
    ("  1 February 2003 ", date(2003, 2, 1), False),
    ("01.02.2003", date(2003, 2, 1), True),
    ("37653", date(2003, 2, 1), False),           # an Excel serial kept as text
    (37653, date(2003, 2, 1), False),             # an Excel serial number
    ("5/5/99", date(1999, 5, 5), False),
    ("1-Feb-30", date(1930, 2, 1), False),        # a two-digit year is never in the future
])
def test_dates_as_uk_spreadsheets_hold_them(text, expected, ambiguous):
    reading = parse_date(text, today=TODAY)
    assert (reading.value, reading.ambiguous, reading.error) == (expected, ambiguous, "")


def test_impossible_dates_are_errors_not_guesses():
    assert parse_date("31/02/2001", today=TODAY).error
    assert parse_date("next Tuesday", today=TODAY).error
    assert parse_date("01/02/2003", day_first=False, today=TODAY).value == date(2003, 1, 2)


# -- a messy nominal list ---------------------------------------------------------------------
def messy_rows(demo_app):
    """Two rows that are people already in the demo (one with accents dropped and names
    transposed), one repeated inside the file, two new people, one with a bad date."""
    existing = [p for p in demo_app.people.list()][:2]
    a = demo_app.people.get(existing[0].id)
    b = demo_app.people.get(existing[1].id)
    return a, b, [
        [a.family_name, a.given_name, a.date_of_birth.strftime("%d/%m/%Y"), "Zedfict", "Bail", "Amber", ""],
        [b.given_name.upper(), b.family_name, b.date_of_birth, "", "", "", ""],   # transposed, a real date cell
        ["Quibblethorpe", "Ossian", "1-Feb-03", "Quib", "On licence", "H", "Fictional Avenue Crew"],
        ["Quibblethorpe", "Ossian", "01/02/2003", "", "", "", ""],                # repeats the row above
        ["Vantablack-Ferris", "Éowyn", "2001-07-30", "Wyn; Ferret", "none", "low", "Fictional Avenue Crew"],
        ["Mistake", "Norah", "31/02/2001", "", "", "", ""],
    ]


def test_a_nominal_list_with_title_block_merged_header_and_totals(demo_app, tmp_path):
    a, b, rows = messy_rows(demo_app)
    path = nominal_xlsx(tmp_path / "nominals.xlsx", rows)
    svc = demo_app.imports
    table = svc.read(path, "people")
    assert table.header_line == 4                           # below the title block and a group row
    assert table.headers[:3] == ["Surname", "Forename", "Date of birth"]   # merged over two rows
    assert [why for _, why in table.skipped] == ["blank row", "blank row", "a total or footer row"]
    mapping = svc.guess(table, "people")
    assert {mapping.columns[h] for h in ("Surname", "Forename", "Date of birth", "Aliases", "Status",
                                          "Risk", "Gang")} == {
        "family_name", "given_name", "date_of_birth", "aliases", "legal_status", "risk_level", "group"}
    plan = svc.preview(table, mapping)
    by_line = {r.line: r for r in plan.rows}
    states = [r.state for r in plan.rows]
    assert states == [RowState.UPDATE, RowState.UNCHANGED, RowState.NEW, RowState.LEAVE_OUT,
                      RowState.NEW, RowState.ERROR]
    first = plan.rows[0]
    assert first.match_id == a.id and "same date of birth" in first.match_reasons
    assert "aliases" in first.take                         # a new alias is added to theirs
    assert all(d.existing != d.incoming for d in first.diffs)
    assert plan.rows[1].match_id == b.id                    # transposed and in capitals
    assert plan.rows[3].duplicate_of == plan.rows[2].line
    assert "not a real date" in plan.rows[5].reasons
    assert plan.counts()[RowState.LEAVE_OUT] == 1 + 3      # the repeat, two blanks and the total
    before = person_count(demo_app)

    receipt = svc.apply(plan)
    assert person_count(demo_app) == before + 2
    [ossian] = people_named(demo_app, "Quibblethorpe")
    assert (ossian.given_name, ossian.date_of_birth, ossian.legal_status, ossian.risk_level,
            ossian.aliases) == ("Ossian", date(2003, 2, 1), "licence", "high", ["Quib"])
    [eowyn] = people_named(demo_app, "Vantablack-Ferris")
    assert eowyn.given_name == "Éowyn" and eowyn.aliases == ["Wyn", "Ferret"]
    with demo_app.workspace.session() as s:
        crew = s.execute(select(MembershipRow).where(MembershipRow.person_id.in_([ossian.id, eowyn.id]))).scalars().all()
        assert len(crew) == 2 and crew[0].group_id == crew[1].group_id
        entry = s.execute(select(AuditEntryRow).where(AuditEntryRow.entity == "import")).scalars().one()
        assert "nominals.xlsx" in entry.detail and table.sha256 in entry.detail
    assert receipt.counts["new people"] == 2 and receipt.counts["new groups"] == 1
    assert "Zedfict" in demo_app.people.get(a.id).aliases

    # the same file again changes nothing
    again = svc.preview(svc.read(path, "people"), mapping)
    assert [r.state for r in again.rows].count(RowState.NEW) == 0
    assert {r.state for r in again.rows} <= {RowState.UNCHANGED, RowState.LEAVE_OUT, RowState.ERROR}
    svc.apply(again)
    assert person_count(demo_app) == before + 2

    # and the first import is undone as one step
    svc.undo(receipt)
    assert person_count(demo_app) == before
    assert demo_app.people.get(a.id).aliases == a.aliases      # the merged alias is taken back
    assert people_named(demo_app, "Quibblethorpe") == []


def test_the_user_decides_each_likely_duplicate(demo_app, tmp_path):
    a, b, rows = messy_rows(demo_app)
    plan = demo_app.imports.preview(*_read(demo_app, nominal_xlsx(tmp_path / "n.xlsx", rows)))
    plan.rows[0].choice = Choice.LEAVE_OUT          # not the same person after all, and not wanted
    plan.rows[3].choice = Choice.NEW                # two people of one name: keep both
    plan.rows[3].duplicate_of = None
    before = person_count(demo_app)
    demo_app.imports.apply(plan)
    assert len(people_named(demo_app, "Quibblethorpe")) == 2
    assert person_count(demo_app) == before + 3
    assert demo_app.people.get(a.id).legal_status.value != "bail" or a.legal_status.value == "bail"


def _read(app, path, kind="people"):
    table = app.imports.read(path, kind)
    return table, app.imports.guess(table, kind)


def test_windows_1252_semicolon_csv_with_quoted_line_breaks_and_a_formula(empty_app, tmp_path):
    path = write_csv(tmp_path / "caseload.csv", ["Name", "DOB", "Notes"], [
        ["Ó Fictúin, Seán", "03/04/2001", "line one\nline two"],
        ["Brackenfold, Zoë", "1-Feb-03", "=HYPERLINK(\"http://example.invalid\")"],
    ], encoding="cp1252", delimiter=";")
    assert b"\xd3 Fict\xfain" in path.read_bytes()     # really Windows-1252
    table, mapping = _read(empty_app, path)
    assert mapping.columns == {"Name": "full_name", "DOB": "date_of_birth", "Notes": "notes"}
    plan = empty_app.imports.preview(table, mapping)
    assert [r.state for r in plan.rows] == [RowState.NEW, RowState.NEW]
    assert any("day first" in w for w in plan.rows[0].warnings)      # 03/04 is ambiguous
    empty_app.imports.apply(plan)
    [sean] = people_named(empty_app, "Ó Fictúin")
    assert (sean.given_name, sean.date_of_birth, sean.notes) == ("Seán", date(2001, 4, 3), "line one\nline two")
    [zoe] = people_named(empty_app, "Brackenfold")
    assert zoe.notes.startswith("=HYPERLINK")          # text, never evaluated


def test_utf8_bom_comma_csv_and_an_ods_file(empty_app, tmp_path):
    csv_path = write_csv(tmp_path / "bom.csv", ["Forename", "Surname", "Date of birth"],
                         [["Ånund", "Fictionsdottir", "2002-03-04"]], bom=True)
    table, mapping = _read(empty_app, csv_path)
    assert table.headers[0] == "Forename"              # the BOM is not part of the header
    empty_app.imports.apply(empty_app.imports.preview(table, mapping))
    ods = write_ods(tmp_path / "caseload.ods", ["Forename", "Surname", "D.O.B."],
                    [["Pell", "Fictorum", date(1999, 12, 1)]])
    table, mapping = _read(empty_app, ods)
    assert mapping.columns["D.O.B."] == "date_of_birth"
    empty_app.imports.apply(empty_app.imports.preview(table, mapping))
    assert people_named(empty_app, "Fictorum")[0].date_of_birth == date(1999, 12, 1)
    assert people_named(empty_app, "Fictionsdottir")[0].given_name == "Ånund"


def test_a_column_of_past_dates_is_guessed_a_date_of_birth(empty_app, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["Surname", "Forename", "Col C"],
                     [["A", "B", "01/01/1990"], ["C", "D", "02/02/1991"], ["E", "F", "03/03/1992"]])
    _, mapping = _read(empty_app, path)
    assert mapping.columns["Col C"] == "date_of_birth"


@pytest.mark.parametrize("make,words", [
    (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "password-protected"),
    (lambda p: p.write_text("just,some\nnumbers,1\n"), "no header row"),
])
def test_files_that_cannot_be_read_are_refused_clearly(empty_app, tmp_path, make, words):
    path = tmp_path / ("locked.xlsx" if "password" in words else "plain.csv")
    make(path)
    with pytest.raises(ImportRefused, match=words):
        empty_app.imports.read(path, "people")


def test_a_huge_cell_and_too_many_rows_are_refused(empty_app, tmp_path, monkeypatch):
    from deterrence_desktop.services.imports import readers
    big = tmp_path / "big.csv"
    big.write_text("Surname,Forename\n\"" + "x" * (30 * 1024 * 1024) + "\",y\n")
    with pytest.raises(ImportRefused, match="longer than"):
        empty_app.imports.read(big, "people")
    monkeypatch.setattr(readers, "MAX_ROWS", 50)
    many = write_csv(tmp_path / "many.csv", ["Surname", "Forename"], [["A", "B"]] * 200)
    with pytest.raises(ImportRefused, match="more than 50 rows"):
        empty_app.imports.read(many, "people")
    assert person_count(empty_app) == 0


def test_a_saved_mapping_reads_next_months_file(demo_app, tmp_path):
    path = write_csv(tmp_path / "oct.csv", ["Nominal", "Born", "Stat"], [["Fictor, Ada", "01/01/2000", "RUI"]])
    table = demo_app.imports.read(path, "people") if False else None
    mapping = demo_app.imports.guess(demo_app.imports.read(
        write_csv(tmp_path / "h.csv", ["Surname", "Forename"], [["a", "b"]]), "people"), "people")
    from deterrence_desktop.services.imports.mapping import Mapping
    saved = demo_app.imports.save_mapping(Mapping("Police nominals", mapping.kind,
                                                  {"Nominal": "full_name", "Born": "date_of_birth",
                                                   "Stat": "legal_status"},
                                                  {"legal_status": {"RUI": "bail"}}))
    assert [m.name for m in demo_app.imports.mappings("people")] == ["Police nominals"]
    loaded = demo_app.imports.mapping("Police nominals")
    assert loaded.columns == saved.columns
    with pytest.raises(ValidationError):
        demo_app.imports.mapping("nothing of that name")


def test_actions_and_communications_from_a_tracker_someone_else_kept(demo_app, tmp_path):
    people = demo_app.people.list()[:3]
    partner = demo_app.partners.list()[0]
    rows = [[p.reference, partner.name, "Support offer", f"Fictional offer {i}", "30/12/2026", "Not started"]
            for i, p in enumerate(people)]
    rows.append(["FD-9999", partner.name, "Lever", "x", "", ""])
    rows.append([people[0].reference, "No Such Partner", "Lever", "y", "", ""])
    path = write_csv(tmp_path / "actions.csv", ["Ref", "Agency", "Type", "Action", "Due", "Status"], rows)
    table, mapping = _read(demo_app, path, "actions")
    plan = demo_app.imports.preview(table, mapping)
    assert [r.state for r in plan.rows] == [RowState.NEW] * 3 + [RowState.ERROR] * 2
    assert "FD-9999" in plan.rows[3].reasons and "Partners page" in plan.rows[4].reasons
    receipt = demo_app.imports.apply(plan)
    assert receipt.counts == {"new actions": 3}
    again = demo_app.imports.preview(*_read(demo_app, path, "actions"))
    assert [r.state for r in again.rows][:3] == [RowState.UNCHANGED] * 3

    comms = write_csv(tmp_path / "comms.csv", ["Ref", "Date of contact", "Method", "Outcome", "Notes"],
                      [[people[0].reference, "20/11/2026", "Doorstep", "Spoke to", "fictional visit"],
                       [people[1].reference, "21/11/2026", "Telephone", "No answer", ""]])
    plan = demo_app.imports.preview(*_read(demo_app, comms, "communications"))
    assert [r.state for r in plan.rows] == [RowState.NEW, RowState.NEW]
    demo_app.imports.apply(plan)
    timeline = demo_app.communications.timeline(people[1].id)
    hit = [c for c in timeline if c.occurred_at.date() == date(2026, 11, 21)]
    assert hit and hit[0].channel == "phone" and hit[0].outcome == "not_found"
    assert not hit[0].deterrence_message               # no answer: the message was not delivered


def test_groups_and_memberships(demo_app, tmp_path):
    p = demo_app.people.list()[5]
    path = write_csv(tmp_path / "groups.csv", ["Group", "Area", "Member ref", "Role"],
                     [["Fictional Quay Boys", "Dockside (fictional)", p.reference, "elder"],
                      ["Fictional Quay Boys", "Dockside (fictional)", "", ""]])
    plan = demo_app.imports.preview(*_read(demo_app, path, "groups"))
    receipt = demo_app.imports.apply(plan)
    assert receipt.counts == {"new groups": 1, "memberships": 1}
    page = demo_app.people.page(p.id)
    assert any(m.group_name == "Fictional Quay Boys" and m.role == "elder" for m in page.memberships)


def test_the_command_line_prints_the_dry_run_then_applies(demo_path, tmp_path, monkeypatch, capsys):
    from conftest import PASSPHRASE
    from deterrence_desktop.cli import main
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    path = write_csv(tmp_path / "people.csv", ["Surname", "Forename", "DOB"],
                     [["Quarrendon", "Fictitia", "02/03/2001"], ["Bad", "Date", "31/02/2001"]])
    assert main(["import", "people", str(demo_path), str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 new" in out and "1 error" in out and "row 3: error" in out and "0 errors" not in out
    assert "Quarrendon" not in out and "Fictitia" not in out        # rows by line, never by name
    assert "nothing was written" in out
    assert main(["import", "people", str(demo_path), str(path), "--apply"]) == 0
    assert "1 new people" in capsys.readouterr().out
    assert main(["import", "people", str(demo_path), str(path), "--mapping", "none such"]) == 2
    assert "no saved mapping" in capsys.readouterr().err
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert main(["import", "people", str(demo_path), str(locked)]) == 2
    assert "password-protected" in capsys.readouterr().err


def test_the_summary_pdf_is_marked_and_names_rows_by_line_only(demo_app, tmp_path):
    import os
    import subprocess
    a, b, rows = messy_rows(demo_app)
    plan = demo_app.imports.preview(*_read(demo_app, nominal_xlsx(tmp_path / "n.xlsx", rows)))
    receipt = demo_app.imports.apply(plan)
    out = demo_app.imports.summary_pdf(plan, receipt, tmp_path / "summary.pdf")
    assert os.stat(out).st_mode & 0o777 == 0o600
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count("OFFICIAL-SENSITIVE") >= 2 and "n.xlsx" in text and plan.sha256[:16] in text
    assert "not a real date" in text and "repeats row" in text
    for name in ("Quibblethorpe", "Ossian", "Mistake", "Norah", a.family_name):
        assert name not in text


# The service suite runs on a workspace file and on a server workspace (tests/backends.py).
pytestmark = pytest.mark.both_backends
