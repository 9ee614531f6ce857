/// The PostgreSQL schema as numbered forward migrations, each a list of single statements (the
/// pipeline takes one statement per query). Migration N is `migrations[N - 1]`; `schema_version`
/// records what was applied. Never edit a released migration: add the next one. docs/storage.md
/// describes the tables.
///
/// The current-state tables are kept by the database itself: an AFTER INSERT trigger on `journal`
/// projects each entry (`reliefd_project`), in the transaction that inserts it, and publishes
/// `NOTIFY reliefd_events, '<seq> <kind>'`. So every writer of the journal — the daemon, `reliefd
/// migrate` — keeps the tables right, and `reliefd_rebuild()` can redo them from the journal alone.
///
/// Migration 2 added the incident tables (issue 4) by replacing `reliefd_project_more(seq, at,
/// kind, b)`, which `reliefd_project` calls for every kind migration 1 does not know; it calls
/// `reliefd_project_later(seq, at, kind, b)` for every kind it does not know, which migration 3
/// (travel times) replaced. Extending again: add the next migration that creates the tables and
/// views, replaces `reliefd_project_later` with one that keeps migration 3's cases and projects the
/// new kinds (unknown kinds are ignored), and replaces `reliefd_clear_state()` so a rebuild empties
/// the new tables too; add their counts and totals to `PostgresStore.countsQuery` / `expectedCounts`.
/// Migration 4 changed how a kind already projected is projected (need.added, for needs.ref) by
/// renaming migration 2's function to `reliefd_project_incidents` and putting a new
/// `reliefd_project_more` before it, which projects that kind itself and hands on the rest;
/// migration 5 replaced that `reliefd_project_more` again (need.added with a schedule and reach,
/// need.changed with a reach). Migration 7 added the `leader` row (followers forward writes to it).
enum PostgresSchema {
    /// Advisory lock keys (pg_try_advisory_lock(int4, int4)): the leader of the database holds
    /// (lockClass, leaderLock); migrations take (lockClass, migrationLock) for their transaction.
    static let lockClass: Int32 = 0x7265_6C69 // "reli"
    static let leaderLock: Int32 = 1
    static let migrationLock: Int32 = 2
    static let notifyChannel = "reliefd_events"

    static let migrations: [[String]] = [
        // 1: journal, snapshots, current-state tables of stock and rosters, views, projection.
        [
            """
            CREATE TABLE journal (
                seq    bigint PRIMARY KEY CHECK (seq > 0),
                time   bigint NOT NULL,
                actor  text NOT NULL,
                kind   text NOT NULL,
                body   text NOT NULL,
                hash   text NOT NULL CHECK (length(hash) = 64)
            )
            """,
            """
            CREATE FUNCTION reliefd_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'journal is append-only' USING ERRCODE = 'RD003';
            END $$
            """,
            "CREATE TRIGGER journal_no_update BEFORE UPDATE OR DELETE ON journal FOR EACH ROW EXECUTE FUNCTION reliefd_append_only()",
            "CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal FOR EACH STATEMENT EXECUTE FUNCTION reliefd_append_only()",
            """
            CREATE TABLE snapshots (
                seq      bigint PRIMARY KEY,
                hash     text NOT NULL,
                taken_at bigint NOT NULL,
                format   text NOT NULL,
                body     text NOT NULL
            )
            """,
            """
            CREATE TABLE regions (
                id     text PRIMARY KEY,
                name   text NOT NULL,
                level  text NOT NULL,
                parent text REFERENCES regions(id)
            )
            """,
            """
            CREATE TABLE warehouses (
                id         text PRIMARY KEY,
                name       text NOT NULL,
                region     text NOT NULL REFERENCES regions(id),
                lat        double precision NOT NULL,
                lon        double precision NOT NULL,
                created_at bigint NOT NULL
            )
            """,
            """
            CREATE TABLE items (
                sku             text PRIMARY KEY,
                name            text NOT NULL,
                category        text NOT NULL,
                unit            text NOT NULL,
                pack_size       bigint NOT NULL,
                shelf_life_days bigint
            )
            """,
            """
            CREATE TABLE lots (
                code        text PRIMARY KEY,
                sku         text NOT NULL REFERENCES items(sku),
                expires     date,
                source      text NOT NULL,
                party       text,
                received_at bigint NOT NULL
            )
            """,
            """
            CREATE TABLE holdings (
                warehouse text NOT NULL REFERENCES warehouses(id),
                lot       text NOT NULL REFERENCES lots(code),
                sku       text NOT NULL,
                on_hand   bigint NOT NULL CHECK (on_hand >= reserved),
                reserved  bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
                PRIMARY KEY (warehouse, lot)
            )
            """,
            "CREATE INDEX holdings_by_sku ON holdings (sku, warehouse)",
            """
            CREATE TABLE minimums (
                warehouse text NOT NULL REFERENCES warehouses(id),
                sku       text NOT NULL REFERENCES items(sku),
                quantity  bigint NOT NULL CHECK (quantity > 0),
                PRIMARY KEY (warehouse, sku)
            )
            """,
            """
            CREATE TABLE skills (
                id          text PRIMARY KEY,
                name        text NOT NULL,
                specialty   text,
                certificate integer NOT NULL CHECK (certificate IN (0, 1))
            )
            """,
            """
            CREATE TABLE specialties (
                id              text PRIMARY KEY,
                name            text NOT NULL,
                required_skills text NOT NULL
            )
            """,
            """
            CREATE TABLE volunteers (
                id               text PRIMARY KEY,
                name             text NOT NULL,
                phone            text,
                id_number        text,
                region           text NOT NULL REFERENCES regions(id),
                lat              double precision NOT NULL,
                lon              double precision NOT NULL,
                languages        text NOT NULL,
                skills           text NOT NULL,
                max_hours        integer NOT NULL,
                min_rest_hours   integer NOT NULL,
                organization     text,
                status           text NOT NULL,
                status_reason    text,
                status_until     date,
                on_duty_since    bigint,
                on_duty_incident text,
                team             text,
                registered_at    bigint NOT NULL
            )
            """,
            """
            CREATE TABLE certifications (
                volunteer text NOT NULL REFERENCES volunteers(id),
                skill     text NOT NULL REFERENCES skills(id),
                issued    date NOT NULL,
                expires   date NOT NULL,
                issuer    text NOT NULL,
                PRIMARY KEY (volunteer, skill)
            )
            """,
            "CREATE INDEX certifications_by_expiry ON certifications (expires)",
            """
            CREATE TABLE duty_log (
                volunteer text NOT NULL REFERENCES volunteers(id),
                start     bigint NOT NULL,
                "end"     bigint NOT NULL,
                incident  text
            )
            """,
            "CREATE INDEX duty_log_by_volunteer ON duty_log (volunteer, start)",
            """
            CREATE TABLE teams (
                id           text PRIMARY KEY,
                name         text NOT NULL,
                specialty    text NOT NULL REFERENCES specialties(id),
                region       text NOT NULL REFERENCES regions(id),
                lat          double precision NOT NULL,
                lon          double precision NOT NULL,
                leader       text,
                state        text NOT NULL,
                state_reason text
            )
            """,
            """
            CREATE TABLE team_members (
                team      text NOT NULL REFERENCES teams(id),
                volunteer text NOT NULL REFERENCES volunteers(id),
                PRIMARY KEY (team, volunteer)
            )
            """,
            """
            CREATE TABLE store_probe (
                id        integer PRIMARY KEY CHECK (id = 1),
                probed_at bigint NOT NULL
            )
            """,

            // Views for warehouse keepers and coordinators (the SQLite ones, plus stock by region).
            """
            CREATE VIEW stock_by_warehouse AS
                SELECT warehouse, sku, SUM(on_hand) AS on_hand, SUM(reserved) AS reserved,
                       SUM(on_hand - reserved) AS available
                FROM holdings GROUP BY warehouse, sku
            """,
            """
            CREATE VIEW stock_by_region AS
                SELECT w.region, h.sku, COUNT(DISTINCT h.warehouse) AS warehouses, SUM(h.on_hand) AS on_hand,
                       SUM(h.reserved) AS reserved, SUM(h.on_hand - h.reserved) AS available
                FROM holdings h JOIN warehouses w ON w.id = h.warehouse
                GROUP BY w.region, h.sku
            """,
            """
            CREATE VIEW expiring_lots AS
                SELECT h.warehouse, h.lot, h.sku, l.expires, l.expires - (now() AT TIME ZONE 'UTC')::date AS days_left,
                       h.on_hand, h.reserved, h.on_hand - h.reserved AS available, l.source, l.party
                FROM holdings h JOIN lots l ON l.code = h.lot
                WHERE l.expires IS NOT NULL
                ORDER BY l.expires, h.warehouse, h.lot
            """,
            """
            CREATE VIEW below_minimum AS
                SELECT m.warehouse, m.sku, m.quantity AS minimum, COALESCE(s.available, 0) AS available
                FROM minimums m LEFT JOIN stock_by_warehouse s ON s.warehouse = m.warehouse AND s.sku = m.sku
                WHERE COALESCE(s.available, 0) < m.quantity
            """,
            """
            CREATE VIEW volunteers_by_region_and_status AS
                SELECT region, status, COUNT(*) AS volunteers,
                       COUNT(*) FILTER (WHERE on_duty_since IS NOT NULL) AS on_duty,
                       COUNT(*) FILTER (WHERE status_until IS NOT NULL AND status_until <= (now() AT TIME ZONE 'UTC')::date) AS status_lapsed
                FROM volunteers GROUP BY region, status
            """,
            """
            CREATE VIEW certifications_expiring AS
                SELECT c.volunteer, v.name, v.region, c.skill, c.issued, c.expires,
                       c.expires - (now() AT TIME ZONE 'UTC')::date AS days_left, c.issuer
                FROM certifications c JOIN volunteers v ON v.id = c.volunteer
                ORDER BY c.expires, c.volunteer, c.skill
            """,
            """
            CREATE VIEW team_strength AS
                SELECT t.id AS team, t.name, t.specialty, t.region, t.state, t.leader,
                       COUNT(m.volunteer) AS members,
                       COUNT(m.volunteer) FILTER (WHERE v.on_duty_since IS NOT NULL) AS on_duty,
                       COUNT(m.volunteer) FILTER (WHERE v.status = 'available') AS available
                FROM teams t
                LEFT JOIN team_members m ON m.team = t.id
                LEFT JOIN volunteers v ON v.id = m.volunteer
                GROUP BY t.id
            """,

            // Projection. RD001: an entry does not fit the tables (they drifted from the journal). The
            // check is inline (IF NOT FOUND) so the common path runs no extra statement.
            """
            CREATE FUNCTION reliefd_drift(seq bigint, what text) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'projecting entry %: % missing from the current-state tables; they disagree with the journal (restart reliefd to rebuild them)', seq, what
                    USING ERRCODE = 'RD001';
            END $$
            """,
            """
            CREATE FUNCTION reliefd_change(seq bigint, w text, l text, delta bigint) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                IF delta > 0 THEN
                    INSERT INTO holdings (warehouse, lot, sku, on_hand, reserved)
                        SELECT w, code, sku, delta, 0 FROM lots WHERE code = l
                        ON CONFLICT (warehouse, lot) DO UPDATE SET on_hand = holdings.on_hand + excluded.on_hand;
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'lot ' || l); END IF;
                ELSIF delta < 0 THEN
                    UPDATE holdings SET on_hand = on_hand + delta WHERE warehouse = w AND lot = l;
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'holding ' || w || '/' || l); END IF;
                    DELETE FROM holdings WHERE warehouse = w AND lot = l AND on_hand = 0 AND reserved = 0;
                END IF;
            END $$
            """,
            """
            CREATE FUNCTION reliefd_add_member(seq bigint, t text, v text) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO team_members (team, volunteer) VALUES (t, v);
                UPDATE volunteers SET team = t WHERE id = v;
                IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || v); END IF;
            END $$
            """,
            // Kinds that later migrations add are projected here (replace this function).
            """
            CREATE FUNCTION reliefd_project_more(seq bigint, at bigint, kind text, b jsonb) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                RETURN;
            END $$
            """,
            // Mirrors State.apply for the tables above (and SQLiteProjector / SQLiteRosterProjector).
            """
            CREATE FUNCTION reliefd_project(seq bigint, at bigint, kind text, body text) RETURNS void LANGUAGE plpgsql AS $$
            DECLARE
                b jsonb := body::jsonb;
            BEGIN
                CASE kind
                WHEN 'region.added' THEN
                    INSERT INTO regions (id, name, level, parent)
                        VALUES (b->>'id', b->>'name', b->>'level',
                                CASE WHEN strpos(b->>'id', '/') > 0 THEN regexp_replace(b->>'id', '/[^/]*$', '') END);
                WHEN 'warehouse.added' THEN
                    INSERT INTO warehouses (id, name, region, lat, lon, created_at)
                        VALUES (b->>'id', b->>'name', b->>'region', (b->>'lat')::float8, (b->>'lon')::float8, at);
                WHEN 'item.added' THEN
                    INSERT INTO items (sku, name, category, unit, pack_size, shelf_life_days)
                        VALUES (b->>'sku', b->>'name', b->>'category', b->>'unit', (b->>'pack')::bigint, (b->>'shelf_life_days')::bigint);
                WHEN 'lot.received' THEN
                    -- A lot keeps the facts of its first receipt.
                    INSERT INTO lots (code, sku, expires, source, party, received_at)
                        VALUES (b->>'lot', b->>'sku', (b->>'expires')::date, b->>'source', b->>'party', at)
                        ON CONFLICT (code) DO NOTHING;
                    PERFORM reliefd_change(seq, b->>'warehouse', b->>'lot', (b->>'qty')::bigint);
                WHEN 'lot.issued' THEN
                    PERFORM reliefd_change(seq, b->>'warehouse', b->>'lot', -(b->>'qty')::bigint);
                WHEN 'lot.transferred' THEN
                    PERFORM reliefd_change(seq, b->>'from', b->>'lot', -(b->>'qty')::bigint);
                    PERFORM reliefd_change(seq, b->>'to', b->>'lot', (b->>'qty')::bigint);
                WHEN 'lot.adjusted' THEN
                    PERFORM reliefd_change(seq, b->>'warehouse', b->>'lot', (b->>'delta')::bigint);
                WHEN 'minimum.set' THEN
                    IF (b->>'qty')::bigint = 0 THEN
                        DELETE FROM minimums WHERE warehouse = b->>'warehouse' AND sku = b->>'sku';
                    ELSE
                        INSERT INTO minimums (warehouse, sku, quantity) VALUES (b->>'warehouse', b->>'sku', (b->>'qty')::bigint)
                            ON CONFLICT (warehouse, sku) DO UPDATE SET quantity = excluded.quantity;
                    END IF;
                WHEN 'request.completed' THEN
                    NULL; -- request tokens live in the journal and the snapshot only
                WHEN 'skill.added' THEN
                    INSERT INTO skills (id, name, specialty, certificate)
                        VALUES (b->>'id', b->>'name', b->>'specialty', (b->>'certificate')::integer);
                WHEN 'specialty.added' THEN
                    INSERT INTO specialties (id, name, required_skills) VALUES (b->>'id', b->>'name', b->>'skills');
                WHEN 'volunteer.added' THEN
                    INSERT INTO volunteers (id, name, phone, id_number, region, lat, lon, languages, skills, max_hours,
                                            min_rest_hours, organization, status, registered_at)
                        VALUES (b->>'id', b->>'name', b->>'phone', b->>'id_number', b->>'region', (b->>'lat')::float8,
                                (b->>'lon')::float8, b->>'languages', b->>'skills', (b->>'max_hours')::integer,
                                (b->>'min_rest_hours')::integer, b->>'organization', 'available', at);
                WHEN 'volunteer.updated' THEN
                    -- The profile only; status, duty and team stay.
                    UPDATE volunteers SET name = b->>'name', phone = b->>'phone', id_number = b->>'id_number',
                           region = b->>'region', lat = (b->>'lat')::float8, lon = (b->>'lon')::float8,
                           languages = b->>'languages', skills = b->>'skills', max_hours = (b->>'max_hours')::integer,
                           min_rest_hours = (b->>'min_rest_hours')::integer, organization = b->>'organization'
                        WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || (b->>'id')); END IF;
                WHEN 'volunteer.status_set' THEN
                    UPDATE volunteers SET status = b->>'status', status_reason = b->>'reason', status_until = (b->>'until')::date
                        WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || (b->>'id')); END IF;
                WHEN 'certification.granted' THEN
                    INSERT INTO certifications (volunteer, skill, issued, expires, issuer)
                        VALUES (b->>'id', b->>'skill', (b->>'issued')::date, (b->>'expires')::date, b->>'issuer')
                        ON CONFLICT (volunteer, skill) DO UPDATE
                        SET issued = excluded.issued, expires = excluded.expires, issuer = excluded.issuer;
                WHEN 'certification.revoked' THEN
                    DELETE FROM certifications WHERE volunteer = b->>'id' AND skill = b->>'skill';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'certification ' || (b->>'id') || '/' || (b->>'skill')); END IF;
                WHEN 'duty.checked_in' THEN
                    -- Check-in clears any status reason and until-date.
                    UPDATE volunteers SET on_duty_since = at, on_duty_incident = b->>'incident', status = 'deployed',
                           status_reason = NULL, status_until = NULL
                        WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || (b->>'id')); END IF;
                WHEN 'duty.checked_out' THEN
                    INSERT INTO duty_log (volunteer, start, "end", incident)
                        SELECT id, on_duty_since, at, on_duty_incident FROM volunteers
                        WHERE id = b->>'id' AND on_duty_since IS NOT NULL;
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'on-duty volunteer ' || (b->>'id')); END IF;
                    UPDATE volunteers SET on_duty_since = NULL, on_duty_incident = NULL, status = 'available' WHERE id = b->>'id';
                WHEN 'team.added' THEN
                    -- The leader is the first member; state starts afresh.
                    INSERT INTO teams (id, name, specialty, region, lat, lon, leader, state, state_reason)
                        VALUES (b->>'id', b->>'name', b->>'specialty', b->>'region', (b->>'lat')::float8,
                                (b->>'lon')::float8, b->>'leader', 'active', NULL);
                    IF b->>'leader' IS NOT NULL THEN
                        PERFORM reliefd_add_member(seq, b->>'id', b->>'leader');
                    END IF;
                WHEN 'team.member_added' THEN
                    PERFORM reliefd_add_member(seq, b->>'team', b->>'volunteer');
                WHEN 'team.member_removed' THEN
                    DELETE FROM team_members WHERE team = b->>'team' AND volunteer = b->>'volunteer';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'member ' || (b->>'volunteer') || ' of team ' || (b->>'team')); END IF;
                    UPDATE teams SET leader = NULL WHERE id = b->>'team' AND leader = b->>'volunteer';
                    UPDATE volunteers SET team = NULL WHERE id = b->>'volunteer';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || (b->>'volunteer')); END IF;
                WHEN 'team.state_set' THEN
                    UPDATE teams SET state = b->>'state', state_reason = CASE WHEN b->>'state' = 'active' THEN NULL ELSE b->>'reason' END
                        WHERE id = b->>'team';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'team ' || (b->>'team')); END IF;
                ELSE
                    PERFORM reliefd_project_more(seq, at, kind, b);
                END CASE;
            END $$
            """,
            """
            CREATE FUNCTION reliefd_journal_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM reliefd_project(NEW.seq, NEW.time, NEW.kind, NEW.body);
                IF current_setting('reliefd.notify', true) IS DISTINCT FROM 'off' THEN
                    PERFORM pg_notify('reliefd_events', NEW.seq || ' ' || NEW.kind);
                END IF;
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER journal_project AFTER INSERT ON journal FOR EACH ROW EXECUTE FUNCTION reliefd_journal_inserted()",
            // Empties every current-state table (replace it when a migration adds tables).
            """
            CREATE FUNCTION reliefd_clear_state() RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                TRUNCATE team_members, duty_log, certifications, volunteers, teams, specialties, skills,
                         minimums, holdings, lots, items, warehouses, regions CASCADE;
            END $$
            """,
            // Redoes the current-state tables from the journal alone.
            """
            CREATE FUNCTION reliefd_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
            DECLARE
                r record;
                n bigint := 0;
            BEGIN
                PERFORM reliefd_clear_state();
                FOR r IN SELECT seq, time, kind, body FROM journal ORDER BY seq LOOP
                    PERFORM reliefd_project(r.seq, r.time, r.kind, r.body);
                    n := n + 1;
                END LOOP;
                RETURN n;
            END $$
            """,
            // Fencing: a commit runs this first, so a reliefd that lost its leader lock (its lock
            // session ended, perhaps without it noticing yet) cannot write. RD002.
            """
            CREATE FUNCTION reliefd_fence(holder integer) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_locks
                               WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                                 AND classid = \(lockClass) AND objid = \(leaderLock) AND objsubid = 2 AND pid = holder AND granted) THEN
                    RAISE EXCEPTION 'this reliefd no longer holds the leader lock (its lock session % is gone); another reliefd may lead now', holder
                        USING ERRCODE = 'RD002';
                END IF;
            END $$
            """,
        ],

        // 2: incidents, needs, plans, allocations and assignments (issue 4) and the open_needs view;
        // reliefd_project_more projects every incident kind, mirroring State.applyIncident and
        // SQLiteIncidentProjector (SQLite migration 3) — including what they do to holdings
        // (reserve, dispatch, release) and volunteers (deployed, on scene, released with a duty_log
        // row). A database at version 1 whose journal already holds incident entries gets the new
        // tables empty; the load's count check finds them short and rebuilds from the journal.
        [
            """
            CREATE TABLE incidents (
                id        text PRIMARY KEY,
                title     text NOT NULL,
                kind      text NOT NULL,
                lat       double precision NOT NULL,
                lon       double precision NOT NULL,
                region    text NOT NULL REFERENCES regions(id),
                severity  integer NOT NULL CHECK (severity BETWEEN 1 AND 5),
                affected  bigint NOT NULL CHECK (affected >= 0),
                status    text NOT NULL,
                opened_at bigint NOT NULL
            )
            """,
            """
            CREATE TABLE needs (
                id         text PRIMARY KEY,
                incident   text NOT NULL REFERENCES incidents(id),
                type       text NOT NULL CHECK (type IN ('supply', 'volunteers', 'teams')),
                sku        text REFERENCES items(sku),
                skill      text REFERENCES skills(id),
                specialty  text REFERENCES specialties(id),
                amount     bigint NOT NULL CHECK (amount > 0),
                hours      integer,
                priority   integer NOT NULL CHECK (priority BETWEEN 1 AND 5),
                needed_by  bigint NOT NULL,
                status     text NOT NULL,
                note       text,
                created_at bigint NOT NULL
            )
            """,
            "CREATE INDEX needs_by_incident ON needs (incident)",
            """
            CREATE TABLE plans (
                id            text PRIMARY KEY,
                incident      text REFERENCES incidents(id),
                based_on_seq  bigint NOT NULL,
                created_at    bigint NOT NULL,
                lines         integer NOT NULL,
                unmet         integer NOT NULL,
                total_cost    bigint NOT NULL,
                status        text NOT NULL,
                applied_lines integer NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE allocations (
                id         text PRIMARY KEY,
                need       text NOT NULL REFERENCES needs(id),
                incident   text NOT NULL REFERENCES incidents(id),
                warehouse  text NOT NULL REFERENCES warehouses(id),
                lot        text NOT NULL REFERENCES lots(code),
                sku        text NOT NULL,
                quantity   bigint NOT NULL CHECK (quantity > 0),
                status     text NOT NULL,
                plan       text REFERENCES plans(id),
                created_at bigint NOT NULL,
                updated_at bigint NOT NULL
            )
            """,
            "CREATE INDEX allocations_by_need ON allocations (need)",
            """
            CREATE TABLE assignments (
                id         text PRIMARY KEY,
                need       text NOT NULL REFERENCES needs(id),
                incident   text NOT NULL REFERENCES incidents(id),
                volunteer  text NOT NULL REFERENCES volunteers(id),
                team       text,
                status     text NOT NULL,
                plan       text REFERENCES plans(id),
                created_at bigint NOT NULL,
                updated_at bigint NOT NULL,
                hours_ms   bigint NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX assignments_by_need ON assignments (need)",

            // The SQLite view, column for column (needed_by as a UTC timestamp to the second).
            // stock_by_region is in migration 1.
            """
            CREATE VIEW open_needs AS
                SELECT n.id AS need, n.incident, i.title AS incident_title, n.type,
                       COALESCE(n.sku, n.skill, n.specialty) AS what, n.amount, n.priority,
                       to_timestamp(n.needed_by / 1000) AT TIME ZONE 'UTC' AS needed_by,
                       CASE n.type WHEN 'supply' THEN
                           (SELECT COALESCE(SUM(quantity), 0) FROM allocations a WHERE a.need = n.id AND a.status IN ('reserved', 'dispatched', 'delivered'))
                       WHEN 'volunteers' THEN
                           (SELECT COUNT(*) FROM assignments s WHERE s.need = n.id AND s.status <> 'released')
                       ELSE
                           (SELECT COUNT(DISTINCT team) FROM assignments s WHERE s.need = n.id AND s.status <> 'released')
                       END::bigint AS met,
                       (SELECT COALESCE(SUM(quantity), 0) FROM allocations a WHERE a.need = n.id AND a.status = 'dispatched')::bigint AS in_transit,
                       (SELECT COALESCE(SUM(quantity), 0) FROM allocations a WHERE a.need = n.id AND a.status = 'delivered')::bigint AS delivered
                FROM needs n JOIN incidents i ON i.id = n.incident
                WHERE n.status = 'open' AND i.status <> 'closed'
                ORDER BY n.priority, n.needed_by, n.id
            """,

            // Kinds that later migrations add are projected here (replace this function, not
            // reliefd_project_more). Unknown kinds are ignored, as in migration 1.
            """
            CREATE FUNCTION reliefd_project_later(seq bigint, at bigint, kind text, b jsonb) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                RETURN;
            END $$
            """,
            // Mirrors State.applyIncident for the tables (SQLiteIncidentProjector statement for
            // statement); every UPDATE of a row that must exist checks it did (RD001).
            """
            CREATE OR REPLACE FUNCTION reliefd_project_more(seq bigint, at bigint, kind text, b jsonb) RETURNS void LANGUAGE plpgsql AS $$
            DECLARE
                al allocations%ROWTYPE;
                asg assignments%ROWTYPE;
                applied integer;
            BEGIN
                CASE kind
                WHEN 'incident.opened' THEN
                    INSERT INTO incidents (id, title, kind, lat, lon, region, severity, affected, status, opened_at)
                        VALUES (b->>'id', b->>'title', b->>'kind', (b->>'lat')::float8, (b->>'lon')::float8, b->>'region',
                                (b->>'severity')::integer, (b->>'affected')::bigint, 'open', COALESCE((b->>'created')::bigint, 0));
                WHEN 'incident.updated' THEN
                    UPDATE incidents SET title = COALESCE(b->>'title', title), severity = COALESCE((b->>'severity')::integer, severity),
                           affected = COALESCE((b->>'affected')::bigint, affected)
                        WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'incident ' || (b->>'id')); END IF;
                WHEN 'incident.status_set' THEN
                    UPDATE incidents SET status = b->>'status' WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'incident ' || (b->>'id')); END IF;
                WHEN 'need.added' THEN
                    INSERT INTO needs (id, incident, type, sku, skill, specialty, amount, hours, priority, needed_by, status, note, created_at)
                        VALUES (b->>'id', b->>'incident', b->>'type', b->>'sku', b->>'skill', b->>'specialty', (b->>'amount')::bigint,
                                (b->>'hours')::integer, (b->>'priority')::integer, (b->>'by')::bigint, 'open', b->>'note',
                                COALESCE((b->>'created')::bigint, 0));
                WHEN 'need.changed' THEN
                    UPDATE needs SET amount = COALESCE((b->>'amount')::bigint, amount), priority = COALESCE((b->>'priority')::integer, priority),
                           needed_by = COALESCE((b->>'by')::bigint, needed_by), note = COALESCE(b->>'note', note)
                        WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'need ' || (b->>'id')); END IF;
                WHEN 'need.cancelled' THEN
                    UPDATE needs SET status = 'cancelled' WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'need ' || (b->>'id')); END IF;
                WHEN 'plan.proposed' THEN
                    -- lines: "s NEED WAREHOUSE LOT QTY COST;v NEED VOLUNTEER COST;t NEED TEAM COST"; a line's cost is its last field.
                    INSERT INTO plans (id, incident, based_on_seq, created_at, lines, unmet, total_cost, status, applied_lines)
                        SELECT b->>'id', b->>'incident', (b->>'based_on')::bigint, COALESCE((b->>'created')::bigint, 0), COUNT(line),
                               (b->>'unmet')::integer, COALESCE(SUM((regexp_match(line, '(\\S+)$'))[1]::bigint), 0), 'proposed', 0
                        FROM unnest(string_to_array(b->>'lines', ';')) AS line
                        WHERE line <> '';
                WHEN 'plan.applied' THEN
                    -- As in State: a plan is applied once every one of its lines is.
                    SELECT COUNT(*) INTO applied FROM unnest(string_to_array(b->>'lines', ',')) AS line WHERE line <> '';
                    UPDATE plans SET applied_lines = applied_lines + applied,
                           status = CASE WHEN applied_lines + applied >= lines THEN 'applied' ELSE status END
                        WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'plan ' || (b->>'id')); END IF;
                WHEN 'allocation.reserved' THEN
                    INSERT INTO allocations (id, need, incident, warehouse, lot, sku, quantity, status, plan, created_at, updated_at)
                        VALUES (b->>'id', b->>'need', b->>'incident', b->>'warehouse', b->>'lot', b->>'sku', (b->>'qty')::bigint,
                                'reserved', b->>'plan', COALESCE((b->>'created')::bigint, 0), at);
                    UPDATE holdings SET reserved = reserved + (b->>'qty')::bigint WHERE warehouse = b->>'warehouse' AND lot = b->>'lot';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'holding ' || (b->>'warehouse') || '/' || (b->>'lot')); END IF;
                WHEN 'allocation.dispatched' THEN
                    -- Off the shelf: on hand and reserved both go down; an empty holding goes.
                    SELECT * INTO al FROM allocations WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'allocation ' || (b->>'id')); END IF;
                    UPDATE holdings SET on_hand = on_hand - al.quantity, reserved = reserved - al.quantity
                        WHERE warehouse = al.warehouse AND lot = al.lot;
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'holding ' || al.warehouse || '/' || al.lot); END IF;
                    DELETE FROM holdings WHERE warehouse = al.warehouse AND lot = al.lot AND on_hand = 0 AND reserved = 0;
                    UPDATE allocations SET status = 'dispatched', updated_at = at WHERE id = al.id;
                WHEN 'allocation.delivered' THEN
                    UPDATE allocations SET status = 'delivered', updated_at = at WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'allocation ' || (b->>'id')); END IF;
                WHEN 'allocation.released' THEN
                    SELECT * INTO al FROM allocations WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'allocation ' || (b->>'id')); END IF;
                    IF al.status = 'dispatched' THEN
                        -- In transit: the goods go back on the shelf they came from.
                        INSERT INTO holdings (warehouse, lot, sku, on_hand, reserved) VALUES (al.warehouse, al.lot, al.sku, al.quantity, 0)
                            ON CONFLICT (warehouse, lot) DO UPDATE SET on_hand = holdings.on_hand + excluded.on_hand;
                    ELSE
                        UPDATE holdings SET reserved = reserved - al.quantity WHERE warehouse = al.warehouse AND lot = al.lot;
                        IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'holding ' || al.warehouse || '/' || al.lot); END IF;
                        DELETE FROM holdings WHERE warehouse = al.warehouse AND lot = al.lot AND on_hand = 0 AND reserved = 0;
                    END IF;
                    UPDATE allocations SET status = 'released', updated_at = at WHERE id = al.id;
                WHEN 'assignment.made' THEN
                    INSERT INTO assignments (id, need, incident, volunteer, team, status, plan, created_at, updated_at, hours_ms)
                        VALUES (b->>'id', b->>'need', b->>'incident', b->>'volunteer', b->>'team', 'assigned', b->>'plan',
                                COALESCE((b->>'created')::bigint, 0), at, 0);
                    UPDATE volunteers SET status = 'deployed', status_reason = 'assignment ' || (b->>'id') || ' to ' || (b->>'incident'),
                           status_until = NULL
                        WHERE id = b->>'volunteer';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || (b->>'volunteer')); END IF;
                WHEN 'assignment.status_set' THEN
                    UPDATE assignments SET status = b->>'status', updated_at = at WHERE id = b->>'id' RETURNING * INTO asg;
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'assignment ' || (b->>'id')); END IF;
                    IF b->>'status' = 'on_scene' THEN
                        UPDATE volunteers SET on_duty_since = at, on_duty_incident = asg.incident WHERE id = asg.volunteer;
                        IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || asg.volunteer); END IF;
                    END IF;
                WHEN 'assignment.released' THEN
                    -- Hours on scene onto the assignment and the duty log; the volunteer stands down.
                    SELECT * INTO asg FROM assignments WHERE id = b->>'id';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'assignment ' || (b->>'id')); END IF;
                    UPDATE assignments SET status = 'released', updated_at = at,
                           hours_ms = COALESCE(at - (SELECT on_duty_since FROM volunteers WHERE id = asg.volunteer), 0)
                        WHERE id = asg.id;
                    INSERT INTO duty_log (volunteer, start, "end", incident)
                        SELECT id, on_duty_since, at, on_duty_incident FROM volunteers WHERE id = asg.volunteer AND on_duty_since IS NOT NULL;
                    UPDATE volunteers SET on_duty_since = NULL, on_duty_incident = NULL, status = 'available', status_reason = NULL
                        WHERE id = asg.volunteer;
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'volunteer ' || asg.volunteer); END IF;
                ELSE
                    PERFORM reliefd_project_later(seq, at, kind, b);
                END CASE;
            END $$
            """,
            """
            CREATE OR REPLACE FUNCTION reliefd_clear_state() RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                TRUNCATE assignments, allocations, plans, needs, incidents,
                         team_members, duty_log, certifications, volunteers, teams, specialties, skills,
                         minimums, holdings, lots, items, warehouses, regions CASCADE;
            END $$
            """,
        ],

        // 3: the travel-time matrix (SQLite migration 4): road minutes from a warehouse or region to
        // a region or warehouse, directed; places are not foreign keys because a place is either.
        // `travel.set` without minutes clears the entry. A database whose journal already holds
        // travel entries gets the table filled by the load's rebuild (its counts differ).
        [
            """
            CREATE TABLE travel_times (
                origin      text NOT NULL,
                destination text NOT NULL,
                minutes     integer NOT NULL CHECK (minutes BETWEEN 1 AND 10000),
                PRIMARY KEY (origin, destination)
            )
            """,
            // Replaced again by the next migration that adds kinds (keeping the cases above it).
            """
            CREATE OR REPLACE FUNCTION reliefd_project_later(seq bigint, at bigint, kind text, b jsonb) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                CASE kind
                WHEN 'travel.set' THEN
                    IF b->>'minutes' IS NULL THEN
                        DELETE FROM travel_times WHERE origin = b->>'from' AND destination = b->>'to';
                        IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'travel time ' || (b->>'from') || ' -> ' || (b->>'to')); END IF;
                    ELSE
                        INSERT INTO travel_times (origin, destination, minutes) VALUES (b->>'from', b->>'to', (b->>'minutes')::integer)
                            ON CONFLICT (origin, destination) DO UPDATE SET minutes = excluded.minutes;
                    END IF;
                ELSE
                    NULL; -- kinds this schema does not know are ignored
                END CASE;
            END $$
            """,
            """
            CREATE OR REPLACE FUNCTION reliefd_clear_state() RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                TRUNCATE travel_times, assignments, allocations, plans, needs, incidents,
                         team_members, duty_log, certifications, volunteers, teams, specialties, skills,
                         minimums, holdings, lots, items, warehouses, regions CASCADE;
            END $$
            """,
        ],

        // 4: needs.ref (SQLite migration 5), the name a client gave a need (`need add … ref=`),
        // unique where there is one. need.added is projected by migration 2's
        // reliefd_project_more; rather than repeat that whole function to change one case, it is
        // kept as reliefd_project_incidents behind a new reliefd_project_more that projects
        // need.added with its ref and hands every other kind on. Existing rows get NULL, which is
        // right for every need added before refs; a database whose journal already holds refs gets
        // them from the load's rebuild (its count of needs with a ref differs).
        [
            "ALTER TABLE needs ADD COLUMN ref text",
            "CREATE UNIQUE INDEX needs_by_ref ON needs (ref)",
            "ALTER FUNCTION reliefd_project_more(bigint, bigint, text, jsonb) RENAME TO reliefd_project_incidents",
            """
            CREATE FUNCTION reliefd_project_more(seq bigint, at bigint, kind text, b jsonb) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                IF kind = 'need.added' THEN
                    INSERT INTO needs (id, incident, type, sku, skill, specialty, amount, hours, priority, needed_by, status, note, created_at, ref)
                        VALUES (b->>'id', b->>'incident', b->>'type', b->>'sku', b->>'skill', b->>'specialty', (b->>'amount')::bigint,
                                (b->>'hours')::integer, (b->>'priority')::integer, (b->>'by')::bigint, 'open', b->>'note',
                                COALESCE((b->>'created')::bigint, 0), b->>'ref');
                ELSE
                    PERFORM reliefd_project_incidents(seq, at, kind, b);
                END IF;
            END $$
            """,
        ],

        // 5: schedules of daily needs and a need's reach (SQLite migration 6): series (the id of
        // the schedule's first need), day and days (day k of N), reach (NULL = the configured
        // default). Migration 4's reliefd_project_more is replaced: need.added is projected with
        // the new columns, and need.changed goes to reliefd_project_incidents as before, then sets
        // the reach when the change names one ("default" clears it). Existing rows get NULL,
        // right for every need added before; a database whose journal already holds schedules or
        // reaches gets them from the load's rebuild (its count of needs in a schedule, total of
        // days or total of reaches differs).
        [
            "ALTER TABLE needs ADD COLUMN series text",
            "ALTER TABLE needs ADD COLUMN day integer CHECK (day >= 1)",
            "ALTER TABLE needs ADD COLUMN days integer CHECK (days >= 1)",
            "ALTER TABLE needs ADD COLUMN reach text CHECK (reach IN ('county', 'city', 'province', 'country'))",
            "CREATE INDEX needs_by_series ON needs (series)",
            """
            CREATE OR REPLACE FUNCTION reliefd_project_more(seq bigint, at bigint, kind text, b jsonb) RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                IF kind = 'need.added' THEN
                    INSERT INTO needs (id, incident, type, sku, skill, specialty, amount, hours, priority, needed_by, status, note, created_at, ref,
                                       series, day, days, reach)
                        VALUES (b->>'id', b->>'incident', b->>'type', b->>'sku', b->>'skill', b->>'specialty', (b->>'amount')::bigint,
                                (b->>'hours')::integer, (b->>'priority')::integer, (b->>'by')::bigint, 'open', b->>'note',
                                COALESCE((b->>'created')::bigint, 0), b->>'ref',
                                b->>'series', (b->>'day')::integer, (b->>'days')::integer, b->>'reach');
                ELSE
                    PERFORM reliefd_project_incidents(seq, at, kind, b);
                    IF kind = 'need.changed' AND b ? 'reach' THEN
                        UPDATE needs SET reach = NULLIF(b->>'reach', 'default') WHERE id = b->>'id';
                        IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'need ' || (b->>'id')); END IF;
                    END IF;
                END IF;
            END $$
            """,
        ],

        // 6: stock moves (SQLite migration 8), every change of a lot's quantity in a warehouse
        // (State.moves), kept in the store so the history need not live in memory. Projected by a
        // trigger of its own, `journal_moves`, which fires before `journal_project` (triggers fire
        // in name order), so a dispatch or a return reads the allocation before its status changes;
        // `reliefd_rebuild` is replaced to project the moves too, and `reliefd_clear_state` to
        // empty them. An existing database gets them from the load's rebuild (its count differs).
        [
            """
            CREATE TABLE stock_moves (
                seq         bigint NOT NULL,
                n           integer NOT NULL CHECK (n >= 0),
                time        bigint NOT NULL,
                actor       text NOT NULL,
                kind        text NOT NULL CHECK (kind IN ('received', 'issued', 'transfer_out', 'transfer_in', 'adjusted',
                                                         'dispatched', 'returned')),
                warehouse   text NOT NULL,
                lot         text NOT NULL,
                sku         text NOT NULL,
                delta       bigint NOT NULL,
                counterpart text,
                reason      text,
                note        text,
                PRIMARY KEY (lot, seq, n)
            )
            """,
            "CREATE INDEX stock_moves_by_warehouse ON stock_moves (warehouse, seq)",
            """
            CREATE FUNCTION reliefd_project_moves(seq bigint, at bigint, who text, kind text, body text) RETURNS void LANGUAGE plpgsql AS $$
            DECLARE
                b jsonb;
            BEGIN
                IF kind NOT IN ('lot.received', 'lot.issued', 'lot.transferred', 'lot.adjusted',
                                'allocation.dispatched', 'allocation.released') THEN
                    RETURN;
                END IF;
                b := body::jsonb;
                CASE kind
                WHEN 'lot.received' THEN
                    INSERT INTO stock_moves VALUES (seq, 0, at, who, 'received', b->>'warehouse', b->>'lot', b->>'sku',
                                                    (b->>'qty')::bigint, b->>'party', b->>'source', b->>'note');
                WHEN 'lot.issued' THEN
                    INSERT INTO stock_moves SELECT seq, 0, at, who, 'issued', b->>'warehouse', code, sku,
                                                   -(b->>'qty')::bigint, b->>'recipient', NULL, b->>'note'
                        FROM lots WHERE code = b->>'lot';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'lot ' || (b->>'lot')); END IF;
                WHEN 'lot.transferred' THEN
                    INSERT INTO stock_moves SELECT seq, 0, at, who, 'transfer_out', b->>'from', code, sku,
                                                   -(b->>'qty')::bigint, b->>'to', NULL, b->>'note'
                        FROM lots WHERE code = b->>'lot';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'lot ' || (b->>'lot')); END IF;
                    INSERT INTO stock_moves SELECT seq, 1, at, who, 'transfer_in', b->>'to', code, sku,
                                                   (b->>'qty')::bigint, b->>'from', NULL, b->>'note'
                        FROM lots WHERE code = b->>'lot';
                WHEN 'lot.adjusted' THEN
                    INSERT INTO stock_moves SELECT seq, 0, at, who, 'adjusted', b->>'warehouse', code, sku,
                                                   (b->>'delta')::bigint, NULL, b->>'reason', b->>'note'
                        FROM lots WHERE code = b->>'lot';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'lot ' || (b->>'lot')); END IF;
                WHEN 'allocation.dispatched' THEN
                    INSERT INTO stock_moves SELECT seq, 0, at, who, 'dispatched', warehouse, lot, sku, -quantity, incident, id, b->>'note'
                        FROM allocations WHERE id = b->>'id' AND status = 'reserved';
                    IF NOT FOUND THEN PERFORM reliefd_drift(seq, 'reserved allocation ' || (b->>'id')); END IF;
                WHEN 'allocation.released' THEN
                    -- Only a dispatched allocation's goods come back (a reserved one moved nothing).
                    INSERT INTO stock_moves SELECT seq, 0, at, who, 'returned', warehouse, lot, sku, quantity, incident, id, b->>'reason'
                        FROM allocations WHERE id = b->>'id' AND status = 'dispatched';
                END CASE;
            END $$
            """,
            """
            CREATE FUNCTION reliefd_moves_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM reliefd_project_moves(NEW.seq, NEW.time, NEW.actor, NEW.kind, NEW.body);
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER journal_moves AFTER INSERT ON journal FOR EACH ROW EXECUTE FUNCTION reliefd_moves_inserted()",
            """
            CREATE OR REPLACE FUNCTION reliefd_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
            DECLARE
                r record;
                n bigint := 0;
            BEGIN
                PERFORM reliefd_clear_state();
                FOR r IN SELECT seq, time, actor, kind, body FROM journal ORDER BY seq LOOP
                    PERFORM reliefd_project_moves(r.seq, r.time, r.actor, r.kind, r.body);
                    PERFORM reliefd_project(r.seq, r.time, r.kind, r.body);
                    n := n + 1;
                END LOOP;
                RETURN n;
            END $$
            """,
            """
            CREATE OR REPLACE FUNCTION reliefd_clear_state() RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                TRUNCATE stock_moves, travel_times, assignments, allocations, plans, needs, incidents,
                         team_members, duty_log, certifications, volunteers, teams, specialties, skills,
                         minimums, holdings, lots, items, warehouses, regions CASCADE;
            END $$
            """,
        ],
        // 7: where the leader takes writes, for followers (docs/operations.md "Followers"): one
        // row, written by each reliefd that takes the leader lock, in a fenced transaction.
        [
            """
            CREATE TABLE leader (
                id integer PRIMARY KEY CHECK (id = 1),
                address text NOT NULL,
                lock_pid integer NOT NULL,
                since bigint NOT NULL
            )
            """,
        ],
    ]

    static var latestVersion: Int64 { Int64(migrations.count) }

    /// First job of a migration: opens its transaction, serializes concurrent migrators and reads
    /// the version (result 3).
    static let versionCheck: [PGConnection.Statement] = [
        PGConnection.Statement("BEGIN"),
        PGConnection.Statement("SELECT pg_advisory_xact_lock(\(lockClass), \(migrationLock))"),
        PGConnection.Statement("CREATE TABLE IF NOT EXISTS schema_version (version bigint PRIMARY KEY, applied_at bigint NOT NULL)"),
        PGConnection.Statement("SELECT COALESCE(MAX(version), 0) FROM schema_version"),
    ]

    /// Second job: the missing migrations (or none) and COMMIT.
    static func upgrade(from found: Int64) -> [PGConnection.Statement] {
        var statements: [PGConnection.Statement] = []
        if found < latestVersion {
            for version in (found + 1)...latestVersion {
                statements += migrations[Int(version) - 1].map { PGConnection.Statement($0) }
                statements.append(PGConnection.Statement("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                                                         [String(version), String(WallClock.milliseconds())]))
            }
        }
        statements.append(PGConnection.Statement("COMMIT"))
        return statements
    }

    static func tooNew(_ found: Int64, _ location: String) -> StoreError {
        StoreError("database \(location) has schema version \(found), newer than the \(latestVersion) this reliefd knows; "
                   + "run a newer reliefd or restore a matching backup", isTransient: false)
    }
}
