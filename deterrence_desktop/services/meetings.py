"""Partnership meetings: the agenda, meeting mode item by item, minutes and partner lists.

A meeting has partners attending and an agenda of people (or groups), one
``meeting_item`` row each. Meeting mode walks the items: the subject's open
actions, what changed since the previous meeting (actions' ``updated_at`` and
the audit trail) and new communications. The chair records a decision per item
and new actions, stamped with the meeting. Minutes and partners' lists are
disclosures in the audit trail.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import Action, Meeting, display_name
from ..exports import minutes as minutes_pdf
from ..store.mapping import to_record
from ..store.tables import (
    ActionRow, AuditEntryRow, CohortMemberRow, CohortRow, CommunicationRow, GroupRow,
    MeetingItemRow, MeetingRow, PartnerRow, PartnershipRow, PersonRow,
)
from .actions import OPEN_STATUSES, action_view_query, action_views
from .base import Service
from .people import communication_views
from .views import ActionView, CommunicationView


@dataclass(frozen=True)
class AgendaEntry:
    """What the chair puts on the agenda: a person or a group."""
    person_id: int | None = None
    group_id: int | None = None


@dataclass(frozen=True)
class MeetingSummary:
    id: int
    title: str
    held_on: date
    attendees: tuple[str, ...]
    items: int
    discussed: int
    new_actions: int
    cohort: str


@dataclass(frozen=True)
class MeetingItemView:
    id: int
    position: int
    person_id: int | None
    reference: str
    person_name: str
    group_id: int | None
    group_name: str
    decision: str
    discussed: bool

    @property
    def label(self) -> str:
        """What may be shown anywhere: the partnership reference or the group's name."""
        return self.reference or self.group_name


@dataclass(frozen=True)
class MeetingDetail:
    meeting: Meeting
    attendee_ids: tuple[int, ...]
    attendee_names: tuple[str, ...]
    items: tuple[MeetingItemView, ...]
    previous_held_on: date | None


@dataclass(frozen=True)
class ChangeView:
    action_id: int
    at: str
    username: str
    operation: str
    detail: str
    description: str = ""        # the action's own text, for the meeting to recognise it

    @property
    def summary(self) -> str:
        """In words: "New action" or "Changed status, outcome"."""
        if self.operation == "collection":
            return "New action"
        if self.operation == "updated":
            return "Updated; " + self.detail.replace("status=", "status now ").replace("_", " ")
        fields = self.detail.partition("fields=")[2]
        if fields:
            return "Changed " + ", ".join(f.replace("_", " ") for f in fields.split(","))
        return self.operation.capitalize()


@dataclass(frozen=True)
class ItemBrief:
    """Everything meeting mode shows for one agenda item."""
    item: MeetingItemView
    since: date | None
    open_actions: tuple[ActionView, ...]
    changed_actions: tuple[ActionView, ...]      # updated since the previous meeting
    changes: tuple[ChangeView, ...]              # audit entries on this subject's actions since then
    communications: tuple[CommunicationView, ...]
    agreed: tuple[ActionView, ...]               # new actions agreed at this meeting for this item


def _item_views(session, meeting_id: int) -> list[MeetingItemView]:
    q = (select(MeetingItemRow, PersonRow.reference, PersonRow.given_name,
                PersonRow.preferred_name, PersonRow.family_name, GroupRow.name)
         .outerjoin(PersonRow, PersonRow.id == MeetingItemRow.person_id)
         .outerjoin(GroupRow, GroupRow.id == MeetingItemRow.group_id)
         .where(MeetingItemRow.meeting_id == meeting_id)
         .order_by(MeetingItemRow.position, MeetingItemRow.id))
    out = []
    for it, ref, given, pref, family, gname in session.execute(q):
        name = display_name(given, pref, family) if given is not None else ""
        out.append(MeetingItemView(it.id, it.position, it.person_id, ref or "", name,
                                   it.group_id, gname or "", it.decision or "", bool(it.discussed)))
    return out


def safe_filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80] or "partner"


class MeetingService(Service):
    # -- the list and one meeting ----------------------------------------------------
    def list(self) -> list[MeetingSummary]:
        with self.tx() as uow:
            s = uow.session
            partners = dict(s.execute(select(PartnerRow.id, PartnerRow.name)).all())
            cohorts = dict(s.execute(select(CohortRow.id, CohortRow.name)).all())
            items = defaultdict(lambda: [0, 0])
            for mid, discussed, n in s.execute(
                    select(MeetingItemRow.meeting_id, MeetingItemRow.discussed, func.count())
                    .group_by(MeetingItemRow.meeting_id, MeetingItemRow.discussed)):
                items[mid][0] += n
                if discussed:
                    items[mid][1] += n
            agreed = dict(s.execute(select(ActionRow.meeting_id, func.count())
                                    .where(ActionRow.meeting_id.is_not(None))
                                    .group_by(ActionRow.meeting_id)).all())
            out = []
            for m in s.scalars(select(MeetingRow).order_by(MeetingRow.held_on.desc(), MeetingRow.id.desc())):
                n_items, n_disc = items.get(m.id, (len(m.agenda or []), 0))
                out.append(MeetingSummary(
                    m.id, m.title, m.held_on, tuple(partners.get(p, "?") for p in (m.attendees or [])),
                    n_items, n_disc, agreed.get(m.id, 0), cohorts.get(m.cohort_id, "")))
            return out

    def detail(self, meeting_id: int) -> MeetingDetail:
        with self.tx() as uow:
            s = uow.session
            row = uow.get(MeetingRow, meeting_id, "meeting")
            meeting = to_record(row, Meeting)
            names = dict(s.execute(select(PartnerRow.id, PartnerRow.name)).all())
            items = _item_views(s, meeting_id)
            if not items and row.agenda and not self.is_partner_officer:
                # A meeting made before items existed (or by the demo): make its items now.
                # Not for a partner officer: they see only their people's items, and on a
                # server may not make any.
                for pos, pid in enumerate(row.agenda):
                    if s.get(PersonRow, pid) is not None:
                        s.add(MeetingItemRow(meeting_id=meeting_id, position=pos, person_id=pid))
                s.flush()
                items = _item_views(s, meeting_id)
                uow.audit(AuditOperation.ALTERATION, "meeting", meeting_id,
                          f"agenda items made from the agenda; items={len(items)}")
            previous = s.scalar(select(func.max(MeetingRow.held_on)).where(
                MeetingRow.held_on < row.held_on))
            return MeetingDetail(meeting, tuple(meeting.attendees),
                                 tuple(names.get(p, "?") for p in meeting.attendees),
                                 tuple(items), previous)

    def create(self, meeting: Meeting, agenda: list[AgendaEntry] | None = None) -> MeetingDetail:
        """A new meeting with its agenda. With no agenda given, the cohort's members in
        reference order make it."""
        self.require(Role.COORDINATOR, Role.ANALYST)
        meeting.validate()
        with self.tx() as uow:
            s = uow.session
            for pid in meeting.attendees:
                if s.get(PartnerRow, pid) is None:
                    raise ValidationError("attendees", "choose partners that exist")
            entries = list(agenda or [])
            if not entries and meeting.cohort_id is not None:
                uow.get(CohortRow, meeting.cohort_id, "cohort")
                entries = [AgendaEntry(person_id=pid) for pid in s.scalars(
                    select(CohortMemberRow.person_id)
                    .join(PersonRow, PersonRow.id == CohortMemberRow.person_id)
                    .where(CohortMemberRow.cohort_id == meeting.cohort_id)
                    .order_by(PersonRow.reference))]
            if not entries:
                raise ValidationError("agenda", "put at least one person or group on the agenda")
            seen = set()
            for e in entries:
                if (e.person_id is None) == (e.group_id is None):
                    raise ValidationError("agenda", "each agenda item is one person or one group")
                if e.person_id is not None and s.get(PersonRow, e.person_id) is None:
                    raise ValidationError("agenda", "choose people that exist")
                if e.group_id is not None and s.get(GroupRow, e.group_id) is None:
                    raise ValidationError("agenda", "choose groups that exist")
            meeting.agenda = [e.person_id for e in entries if e.person_id is not None]
            row = MeetingRow(title=meeting.title, held_on=meeting.held_on,
                             attendees=list(meeting.attendees), agenda=list(meeting.agenda),
                             cohort_id=meeting.cohort_id, notes=meeting.notes)
            s.add(row)
            s.flush()
            pos = 0
            for e in entries:
                key = (e.person_id, e.group_id)
                if key in seen:
                    continue
                seen.add(key)
                s.add(MeetingItemRow(meeting_id=row.id, position=pos, person_id=e.person_id,
                                     group_id=e.group_id))
                pos += 1
            s.flush()
            uow.audit(AuditOperation.COLLECTION, "meeting", row.id,
                      f"new meeting; attendees={len(meeting.attendees)}; items={pos}")
            meeting_id = row.id
        return self.detail(meeting_id)

    # -- meeting mode ------------------------------------------------------------------
    def item_brief(self, meeting_id: int, item_id: int) -> ItemBrief:
        """The subject's open actions, changes since the previous meeting, new communications.
        Viewing it is a consultation."""
        with self.tx() as uow:
            s = uow.session
            meeting = uow.get(MeetingRow, meeting_id, "meeting")
            item = next((i for i in _item_views(s, meeting_id) if i.id == item_id), None)
            if item is None:
                raise ValidationError("item", "this item is not on the meeting's agenda")
            since = s.scalar(select(func.max(MeetingRow.held_on)).where(
                MeetingRow.held_on < meeting.held_on))
            if item.person_id is not None:
                self.require_person_visible(uow, item.person_id, item.reference)
            where = (ActionRow.person_id == item.person_id if item.person_id is not None
                     else ActionRow.group_id == item.group_id)
            scope = self.officer_scope()
            if scope is not None:      # a partner officer sees their agency's actions only
                where = where & (ActionRow.partner_id == scope)
            actions = action_views(s, action_view_query().where(where).order_by(
                ActionRow.due_date.is_(None), ActionRow.due_date, ActionRow.id))
            open_actions = tuple(a for a in actions if a.status in OPEN_STATUSES)
            agreed = tuple(a for a in actions if a.meeting_id == meeting_id)
            since_dt = datetime.combine(since, datetime.min.time()) if since else None
            changed = tuple(a for a in actions if since_dt is None or
                            (a.updated_at is not None and a.updated_at >= since_dt))
            changes: tuple[ChangeView, ...] = ()
            ids = [str(a.id) for a in actions]
            if ids:
                q = (select(AuditEntryRow).where(AuditEntryRow.entity == "action",
                                                 AuditEntryRow.entity_ref.in_(ids),
                                                 AuditEntryRow.operation.in_(("collection", "alteration")))
                     .order_by(AuditEntryRow.seq))
                if since is not None:
                    q = q.where(AuditEntryRow.at >= since.isoformat())
                text = {a.id: a.description for a in actions}
                changes = tuple(ChangeView(int(r.entity_ref), r.at, r.username, r.operation,
                                           r.detail, text.get(int(r.entity_ref), ""))
                                for r in s.scalars(q))
            # Actions changed since then with no entry of their own in the trail (imported
            # or made in bulk) still show, from their updated_at.
            audited = {c.action_id for c in changes}
            extra = tuple(ChangeView(a.id, a.updated_at.isoformat(), "", "updated",
                                     f"status={a.status}", a.description)
                          for a in changed if a.id not in audited and a.updated_at is not None)
            changes = tuple(sorted(changes + extra, key=lambda c: c.at))
            comms: tuple[CommunicationView, ...] = ()
            if item.person_id is not None:
                cond = CommunicationRow.person_id == item.person_id
                if since_dt is not None:
                    cond = cond & (CommunicationRow.occurred_at >= since_dt)
                comms = tuple(communication_views(s, cond, limit=50))
            uow.audit(AuditOperation.CONSULTATION, "meeting", meeting_id,
                      f"meeting mode item {item.label}")
            return ItemBrief(item, since, open_actions, changed, changes, comms, agreed)

    def record_decision(self, item_id: int, decision: str, discussed: bool = True) -> MeetingItemView:
        self.require(Role.COORDINATOR, Role.ANALYST)
        if len(decision) > 10_000:
            raise ValidationError("decision", "is too long (at most 10000 characters)")
        with self.tx() as uow:
            row = uow.get(MeetingItemRow, item_id, "meeting item")
            changed = []
            if (row.decision or "") != decision:
                row.decision = decision
                changed.append("decision")
            if bool(row.discussed) != discussed:
                row.discussed = discussed
                changed.append("discussed")
            if changed:
                uow.session.flush()
                uow.audit(AuditOperation.ALTERATION, "meeting", row.meeting_id,
                          f"item {row.id}; fields=" + ",".join(changed))
            meeting_id = row.meeting_id
            return next(i for i in _item_views(uow.session, meeting_id) if i.id == item_id)

    def add_action(self, meeting_id: int, item_id: int, action: Action) -> Action:
        """A new action agreed at the meeting for an agenda item, stamped with the meeting."""
        with self.tx() as uow:
            row = uow.get(MeetingItemRow, item_id, "meeting item")
            if row.meeting_id != meeting_id:
                raise ValidationError("item", "this item is not on the meeting's agenda")
            person_id, group_id = row.person_id, row.group_id
        action = replace(action, meeting_id=meeting_id, person_id=person_id, group_id=group_id)
        return self.app.actions.create(action)

    # -- after the meeting -------------------------------------------------------------
    def minutes_data(self, meeting_id: int, include_names: bool = False) -> minutes_pdf.MinutesData:
        detail = self.detail(meeting_id)
        with self.tx() as uow:
            s = uow.session
            partnership = s.scalar(select(PartnershipRow))
            agreed = action_views(s, action_view_query().where(ActionRow.meeting_id == meeting_id)
                                  .order_by(ActionRow.due_date.is_(None), ActionRow.due_date, ActionRow.id))
        by_subject: dict[tuple, list[ActionView]] = defaultdict(list)
        for a in agreed:
            by_subject[(a.person_id, None if a.person_id else a.group_id)].append(a)
        items = []
        for it in detail.items:
            heading = it.label
            if include_names and it.person_name:
                heading = f"{it.reference} {it.person_name}"
            key = (it.person_id, None if it.person_id else it.group_id)
            acts = tuple(minutes_pdf.MinutesAction(a.description, a.kind, a.partner_name,
                                                   a.assignee, a.due_date, a.status)
                         for a in by_subject.get(key, ()))
            items.append(minutes_pdf.MinutesItem(heading, it.decision, acts, it.discussed))
        return minutes_pdf.MinutesData(
            partnership=partnership.name if partnership else "",
            title=detail.meeting.title, held_on=detail.meeting.held_on,
            attendees=detail.attendee_names, items=tuple(items), notes=detail.meeting.notes,
            marking=(partnership.protective_marking if partnership else "") or minutes_pdf.MARKING,
            produced_by=self.actor.display_name)

    def export_minutes(self, meeting_id: int, path: Path | str, include_names: bool = False,
                       check: Callable[[], None] | None = None) -> Path:
        """Write the minutes PDF; the disclosure to the attending partners is audited in the
        same transaction (no entry if the file could not be written)."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.DISCLOSURE,
                     entity="meeting", ref=meeting_id)
        if include_names:
            self.require_names_export("meeting", meeting_id)
        data = self.minutes_data(meeting_id, include_names)
        with self.tx() as uow:
            data = replace(data, audit_anchor=self.app.anchors.take(
                uow, f"minutes {Path(path).name}").token)
            out = minutes_pdf.write_minutes(path, data, check=check)
            n_actions = sum(len(i.actions) for i in data.items)
            uow.audit(AuditOperation.DISCLOSURE, "meeting", meeting_id,
                      f"minutes PDF; items={len(data.items)}; actions={n_actions}; "
                      f"names={'yes' if include_names else 'no'}",
                      recipient="; ".join(data.attendees)[:200])
            return out

    def new_actions_by_partner(self, meeting_id: int) -> dict[str, list[ActionView]]:
        with self.tx() as uow:
            uow.get(MeetingRow, meeting_id, "meeting")
            agreed = action_views(uow.session, action_view_query().where(
                ActionRow.meeting_id == meeting_id).order_by(ActionRow.partner_id, ActionRow.due_date))
        out: dict[str, list[ActionView]] = defaultdict(list)
        for a in agreed:
            out[a.partner_name].append(a)
        return dict(out)

    def export_partner_lists(self, meeting_id: int, folder: Path | str,
                             check: Callable[[], None] | None = None) -> list[Path]:
        """One PDF per owning partner with the actions it took on at the meeting (references
        only). Each file is a disclosure to that partner."""
        self.require(Role.COORDINATOR, Role.ANALYST)
        folder = Path(folder)
        detail = self.detail(meeting_id)
        lists = self.new_actions_by_partner(meeting_id)
        with self.tx() as uow:
            partnership = uow.session.scalar(select(PartnershipRow))
            paths = []
            for partner, actions in sorted(lists.items()):
                if check:
                    check()
                rows = tuple((a.subject, minutes_pdf.MinutesAction(
                    a.description, a.kind, a.partner_name, a.assignee, a.due_date, a.status))
                    for a in actions)
                data = minutes_pdf.PartnerActionList(
                    partnership.name if partnership else "", detail.meeting.title,
                    detail.meeting.held_on, partner, rows,
                    (partnership.protective_marking if partnership else "") or minutes_pdf.MARKING)
                name = f"{detail.meeting.held_on:%Y-%m-%d}-actions-{safe_filename(partner)}.pdf"
                data = replace(data, audit_anchor=self.app.anchors.take(uow, f"actions {name}").token)
                paths.append(minutes_pdf.write_partner_actions(folder / name, data))
                uow.audit(AuditOperation.DISCLOSURE, "meeting", meeting_id,
                          f"partner action list PDF; actions={len(actions)}", recipient=partner[:200])
            return paths
