"""The audit trail: an append-only, hash-chained log of processing (DPA 2018 s.62).

Each entry records the operation (collection, alteration, consultation,
disclosure, combination, erasure), when, by whom, on which record (by id or
partnership reference), what changed (field names and counts, never values)
and, for a disclosure, the recipient. The entry's hash covers its own fields
and the previous entry's hash; the newest hash is also kept in
``workspace_meta`` so removing the last entries shows too.
"""
from __future__ import annotations

import hashlib
import json
from datetime import timezone
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..domain import clock
from ..domain.enums import AuditOperation
from ..store.tables import AuditEntryRow, WorkspaceMeta

GENESIS = "0" * 64
HEAD_KEY = "audit_head"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    username: str
    operation: str
    entity: str
    entity_ref: str
    detail: str
    recipient: str
    prev_hash: str
    hash: str


def entry_hash(seq: int, at: str, username: str, operation: str, entity: str,
               entity_ref: str, detail: str, recipient: str, prev_hash: str) -> str:
    canonical = json.dumps([seq, at, username, operation, entity, entity_ref, detail,
                            recipient, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(session: Session, username: str, operation: AuditOperation, entity: str,
           entity_ref: str = "", detail: str = "", recipient: str = "") -> AuditEntry:
    """Append one entry inside the caller's transaction."""
    operation = AuditOperation(operation)
    last = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = clock.utcnow().replace(tzinfo=timezone.utc).isoformat(timespec="microseconds")
    digest = entry_hash(seq, at, username, operation.value, entity, str(entity_ref), detail,
                        recipient, prev)
    row = AuditEntryRow(seq=seq, at=at, username=username, operation=operation.value,
                        entity=entity, entity_ref=str(entity_ref), detail=detail,
                        recipient=recipient, prev_hash=prev, hash=digest)
    session.add(row)
    head = session.get(WorkspaceMeta, HEAD_KEY)
    if head is None:
        session.add(WorkspaceMeta(key=HEAD_KEY, value=f"{seq}:{digest}"))
    else:
        head.value = f"{seq}:{digest}"
    session.flush()
    return AuditEntry(seq, at, username, operation.value, entity, str(entity_ref), detail,
                      recipient, prev, digest)


def append_many(session: Session, username: str,
                entries: list[tuple[AuditOperation, str, str, str, str]]) -> int:
    """Append (operation, entity, entity_ref, detail, recipient) entries in one go, inside the
    caller's transaction: the same chain as :func:`append`, one insert for them all (a batch
    of a thousand letters is a thousand disclosures). Returns the last sequence number."""
    if not entries:
        return 0
    session.flush()
    last = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    rows = []
    for operation, entity, entity_ref, detail, recipient in entries:
        seq += 1
        op = AuditOperation(operation).value
        at = clock.utcnow().replace(tzinfo=timezone.utc).isoformat(timespec="microseconds")
        digest = entry_hash(seq, at, username, op, entity, str(entity_ref), detail, recipient, prev)
        rows.append(dict(seq=seq, at=at, username=username, operation=op, entity=entity,
                         entity_ref=str(entity_ref), detail=detail, recipient=recipient,
                         prev_hash=prev, hash=digest))
        prev = digest
    session.execute(insert(AuditEntryRow), rows)
    head = session.get(WorkspaceMeta, HEAD_KEY)
    if head is None:
        session.add(WorkspaceMeta(key=HEAD_KEY, value=f"{seq}:{prev}"))
    else:
        head.value = f"{seq}:{prev}"
    session.flush()
    return seq


def head(session: Session) -> tuple[int, str]:
    """The chain's head, ``(seq, hash)`` of the newest entry (``(0, GENESIS)`` when empty):
    the anchor that backups, exports and witness files carry out of the file."""
    last = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq.desc()).limit(1)
    ).first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


@dataclass
class ChainReport:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> ChainReport:
    """Walk the whole chain; name every entry that was edited, removed or inserted."""
    report = ChainReport()
    expected_prev, expected_seq = GENESIS, 1
    rows = session.execute(select(
        AuditEntryRow.seq, AuditEntryRow.at, AuditEntryRow.username, AuditEntryRow.operation,
        AuditEntryRow.entity, AuditEntryRow.entity_ref, AuditEntryRow.detail,
        AuditEntryRow.recipient, AuditEntryRow.prev_hash, AuditEntryRow.hash,
    ).order_by(AuditEntryRow.seq)).yield_per(5000)
    last_seq, last_hash = 0, GENESIS
    for row in rows:
        report.entries += 1
        seq = row.seq
        if seq != expected_seq:
            report.problems.append(
                f"audit entries {expected_seq} to {seq - 1} are missing (deleted)")
        if row.prev_hash != expected_prev:
            report.problems.append(f"audit entry {seq} does not follow the entry before it")
        recomputed = entry_hash(seq, row.at, row.username, row.operation, row.entity,
                                row.entity_ref, row.detail, row.recipient, row.prev_hash)
        if recomputed != row.hash:
            report.problems.append(f"audit entry {seq} was altered after it was written")
        expected_prev, expected_seq = row.hash, seq + 1
        last_seq, last_hash = seq, row.hash
    head = session.get(WorkspaceMeta, HEAD_KEY)
    if head is not None:
        head_seq, _, head_hash = head.value.partition(":")
        if int(head_seq) != last_seq or head_hash != last_hash:
            report.problems.append(
                f"the audit trail ends at entry {last_seq} but its recorded head is entry "
                f"{head_seq}: entries were removed from the end")
    elif report.entries:
        report.problems.append("the audit trail's recorded head is missing")
    return report


def recent(session: Session, limit: int = 500, offset: int = 0,
           operation: AuditOperation | None = None) -> list[AuditEntry]:
    q = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit).offset(offset)
    if operation is not None:
        q = q.where(AuditEntryRow.operation == AuditOperation(operation).value)
    return [AuditEntry(r.seq, r.at, r.username, r.operation, r.entity, r.entity_ref, r.detail,
                       r.recipient, r.prev_hash, r.hash) for r in session.scalars(q)]
