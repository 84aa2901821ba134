"""Reading the audit trail: the newest entries, by operation, and verifying the chain."""
from __future__ import annotations

from ..domain.enums import AuditOperation, Role
from . import audit
from .base import Service


class AuditLogService(Service):
    """Coordinators and analysts read the trail; partner officers do not."""

    def entries(self, limit: int = 2000, offset: int = 0,
                operation: AuditOperation | str | None = None) -> list[audit.AuditEntry]:
        """Entries newest first, optionally of one operation."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.CONSULTATION,
                     entity="audit_entry")
        with self.tx() as uow:
            return audit.recent(uow.session, limit, offset, operation or None)

    def verify(self) -> audit.ChainReport:
        """Walk the whole hash chain (see :func:`audit.verify`)."""
        self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.CONSULTATION,
                     entity="audit_entry")
        with self.tx() as uow:
            return audit.verify(uow.session)
