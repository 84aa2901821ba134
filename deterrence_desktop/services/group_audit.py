"""The group audit: sessions where officers and partners map the groups together, the table
of groups they work from, the session's changes as one audit combination, and its PDF."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ..domain.dates import add_months
from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.network import GroupAudit
from ..store.mapping import to_record
from ..store.tables import AuditEntryRow, PartnerRow
from ..store.tables_network import GroupAuditSessionRow as SessionRow
from . import network_data, reach
from .base import Service
from .reach import GroupReach, refuse_partner_officer
from .settings import SettingsService

EDITORS = (Role.COORDINATOR, Role.ANALYST)
# What a session changes, as the combination entry names it.
RECORDED = (AuditOperation.COLLECTION.value, AuditOperation.ALTERATION.value,
            AuditOperation.ERASURE.value)


@dataclass(frozen=True)
class GroupAuditRow:
    group_id: int
    name: str
    members: int                 # current members
    active_members: int          # current members not in custody or on remand
    incidents_3m: int
    incidents_6m: int
    incidents_12m: int
    rivals: list[str]
    allies: list[str]
    reach: GroupReach


class GroupAuditService(Service):
    def open(self, held_on: date, participants: list[int], notes: str = "") -> int:
        """Open a session (one at a time). Returns its id."""
        self.require(*EDITORS, operation=AuditOperation.COLLECTION, entity="group_audit")
        session = GroupAudit(held_on, list(participants), notes, opened_at=self.utcnow())
        session.validate()
        with self.tx() as uow:
            s = uow.session
            if s.scalar(select(SessionRow.id).where(SessionRow.closed_at.is_(None))):
                raise ValidationError("held_on", "a group-audit session is already open: close "
                                                 "it first")
            known = set(s.scalars(select(PartnerRow.id).where(PartnerRow.id.in_(participants))))
            if set(participants) - known:
                raise ValidationError("participants", "a participant is not a partner of this "
                                                      "partnership")
            row = uow.add(SessionRow, session)
            uow.audit(AuditOperation.COLLECTION, "group_audit", row.id,
                      f"session opened for {held_on.isoformat()}, {len(participants)} partners")
            return row.id

    def sessions(self) -> list[GroupAudit]:
        refuse_partner_officer(self, "group_audit")
        with self.tx() as uow:
            return [to_record(r, GroupAudit) for r in uow.session.scalars(
                select(SessionRow).order_by(SessionRow.held_on.desc(), SessionRow.id.desc()))]

    def get(self, audit_id: int) -> GroupAudit:
        refuse_partner_officer(self, "group_audit")
        with self.tx() as uow:
            return to_record(uow.get(SessionRow, audit_id, "group audit"), GroupAudit)

    def current(self) -> GroupAudit | None:
        refuse_partner_officer(self, "group_audit")
        with self.tx() as uow:
            row = uow.session.scalar(select(SessionRow).where(SessionRow.closed_at.is_(None))
                                     .order_by(SessionRow.id.desc()).limit(1))
            return to_record(row, GroupAudit) if row is not None else None

    def close(self, audit_id: int) -> str:
        """Close the session with ONE combination entry that sums up what was recorded while
        it was open (by anyone). Returns that summary."""
        self.require(*EDITORS, entity="group_audit", ref=audit_id)
        with self.tx() as uow:
            s = uow.session
            row = uow.get(SessionRow, audit_id, "group audit")
            if row.closed_at is not None:
                raise ValidationError("closed_at", "this session is already closed")
            summary = self._summary(s, row)
            row.closed_at = self.utcnow()
            uow.audit(AuditOperation.COMBINATION, "group_audit", audit_id, summary)
            return summary

    def table(self, as_of: date | None = None) -> list[GroupAuditRow]:
        """A row per group: members, active members, incidents in the last 3/6/12 months,
        rivals, allies and reach, as of a day (default today)."""
        refuse_partner_officer(self, "group_audit")
        as_of = as_of or self.today()
        with self.tx() as uow:
            s = uow.session
            data = network_data.load(s, self.today(), date_from=add_months(as_of, -12),
                                     date_to=as_of, links=False)
            threshold = float(SettingsService.read(s, reach.THRESHOLD_KEY))
            reached = reach.compute(data, reach.messages(s), threshold)
            per_group: dict[int, list[date]] = {g: [] for g in data.groups}
            for iid, (on, _kind) in data.incidents.items():
                for gid in data.incident_group_ids(iid):
                    per_group[gid].append(on)
            since = {m: add_months(as_of, -m) for m in (3, 6, 12)}
            rows = []
            for gid, name in data.groups.items():
                rivals, allies = data.rivals_and_allies(gid)
                members = data.members.get(gid, set())
                days = per_group[gid]
                rows.append(GroupAuditRow(
                    gid, name, len(members),
                    sum(1 for p in members if not data.people[p].in_custody),
                    *(sum(1 for d in days if d > since[m]) for m in (3, 6, 12)),
                    sorted(data.groups[g] for g in rivals), sorted(data.groups[g] for g in allies),
                    reached[gid]))
            uow.audit(AuditOperation.CONSULTATION, "group_audit", "", f"table of {len(rows)} groups")
            return sorted(rows, key=lambda r: (-r.incidents_12m, r.name))

    def write_pdf(self, audit_id: int, path: Path | str, names: bool) -> Path:
        """The session's one-page PDF for the partnership (OFFICIAL-SENSITIVE): the table of
        groups, with the most connected people by name or by reference."""
        from ..exports import group_audit_pdf
        from .network import NetworkFilter

        if names:
            self.require_names_export("group_audit", audit_id)
        session = self.get(audit_id)
        rows = self.table(session.held_on)
        analysis = self.app.network.analysis(NetworkFilter(references_only=not names))
        partnership = self.app.partnership.get()
        with self.tx() as uow:
            partners = dict(uow.session.execute(select(PartnerRow.id, PartnerRow.name)).all())
        data = group_audit_pdf.AuditSheet(
            partnership=partnership.name, held_on=session.held_on,
            participants=tuple(partners.get(p, "?") for p in session.participants),
            rows=tuple(group_audit_pdf.SheetRow(
                r.name, r.members, r.active_members, r.incidents_3m, r.incidents_6m,
                r.incidents_12m, ", ".join(r.rivals), ", ".join(r.allies), r.reach.reached,
                r.reach.percent, r.reach.reached_flag, r.reach.unreached_since_incident)
                for r in rows),
            key_players=tuple((k.label, "; ".join(k.reasons)) for k in analysis.key_players[:6]),
            threshold_percent=round(rows[0].reach.threshold * 100) if rows else 33,
            names=names, marking=partnership.protective_marking,
            produced_by=self.actor.display_name, closed=session.closed_at is not None)
        written = group_audit_pdf.write(Path(path), data)
        with self.tx() as uow:
            uow.audit(AuditOperation.DISCLOSURE, "group_audit", audit_id,
                      f"audit PDF, {'with names' if names else 'references only'}",
                      recipient=Path(path).name[:200])
        return written

    @staticmethod
    def _summary(s, row: SessionRow) -> str:
        """What was recorded after the session's own opening entry, by entity and operation."""
        opened = s.scalar(select(AuditEntryRow.seq).where(
            AuditEntryRow.entity == "group_audit", AuditEntryRow.entity_ref == str(row.id),
            AuditEntryRow.operation == AuditOperation.COLLECTION.value).limit(1)) or 0
        counts: Counter = Counter()
        for entity, operation in s.execute(select(AuditEntryRow.entity, AuditEntryRow.operation)
                                           .where(AuditEntryRow.seq > opened,
                                                  AuditEntryRow.operation.in_(RECORDED),
                                                  AuditEntryRow.entity != "group_audit")):
            counts[(entity, operation)] += 1
        parts = [f"{entity} {operation} x{n}" for (entity, operation), n in sorted(counts.items())]
        return (f"group audit of {row.held_on.isoformat()} with {len(row.participants)} partners: "
                + ("; ".join(parts) if parts else "nothing recorded"))
