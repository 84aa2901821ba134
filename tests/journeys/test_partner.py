"""Journey 6: a partner's tracker goes out from the menu to its default path (on an account
with no Documents folder yet), comes back edited as the partner would, and is checked
and applied through the menu."""
from __future__ import annotations

import re
import stat
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from deterrence_desktop.store.tables import AuditEntryRow
from driver import WAIT, choose, dialog, field, menu, press, shot, type_into

POLICE = "Fictionbury Police"
MENU = "Trackers"


@pytest.fixture
def fresh_home(tmp_path, monkeypatch) -> Path:
    """A new account: a home folder with no Documents folder in it."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DOCUMENTS_DIR"):
        monkeypatch.delenv(var, raising=False)
    return home


def label_text(qtbot, root, pattern: re.Pattern) -> str:
    """The visible label whose text matches ``pattern`` (waits for it)."""
    hit: list[str] = []

    def look():
        hit[:] = [lab.text() for lab in root.findChildren(QLabel)
                  if lab.isVisible() and pattern.search(lab.text())]
        return bool(hit)
    qtbot.waitUntil(look, timeout=WAIT)
    return hit[0]


def test_export_a_partners_tracker_edit_it_check_and_apply_the_return(qtbot, fresh_home,
                                                                      app_window):
    win = app_window
    assert not (fresh_home / "Documents").exists()

    # -- Export from the menu, to the path the dialog suggests ------------------------
    menu(qtbot, win, MENU, "Export action tracker…")
    export = dialog(qtbot, "Export action tracker")
    partner = field(qtbot, export, "Partner")
    qtbot.waitUntil(lambda: partner.count() > 1, timeout=WAIT)
    choose(qtbot, partner, POLICE)
    target = Path(field(qtbot, export, "Where to save the .xlsx file").text())
    today = win.ctx.services.today()
    assert target == fresh_home / "Documents" / f"tracker-fictionbury-police-{today:%Y-%m-%d}.xlsx"
    shot(export, "partner", "export")
    press(qtbot, "Export", export)
    saved = label_text(qtbot, export, re.compile(r"^Saved \d+ actions for Fictionbury Police"))
    export_id = re.search(r"export ([0-9a-f]{12})", saved).group(1)
    assert target.exists() and stat.S_IMODE(target.stat().st_mode) == 0o600
    shot(export, "partner", "exported")
    press(qtbot, "Close", export)

    # -- The partner fills it in (openpyxl, as a spreadsheet program would) --------------
    police_id = win.ctx.call_sync(lambda s: s.partners.by_name(POLICE).id)
    wb = openpyxl.load_workbook(target)
    ws = wb["Actions"]
    headers = [c.value for c in ws[1]]
    status_col, notes_col = headers.index("Status") + 1, headers.index("Notes") + 1
    row = next(r for r in range(2, ws.max_row + 1)
               if ws.cell(r, status_col).value not in ("Done", "Cancelled"))
    action_id = ws.cell(row, 1).value
    before = win.ctx.call_sync(lambda s: s.actions.get(action_id))
    assert before.partner_id == police_id
    ws.cell(row, status_col).value = "Done"
    ws.cell(row, notes_col).value = "Attended the appointment (fictional)"
    wb.save(target)

    # -- Check the return, see the dry run name the partner and export, apply ------------
    menu(qtbot, win, MENU, "Import a returned tracker…")
    back = dialog(qtbot, "Import a returned tracker")
    type_into(qtbot, field(qtbot, back, "The .xlsx file the partner sent back"), str(target))
    press(qtbot, "Check file", back)
    summary = label_text(qtbot, back, re.compile(r"^Return from "))
    assert summary.startswith(f"Return from {POLICE}, export {export_id} of {today:%Y-%m-%d}")
    assert "1 to change" in summary and "Nothing has changed yet" in summary
    assert win.ctx.call_sync(lambda s: s.actions.get(action_id)) == before   # a dry run
    shot(back, "partner", "dry-run")
    press(qtbot, re.compile(r"^Apply 1 accepted$"), back)
    label_text(qtbot, back, re.compile(r"^Applied 2 changes to 1 actions"))
    shot(back, "partner", "applied")
    press(qtbot, "Close", back)

    after = win.ctx.call_sync(lambda s: s.actions.get(action_id))
    assert after.status == "done" and after.notes == "Attended the appointment (fictional)"
    assert after.version == before.version + 1
    entry = win.ctx.call_sync(last_alteration)
    assert entry.entity_ref == str(action_id)
    assert f"tracker return from partner {police_id}; export={export_id}" in entry.detail


def last_alteration(services):
    with services.workspace.session() as s:
        return s.scalars(select(AuditEntryRow).where(AuditEntryRow.operation == "alteration")
                         .order_by(AuditEntryRow.seq.desc())).first()
