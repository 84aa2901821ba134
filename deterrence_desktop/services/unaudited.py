"""People's records changed with no audit entry, found between two copies of the workspace.

An edit made outside the app (any SQLCipher client, with the passphrase) leaves
the audit trail as it was, so the trail alone cannot show it. Two copies of the
file can: a backup and the next backup, or the newest backup and the live file.
Every person whose record differs between them must be named by an audit entry
about that person (their reference) written in between; one that is not was
changed outside the app.

What this cannot show: an edit made since the newest backup and undone before
the next, an edit to a person made together with an audited change to the same
person, an edit already in the oldest backup, an edit to the backups themselves,
and edits to any other table (only people's records are compared: they are what
matters most, and every change to them is audited by reference).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..store.tables import PersonRow

# The row version is left out: a backup made before migration 0006 has none, and it only
# counts edits (every audited edit raises it), it is not part of the record.
PERSON_COLUMNS = tuple(c.name for c in PersonRow.__table__.columns if c.name != "version")


@dataclass
class People:
    """One copy's people (by id), its audit head and its entries about people."""
    rows: dict[int, tuple]
    head: tuple[int, str]
    person_entries: list[tuple[int, str]]     # (seq, reference)
    hashes: dict[int, str]                    # seq -> hash, to see the histories are one


def read_people(conn) -> People:
    """From an open DBAPI connection (a backup's, or the live file's)."""
    rows = {r[0]: tuple(r) for r in conn.execute(
        f"SELECT {', '.join(PERSON_COLUMNS)} FROM person")}
    hashes = dict(conn.execute("SELECT seq, hash FROM audit_entry").fetchall())
    entries = conn.execute(
        "SELECT seq, entity_ref FROM audit_entry WHERE entity = 'person'").fetchall()
    head = max(hashes.items()) if hashes else (0, "")
    return People(rows, head, [(int(s), str(r)) for s, r in entries], hashes)


def read_people_file(path: Path | str, passphrase: str) -> People:
    from ..store import cipher

    conn = cipher.connect(Path(path), passphrase)
    try:
        conn.execute("PRAGMA query_only = ON")
        return read_people(conn)
    finally:
        conn.close()


def changed_without_entry(older: People, newer: People) -> list[str] | None:
    """References of the people whose records differ between ``older`` and ``newer`` with no
    audit entry naming them in between; None when the newer copy's trail does not hold the
    older's history (the comparison would mean nothing; the history check reports it)."""
    seq, digest = older.head
    if seq and newer.hashes.get(seq) != digest:
        return None
    named = {ref for s, ref in newer.person_entries if s > seq}
    ref = PERSON_COLUMNS.index("reference")
    out = set()
    for pid in older.rows.keys() | newer.rows.keys():
        before, after = older.rows.get(pid), newer.rows.get(pid)
        if before == after:
            continue
        refs = {r[ref] for r in (before, after) if r is not None}
        if not refs & named:
            out |= refs
    return sorted(out)


def live_people(workspace) -> People:
    """The open workspace's people, read on this thread's connection."""
    raw = workspace.engine.raw_connection()
    try:
        return read_people(raw.dbapi_connection)
    finally:
        raw.close()


def since_newest_backup(app, passphrase: str) -> tuple[str, list[str]] | None:
    """``(check name, problems)`` comparing the live file with the newest backup that opens
    and whose history the live trail still holds (a backup given up by a restore, or one
    whose history was rewritten, is passed over: the anchors report the latter); None when
    there is no such backup."""
    live = live_people(app.workspace)
    for b in app.backup.list()[:5]:
        try:
            older = read_people_file(b.path, passphrase)
        except Exception:       # noqa: BLE001 - `backups` reports why; try an older one
            continue
        refs = changed_without_entry(older, live)
        if refs is None:
            continue
        name = f"people changed outside the app (since backup {b.name})"
        return name, [say(refs, f"since backup {b.name}")] if refs else []
    return None


def say(refs: list[str], when: str) -> str:
    shown = ", ".join(refs[:20]) + (f" and {len(refs) - 20} more" if len(refs) > 20 else "")
    return (f"{len(refs)} people's records changed {when} with no audit entry naming them "
            f"(changed outside the app): {shown}")
