"""The server, not the app, enforces the roles and writes the audit trail (issue 17, migration
0007). Every refusal here is shown with raw SQL on a login's own psycopg connection, outside
the app: what a partner officer or analyst with psql and their password could try."""
from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from deterrence_desktop.domain.enums import AuditOperation, Role
from deterrence_desktop.services import audit, demo
from deterrence_desktop.services.app import WorkspaceServices
from deterrence_desktop.store import migrations
from deterrence_desktop.store.server import ServerWorkspace
from deterrence_desktop.store.server_roles import (
    create_login, ensure_group_roles, role_of, set_password,
)

pytestmark = pytest.mark.server

PASSWORD = "fictional-Pa55word-for-tests"


class Server:
    """The database made for this module on the run's server, and its three logins: the
    demo's users renamed to names no other test on the shared server uses."""

    def __init__(self, pg, database: str):
        self.pg = pg
        self.database = database
        self.coordinator = pg.unique_name("coordinator")
        self.analyst = pg.unique_name("analyst")
        self.officer = pg.unique_name("officer")

    def logins(self) -> tuple[tuple[str, Role], ...]:
        return ((self.coordinator, Role.COORDINATOR), (self.analyst, Role.ANALYST),
                (self.officer, Role.PARTNER_OFFICER))

    def url(self, user: str | None = None, password: str | None = PASSWORD):
        """A SQLAlchemy URL (TLS verified), the administrator's unless ``user``."""
        return self.pg.url(self.database, user, password if user else None)

    def connect(self, user: str, **kw) -> psycopg.Connection:
        """A login's own raw connection: what it could do with psql and its password."""
        return psycopg.connect(host=self.pg.host, port=self.pg.port, dbname=self.database,
                               user=user, password=PASSWORD, sslmode="verify-full",
                               sslrootcert=self.pg.ca_file, **kw)

    def admin(self, **kw) -> psycopg.Connection:
        return psycopg.connect(host=self.pg.host, port=self.pg.port, dbname=self.database,
                               user=self.pg.admin, password=self.pg.admin_password,
                               sslmode="verify-full", sslrootcert=self.pg.ca_file, **kw)

    def workspace(self, user: str | None = None) -> ServerWorkspace:
        """The app's own server workspace, signed in as ``user`` (the administrator if None)."""
        if user is None:
            return ServerWorkspace.connect(self.pg.address(self.database),
                                           self.pg.admin_password)
        return ServerWorkspace.connect(self.pg.address(self.database, user), PASSWORD)


@pytest.fixture(scope="module")
def server(pg_server):
    """A database with the whole history migrated as its administrator, the demo generated
    in it through the services, and a login per demo user made with create_login."""
    from deterrence_desktop.domain.model import Partnership, User
    srv = Server(pg_server, pg_server.unique_name("security"))
    pg_server.create_database(srv.database)
    admin = pg_server.admin_engine(srv.database)
    try:
        migrations.upgrade(admin)
        ws = srv.workspace()
        try:
            app = WorkspaceServices(ws)
            app.partnership.save(Partnership(name="Fictional Town Partnership", area="Fictional"))
            app.users.create(User(username=srv.coordinator,
                                  display_name="Casey Demo (coordinator)"))
            demo.generate(app)
        finally:
            ws.close()
        with admin.begin() as c:
            for demo_name, user in (("demo.analyst", srv.analyst), ("demo.officer", srv.officer)):
                c.exec_driver_sql("UPDATE app_user SET username = %(new)s WHERE username = %(old)s",
                                  {"new": user, "old": demo_name})
                c.exec_driver_sql("SELECT dd_audit_append('alteration', 'user', %(new)s, "
                                  "'fields=username', '')", {"new": user})
            for user, role in srv.logins():
                create_login(c, user, PASSWORD, role)
        yield srv
    finally:
        pg_server.drop_database(srv.database)
        with pg_server.admin_engine().begin() as c:
            for user, _ in srv.logins():
                c.exec_driver_sql(f"DROP ROLE IF EXISTS {quote(user)}")


def one(conn: psycopg.Connection, query: str, params=()):
    return conn.execute(query, params).fetchone()[0]


def refused(conn: psycopg.Connection, query: str, error=errors.InsufficientPrivilege) -> str:
    """Run ``query`` in a transaction of its own and return the server's refusal."""
    with pytest.raises(error) as caught:
        with conn.transaction():
            conn.execute(query)
    return str(caught.value)


@pytest.fixture
def officer(server):
    with server.connect(server.officer, autocommit=True) as c:
        yield c


@pytest.fixture
def analyst(server):
    with server.connect(server.analyst, autocommit=True) as c:
        yield c


@pytest.fixture
def coordinator(server):
    with server.connect(server.coordinator, autocommit=True) as c:
        yield c


@pytest.fixture
def admin(server):
    with server.admin(autocommit=True) as c:
        yield c


def officer_partner(server, admin) -> int:
    return one(admin, "SELECT partner_id FROM app_user WHERE username = %s", (server.officer,))


# -- the logins ---------------------------------------------------------------------------
def test_each_login_is_in_its_group_and_role_of_says_which(server):
    for user, role in server.logins():
        engine = create_engine(server.url(user))
        with engine.connect() as c:
            assert role_of(c) is role
        engine.dispose()
    with server.pg.admin_engine(server.database).begin() as c:
        assert role_of(c) is None          # the administrator (a superuser) is in no group
        ensure_group_roles(c)               # again: nothing to do
        create_login(c, server.officer, None, Role.PARTNER_OFFICER)     # exists: only regrants
        groups = c.exec_driver_sql(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %(u)s", {"u": server.officer}
        ).scalars().all()
        assert groups == ["dd_partner_officer"]
        verifier = c.exec_driver_sql("SELECT rolpassword FROM pg_authid WHERE rolname = %(u)s",
                                     {"u": server.officer}).scalar()
        assert verifier.startswith("SCRAM-SHA-256$") and PASSWORD not in verifier
    with server.connect(server.officer) as c:      # the password was kept
        assert one(c, "SELECT session_user") == server.officer


def test_a_name_that_needs_quoting_is_quoted(server):
    admin = server.pg.admin_engine(server.database)
    odd = server.pg.unique_name('fictional "odd"; DROP ROLE x; --')
    try:
        with admin.begin() as c:
            create_login(c, odd, "fictional 'first' password", Role.ANALYST)
            set_password(c, odd, PASSWORD)
        with server.connect(odd) as c:
            assert one(c, "SELECT session_user") == odd
    finally:
        with admin.begin() as c:
            c.exec_driver_sql(f"DROP OWNED BY {quote(odd)}")
        with server.pg.admin_engine().begin() as c:
            c.exec_driver_sql(f"DROP ROLE {quote(odd)}")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- a partner officer --------------------------------------------------------------------
def test_officer_reads_and_updates_only_its_partners_actions(server, officer, admin):
    mine = officer_partner(server, admin)
    others = one(admin, "SELECT count(*) FROM action WHERE partner_id <> %s", (mine,))
    assert others > 0
    assert one(officer, "SELECT count(*) FROM action WHERE partner_id <> %s", (mine,)) == 0
    seen = {r[0] for r in officer.execute("SELECT DISTINCT partner_id FROM action")}
    assert seen == {mine}
    assert one(officer, "SELECT count(*) FROM action") == \
        one(admin, "SELECT count(*) FROM action WHERE partner_id = %s", (mine,))
    # Another partner's actions: not there to update, not there to delete.
    other = one(admin, "SELECT min(id) FROM action WHERE partner_id <> %s", (mine,))
    assert officer.execute("UPDATE action SET notes = 'raw' WHERE id = %s",
                           (other,)).rowcount == 0
    assert officer.execute("UPDATE action SET notes = 'raw' WHERE partner_id <> %s",
                           (mine,)).rowcount == 0
    assert one(admin, "SELECT count(*) FROM action WHERE notes = 'raw'") == 0
    refused(officer, "DELETE FROM action")
    # Nor made for another partner, nor its own handed to another partner.
    refused(officer, f"INSERT INTO action (partner_id, kind, description, status, assignee, "
                     f"outcome, notes, updated_at, version) VALUES ({other_partner(admin, mine)}, "
                     "'support', 'Fictional', 'planned', '', '', '', now(), 1)")
    own = one(officer, "SELECT min(id) FROM action")
    refused(officer, f"UPDATE action SET partner_id = partner_id + 1 WHERE id = {own}",
            errors.InsufficientPrivilege)


def other_partner(admin, mine: int) -> int:
    return one(admin, "SELECT min(id) FROM partner WHERE id <> %s", (mine,))


def test_officer_sees_only_the_people_and_groups_its_actions_concern(server, officer, admin):
    mine = officer_partner(server, admin)
    concerned = {r[0] for r in admin.execute(
        "SELECT DISTINCT person_id FROM action WHERE partner_id = %s AND person_id IS NOT NULL",
        (mine,))}
    everyone = one(admin, "SELECT count(*) FROM person")
    assert concerned and len(concerned) < everyone
    seen = {r[0] for r in officer.execute("SELECT id FROM person")}
    assert seen == concerned
    stranger = one(admin, "SELECT min(id) FROM person WHERE id <> ALL(%s)", (list(concerned),))
    assert officer.execute("SELECT * FROM person WHERE id = %s", (stranger,)).fetchall() == []
    assert one(officer, "SELECT count(*) FROM communication WHERE person_id = %s",
               (stranger,)) == 0
    assert {r[0] for r in officer.execute("SELECT DISTINCT person_id FROM communication")} \
        <= concerned
    assert one(officer, "SELECT count(*) FROM membership WHERE person_id <> ALL(%s)",
               (list(concerned),)) == 0
    groups = {r[0] for r in officer.execute("SELECT id FROM group_record")}
    concerned_groups = {r[0] for r in admin.execute(
        "SELECT group_id FROM action WHERE partner_id = %s AND group_id IS NOT NULL UNION "
        "SELECT group_id FROM membership WHERE person_id = ANY(%s)", (mine, list(concerned)))}
    related = {r[0] for r in admin.execute(
        "SELECT other_group_id FROM group_relation WHERE group_id = ANY(%(g)s) UNION "
        "SELECT group_id FROM group_relation WHERE other_group_id = ANY(%(g)s)",
        {"g": list(concerned_groups)})}
    assert groups == concerned_groups | related
    # Nor the people's details through anything else.
    assert one(officer, "SELECT count(*) FROM app_user") == 1
    for table in ("retention_review", "group_audit", "dd_analyst_view.person"):
        refused(officer, f"SELECT * FROM {table}")
    # Of the audit trail, what happened to its own actions (a meeting's item brief).
    own_actions = {str(r[0]) for r in admin.execute("SELECT id FROM action WHERE partner_id = %s",
                                                     (mine,))}
    theirs = one(admin, "SELECT min(id) FROM action WHERE partner_id <> %s", (mine,))
    for ref in (min(own_actions), str(theirs)):
        admin.execute("SELECT dd_audit_append('alteration', 'action', %s, 'fields=status', '')",
                      (ref,))
    entries = officer.execute("SELECT entity, entity_ref FROM audit_entry").fetchall()
    assert (("action", min(own_actions)) in entries and {e for e, _ in entries} == {"action"}
            and {r for _, r in entries} <= own_actions)
    refused(officer, f"UPDATE person SET notes = 'raw' WHERE id = {stranger}")
    refused(officer, f"INSERT INTO communication (person_id, occurred_at, channel, delivered_by,"
                     f" deterrence_message, support_offer, message, outcome, document_sha256, "
                     f"template) VALUES ({stranger}, now(), 'home_visit', '', true, false, "
                     "'Fictional', 'delivered', '', '')")


def test_officer_cannot_touch_the_audit_trail(officer):
    refused(officer, "DELETE FROM audit_entry")
    refused(officer, "UPDATE audit_entry SET detail = 'forged'")
    refused(officer, "INSERT INTO audit_entry (seq, at, username, operation, entity, entity_ref,"
                     " detail, recipient, prev_hash, hash) VALUES (999999, 'x', 'someone else',"
                     " 'consultation', 'person', '', '', '', 'x', 'x')")
    refused(officer, "TRUNCATE audit_entry")
    # The recorded head: not there to update, not its to insert, not its to delete.
    assert officer.execute("UPDATE workspace_meta SET value = '1:x' "
                           "WHERE key = 'audit_head'").rowcount == 0
    refused(officer, "INSERT INTO workspace_meta (key, value) VALUES ('audit_head', '1:x') "
                     "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")
    refused(officer, "DELETE FROM workspace_meta")
    refused(officer, "DROP TRIGGER audit_entry_no_delete ON audit_entry")
    refused(officer, "ALTER TABLE audit_entry DISABLE TRIGGER ALL")
    refused(officer, "CREATE OR REPLACE FUNCTION dd_audit_append(operation text, entity text, "
                     "entity_ref text, detail text, recipient text) RETURNS TABLE(seq integer, "
                     "at text, username text, prev_hash text, hash text) LANGUAGE sql AS "
                     "$$ SELECT 1, '', '', '', '' $$")


def test_officer_cannot_switch_row_level_security_off(officer):
    refused(officer, "ALTER TABLE action DISABLE ROW LEVEL SECURITY")
    refused(officer, "DROP POLICY dd_officer_read ON action")
    officer.execute("SET row_security = off")
    message = refused(officer, "SELECT * FROM action")
    assert "row-level security" in message


def test_the_entry_names_the_login_whatever_the_caller_says(server, officer, admin):
    row = officer.execute("SELECT * FROM dd_audit_append('consultation', 'person', 'P-FORGED', "
                          "'as the coordinator', '')").fetchone()
    stored = admin.execute("SELECT username, detail FROM audit_entry WHERE seq = %s",
                           (row[0],)).fetchone()
    assert row[2] == stored[0] == server.officer
    # There is no parameter to name another user; nor a way to set the time.
    refused(officer, "SELECT * FROM dd_audit_append('consultation', 'person', '', '', '', "
                     "'demo.coordinator')", errors.UndefinedFunction)
    refused(officer, "SELECT * FROM dd_audit_append('forgery', 'person', '', '', '')",
            errors.InvalidParameterValue)


# -- an analyst ---------------------------------------------------------------------------
def test_analyst_reads_no_names_but_the_views_work(analyst, admin):
    refused(analyst, "SELECT given_name FROM public.person")
    refused(analyst, "SELECT * FROM public.person")
    refused(analyst, "SELECT name FROM public.influencer")
    refused(analyst, "SELECT snapshot FROM public.letter_issue")
    rows = analyst.execute("SELECT reference, given_name, family_name, preferred_name, address, "
                           "aliases::text, date_of_birth FROM dd_analyst_view.person").fetchall()
    assert len(rows) == one(admin, "SELECT count(*) FROM person")
    for reference, given, family, preferred, address, aliases, born in rows:
        assert (given, family, preferred, address, aliases) == ("", reference, "", "", "[]")
        assert born is None or (born.month, born.day) == (7, 1)
    names = {r[0] for r in admin.execute("SELECT family_name FROM person")}
    assert not names & {r[2] for r in rows}
    # With the views first on its search path, the same query the app makes reads them.
    analyst.execute("SET search_path = dd_analyst_view, public")
    assert one(analyst, "SELECT count(*) FROM person WHERE given_name <> ''") == 0
    assert one(analyst, "SELECT count(*) FROM action") == one(admin, "SELECT count(*) FROM action")
    # It reads the audit log but cannot write it or change people or actions.
    assert one(analyst, "SELECT count(*) FROM audit_entry") > 0
    refused(analyst, "DELETE FROM audit_entry")
    refused(analyst, "UPDATE action SET status = 'done'")
    refused(analyst, "INSERT INTO public.person (reference, given_name, family_name) "
                     "VALUES ('X', 'Fictional', 'Person')")
    refused(analyst, "INSERT INTO partner (name, type) VALUES ('Fictional', 'police')")


def test_analyst_writes_what_its_services_write(analyst):
    with analyst.transaction():
        analyst.execute("INSERT INTO group_record (name, type, area, description) VALUES "
                        "('Fictional analysts'' group', 'street_group', '', '')")
        analyst.execute("INSERT INTO cohort (name, description) VALUES ('Fictional cohort', '')")
        raise_rollback()


def raise_rollback():
    raise psycopg.Rollback()


# -- a coordinator and the owner ---------------------------------------------------------------
def test_coordinator_reads_and_writes_everything_but_the_trail(coordinator, admin):
    for table in ("person", "action", "audit_entry"):
        assert one(coordinator, f"SELECT count(*) FROM {table}") == \
            one(admin, f"SELECT count(*) FROM {table}")
    with coordinator.transaction():
        assert coordinator.execute("UPDATE person SET notes = notes").rowcount > 0
        raise_rollback()
    refused(coordinator, "DELETE FROM audit_entry")
    refused(coordinator, "TRUNCATE audit_entry")
    assert coordinator.execute("UPDATE workspace_meta SET value = '1:x' "
                               "WHERE key = 'audit_head'").rowcount == 0
    refused(coordinator, "ALTER TABLE person DISABLE ROW LEVEL SECURITY")


def test_even_the_owner_cannot_change_or_delete_entries(admin):
    for statement in ("DELETE FROM audit_entry WHERE seq = 1",
                      "UPDATE audit_entry SET detail = 'x' WHERE seq = 1",
                      "TRUNCATE audit_entry"):
        with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
            with admin.transaction():
                admin.execute(statement)


# -- the chain ----------------------------------------------------------------------------------
def chain_report(admin):
    rows = admin.execute(f"SELECT {', '.join(audit.ENTRY_COLUMNS)} FROM audit_entry "
                         "ORDER BY seq").fetchall()
    head = one(admin, "SELECT value FROM workspace_meta WHERE key = 'audit_head'")
    return audit.verify_rows(rows, head)


def test_the_server_hashes_as_entry_hash_does(server, admin):
    detail = ('é ü ß 漢字 😀 "quoted" \'single\' back\\slash\\ new\nline\ttab\r'
              '\x01\x08\x0c\x1f'
              '\x7f \u2028 </script> /')
    engine = create_engine(server.url(server.officer))
    with engine.begin() as c:
        with Session(bind=c) as s:
            entry = audit.append(s, "ignored on a server", AuditOperation.CONSULTATION, "person",
                                 "P-ÄÖ\\\"", detail, "Recipient «fictional»")
    engine.dispose()
    stored = admin.execute(f"SELECT {', '.join(audit.ENTRY_COLUMNS)} FROM audit_entry "
                           "WHERE seq = %s", (entry.seq,)).fetchone()
    assert stored[2] == server.officer and stored[6] == detail
    assert audit.entry_hash(*stored[:9]) == stored[9] == entry.hash
    assert entry.username == server.officer and entry.at == stored[1]
    assert stored[1].endswith("+00:00")
    assert len(stored[1]) == len("2026-11-27T14:20:00.000000+00:00")
    assert chain_report(admin).ok


def test_append_many_extends_the_chain_in_order(server, admin):
    engine = create_engine(server.url(server.coordinator))
    with Session(engine) as s, s.begin():
        before = audit.head(s)[0]
        last = audit.append_many(s, "x", [(AuditOperation.DISCLOSURE, "letter", f"L{i}",
                                           f"letter {i}", "Fictional recipient")
                                          for i in range(5)])
    engine.dispose()
    assert last == before + 5
    refs = [r[0] for r in admin.execute("SELECT entity_ref FROM audit_entry WHERE seq > %s "
                                        "ORDER BY seq", (before,))]
    assert refs[:5] == [f"L{i}" for i in range(5)]
    assert chain_report(admin).ok


def test_concurrent_writers_leave_one_unbroken_chain(server, admin):
    before = one(admin, "SELECT count(*) FROM audit_entry")
    failures = []
    start = threading.Barrier(2)

    def writer(user: str) -> None:
        engine = create_engine(server.url(user))
        try:
            start.wait()
            for i in range(100):
                with Session(engine) as s, s.begin():
                    audit.append(s, user, AuditOperation.CONSULTATION, "person", f"R{i}",
                                 f"{user} {i}")
        except Exception as exc:      # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=writer, args=(u,))
               for u in (server.coordinator, server.officer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    report = chain_report(admin)
    assert report.ok, report.problems[:5]
    assert report.entries == before + 200
    assert one(admin, "SELECT count(DISTINCT prev_hash) = count(*) FROM audit_entry")


def test_a_change_with_no_entry_of_its_own_is_written_into_the_trail(server, coordinator, admin):
    with coordinator.transaction():
        coordinator.execute("UPDATE setting SET value = value")
        coordinator.execute("INSERT INTO setting (key, value) VALUES ('fictional_raw', '1')")
    last = admin.execute("SELECT username, operation, entity, detail FROM audit_entry "
                         "ORDER BY seq DESC LIMIT 1").fetchone()
    assert last == (server.coordinator, "alteration", "setting",
                    "changed outside the app's audit: table=setting")
    # One entry for the transaction, and none when the app audits its own change.
    count = one(admin, "SELECT count(*) FROM audit_entry")
    with coordinator.transaction():
        coordinator.execute("DELETE FROM setting WHERE key = 'fictional_raw'")
        coordinator.execute("SELECT dd_audit_append('erasure', 'setting', 'fictional_raw', '', '')")
    assert one(admin, "SELECT count(*) FROM audit_entry") == count + 1
    # A consultation does not cover a change, and no client can mark its transaction as
    # audited but through dd_audit_append.
    with coordinator.transaction():
        coordinator.execute("SELECT dd_audit_append('consultation', 'setting', '', '', '')")
        coordinator.execute("UPDATE setting SET value = value")
    assert one(admin, "SELECT count(*) FROM audit_entry") == count + 3
    refused(coordinator, "INSERT INTO dd_private.audited_xact VALUES (pg_current_xact_id())")
    assert chain_report(admin).ok


def test_changes_are_notified_by_table_name_only(server, coordinator):
    with server.connect(server.officer, autocommit=True) as listener:
        listener.execute("LISTEN dd_change")
        with coordinator.transaction():
            coordinator.execute("UPDATE action SET notes = notes WHERE id = "
                                "(SELECT min(id) FROM action)")
            coordinator.execute("SELECT dd_audit_append('alteration', 'action', '', "
                                "'fields=notes', '')")
        got = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert got == ["action"]


# -- check on a server --------------------------------------------------------------------------
def test_check_on_a_server_walks_the_chain_and_the_servers_protections(server):
    ws = server.workspace()
    try:
        app = WorkspaceServices(ws)
        report = app.maintenance.check()
        names = [r.name for r in report.results]
        assert report.ok, [(r.name, r.problems) for r in report.results]
        assert any(n.startswith("audit chain") for n in names)
        assert "audit trail append-only triggers" in names
        assert not any("SQLite" in n or "cipher" in n for n in names)
        # Each protection taken away is named (DDL rolls back with the transaction).
        for change, expected in (
                ("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_delete",
                 "audit_entry_no_delete is disabled"),
                ("DROP TRIGGER audit_entry_no_truncate ON audit_entry",
                 "audit_entry_no_truncate is missing"),
                ("ALTER TABLE action DISABLE ROW LEVEL SECURITY", "row-level security is off"),
                ("ALTER FUNCTION dd_audit_append(text, text, text, text, text) SECURITY INVOKER",
                 "no longer runs as"),
                ("CREATE OR REPLACE FUNCTION dd_audit_append(operation text, entity text, "
                 "entity_ref text, detail text, recipient text) RETURNS TABLE(seq integer, "
                 "at text, username text, prev_hash text, hash text) LANGUAGE plpgsql "
                 "SECURITY DEFINER SET search_path = public, pg_temp AS $$ BEGIN RETURN; END $$",
                 "dd_audit_append has been altered"),
                ("CREATE TRIGGER sneaky BEFORE INSERT ON audit_entry FOR EACH ROW "
                 "EXECUTE FUNCTION dd_notify_change()", "unexpected trigger sneaky")):
            with ws.engine.connect() as c:
                with c.begin() as tx:
                    c.exec_driver_sql(change)
                    problems = audit.trigger_problems(Session(bind=c))
                    tx.rollback()
            assert any(expected in p for p in problems), (change, problems)
        with ws.session() as s:
            assert audit.trigger_problems(s) == []
    finally:
        ws.close()


# -- the services under the server's grants -----------------------------------------------------
@pytest.mark.parametrize("who", ["coordinator", "analyst", "officer"])
def test_the_services_run_under_each_roles_grants(server, who):
    """The pages each role opens most, through the services, signed in as the role's login."""
    from deterrence_desktop.services.actions import ActionFilter
    user = getattr(server, who)
    ws = server.workspace(user)
    try:
        app = WorkspaceServices.for_server(ws)
        assert app.actor.username == user
        people = app.people.list()
        assert people
        app.people.page(people[0].id)
        actions = app.actions.list(ActionFilter())
        assert actions
        app.board.load()
        app.groups.list()
        app.partners.all()
        if who == "analyst":
            assert all((p.given_name, p.family_name) == ("", p.reference) for p in people)
            app.audit_log.entries(10)
        if who == "officer":
            from deterrence_desktop.domain.enums import ActionStatus
            app.actions.set_status(actions[0].id, ActionStatus.IN_PROGRESS, "fictional update")
    finally:
        ws.close()


def test_the_services_write_what_each_role_may_under_the_grants(server, admin):
    """What the services let an officer and an analyst write, the server lets them write:
    each insert goes through its sequence, its row-level policy and dd_audit_append."""
    from datetime import date, datetime

    from deterrence_desktop.domain.enums import CommunicationChannel
    from deterrence_desktop.domain.model import Action, Cohort, CohortMember, Communication, Group
    from deterrence_desktop.domain.network import LinkKind, PersonLink
    from deterrence_desktop.domain.outcomes import OutcomeEvent, OutcomeKind
    before = one(admin, "SELECT max(seq) FROM audit_entry")
    ws = server.workspace(server.officer)
    try:
        officer = WorkspaceServices.for_server(ws)
        person = officer.people.list()[0].id
        partner = officer.actor.partner_id
        officer.communications.record(Communication(
            person_id=person, occurred_at=datetime(2026, 11, 25, 10, 0),
            channel=CommunicationChannel.HOME_VISIT, partner_id=partner,
            message="Fictional home visit"))
        officer.outcomes.record_many([OutcomeEvent(person_id=person, kind=OutcomeKind.ARREST,
                                                   occurred_on=date(2026, 11, 20),
                                                   partner_id=partner)])
        officer.actions.create(Action(partner_id=partner, kind="support", person_id=person,
                                      description="Fictional follow-up"))
        # Its letters carry an anchor: the chain's head, read without reading the trail.
        with officer.anchors.tx() as uow:
            anchor = officer.anchors.take(uow, "letters fictional.pdf")
        assert (anchor.seq, anchor.hash) == tuple(admin.execute(
            "SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1").fetchone())
    finally:
        ws.close()
    ws = server.workspace(server.analyst)
    try:
        analyst = WorkspaceServices.for_server(ws)
        people = [p.id for p in analyst.people.list()[:2]]
        analyst.groups.create(Group(name="Fictional analysts' group", type="street_group"))
        cohort = analyst.cohorts.create(Cohort(name="Fictional analysts' cohort"))
        analyst.cohorts.add_member(CohortMember(cohort_id=cohort.id, person_id=people[0],
                                                reason="fictional"))
        analyst.links.add(PersonLink(person_id=people[0], other_person_id=people[1],
                                     kind=LinkKind.ASSOCIATE, source_partner_id=None,
                                     reported_on=date(2026, 11, 20)))
    finally:
        ws.close()
    entries = admin.execute("SELECT username, operation, detail FROM audit_entry WHERE seq > %s "
                            "ORDER BY seq", (before,)).fetchall()
    assert {u for u, _, _ in entries} == {server.officer, server.analyst}
    assert not [d for _, _, d in entries if d.startswith("changed outside")]
    assert chain_report(admin).ok
