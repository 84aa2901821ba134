"""Journey 3: a partnership meeting. On the action board, move a card with the keyboard;
project the board on a screen (references only), reveal one person's name, end; then walk a
meeting in meeting mode and save its minutes as a PDF."""
from __future__ import annotations

import re

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from sqlalchemy import select

from driver import (WAIT, button, choose, click_row, dialog, field, navigate, press, shot,
                    type_into)

from deterrence_desktop.store.tables import AuditEntryRow


def audit(win, entity: str) -> list[tuple[str, str, str, str]]:
    """(operation, entity_ref, detail, recipient) of the workspace's audit entries about
    ``entity``, oldest first."""
    def read(services):
        with services.workspace.session() as s:
            rows = s.scalars(select(AuditEntryRow).where(AuditEntryRow.entity == entity)
                             .order_by(AuditEntryRow.seq))
            return [(r.operation, r.entity_ref, r.detail, r.recipient) for r in rows]
    return win.ctx.call_sync(read)


def projection_window():
    return next((w for w in QApplication.topLevelWidgets()
                 if w.isVisible() and w.objectName() == "projection"), None)


def counter(wall) -> str:
    """The wall's "<title> · item N of M", as read aloud."""
    return wall.position.text().replace("\u00a0", " ")


def shown_text(wall) -> str:
    return "\n".join(wall.rendered_texts())


def test_move_a_card_project_the_board_and_save_the_minutes(qtbot, app_window, tmp_path,
                                                            monkeypatch):
    win = app_window
    monkeypatch.setenv("HOME", str(tmp_path))           # this person's Documents folder
    documents = tmp_path / "Documents"
    documents.mkdir()
    people = win.ctx.call_sync(lambda s: [s.people.get(p.id) for p in s.people.list()])
    names = {p.display_name for p in people} | {p.family_name for p in people
                                                if len(p.family_name) > 5}

    # -- the board: select the first planned card and move it on with Ctrl+Right -----------
    board = navigate(qtbot, win, "Action board")
    qtbot.waitUntil(lambda: board.count_label.text().endswith("actions"), timeout=WAIT)
    planned = next(v for v in board.columns.views() if v.accessibleName() == "Planned column")
    first = planned.model().index(0).data()            # what the first card says
    click_row(qtbot, planned, first)
    card = planned.selected_cards()[0]
    assert card.status == "planned"
    qtbot.keyClick(planned, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    in_progress = next(v for v in board.columns.views()
                       if v.accessibleName() == "In progress column")
    qtbot.waitUntil(lambda: in_progress.model().row_of(card.id) is not None, timeout=WAIT)
    qtbot.waitUntil(lambda: not win.ctx.runner.busy, timeout=WAIT)
    saved = win.ctx.call_sync(lambda s: s.actions.get(card.id))
    assert getattr(saved.status, "value", saved.status) == "in_progress"
    shot(win, "meeting", "board-card-moved")

    # -- project the board, one person an item, references only -----------------------------
    press(qtbot, "References only")
    assert board.references_only.isChecked()
    choose(qtbot, field(qtbot, board, "Group within columns by"), "Person")
    press(qtbot, "Project on a screen…")
    start = dialog(qtbot, "Project on a screen")
    assert button(qtbot, re.compile("^Only show actions of partners"), start).isChecked()
    shot(start, "meeting", "projection-dialog")
    press(qtbot, "Start projection", start)
    qtbot.waitUntil(lambda: projection_window() is not None, timeout=WAIT)
    wall = projection_window()
    qtbot.waitUntil(lambda: bool(audit(win, "projection")), timeout=WAIT)
    started = audit(win, "projection")[-1]
    assert started[0] == "disclosure" and "projection started" in started[2]
    total = len(wall.items)
    assert total > 1 and counter(wall).endswith(f"item 1 of {total}")
    for i in range(total):                              # walk the agenda with the clicker
        assert counter(wall).endswith(f"item {i + 1} of {total}")
        assert not any(n in shown_text(wall) for n in names), wall.heading.text()
        qtbot.keyClick(wall, Qt.Key.Key_PageDown)
    assert counter(wall).endswith(f"item {total} of {total}")
    while not wall.current.person_reference:            # back to a person's item
        qtbot.keyClick(wall, Qt.Key.Key_PageUp)
    reference = wall.current.person_reference
    person = next(p for p in people if p.reference == reference)
    assert person.display_name not in shown_text(wall)
    shot(wall, "meeting", "projection")
    qtbot.keyClick(wall, Qt.Key.Key_R)                  # the coordinator reveals this one
    assert person.display_name in shown_text(wall)
    shot(wall, "meeting", "projection-revealed")
    qtbot.keyClick(wall, Qt.Key.Key_PageUp)             # moving on hides it again
    assert person.display_name not in shown_text(wall)
    qtbot.keyClick(wall, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: projection_window() is None, timeout=WAIT)
    qtbot.waitUntil(lambda: "projection ended" in audit(win, "projection")[-1][2], timeout=WAIT)
    ended = audit(win, "projection")[-1]
    assert ended[0] == "disclosure" and ended[3] == started[3] and "names revealed=1" in ended[2]
    revealed = audit(win, "person")
    assert any(e[1] == reference and e[0] == "disclosure" for e in revealed)

    # -- meeting mode: nothing selected, so the page asks which meeting -----------------------
    meetings_page = navigate(qtbot, win, "Meetings")
    qtbot.waitUntil(lambda: meetings_page.meetings.rowCount() > 0, timeout=WAIT)
    press(qtbot, "Meeting mode")
    choose_meeting = dialog(qtbot, "Choose a meeting")
    assert button(qtbot, "New meeting…", choose_meeting)       # or create one
    meeting = win.ctx.call_sync(lambda s: s.meetings.list())[0]
    list_view = choose_meeting.list
    click_row(qtbot, list_view, re.compile(re.escape(meeting.title)))
    press(qtbot, "Meeting mode", choose_meeting)
    qtbot.waitUntil(lambda: meetings_page.mode.brief is not None, timeout=WAIT)
    assert meetings_page.mode.detail.meeting.id == meeting.id
    shot(win, "meeting", "meeting-mode")

    # -- the minutes, saved through the dialogs, read back -----------------------------------
    press(qtbot, "Minutes PDF…")
    save_as = dialog(qtbot, "Save the minutes", QFileDialog)
    assert save_as.directory().absolutePath() == str(documents)      # it opens in Documents
    name_field = field(qtbot, save_as, "File name")
    assert name_field.text().endswith("-minutes.pdf")
    type_into(qtbot, name_field, "partnership-minutes.pdf")
    target = documents / "partnership-minutes.pdf"
    shot(save_as, "meeting", "minutes-save-dialog")
    press(qtbot, "Save", save_as)
    names_box = dialog(qtbot, "Names in the minutes", QMessageBox)
    press(qtbot, "No", names_box)                       # references only, the safer default
    qtbot.waitUntil(lambda: target.exists() and meetings_page.last_export == [target],
                    timeout=WAIT)
    text = "\n".join(page.extract_text() for page in PdfReader(str(target)).pages)
    assert "OFFICIAL-SENSITIVE" in text and meeting.title in text
    assert not any(n in text for n in names)
    assert target.stat().st_mode & 0o777 == 0o600
    assert "Minutes saved" in win.statusBar().currentMessage()
    shot(win, "meeting", "minutes-saved")
