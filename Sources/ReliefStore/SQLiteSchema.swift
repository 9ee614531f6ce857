import Logging

/// The database schema as numbered forward migrations. Migration N (1-based) is
/// `migrations[N - 1]`; a database records every migration applied in `schema_version`. Never edit
/// a released migration: add the next one. docs/storage.md describes the tables.
enum SQLiteSchema {
    static let migrations: [String] = [
        // 1: journal, snapshots, current-state tables and views for warehouse keepers.
        """
        CREATE TABLE journal (
            seq    INTEGER PRIMARY KEY,
            time   INTEGER NOT NULL,
            actor  TEXT NOT NULL,
            kind   TEXT NOT NULL,
            body   TEXT NOT NULL,
            hash   TEXT NOT NULL
        );
        CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
            BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
        CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
            BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;

        CREATE TABLE snapshots (
            seq      INTEGER PRIMARY KEY,
            hash     TEXT NOT NULL,
            taken_at INTEGER NOT NULL,
            format   TEXT NOT NULL,
            body     TEXT NOT NULL
        );

        CREATE TABLE regions (
            id     TEXT PRIMARY KEY,
            name   TEXT NOT NULL,
            level  TEXT NOT NULL,
            parent TEXT REFERENCES regions(id)
        );
        CREATE TABLE warehouses (
            id         TEXT PRIMARY KEY,
            name       TEXT NOT NULL,
            region     TEXT NOT NULL REFERENCES regions(id),
            lat        REAL NOT NULL,
            lon        REAL NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE items (
            sku             TEXT PRIMARY KEY,
            name            TEXT NOT NULL,
            category        TEXT NOT NULL,
            unit            TEXT NOT NULL,
            pack_size       INTEGER NOT NULL,
            shelf_life_days INTEGER
        );
        CREATE TABLE lots (
            code        TEXT PRIMARY KEY,
            sku         TEXT NOT NULL REFERENCES items(sku),
            expires     TEXT,
            source      TEXT NOT NULL,
            party       TEXT,
            received_at INTEGER NOT NULL
        );
        CREATE TABLE holdings (
            warehouse TEXT NOT NULL REFERENCES warehouses(id),
            lot       TEXT NOT NULL REFERENCES lots(code),
            sku       TEXT NOT NULL,
            on_hand   INTEGER NOT NULL CHECK (on_hand >= reserved),
            reserved  INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
            PRIMARY KEY (warehouse, lot)
        ) WITHOUT ROWID;
        CREATE INDEX holdings_by_sku ON holdings(sku, warehouse);
        CREATE TABLE minimums (
            warehouse TEXT NOT NULL REFERENCES warehouses(id),
            sku       TEXT NOT NULL REFERENCES items(sku),
            quantity  INTEGER NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (warehouse, sku)
        ) WITHOUT ROWID;

        CREATE TABLE store_probe (
            id        INTEGER PRIMARY KEY CHECK (id = 1),
            probed_at INTEGER NOT NULL
        );

        CREATE VIEW stock_by_warehouse AS
            SELECT warehouse, sku, SUM(on_hand) AS on_hand, SUM(reserved) AS reserved,
                   SUM(on_hand - reserved) AS available
            FROM holdings GROUP BY warehouse, sku;
        CREATE VIEW expiring_lots AS
            SELECT h.warehouse, h.lot, h.sku, l.expires,
                   CAST(julianday(l.expires) - julianday('now', 'start of day') AS INTEGER) AS days_left,
                   h.on_hand, h.reserved, h.on_hand - h.reserved AS available, l.source, l.party
            FROM holdings h JOIN lots l ON l.code = h.lot
            WHERE l.expires IS NOT NULL
            ORDER BY l.expires, h.warehouse, h.lot;
        CREATE VIEW below_minimum AS
            SELECT m.warehouse, m.sku, m.quantity AS minimum, COALESCE(s.available, 0) AS available
            FROM minimums m LEFT JOIN stock_by_warehouse s ON s.warehouse = m.warehouse AND s.sku = m.sku
            WHERE COALESCE(s.available, 0) < m.quantity;
        """,

        // 2: rosters (skills, specialties, volunteers, certifications, duty log, teams) and views
        // for coordinators. Only adds objects, so a version 1 file upgrades in place; the load after
        // the migration finds the new tables short of the state and fills them (tablesMatch).
        // volunteers.team and teams.leader point at each other, so neither has a foreign key.
        """
        CREATE TABLE skills (
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            specialty   TEXT,
            certificate INTEGER NOT NULL CHECK (certificate IN (0, 1))
        );
        CREATE TABLE specialties (
            id              TEXT PRIMARY KEY,
            name            TEXT NOT NULL,
            required_skills TEXT NOT NULL
        );
        CREATE TABLE volunteers (
            id               TEXT PRIMARY KEY,
            name             TEXT NOT NULL,
            phone            TEXT,
            id_number        TEXT,
            region           TEXT NOT NULL REFERENCES regions(id),
            lat              REAL NOT NULL,
            lon              REAL NOT NULL,
            languages        TEXT NOT NULL,
            skills           TEXT NOT NULL,
            max_hours        INTEGER NOT NULL,
            min_rest_hours   INTEGER NOT NULL,
            organization     TEXT,
            status           TEXT NOT NULL,
            status_reason    TEXT,
            status_until     TEXT,
            on_duty_since    INTEGER,
            on_duty_incident TEXT,
            team             TEXT,
            registered_at    INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE certifications (
            volunteer TEXT NOT NULL REFERENCES volunteers(id),
            skill     TEXT NOT NULL REFERENCES skills(id),
            issued    TEXT NOT NULL,
            expires   TEXT NOT NULL,
            issuer    TEXT NOT NULL,
            PRIMARY KEY (volunteer, skill)
        ) WITHOUT ROWID;
        CREATE INDEX certifications_by_expiry ON certifications(expires);
        CREATE TABLE duty_log (
            volunteer TEXT NOT NULL REFERENCES volunteers(id),
            start     INTEGER NOT NULL,
            "end"     INTEGER NOT NULL,
            incident  TEXT
        );
        CREATE INDEX duty_log_by_volunteer ON duty_log(volunteer, start);
        CREATE TABLE teams (
            id           TEXT PRIMARY KEY,
            name         TEXT NOT NULL,
            specialty    TEXT NOT NULL REFERENCES specialties(id),
            region       TEXT NOT NULL REFERENCES regions(id),
            lat          REAL NOT NULL,
            lon          REAL NOT NULL,
            leader       TEXT,
            state        TEXT NOT NULL,
            state_reason TEXT
        );
        CREATE TABLE team_members (
            team      TEXT NOT NULL REFERENCES teams(id),
            volunteer TEXT NOT NULL REFERENCES volunteers(id),
            PRIMARY KEY (team, volunteer)
        ) WITHOUT ROWID;

        CREATE VIEW volunteers_by_region_and_status AS
            SELECT region, status, COUNT(*) AS volunteers,
                   SUM(on_duty_since IS NOT NULL) AS on_duty,
                   SUM(status_until IS NOT NULL AND status_until <= date('now')) AS status_lapsed
            FROM volunteers GROUP BY region, status;
        CREATE VIEW certifications_expiring AS
            SELECT c.volunteer, v.name, v.region, c.skill, c.issued, c.expires,
                   CAST(julianday(c.expires) - julianday(date('now')) AS INTEGER) AS days_left, c.issuer
            FROM certifications c JOIN volunteers v ON v.id = c.volunteer
            ORDER BY c.expires, c.volunteer, c.skill;
        CREATE VIEW team_strength AS
            SELECT t.id AS team, t.name, t.specialty, t.region, t.state, t.leader,
                   COUNT(m.volunteer) AS members,
                   COALESCE(SUM(v.on_duty_since IS NOT NULL), 0) AS on_duty,
                   COALESCE(SUM(v.status = 'available'), 0) AS available
            FROM teams t
            LEFT JOIN team_members m ON m.team = t.id
            LEFT JOIN volunteers v ON v.id = m.volunteer
            GROUP BY t.id;
        """,

        // 3: incidents, needs, plans, allocations and assignments, and the views a duty officer or
        // an analyst reads (open needs with what is met, in transit and missing; stock available).
        """
        CREATE TABLE incidents (
            id        TEXT PRIMARY KEY,
            title     TEXT NOT NULL,
            kind      TEXT NOT NULL,
            lat       REAL NOT NULL,
            lon       REAL NOT NULL,
            region    TEXT NOT NULL REFERENCES regions(id),
            severity  INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 5),
            affected  INTEGER NOT NULL CHECK (affected >= 0),
            status    TEXT NOT NULL,
            opened_at INTEGER NOT NULL
        );
        CREATE TABLE needs (
            id         TEXT PRIMARY KEY,
            incident   TEXT NOT NULL REFERENCES incidents(id),
            type       TEXT NOT NULL CHECK (type IN ('supply', 'volunteers', 'teams')),
            sku        TEXT REFERENCES items(sku),
            skill      TEXT REFERENCES skills(id),
            specialty  TEXT REFERENCES specialties(id),
            amount     INTEGER NOT NULL CHECK (amount > 0),
            hours      INTEGER,
            priority   INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
            needed_by  INTEGER NOT NULL,
            status     TEXT NOT NULL,
            note       TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX needs_by_incident ON needs(incident);
        CREATE TABLE plans (
            id           TEXT PRIMARY KEY,
            incident     TEXT REFERENCES incidents(id),
            based_on_seq INTEGER NOT NULL,
            created_at   INTEGER NOT NULL,
            lines        INTEGER NOT NULL,
            unmet        INTEGER NOT NULL,
            total_cost   INTEGER NOT NULL,
            status       TEXT NOT NULL,
            applied_lines INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE allocations (
            id         TEXT PRIMARY KEY,
            need       TEXT NOT NULL REFERENCES needs(id),
            incident   TEXT NOT NULL REFERENCES incidents(id),
            warehouse  TEXT NOT NULL REFERENCES warehouses(id),
            lot        TEXT NOT NULL REFERENCES lots(code),
            sku        TEXT NOT NULL,
            quantity   INTEGER NOT NULL CHECK (quantity > 0),
            status     TEXT NOT NULL,
            plan       TEXT REFERENCES plans(id),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX allocations_by_need ON allocations(need);
        CREATE TABLE assignments (
            id         TEXT PRIMARY KEY,
            need       TEXT NOT NULL REFERENCES needs(id),
            incident   TEXT NOT NULL REFERENCES incidents(id),
            volunteer  TEXT NOT NULL REFERENCES volunteers(id),
            team       TEXT,
            status     TEXT NOT NULL,
            plan       TEXT REFERENCES plans(id),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            hours_ms   INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX assignments_by_need ON assignments(need);

        CREATE VIEW open_needs AS
            SELECT n.id AS need, n.incident, i.title AS incident_title, n.type,
                   COALESCE(n.sku, n.skill, n.specialty) AS what, n.amount, n.priority,
                   datetime(n.needed_by / 1000, 'unixepoch') AS needed_by,
                   CASE n.type WHEN 'supply' THEN
                       (SELECT COALESCE(SUM(quantity), 0) FROM allocations a WHERE a.need = n.id AND a.status IN ('reserved', 'dispatched', 'delivered'))
                   WHEN 'volunteers' THEN
                       (SELECT COUNT(*) FROM assignments s WHERE s.need = n.id AND s.status <> 'released')
                   ELSE
                       (SELECT COUNT(DISTINCT team) FROM assignments s WHERE s.need = n.id AND s.status <> 'released')
                   END AS met,
                   (SELECT COALESCE(SUM(quantity), 0) FROM allocations a WHERE a.need = n.id AND a.status = 'dispatched') AS in_transit,
                   (SELECT COALESCE(SUM(quantity), 0) FROM allocations a WHERE a.need = n.id AND a.status = 'delivered') AS delivered
            FROM needs n JOIN incidents i ON i.id = n.incident
            WHERE n.status = 'open' AND i.status <> 'closed'
            ORDER BY n.priority, n.needed_by, n.id;
        CREATE VIEW stock_by_region AS
            SELECT w.region, h.sku, SUM(h.on_hand) AS on_hand, SUM(h.reserved) AS reserved,
                   SUM(h.on_hand - h.reserved) AS available
            FROM holdings h JOIN warehouses w ON w.id = h.warehouse
            GROUP BY w.region, h.sku;
        """,

        // 4: the travel-time matrix (road minutes from a warehouse or region to a region or
        // warehouse, directed; places are not foreign keys because a place is either). Only adds a
        // table, so a version 3 file upgrades in place and the load fills it (tablesMatch).
        """
        CREATE TABLE travel_times (
            origin      TEXT NOT NULL,
            destination TEXT NOT NULL,
            minutes     INTEGER NOT NULL CHECK (minutes BETWEEN 1 AND 10000),
            PRIMARY KEY (origin, destination)
        ) WITHOUT ROWID;
        """,

        // 5: needs.ref, the name a client gave a need (`need add … ref=`), unique where there is one.
        // Only adds a column, so a version 4 file upgrades in place with every ref NULL; the load
        // after the migration compares each row with the state and rewrites the tables from it if a
        // need has a ref its row lacks (tablesMatch).
        """
        ALTER TABLE needs ADD COLUMN ref TEXT;
        CREATE UNIQUE INDEX needs_by_ref ON needs(ref);
        """,

        // 6: schedules of daily needs (`need add … per_day=Q days=N`, `need estimate … days=N
        // accept`): series (the id of the schedule's first need), day and days (day k of N); and a
        // need's reach (county, city, province or country; NULL = the configured default). Only
        // adds columns, so a version 5 file upgrades in place with them NULL; the load after the
        // migration compares each row with the state and rewrites the tables from it if a need has
        // a schedule or reach its row lacks (tablesMatch).
        """
        ALTER TABLE needs ADD COLUMN series TEXT;
        ALTER TABLE needs ADD COLUMN day INTEGER CHECK (day >= 1);
        ALTER TABLE needs ADD COLUMN days INTEGER CHECK (days >= 1);
        ALTER TABLE needs ADD COLUMN reach TEXT CHECK (reach IN ('county', 'city', 'province', 'country'));
        CREATE INDEX needs_by_series ON needs(series);
        """,

        // 7: snapshots stored in parts. A snapshot of a large state is tens or hundreds of
        // megabytes; written as one row it held the write lock (and the commits queued behind it)
        // for up to a second. Its text is now cut at line ends into parts of about 256 KiB, each
        // written in a transaction of its own between commits, and the `snapshots` row (body '',
        // `parts` the count) is written last: a snapshot exists once its row does. Rows written
        // before this migration keep their body and parts = 0.
        """
        CREATE TABLE snapshot_parts (
            seq  INTEGER NOT NULL,
            part INTEGER NOT NULL CHECK (part >= 0),
            body TEXT NOT NULL,
            PRIMARY KEY (seq, part)
        );
        ALTER TABLE snapshots ADD COLUMN parts INTEGER NOT NULL DEFAULT 0 CHECK (parts >= 0);
        """,

        // 8: stock moves, every change of a lot's quantity in a warehouse (State.moves), kept in
        // the store so the history need not live in memory: `n` numbers the moves of one entry (a
        // transfer's out and in). Keyed by lot (a lot's history is one range of the table) with
        // one index by warehouse: two b-tree inserts per move, each commit pays for them. Projected in the commit's transaction like the other tables; a
        // version 7 file gets the table filled from the state at its first load (tablesMatch).
        """
        CREATE TABLE stock_moves (
            seq         INTEGER NOT NULL,
            n           INTEGER NOT NULL CHECK (n >= 0),
            time        INTEGER NOT NULL,
            actor       TEXT NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('received', 'issued', 'transfer_out', 'transfer_in', 'adjusted',
                                                     'dispatched', 'returned')),
            warehouse   TEXT NOT NULL,
            lot         TEXT NOT NULL,
            sku         TEXT NOT NULL,
            delta       INTEGER NOT NULL,
            counterpart TEXT,
            reason      TEXT,
            note        TEXT,
            PRIMARY KEY (lot, seq, n)
        ) WITHOUT ROWID;
        CREATE INDEX stock_moves_by_warehouse ON stock_moves(warehouse, seq);
        """,
    ]

    static var latestVersion: Int64 { Int64(migrations.count) }

    /// Brings the database to `latestVersion` in one transaction and returns the version it had.
    /// Refuses a database written by a newer reliefd rather than guess at its meaning.
    @discardableResult
    static func migrate(_ connection: SQLiteConnection, logger: Logger) throws -> Int64 {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_version (
                    version    INTEGER PRIMARY KEY,
                    applied_at INTEGER NOT NULL
                )
                """)
            let found = try connection.scalarInt("SELECT MAX(version) FROM schema_version") ?? 0
            guard found <= latestVersion else {
                throw StoreError("database \(connection.path) has schema version \(found), newer than the \(latestVersion) "
                                 + "this reliefd knows; run a newer reliefd or restore a matching backup", isTransient: false)
            }
            if found < latestVersion {
                let record = try connection.prepare("INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)")
                defer { record.finalize() }
                for version in (found + 1)...latestVersion {
                    try connection.execute(migrations[Int(version) - 1])
                    record.bind(1, version)
                    record.bind(2, WallClock.milliseconds())
                    try record.execute()
                    logger.info("applied schema migration", metadata: ["path": "\(connection.path)", "version": "\(version)"])
                }
            }
            try connection.execute("COMMIT")
            return found
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            throw error
        }
    }
}
