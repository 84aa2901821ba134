"""The partnership's team: who signs in, and the partnership's own settings."""
from __future__ import annotations

from sqlalchemy import select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import ValidationError
from ..domain.model import Partnership, User
from ..store.mapping import changed_fields, column_values, to_record
from ..store.tables import PartnershipRow, UserRow
from .base import Actor, Service


class UserService(Service):
    def list(self) -> list[User]:
        with self.tx() as uow:
            return [to_record(r, User)
                    for r in uow.session.scalars(select(UserRow).order_by(UserRow.display_name))]

    def create(self, user: User) -> User:
        if self.app.has_users():
            self.require(Role.COORDINATOR)
        user.validate()
        with self.tx() as uow:
            if uow.session.scalar(select(UserRow.id).where(UserRow.username == user.username)):
                raise ValidationError("username", "this user name is taken")
            row = UserRow(**column_values(user))
            uow.session.add(row)
            uow.session.flush()
            uow.audit(AuditOperation.COLLECTION, "user", row.username, f"role={row.role}")
            return to_record(row, User)

    def sign_in(self, username: str, password: str | None = None) -> Actor:
        """The actor for ``username`` after checking their personal password.

        Personal passwords (Argon2id) arrive with the trust work; until a user has
        one set, the workspace passphrase alone signs them in.
        """
        actor = self.actor_for(username)
        with self.tx() as uow:
            uow.audit(AuditOperation.CONSULTATION, "session", username, "signed in")
        return actor

    def actor_for(self, username: str) -> Actor:
        with self.tx() as uow:
            row = uow.session.scalar(select(UserRow).where(UserRow.username == username,
                                                           UserRow.active.is_(True)))
            if row is None:
                raise ValidationError("username", "no active user with this name")
            return Actor(row.username, row.display_name, Role(row.role), row.partner_id)


class PartnershipService(Service):
    def get(self) -> Partnership:
        with self.tx() as uow:
            row = uow.session.scalar(select(PartnershipRow))
            if row is None:
                return Partnership(name="", area="")
            return to_record(row, Partnership)

    def save(self, partnership: Partnership) -> Partnership:
        self.require(Role.COORDINATOR)
        partnership.validate()
        with self.tx() as uow:
            row = uow.session.scalar(select(PartnershipRow))
            if row is None:
                row = PartnershipRow(**column_values(partnership))
                uow.session.add(row)
                uow.session.flush()
                uow.audit(AuditOperation.COLLECTION, "partnership", row.id, "partnership set up")
            else:
                changes = changed_fields(row, partnership)
                for k, v in changes.items():
                    setattr(row, k, v)
                if changes:
                    uow.audit(AuditOperation.ALTERATION, "partnership", row.id,
                              "fields=" + ",".join(sorted(changes)))
            return to_record(row, Partnership)
