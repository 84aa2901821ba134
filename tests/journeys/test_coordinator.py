"""Journey 2: a coordinator finds a person, edits a field, puts them in a group with a
role, adds an influencer, then undoes the last step; every step is in the workspace and
in the audit trail, and the status bar says what happened."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from driver import WAIT, choose, dialog, field, keys, menu, press, shot, type_into

INFLUENCER = "Aunt Testina Example (fictional)"


def _status(win) -> str:
    return win.statusBar().currentMessage()


def _audit_since(win, seq: int):
    return win.ctx.call_sync(lambda s: [e for e in s.audit_log.entries(200) if e.seq > seq])


def test_find_edit_group_influencer_then_undo(qtbot, app_window):
    win = app_window
    people = win.pages["people"]
    # what the coordinator knows of the person: their reference and family name
    target = win.ctx.call_sync(lambda s: s.people.list()[0])
    page_before = win.ctx.call_sync(lambda s: s.people.page(target.id))
    in_groups = {m.group_id for m in page_before.memberships if m.end is None}
    group = next(g for g in win.ctx.call_sync(lambda s: s.groups.list()) if g.id not in in_groups)
    start_seq = win.ctx.call_sync(lambda s: s.audit_log.entries(1)[0].seq)

    # find them by typing into the People search, open them with Enter
    search = field(qtbot, people, "Search people")
    type_into(qtbot, search, target.family_name)
    qtbot.waitUntil(lambda: 0 < people.proxy.rowCount() < people.model.rowCount(), timeout=WAIT)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    view = people.record_view
    qtbot.waitUntil(lambda: view.isVisible() and view.reference == target.reference, timeout=WAIT)
    assert target.reference in win.windowTitle() and target.family_name not in win.windowTitle()
    shot(win, "coordinator", "person")

    # edit a field and save: the status bar confirms with the reference
    press(qtbot, "Edit…")
    form = dialog(qtbot, f"Person {target.reference}")
    type_into(qtbot, field(qtbot, form, "Preferred name"), "Testy")
    press(qtbot, "Save", root=form)
    qtbot.waitUntil(lambda: _status(win) == f"Saved {target.reference}", timeout=WAIT)
    qtbot.waitUntil(lambda: "Testy" in view.heading.text(), timeout=WAIT)

    # add them to a group with a role
    press(qtbot, "Add to group…")
    form = dialog(qtbot, "Add to a group")
    choose(qtbot, field(qtbot, form, "Group"), group.name)
    type_into(qtbot, field(qtbot, form, "Role"), "lookout")
    shot(win, "coordinator", "add-to-group")
    press(qtbot, "Save", root=form)
    qtbot.waitUntil(lambda: _status(win) == f"Added {target.reference} to the group", timeout=WAIT)
    groups_table = view.findChild(QTableView, "personGroups")
    qtbot.waitUntil(lambda: any(groups_table.model().index(r, 0).data() == group.name
                                for r in range(groups_table.model().rowCount())), timeout=WAIT)

    # add an influencer
    press(qtbot, "Add influencer…")
    form = dialog(qtbot, "Add an influencer")
    type_into(qtbot, field(qtbot, form, "Name"), INFLUENCER)
    choose(qtbot, field(qtbot, form, "Kind"), "Community")
    type_into(qtbot, field(qtbot, form, "Relationship"), "neighbour")
    press(qtbot, "Save", root=form)
    qtbot.waitUntil(lambda: _status(win) == f"Added an influencer for {target.reference}",
                    timeout=WAIT)
    qtbot.waitUntil(lambda: any(view.influencers.model().index(r, 0).data() == INFLUENCER
                                for r in range(view.influencers.model().rowCount())), timeout=WAIT)
    shot(win, "coordinator", "influencer-added")

    # undo with Ctrl+Z: the influencer goes, the group and the edit stay
    assert re.search(r"Undo Add an influencer", win.undo_action.text())
    keys(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _status(win) == f"Undone: add an influencer for {target.reference}",
                    timeout=WAIT)
    qtbot.waitUntil(lambda: all(view.influencers.model().index(r, 0).data() != INFLUENCER
                                for r in range(view.influencers.model().rowCount())), timeout=WAIT)
    shot(win, "coordinator", "undone")

    after = win.ctx.call_sync(lambda s: s.people.page(target.id))
    assert after.person.preferred_name == "Testy"
    joined = [m for m in after.memberships if m.group_id == group.id and m.end is None]
    assert len(joined) == 1 and joined[0].role == "lookout"
    assert INFLUENCER not in [i.name for i in after.influencers]

    # the audit trail: the edit, the membership, the influencer and its removal, by field
    # name and reference, never by value
    entries = _audit_since(win, start_seq)
    changes = [(e.operation, e.entity) for e in sorted(entries, key=lambda e: e.seq)
               if e.operation != "consultation"]
    assert changes == [("alteration", "person"), ("collection", "membership"),
                       ("collection", "influencer"), ("erasure", "influencer")]
    edit = next(e for e in entries if e.entity == "person" and e.operation == "alteration")
    assert edit.entity_ref == target.reference and "preferred_name" in edit.detail
    assert all("Testy" not in e.detail and "Testina" not in e.detail for e in entries)

    # redo from the Edit menu puts the influencer back, and says so
    menu(qtbot, win, "Edit", re.compile(r"^Redo "))
    qtbot.waitUntil(lambda: _status(win) == f"Redone: add an influencer for {target.reference}",
                    timeout=WAIT)
    back = win.ctx.call_sync(lambda s: s.people.page(target.id))
    assert [i.name for i in back.influencers].count(INFLUENCER) == 1
