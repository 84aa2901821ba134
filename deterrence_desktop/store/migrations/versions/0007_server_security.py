"""server security (PostgreSQL only): group roles' grants, row-level security, the analyst
views, the server-written audit trail and the NOTIFY triggers

On a file workspace (SQLite) this migration does nothing: the roles there are the
services' own, and the audit trail's append-only triggers are migration 0001's.

On a server the tables belong to the administrator who ran ``server init``; the
app's users sign in with logins that are members of one of three group roles
(store/server_roles.py). This revision gives each group what its services need and
nothing more, and makes the server, not the app, refuse the rest:

- grants per group role (no rights for PUBLIC);
- row-level security: a partner officer's session sees and updates only its own
  partner's actions, and only the people (and their rows in other tables) and groups
  those actions concern;
- schema ``dd_analyst_view``: the tables that hold names, with the names and addresses
  replaced; analysts read these and have no SELECT on the real ones;
- ``dd_audit_append``: the only way a client writes to the audit trail; the server
  takes the user from ``session_user``, the time from its clock and extends the hash
  chain under a lock; the trail refuses UPDATE, DELETE and TRUNCATE, even its owner's;
- a change to a data table in a transaction that appended no entry of its own (other than
  consultations) gets one written by the server at commit, naming the table: a change
  made with raw SQL shows in the trail;
- a statement-level trigger on every data table that NOTIFYs ``dd_change`` with the
  table's name (never any content), for the clients' live refresh.

The lists below are this revision's: a table added later gets its grants, policies and
trigger in its own migration.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-27

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COORDINATOR, ANALYST, OFFICER = "dd_coordinator", "dd_analyst", "dd_partner_officer"
GROUPS = (COORDINATOR, ANALYST, OFFICER)

# Every data table of revision 0005 (alembic_version and the audit trail are apart).
DATA_TABLES = (
    "action", "app_user", "asset", "call_in", "cohort", "cohort_member", "communication",
    "continuity_plan", "continuity_template", "custody_episode", "custom_notification",
    "group_audit", "group_record", "group_relation", "incident", "incident_group",
    "incident_person", "influencer", "intervention", "invitation", "letter_batch",
    "letter_issue", "letter_template", "local_closure", "meeting", "meeting_item",
    "membership", "outcome_event", "partner", "partnership", "person", "person_link",
    "plan_action", "release_date_change", "retention_review", "setting", "signatory",
    "template_step", "workspace_meta",
)

# Analysts read these through dd_analyst_view (names, addresses and letters' snapshots
# replaced), never the tables themselves.
NAMED_TABLES = ("person", "influencer", "letter_issue")

# What the services let an analyst write (groups, memberships, cohorts, links between
# people, group audits, incidents, meetings; the tracker seal key in workspace_meta).
ANALYST_WRITES = (
    "cohort", "cohort_member", "group_audit", "group_record", "group_relation", "incident",
    "incident_group", "incident_person", "meeting", "meeting_item", "membership",
    "person_link", "workspace_meta",
)

# A partner officer: reference tables it reads whole ...
OFFICER_READS = (
    "asset", "call_in", "cohort", "continuity_template", "intervention", "letter_batch",
    "local_closure", "meeting", "partner", "partnership", "signatory", "template_step",
)
# ... tables it reads row by row under the policies below (name -> its USING clause) ...
_MINE = "(SELECT dd_my_people())"
OFFICER_ROWS = {
    "action": "partner_id = dd_my_partner()",
    "person": f"id IN {_MINE}",
    "group_record": "id IN (SELECT dd_my_groups())",     # see dd_my_groups
    "app_user": "username = session_user",
    "workspace_meta": "key IN ('workspace_id', 'audit_head', 'audit_anchors')",
    "influencer": f"person_id IN {_MINE}",
    "membership": f"person_id IN {_MINE}",
    "cohort_member": f"person_id IN {_MINE}",
    "invitation": f"person_id IN {_MINE}",
    "communication": f"person_id IN {_MINE}",
    "letter_issue": f"person_id IN {_MINE}",
    "custom_notification": f"person_id IN {_MINE}",
    "outcome_event": f"person_id IN {_MINE}",
    "custody_episode": f"person_id IN {_MINE}",
    "incident_person": f"person_id IN {_MINE}",
    "person_link": f"person_id IN {_MINE} AND other_person_id IN {_MINE}",
    "meeting_item": f"person_id IN {_MINE} OR group_id IN (SELECT dd_my_groups())",
    # the groups of those people, the groups those actions concern, and their rivals and
    # allies (a custom notification's legal risk names them)
    "group_relation": "group_id IN (SELECT dd_my_groups()) "
                      "AND other_group_id IN (SELECT dd_my_groups())",
    # rows hanging off rows above: their own policies apply inside these subqueries
    "incident": "id IN (SELECT incident_id FROM incident_person)",
    "incident_group": "incident_id IN (SELECT incident_id FROM incident_person) "
                      "AND group_id IN (SELECT dd_my_groups())",
    "release_date_change": "episode_id IN (SELECT id FROM custody_episode)",
    "continuity_plan": "episode_id IN (SELECT id FROM custody_episode)",
    "plan_action": "action_id IN (SELECT id FROM action)",
    # what happened to its own actions (a meeting's item brief shows who changed them)
    "audit_entry": "entity = 'action' AND entity_ref IN (SELECT id::text FROM action)",
    # read whole, written in part (below)
    "setting": "true",
    "letter_template": "true",
}
# ... and what it writes (its own partner's actions; communications, custom
# notifications, outcomes and call-in attendance of the people those actions concern).
OFFICER_WRITES = {
    "action": ("INSERT", "UPDATE"),
    "communication": ("INSERT", "UPDATE"),
    "custom_notification": ("INSERT", "UPDATE"),
    "outcome_event": ("INSERT", "UPDATE", "DELETE"),
    "invitation": ("UPDATE",),
    "call_in": ("UPDATE",),
    "workspace_meta": ("INSERT", "UPDATE"),    # the record of anchors its letters carry
    # printing letters to its people: the batch, each letter, the next letter number, and
    # the shipped templates copied in the first time any letter is prepared
    "letter_batch": ("INSERT",),
    "letter_issue": ("INSERT",),
    "setting": ("INSERT", "UPDATE"),
    "letter_template": ("INSERT",),
}
# Where an officer writes fewer rows than it reads.
OFFICER_WRITE_ROWS = {
    "workspace_meta": "key = 'audit_anchors'",
    "setting": "key = 'letters.next_number'",
    "letter_template": "created_by = 'system' AND version = 1",
}

# Tables under row-level security: every table a partner officer reads row by row (with
# workspace_meta, where nobody but dd_audit_append moves the audit head, and audit_entry).
RLS_TABLES = tuple(OFFICER_ROWS)

AUDIT_LOCK = 0x64645f61756469     # pg_advisory_xact_lock key of the audit chain ("dd_audi")

# services/audit.py SERVER_APPEND_SOURCE_SHA256 is the SHA-256 of this function's body
# (between the $fn$ marks): `check` tells it from an altered one.
AUDIT_APPEND = r"""
CREATE FUNCTION dd_audit_append(operation text, entity text, entity_ref text, detail text,
                                recipient text)
RETURNS TABLE(seq integer, at text, username text, prev_hash text, hash text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $fn$
DECLARE
    v_seq integer;
    v_prev text;
    v_at text;
    v_user text := session_user;
    v_op text := coalesce(dd_audit_append.operation, '');
    v_entity text := coalesce(dd_audit_append.entity, '');
    v_ref text := coalesce(dd_audit_append.entity_ref, '');
    v_detail text := coalesce(dd_audit_append.detail, '');
    v_recipient text := coalesce(dd_audit_append.recipient, '');
    v_hash text;
BEGIN
    IF v_op NOT IN ('collection', 'alteration', 'consultation', 'disclosure', 'combination',
                    'erasure') THEN
        RAISE EXCEPTION 'not an audit operation: %', v_op USING ERRCODE = '22023';
    END IF;
    -- One writer at a time extends the chain: the next one reads this one's entry.
    PERFORM pg_advisory_xact_lock(%(lock)s);
    SELECT a.seq, a.hash INTO v_seq, v_prev FROM audit_entry a ORDER BY a.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        v_seq := 0;
        v_prev := repeat('0', 64);
    END IF;
    v_seq := v_seq + 1;
    -- Python's datetime.isoformat(timespec="microseconds") of the UTC time.
    v_at := to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
            || '+00:00';
    -- services/audit.entry_hash: SHA-256 of the JSON array, "," and ":" separators,
    -- non-ASCII kept (to_json escapes a string exactly as Python's json does).
    v_hash := encode(sha256(convert_to(
        '[' || v_seq::text || ',' || to_json(v_at)::text || ',' || to_json(v_user)::text
        || ',' || to_json(v_op)::text || ',' || to_json(v_entity)::text
        || ',' || to_json(v_ref)::text || ',' || to_json(v_detail)::text
        || ',' || to_json(v_recipient)::text || ',' || to_json(v_prev)::text || ']',
        'UTF8')), 'hex');
    INSERT INTO audit_entry AS a (seq, at, username, operation, entity, entity_ref, detail,
                                  recipient, prev_hash, hash)
    VALUES (v_seq, v_at, v_user, v_op, v_entity, v_ref, v_detail, v_recipient, v_prev,
            v_hash);
    INSERT INTO workspace_meta AS m (key, value) VALUES ('audit_head', v_seq || ':' || v_hash)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    -- This transaction audited a change of its own (read by dd_unaudited_change at commit,
    -- in a table no client can write, so none can claim it); the marks of transactions
    -- that have ended go.
    IF v_op <> 'consultation' THEN
        DELETE FROM dd_private.audited_xact
        WHERE xact < pg_snapshot_xmin(pg_current_snapshot());
        INSERT INTO dd_private.audited_xact (xact) VALUES (pg_current_xact_id())
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN QUERY SELECT v_seq, v_at, v_user, v_prev, v_hash;
END
$fn$
""".replace("%(lock)s", str(AUDIT_LOCK))

HELPERS = r"""CREATE FUNCTION dd_my_partner() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $fn$ SELECT partner_id FROM app_user WHERE username = session_user $fn$;

CREATE FUNCTION dd_my_people() RETURNS SETOF integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $fn$ SELECT DISTINCT person_id FROM action
        WHERE partner_id = (SELECT partner_id FROM app_user WHERE username = session_user)
          AND person_id IS NOT NULL $fn$;

CREATE FUNCTION dd_my_groups() RETURNS SETOF integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $fn$ WITH mine AS (
            SELECT group_id FROM action
            WHERE partner_id = (SELECT partner_id FROM app_user WHERE username = session_user)
              AND group_id IS NOT NULL
            UNION
            SELECT m.group_id FROM membership m WHERE m.person_id IN (SELECT dd_my_people()))
        SELECT group_id FROM mine
        UNION
        SELECT CASE WHEN r.group_id IN (SELECT group_id FROM mine) THEN r.other_group_id
                    ELSE r.group_id END
        FROM group_relation r
        WHERE r.group_id IN (SELECT group_id FROM mine)
           OR r.other_group_id IN (SELECT group_id FROM mine) $fn$;

CREATE FUNCTION dd_row_exists(tbl regclass, row_id integer) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    found boolean := false;
BEGIN
    -- Whether a row the policies hide exists at all: the services refuse (and audit) an
    -- attempt on another partner's row rather than call it missing. Existence only.
    IF EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               WHERE a.attrelid = tbl AND a.attname = 'id' AND NOT a.attisdropped
                 AND c.relnamespace = 'public'::regnamespace AND c.relkind = 'r') THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE id = $1)', tbl)
        INTO found USING row_id;
    END IF;
    RETURN found;
END
$fn$;

CREATE FUNCTION dd_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = '42501';
END
$fn$;

CREATE FUNCTION dd_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('dd_change', TG_TABLE_NAME);
    RETURN NULL;
END
$fn$;

CREATE FUNCTION dd_unaudited_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
BEGIN
    -- Once per transaction: a change to a data table with no entry of the app's other than
    -- consultations in the same transaction gets a server entry naming the
    -- table, so a change made with raw SQL shows in the audit trail.
    IF NOT EXISTS (SELECT 1 FROM dd_private.audited_xact WHERE xact = pg_current_xact_id())
    THEN
        PERFORM dd_audit_append('alteration', TG_TABLE_NAME, '',
                                'changed outside the app''s audit: table=' || TG_TABLE_NAME,
                                '');
    END IF;
    RETURN NULL;
END
$fn$
"""

# Analysts' views: same names and columns as the tables, the names and addresses replaced.
ANALYST_VIEWS = {
    "person": """SELECT id, reference, ''::varchar(200) AS given_name,
        reference::varchar(200) AS family_name, ''::varchar(200) AS preferred_name,
        '[]'::json AS aliases,
        CASE WHEN date_of_birth IS NULL THEN NULL
             ELSE make_date(extract(year FROM date_of_birth)::int, 7, 1) END AS date_of_birth,
        ''::text AS address, postcode, legal_status, legal_status_end, custody_release,
        supervising_partner_id, risk_level, needs, review_date, notes, created_at, updated_at
        FROM public.person""",
    "influencer": """SELECT id, person_id, ('influencer ' || id)::varchar(200) AS name, kind,
        relationship, ''::text AS contact, notes FROM public.influencer""",
    "letter_issue": """SELECT reference, batch_id, communication_id, person_id, file_sha256,
        '{}'::json AS snapshot FROM public.letter_issue""",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from deterrence_desktop.store.server_roles import ensure_group_roles

    ensure_group_roles(bind)
    ex = op.execute

    # Nothing for PUBLIC: no connecting without a grant, no schema, no table, no function.
    ex("DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', "
       "current_database()); END $$")
    ex("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    ex("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    ex("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC")
    ex(f"GRANT USAGE ON SCHEMA public TO {', '.join(GROUPS)}")

    # Which open transactions have audited a change of theirs (see dd_audit_append): the
    # owner's alone, outside the app's schema.
    ex("CREATE SCHEMA dd_private")
    ex("REVOKE ALL ON SCHEMA dd_private FROM PUBLIC")
    ex("CREATE UNLOGGED TABLE dd_private.audited_xact (xact xid8 PRIMARY KEY)")

    # Helper functions for the policies, the audit trail's function and triggers.
    for statement in HELPERS.split(";\n\n"):      # one statement per call (psycopg)
        ex(statement)
    ex(AUDIT_APPEND)
    ex("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC")
    ex(f"GRANT EXECUTE ON FUNCTION dd_my_partner(), dd_my_people(), dd_my_groups(), "
       f"dd_row_exists(regclass, integer), dd_audit_append(text, text, text, text, text) "
       f"TO {', '.join(GROUPS)}")

    # Coordinators: every data table; analysts: read all (names through their views) and
    # write what their services write; partner officers: see OFFICER_*.
    # Every login reads the schema's version (the app checks it when it connects).
    ex(f"GRANT SELECT ON alembic_version TO {', '.join(GROUPS)}")
    ex(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(DATA_TABLES)} TO {COORDINATOR}")
    ex(f"GRANT SELECT ON {', '.join(t for t in DATA_TABLES if t not in NAMED_TABLES)} "
       f"TO {ANALYST}")
    ex(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(ANALYST_WRITES)} TO {ANALYST}")
    ex(f"GRANT SELECT ON {', '.join(OFFICER_READS + tuple(OFFICER_ROWS))} TO {OFFICER}")
    for table, privileges in OFFICER_WRITES.items():
        ex(f"GRANT {', '.join(privileges)} ON {table} TO {OFFICER}")
    ex(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {COORDINATOR}")
    for group, inserted in ((ANALYST, ANALYST_WRITES),
                            (OFFICER, [t for t, p in OFFICER_WRITES.items() if "INSERT" in p])):
        names = ", ".join(f"'{t}'" for t in inserted)
        ex(f"""DO $$ DECLARE s text; BEGIN
            FOR s IN SELECT pg_get_serial_sequence('public.' || c.table_name, 'id')
                     FROM information_schema.columns c WHERE c.table_schema = 'public'
                     AND c.column_name = 'id' AND c.table_name IN ({names}) LOOP
                IF s IS NOT NULL THEN
                    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {group}', s);
                END IF;
            END LOOP; END $$""")

    # The audit trail: read by coordinators and analysts (and by partner officers, the
    # entries about their own actions), written only by dd_audit_append.
    ex(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_entry FROM PUBLIC, {', '.join(GROUPS)}")
    ex(f"GRANT SELECT ON audit_entry TO {COORDINATOR}, {ANALYST}")
    ex(f"REVOKE TRUNCATE ON workspace_meta FROM PUBLIC, {', '.join(GROUPS)}")
    ex("CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
       "FOR EACH ROW EXECUTE FUNCTION dd_audit_append_only()")
    ex("CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
       "FOR EACH ROW EXECUTE FUNCTION dd_audit_append_only()")
    ex("CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
       "FOR EACH STATEMENT EXECUTE FUNCTION dd_audit_append_only()")

    # Row-level security. The owner (the administrator) is not subject to it; every login is.
    for table in RLS_TABLES:
        ex(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        if table == "workspace_meta":
            ex(f"CREATE POLICY dd_read ON {table} FOR SELECT TO {COORDINATOR}, {ANALYST} "
               "USING (true)")
            for command in ("INSERT", "UPDATE", "DELETE"):
                using = "" if command == "INSERT" else " USING (key <> 'audit_head')"
                check = " WITH CHECK (key <> 'audit_head')" if command != "DELETE" else ""
                ex(f"CREATE POLICY dd_write_{command.lower()} ON {table} FOR {command} "
                   f"TO {COORDINATOR}, {ANALYST}{using}{check}")
        else:
            ex(f"CREATE POLICY dd_everything ON {table} FOR ALL TO {COORDINATOR}, {ANALYST} "
               "USING (true) WITH CHECK (true)")
        rule = OFFICER_ROWS[table]
        ex(f"CREATE POLICY dd_officer_read ON {table} FOR SELECT TO {OFFICER} USING ({rule})")
        rule = OFFICER_WRITE_ROWS.get(table, rule)
        for command in OFFICER_WRITES.get(table, ()):
            using = "" if command == "INSERT" else f" USING ({rule})"
            check = "" if command == "DELETE" else f" WITH CHECK ({rule})"
            ex(f"CREATE POLICY dd_officer_{command.lower()} ON {table} FOR {command} "
               f"TO {OFFICER}{using}{check}")
    # The policies' lookups run on indexes the schema has already: action (partner_id,
    # status), action.group_id, membership.person_id and the primary keys; the helper
    # functions are evaluated once per statement (IN (SELECT ...)), not once per row.

    # Analysts' views of the tables that hold names.
    ex("CREATE SCHEMA dd_analyst_view")
    ex("REVOKE ALL ON SCHEMA dd_analyst_view FROM PUBLIC")
    ex(f"GRANT USAGE ON SCHEMA dd_analyst_view TO {ANALYST}")
    for table, query in ANALYST_VIEWS.items():
        ex(f"CREATE VIEW dd_analyst_view.{table} WITH (security_barrier) AS {query}")
        ex(f"GRANT SELECT ON dd_analyst_view.{table} TO {ANALYST}")

    # Live refresh: the table's name, never any content. Not on the audit trail (every
    # page view appends a consultation: a refreshed audit log would append another) and
    # not on workspace_meta (its head moves with every entry; the record of anchors and
    # the trackers' seal key are kept there with no entry of their own).
    for table in DATA_TABLES:
        if table == "workspace_meta":
            continue
        ex(f"CREATE TRIGGER dd_notify_change AFTER INSERT OR UPDATE OR DELETE ON {table} "
           "FOR EACH STATEMENT EXECUTE FUNCTION dd_notify_change()")
        # At commit, a change with no audit entry of its own is written into the trail.
        ex(f"CREATE CONSTRAINT TRIGGER dd_unaudited_change AFTER INSERT OR UPDATE OR DELETE "
           f"ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
           "EXECUTE FUNCTION dd_unaudited_change()")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    ex = op.execute
    ex("DROP SCHEMA IF EXISTS dd_analyst_view CASCADE")
    for table in DATA_TABLES:
        if table != "workspace_meta":
            ex(f"DROP TRIGGER IF EXISTS dd_notify_change ON {table}")
            ex(f"DROP TRIGGER IF EXISTS dd_unaudited_change ON {table}")
    for table in RLS_TABLES:
        ex(f"DROP POLICY IF EXISTS dd_everything ON {table}")
        ex(f"DROP POLICY IF EXISTS dd_read ON {table}")
        for command in ("read", "insert", "update", "delete"):
            ex(f"DROP POLICY IF EXISTS dd_officer_{command} ON {table}")
            ex(f"DROP POLICY IF EXISTS dd_write_{command} ON {table}")
        ex(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for name in ("audit_entry_no_update", "audit_entry_no_delete", "audit_entry_no_truncate"):
        ex(f"DROP TRIGGER IF EXISTS {name} ON audit_entry")
    ex("DROP FUNCTION IF EXISTS dd_audit_append(text, text, text, text, text)")
    for fn in ("dd_my_groups()", "dd_my_people()", "dd_my_partner()", "dd_audit_append_only()",
               "dd_row_exists(regclass, integer)",
               "dd_notify_change()", "dd_unaudited_change()"):
        ex(f"DROP FUNCTION IF EXISTS {fn}")
    ex("DROP SCHEMA IF EXISTS dd_private CASCADE")
    ex(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {', '.join(GROUPS)}")
    ex(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {', '.join(GROUPS)}")
