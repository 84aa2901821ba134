"""The demo's group audit and network (issue 14): fictional incidents, links between people
and one closed group-audit session, so a newcomer opens a network with something in it.

Drawn from its own random state and the demo's ``today``, so the rest of the demo stays as
it was and the same seed gives the same network.
"""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..domain.enums import AuditOperation
from ..domain.network import Confidence, IncidentKind, IncidentRole, LinkKind
from ..store.tables import GroupRelationRow, MembershipRow, PartnerRow
from ..store.tables_network import (
    GroupAuditSessionRow, IncidentGroupRow, IncidentPersonRow, IncidentRow, PersonLinkRow,
)

PLACES = ["Example Street car park", "Fable Row shops", "Sample Road underpass",
          "Placeholder Lane park", "Testbed Avenue bus stop", "Storybook Terrace estate",
          "Invented Way chip shop", "Makebelieve Crescent garages"]
WHAT = {
    IncidentKind.STABBING: "Fictional: a stabbing after an argument between groups.",
    IncidentKind.SHOOTING: "Fictional: shots fired at a parked car, nobody hurt.",
    IncidentKind.ASSAULT: "Fictional: a group assault outside the shops.",
    IncidentKind.ROBBERY: "Fictional: a phone and cash taken at knifepoint.",
    IncidentKind.OTHER: "Fictional: a threat with a weapon, reported by a witness.",
}
INCIDENTS = 14
LINKS = 26


def add(s: Session, rnd: random.Random, today: date, username: str) -> str:
    """Add the demo network inside the demo's transaction; returns a line for its audit."""
    from . import audit

    members: dict[int, list[int]] = defaultdict(list)
    for pid, gid in s.execute(select(MembershipRow.person_id, MembershipRow.group_id)
                              .where(MembershipRow.end.is_(None)).order_by(MembershipRow.id)):
        members[gid].append(pid)
    groups = sorted(g for g in members if len(members[g]) >= 2)
    if len(groups) < 2:
        return "no network"
    rivals = [(a, b) for a, b in s.execute(select(GroupRelationRow.group_id,
                                                  GroupRelationRow.other_group_id)
                                           .where(GroupRelationRow.kind == "rivalry")
                                           .order_by(GroupRelationRow.id))
              if a in members and b in members] or [(groups[0], groups[1])]
    partners = list(s.scalars(select(PartnerRow.id).order_by(PartnerRow.id)))

    incidents = 0
    kinds = list(IncidentKind)
    for n in range(INCIDENTS):
        a, b = rivals[n % len(rivals)]
        if n % 3 == 2:
            b = a                           # violence within one group's own dealings
        # The newest incident is today's: its groups have not been reached since.
        days_ago = 0 if n == 0 else rnd.randint(3, 420)
        kind = kinds[n % len(kinds)]
        row = IncidentRow(occurred_on=today - timedelta(days=days_ago), place=rnd.choice(PLACES),
                          kind=kind.value, description=WHAT[kind])
        s.add(row)
        s.flush()
        suspects = rnd.sample(members[a], min(len(members[a]), rnd.choice([1, 2, 2, 3])))
        victims = [p for p in rnd.sample(members[b], 1) if p not in suspects]
        rows = [dict(incident_id=row.id, person_id=p, role=IncidentRole.SUSPECT.value)
                for p in suspects]
        rows += [dict(incident_id=row.id, person_id=p, role=IncidentRole.VICTIM.value)
                 for p in victims]
        s.execute(insert(IncidentPersonRow), rows)
        if n % 4 == 0:
            s.add(IncidentGroupRow(incident_id=row.id, group_id=a))
        incidents += 1

    links: set[tuple[int, int, str]] = set()
    everyone = [p for g in groups for p in members[g]]
    kinds_by_weight = [LinkKind.ASSOCIATE] * 4 + [LinkKind.FAMILY] * 2 + [LinkKind.RIVAL] * 2 \
        + [LinkKind.VICTIM_OF]
    tries = 0
    while len(links) < LINKS and tries < LINKS * 20:
        tries += 1
        kind = rnd.choice(kinds_by_weight)
        if kind is LinkKind.ASSOCIATE and rnd.random() < 0.7:
            g = rnd.choice(groups)           # most associates are in the same group
            a, b = rnd.sample(members[g], 2)
        else:
            a, b = rnd.sample(everyone, 2)
        if (a, b, kind.value) in links or (b, a, kind.value) in links:
            continue
        links.add((a, b, kind.value))
    s.execute(insert(PersonLinkRow), [
        dict(person_id=a, other_person_id=b, kind=k,
             source_partner_id=rnd.choice(partners) if partners else None,
             reported_on=today - timedelta(days=rnd.randint(5, 600)),
             confidence=rnd.choice([Confidence.CONFIRMED] * 2 + [Confidence.REPORTED] * 2
                                   + [Confidence.SUSPECTED]).value,
             notes="Fictional link for the demo.")
        for a, b, k in sorted(links)])

    held = today - timedelta(days=56)
    s.add(GroupAuditSessionRow(held_on=held, participants=partners[:4],
                               notes="Fictional first group audit of the demo partnership.",
                               opened_at=datetime.combine(held, time(10, 0)),
                               closed_at=datetime.combine(held, time(12, 30))))
    s.flush()
    summary = f"{incidents} incidents, {len(links)} links, 1 group audit"
    audit.append(s, username, AuditOperation.COLLECTION, "workspace", "demo network",
                 f"fictional demo network: {summary}")
    return summary
