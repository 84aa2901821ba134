"""Message reach: how many of a group's current members have had the message directly.

A member is reached by a communication that gave the deterrence message
(:func:`~..domain.model.message_given`: a no-show, a refusal, a person not found or a
returned letter does not count) or by attending a call-in (on time or late). A group
counts as reached when the share of its current members reached is at least the
partnership's threshold (default one third). A group with an incident after which none
of its members has been reached is flagged.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import NamedTuple
from datetime import date, datetime

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from ..domain.enums import AttendanceStatus, AuditOperation
from ..domain.errors import NotFoundError, ValidationError
from ..domain.model import MESSAGE_GIVEN
from ..store.tables import CallInRow, CommunicationRow, InvitationRow
from . import network_data
from .base import Service
from .settings import SettingsService

THRESHOLD_KEY = "reach_threshold"
CALL_IN = "call_in"
ATTENDED = (AttendanceStatus.ATTENDED.value, AttendanceStatus.LATE.value)


class ReachedPerson(NamedTuple):
    """A current member; ``channel`` and ``reached_on`` are the latest message given
    ("" and None for a member not reached). A named tuple: one per member of every group."""
    person_id: int
    reference: str
    display_name: str
    channel: str
    reached_on: date | None

    @property
    def reached(self) -> bool:
        return self.reached_on is not None


@dataclass(frozen=True)
class GroupReach:
    group_id: int
    name: str
    current_members: int
    reached: int
    share: float
    reached_flag: bool
    by_channel: dict[str, int]
    people: tuple[ReachedPerson, ...]        # every current member, the reached first
    last_incident: date | None
    unreached_since_incident: bool
    threshold: float = 1 / 3

    @property
    def percent(self) -> int:
        return round(self.share * 100)


@dataclass(frozen=True)
class Message:
    """How a person last had the message, and every channel that gave it to them."""
    channel: str
    on: date
    channels: frozenset[str]


def messages(session: Session, people: set[int] | None = None) -> dict[int, Message]:
    """Per person (of ``people``, else everyone), the messages given to them: communications
    whose outcome gave the deterrence message, and call-ins attended."""
    seen: dict[int, dict[str, date]] = defaultdict(dict)

    def given(pid: int, channel: str, on: date) -> None:
        if on > seen[pid].get(channel, date.min):
            seen[pid][channel] = on

    # The latest message per person and channel, aggregated by the database.
    for pid, channel, at in session.execute(
            select(CommunicationRow.person_id, CommunicationRow.channel,
                   func.max(CommunicationRow.occurred_at))
            .where(CommunicationRow.deterrence_message.is_(True),
                   CommunicationRow.outcome.in_(sorted(MESSAGE_GIVEN)),
                   CommunicationRow.person_id.in_(sorted(people)) if people is not None else true())
            .group_by(CommunicationRow.person_id, CommunicationRow.channel)):
        given(pid, channel, _day(at))
    for pid, starts in session.execute(
            select(InvitationRow.person_id, func.max(CallInRow.starts_at))
            .join(CallInRow, CallInRow.id == InvitationRow.call_in_id)
            .where(InvitationRow.attendance.in_(ATTENDED), CallInRow.status == "held",
                   InvitationRow.person_id.in_(sorted(people)) if people is not None else true())
            .group_by(InvitationRow.person_id)):
        given(pid, CALL_IN, _day(starts))
    out = {}
    for pid, channels in seen.items():
        channel, on = max(channels.items(), key=lambda t: (t[1], t[0]))
        out[pid] = Message(channel, on, frozenset(channels))
    return out


def _day(value) -> date:
    """A date from an aggregated timestamp (SQLite hands max() back as text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def last_incidents(data: network_data.NetworkData) -> dict[int, date]:
    last: dict[int, date] = {}
    for iid, (on, _kind) in data.incidents.items():
        for gid in data.incident_group_ids(iid):
            if gid not in last or on > last[gid]:
                last[gid] = on
    return last


def compute(data: network_data.NetworkData, given: dict[int, Message], threshold: float,
            group_ids=None) -> dict[int, GroupReach]:
    """The reach of each group (of ``group_ids``, else all) from data already loaded."""
    last = last_incidents(data)
    out = {}
    for gid in (data.groups if group_ids is None else group_ids):
        members = sorted(data.members.get(gid, ()), key=lambda p: data.people[p].reference)
        people, channels = [], defaultdict(int)
        latest: date | None = None
        for pid in members:
            info, msg = data.people[pid], given.get(pid)
            people.append(ReachedPerson(pid, info.reference, info.name,
                                        msg.channel if msg else "", msg.on if msg else None))
            if msg:
                for c in msg.channels:
                    channels[c] += 1
                latest = msg.on if latest is None or msg.on > latest else latest
        reached = sum(1 for p in people if p.reached)
        share = reached / len(members) if members else 0.0
        incident = last.get(gid)
        out[gid] = GroupReach(
            gid, data.groups[gid], len(members), reached, share,
            bool(members) and share >= threshold - 1e-9, dict(sorted(channels.items())),
            tuple(sorted(people, key=lambda p: (not p.reached, p.reference))), incident,
            incident is not None and (latest is None or latest < incident), threshold)
    return out


class ReachService(Service):
    def threshold(self) -> float:
        return float(self.app.settings.get(THRESHOLD_KEY))

    def set_threshold(self, fraction: float) -> float:
        """The share of current members that makes a group reached (coordinators; audited)."""
        try:
            fraction = float(fraction)
        except (TypeError, ValueError):
            raise ValidationError(THRESHOLD_KEY, "give a share between 0 and 1, e.g. 0.33") from None
        if not 0 < fraction <= 1:
            raise ValidationError(THRESHOLD_KEY, "must be more than 0 and at most 1 (all members)")
        return self.app.settings.set(THRESHOLD_KEY, fraction)

    def group(self, group_id: int) -> GroupReach:
        return self._reach([group_id])[group_id]

    def groups(self) -> list[GroupReach]:
        return sorted(self._reach(None).values(), key=lambda r: r.name)

    def summary(self) -> list[GroupReach]:
        """Every group's reach as figures only, with no one named in it: what the board's
        summary strip shows on every refresh. Counts about groups consult no one's record,
        so this is not logged as a consultation (``groups()``, which lists the people, is)."""
        return sorted((replace(r, people=()) for r in self._reach(None, audit=False).values()),
                      key=lambda r: r.name)

    def _reach(self, group_ids, audit: bool = True) -> dict[int, GroupReach]:
        refuse_partner_officer(self, "reach")
        with self.tx() as uow:
            s = uow.session
            # One group's reach reads its members' rows only; every group's, the workspace's.
            scope = set(group_ids) if group_ids is not None else None
            data = network_data.load(s, self.today(), groups=scope, links=False)
            for gid in group_ids or ():
                if gid not in data.groups:
                    raise NotFoundError("group", gid)
            threshold = float(SettingsService.read(s, THRESHOLD_KEY))
            out = compute(data, messages(s, set(data.people) if scope is not None else None),
                          threshold, group_ids)
            if audit:
                uow.audit(AuditOperation.CONSULTATION, "reach",
                          group_ids[0] if group_ids and len(group_ids) == 1 else "",
                          f"message reach of {len(out)} groups")
            return out


def refuse_partner_officer(service: Service, entity: str) -> None:
    """The group audit, the network and reach show every group's people: a partner officer
    sees only those their agency's actions concern, so, as on the group page, not these."""
    if service.is_partner_officer:
        service.deny(AuditOperation.CONSULTATION, entity, "",
                     "can only see the people your agency's actions concern")
