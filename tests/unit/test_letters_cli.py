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


# The README's lines, exactly as a reader types them, on a demo made by `deterrence-desktop demo`.
README_LINES = [
    "deterrence-desktop demo demo.ddw",
    "deterrence-desktop letters demo.ddw --template call_in_invitation --call-in 2 --out invitations.pdf",
    "deterrence-desktop letters demo.ddw --template custom_notification --cohort 'Call-in cohort A' "
    "--language cy --out notifications.pdf",
]


def test_the_readme_letters_commands_print_the_demos_letters(tmp_path):
    import os
    import shlex
    import subprocess
    import sys
    from pathlib import Path

    from tests.unit.test_letters_print import GWEN, flat

    exe = Path(sys.executable).with_name("deterrence-desktop")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETERRENCE_")}
    env["DETERRENCE_PASSPHRASE"] = "a fictional demo passphrase"
    outputs = []
    for line in README_LINES:
        argv = shlex.split(line)
        done = subprocess.run([str(exe)] + argv[1:], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        outputs.append(done.stdout)
    assert "Wrote 15 letters" in outputs[1] and "Wrote " in outputs[2]
    for name, greeting in (("invitations.pdf", "Dear "), ("notifications.pdf", "Annwyl ")):
        reader = PdfReader(str(tmp_path / name))
        assert reader.metadata.creator == "Deterrence Desktop"
        texts = [flat(p.extract_text()) for p in reader.pages]
        assert all(t.count("OFFICIAL-SENSITIVE") >= 2 for t in texts)
        joined = " ".join(texts)
        assert greeting in texts[0] and GWEN in joined and "ZZ99" in texts[0]
        assert "0000 000 0000 (fictional)" in texts[0] and "{" not in joined
