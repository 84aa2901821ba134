"""Row versions and edit conflicts (issue 17): every update checks the version it read;
a save from a stale copy shows both versions and writes nothing."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import flag_modified

from deterrence_desktop.domain.enums import ActionStatus, RiskLevel
from deterrence_desktop.domain.errors import ConflictError, EditConflict
from deterrence_desktop.domain.model import Person
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store.mapping import to_record
from deterrence_desktop.store.tables import AuditEntryRow, Base, PersonRow

pytestmark = pytest.mark.both_backends

# Every table whose rows the services change in place; action's version is older than 0006.
VERSIONED = {
    "partnership", "partner", "app_user", "person", "influencer", "group_record", "membership",
    "cohort_member", "call_in", "communication", "setting", "signatory", "custom_notification",
    "meeting_item", "custody_episode", "continuity_template", "template_step", "incident",
    "person_link", "group_audit", "outcome_event", "action",
}


def versioned_mappers():
    return {m.local_table.name: m for m in Base.registry.mappers if m.version_id_col is not None}


def audit_count(app) -> int:
    with app.workspace.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntryRow))


def stored_person(app, person_id: int) -> Person:
    with app.workspace.session() as s:
        return to_record(s.get(PersonRow, person_id), Person)


def someone_else(app) -> WorkspaceServices:
    """A second set of services on the same workspace: another coordinator's session."""
    return WorkspaceServices(app.workspace, clock=app._clock).as_user("demo.coordinator")


def first_person(app) -> Person:
    return app.people.get(app.people.list()[0].id)


def test_every_edited_table_has_a_version_the_mapper_checks():
    assert set(versioned_mappers()) == VERSIONED


def test_every_versioned_table_raises_its_version_and_refuses_a_stale_update(demo_app):
    """Each table: an update raises the version by one; an UPDATE from a session that
    read the row before another write (made behind its back) matches no row and fails."""
    from sqlalchemy.orm.exc import StaleDataError
    checked = []
    for name, mapper in sorted(versioned_mappers().items()):
        cls = mapper.class_
        column = next(c.key for c in mapper.column_attrs
                      if c.key not in ("id", "key", "version") and not c.columns[0].primary_key)
        with demo_app.workspace.session() as s:
            row = s.scalars(select(cls).limit(1)).first()
            if row is None:
                continue
            before = row.version
            flag_modified(row, column)
            s.flush()
            assert row.version == before + 1, name
            key = mapper.primary_key[0]
            s.execute(update(cls.__table__).where(key == mapper.primary_key_from_instance(row)[0])
                      .values(version=cls.__table__.c.version + 1))
            flag_modified(row, column)
            with pytest.raises(StaleDataError):
                s.flush()
            s.rollback()
        checked.append(name)
    # The demo has rows in nearly every table: the few it lacks are covered by the mapper.
    assert {"person", "partner", "group_record", "action", "app_user", "membership",
            "communication", "call_in", "custody_episode", "incident", "person_link",
            "outcome_event", "influencer"} <= set(checked)


def test_a_stale_record_raises_edit_conflict_and_writes_nothing(demo_app):
    mine = first_person(demo_app)
    other = someone_else(demo_app)
    theirs_saved = other.people.update(replace(other.people.get(mine.id), notes="Seen by theirs"))
    assert theirs_saved.version == mine.version + 1
    entries = audit_count(demo_app)

    with pytest.raises(EditConflict) as err:
        demo_app.people.update(replace(mine, notes="Mine", risk_level=RiskLevel.HIGH))
    conflict = err.value
    assert isinstance(conflict, ConflictError)
    assert (conflict.entity, conflict.ref) == ("person", mine.reference)
    assert conflict.mine.notes == "Mine" and conflict.mine.version == mine.version
    assert conflict.theirs.notes == "Seen by theirs"
    assert conflict.theirs.version == theirs_saved.version
    assert set(conflict.fields) >= {"notes"}
    assert "version" not in conflict.fields and "id" not in conflict.fields
    assert "Someone else changed this person" in str(conflict)
    assert conflict.saved_by == "Casey Demo (coordinator)"        # from the audit trail
    with demo_app.workspace.session() as s:     # the time of their save (on a server, its clock)
        assert conflict.saved_at == s.scalar(
            select(AuditEntryRow.at).where(AuditEntryRow.operation == "alteration",
                                           AuditEntryRow.entity == "person")
            .order_by(AuditEntryRow.seq.desc()).limit(1))
    # Nothing written, nothing audited as an alteration.
    assert stored_person(demo_app, mine.id) == theirs_saved
    assert audit_count(demo_app) == entries


def test_keep_mine_saves_over_theirs(demo_app):
    mine = first_person(demo_app)
    other = someone_else(demo_app)
    other.people.update(replace(other.people.get(mine.id), notes="Theirs"))
    with pytest.raises(EditConflict) as err:
        demo_app.people.update(replace(mine, notes="Mine"))
    kept = demo_app.people.update(replace(err.value.mine, version=err.value.theirs.version))
    assert kept.notes == "Mine"
    assert kept.version == err.value.theirs.version + 1
    assert stored_person(demo_app, mine.id).notes == "Mine"


def test_two_sessions_load_load_save_save(demo_app):
    """Load A, load B, save B, save A: A's save is refused, B's stays."""
    a, b = demo_app, someone_else(demo_app)
    pid = a.people.list()[1].id
    loaded_a, loaded_b = a.people.get(pid), b.people.get(pid)
    saved_b = b.people.update(replace(loaded_b, postcode="ZZ1 1ZZ"))
    with pytest.raises(EditConflict) as err:
        a.people.update(replace(loaded_a, postcode="ZZ9 9ZZ"))
    assert err.value.fields == ("postcode",)
    assert (err.value.mine.postcode, err.value.theirs.postcode) == ("ZZ9 9ZZ", "ZZ1 1ZZ")
    assert stored_person(a, pid) == saved_b


def test_an_interleaved_write_between_read_and_update_is_a_conflict_too(demo_app):
    """The version read was current when checked, but another transaction wrote the row
    before this one's UPDATE: the UPDATE matches no row; theirs is read after rollback."""
    person = first_person(demo_app)
    entries = audit_count(demo_app)
    svc = demo_app.people
    with pytest.raises(EditConflict) as err:
        with svc.tx() as uow:
            row = uow.get(PersonRow, person.id, "person")
            uow.check_version(row, person, "person", row.reference)       # current: passes
            table = PersonRow.__table__            # behind the ORM's back, as another client
            uow.session.execute(update(table).where(table.c.id == person.id).values(
                notes="Written meanwhile", version=table.c.version + 1))
            uow.alter(row, replace(person, notes="Mine"), "person", row.reference)
    conflict = err.value
    # This test's "other client" wrote inside the same transaction, so it rolled back too.
    assert conflict.theirs == person
    assert conflict.mine.notes == "Mine"
    assert "notes" in conflict.fields
    assert stored_person(demo_app, person.id) == person                 # all rolled back
    assert audit_count(demo_app) == entries


def test_two_transactions_interleaved_on_a_server(demo_app, backend):
    """On a server two clients really write at once: A reads the row, B saves it and
    commits, then A's UPDATE (WHERE version = what A read) matches nothing. A gets the
    conflict with B's version as theirs; B's save stands. (A file has one writer.)"""
    if backend != "server":
        pytest.skip("a workspace file has one writer at a time")
    person = first_person(demo_app)
    other = someone_else(demo_app)
    with pytest.raises(EditConflict) as err:
        with demo_app.people.tx() as uow:
            row = uow.get(PersonRow, person.id, "person")
            uow.check_version(row, person, "person", row.reference)       # current: passes
            theirs = other.people.update(replace(other.people.get(person.id), notes="B's"))
            uow.alter(row, replace(person, notes="A's"), "person", row.reference)
    assert err.value.theirs == theirs and err.value.fields == ("notes",)
    assert stored_person(demo_app, person.id) == theirs


def test_a_record_without_a_version_is_not_checked(demo_app):
    """Records built without reading (None) are saved as before, and still raise it."""
    person = first_person(demo_app)
    saved = demo_app.people.update(replace(person, notes="Unchecked", version=None))
    assert saved.version == person.version + 1


def test_the_services_raise_versions_and_refuse_stale_copies(demo_app):
    """Each form's service path carries the version through and refuses a stale one."""
    other = someone_else(demo_app)
    group = demo_app.groups.get(demo_app.groups.list()[0].id)
    partner = demo_app.partners.get(demo_app.partners.list()[0].id)
    user = next(u for u in demo_app.users.list() if u.username == "demo.analyst")
    partnership = demo_app.partnership.get()
    cases = [
        (group, lambda s, r: s.groups.update(r), "description"),
        (partner, lambda s, r: s.partners.update(r), "lead_contact"),
        (user, lambda s, r: s.users.update(r), "display_name"),
        (partnership, lambda s, r: s.partnership.save(r), "area"),
    ]
    for record, save, field in cases:
        assert record.version is not None, type(record).__name__
        theirs = save(other, replace(record, **{field: "Theirs (fictional)"}))
        assert theirs.version == record.version + 1
        with pytest.raises(EditConflict) as err:
            save(demo_app, replace(record, **{field: "Mine (fictional)"}))
        assert err.value.fields == (field,), type(record).__name__
        kept = save(demo_app, replace(record, **{field: "Mine (fictional)"},
                                      version=err.value.theirs.version))
        assert getattr(kept, field) == "Mine (fictional)"
        assert kept.version == record.version + 2


def test_action_update_and_status_change_check_the_version(demo_app):
    action = demo_app.actions.get(demo_app.board.load().cards[0].id)
    other = someone_else(demo_app)
    other.actions.update(replace(action, notes="Theirs"))
    with pytest.raises(EditConflict) as err:
        demo_app.actions.update(replace(action, notes="Mine"))
    assert err.value.fields == ("notes",)
    changed = demo_app.actions.set_status(action.id, ActionStatus.IN_PROGRESS)   # reads afresh
    assert changed.version == action.version + 2


def test_a_board_move_on_a_card_changed_meanwhile_is_a_conflict(demo_app):
    card = next(c for c in demo_app.board.load().cards if c.status == "planned")
    other = someone_else(demo_app)
    other.board.move(card.id, ActionStatus.BLOCKED, "Waiting for a (fictional) referral",
                     expected_version=card.action.version)
    entries = audit_count(demo_app)
    with pytest.raises(EditConflict) as err:
        demo_app.board.move(card.id, ActionStatus.IN_PROGRESS, expected_version=card.action.version)
    conflict = err.value
    assert conflict.entity == "action"
    assert conflict.mine.status == ActionStatus.IN_PROGRESS
    assert conflict.theirs.status == ActionStatus.BLOCKED
    assert conflict.fields == ("status",)          # their blocker is kept in mine
    assert conflict.saved_by == "Casey Demo (coordinator)"
    assert audit_count(demo_app) == entries
    kept = demo_app.board.move(card.id, ActionStatus.IN_PROGRESS,
                               expected_version=conflict.theirs.version)
    assert kept.status == "in_progress"
    assert kept.action.version == conflict.theirs.version + 1


def test_a_new_record_starts_at_version_one(empty_app):
    from deterrence_desktop.domain.model import Group
    from deterrence_desktop.domain.enums import GroupType
    group = empty_app.groups.create(Group(name="Fictional Crew", type=GroupType.STREET_GROUP,
                                          version=7))
    assert group.version == 1
    assert empty_app.groups.update(replace(group, area="North")).version == 2


def test_a_0005_workspace_gains_versions_at_one(demo_path):
    """The 0005 -> 0006 step on a real file: every edited table gets its version, 1."""
    from deterrence_desktop.store import cipher
    from deterrence_desktop.store.workspace import Workspace
    from conftest import PASSPHRASE
    from unit.test_migrations import undo_0006
    conn = cipher.connect(demo_path, PASSPHRASE)
    conn.execute("BEGIN")
    undo_0006(conn)
    conn.execute("UPDATE alembic_version SET version_num = '0005'")
    conn.execute("COMMIT")
    conn.close()
    with Workspace.open(demo_path, PASSPHRASE) as ws:
        with ws.engine.connect() as c:
            for table in VERSIONED - {"action"}:
                assert c.exec_driver_sql(
                    f"SELECT count(*) FROM {table} WHERE version <> 1").scalar() == 0, table
            assert c.exec_driver_sql("SELECT count(*) FROM person").scalar() == 40


def test_a_continuity_template_is_saved_with_its_steps_over_the_version_read(demo_app):
    """The template editor saves the template and its steps as one edit: a step changed
    by someone else since the editor read the template is a conflict, not lost."""
    view = demo_app.continuity.templates()[0]
    other = someone_else(demo_app)
    theirs = other.continuity.save_template(
        view.template, [replace(view.steps[0], title="Theirs (fictional)"), *view.steps[1:]])
    assert theirs.template.version == view.template.version + 1        # a step moved it on
    with pytest.raises(EditConflict) as err:
        demo_app.continuity.save_template(view.template, list(view.steps[1:]))
    assert err.value.entity == "continuity_template"
    assert demo_app.continuity.template(view.template.id).steps[0].title == "Theirs (fictional)"


def test_an_incident_edit_of_its_people_alone_moves_its_version_on(demo_app):
    """The incident and the people and groups involved are one edit: changing only who
    was involved raises the version, so a stale copy cannot undo it unseen."""
    detail = demo_app.incidents.get(demo_app.incidents.list()[0].id)
    incident = detail.incident
    other = someone_else(demo_app)
    theirs = other.incidents.update(incident.id, replace(incident), detail.roles[:1],
                                    [g.group_id for g in detail.groups])
    assert theirs.version == incident.version + 1
    with pytest.raises(EditConflict):
        demo_app.incidents.update(incident.id, replace(incident, place="Mine (fictional)"),
                                  detail.roles, [g.group_id for g in detail.groups])
    assert demo_app.incidents.get(incident.id).roles == detail.roles[:1]


def test_a_link_edit_checks_and_returns_its_version(demo_app):
    from deterrence_desktop.store.tables_network import PersonLinkRow
    from deterrence_desktop.domain.network import PersonLink
    with demo_app.workspace.session() as s:
        link = to_record(s.scalars(select(PersonLinkRow).limit(1)).first(), PersonLink)
    saved = someone_else(demo_app).links.update(link.id, replace(link, notes="Theirs"))
    assert saved.version == link.version + 1 and saved.notes == "Theirs"
    with pytest.raises(EditConflict) as err:
        demo_app.links.update(link.id, replace(link, notes="Mine"))
    assert err.value.fields == ("notes",)
