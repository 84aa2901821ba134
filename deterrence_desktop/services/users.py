"""The partnership's team: who signs in, and the partnership's own settings."""
from __future__ import annotations

from sqlalchemy import func, select

from ..domain.enums import AuditOperation, Role
from ..domain.errors import DeterrenceError, ValidationError
from ..domain.model import Partnership, User
from ..store.mapping import changed_fields, to_record
from ..store.tables import PartnershipRow, UserRow
from .base import Actor, Service


class SignInFailed(DeterrenceError):
    """The user name or personal password is wrong (the message does not say which)."""


SIGN_IN_FAILED = "The user name or password is wrong"


def _signed_in(via: str) -> str:
    return f"signed in ({via})" if via else "signed in"


class UserService(Service):
    def list(self) -> list[User]:
        with self.tx() as uow:
            return [to_record(r, User)
                    for r in uow.session.scalars(select(UserRow).order_by(UserRow.display_name))]

    def create(self, user: User, password: str | None = None) -> User:
        """Add a user (coordinators only, once the first user exists), optionally with
        their personal password."""
        if self.app.has_users():
            self.require(Role.COORDINATOR, operation=AuditOperation.COLLECTION, entity="user",
                         ref=user.username)
        user.validate()
        if password is not None:
            from ..security import passwords
            try:
                passwords.check_new_password(password, username=user.username)
            except passwords.PasswordRule as exc:
                raise ValidationError("password", str(exc)) from None
        with self.tx() as uow:
            if uow.session.scalar(select(UserRow.id).where(UserRow.username == user.username)):
                raise ValidationError("username", "this user name is taken")
            row = uow.add(UserRow, user)
            uow.audit(AuditOperation.COLLECTION, "user", row.username, f"role={row.role}")
            result = to_record(row, User)
        if password is not None:
            self.set_password(user.username, password)
        return result

    def sign_in(self, username: str, password: str | None = None, *, via: str = "") -> Actor:
        """The actor for ``username`` after checking their personal password (Argon2id).

        A user without a personal password yet (a new workspace, a demo user) is signed
        in by the workspace passphrase alone; :meth:`needs_password` tells the app to ask
        them to choose one. Failures are audited and say nothing about which part was
        wrong. ``via`` says where (e.g. "command line: export"), for the audit entry.
        """
        from ..security import passwords

        with self.tx() as uow:
            row = uow.session.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                passwords.verify_password(passwords.dummy_hash(), password)   # same time either way
            ok = row is not None and row.active and (
                not row.password_hash or passwords.verify_password(row.password_hash, password))
            if not ok:
                failed = True
            else:
                failed = False
                if row.password_hash and passwords.needs_rehash(row.password_hash) \
                        and not self.app.workspace.read_only:
                    row.password_hash = passwords.hash_password(password or "")
                uow.audit(AuditOperation.CONSULTATION, "session", row.username, _signed_in(via))
                actor = Actor(row.username, row.display_name, Role(row.role), row.partner_id)
        if failed:
            if not self.app.workspace.read_only:
                with self.tx() as uow:
                    uow.audit(AuditOperation.CONSULTATION, "session", username[:64],
                              f"sign-in refused ({via})" if via else "sign-in refused")
            raise SignInFailed(SIGN_IN_FAILED)
        return actor

    def record_sign_in(self, via: str = "") -> None:
        """Audit a sign-in the server checked (its login and password): on a server the
        login is the user, so there is no password of the app's to check."""
        with self.tx() as uow:
            uow.audit(AuditOperation.CONSULTATION, "session", self.actor.username,
                      _signed_in(via))

    def needs_password(self, username: str) -> bool:
        """True when ``username`` has no personal password yet."""
        with self.tx() as uow:
            return not uow.session.scalar(
                select(UserRow.password_hash).where(UserRow.username == username))

    def password_set(self) -> dict[str, bool]:
        """username -> whether a personal password is set (for the user list)."""
        with self.tx() as uow:
            return {u: bool(h) for u, h in uow.session.execute(
                select(UserRow.username, UserRow.password_hash))}

    def set_password(self, username: str, new_password: str,
                     current_password: str | None = None) -> None:
        """Set ``username``'s personal password. A coordinator sets anyone's; everyone
        else changes only their own, giving the current one (if they have one)."""
        from ..security import passwords

        own = username == self.actor.username
        if not own:
            self.require(Role.COORDINATOR, entity="user", ref=username)
        try:
            passwords.check_new_password(new_password, username=username)
        except passwords.PasswordRule as exc:
            raise ValidationError("password", str(exc)) from None
        digest = passwords.hash_password(new_password)
        with self.tx() as uow:
            row = uow.session.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise ValidationError("username", "no user with this name")
            if own and self.actor.role != Role.COORDINATOR and row.password_hash and \
                    not passwords.verify_password(row.password_hash, current_password):
                raise ValidationError("current_password", "the current password is wrong")
            row.password_hash = digest
            uow.audit(AuditOperation.ALTERATION, "user", row.username, "fields=password")

    def update(self, user: User) -> User:
        """Change a user's name, role, partner or active flag (coordinators only). The
        last active coordinator cannot be demoted or deactivated."""
        self.require(Role.COORDINATOR, entity="user", ref=user.username)
        user.validate()
        with self.tx() as uow:
            row = uow.get(UserRow, user.id, "user")
            if user.username != row.username:
                raise ValidationError("username", "a user name cannot be changed")
            changes = changed_fields(row, user)
            losing = row.role == Role.COORDINATOR.value and row.active and (
                changes.get("role", row.role) != Role.COORDINATOR.value
                or changes.get("active", True) is False)
            if losing:
                others = uow.session.scalar(select(func.count()).select_from(UserRow).where(
                    UserRow.role == Role.COORDINATOR.value, UserRow.active.is_(True),
                    UserRow.id != row.id))
                if not others:
                    raise ValidationError("role", "the workspace needs at least one active coordinator")
            uow.alter(row, user, "user", row.username)
            return to_record(row, User)

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
        self.require(Role.COORDINATOR, entity="partnership")
        partnership.validate()
        with self.tx() as uow:
            row = uow.session.scalar(select(PartnershipRow))
            if row is None:
                row = uow.add(PartnershipRow, partnership)
                uow.audit(AuditOperation.COLLECTION, "partnership", row.id, "partnership set up")
            else:
                uow.alter(row, partnership, "partnership", row.id)
            return to_record(row, Partnership)
