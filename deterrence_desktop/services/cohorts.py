"""Cohorts: named selections of people, each inclusion with its reason."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import Cohort, CohortMember, display_name
from ..store.mapping import to_record
from ..store.tables import CohortMemberRow, CohortRow, PersonRow
from .base import Service
from .views import CohortMemberView, CohortSummary


class CohortService(Service):
    def list(self) -> list[CohortSummary]:
        with self.tx() as uow:
            counts = dict(uow.session.execute(
                select(CohortMemberRow.cohort_id, func.count()).group_by(CohortMemberRow.cohort_id)).all())
            return [CohortSummary(c.id, c.name, c.description, counts.get(c.id, 0))
                    for c in uow.session.scalars(select(CohortRow).order_by(CohortRow.name))]

    def by_name(self, name: str) -> Cohort:
        with self.tx() as uow:
            row = uow.session.scalar(select(CohortRow).where(CohortRow.name == name))
            if row is None:
                raise ValidationError("cohort", f"no cohort called {name!r}")
            return to_record(row, Cohort)

    def create(self, cohort: Cohort) -> Cohort:
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.COLLECTION, entity="cohort")
        cohort.validate()
        with self.tx() as uow:
            if uow.session.scalar(select(CohortRow.id).where(CohortRow.name == cohort.name)):
                raise ValidationError("name", "another cohort already has this name")
            row = uow.add(CohortRow, cohort)
            uow.audit(AuditOperation.COLLECTION, "cohort", row.id, "new cohort")
            return to_record(row, Cohort)

    def add_member(self, member: CohortMember) -> CohortMember:
        self.require(Role.COORDINATOR, Role.ANALYST, entity="cohort", ref=member.cohort_id)
        if member.added_on is None:
            member.added_on = self.today()
        member.validate()
        with self.tx() as uow:
            uow.get(CohortRow, member.cohort_id, "cohort")
            person = uow.get(PersonRow, member.person_id, "person")
            if uow.session.scalar(select(CohortMemberRow.id).where(
                    CohortMemberRow.cohort_id == member.cohort_id,
                    CohortMemberRow.person_id == member.person_id)):
                raise ValidationError("person_id", f"{person.reference} is already in this cohort")
            row = uow.add(CohortMemberRow, member)
            uow.audit(AuditOperation.ALTERATION, "cohort", member.cohort_id,
                      f"added person {person.reference}")
            return to_record(row, CohortMember)

    def remove_member(self, cohort_id: int, person_id: int) -> CohortMember | None:
        """Take a person out of a cohort; returns what was removed (with its reason and
        date, so an undo can put it back), or None when they were not in it."""
        self.require(Role.COORDINATOR, Role.ANALYST, entity="cohort", ref=cohort_id)
        with self.tx() as uow:
            row = uow.session.scalar(select(CohortMemberRow).where(
                CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.person_id == person_id))
            if row is None:
                return None
            person = uow.get(PersonRow, person_id, "person")
            removed = uow.remove(row, CohortMember)
            uow.audit(AuditOperation.ALTERATION, "cohort", cohort_id,
                      f"removed person {person.reference}")
            return removed

    def mark_left(self, cohort_id: int, person_id: int, left_on: date | None) -> CohortMember:
        """Record the day a person left a cohort (None: they are back in it). Their
        evaluation stops the day before; the membership and its history stay."""
        self.require(Role.COORDINATOR, Role.ANALYST, entity="cohort", ref=cohort_id)
        with self.tx() as uow:
            row = uow.session.scalar(select(CohortMemberRow).where(
                CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.person_id == person_id))
            if row is None:
                raise ValidationError("person_id", "is not in this cohort")
            if left_on is not None and left_on > self.today():
                raise ValidationError("left_on", "must not be in the future")
            member = to_record(row, CohortMember)
            member.left_on = left_on
            member.validate()
            person = uow.get(PersonRow, person_id, "person")
            row.left_on = left_on
            uow.session.flush()
            uow.audit(AuditOperation.ALTERATION, "cohort", cohort_id,
                      f"person {person.reference} {'left' if left_on else 'back'}")
            return to_record(row, CohortMember)

    def members(self, cohort_id: int) -> list[CohortMemberView]:
        if self.is_partner_officer:
            self.deny(AuditOperation.CONSULTATION, "cohort", cohort_id,
                      "can only see the people your agency's actions concern")
        with self.tx() as uow:
            q = (select(CohortMemberRow, PersonRow)
                 .join(PersonRow, PersonRow.id == CohortMemberRow.person_id)
                 .where(CohortMemberRow.cohort_id == cohort_id).order_by(PersonRow.reference))
            return [CohortMemberView(p.id, p.reference,
                                     display_name(p.given_name, p.preferred_name, p.family_name),
                                     m.reason, m.added_on)
                    for m, p in uow.session.execute(q)]
