"""Incidents of serious violence: recorded (many in a group-audit session), edited, undone,
and the search-as-you-type person picker of the quick entry."""
from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import display_name
from ..domain.network import Incident, IncidentRole
from ..store.mapping import to_record
from ..store.tables import GroupRow, MembershipRow, PersonRow
from ..store.tables_network import IncidentGroupRow, IncidentPersonRow, IncidentRow
from . import network_data
from .base import Service, UnitOfWork
from .people import keep_id
from .reach import refuse_partner_officer


class IncidentSummary(NamedTuple):
    id: int
    occurred_on: date
    place: str
    kind: str
    people: int                      # how many people were involved
    groups: tuple[str, ...]          # directly, or through their people's memberships that day


class InvolvedPerson(NamedTuple):
    person_id: int
    reference: str
    display_name: str
    role: str


class InvolvedGroup(NamedTuple):
    group_id: int
    name: str


class IncidentDetail(NamedTuple):
    incident: Incident
    people: tuple[InvolvedPerson, ...]
    groups: tuple[InvolvedGroup, ...]       # involved directly (as recorded)

    @property
    def roles(self) -> list[tuple[int, IncidentRole]]:
        return [(p.person_id, IncidentRole(p.role)) for p in self.people]


class PersonChoice(NamedTuple):
    id: int
    reference: str
    display_name: str
    groups: tuple[str, ...]


EDITORS = (Role.COORDINATOR, Role.ANALYST)


class IncidentService(Service):
    def list(self, since: date | None = None, group_id: int | None = None) -> list[IncidentSummary]:
        """Incidents, newest first; since a date, or involving a group (directly or
        through its people)."""
        refuse_partner_officer(self, "incident")
        with self.tx() as uow:
            s = uow.session
            data = network_data.load(s, self.today(), date_from=since, links=False)
            places = dict(s.execute(select(IncidentRow.id, IncidentRow.place)).all())
            out = []
            for iid, (on, kind) in data.incidents.items():
                gids = data.incident_group_ids(iid)
                if group_id is not None and group_id not in gids:
                    continue
                out.append(IncidentSummary(iid, on, places[iid], kind,
                                           len(data.incident_people.get(iid, ())),
                                           tuple(sorted(data.groups[g] for g in gids))))
            return sorted(out, key=lambda i: (i.occurred_on, i.id), reverse=True)

    def get(self, incident_id: int) -> IncidentDetail:
        refuse_partner_officer(self, "incident")
        with self.tx() as uow:
            detail = self._detail(uow, incident_id)
            uow.audit(AuditOperation.CONSULTATION, "incident", incident_id, "incident")
            return detail

    def record(self, incident: Incident, people: list[tuple[int, IncidentRole]],
               group_ids: list[int]) -> int:
        """A new incident with the people involved (and their roles) and the groups
        involved directly: one transaction, one audit entry. Returns its id."""
        self.require(*EDITORS, operation=AuditOperation.COLLECTION, entity="incident")
        incident.validate(self.today())
        with self.tx() as uow:
            row = uow.add(IncidentRow, incident, exclude=keep_id(uow.session, IncidentRow, incident.id))
            refs = self._set_involved(uow, row.id, people, group_ids)
            uow.audit(AuditOperation.COLLECTION, "incident", row.id,
                      f"{incident.kind} with {len(refs)} people ({_refs(refs)}), "
                      f"{len(set(group_ids))} groups")
            return row.id

    def update(self, incident_id: int, incident: Incident, people: list[tuple[int, IncidentRole]],
               group_ids: list[int]) -> Incident:
        """Save an edited incident with the people and groups involved, over the version
        it was read at (``incident.version``): one edit, whose version moves on even when
        only the people or groups changed. Returns the incident as saved."""
        self.require(*EDITORS, entity="incident", ref=incident_id)
        incident.validate(self.today())
        incident.id = incident_id
        with self.tx() as uow:
            s = uow.session
            row = uow.get(IncidentRow, incident_id, "incident")
            uow.alter(row, incident, "incident", incident_id)
            before_people = set(s.execute(select(IncidentPersonRow.person_id, IncidentPersonRow.role)
                                          .where(IncidentPersonRow.incident_id == incident_id)))
            before_groups = set(s.scalars(select(IncidentGroupRow.group_id)
                                          .where(IncidentGroupRow.incident_id == incident_id)))
            after_people = {(pid, IncidentRole(role).value) for pid, role in people}
            if before_people == after_people and before_groups == set(group_ids):
                return to_record(row, Incident)
            s.query(IncidentPersonRow).filter(IncidentPersonRow.incident_id == incident_id).delete()
            s.query(IncidentGroupRow).filter(IncidentGroupRow.incident_id == incident_id).delete()
            refs = self._set_involved(uow, incident_id, people, group_ids)
            flag_modified(row, "description")          # the involvement is part of the edit
            uow.flush_versioned(row, incident, "incident", incident_id)
            uow.audit(AuditOperation.ALTERATION, "incident", incident_id,
                      f"involved: {len(refs)} people ({_refs(refs)}), {len(set(group_ids))} groups")
            return to_record(row, Incident)

    def remove(self, incident_id: int) -> IncidentDetail:
        """Delete an incident recorded in error; returns it so an undo can restore it."""
        self.require(*EDITORS, operation=AuditOperation.ERASURE, entity="incident", ref=incident_id)
        with self.tx() as uow:
            s = uow.session
            detail = self._detail(uow, incident_id)
            s.query(IncidentPersonRow).filter(IncidentPersonRow.incident_id == incident_id).delete()
            s.query(IncidentGroupRow).filter(IncidentGroupRow.incident_id == incident_id).delete()
            uow.remove(uow.get(IncidentRow, incident_id, "incident"), Incident)
            uow.audit(AuditOperation.ERASURE, "incident", incident_id,
                      f"with {len(detail.people)} people, {len(detail.groups)} groups")
            return detail

    def restore(self, detail: IncidentDetail) -> int:
        """Put back an incident :meth:`remove` returned (under its id when still free)."""
        return self.record(detail.incident, detail.roles, [g.group_id for g in detail.groups])

    def find_people(self, text: str, limit: int = 20) -> list[PersonChoice]:
        """People whose reference, names or aliases contain every word typed (a partner
        officer: only the people their agency's actions concern). Exact references first."""
        words = [w for w in (text or "").strip().split() if w][:5]
        if not words:
            return []
        with self.tx() as uow:
            s = uow.session
            q = select(PersonRow.id, PersonRow.reference, PersonRow.given_name,
                       PersonRow.preferred_name, PersonRow.family_name)
            for word in words:
                like = f"%{_escape_like(word)}%"
                q = q.where(or_(*(column.ilike(like, escape="\\") for column in (
                    PersonRow.reference, PersonRow.given_name, PersonRow.preferred_name,
                    PersonRow.family_name, cast(PersonRow.aliases, String)))))
            visible = self.officer_people()
            if visible is not None:
                q = q.where(PersonRow.id.in_(visible))
            exact = func.upper(PersonRow.reference) == words[0].upper()
            rows = s.execute(q.order_by(exact.desc(), PersonRow.family_name, PersonRow.given_name,
                                        PersonRow.reference).limit(max(1, min(limit, 200)))).all()
            groups = _current_groups(s, [r.id for r in rows], self.today())
            return [PersonChoice(r.id, r.reference, display_name(r.given_name, r.preferred_name,
                                                                 r.family_name),
                                 tuple(groups.get(r.id, ()))) for r in rows]

    # -- helpers ---------------------------------------------------------------
    def _detail(self, uow: UnitOfWork, incident_id: int) -> IncidentDetail:
        s = uow.session
        incident = to_record(uow.get(IncidentRow, incident_id, "incident"), Incident)
        people = tuple(InvolvedPerson(pid, ref, display_name(given, pref, family), role)
                       for pid, ref, given, pref, family, role in s.execute(
                           select(PersonRow.id, PersonRow.reference, PersonRow.given_name,
                                  PersonRow.preferred_name, PersonRow.family_name,
                                  IncidentPersonRow.role)
                           .join(IncidentPersonRow, IncidentPersonRow.person_id == PersonRow.id)
                           .where(IncidentPersonRow.incident_id == incident_id)
                           .order_by(IncidentPersonRow.id)))
        groups = tuple(InvolvedGroup(gid, name) for gid, name in s.execute(
            select(GroupRow.id, GroupRow.name)
            .join(IncidentGroupRow, IncidentGroupRow.group_id == GroupRow.id)
            .where(IncidentGroupRow.incident_id == incident_id).order_by(GroupRow.name)))
        return IncidentDetail(incident, people, groups)

    @staticmethod
    def _set_involved(uow: UnitOfWork, incident_id: int, people: list[tuple[int, IncidentRole]],
                      group_ids: list[int]) -> list[str]:
        """Write who and which groups were involved; returns the people's references."""
        s = uow.session
        seen: dict[int, str] = {}
        for pid, role in people:
            try:
                role = IncidentRole(role).value
            except ValueError:
                raise ValidationError("role", "must be one of: " + ", ".join(IncidentRole)) from None
            if pid in seen:
                raise ValidationError("people", "a person is named twice in this incident")
            seen[pid] = role
        refs = dict(s.execute(select(PersonRow.id, PersonRow.reference)
                              .where(PersonRow.id.in_(list(seen)))).all())
        missing = set(seen) - set(refs)
        if missing:
            raise ValidationError("people", f"no person with id {min(missing)}")
        known = set(s.scalars(select(GroupRow.id).where(GroupRow.id.in_(list(group_ids)))))
        if set(group_ids) - known:
            raise ValidationError("groups", f"no group with id {min(set(group_ids) - known)}")
        for pid, role in seen.items():
            s.add(IncidentPersonRow(incident_id=incident_id, person_id=pid, role=role))
        for gid in dict.fromkeys(group_ids):
            s.add(IncidentGroupRow(incident_id=incident_id, group_id=gid))
        s.flush()
        return [refs[pid] for pid in seen]


def _refs(refs: list[str], most: int = 12) -> str:
    shown = ",".join(refs[:most])
    return shown + (f",+{len(refs) - most}" if len(refs) > most else "") if refs else "none"


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _current_groups(s: Session, person_ids: list[int], today: date) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not person_ids:
        return out
    for pid, name in s.execute(select(MembershipRow.person_id, GroupRow.name)
                               .join(GroupRow, GroupRow.id == MembershipRow.group_id)
                               .where(MembershipRow.person_id.in_(person_ids),
                                      or_(MembershipRow.end.is_(None), MembershipRow.end >= today))
                               .order_by(GroupRow.name)):
        out.setdefault(pid, []).append(name)
    return out
