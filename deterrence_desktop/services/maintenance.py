"""Facts about a workspace (`info`), its health (`check`), and changing its passphrase."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from ..domain.enums import AuditOperation, Role
from ..domain.errors import DeterrenceError
from ..store import migrations
from ..store.tables import COUNTED_TABLES, PartnershipRow
from . import audit, unaudited
from .backup import BackupFailed, BackupInfo, rekey_backup, verify_backup
from .base import Service
from .views import WorkspaceInfo


@dataclass
class CheckResult:
    name: str
    ok: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


@dataclass
class PassphraseChange:
    reencrypted: list[BackupInfo] = field(default_factory=list)
    left: list[BackupInfo] = field(default_factory=list)       # still on the previous passphrase
    failed: list[str] = field(default_factory=list)            # why a re-encryption failed


class MaintenanceService(Service):
    def change_passphrase(self, old: str, new: str, *,
                          reencrypt_backups: bool = False) -> PassphraseChange:
        """Re-encrypt the workspace under ``new`` (coordinators only; the caller holds the
        writer lock and has made sure no other process has the file open). With
        ``reencrypt_backups`` each backup is re-encrypted too; those left as they were
        are remembered (name, SHA-256) so ``backups`` says they use the previous
        passphrase. The change is audited, naming what happened to the backups."""
        from ..store.workspace import check_new_passphrase

        self.require(Role.COORDINATOR, entity="workspace", ref="passphrase")
        check_new_passphrase(new)
        backups = self.app.backup.list()
        self.app.workspace.change_passphrase(old, new)
        result = PassphraseChange()
        for b in backups:
            if reencrypt_backups:
                try:
                    rekey_backup(b.path, old, new)
                    result.reencrypted.append(b)
                    continue
                except BackupFailed as exc:
                    result.failed.append(str(exc))
            result.left.append(b)
        # Remembered as "on the previous passphrase" only if sound with it now: damage found
        # later, or already there, is still reported as damage.
        sound = [b for b in result.left if not verify_backup(b.path, old)]
        with self.tx() as uow:
            self.app.backup.remember_previous_passphrase(uow, sound, self.today().isoformat())
            uow.audit(AuditOperation.ALTERATION, "workspace", "passphrase",
                      f"passphrase changed; backups: {len(result.reencrypted)} re-encrypted, "
                      f"{len(result.left)} left with the previous passphrase")
        return result

    def info(self) -> WorkspaceInfo:
        ws = self.app.workspace
        with self.tx() as uow:
            s = uow.session
            counts = {t.__tablename__: s.scalar(select(func.count()).select_from(t))
                      for t in COUNTED_TABLES}
            partnership = s.scalar(select(PartnershipRow.name)) or ""
        return WorkspaceInfo(path=str(ws.path), workspace_id=ws.workspace_id,
                             schema_version=migrations.current(ws.engine) or "",
                             partnership=partnership, counts=counts,
                             cipher=ws.raw_cipher_settings())

    def check(self, anchor_files: tuple[Path, ...] = (), passphrase: str | None = None) -> CheckReport:
        """Page HMACs (cipher_integrity_check), SQLite's structure (integrity_check),
        the audit chain, its append-only triggers and the anchors of its history (the
        backups folder's, ``anchor_files``' and the workspace's own record; with
        ``passphrase`` also the newest backup's chain, see services/anchors.py).
        The WAL is checkpointed first so every page is checked.
        A check that cannot finish because a page fails to decrypt is reported as
        failed, with the reason; it never shows content from that page."""
        ws = self.app.workspace
        report = CheckReport()
        # A server workspace (PostgreSQL): no file, so no page HMACs, no SQLite structure,
        # no checkpoint and no backups folder beside it; its chain and the server's
        # append-only triggers, audit function and row-level security are checked.
        on_server = ws.engine.dialect.name == "postgresql"
        if on_server:
            # A partner officer's session sees only its part of the trail, which would
            # look like a broken chain: the whole trail is for coordinators and analysts.
            self.require(Role.COORDINATOR, Role.ANALYST, operation=AuditOperation.CONSULTATION,
                         entity="audit")

        def run(name: str, fn) -> None:
            try:
                result = fn()
                if result is not None:
                    report.results.append(result)
            except (DBAPIError, DeterrenceError) as exc:
                report.results.append(CheckResult(name, False, [_unfinished(exc)]))

        if not ws.read_only and not on_server:
            with contextlib.suppress(DBAPIError, DeterrenceError):
                ws.checkpoint()

        def cipher_check() -> CheckResult:
            with ws.engine.connect() as c:
                rows = [r[0] for r in c.exec_driver_sql("PRAGMA cipher_integrity_check")]
            return CheckResult("cipher integrity (page HMACs)", not rows, rows[:20])

        def sqlite_check() -> CheckResult:
            with ws.engine.connect() as c:
                rows = [r[0] for r in c.exec_driver_sql("PRAGMA integrity_check")]
            ok = rows == ["ok"]
            return CheckResult("SQLite integrity", ok, [] if ok else rows[:20])

        def fk_check() -> CheckResult:
            with ws.engine.connect() as c:
                fk = list(c.exec_driver_sql("PRAGMA foreign_key_check"))
            return CheckResult("foreign keys", not fk,
                               [f"{r[0]} row {r[1]} refers to a missing {r[2]}" for r in fk[:20]])

        walked: list[audit.ChainReport] = []     # the chain, walked once for the anchors too

        def chain_check() -> CheckResult:
            with self.tx() as uow:
                chain = audit.verify(uow.session, keep_chain=True)
            walked.append(chain)
            return CheckResult(f"audit chain ({chain.entries} entries)", chain.ok,
                               chain.problems[:50])

        def trigger_check() -> CheckResult:
            with self.tx() as uow:
                problems = audit.trigger_problems(uow.session)
            return CheckResult("audit trail append-only triggers", not problems, problems)

        def anchor_check() -> CheckResult:
            anchors = self.app.anchors.check(anchor_files, passphrase,
                                             walked[0] if walked else None)
            return CheckResult(anchors.summary(), anchors.ok, anchors.problems + anchors.notes)

        def people_check() -> CheckResult | None:
            try:
                found = unaudited.since_newest_backup(self.app, passphrase)
            except Exception as exc:    # noqa: BLE001 - read on the driver's own connection
                return CheckResult("people changed outside the app", False, [_unfinished(exc)])
            return None if found is None else CheckResult(found[0], not found[1], found[1])

        if on_server:
            run("audit chain", chain_check)
            run("audit trail append-only triggers", trigger_check)
            run("audit anchors", anchor_check)      # the files given and its own record
            return report
        run("cipher integrity (page HMACs)", cipher_check)
        run("SQLite integrity", sqlite_check)
        run("foreign keys", fk_check)
        run("audit chain", chain_check)
        run("audit trail append-only triggers", trigger_check)
        run("audit anchors", anchor_check)
        if passphrase is not None:
            run("people changed outside the app", people_check)
        return report


def _unfinished(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", exc)).lower()
    if "malformed" in msg or "not a database" in msg or "damaged" in msg:
        return "could not finish: a page failed its check while it was read"
    return "could not finish: " + type(exc).__name__
