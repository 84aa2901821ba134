"""Nothing leaks: after a session that uses a marker name and address, exports, prints
letters, hits errors and locks, no file in the data folder, the temp folder or the log
holds the marker in any form; only the encrypted workspace and backups hold it, encrypted."""
from __future__ import annotations

import ast
import logging
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from deterrence_desktop import logging_setup, paths
from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.domain.model import Action, Communication, Person
from deterrence_desktop.security.writer_lock import open_workspace
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.tables import PersonRow

from conftest import DEMO_TODAY, PASSPHRASE

GIVEN, FAMILY = "Zyxquorble", "Vantablackwood"
STREET = "17 Quillibrix Mews"
MARKERS = [GIVEN, FAMILY, "Quillibrix"]


def _forms(marker: str) -> list[bytes]:
    out = []
    for text in {marker, marker.lower(), marker.upper()}:
        for enc in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le"):
            out.append(text.encode(enc))
    return out


def _scan(folder: Path) -> list[str]:
    hits = []
    for f in folder.rglob("*"):
        if not f.is_file():
            continue
        data = f.read_bytes()
        for marker in MARKERS:
            if any(form in data for form in _forms(marker)):
                hits.append(f"{f.relative_to(folder)} holds {marker}")
    return hits


@pytest.fixture
def isolated(tmp_path, monkeypatch, demo_path):
    data, temp, exports = tmp_path / "data", tmp_path / "temp", tmp_path / "exports"
    for d in (data, temp, exports):
        d.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    paths.set_data_dir(data)
    log = logging_setup.configure(data / "logs")
    workspace = paths.workspaces_dir() / "team.ddw"
    shutil.copy2(demo_path, workspace)
    yield data, temp, exports, workspace, log
    root = logging.getLogger()
    if logging_setup._handler is not None:
        root.removeHandler(logging_setup._handler)
        logging_setup._handler.close()
        logging_setup._handler = None
    paths.set_data_dir(None)


def test_marker_appears_in_no_file_but_the_intended_exports(isolated):
    data, temp, exports, workspace, log_path = isolated
    log = logging.getLogger("deterrence_desktop.leak_test")
    ws = open_workspace(workspace, PASSPHRASE)
    app = WorkspaceServices(ws, today=DEMO_TODAY).as_user("demo.coordinator")

    person = app.people.by_reference("FD-0001")
    person = app.people.update(replace(person, given_name=GIVEN, family_name=FAMILY,
                                       address=f"{STREET}\nFictionbury (fictional)"))
    police = app.partners.by_name("Fictionbury Police")
    app.actions.create(Action(partner_id=police.id, kind="support", person_id=person.id,
                              description=f"Visit {GIVEN} at home"))
    from datetime import datetime
    app.communications.record(Communication(person_id=person.id, channel="phone",
                                            occurred_at=datetime(2026, 11, 20, 9),
                                            message=f"Spoke to {GIVEN} {FAMILY}"))
    app.people.page(person.id)

    # Exports and letters go to the folder the user chose, written via a temp file there.
    app.trackers.export(exports / "tracker.xlsx", names=True)
    letters_done = False
    if hasattr(app, "letters"):
        from deterrence_desktop.services.letters import LetterRequest
        app.letters.add_signatory("Insp. Avery Demo", "Inspector", police.id)
        request = LetterRequest("support_offer", references=("FD-0001",))
        check = app.letters.preflight(request)
        assert check.ok, [(p.field, p.message) for p in check.problems]
        if check.ok:
            app.letters.generate(request, exports / "letters.pdf")
            letters_done = True
    assert letters_done, "the letters service should print for FD-0001"

    # Errors: an expected one, a database one whose message carries the values, a bug.
    with pytest.raises(ValidationError):
        app.people.create(Person(reference="FD-0001", given_name=GIVEN, family_name=FAMILY))
    try:
        with ws.session() as s:
            s.add(PersonRow(reference="FD-0001", given_name=GIVEN, family_name=FAMILY,
                            address=STREET))
    except IntegrityError as exc:
        assert GIVEN not in str(exc) and STREET not in str(exc)     # hide_parameters
        log.exception("saving a person failed")
    except Exception:                          # the store may translate it
        log.exception("saving a person failed")
    try:
        raise RuntimeError(f"bug while showing {GIVEN} {FAMILY} at {STREET}")
    except RuntimeError as exc:
        log.exception("unexpected error: %s", type(exc).__name__)
        log.error("could not show %s at %s (id %d)", f"{GIVEN} {FAMILY}", STREET, person.id)
    logging.getLogger("sqlalchemy.engine").warning("params: %s", (GIVEN, STREET))
    logging.getLogger("py.warnings").warning("%s", GIVEN)

    # A backup while open, then lock (close), which makes the close backup.
    app.backup.backup_now()
    app.groups.create(__import__("deterrence_desktop.domain.model", fromlist=["Group"]).Group(
        name="Changed before locking (fictional)", type="street_group"))
    app.backup.backup_on_close()
    ws.close()
    logging_setup._handler.flush()

    # The scan: nothing in the data folder (workspace, backups, log, lock), nor temp.
    assert _scan(data) == [] and _scan(temp) == []
    text = log_path.read_text()
    assert "saving a person failed" in text and "RuntimeError" in text
    assert "<hidden>" in text and "(id " in text and "withheld" in text
    files = {p.name for p in data.rglob("*") if p.is_file()}
    assert "team.ddw" in files and sum(n.startswith("team-2") for n in files) == 2
    assert not (workspace.parent / "team.ddw.lock").exists()
    assert list(temp.iterdir()) == []
    # The exports do hold the marker: they are the intended disclosure.
    from openpyxl import load_workbook
    book = load_workbook(exports / "tracker.xlsx")
    cells = [c.value for ws_ in book.worksheets for row in ws_.iter_rows() for c in row]
    assert any(isinstance(v, str) and (FAMILY in v or GIVEN in v) for v in cells)
    pdf_text = subprocess.run(["pdftotext", str(exports / "letters.pdf"), "-"],
                              capture_output=True, text=True).stdout
    assert GIVEN in pdf_text and "Quillibrix" in pdf_text
    assert sorted(p.name for p in exports.iterdir()) == ["letters.pdf", "tracker.xlsx"]


def test_log_calls_use_constant_templates():
    """Static check: no log call in the app builds its message from values (f-string,
    % or .format), so personal data can only reach a log as a (hidden) argument."""
    root = Path(__file__).resolve().parents[2] / "deterrence_desktop"
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"debug", "info", "warning", "error", "exception",
                                           "critical", "log"}
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in {"log", "logger", "logging", "_log", "LOG"}):
                continue
            args = node.args[1:] if node.func.attr == "log" else node.args
            if args and not (isinstance(args[0], ast.Constant) and isinstance(args[0].value, str)):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_safe_formatter_hides_values_and_exception_messages():
    fmt = logging_setup.SafeFormatter()
    try:
        raise ValueError(f"{GIVEN} lives at {STREET}")
    except ValueError:
        import sys
        rec = logging.LogRecord("deterrence_desktop.x", logging.ERROR, __file__, 1,
                                "failed for %s with %d rows", (GIVEN, 3), sys.exc_info())
    out = fmt.format(rec)
    assert GIVEN not in out and STREET not in out
    assert "failed for <hidden> with 3 rows" in out and "ValueError" in out
    rec = logging.LogRecord("sqlalchemy.engine", logging.INFO, __file__, 1, f"INSERT {GIVEN}", None, None)
    assert GIVEN not in fmt.format(rec)
