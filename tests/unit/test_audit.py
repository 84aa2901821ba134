"""The audit trail: append-only, hash-chained, written in the same transaction as the work."""
from __future__ import annotations

import pytest
import sqlcipher3
from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError, IntegrityError

from deterrence_desktop.domain.enums import AuditOperation
from deterrence_desktop.domain.errors import ValidationError
from deterrence_desktop.domain.model import Person
from deterrence_desktop.services import audit
from deterrence_desktop.store import cipher
from deterrence_desktop.store.tables import AuditEntryRow, PersonRow

from conftest import PASSPHRASE


def raw_keyed(path):
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = {cipher.quote_key(PASSPHRASE)}")
    return conn


def entries(app) -> list[audit.AuditEntry]:
    with app.workspace.session() as s:
        return list(reversed(audit.recent(s, limit=100_000)))


def count(app, table) -> int:
    with app.workspace.session() as s:
        return s.scalar(select(func.count()).select_from(table))


def fictional_person(**kw) -> Person:
    values = dict(reference="", given_name="Testy", family_name="Fictionperson",
                  aliases=["Sprocket"])
    values.update(kw)
    return Person(**values)


def make_entries(app, n: int = 6) -> None:
    """A few real service calls, each one audited."""
    for _ in range(n):
        app.people.page(1)


def audit_problems(app) -> list[str]:
    report = app.maintenance.check()
    return [p for r in report.results if r.name.startswith("audit chain") for p in r.problems]


# -- each operation is audited, by the signed-in user, with no personal values -----------

def test_collection_alteration_consultation_are_audited(demo_app):
    start = len(entries(demo_app))
    person = demo_app.people.create(fictional_person())
    person.family_name = "Renamedfiction"
    person.aliases = ["Cog"]
    demo_app.people.update(person)
    demo_app.people.page(person.id)
    new = entries(demo_app)[start:]
    assert [(e.operation, e.entity, e.entity_ref) for e in new] == [
        (AuditOperation.COLLECTION.value, "person", person.reference),
        (AuditOperation.ALTERATION.value, "person", person.reference),
        (AuditOperation.CONSULTATION.value, "person", person.reference),
    ]
    assert new[1].detail == "fields=aliases,family_name"
    for e in new:
        assert e.username == "demo.coordinator"
        assert e.at.endswith("+00:00")
        for personal in ("Testy", "Fictionperson", "Renamedfiction", "Sprocket", "Cog"):
            assert personal not in e.detail and personal not in e.entity_ref


def test_entries_are_chained(demo_app):
    make_entries(demo_app, 3)
    chain = entries(demo_app)
    assert chain[0].prev_hash == audit.GENESIS
    for before, after in zip(chain, chain[1:]):
        assert after.seq == before.seq + 1
        assert after.prev_hash == before.hash
    assert audit_problems(demo_app) == []


# -- the same transaction: a failing call leaves no audit entry, and no data -------------

def test_failing_validation_writes_no_entry(demo_app):
    before = len(entries(demo_app))
    with pytest.raises(ValidationError) as err:
        demo_app.people.create(fictional_person(given_name=""))
    assert err.value.field == "given_name"
    assert len(entries(demo_app)) == before


def test_database_failure_after_the_write_leaves_no_entry(demo_app, demo_path):
    # A real constraint failure inside the service's transaction, after validation.
    conn = raw_keyed(demo_path)
    conn.execute("CREATE TRIGGER refuse_person BEFORE INSERT ON person "
                  "BEGIN SELECT RAISE(ABORT, 'refused by test'); END")
    conn.close()
    people, audit_rows = count(demo_app, PersonRow), count(demo_app, AuditEntryRow)
    with pytest.raises(IntegrityError, match="refused by test"):
        demo_app.people.create(fictional_person())
    assert count(demo_app, PersonRow) == people
    assert count(demo_app, AuditEntryRow) == audit_rows


def test_audit_failure_undoes_the_work(demo_app, demo_path):
    # If the audit entry cannot be written, the record it describes is not saved either.
    conn = raw_keyed(demo_path)
    conn.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entry "
                 "BEGIN SELECT RAISE(ABORT, 'audit refused by test'); END")
    conn.close()
    people = count(demo_app, PersonRow)
    with pytest.raises(IntegrityError, match="audit refused by test"):
        demo_app.people.create(fictional_person())
    assert count(demo_app, PersonRow) == people


def test_unit_of_work_rolls_back_its_audit_entry(demo_app):
    before = len(entries(demo_app))
    with pytest.raises(RuntimeError):
        with demo_app.people.tx() as uow:
            uow.audit(AuditOperation.DISCLOSURE, "person", "FD-0001", "test export",
                      recipient="Fictional Recipient")
            raise RuntimeError("the export failed")
    assert len(entries(demo_app)) == before


# -- append-only and tamper-evident -------------------------------------------------------

def test_triggers_refuse_update_and_delete(demo_app):
    make_entries(demo_app, 2)
    with pytest.raises(DatabaseError, match="append-only"):
        with demo_app.workspace.session() as s:
            s.execute(AuditEntryRow.__table__.update().values(detail="edited"))
    with pytest.raises(DatabaseError, match="append-only"):
        with demo_app.workspace.session() as s:
            s.execute(AuditEntryRow.__table__.delete().where(AuditEntryRow.seq == 1))
    assert audit_problems(demo_app) == []


def test_edited_entry_is_named(demo_app, demo_path):
    make_entries(demo_app, 4)
    conn = raw_keyed(demo_path)
    conn.execute("DROP TRIGGER audit_entry_no_update")
    conn.execute("UPDATE audit_entry SET username = 'someone.else' WHERE seq = 5")
    conn.close()
    problems = audit_problems(demo_app)
    assert problems == ["audit entry 5 was altered after it was written"]
    assert not demo_app.maintenance.check().ok


def test_rehashed_edit_breaks_the_next_link(demo_app, demo_path):
    # A forger who also recomputes the edited entry's hash is caught by the next entry.
    make_entries(demo_app, 4)
    e = entries(demo_app)[3]
    forged = audit.entry_hash(e.seq, e.at, e.username, e.operation, e.entity, e.entity_ref,
                              "forged detail", e.recipient, e.prev_hash)
    conn = raw_keyed(demo_path)
    conn.execute("DROP TRIGGER audit_entry_no_update")
    conn.execute("UPDATE audit_entry SET detail = 'forged detail', hash = ? WHERE seq = ?",
                 (forged, e.seq))
    conn.close()
    assert audit_problems(demo_app) == [f"audit entry {e.seq + 1} does not follow the entry before it"]


def test_deleted_middle_entry_is_detected(demo_app, demo_path):
    make_entries(demo_app, 4)
    conn = raw_keyed(demo_path)
    conn.execute("DROP TRIGGER audit_entry_no_delete")
    conn.execute("DELETE FROM audit_entry WHERE seq = 4")
    conn.close()
    problems = audit_problems(demo_app)
    assert "audit entries 4 to 4 are missing (deleted)" in problems
    assert "audit entry 5 does not follow the entry before it" in problems


def test_deleted_last_entries_are_detected(demo_app, demo_path):
    make_entries(demo_app, 4)
    last = entries(demo_app)[-1].seq
    conn = raw_keyed(demo_path)
    conn.execute("DROP TRIGGER audit_entry_no_delete")
    conn.execute("DELETE FROM audit_entry WHERE seq > ?", (last - 2,))
    conn.close()
    assert audit_problems(demo_app) == [
        f"the audit trail ends at entry {last - 2} but its recorded head is entry {last}: "
        "entries were removed from the end"]


def test_removed_head_is_detected(demo_app, demo_path):
    make_entries(demo_app, 1)
    conn = raw_keyed(demo_path)
    conn.execute("DELETE FROM workspace_meta WHERE key = ?", (audit.HEAD_KEY,))
    conn.close()
    assert audit_problems(demo_app) == ["the audit trail's recorded head is missing"]
