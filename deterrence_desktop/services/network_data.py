"""What the network, the reach and the group audit read from a workspace, in a few queries.

:func:`load` gathers people, current memberships, group relations, incidents (with the
people and groups involved) and stored links into plain dicts, once per call, so the
analysis above never runs a query per node. Co-offending links are derived here from
shared incidents (they are never stored).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import NamedTuple

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from ..domain.enums import LegalStatus
from ..domain.model import display_name
from ..domain.network import Confidence, IncidentRole, LinkKind
from ..store.tables import (
    CohortMemberRow, GroupRelationRow, GroupRow, MembershipRow, PartnerRow, PersonRow,
)
from ..store.tables_network import IncidentGroupRow, IncidentPersonRow, IncidentRow, PersonLinkRow

# Involvement that makes two people co-offenders in an incident: a victim or a witness
# shares the incident with the suspects but does not offend with them.
CO_OFFENDING_ROLES = frozenset({IncidentRole.SUSPECT.value, IncidentRole.PRESENT.value})
IN_CUSTODY = frozenset({LegalStatus.CUSTODY.value, LegalStatus.REMAND.value})


@dataclass(frozen=True)
class PersonInfo:
    id: int
    reference: str
    name: str
    legal_status: str

    @property
    def in_custody(self) -> bool:
        return self.legal_status in IN_CUSTODY


class Link(NamedTuple):
    """A link between two people: stored (``id`` set) or derived co-offending (``id`` None).
    A named tuple: tens of thousands are made per analysis."""
    a: int
    b: int
    kind: str
    confidence: str
    on: date | None
    source_partner: str = ""
    weight: int = 1
    id: int | None = None
    notes: str = ""

    @property
    def derived(self) -> bool:
        return self.id is None


@dataclass
class NetworkData:
    today: date
    people: dict[int, PersonInfo] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    person_groups: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    # every membership, current or ended: person -> [(group, start, end)], for incident dates
    spells: dict[int, list[tuple[int, date | None, date | None]]] = field(
        default_factory=lambda: defaultdict(list))
    relations: list[tuple[int, int, str]] = field(default_factory=list)
    incidents: dict[int, tuple[date, str]] = field(default_factory=dict)
    incident_people: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    incident_groups: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    links: list[Link] = field(default_factory=list)

    def main_group(self, person_id: int) -> int | None:
        groups = self.person_groups.get(person_id)
        return groups[0] if groups else None

    def groups_on(self, person_id: int, on: date) -> set[int]:
        """The groups a person belonged to on ``on`` (a membership with no start counts)."""
        return {g for g, start, end in self.spells.get(person_id, ())
                if (start is None or start <= on) and (end is None or on <= end)}

    def incident_group_ids(self, incident_id: int) -> set[int]:
        """Groups involved directly, and through their people's memberships on the day."""
        on = self.incidents[incident_id][0]
        out = set(self.incident_groups.get(incident_id, ()))
        for pid, _role in self.incident_people.get(incident_id, ()):
            out |= self.groups_on(pid, on)
        return out

    def rivals_and_allies(self, group_id: int) -> tuple[set[int], set[int]]:
        rivals, allies = set(), set()
        for a, b, kind in self.relations:
            if group_id in (a, b):
                (rivals if kind == "rivalry" else allies).add(b if a == group_id else a)
        return rivals, allies


def load(session: Session, today: date, *, date_from: date | None = None,
         date_to: date | None = None, groups: set[int] | None = None,
         people: set[int] | None = None, links: bool = True) -> NetworkData:
    """Everything the network needs; incidents and links limited to the date window. With
    ``groups``, only their current members, and the incidents and links among them (a
    group's picture reads a few hundred rows, not the whole workspace); with ``people``, only
    those people (their memberships, incidents and links among them). Without ``links``,
    no links are read or derived (reach and the audit table do not need them)."""
    data = NetworkData(today=today)
    data.groups = dict(session.execute(select(GroupRow.id, GroupRow.name)).all())
    data.relations = [(a, b, k) for a, b, k in session.execute(select(
        GroupRelationRow.group_id, GroupRelationRow.other_group_id, GroupRelationRow.kind))]
    current = or_(MembershipRow.end.is_(None), MembershipRow.end >= today)
    scope = None if people is None else set(people)
    if groups is not None:
        scope = (scope or set()) | set(session.scalars(select(MembershipRow.person_id).where(
            MembershipRow.group_id.in_(sorted(groups)), current)))

    def only(column, ids):
        return column.in_(sorted(ids)) if ids is not None else true()

    for pid, ref, given, pref, family, status in session.execute(select(
            PersonRow.id, PersonRow.reference, PersonRow.given_name, PersonRow.preferred_name,
            PersonRow.family_name, PersonRow.legal_status).where(only(PersonRow.id, scope))):
        data.people[pid] = PersonInfo(pid, ref, display_name(given, pref, family), status)
    for pid, gid, start, end in session.execute(
            select(MembershipRow.person_id, MembershipRow.group_id, MembershipRow.start,
                   MembershipRow.end).where(only(MembershipRow.person_id, scope))
            .order_by(MembershipRow.start.is_(None), MembershipRow.start, MembershipRow.id)):
        data.spells[pid].append((gid, start, end))
        if end is None or end >= today:
            if gid not in data.person_groups[pid]:
                data.person_groups[pid].append(gid)
            data.members[gid].add(pid)

    q = select(IncidentRow.id, IncidentRow.occurred_on, IncidentRow.kind)
    if date_from is not None:
        q = q.where(IncidentRow.occurred_on >= date_from)
    if date_to is not None:
        q = q.where(IncidentRow.occurred_on <= date_to)
    if scope is not None:
        q = q.where(or_(
            IncidentRow.id.in_(select(IncidentPersonRow.incident_id)
                               .where(IncidentPersonRow.person_id.in_(sorted(scope)))),
            IncidentRow.id.in_(select(IncidentGroupRow.incident_id)
                               .where(IncidentGroupRow.group_id.in_(sorted(groups or ()))))))
    data.incidents = {i: (on, kind) for i, on, kind in session.execute(q)}
    for iid, pid, role in session.execute(select(
            IncidentPersonRow.incident_id, IncidentPersonRow.person_id, IncidentPersonRow.role)
            .where(only(IncidentPersonRow.person_id, scope)).order_by(IncidentPersonRow.id)):
        if iid in data.incidents:
            data.incident_people[iid].append((pid, role))
    for iid, gid in session.execute(select(IncidentGroupRow.incident_id, IncidentGroupRow.group_id)):
        if iid in data.incidents:
            data.incident_groups[iid].add(gid)

    if not links:
        return data
    partners = dict(session.execute(select(PartnerRow.id, PartnerRow.name)).all())
    lq = select(PersonLinkRow.person_id, PersonLinkRow.other_person_id, PersonLinkRow.kind,
                PersonLinkRow.confidence, PersonLinkRow.reported_on, PersonLinkRow.source_partner_id,
                PersonLinkRow.id, PersonLinkRow.notes)
    if date_from is not None:
        lq = lq.where(PersonLinkRow.reported_on >= date_from)
    if date_to is not None:
        lq = lq.where(PersonLinkRow.reported_on <= date_to)
    if scope is not None:
        lq = lq.where(only(PersonLinkRow.person_id, scope), only(PersonLinkRow.other_person_id, scope))
    data.links = [Link(a, b, kind, conf, on, partners.get(source, ""), 1, lid, notes)
                  for a, b, kind, conf, on, source, lid, notes
                  in session.execute(lq.order_by(PersonLinkRow.id))]
    data.links.extend(co_offending(data))
    return data


def co_offending(data: NetworkData) -> list[Link]:
    """One derived link per pair of people who offended together, weighted by how many
    incidents they share, dated by the latest."""
    shared: dict[tuple[int, int], list[date]] = defaultdict(list)
    for iid, involved in data.incident_people.items():
        offenders = sorted({pid for pid, role in involved if role in CO_OFFENDING_ROLES})
        for a, b in combinations(offenders, 2):
            shared[(a, b)].append(data.incidents[iid][0])
    return [Link(a, b, LinkKind.CO_OFFENDING.value, Confidence.CONFIRMED.value, max(days),
                 "shared incidents", len(days))
            for (a, b), days in sorted(shared.items())]


def cohort_people(session: Session, cohort_id: int) -> set[int]:
    return set(session.scalars(select(CohortMemberRow.person_id)
                               .where(CohortMemberRow.cohort_id == cohort_id)))
