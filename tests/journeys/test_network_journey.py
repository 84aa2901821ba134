"""Journey: the group audit and the network (issue 14's "Done when").

A coordinator records a stabbing with two suspects from rival groups (Bluebell Line and
Copperfield Crew) in the keyboard-first quick entry, sees the co-offending link on the
person's page and both the link and the rivalry on the network, looks at the group audit,
then records the attendance of the call-in already held: the Bluebell Line suspect attended
(a no-show before), the Copperfield Crew one did not turn up (attended before). The reach
of both groups changes: Bluebell Line gains a member reached by the call-in; the Copperfield
Crew no-show is no longer counted as reached through the call-in.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QScrollArea, QTableView, QTableWidget

from driver import (SCREENSHOTS, WAIT, choose, click_row, dialog, field, file_dialog, navigate, press,
                    row_of, screen_size, see, shot, type_into)

ATTENDED, NO_SHOW = "Bluebell Line", "Copperfield Crew"
PLACE = "Marlpit Lane underpass (fictional)"


def _closed(window) -> bool:
    return not shiboken6.isValid(window) or not window.isVisible()


def _reach(win):
    """Reach of the two groups as the workspace holds it: (reached, members, call-in count)."""
    def read(s):
        out = {}
        for r in s.reach.groups():
            if r.name in (ATTENDED, NO_SHOW):
                out[r.name] = (r.reached, r.current_members, r.by_channel.get("call_in", 0),
                               {p.reference: (p.channel, p.reached_on) for p in r.people})
        return out
    return win.ctx.call_sync(read)


def _suspects(win):
    """A Bluebell Line member who missed the held call-in and a Copperfield Crew member who
    attended it and was reached otherwise too (what the coordinator sees on the call-in page)."""
    def read(s):
        held = next(c for c in s.callins.list() if c.status == "held")
        attendance = {i.person_id: i.attendance for i in s.callins.page(held.id).invitations}
        reach = {r.name: r for r in s.reach.groups()}
        a = next(p for p in reach[ATTENDED].people
                 if attendance.get(p.person_id) == "no_show" and not p.reached)
        b = next(p for p in reach[NO_SHOW].people
                 if attendance.get(p.person_id) == "attended" and p.channel != "call_in")
        return held.title, a.reference, b.reference
    return win.ctx.call_sync(read)


def _render(pdf: Path, name: str) -> Path:
    """The PDF's first page as a PNG beside the screenshots, for a person to look at."""
    w, h = screen_size()
    out = SCREENSHOTS / f"{w}x{h}" / name           # pdftoppm adds the .png
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(out)], check=True)
    return Path(f"{out}.png")


def _pick(qtbot, dlg, reference: str, role: str) -> None:
    choose(qtbot, field(qtbot, dlg, "Role", QComboBox), role)
    search = field(qtbot, dlg, "Find a person")
    type_into(qtbot, search, reference)
    qtbot.waitUntil(lambda: dlg.picker.matches.count() > 0
                    and dlg.picker.matches.item(0).text().startswith(reference), timeout=WAIT)
    qtbot.keyClick(search, Qt.Key.Key_Return)


def test_incident_between_rivals_shows_on_the_network_and_reach_follows_the_call_in(qtbot, app_window,
                                                                                   tmp_path):
    win = app_window
    held_title, a_ref, b_ref = _suspects(win)
    before = _reach(win)

    # -- 1. Record the incident in the quick entry ---------------------------------------------
    page = navigate(qtbot, win, "Incidents")
    press(qtbot, "Record incidents…")
    dlg = dialog(qtbot, "Record incidents")
    type_into(qtbot, field(qtbot, dlg, "Place"), PLACE)
    choose(qtbot, field(qtbot, dlg, "Kind", QComboBox), "Stabbing")
    type_into(qtbot, field(qtbot, dlg, "Description"), "Fight between the two groups after a football match")
    _pick(qtbot, dlg, a_ref, "Suspect")
    _pick(qtbot, dlg, b_ref, "Suspect")
    assert dlg.people.count() == 2
    shot(dlg, "network", "1-quick-entry")
    press(qtbot, "Save and close", dlg)
    qtbot.waitUntil(lambda: _closed(dlg), timeout=WAIT)
    row = row_of(qtbot, page.table, PLACE)
    assert page.model.row_object(page.proxy.mapToSource(row).row()).people == 2

    def recorded(s):
        found = next(i for i in s.incidents.list() if i.place == PLACE)
        return found, s.incidents.get(found.id)
    summary, detail = win.ctx.call_sync(recorded)
    assert set(summary.groups) == {ATTENDED, NO_SHOW}
    assert sorted((p.reference, p.role) for p in detail.people) == sorted(
        [(a_ref, "suspect"), (b_ref, "suspect")])

    # -- 2. The co-offending link on the person's page ---------------------------------------------
    people = navigate(qtbot, win, "People")
    type_into(qtbot, people.search, a_ref)
    click_row(qtbot, people.table, a_ref, double=True)
    links = win.findChild(QTableView, "personLinks")
    link = row_of(qtbot, links, re.compile(rf"^{b_ref}\b"))
    assert link.siblingAtColumn(1).data() == "Co-offending"
    assert link.siblingAtColumn(2).data() == "shared incidents"
    scroll = links.parent()
    while not isinstance(scroll, QScrollArea):
        scroll = scroll.parent()
    scroll.ensureWidgetVisible(links)                  # scrolled down to it, as a person does
    shot(win, "network", "2a-person-links")

    # -- 3. The link and the rivalry on the network --------------------------------------------
    net = navigate(qtbot, win, "Network")
    qtbot.waitUntil(lambda: net.picture is not None, timeout=WAIT)
    previous = net.picture
    choose(qtbot, field(qtbot, net, "Group", QComboBox), ATTENDED)
    qtbot.waitUntil(lambda: net.picture is not previous, timeout=WAIT)
    pic = net.picture
    keys = {n.label: n.key for n in pic.nodes if n.kind == "group"}
    a_key = next(n.key for n in pic.nodes if n.kind == "person" and n.reference == a_ref)
    b_key = next(n.key for n in pic.nodes if n.kind == "person" and n.reference == b_ref)
    kinds = {(frozenset((e.a, e.b)), e.kind) for e in pic.edges}
    assert (frozenset((a_key, b_key)), "co_offending") in kinds
    assert (frozenset((keys[ATTENDED], keys[NO_SHOW])), "rival") in kinds
    assert net.view.net.edge_counts["co_offending"] >= 1 and net.view.net.edge_counts["rival"] >= 1
    # click the Bluebell Line suspect: the side panel says who it is
    item = net.view.net.nodes[a_key]
    net.view.centerOn(item)
    qtbot.mouseClick(net.view.viewport(), Qt.MouseButton.LeftButton, pos=net.view.mapFromScene(item.pos()))
    a_name = item.node.label
    see(qtbot, a_name, net)
    shot(win, "network", "2-network-bluebell-and-rivals")
    # saved as a PDF for the partnership: marked, with the people on screen
    pdf = tmp_path / "bluebell-network.pdf"
    press(qtbot, "Save PDF…", net)
    file_dialog(qtbot, "Save the network as PDF", pdf)
    qtbot.waitUntil(pdf.exists, timeout=WAIT)
    qtbot.waitUntil(lambda: bool(re.match(r"Saved the network picture \(\d+ people, with names\)",
                                          win.statusBar().currentMessage())), timeout=WAIT)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "OFFICIAL-SENSITIVE" in text and "Bluebell Line" in text
    _render(pdf, "network-2-network-pdf")
    choose(qtbot, field(qtbot, net, "Group", QComboBox), "All groups")
    qtbot.waitUntil(lambda: net.picture is not pic and len(net.picture.nodes) > len(pic.nodes), timeout=WAIT)
    shot(win, "network", "3-network-all")

    # -- 4. The group audit shows both groups and their reach ---------------------------------
    audit = navigate(qtbot, win, "Group audit")
    table = audit.table
    bluebell = row_of(qtbot, table, ATTENDED, column=0)
    reach_col = audit.model.columns.index(next(c for c in audit.model.columns if c.header == "Reach"))
    r, n, _c, _p = before[ATTENDED]
    assert bluebell.siblingAtColumn(reach_col).data().startswith(f"{r} of {n} ")
    shot(win, "network", "4-group-audit")
    audit_pdf = tmp_path / "group-audit.pdf"
    press(qtbot, "Save audit PDF…", audit)
    file_dialog(qtbot, "Save the group audit", audit_pdf)
    names = dialog(qtbot, "Names in the audit")
    press(qtbot, "No", names)                     # references only, the safer default
    qtbot.waitUntil(audit_pdf.exists, timeout=WAIT)
    text = subprocess.run(["pdftotext", "-layout", str(audit_pdf), "-"], capture_output=True,
                          text=True).stdout
    assert "OFFICIAL-SENSITIVE" in text and ATTENDED in text
    assert a_name not in text                     # references, never names
    _render(audit_pdf, "network-4-group-audit-pdf")

    # -- 5. The call-in already held: the Bluebell suspect attended, the Copperfield one did not --
    callins = navigate(qtbot, win, "Call-ins")
    click_row(qtbot, callins.table, held_title)
    press(qtbot, "Record attendance…")
    att = dialog(qtbot, "Record attendance")
    grid = next(t for t in att.findChildren(QTableWidget) if t.isVisible())
    qtbot.waitUntil(lambda: grid.rowCount() > 2, timeout=WAIT)
    choose(qtbot, field(qtbot, att, f"Attendance: {a_ref}", QComboBox), "Attended")
    choose(qtbot, field(qtbot, att, f"Attendance: {b_ref}", QComboBox), "No-show")
    press(qtbot, "Save attendance")
    see(qtbot, "Attendance saved.", att)
    press(qtbot, "Create ticked follow-ups")
    qtbot.waitUntil(lambda: _closed(att), timeout=WAIT)

    after = _reach(win)
    # Bluebell Line: one more member reached, by the call-in
    assert after[ATTENDED][0] == before[ATTENDED][0] + 1
    assert after[ATTENDED][3][a_ref][0] == "call_in"
    assert after[ATTENDED][2] == before[ATTENDED][2] + 1
    # Copperfield Crew: the no-show does not count as a call-in message
    assert after[NO_SHOW][2] == before[NO_SHOW][2] - 1
    assert after[NO_SHOW][3][b_ref][0] != "call_in"

    # ... and the screens say so: the group audit table and the group's page
    audit = navigate(qtbot, win, "Group audit")
    r, n, _c, _p = after[ATTENDED]
    qtbot.waitUntil(lambda: audit.table.model().rowCount() > 0
                    and (row_of(qtbot, audit.table, ATTENDED, column=0).siblingAtColumn(reach_col).data()
                         or "").startswith(f"{r} of {n} "), timeout=WAIT)
    groups = navigate(qtbot, win, "Groups")
    click_row(qtbot, groups.table, ATTENDED, double=True)
    see(qtbot, f"{r} of {n} (", win)
    assert re.search(r"By channel: call-in \d+", see(qtbot, "By channel", win))
    people_table = win.findChild(QTableView, "groupReachPeople")
    reached = row_of(qtbot, people_table, a_ref)
    assert reached.siblingAtColumn(2).data() == "Call-in"
    shot(win, "network", "5-group-reach")
