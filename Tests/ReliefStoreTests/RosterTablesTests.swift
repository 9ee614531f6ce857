import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// The roster tables (schema version 2): every roster event is projected in the commit's
/// transaction, the tables equal the state row for row, hand edits are repaired at load, and a
/// version 1 file upgrades in place. Entries are built directly and applied to a `State` first,
/// exactly as the engine does before it hands them to the journal.
final class RosterTablesTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("reliefd.db").path }
    private let logger = Logger(label: "test.roster-tables")
    private var state = State()
    private let start: Int64 = 1_790_000_000_000

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-roster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        state = State()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: helpers

    /// Applies `events` to `state` as the next entries (one minute apart) and returns them.
    private func entries(_ events: [Event], file: StaticString = #filePath, line: UInt = #line) throws -> [Entry] {
        var made: [Entry] = []
        for event in events {
            let seq = state.lastSeq + 1
            let entry = Entry(seq: seq, time: time(seq), actor: "test", event: event)
            try state.apply(entry)
            made.append(entry)
        }
        return made
    }

    private func time(_ seq: Int64) -> Timestamp { Timestamp(milliseconds: start + seq * 60_000) }

    private func openJournal() throws -> (SQLiteJournal, State) {
        let journal = SQLiteJournal(path: path, logger: logger)
        return (journal, try journal.load())
    }

    private func raw() throws -> SQLiteConnection { try SQLiteConnection(path: path) }

    private func int(_ connection: SQLiteConnection, _ sql: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int64 {
        try XCTUnwrap(connection.scalarInt(sql), sql, file: file, line: line)
    }

    private func text(_ connection: SQLiteConnection, _ sql: String) throws -> String? { try connection.scalarText(sql) }

    /// What the load-time drift check says about the file's roster tables and `state`.
    private func rosterTablesMatch(_ state: State, on open: SQLiteConnection? = nil) throws -> Bool {
        let connection = try open ?? raw()
        defer { if open == nil { connection.close() } }
        let projector = try SQLiteRosterProjector(connection: connection)
        defer { projector.finalize() }
        return try projector.tablesMatch(state)
    }

    private func profile(_ name: String, phone: String? = nil, idNumber: String? = nil, region: String = "shanxi/taiyuan",
                         skills: [String: Int] = [:], languages: [String] = ["zh"], organization: String? = nil) -> VolunteerProfile {
        VolunteerProfile(name: name, phone: phone, idNumber: idNumber, region: region,
                         base: Coordinate(latitude: 37.87, longitude: 112.55), languages: languages, skills: skills,
                         maxDutyHoursPerDay: 10, minRestHours: 8, organization: organization)
    }

    private let today = Timestamp(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)).day

    private func catalog() throws -> [Entry] {
        try entries([
            .regionAdded(id: "shanxi", name: "Shanxi", level: .province),
            .regionAdded(id: "shanxi/taiyuan", name: "Taiyuan", level: .city),
            .skillAdded(Skill(id: "first-aid", name: "First aid", specialty: nil, needsCertificate: true)),
            .skillAdded(Skill(id: "rope", name: "Rope rescue", specialty: "sar", needsCertificate: true)),
            .skillAdded(Skill(id: "driving", name: "Driving", specialty: nil, needsCertificate: false)),
            .specialtyAdded(Specialty(id: "sar", name: "Search and rescue", requiredSkills: ["rope", "first-aid"])),
        ])
    }

    /// Every roster event at least once, including the cases with side effects: a re-granted
    /// certification (upsert), a revoked one, two stretches on duty, a removed team leader.
    private func operations() throws -> [[Entry]] {
        [
            try entries([
                .volunteerAdded(id: "v1", profile: profile("Li Wei", phone: "+86 138 0000 0001", idNumber: "140100199001011234",
                                                          skills: ["rope": 2, "first-aid": 3], languages: ["zh", "en"],
                                                          organization: "Blue Sky")),
                .volunteerAdded(id: "v2", profile: profile("Zhang Min", region: "shanxi")),
                .volunteerAdded(id: "v3", profile: profile("Wang Fang", skills: ["driving": 4])),
                .volunteerUpdated(id: "v2", profile: profile("Zhang Min", phone: "+86 139 0000 0002", skills: ["first-aid": 1])),
                .volunteerStatusSet(id: "v3", status: .unavailable, reason: "sick", until: today.adding(days: 3)),
            ]),
            try entries([
                .certificationGranted(id: "v1", Certification(skill: "first-aid", issued: today.adding(days: -300),
                                                              expires: today.adding(days: 65), issuer: "Red Cross Taiyuan")),
                .certificationGranted(id: "v1", Certification(skill: "rope", issued: today.adding(days: -20),
                                                              expires: today.adding(days: 10), issuer: "Blue Sky")),
                .certificationGranted(id: "v2", Certification(skill: "first-aid", issued: today.adding(days: -5),
                                                              expires: today.adding(days: 360), issuer: "Red Cross Taiyuan")),
                // Renewed: the same row, new dates.
                .certificationGranted(id: "v1", Certification(skill: "first-aid", issued: today,
                                                              expires: today.adding(days: 730), issuer: "Red Cross Shanxi")),
                .certificationRevoked(id: "v2", skill: "first-aid", reason: "card lost"),
            ]),
            try entries([.checkedIn(id: "v1", incident: "flood-0713")]),
            try entries([.checkedIn(id: "v2", incident: nil)]),
            try entries([.checkedOut(id: "v1")]),
            try entries([.checkedOut(id: "v2"), .checkedIn(id: "v1", incident: nil)]),
            try entries([
                .teamAdded(Team(id: "sar-1", name: "Taiyuan SAR 1", specialty: "sar", region: "shanxi/taiyuan",
                                base: Coordinate(latitude: 37.8, longitude: 112.5), leader: "v1")),
                .teamMemberAdded(team: "sar-1", volunteer: "v2"),
                .teamAdded(Team(id: "sar-2", name: "Taiyuan SAR 2", specialty: "sar", region: "shanxi",
                                base: Coordinate(latitude: 37.9, longitude: 112.6), leader: nil)),
                .teamMemberAdded(team: "sar-2", volunteer: "v3"),
            ]),
            try entries([
                .teamMemberRemoved(team: "sar-1", volunteer: "v1"),
                .teamStateSet(team: "sar-2", state: .stoodDown, reason: "rotation"),
            ]),
        ]
    }

    // MARK: tests

    func testEveryRosterEventIsProjectedIntoTheTables() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        try journal.commit(catalog())
        for batch in try operations() { try journal.commit(batch) }
        XCTAssertTrue(try rosterTablesMatch(state))

        let db = try raw()
        defer { db.close() }
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM skills"), 3)
        XCTAssertEqual(try int(db, "SELECT certificate FROM skills WHERE id = 'driving'"), 0)
        XCTAssertEqual(try text(db, "SELECT specialty FROM skills WHERE id = 'rope'"), "sar")
        XCTAssertEqual(try text(db, "SELECT required_skills FROM specialties WHERE id = 'sar'"), "rope,first-aid")

        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM volunteers"), 3)
        XCTAssertEqual(try text(db, "SELECT skills FROM volunteers WHERE id = 'v1'"), "first-aid:3,rope:2")
        XCTAssertEqual(try text(db, "SELECT languages FROM volunteers WHERE id = 'v1'"), "zh,en")
        XCTAssertEqual(try text(db, "SELECT id_number FROM volunteers WHERE id = 'v1'"), "140100199001011234")
        XCTAssertEqual(try int(db, "SELECT registered_at FROM volunteers WHERE id = 'v1'"), time(7).milliseconds)
        // volunteer.updated replaced the profile (region, phone, skills) and nothing else.
        XCTAssertEqual(try text(db, "SELECT region || ' ' || phone || ' ' || skills FROM volunteers WHERE id = 'v2'"),
                       "shanxi/taiyuan +86 139 0000 0002 first-aid:1")
        XCTAssertEqual(try text(db, "SELECT status || ' ' || status_reason || ' ' || status_until FROM volunteers WHERE id = 'v3'"),
                       "unavailable sick \(today.adding(days: 3).iso8601)")

        // v1 checked in twice and out once: on duty since the second check-in, one duty row.
        let v1 = try XCTUnwrap(state.volunteers["v1"])
        XCTAssertEqual(try text(db, "SELECT status FROM volunteers WHERE id = 'v1'"), "deployed")
        XCTAssertEqual(try int(db, "SELECT on_duty_since FROM volunteers WHERE id = 'v1'"), v1.onDutySince?.milliseconds)
        XCTAssertEqual(try int(db, "SELECT on_duty_incident IS NULL FROM volunteers WHERE id = 'v1'"), 1)
        XCTAssertEqual(try text(db, "SELECT status FROM volunteers WHERE id = 'v2'"), "available")
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM volunteers WHERE id = 'v2' AND on_duty_since IS NULL"), 1)
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM duty_log"), 2)
        XCTAssertEqual(try text(db, "SELECT incident FROM duty_log WHERE volunteer = 'v1'"), "flood-0713")
        XCTAssertEqual(try int(db, "SELECT \"end\" - start FROM duty_log WHERE volunteer = 'v1'"), v1.duty[0].milliseconds)
        XCTAssertEqual(try int(db, "SELECT \"end\" FROM duty_log WHERE volunteer = 'v2'"), state.volunteers["v2"]?.duty.first?.end.milliseconds)

        // Granted, renewed (upsert) and revoked.
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM certifications"), 2)
        XCTAssertEqual(try text(db, "SELECT expires || ' ' || issuer FROM certifications WHERE volunteer = 'v1' AND skill = 'first-aid'"),
                       "\(today.adding(days: 730).iso8601) Red Cross Shanxi")
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM certifications WHERE volunteer = 'v2'"), 0)

        // Teams: v1 led sar-1 and left it, so sar-1 has no leader and v1 no team.
        XCTAssertEqual(try int(db, "SELECT leader IS NULL FROM teams WHERE id = 'sar-1'"), 1)
        XCTAssertEqual(try int(db, "SELECT team IS NULL FROM volunteers WHERE id = 'v1'"), 1)
        XCTAssertEqual(try text(db, "SELECT team FROM volunteers WHERE id = 'v2'"), "sar-1")
        XCTAssertEqual(try text(db, "SELECT group_concat(team || ':' || volunteer) FROM (SELECT * FROM team_members ORDER BY team)"),
                       "sar-1:v2,sar-2:v3")
        XCTAssertEqual(try text(db, "SELECT state || ' ' || state_reason FROM teams WHERE id = 'sar-2'"), "stood_down rotation")
        XCTAssertEqual(try text(db, "SELECT state FROM teams WHERE id = 'sar-1'"), "active")

        // The analysts' views.
        XCTAssertEqual(try int(db, "SELECT volunteers FROM volunteers_by_region_and_status WHERE region = 'shanxi/taiyuan' AND status = 'deployed'"), 1)
        XCTAssertEqual(try int(db, "SELECT on_duty FROM volunteers_by_region_and_status WHERE status = 'deployed'"), 1)
        XCTAssertEqual(try int(db, "SELECT SUM(volunteers) FROM volunteers_by_region_and_status"), 3)
        XCTAssertEqual(try text(db, "SELECT volunteer || ' ' || skill || ' ' || days_left FROM certifications_expiring LIMIT 1"), "v1 rope 10")
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM certifications_expiring WHERE days_left <= 30"), 1)
        XCTAssertEqual(try text(db, "SELECT group_concat(team || '=' || members) FROM (SELECT * FROM team_strength ORDER BY team)"), "sar-1=1,sar-2=1")
        XCTAssertEqual(try int(db, "SELECT on_duty FROM team_strength WHERE team = 'sar-1'"), 0)
    }

    /// The same through the engine's roster commands, one commit per command as the server does.
    func testRosterCommandsThroughTheEngineKeepTheTablesInStep() throws {
        let (journal, _) = try openJournal()
        let engine = Engine(state: State(), clock: .fixed(Timestamp(milliseconds: start)))
        let lines = [
            "region add shanxi name=Shanxi",
            "region add shanxi/taiyuan name=Taiyuan",
            "skill add first-aid name=\"First aid\" certificate=yes",
            "skill add rope name=\"Rope rescue\" specialty=sar certificate=yes",
            "specialty add sar name=\"Search and rescue\" skills=rope,first-aid",
            "volunteer add v1 name=\"Li Wei\" region=shanxi/taiyuan at=37.87,112.55 phone=13800000001 skills=first-aid:3,rope:2 languages=zh,en min_rest=0h",
            "volunteer add v2 name=\"Zhang Min\" region=shanxi at=37.70,112.70 skills=first-aid:1",
            "volunteer update v2 region=shanxi/taiyuan org=\"Blue Sky\"",
            "volunteer certify v1 first-aid issued=2026-01-10 expires=2028-01-09 issuer=\"Red Cross\"",
            "volunteer certify v1 rope issued=2026-03-01 expires=2027-03-01 issuer=\"Blue Sky\"",
            "volunteer certify v2 first-aid issued=2026-02-01 expires=2027-02-01 issuer=\"Red Cross\"",
            "volunteer decertify v2 first-aid reason=expired-card",
            "volunteer status v2 standby reason=\"on call\"",
            "volunteer checkin v1 incident=flood-0713",
            "volunteer checkout v1",
            "volunteer checkin v1",
            "team add sar-1 name=\"Taiyuan SAR 1\" specialty=sar region=shanxi/taiyuan at=37.8,112.5 leader=v1",
            "team member add sar-1 v2",
            "team member remove sar-1 v1",
        ]
        for line in lines {
            let outcome = engine.handle(line: line, actor: "test")
            if case .error(let code, let message) = outcome.reply { XCTFail("\(line): \(code) \(message)") }
            try journal.commit(outcome.entries)
        }
        XCTAssertEqual(engine.state.volunteers.count, 2)
        XCTAssertTrue(try rosterTablesMatch(engine.state))
        let db = try raw()
        XCTAssertEqual(try text(db, "SELECT status FROM volunteers WHERE id = 'v1'"), "deployed")
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM duty_log WHERE volunteer = 'v1' AND incident = 'flood-0713'"), 1)
        XCTAssertEqual(try text(db, "SELECT group_concat(team || ':' || volunteer) FROM team_members"), "sar-1:v2")
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM certifications"), 2)
        db.close()
        journal.close()

        let (reopened, loaded) = try openJournal()
        defer { reopened.close() }
        XCTAssertEqual(loaded.snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(loaded.volunteers, engine.state.volunteers)
        XCTAssertTrue(try rosterTablesMatch(loaded))
    }

    func testCommitThenReloadGivesTheSameRoster() throws {
        let (journal, _) = try openJournal()
        let first = try catalog()
        let batches = try operations()
        try journal.commit(first + batches[0] + batches[1])
        // The rest replays on top of a snapshot of the state as of this commit.
        var partial = State()
        try partial.apply(first + batches[0] + batches[1])
        try journal.writeSnapshot(partial)
        for batch in batches.dropFirst(2) { try journal.commit(batch) }
        journal.close()

        let (reopened, loaded) = try openJournal()
        defer { reopened.close() }
        XCTAssertEqual(loaded.lastSeq, state.lastSeq)
        XCTAssertEqual(loaded.snapshotText(), state.snapshotText())
        XCTAssertEqual(loaded.volunteers, state.volunteers)
        XCTAssertEqual(loaded.teams, state.teams)
        XCTAssertEqual(loaded.skills, state.skills)
        XCTAssertEqual(loaded.specialties, state.specialties)
        XCTAssertTrue(try rosterTablesMatch(loaded))
        XCTAssertEqual(try reopened.verifyChain().entries, Int(state.lastSeq))
    }

    func testHandEditedRosterTablesAreRebuiltOnLoad() throws {
        let (journal, _) = try openJournal()
        try journal.commit(catalog())
        for batch in try operations() { try journal.commit(batch) }
        journal.close()

        // Edits that keep every row count: only a row-by-row comparison sees them.
        let edits = [
            "UPDATE volunteers SET status = 'available' WHERE id = 'v3'",
            "UPDATE volunteers SET phone = '+86 100' WHERE id = 'v1'",
            "UPDATE volunteers SET lat = lat + 0.000001 WHERE id = 'v2'",
            "UPDATE certifications SET expires = '2099-01-01' WHERE skill = 'rope'",
            "UPDATE duty_log SET incident = 'other' WHERE volunteer = 'v1'",
            "UPDATE teams SET state = 'active', state_reason = NULL WHERE id = 'sar-2'",
            "UPDATE team_members SET volunteer = 'v1' WHERE volunteer = 'v2'",
            "UPDATE skills SET certificate = 0 WHERE id = 'rope'",
            "UPDATE specialties SET required_skills = 'rope'",
            "DELETE FROM duty_log WHERE volunteer = 'v2'",
            "INSERT INTO duty_log (volunteer, start, \"end\") VALUES ('v3', 1, 2)",
            "INSERT INTO certifications VALUES ('v3', 'driving', '2026-01-01', '2027-01-01', 'nobody')",
        ]
        for edit in edits {
            let db = try raw()
            try db.execute("BEGIN")
            try db.execute(edit)
            XCTAssertEqual(db.changes, 1, edit)
            XCTAssertFalse(try rosterTablesMatch(state, on: db), edit)
            try db.execute("ROLLBACK")
            db.close()
        }
        XCTAssertTrue(try rosterTablesMatch(state))

        let db = try raw()
        try db.execute(edits.joined(separator: ";"))
        db.close()
        let (reopened, loaded) = try openJournal()
        XCTAssertEqual(loaded.volunteers, state.volunteers)
        XCTAssertTrue(try rosterTablesMatch(state))
        let check = try raw()
        XCTAssertEqual(try text(check, "SELECT status FROM volunteers WHERE id = 'v3'"), "unavailable")
        XCTAssertEqual(try int(check, "SELECT COUNT(*) FROM duty_log"), 2)
        XCTAssertEqual(try int(check, "SELECT COUNT(*) FROM regions"), 2) // the stock tables are rewritten too
        check.close()
        // Commits project onto the rebuilt tables.
        try reopened.commit(entries([.checkedOut(id: "v1")]))
        XCTAssertTrue(try rosterTablesMatch(state))
        reopened.close()
    }

    /// The load compares the volunteers table on a connection and thread of its own: an edit of
    /// that table alone is seen and repaired as any other.
    func testAnEditOfTheVolunteersTableAloneIsRebuiltOnLoad() throws {
        let (journal, _) = try openJournal()
        try journal.commit(catalog())
        for batch in try operations() { try journal.commit(batch) }
        journal.close()
        let db = try raw()
        try db.execute("UPDATE volunteers SET status = 'available', status_reason = NULL WHERE id = 'v3'")
        XCTAssertEqual(db.changes, 1)
        db.close()
        XCTAssertFalse(try rosterTablesMatch(state))
        let (reopened, loaded) = try openJournal()
        XCTAssertEqual(loaded.volunteers, state.volunteers)
        XCTAssertTrue(try rosterTablesMatch(state))
        let check = try raw()
        XCTAssertEqual(try text(check, "SELECT status FROM volunteers WHERE id = 'v3'"), "unavailable")
        check.close()
        reopened.close()
    }

    /// The daemon's load defers the table check to its writer: the tables are left as found until
    /// `checkDeferredTables` (the writer's first job) or the first write, whichever comes first;
    /// either compares them with the state as loaded and rebuilds them before anything is written.
    func testADeferredTableCheckRunsBeforeTheFirstWrite() throws {
        let (journal, _) = try openJournal()
        try journal.commit(catalog())
        for batch in try operations() { try journal.commit(batch) }
        journal.close()
        let edit = "UPDATE volunteers SET status = 'available', status_reason = NULL WHERE id = 'v3'"

        // Run by the writer before any write.
        try raw().execute(edit)
        let first = SQLiteJournal(path: path, logger: logger)
        XCTAssertEqual(try first.load(deferringTableCheck: true).volunteers, state.volunteers)
        XCTAssertFalse(try rosterTablesMatch(state), "left as found until the check runs")
        try first.checkDeferredTables()
        XCTAssertTrue(try rosterTablesMatch(state))
        try first.checkDeferredTables() // once only: nothing left to do
        first.close()

        // Run by the first write, before it: the write is projected onto rebuilt tables.
        try raw().execute(edit)
        let second = SQLiteJournal(path: path, logger: logger)
        _ = try second.load(deferringTableCheck: true)
        XCTAssertFalse(try rosterTablesMatch(state))
        try second.commit(entries([.checkedOut(id: "v1")]))
        XCTAssertTrue(try rosterTablesMatch(state))
        second.close()

        // A load that does not defer leaves nothing due, even after one that did.
        try raw().execute(edit)
        let third = SQLiteJournal(path: path, logger: logger)
        _ = try third.load(deferringTableCheck: true)
        _ = try third.load()
        XCTAssertTrue(try rosterTablesMatch(state))
        third.close()
    }

    /// The pages a load reads (the snapshot), the deferred table check reads (every table) and a
    /// large batch writes (an import) are not read again soon: the page cache lets go of them
    /// rather than holding up to 32 MB. A small commit keeps its cache.
    func testPagesOfALoadATableCheckAndALargeBatchAreLetGo() throws {
        let count = Int(SQLiteJournal.largeBatch) + 500
        let (journal, _) = try openJournal()
        try journal.commit(catalog())
        func volunteer(_ n: Int) -> Event {
            .volunteerAdded(id: "vol-\(n)", profile: VolunteerProfile(
                name: "Volunteer \(n)", phone: "+86 138 \(10_000_000 + n)", idNumber: "1401001990\(100_000 + n)", region: "shanxi/taiyuan",
                base: Coordinate(latitude: 37 + Double(n % 1000) / 1000, longitude: 112 + Double(n % 997) / 1000),
                languages: ["zh"], skills: ["first-aid": 1 + n % 5], maxDutyHoursPerDay: 10, minRestHours: 8, organization: "Blue Sky"))
        }
        let small = 2_000
        try journal.commit(entries((0..<small).map(volunteer)))
        let warm = journal.session!.connection.cacheUsed
        XCTAssertGreaterThan(warm, 1 << 20, "a small batch keeps the pages it wrote")
        try journal.commit(entries((small..<(small + count)).map(volunteer)))
        XCTAssertLessThan(journal.session!.connection.cacheUsed, 256 << 10, "a batch of \(count) entries is let go of")
        let snapshotSeq = state.lastSeq
        let seal = try journal.writeSnapshot(state)
        try journal.commit(entries([seal.event]))
        journal.close()

        let reopened = SQLiteJournal(path: path, logger: logger)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load(deferringTableCheck: true).volunteers.count, small + count)
        XCTAssertEqual(reopened.loadedSnapshotSeq, snapshotSeq, "loaded from the snapshot")
        XCTAssertLessThan(reopened.session!.connection.cacheUsed, 256 << 10, "the snapshot's pages are let go of")
        XCTAssertTrue(try reopened.checkDeferredTables())
        XCTAssertLessThan(reopened.session!.connection.cacheUsed, 256 << 10, "every table's pages are let go of")
        XCTAssertFalse(try reopened.checkDeferredTables(), "nothing left to check")
    }

    func testProjectionOntoDriftedTablesFailsTheCommit() throws {
        let (journal, _) = try openJournal()
        defer { journal.close() }
        try journal.commit(catalog())
        try journal.commit(entries([.volunteerAdded(id: "v1", profile: profile("Li Wei"))]))
        try raw().execute("DELETE FROM volunteers WHERE id = 'v1'")
        let before = journal.committedSeq
        XCTAssertThrowsError(try journal.commit(entries([.checkedIn(id: "v1", incident: nil)]))) { error in
            let storeError = error as? StoreError
            XCTAssertEqual(storeError?.isTransient, false)
            XCTAssertTrue(storeError?.message.contains("volunteer v1 missing from the roster tables") ?? false, "\(error)")
        }
        XCTAssertEqual(journal.committedSeq, before, "nothing of the failed batch is stored")
    }

    /// A file written by a version 1 reliefd (stock data, no roster tables) is migrated in place on
    /// open: its data stays, the roster tables appear, and roster entries commit.
    func testVersion1DatabaseUpgradesInPlace() throws {
        // A pristine version 1 schema, exactly as the version 1 migration wrote it.
        let pristinePath = directory.appendingPathComponent("v1.db").path
        let pristine = try SQLiteConnection(path: pristinePath)
        try pristine.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
        try pristine.execute(SQLiteSchema.migrations[0])
        try pristine.execute("INSERT INTO schema_version VALUES (1, 0)")
        let v1Objects = try schemaObjects(pristine)
        pristine.close()

        // An empty version 1 file opens and upgrades.
        let upgradedEmpty = SQLiteJournal(path: pristinePath, logger: logger)
        XCTAssertEqual(try upgradedEmpty.load().lastSeq, 0)
        upgradedEmpty.close()
        let reopened = try SQLiteConnection(path: pristinePath)
        XCTAssertEqual(try int(reopened, "SELECT MAX(version) FROM schema_version"), SQLiteSchema.latestVersion)
        XCTAssertEqual(try int(reopened, "SELECT COUNT(*) FROM schema_version"), SQLiteSchema.latestVersion)
        let v2Objects = try schemaObjects(reopened)
        reopened.close()
        XCTAssertTrue(v1Objects.isSubset(of: v2Objects), "later migrations only add")
        for name in ["skills", "specialties", "volunteers", "certifications", "duty_log", "teams", "team_members",
                     "volunteers_by_region_and_status", "certifications_expiring", "team_strength"] {
            XCTAssertTrue(v2Objects.contains(name), name)
        }

        // A version 1 file with data: written by today's code, then taken back to version 1 by
        // dropping what migration 2 added, so its schema is exactly the pristine one.
        let (journal, _) = try openJournal()
        var stock: [Entry] = try entries([
            .regionAdded(id: "shanxi", name: "Shanxi", level: .province),
            .regionAdded(id: "shanxi/taiyuan", name: "Taiyuan", level: .city),
            .warehouseAdded(id: "ty-01", name: "Taiyuan depot", region: "shanxi/taiyuan", location: Coordinate(latitude: 37.87, longitude: 112.55)),
            .itemAdded(Item(sku: "water-5l", name: "Water 5L", category: "water", unit: "bottle", packSize: 4, shelfLifeDays: 365)),
        ])
        stock += try entries([.lotReceived(warehouse: "ty-01", lot: "D-1", sku: "water-5l", quantity: 400, expires: Day(iso8601: "2027-06-30"),
                                           source: .donation, party: "Yangquan Steel", note: nil)])
        try journal.commit(stock)
        try journal.writeSnapshot(state)
        journal.close()
        let downgrade = try raw()
        try downgrade.execute(SQLiteStoreUnderTest.dropMigrationSeven)
        for type in ["view", "table"] {
            for name in v2Objects.subtracting(v1Objects).sorted()
            where try text(downgrade, "SELECT type FROM sqlite_master WHERE name = '\(name)'") == type {
                try downgrade.execute("DROP \(type.uppercased()) \(name)")
            }
        }
        try downgrade.execute("DELETE FROM schema_version WHERE version >= 2")
        XCTAssertEqual(try schemaObjects(downgrade), v1Objects)
        downgrade.close()

        let (upgraded, loaded) = try openJournal()
        defer { upgraded.close() }
        XCTAssertEqual(loaded.snapshotText(), state.snapshotText())
        let db = try raw()
        XCTAssertEqual(try int(db, "SELECT MAX(version) FROM schema_version"), SQLiteSchema.latestVersion)
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM journal"), state.lastSeq)
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM snapshots"), 1)
        XCTAssertEqual(try int(db, "SELECT on_hand FROM holdings WHERE lot = 'D-1'"), 400)
        XCTAssertEqual(try text(db, "SELECT party FROM lots WHERE code = 'D-1'"), "Yangquan Steel")
        XCTAssertEqual(try int(db, "SELECT COUNT(*) FROM volunteers"), 0)
        db.close()

        try upgraded.commit(entries([
            .skillAdded(Skill(id: "first-aid", name: "First aid", specialty: nil, needsCertificate: true)),
            .volunteerAdded(id: "v1", profile: profile("Li Wei", skills: ["first-aid": 2])),
            .checkedIn(id: "v1", incident: "flood-0713"),
        ]))
        XCTAssertTrue(try rosterTablesMatch(state))
        XCTAssertEqual(try upgraded.verifyChain().entries, Int(state.lastSeq))
        XCTAssertEqual(try upgraded.load().snapshotText(), state.snapshotText())
    }

    private func schemaObjects(_ connection: SQLiteConnection) throws -> Set<String> {
        let statement = try connection.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        defer { statement.finalize() }
        var names: Set<String> = []
        while try statement.step() { names.insert(statement.text(0) ?? "") }
        return names
    }

    /// One batch of thousands of new volunteers commits in one transaction, and the tables and a
    /// reopened journal agree with it. (What it costs is measured by `deploy/bench roster`.)
    func testLargeVolunteerBatchCommitsAndReloads() throws {
        let count = 5_000
        let (journal, _) = try openJournal()
        defer { journal.close() }
        try journal.commit(catalog())
        let languages = ["zh", "en"]
        let batch = try entries((0..<count).map { n in
            .volunteerAdded(id: "vol-\(n)", profile: VolunteerProfile(
                name: "Volunteer \(n)", phone: "+86 138 \(10_000_000 + n)", idNumber: "1401001990\(100_000 + n)",
                region: n % 2 == 0 ? "shanxi" : "shanxi/taiyuan",
                base: Coordinate(latitude: 37 + Double(n % 1000) / 1000, longitude: 112 + Double(n % 997) / 1000),
                languages: languages, skills: ["first-aid": 1 + n % 5, "driving": 2], maxDutyHoursPerDay: 10,
                minRestHours: 8, organization: n % 3 == 0 ? "Blue Sky" : nil))
        })
        try journal.commit(batch)
        journal.close()
        let reopened = try openJournal().0
        XCTAssertEqual(try reopened.load().volunteers.count, count)
        reopened.close()
        XCTAssertTrue(try rosterTablesMatch(state))
    }
}
