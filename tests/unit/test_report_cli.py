"""`deterrence-desktop report`: the board report from the command line, on the demo."""
from __future__ import annotations

import subprocess

import pytest
from openpyxl import load_workbook

from deterrence_desktop.cli import main
from tests.conftest import PASSPHRASE


@pytest.fixture
def workspace(demo_path, monkeypatch):
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    return demo_path


def test_report_for_a_cohort_with_a_comparison_and_a_table(workspace, tmp_path, capsys):
    out, table = tmp_path / "board.pdf", tmp_path / "table.xlsx"
    code = main(["report", str(workspace), "--cohort", "Call-in cohort A", "--compare",
                 "call-in cohort b", "--from", "2026-01-01", "--to", "2026-11-26",
                 "--out", str(out), "--table", str(table)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert printed.startswith(f"Wrote {out}: Cohort: Call-in cohort A")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert "OFFICIAL-SENSITIVE" in flat and "<5" in flat
    assert "not an impact estimate without a comparison group" in flat
    assert "people included from 1 January 2026 to 26 November 2026" in flat
    assert load_workbook(table)["Evaluation"]["A1"].value == "OFFICIAL-SENSITIVE"


def test_report_for_everyone_by_default(workspace, tmp_path, capsys):
    out = tmp_path / "all.pdf"
    assert main(["report", str(workspace), "--out", str(out)]) == 0
    assert "Everyone in a cohort" in capsys.readouterr().out
    assert out.read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("argv, message", [
    (["--cohort", "No such cohort"], "no cohort called 'No such cohort' (the workspace has: "
                                     "Call-in cohort A, Call-in cohort B)"),
    (["--window", "0"], "window_months: must be between 1 and 60 months"),
    (["--from", "2026-05-01", "--to", "2026-01-01"], "date_to: must not be before"),
])
def test_bad_input_is_one_clear_line(workspace, tmp_path, capsys, argv, message):
    out = tmp_path / "x.pdf"
    assert main(["report", str(workspace), "--out", str(out)] + argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_a_date_that_is_not_a_date(workspace, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["report", str(workspace), "--from", "1st May", "--out", str(tmp_path / "x.pdf")])
    assert "is not a date: write it as 2026-04-01" in capsys.readouterr().err
