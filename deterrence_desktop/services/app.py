"""One object that gives the layers above every service of an open workspace."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import exists, select

from ..domain import clock as _clock
from ..domain.enums import Role
from ..domain.model import Partnership, User
from ..store.tables import UserRow
from ..store.workspace import Workspace
from .actions import ActionService
from .anchors import AnchorService
from .base import SYSTEM, Actor
from .auditlog import AuditLogService
from .retention import RetentionService
from .settings import SettingsService
from .backup import BackupService
from .board import BoardService
from .callins import CallInService
from .catalogue import CatalogueService
from .cohorts import CohortService
from .communications import CommunicationService
from .contacts import ContactService
from .group_audit import GroupAuditService
from .continuity import ContinuityService
from .custody import CustodyService
from .groups import GroupService
from .incidents import IncidentService
from .links import LinkService
from .imports.service import ImportService
from .letters import LetterService
from .maintenance import MaintenanceService
from .meetings import MeetingService
from .network import NetworkService
from .notifications import NotificationService
from .evaluation import EvaluationService
from .outcomes import OutcomeService
from .partners import PartnerService
from .people import PeopleService
from .reach import ReachService
from .release_planner import ReleasePlannerService
from .trackers import TrackerService
from .users import PartnershipService, UserService


class WorkspaceServices:
    """The services of one open workspace, acting for one signed-in user."""

    def __init__(self, workspace: Workspace, actor: Actor = SYSTEM, today: date | None = None,
                 clock: _clock.Clock | None = None):
        self.workspace = workspace
        self.actor = actor
        # The services' clock: given, or set to ``today`` (a test, a demo made for a date),
        # else the process clock. Every "today" and "now" above the store reads this one.
        self._clock = clock if clock is not None else (
            _clock.FixedClock(today) if today is not None else None)
        self.people = PeopleService(self)
        self.groups = GroupService(self)
        self.partners = PartnerService(self)
        self.actions = ActionService(self)
        self.communications = CommunicationService(self)
        self.cohorts = CohortService(self)
        self.catalogue = CatalogueService(self)
        self.users = UserService(self)
        self.partnership = PartnershipService(self)
        self.maintenance = MaintenanceService(self)
        self.audit_log = AuditLogService(self)
        self.retention = RetentionService(self)
        self.settings = SettingsService(self)
        self.backup = BackupService(self)
        self.trackers = TrackerService(self)
        self.callins = CallInService(self)
        self.notifications = NotificationService(self)
        self.contacts = ContactService(self)
        self.board = BoardService(self)
        self.meetings = MeetingService(self)
        self.letters = LetterService(self)
        self.imports = ImportService(self)
        self.anchors = AnchorService(self)
        self.incidents = IncidentService(self)      # issue 14: the group audit and the network
        self.links = LinkService(self)
        self.reach = ReachService(self)
        self.group_audit = GroupAuditService(self)
        self.network = NetworkService(self)
        self.outcomes = OutcomeService(self)
        self.evaluation = EvaluationService(self)
        self.custody = CustodyService(self)
        self.continuity = ContinuityService(self)
        self.release_planner = ReleasePlannerService(self)

    @property
    def clock(self) -> _clock.Clock:
        return self._clock if self._clock is not None else _clock.clock()

    def today(self) -> date:
        return self.clock.today()

    def now(self) -> datetime:
        """Local wall time, naive, from the services' clock."""
        return self.clock.now()

    def utcnow(self) -> datetime:
        return self.clock.utcnow()

    def has_users(self) -> bool:
        with self.workspace.session() as s:
            return bool(s.scalar(select(exists().where(UserRow.id.is_not(None)))))

    def as_user(self, username: str) -> "WorkspaceServices":
        """The same workspace, acting for ``username`` (who must be an active user). On a
        server the user is the login, so this signs in as that login (tests, tools that
        hold several logins' passwords)."""
        if getattr(self.workspace, "kind", "file") == "server":
            return WorkspaceServices.for_server(self.workspace.connect_as(username),
                                                clock=self._clock)
        actor = self.users.actor_for(username)
        return WorkspaceServices(self.workspace, actor, clock=self._clock)

    @classmethod
    def for_server(cls, workspace, clock: _clock.Clock | None = None, *,
                   via: str = "") -> "WorkspaceServices":
        """The services of a server workspace, acting as its login's user. The role is
        the server's (the group role its grants enforce), the rest the user's row."""
        from ..domain.errors import ValidationError
        from ..store.errors import ServerRefused

        base = cls(workspace, SYSTEM, clock=clock)
        try:
            actor = base.users.actor_for(workspace.username)
        except ValidationError:
            raise ServerRefused(
                "This login has no active user in the workspace: a coordinator adds it with "
                "`deterrence-desktop server add-user`") from None
        role = workspace.role()
        if role is None:
            raise ServerRefused("This login has no role on the server (coordinator, analyst or "
                                "partner officer): a coordinator grants one with "
                                "`deterrence-desktop server add-user`")
        if role != actor.role:
            actor = Actor(actor.username, actor.display_name, role, actor.partner_id)
        app = cls(workspace, actor, clock=clock)
        if via:
            app.users.record_sign_in(via)
        return app

    @classmethod
    def create_workspace(cls, path: Path | str, passphrase: str, partnership: Partnership,
                         first_user: User) -> "WorkspaceServices":
        """A new workspace with its partnership and first (coordinator) user."""
        partnership.validate()
        first_user.role = Role.COORDINATOR
        first_user.validate()
        ws = Workspace.create(path, passphrase)
        try:
            app = cls(ws)
            app.partnership.save(partnership)
            app.users.create(first_user)
            return app.as_user(first_user.username)
        except BaseException:
            ws.close()
            raise

    def close(self) -> None:
        self.workspace.close()
