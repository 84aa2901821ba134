"""`deterrence-desktop export tracker` and `import tracker` on a real workspace file."""
from __future__ import annotations

import openpyxl
import pytest

from deterrence_desktop.cli import main
from deterrence_desktop.exports.tracker_xlsx import ACTIONS_SHEET, HEADERS
from tests.conftest import PASSPHRASE


@pytest.fixture
def cli(demo_path, monkeypatch):
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DETERRENCE_USER", "demo.coordinator")
    return demo_path


def test_export_refused_without_force_when_agreement_not_in_force(cli, tmp_path, capsys):
    out = tmp_path / "homes.xlsx"
    code = main(["export", "tracker", str(cli), "--out", str(out),
                 "--partner", "Fictionbury Homes"])
    err = capsys.readouterr().err
    assert code == 2 and "ended" in err and "--force" in err
    assert not out.exists()
    assert main(["export", "tracker", str(cli), "--out", str(out),
                 "--partner", "Fictionbury Homes", "--force"]) == 0
    assert "with --force" in capsys.readouterr().out
    assert out.exists()


def test_export_edit_dry_run_then_apply(cli, tmp_path, capsys):
    out = tmp_path / "police.xlsx"
    assert main(["export", "tracker", str(cli), "--out", str(out),
                 "--partner", "Fictionbury Police"]) == 0
    assert "references only" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    ws = wb[ACTIONS_SHEET]
    status = HEADERS.index("Status") + 1
    first_id = ws.cell(2, 1).value
    ws.cell(2, status).value = "Done" if ws.cell(2, status).value != "Done" else "Planned"
    ws.cell(3, status).value = "Sort of done"
    wb.save(out)

    assert main(["import", "tracker", str(cli), str(out)]) == 1     # errors: exit 1
    text = capsys.readouterr().out
    assert f"action {first_id:>7}  change" in text
    assert "error" in text and "status is not one of" in text
    assert "Dry run: nothing was changed" in text
    assert "1 to change, 0 in conflict, 1 with errors" in text

    assert main(["import", "tracker", str(cli), str(out), "--apply"]) == 0
    assert "Applied 1 changes to 1 actions" in capsys.readouterr().out
    # Applied once: the same file now finds nothing left to change.
    main(["import", "tracker", str(cli), str(out)])
    assert "0 to change" in capsys.readouterr().out


def test_import_of_a_non_workbook_is_one_clear_line(cli, tmp_path, capsys):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a workbook")
    assert main(["import", "tracker", str(cli), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("deterrence-desktop: error: ") and "not an Excel workbook" in err
    assert "Traceback" not in err
