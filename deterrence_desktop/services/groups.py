"""Groups (street groups, drug lines, organised crime groups), membership and relations."""
from __future__ import annotations

from sqlalchemy import func, or_, select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import Group, GroupRelation, Membership
from ..store.mapping import column_values, to_record
from ..store.tables import ActionRow, GroupRelationRow, GroupRow, MembershipRow, PersonRow
from .actions import OPEN_STATUSES, action_view_query, action_views
from .base import Service
from .people import keep_id, membership_views
from .views import GroupPage, GroupRelationView, GroupSummary


class GroupService(Service):
    def list(self) -> list[GroupSummary]:
        with self.tx() as uow:
            s = uow.session
            members = dict(s.execute(select(MembershipRow.group_id, func.count())
                                     .where(MembershipRow.end.is_(None))
                                     .group_by(MembershipRow.group_id)).all())
            actions = dict(s.execute(select(ActionRow.group_id, func.count())
                                     .where(ActionRow.group_id.is_not(None),
                                            ActionRow.status.in_(OPEN_STATUSES))
                                     .group_by(ActionRow.group_id)).all())
            return [GroupSummary(g.id, g.name, g.type, g.area, members.get(g.id, 0),
                                 actions.get(g.id, 0))
                    for g in s.scalars(select(GroupRow).order_by(GroupRow.name))]

    def get(self, group_id: int) -> Group:
        with self.tx() as uow:
            return to_record(uow.get(GroupRow, group_id, "group"), Group)

    def page(self, group_id: int) -> GroupPage:
        if self.is_partner_officer:
            self.deny(AuditOperation.CONSULTATION, "group", group_id,
                      "can only see the people your agency's actions concern")
        with self.tx() as uow:
            s = uow.session
            group = to_record(uow.get(GroupRow, group_id, "group"), Group)
            relations = []
            for rel in s.scalars(select(GroupRelationRow).where(or_(
                    GroupRelationRow.group_id == group_id,
                    GroupRelationRow.other_group_id == group_id))):
                other = rel.other_group_id if rel.group_id == group_id else rel.group_id
                relations.append(GroupRelationView(rel.id, other, s.get(GroupRow, other).name,
                                                   rel.kind, rel.since))
            actions = action_views(s, action_view_query().where(ActionRow.group_id == group_id)
                                   .order_by(ActionRow.due_date.is_(None), ActionRow.due_date))
            uow.audit(AuditOperation.CONSULTATION, "group", group_id, "group page")
            return GroupPage(group, tuple(membership_views(s, MembershipRow.group_id == group_id)),
                             tuple(sorted(relations, key=lambda r: r.other_group_name)),
                             tuple(actions))

    def create(self, group: Group) -> Group:
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.COLLECTION, entity="group")
        group.validate()
        with self.tx() as uow:
            self._unique(uow.session, group)
            row = uow.add(GroupRow, group)
            uow.audit(AuditOperation.COLLECTION, "group", row.id, "new group")
            return to_record(row, Group)

    def update(self, group: Group) -> Group:
        self.require(Role.COORDINATOR, Role.ANALYST, entity="group", ref=group.id or "")
        group.validate()
        with self.tx() as uow:
            row = uow.get(GroupRow, group.id, "group")
            self._unique(uow.session, group)
            uow.alter(row, group, "group", row.id)
            return to_record(row, Group)

    def get_member(self, membership_id: int) -> Membership:
        with self.tx() as uow:
            return to_record(uow.get(MembershipRow, membership_id, "membership"), Membership)

    def add_member(self, membership: Membership) -> Membership:
        """Put a person in a group. A membership that carries the id of one removed earlier
        (an undone removal) comes back under that id when it is still free."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.COLLECTION, entity="membership")
        membership.validate()
        with self.tx() as uow:
            person = uow.get(PersonRow, membership.person_id, "person")
            uow.get(GroupRow, membership.group_id, "group")
            self._no_overlap(uow.session, membership)
            row = uow.add(MembershipRow, membership, exclude=keep_id(uow.session, MembershipRow, membership.id))
            uow.audit(AuditOperation.COLLECTION, "membership", row.id,
                      f"person {person.reference} in group {membership.group_id}")
            return to_record(row, Membership)

    def update_member(self, membership: Membership) -> Membership:
        """Change a membership's group, role or dates (ending it is setting ``end``)."""
        self.require(Role.COORDINATOR, Role.ANALYST, entity="membership", ref=membership.id or "")
        membership.validate()
        with self.tx() as uow:
            row = uow.get(MembershipRow, membership.id, "membership")
            uow.get(GroupRow, membership.group_id, "group")
            if membership.person_id != row.person_id:
                raise ValidationError("person_id", "a membership stays with its person")
            self._no_overlap(uow.session, membership)
            uow.alter(row, membership, "membership", row.id)
            return to_record(row, Membership)

    def remove_member(self, membership_id: int) -> Membership:
        """Delete a membership recorded in error (to end one, set its end date). Returns
        what was removed, so it can be put back."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.ERASURE,
                     entity="membership", ref=membership_id)
        with self.tx() as uow:
            row = uow.get(MembershipRow, membership_id, "membership")
            person = uow.get(PersonRow, row.person_id, "person")
            removed = uow.remove(row, Membership)
            uow.audit(AuditOperation.ERASURE, "membership", membership_id,
                      f"person {person.reference} from group {removed.group_id}")
            return removed

    def relate(self, relation: GroupRelation) -> GroupRelation:
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.COLLECTION, entity="group_relation")
        relation.validate()
        with self.tx() as uow:
            uow.get(GroupRow, relation.group_id, "group")
            uow.get(GroupRow, relation.other_group_id, "group")
            a, b = sorted((relation.group_id, relation.other_group_id))
            existing = uow.session.scalar(select(GroupRelationRow).where(
                GroupRelationRow.group_id == a, GroupRelationRow.other_group_id == b))
            if existing is not None:
                raise ValidationError("other_group_id", "these groups are already related")
            values = column_values(relation) | {"group_id": a, "other_group_id": b}
            row = GroupRelationRow(**values)
            uow.session.add(row)
            uow.session.flush()
            uow.audit(AuditOperation.COLLECTION, "group_relation", row.id,
                      f"{row.kind} between groups {a} and {b}")
            return to_record(row, GroupRelation)

    def rivals(self, group_ids: set[int]) -> set[tuple[int, int]]:
        """Pairs among ``group_ids`` that are in rivalry."""
        with self.tx() as uow:
            rows = uow.session.execute(select(GroupRelationRow.group_id,
                                              GroupRelationRow.other_group_id).where(
                GroupRelationRow.kind == "rivalry",
                GroupRelationRow.group_id.in_(group_ids),
                GroupRelationRow.other_group_id.in_(group_ids)))
            return {(a, b) for a, b in rows}

    @staticmethod
    def _no_overlap(session, membership: Membership) -> None:
        """One current membership of a person in a group at a time."""
        if membership.end is not None:
            return
        clash = session.scalar(select(MembershipRow.id).where(
            MembershipRow.person_id == membership.person_id,
            MembershipRow.group_id == membership.group_id, MembershipRow.end.is_(None),
            MembershipRow.id != (membership.id or -1)))
        if clash is not None:
            raise ValidationError("group_id", "this person is already a current member of "
                                              "this group")

    @staticmethod
    def _unique(session, group: Group) -> None:
        clash = session.scalar(select(GroupRow.id).where(
            GroupRow.name == group.name, GroupRow.id != (group.id or -1)))
        if clash is not None:
            raise ValidationError("name", "another group already has this name")

