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

from sqlalchemy import insert, select, text
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


# The canonical form is json.dumps(..., ensure_ascii=False, separators=(",", ":")); one
# encoder made once gives the same text without building an encoder per entry.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def entry_hash(seq: int, at: str, username: str, operation: str, entity: str,
               entity_ref: str, detail: str, recipient: str, prev_hash: str) -> str:
    canonical = _CANONICAL.encode([seq, at, username, operation, entity, entity_ref, detail,
                                   recipient, prev_hash])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def on_server(session: Session) -> bool:
    """True when ``session`` is on a PostgreSQL workspace, where the server writes the trail."""
    return session.get_bind().dialect.name == "postgresql"


# On a server the entry is written by the server (migration 0007): the user is the
# session's login, the time the server's, the chain extended under the server's lock.
_SERVER_APPEND = text("SELECT seq, at, username, prev_hash, hash "
                      "FROM dd_audit_append(:operation, :entity, :entity_ref, :detail, :recipient)")

# The same, one call for many entries, appended in the list's order (a nested loop over
# the array, one function call per element).
_SERVER_APPEND_MANY = text(
    "SELECT max(a.seq) FROM unnest(CAST(:operations AS text[]), CAST(:entities AS text[]), "
    "CAST(:refs AS text[]), CAST(:details AS text[]), CAST(:recipients AS text[])) "
    "WITH ORDINALITY AS u(operation, entity, entity_ref, detail, recipient, n) "
    "CROSS JOIN LATERAL dd_audit_append(u.operation, u.entity, u.entity_ref, u.detail, "
    "u.recipient) AS a")


def _server_append(session: Session, operation: str, entity: str, entity_ref: str,
                   detail: str, recipient: str) -> AuditEntry:
    session.flush()
    seq, at, username, prev, digest = session.execute(_SERVER_APPEND, dict(
        operation=operation, entity=entity, entity_ref=entity_ref, detail=detail,
        recipient=recipient)).one()
    return AuditEntry(seq, at, username, operation, entity, entity_ref, detail, recipient,
                      prev, digest)


def append(session: Session, username: str, operation: AuditOperation, entity: str,
           entity_ref: str = "", detail: str = "", recipient: str = "") -> AuditEntry:
    """Append one entry inside the caller's transaction. On a server ``username`` is not
    used: the entry names the session's login."""
    operation = AuditOperation(operation)
    if on_server(session):
        return _server_append(session, operation.value, entity, str(entity_ref), detail,
                              recipient)
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
    if on_server(session):
        session.flush()
        columns = list(zip(*((AuditOperation(op).value, entity, str(ref), detail, recipient)
                             for op, entity, ref, detail, recipient in entries)))
        return session.execute(_SERVER_APPEND_MANY, dict(
            operations=list(columns[0]), entities=list(columns[1]), refs=list(columns[2]),
            details=list(columns[3]), recipients=list(columns[4]))).scalar_one()
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
    the anchor that backups, exports and witness files carry out of the file. On a server it
    is the recorded head, which dd_audit_append moves with every entry under its lock: a
    partner officer, who cannot read the trail, anchors its letters with it."""
    if on_server(session):
        session.flush()
        recorded = session.scalar(select(WorkspaceMeta.value).where(
            WorkspaceMeta.key == HEAD_KEY))
        if not recorded:
            return 0, GENESIS
        seq, _, digest = recorded.partition(":")
        return int(seq), digest
    last = session.execute(
        select(AuditEntryRow.seq, AuditEntryRow.hash).order_by(AuditEntryRow.seq.desc()).limit(1)
    ).first()
    return (int(last[0]), str(last[1])) if last else (0, GENESIS)


@dataclass
class ChainReport:
    entries: int = 0
    problems: list[str] = field(default_factory=list)
    # Entries 1..valid_upto are numbered without a gap, chained, and recompute to their hash:
    # everything up to there is one unbroken history (what anchors are compared with).
    valid_upto: int = 0
    # (seq, hash) of every entry in order, when asked for (anchors, backups).
    chain: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def hash_at(self, seq: int) -> str | None:
        """The hash of entry ``seq`` if it lies in the unbroken part of the chain."""
        if 1 <= seq <= self.valid_upto and seq <= len(self.chain):
            return self.chain[seq - 1][1]
        return None


ENTRY_COLUMNS = ("seq", "at", "username", "operation", "entity", "entity_ref", "detail",
                 "recipient", "prev_hash", "hash")


def verify(session: Session, keep_chain: bool = False) -> ChainReport:
    """Walk the whole chain; name every entry that was edited, removed or inserted."""
    rows = session.connection().exec_driver_sql(
        f"SELECT {', '.join(ENTRY_COLUMNS)} FROM audit_entry ORDER BY seq")
    head = session.get(WorkspaceMeta, HEAD_KEY)
    return verify_rows(rows, head.value if head is not None else None, keep_chain)


def verify_rows(rows, head_value: str | None, keep_chain: bool = False) -> ChainReport:
    """:func:`verify` over ``rows`` (tuples in :data:`ENTRY_COLUMNS` order, by seq) and the
    recorded head (``"seq:hash"`` or None): also for a backup opened without the ORM."""
    report = ChainReport()
    expected_prev, expected_seq = GENESIS, 1
    last_seq, last_hash = 0, GENESIS
    unbroken = True
    for row in rows:
        seq, at, username, operation, entity, entity_ref, detail, recipient, prev_hash, digest = row
        report.entries += 1
        before = len(report.problems)
        if seq != expected_seq:
            report.problems.append(
                f"audit entries {expected_seq} to {seq - 1} are missing (deleted)")
        if prev_hash != expected_prev:
            report.problems.append(f"audit entry {seq} does not follow the entry before it")
        recomputed = entry_hash(seq, at, username, operation, entity, entity_ref, detail,
                                recipient, prev_hash)
        if recomputed != digest:
            report.problems.append(f"audit entry {seq} was altered after it was written")
        unbroken = unbroken and len(report.problems) == before
        if unbroken:
            report.valid_upto = seq
        if keep_chain:
            report.chain.append((seq, digest))
        expected_prev, expected_seq = digest, seq + 1
        last_seq, last_hash = seq, digest
    if head_value is not None:
        head_seq, _, head_hash = head_value.partition(":")
        if head_seq != str(last_seq) or head_hash != last_hash:
            report.problems.append(
                f"the audit trail ends at entry {last_seq} but its recorded head is entry "
                f"{head_seq}: entries were removed from the end")
    elif report.entries:
        report.problems.append("the audit trail's recorded head is missing")
    return report


# The append-only triggers exactly as migration 0001 creates them (a migration never
# changes, so neither does this text). `check` compares sqlite_master with it.
APPEND_ONLY_TRIGGERS = {
    "audit_entry_no_update": "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
                             "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
    "audit_entry_no_delete": "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
                             "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
}


def trigger_problems(session: Session) -> list[str]:
    """The append-only triggers missing or altered, and any other trigger that touches the
    audit trail or its recorded head (none is created by the app)."""
    if on_server(session):
        return server_trigger_problems(session)
    found = {name: sql for name, sql in session.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND (tbl_name IN "
        "('audit_entry', 'workspace_meta') OR sql LIKE '%audit_entry%' "
        "OR name IN ('audit_entry_no_update', 'audit_entry_no_delete'))"))}
    problems = []
    for name, expected in APPEND_ONLY_TRIGGERS.items():
        if name not in found:
            problems.append(f"the append-only trigger {name} is missing: someone removed it, "
                            "so audit entries could be changed or deleted")
        elif " ".join((found[name] or "").split()) != expected:
            problems.append(f"the append-only trigger {name} has been altered")
    for name in sorted(set(found) - set(APPEND_ONLY_TRIGGERS)):
        problems.append(f"an unexpected trigger {name} acts on the audit trail")
    return problems


# On a server (migration 0007): the append-only triggers, the function that alone writes the
# trail (SHA-256 of its source as the migration wrote it: a migration that replaces it
# changes this too), and the tables under row-level security that must stay so (these, and
# every table with a policy).
SERVER_APPEND_ONLY_TRIGGERS = ("audit_entry_no_delete", "audit_entry_no_truncate",
                               "audit_entry_no_update")
SERVER_APPEND_SOURCE_SHA256 = "06e666c9aabc488c3976196764171689509f3aa2988e2fceb6582de6544f3779"
SERVER_RLS_TABLES = ("action", "app_user", "person", "workspace_meta")


def server_trigger_problems(session: Session) -> list[str]:
    """:func:`trigger_problems` on a PostgreSQL workspace."""
    conn = session.connection()
    problems = []
    found = {name: (enabled, function, source) for name, enabled, function, source in
             conn.exec_driver_sql(
                 "SELECT t.tgname, t.tgenabled, p.proname, p.prosrc FROM pg_trigger t "
                 "JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal "
                 "AND t.tgrelid IN ('public.audit_entry'::regclass, "
                 "'public.workspace_meta'::regclass)")}
    for name in SERVER_APPEND_ONLY_TRIGGERS:
        if name not in found:
            problems.append(f"the append-only trigger {name} is missing: someone removed it, "
                            "so audit entries could be changed or deleted")
            continue
        enabled, function, source = found[name]
        if enabled not in ("O", "A"):
            problems.append(f"the append-only trigger {name} is disabled")
        if function != "dd_audit_append_only" or "the audit trail is append-only" not in source:
            problems.append(f"the append-only trigger {name} has been altered")
    for name in sorted(set(found) - set(SERVER_APPEND_ONLY_TRIGGERS)):
        problems.append(f"an unexpected trigger {name} acts on the audit trail")
    fn = conn.exec_driver_sql(
        "SELECT p.prosecdef, p.prosrc, p.proconfig, p.proowner = c.relowner "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "CROSS JOIN pg_class c WHERE n.nspname = 'public' AND p.proname = 'dd_audit_append' "
        "AND c.oid = 'public.audit_entry'::regclass").all()
    if len(fn) != 1:
        problems.append("the server's audit function dd_audit_append is missing or doubled")
    else:
        definer, source, config, same_owner = fn[0]
        if not definer or not same_owner or "search_path=public, pg_temp" not in (config or []):
            problems.append("the server's audit function dd_audit_append no longer runs as "
                            "the audit trail's owner")
        if hashlib.sha256(source.encode("utf-8")).hexdigest() != SERVER_APPEND_SOURCE_SHA256:
            problems.append("the server's audit function dd_audit_append has been altered")
    for table, secured in conn.exec_driver_sql(
            "SELECT relname, relrowsecurity FROM pg_class c WHERE relnamespace = "
            "'public'::regnamespace AND relkind = 'r' AND (relname = ANY(%(t)s) OR EXISTS "
            "(SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)) ORDER BY 1",
            {"t": list(SERVER_RLS_TABLES)}):
        if not secured:
            problems.append(f"row-level security is off on {table}: every login sees all of it")
    return problems


def recent(session: Session, limit: int = 500, offset: int = 0,
           operation: AuditOperation | None = None) -> list[AuditEntry]:
    q = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit).offset(offset)
    if operation is not None:
        q = q.where(AuditEntryRow.operation == AuditOperation(operation).value)
    return [AuditEntry(r.seq, r.at, r.username, r.operation, r.entity, r.entity_ref, r.detail,
                       r.recipient, r.prev_hash, r.hash) for r in session.scalars(q)]
