"""Actions: what each partner does about a person or a group, and their status."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from ..domain.enums import ActionStatus, AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import Action, display_name
from ..store.mapping import column_values, to_record
from ..store.tables import (
    ActionRow, CohortMemberRow, GroupRow, PartnerRow, PersonRow,
)
from .base import Service
from .views import ActionView

OPEN_STATUSES = tuple(s.value for s in ActionStatus if s.is_open)


def action_view_query() -> Select:
    """Actions joined with the names a list shows (partner, person reference, group)."""
    return (
        select(ActionRow.id, ActionRow.partner_id, PartnerRow.name, ActionRow.kind,
               ActionRow.description, ActionRow.person_id, PersonRow.reference,
               PersonRow.given_name, PersonRow.preferred_name, PersonRow.family_name,
               ActionRow.group_id, GroupRow.name, ActionRow.assignee, ActionRow.due_date,
               ActionRow.status, ActionRow.outcome, ActionRow.notes, ActionRow.meeting_id,
               ActionRow.updated_at, ActionRow.version)
        .join(PartnerRow, PartnerRow.id == ActionRow.partner_id)
        .outerjoin(PersonRow, PersonRow.id == ActionRow.person_id)
        .outerjoin(GroupRow, GroupRow.id == ActionRow.group_id)
    )


def action_views(session: Session, query: Select) -> list[ActionView]:
    out = []
    for r in session.execute(query):
        name = display_name(r[7], r[8], r[9]) if r[7] is not None else ""
        out.append(ActionView(
            id=r[0], partner_id=r[1], partner_name=r[2], kind=r[3], description=r[4],
            person_id=r[5], person_reference=r[6] or "", person_name=name, group_id=r[10],
            group_name=r[11] or "", assignee=r[12], due_date=r[13], status=r[14],
            outcome=r[15], notes=r[16], meeting_id=r[17], updated_at=r[18], version=r[19]))
    return out


@dataclass(frozen=True)
class ActionFilter:
    partner_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    person_id: int | None = None
    group_id: int | None = None
    cohort_id: int | None = None
    meeting_id: int | None = None
    overdue_only: bool = False
    due_within_days: int | None = None
    open_only: bool = False
    limit: int | None = None


class ActionService(Service):
    def list(self, f: ActionFilter = ActionFilter()) -> list[ActionView]:
        q = action_view_query()
        today = self.today()
        if f.partner_ids:
            q = q.where(ActionRow.partner_id.in_(f.partner_ids))
        if f.kinds:
            q = q.where(ActionRow.kind.in_(f.kinds))
        if f.statuses:
            q = q.where(ActionRow.status.in_(f.statuses))
        if f.open_only or f.overdue_only:
            q = q.where(ActionRow.status.in_(OPEN_STATUSES))
        if f.person_id is not None:
            q = q.where(ActionRow.person_id == f.person_id)
        if f.group_id is not None:
            q = q.where(ActionRow.group_id == f.group_id)
        if f.meeting_id is not None:
            q = q.where(ActionRow.meeting_id == f.meeting_id)
        if f.cohort_id is not None:
            q = q.where(ActionRow.person_id.in_(
                select(CohortMemberRow.person_id).where(CohortMemberRow.cohort_id == f.cohort_id)))
        if f.overdue_only:
            q = q.where(ActionRow.due_date < today)
        if f.due_within_days is not None:
            q = q.where(ActionRow.due_date <= today + timedelta(days=f.due_within_days))
        if self.officer_scope() is not None:
            q = q.where(ActionRow.partner_id == self.officer_scope())
        q = q.order_by(ActionRow.due_date.is_(None), ActionRow.due_date, ActionRow.id)
        if f.limit:
            q = q.limit(f.limit)
        with self.tx() as uow:
            return action_views(uow.session, q)

    def get(self, action_id: int) -> Action:
        with self.tx() as uow:
            row = uow.get(ActionRow, action_id, "action")
            self._require_own(row.partner_id, row.id, AuditOperation.CONSULTATION)
            return to_record(row, Action)

    def _require_own(self, partner_id: int, action_id: object,
                     operation: AuditOperation = AuditOperation.ALTERATION) -> None:
        """Refuse a partner officer an action of another agency."""
        scope = self.officer_scope()
        if scope is not None and partner_id != scope:
            self.deny(operation, "action", action_id,
                      "can only see and update your own agency's actions")

    def create(self, action: Action) -> Action:
        self.require(Role.COORDINATOR, Role.PARTNER_OFFICER,
                     operation=AuditOperation.COLLECTION, entity="action")
        action.validate()
        self._require_own(action.partner_id, "", AuditOperation.COLLECTION)
        with self.tx() as uow:
            self._check_refs(uow.session, action)
            row = uow.add(ActionRow, action, exclude=("id", "updated_at", "version"))
            uow.audit(AuditOperation.COLLECTION, "action", row.id,
                      f"kind={row.kind}; partner={row.partner_id}")
            return to_record(row, Action)

    def update(self, action: Action, expected_version: int | None = None) -> Action:
        """Save an edited action over the version it was read at (``action.version``, or
        ``expected_version`` when given); EditConflict when someone else saved it since."""
        self.require(Role.COORDINATOR, Role.PARTNER_OFFICER, entity="action", ref=action.id or "")
        action.validate()
        if expected_version is not None:
            action = replace(action, version=expected_version)
        with self.tx() as uow:
            row = uow.get(ActionRow, action.id, "action")
            self._require_own(row.partner_id, row.id)
            self._require_own(action.partner_id, row.id)
            self._check_refs(uow.session, action)
            uow.alter(row, action, "action", row.id, exclude=("id", "updated_at"))
            return to_record(row, Action)

    def set_status(self, action_id: int, status: ActionStatus | str, outcome: str | None = None,
                   source: str = "") -> Action:
        """Move an action to ``status`` (recording the outcome or blocker); returns the result."""
        status = ActionStatus(status)
        action = self.get(action_id)
        action = replace(action, status=status,
                         outcome=action.outcome if outcome is None else outcome)
        return self.update(action)

    def import_many(self, actions: list[Action], source: str = "import") -> int:
        """Add many actions in one transaction (an import): all of them or none.
        One collection entry is audited with the count."""
        self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="action")
        for a in actions:
            a.validate()
        from sqlalchemy import insert
        with self.tx() as uow:
            s = uow.session
            partners = {a.partner_id for a in actions}
            known = set(s.scalars(select(PartnerRow.id).where(PartnerRow.id.in_(partners))))
            if partners - known:
                raise ValidationError("partner_id", "choose partners that exist")
            people = {a.person_id for a in actions if a.person_id is not None}
            if people and len(set(s.scalars(select(PersonRow.id).where(
                    PersonRow.id.in_(people))))) != len(people):
                raise ValidationError("person_id", "choose people that exist")
            rows = [column_values(a, exclude=("id", "updated_at", "version")) for a in actions]
            for start in range(0, len(rows), 2000):
                s.execute(insert(ActionRow), rows[start:start + 2000])
            uow.audit(AuditOperation.COLLECTION, "action", "", f"{source}: count={len(rows)}")
            return len(rows)

    def counts_by_partner(self) -> dict[int, tuple[int, int]]:
        """partner id -> (open, overdue)."""
        today = self.today()
        with self.tx() as uow:
            rows = uow.session.execute(
                select(ActionRow.partner_id, func.count(),
                       func.sum(case((ActionRow.due_date < today, 1), else_=0)))
                .where(ActionRow.status.in_(OPEN_STATUSES)).group_by(ActionRow.partner_id))
            return {pid: (n, int(o or 0)) for pid, n, o in rows}

    @staticmethod
    def _check_refs(session: Session, action: Action) -> None:
        errors = {}
        if session.get(PartnerRow, action.partner_id) is None:
            errors["partner_id"] = "choose a partner that exists"
        if action.person_id is not None and session.get(PersonRow, action.person_id) is None:
            errors["person_id"] = "choose a person that exists"
        if action.group_id is not None and session.get(GroupRow, action.group_id) is None:
            errors["group_id"] = "choose a group that exists"
        if errors:
            raise ValidationError(errors)
