"""Journey 4: a coordinator plans a call-in through every page of the wizard, then records
attendance at a call-in already held (two no-shows) and creates the proposed follow-ups.

Along the way the wizard warns of the demo's own call-in at the same date and time, of a
support offer from a partner whose information-sharing agreement has ended, and "Invite
all" leaves out the people in custody on the date. A no-show gets a follow-up, and is
never counted as the message delivered.
"""
from __future__ import annotations

import re
from datetime import datetime

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QTableWidget
from sqlalchemy import select

from driver import (WAIT, button, choose, click_row, dialog, field, navigate, press, row_of, see, shot, tab,
                    tick, type_into)

TITLE = "Call-in for the Copperfield Crew and Bluebell Line (fictional)"


def _on_the_day_of(qtbot, edit, when_text: str) -> None:
    """Move the wizard's date to the day shown as ``when_text`` ("10 Dec 2026 18:30") the way
    the keyboard does: Home, then Up or Down a day at a time."""
    target = datetime.strptime(when_text, "%d %b %Y %H:%M")
    shown = datetime.strptime(re.sub(r"\s+", " ", edit.text()), "%a %d %b %Y %H:%M")
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Home)
    days = (target.date() - shown.date()).days
    for _ in range(abs(days)):
        qtbot.keyClick(edit, Qt.Key.Key_Up if days > 0 else Qt.Key.Key_Down)
    assert re.sub(r"\s+", " ", edit.text()).endswith(target.strftime("%d %b %Y %H:%M"))


def _ready(qtbot, widget):
    """The field once its page has loaded (a page shows "Loading…" with its fields disabled)."""
    qtbot.waitUntil(widget.isEnabled, timeout=WAIT)
    return widget


def _closed(window) -> bool:
    """Closed (and, for a dialog that deletes itself on close, gone)."""
    return not shiboken6.isValid(window) or not window.isVisible()


def _visible_table(root) -> QTableWidget:
    return next(t for t in root.findChildren(QTableWidget) if t.isVisible())


def test_plan_a_call_in_then_record_attendance_with_two_no_shows(qtbot, app_window):
    win = app_window
    page = navigate(qtbot, win, "Call-ins")
    planned = row_of(qtbot, page.table, "Planned")
    planned_when = planned.siblingAtColumn(1).data()
    planned_title = planned.siblingAtColumn(0).data()

    # -- 1. Purpose and event ------------------------------------------------------------
    press(qtbot, "Plan a call-in…")
    wiz = dialog(qtbot, "Plan a call-in")
    type_into(qtbot, _ready(qtbot, field(qtbot, wiz, "Title")), TITLE)
    type_into(qtbot, field(qtbot, wiz, "Purpose"), "Shootings between the two groups since August")
    _on_the_day_of(qtbot, field(qtbot, wiz, "Date and time"), planned_when)
    type_into(qtbot, field(qtbot, wiz, "Venue"), "Fictionbury Magistrates' Court, Court Room 2")
    type_into(qtbot, field(qtbot, wiz, "Venue notes"), "Step-free entrance; rival groups use separate doors")
    groups = field(qtbot, wiz, "Targeted groups")
    tick(qtbot, groups, "Copperfield Crew")
    tick(qtbot, groups, "Bluebell Line")
    clash = see(qtbot, "Another call-in is at the same date and time", wiz)
    assert planned_title in clash
    shot(wiz, "callin", "1-event")
    press(qtbot, "Next >")

    # -- 2. Invitees: everyone but people in custody ---------------------------------------
    _ready(qtbot, button(qtbot, "Invite all"))
    press(qtbot, "Invite all")
    notice = see(qtbot, re.compile(r"^Invite all: \d+ invited"), wiz)
    invited = int(re.search(r"(\d+) invited", notice).group(1))
    left_out = re.search(r"(\d+) (?:person|people) left out: in custody on the date \(([^)]*)\)", notice)
    assert left_out, notice
    in_custody = left_out.group(2).split(", ")
    assert len(in_custody) == int(left_out.group(1)) >= 1
    shot(wiz, "callin", "2-invitees")
    press(qtbot, "Next >")

    # -- 3. Speakers ---------------------------------------------------------------------
    for role, name, speaks_for in (("Law enforcement", "Insp. Avery Demo", "Partner: Fictionbury Police"),
                                   ("Community moral voice", "Ruth Storyteller",
                                    "Partner: Fictionbury Mothers' Voice")):
        choose(qtbot, _ready(qtbot, field(qtbot, wiz, "Speaker's role", QComboBox)), role)
        type_into(qtbot, field(qtbot, wiz, "Speaker's name"), name)
        choose(qtbot, field(qtbot, wiz, "Speaker speaks for", QComboBox), speaks_for)
        press(qtbot, "Add speaker")
    row_of(qtbot, _visible_table(wiz), "Ruth Storyteller")
    shot(wiz, "callin", "3-speakers")
    press(qtbot, "Next >")

    # -- 4. Messages: one offer from a partner whose agreement has ended --------------------
    levers = _ready(qtbot, field(qtbot, wiz, "Enforcement consequences for the group"))
    tick(qtbot, levers, re.compile(r"^Banked case reactivated"))
    tick(qtbot, levers, re.compile(r"^Fast-tracked charging decision"))
    offers = field(qtbot, wiz, "Support offers on the night")
    tick(qtbot, offers, "Drug treatment assessment within 48 hours", column=0)
    tick(qtbot, offers, "Emergency housing referral", column=0)
    ended = see(qtbot, "the information-sharing agreement with Fictionbury Homes ended on", wiz)
    assert ended.startswith("⚠ Emergency housing referral")
    row_of(qtbot, offers, "⚠ Agreement ended", column=2)
    shot(wiz, "callin", "4-messages")
    press(qtbot, "Next >")

    # -- 5. Logistics --------------------------------------------------------------------
    _ready(qtbot, button(qtbot, "Add the usual tasks"))
    press(qtbot, "Add the usual tasks")
    see(qtbot, f"Finish will create {invited} invitation-delivery actions and 3 task actions", wiz)
    shot(wiz, "callin", "5-logistics")
    press(qtbot, "Next >")

    # -- 6. Review: the warnings again, then Finish -----------------------------------------
    review = see(qtbot, "Warning: Another call-in is at the same date and time", wiz)
    assert "Warning: Emergency housing referral: the information-sharing agreement" in review
    assert f"Finish creates {invited + 3} actions" in review
    shot(wiz, "callin", "6-review")
    press(qtbot, "Finish: create the call-in")
    qtbot.waitUntil(lambda: _closed(wiz), timeout=WAIT)
    click_row(qtbot, page.table, TITLE)

    def planned_in_workspace(s):
        created = next(c for c in s.callins.list() if c.title == TITLE)
        return created, s.callins.page(created.id)
    created, detail = win.ctx.call_sync(planned_in_workspace)
    assert created.status == "planned"
    assert created.starts_at.strftime("%d %b %Y %H:%M") == planned_when
    assert len(detail.invitations) == invited and detail.actions == invited + 3
    assert not {i.reference for i in detail.invitations} & set(in_custody)
    assert detail.call_in.details["messages"]["offers"][1]["intervention_id"]

    # -- Attendance at the call-in already held: two no-shows ---------------------------------
    held = row_of(qtbot, page.table, "Held")
    held_title = held.siblingAtColumn(0).data()
    click_row(qtbot, page.table, held_title)
    press(qtbot, "Record attendance…")
    dlg = dialog(qtbot, "Record attendance")
    table = _visible_table(dlg)
    qtbot.waitUntil(lambda: table.rowCount() > 2, timeout=WAIT)
    refs = [table.item(r, 0).text() for r in range(table.rowCount())]
    no_shows = refs[:2]
    for ref in refs:
        choose(qtbot, field(qtbot, dlg, f"Attendance: {ref}", QComboBox),
               "No-show" if ref in no_shows else "Attended")
    shot(dlg, "callin", "7-attendance")
    press(qtbot, "Save attendance")
    see(qtbot, "Attendance saved. 2 no-show(s)", dlg)
    proposals = _visible_table(dlg)
    for ref in no_shows:
        row_of(qtbot, proposals, ref, column=1)
    shot(dlg, "callin", "8-follow-ups")
    press(qtbot, "Create ticked follow-ups")
    qtbot.waitUntil(lambda: _closed(dlg), timeout=WAIT)

    def after_attendance(s):
        from deterrence_desktop.store.tables import ActionRow, CommunicationRow, CustomNotificationRow
        held_id = next(c.id for c in s.callins.list() if c.title == held_title)
        page_ = s.callins.page(held_id)
        ids = {i.reference: i.person_id for i in page_.invitations}
        with s.workspace.session() as db:
            actions = list(db.scalars(select(ActionRow).where(ActionRow.call_in_id == held_id,
                                                              ActionRow.person_id.in_(ids.values()),
                                                              ActionRow.description.like("Custom notification%"))))
            notes = list(db.scalars(select(CustomNotificationRow).where(
                CustomNotificationRow.action_id.in_([a.id for a in actions]))))
            comms = list(db.scalars(select(CommunicationRow).where(CommunicationRow.call_in_id == held_id)))
        pages = {ref: s.people.page(ids[ref]) for ref in no_shows}
        return page_, ids, actions, notes, comms, pages, s.contacts.counts(days=90)
    page_, ids, actions, notes, comms, pages, counts = win.ctx.call_sync(after_attendance)
    no_show_ids = {ids[ref] for ref in no_shows}
    assert sorted(i.reference for i in page_.invitations if i.attendance == "no_show") == sorted(no_shows)
    # The follow-ups: a custom notification action (with its planned record) for each no-show.
    assert {a.person_id for a in actions} == no_show_ids and len(notes) == 2
    assert page_.follow_ups >= 2
    # A no-show is recorded as a no-show: no message given, not counted as delivered.
    by_person = {c.person_id: c for c in comms}
    for pid in no_show_ids:
        c = by_person[pid]
        assert (c.outcome, c.deterrence_message, c.support_offer) == ("no_show", False, False)
    attended = [c for c in comms if c.person_id not in no_show_ids]
    assert attended and all(c.outcome == "attended" and c.deterrence_message for c in attended)
    for ref in no_shows:
        assert "Call-in speakers" not in pages[ref].deliverers()
        assert pages[ref].messages_given == sum(1 for c in pages[ref].communications
                                                 if c.outcome in ("delivered", "attended", "sent"))
    # The Communications page says so too.
    navigate(qtbot, win, "Communications")
    tab(qtbot, win, "Counts")
    see(qtbot, f"{counts.total} contacts (last 90 days); the message was given in {counts.messages_given}.")
    assert counts.messages_given <= counts.total - 2
    shot(win, "callin", "9-communication-counts")
