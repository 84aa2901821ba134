"""`deterrence-desktop letters`: pre-flight exit code, the printed file, single-letter files."""
from __future__ import annotations

from dataclasses import replace

import pytest
from pypdf import PdfReader

from deterrence_desktop.cli import main
from tests.conftest import DEMO_TODAY, PASSPHRASE


@pytest.fixture
def workspace(demo_path, monkeypatch):
    from deterrence_desktop.services.app import WorkspaceServices
    from deterrence_desktop.store.workspace import Workspace

    ws = Workspace.open(demo_path, PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")
    app.letters.add_signatory("Sam Sampleton", "Head of Probation", 2)
    p = app.people.by_reference("FD-0017")
    app.people.update(replace(p, address=""))
    ws.close()
    monkeypatch.setenv("DETERRENCE_PASSPHRASE", PASSPHRASE)
    return demo_path


def test_blocked_batch_names_the_person_and_writes_nothing(workspace, tmp_path, capsys):
    out = tmp_path / "letters.pdf"
    code = main(["letters", str(workspace), "--template", "call_in_invitation", "--call-in", "2",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 3
    assert "FD-0017: {person.address} no address recorded" in err
    assert not out.exists()


def test_letters_for_a_call_in_with_single_letter_files(workspace, tmp_path, capsys):
    out = tmp_path / "letters.pdf"
    code = main(["letters", str(workspace), "--template", "call_in_invitation", "--call-in", "2",
                 "--exclude", "fd-0017", "--out", str(out), "--per-letter-dir", str(tmp_path / "one"),
                 "--language", "bilingual"])
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    assert "Wrote 14 letters" in stdout and "sha256" in stdout
    reader = PdfReader(str(out))
    assert len(reader.pages) % 2 == 0
    text = reader.pages[0].extract_text()
    assert "OFFICIAL-SENSITIVE" in text and "Gwahoddiad i gyfarfod" in text
    assert len(list((tmp_path / "one").glob("L-2026-*.pdf"))) == 14


def test_people_by_reference_and_check_only(workspace, tmp_path, capsys):
    out = tmp_path / "support.pdf"
    assert main(["letters", str(workspace), "--template", "support_offer", "--people",
                 "FD-0001,FD-0002", "--out", str(out), "--check"]) == 0
    assert "Ready: 2 letters" in capsys.readouterr().out and not out.exists()
    assert main(["letters", str(workspace), "--template", "support_offer", "--people",
                 "FD-0001,FD-0002", "--out", str(out)]) == 0
    assert "Wrote 2 letters" in capsys.readouterr().out
    assert main(["letters", str(workspace), "--template", "support_offer", "--cohort", "No such cohort",
                 "--out", str(out)]) == 2
