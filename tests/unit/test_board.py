"""The board's service: loading cards, filters that combine and are remembered,
the summary strip, and moving a card (audited, version-guarded)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from deterrence_desktop.domain.enums import ActionStatus
from deterrence_desktop.domain.errors import ConflictError, ValidationError
from deterrence_desktop.services.board import (
    BoardFilter, FLAG_MIN_OVERDUE, filter_cards, make_card, summarise,
)
from deterrence_desktop.store.tables import AuditEntryRow, SettingRow
from tests.conftest import DEMO_TODAY

pytestmark = pytest.mark.both_backends


def audit_rows(app, **where):
    with app.workspace.session() as s:
        q = select(AuditEntryRow).order_by(AuditEntryRow.seq)
        for k, v in where.items():
            q = q.where(getattr(AuditEntryRow, k) == v)
        return list(s.scalars(q))


def test_load_gives_every_action_and_is_a_consultation(demo_app):
    data = demo_app.board.load()
    assert len(data.cards) == len(demo_app.actions.list())
    assert data.partners and data.cohorts and data.groups and data.meetings
    assert all(c.label.startswith("FD-") for c in data.people)       # references, never names
    entry = audit_rows(demo_app, entity="action", entity_ref="board")[-1]
    assert entry.operation == "consultation" and f"actions={len(data.cards)}" in entry.detail


def test_filters_combine_and_agree_with_the_database(demo_app):
    data = demo_app.board.load()
    pid = data.partners[0].id
    cohort = data.cohorts[0].id
    f = BoardFilter(partner_id=pid, cohort_id=cohort, kind="support")
    got = {c.id for c in filter_cards(data.cards, f, data.today)}
    from deterrence_desktop.services.actions import ActionFilter
    want = {a.id for a in demo_app.actions.list(ActionFilter(
        partner_ids=(pid,), cohort_id=cohort, kinds=("support",)))}
    assert got == want
    overdue = filter_cards(data.cards, BoardFilter(overdue_only=True), data.today)
    assert overdue and all(c.action.due_date < DEMO_TODAY and c.action.status != "done"
                           for c in overdue)
    week = filter_cards(data.cards, BoardFilter(due_within_days=7, partner_id=pid), data.today)
    assert all(c.action.due_date <= DEMO_TODAY + timedelta(days=7) and c.action.partner_id == pid
               for c in week)
    mid = data.meetings[0].id
    at_meeting = filter_cards(data.cards, BoardFilter(meeting_id=mid), data.today)
    assert at_meeting and all(c.action.meeting_id == mid for c in at_meeting)
    gid = data.groups[0].id
    in_group = filter_cards(data.cards, BoardFilter(group_id=gid), data.today)
    assert in_group and all(gid in c.group_ids for c in in_group)
    # Everything filtered out by an impossible combination.
    assert filter_cards(data.cards, BoardFilter(status="done", overdue_only=True), data.today) == []


def test_filter_is_remembered_per_user_in_the_workspace(demo_app):
    f = BoardFilter(partner_id=2, kind="enforcement", overdue_only=True, due_within_days=14)
    demo_app.board.save_filter(f)
    assert demo_app.board.saved_filter() == f
    assert demo_app.as_user("demo.analyst").board.saved_filter() == BoardFilter()
    with demo_app.workspace.session() as s:
        assert s.get(SettingRow, "board.filter.demo.coordinator") is not None
    assert BoardFilter.from_json("not json") == BoardFilter()
    assert BoardFilter.from_json('{"kind": "support", "unknown": 1}') == BoardFilter(kind="support")


def test_summary_counts_and_flags_the_overloaded_partner(demo_app):
    data = demo_app.board.load()
    cards = list(data.cards)
    # Make one partner carry many overdue actions.
    heavy = data.partners[0].id
    template = cards[0]
    for i in range(12):
        view = replace(template.action, id=10_000 + i, partner_id=heavy, status="planned",
                       due_date=DEMO_TODAY - timedelta(days=3))
        cards.append(make_card(view, DEMO_TODAY, frozenset(), frozenset()))
    s = summarise(cards, DEMO_TODAY)
    assert s.open == sum(c.action.status in ("planned", "in_progress", "blocked") for c in cards)
    assert s.overdue == sum(c.overdue for c in cards)
    loads = {p.partner_id: p for p in s.by_partner}
    assert loads[heavy].flagged and loads[heavy].overdue >= FLAG_MIN_OVERDUE
    assert s.flagged[0].partner_id == heavy
    assert not all(p.flagged for p in s.by_partner)


def test_move_is_audited_guarded_and_needs_an_outcome_for_done(demo_app):
    data = demo_app.board.load()
    card = next(c for c in data.cards if c.status == "planned")
    with pytest.raises(ValidationError):
        demo_app.board.move(card.id, ActionStatus.DONE, "  ", expected_version=card.action.version)
    moved = demo_app.board.move(card.id, ActionStatus.DONE, "Assessment attended (fictional)",
                                expected_version=card.action.version)
    assert moved.status == "done" and moved.action.outcome == "Assessment attended (fictional)"
    assert moved.action.version == card.action.version + 1
    assert demo_app.actions.get(card.id).status == ActionStatus.DONE
    entry = audit_rows(demo_app, entity="action", entity_ref=str(card.id))[-1]
    assert entry.operation == "alteration" and "status" in entry.detail and "outcome" in entry.detail
    assert "Assessment" not in entry.detail            # field names, never values
    with pytest.raises(ConflictError):                 # a stale board cannot overwrite
        demo_app.board.move(card.id, ActionStatus.PLANNED, expected_version=card.action.version)
    back = demo_app.board.move(card.id, ActionStatus.IN_PROGRESS, expected_version=moved.action.version)
    assert back.status == "in_progress"


def test_projection_disclosure_and_reveal_need_a_coordinator(demo_app):
    demo_app.board.record_projection(True, "board", ["Fictionbury Police", "Fictionbury Council"])
    entry = audit_rows(demo_app, entity="projection")[-1]
    assert entry.operation == "disclosure" and "Fictionbury Police" in entry.recipient
    from deterrence_desktop.domain.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        demo_app.as_user("demo.analyst").board.record_reveal("board", "FD-0001", ["x"])
    demo_app.board.record_reveal("meeting 1", "FD-0001", ["Fictionbury Police"])
    assert audit_rows(demo_app, entity="person", entity_ref="FD-0001")[-1].operation == "disclosure"


def test_shareable_partners_exclude_an_ended_agreement(demo_app):
    data = demo_app.board.load()
    ended = {p.id for p in data.partners if p.extra == "ended"}
    assert ended
    assert not (ended & demo_app.board.shareable_partner_ids())


def test_partner_officer_sees_and_moves_only_their_agencys_actions(demo_app):
    officer = demo_app.as_user("demo.officer")
    data = officer.board.load()
    mine = {c.action.partner_id for c in data.cards}
    assert len(mine) == 1 and officer.actor.partner_id in mine
    other = next(c for c in demo_app.board.load().cards
                 if c.action.partner_id != officer.actor.partner_id and c.status == "planned")
    from deterrence_desktop.domain.errors import PermissionDenied
    with pytest.raises(PermissionDenied):
        officer.board.move(other.id, ActionStatus.IN_PROGRESS)
    assert demo_app.actions.get(other.id).status == ActionStatus.PLANNED
    refusal = audit_rows(demo_app, entity="action", entity_ref=str(other.id))[-1]
    assert refusal.username == "demo.officer" and "refused" in refusal.detail
