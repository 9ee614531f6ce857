import Foundation
import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// A clock the test moves by hand (drills run on virtual time the same way).
final class ManualClock: @unchecked Sendable {
    var now: Timestamp
    init(_ now: Timestamp) { self.now = now }
    var clock: Clock { Clock { [self] in self.now } }
    func advance(hours: Int64) { now.milliseconds += hours * 3_600_000 }
}

extension Engine {
    static var repositoryURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs a file of request lines (blank lines and # comments skipped); returns how many ran.
    @discardableResult
    func run(file relativePath: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let text = try String(contentsOf: Engine.repositoryURL.appendingPathComponent(relativePath), encoding: .utf8)
        var count = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let request = raw.trimmingCharacters(in: .whitespaces)
            if request.isEmpty || request.hasPrefix("#") { continue }
            let outcome = handle(line: request, actor: "loader")
            XCTAssertFalse(outcome.reply.isError, "\(relativePath):\(index + 1): \(request) → \(replyText(outcome.reply))", file: file, line: line)
            count += 1
        }
        return count
    }

    /// The Shanxi fixture plus the skill catalog of config/catalog/skills.commands.
    static func rosterFixture(clock: ManualClock) throws -> Engine {
        let engine = Engine(clock: clock.clock)
        for line in fixtureLines { engine.ok(line) }
        try engine.run(file: "config/catalog/skills.commands")
        return engine
    }
}

final class RosterCommandTests: XCTestCase {
    var clock = ManualClock(december1)

    func engine() throws -> Engine {
        clock = ManualClock(december1)
        return try Engine.rosterFixture(clock: clock)
    }

    static let wang = #"volunteer add v1 name="Wang Wei" region=shanxi/taiyuan at=37.87,112.55 phone=13812345678 id_number=140102199001011234 languages=zh,en skills=first-aid:3,driver-c1:2 max_hours=12 min_rest=8h org="Taiyuan Blue Sky""#

    func testPersonalDataIsMaskedByCharacterWhateverTheScript() {
        XCTAssertEqual(PersonalData.maskPhone("13812345678"), "138****5678")
        XCTAssertEqual(PersonalData.maskIDNumber("100101199001011234"), "100****34")
        XCTAssertEqual(PersonalData.maskPhone("1234567"), "****")
        XCTAssertEqual(PersonalData.maskPhone("+86 138 1234"), "+86****1234")
        // Not ASCII: characters, not bytes, are kept (a byte cut would split them).
        XCTAssertEqual(PersonalData.mask("\u{5F20}\u{4E09}\u{674E}\u{56DB}\u{738B}", keepFirst: 1, keepLast: 1), "\u{5F20}****\u{738B}")
        XCTAssertEqual(PersonalData.mask("e\u{301}123456e\u{301}", keepFirst: 1, keepLast: 1), "e\u{301}****e\u{301}")
    }

    func testSkillCatalogLoadsAndIsComplete() throws {
        let engine = try engine()
        let skills = engine.rows("skill list")
        XCTAssertGreaterThanOrEqual(skills.count, 30)
        let ids = Set(skills.map { $0["skill"]! })
        for needed in ["first-aid", "cpr", "driver-b", "driver-c1", "boat-operator", "swiftwater-rescue", "rope-rescue", "collapsed-structure",
                       "nurse", "doctor", "paramedic", "water-purification", "hygiene-promotion", "psychological-first-aid", "radio-operator",
                       "logistics", "interpreter"] {
            XCTAssertTrue(ids.contains(needed), needed)
        }
        XCTAssertEqual(skills.first { $0["skill"] == "first-aid" }?["certificate"], "yes")
        XCTAssertEqual(skills.first { $0["skill"] == "interpreter" }?["certificate"], "no")
        let specialties = engine.rows("specialty list")
        XCTAssertEqual(Set(specialties.map { $0["specialty"]! }), ["search-rescue", "relief-distribution", "medical", "water-supply",
                                                                    "public-health", "psychosocial", "water-rescue", "communications"])
        XCTAssertTrue(specialties.allSatisfy { !$0["skills"]!.isEmpty }, "every specialty names its required skills")
        // The generator's copy of the specialties agrees with the catalog.
        for (id, skills) in RosterGenerator.specialties { XCTAssertEqual(engine.state.specialties[id]?.requiredSkills, skills, id) }
        for skill in RosterGenerator.certified { XCTAssertEqual(engine.state.skills[skill]?.needsCertificate, true, skill) }
        for skill in RosterGenerator.skillPool { XCTAssertNotNil(engine.state.skills[skill], skill) }

        XCTAssertEqual(engine.refused("skill add cpr name=again", .conflict), "skill cpr already exists")
        engine.refused("skill add x name=X certificate=maybe", .syntax)
        XCTAssertTrue(engine.refused("specialty add x name=X skills=cpr,juggling", .notFound).contains("juggling"))
        engine.refused("specialty add medical name=again", .conflict)
    }

    func testVolunteerAddUpdateShowAndBadInput() throws {
        let engine = try engine()
        XCTAssertEqual(engine.ok(Self.wang), .ok(["volunteer": "v1"]))
        XCTAssertEqual(engine.refused(Self.wang, .conflict), "volunteer v1 already exists")
        let base = "volunteer add v2 name=X region=shanxi/taiyuan at=37.8,112.5"
        XCTAssertTrue(engine.refused(base + " skills=juggling:2", .notFound).contains("skill juggling not in the catalog"))
        XCTAssertTrue(engine.refused(base + " skills=cpr:6", .syntax).contains("level 1 to 5"))
        engine.refused(base + " skills=cpr:x", .syntax)
        engine.refused(base + " skills=cpr:1,cpr:2", .syntax)
        engine.refused(base + " max_hours=25", .syntax)
        engine.refused(base + " min_rest=90m", .syntax)
        // Found by an hour of fuzzing: bare hours this large overflowed when turned into milliseconds.
        for hours in ["2562047788015216", "9223372036854775807", "-9223372036854775808", "73", "-1"] {
            XCTAssertTrue(engine.refused(base + " min_rest=\(hours)", .syntax).contains("expected whole hours from 0h to 72h"), hours)
        }
        XCTAssertFalse(engine.handle(line: "volunteer add v-rest name=X region=shanxi/taiyuan at=37.8,112.5 min_rest=12", actor: "t").reply.isError,
                       "bare hours still work")
        engine.refused(base + " phone=call-me", .syntax)
        engine.refused("volunteer add v2 name=X region=hebei at=37.8,112.5", .notFound)
        engine.refused("volunteer add v2 name=X region=shanxi/taiyuan", .syntax)
        engine.refused("volunteer add v2 name=X region=shanxi/taiyuan at=99,1", .syntax)
        engine.refused(base + " colour=red", .syntax)

        let show = engine.okFields("volunteer show v1")
        XCTAssertEqual(show["phone"], "138****5678")
        XCTAssertEqual(show["id_number"], "140****34")
        XCTAssertEqual(show["skills"], "driver-c1:2,first-aid:3")
        XCTAssertEqual(show["certified"], "", "listed but not certified")
        XCTAssertEqual(show["status"], "available")
        XCTAssertEqual(show["available"], "yes")
        XCTAssertEqual(show["min_rest"], "8h")
        XCTAssertEqual(show["org"], "Taiyuan Blue Sky")
        XCTAssertEqual(engine.okFields("volunteer show v1 personal")["phone"], "13812345678")
        engine.refused("volunteer show v9", .notFound)

        XCTAssertEqual(engine.okFields("volunteer update v1 skills=logistics:4 max_hours=10")["changed"], "yes")
        let updated = engine.state.volunteers["v1"]!.profile
        XCTAssertEqual(updated.skills, ["logistics": 4])
        XCTAssertEqual(updated.maxDutyHoursPerDay, 10)
        XCTAssertEqual(updated.name, "Wang Wei", "fields not given stay")
        XCTAssertEqual(engine.okFields("volunteer update v1 max_hours=10")["changed"], "no")
        engine.refused("volunteer update v9 name=X", .notFound)
        engine.refused("volunteer update v1", .syntax)
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testPersonalDataMaskingAndRoles() throws {
        XCTAssertEqual(PersonalData.maskPhone("13812345678"), "138****5678")
        XCTAssertEqual(PersonalData.maskIDNumber("140102199001011234"), "140****34")
        XCTAssertEqual(PersonalData.maskPhone("12345"), "****", "too short to keep anything")
        XCTAssertEqual(PersonalData.maskIDNumber("ABCDEF"), "ABC****EF")
        XCTAssertEqual(PersonalData.maskIDNumber("ABCDE"), "****")

        let engine = try engine()
        engine.ok(Self.wang)
        for line in ["volunteer show v1 personal", "volunteer list personal", "volunteer find personal", "volunteer export personal"] {
            for role in Role.allCases where !role.seesPersonalData && role != .drillOrganizer {
                let outcome = engine.handle(line: line, as: Principal(user: "op", role: role))
                XCTAssertEqual(outcome.reply, .error(.denied, "op (\(role.rawValue)) may not see personal data (phone, id_number): it needs the admin or coordinator role"), line)
            }
            XCTAssertFalse(engine.handle(line: line, as: Principal(user: "co", role: .coordinator)).reply.isError, line)
        }
        let masked = engine.handle(line: "volunteer list", as: Principal(user: "op", role: .viewer)).reply
        guard let rows = masked.rowList else { return XCTFail("\(masked)") }
        XCTAssertEqual(rows.first?["phone"], "138****5678")
        XCTAssertEqual(engine.rows("volunteer export personal").first?["id_number"], "140102199001011234")
        XCTAssertEqual(engine.rows("volunteer export").first?["id_number"], "140****34")
    }

    func testStatusCertifyAndFindOnTheEngineClock() throws {
        let engine = try engine()
        engine.ok(Self.wang)
        engine.ok("volunteer add v2 name=Li region=shanxi/jinzhong at=37.69,112.75 skills=first-aid:2,cpr:1")
        engine.ok("volunteer add v3 name=Zhao region=shanxi/datong at=40.08,113.30 skills=first-aid:5")
        XCTAssertTrue(engine.refused("volunteer certify v1 first-aid issued=2026-02-01 expires=2026-01-01 issuer=RC", .syntax).contains("before"))
        engine.refused("volunteer certify v1 juggling issued=2026-01-01 expires=2027-01-01 issuer=RC", .notFound)
        engine.refused("volunteer certify v9 cpr issued=2026-01-01 expires=2027-01-01 issuer=RC", .notFound)
        engine.refused("volunteer certify v1 cpr issued=2026-01-01 expires=2027-01-01 issuer=RC", .conflict)
        engine.refused("volunteer certify v1 first-aid issued=2026-01-01 expires=2027-13-01 issuer=RC", .syntax)
        engine.ok("volunteer certify v1 first-aid issued=2025-01-01 expires=2026-12-10 issuer=\"Red Cross\"")
        engine.ok("volunteer certify v2 first-aid issued=2025-01-01 expires=2028-01-01 issuer=RC")
        engine.ok("volunteer certify v3 first-aid issued=2024-01-01 expires=2026-11-30 issuer=RC")

        // Nearest first from Taiyuan; Datong is out of a 50 km reach; v3's certification has expired.
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid near=37.87,112.55 radius=50km").map { $0["volunteer"]! }, ["v1", "v2"])
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid").map { $0["volunteer"]! }, ["v1", "v2"])
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid certified_at=2026-11-15").map { $0["volunteer"]! }, ["v1", "v2", "v3"])
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid certified_at=2027-01-01").map { $0["volunteer"]! }, ["v2"])
        XCTAssertEqual(engine.rows("volunteer find region=shanxi/datong").map { $0["volunteer"]! }, ["v3"])
        XCTAssertEqual(engine.rows("volunteer find region=shanxi").count, 3, "sub-regions count")
        XCTAssertEqual(engine.rows("volunteer find limit=1").count, 1)
        let row = engine.rows("volunteer find skill=first-aid near=37.87,112.55").first!
        XCTAssertEqual(row["distance_km"], "0.0")
        XCTAssertEqual(row["level"], "3")
        engine.refused("volunteer find skill=juggling", .notFound)
        engine.refused("volunteer find certified_at=2026-01-01", .syntax)
        engine.refused("volunteer find radius=5km", .syntax)
        engine.refused("volunteer find team=t9", .notFound)
        engine.refused("volunteer find limit=0", .syntax)

        let expiring = engine.rows("cert expiring within=30d")
        XCTAssertEqual(expiring.map { "\($0["volunteer"]!)/\($0["skill"]!)/\($0["days_left"]!)" }, ["v1/first-aid/9"])
        XCTAssertEqual(engine.rows("cert expiring").count, 1)
        engine.refused("cert expiring within=soon", .syntax)

        // Status: unavailable needs a reason; until= ends it by itself on the engine's clock.
        XCTAssertTrue(engine.refused("volunteer status v2 unavailable", .syntax).contains("reason"))
        engine.refused("volunteer status v2 deployed", .syntax)
        engine.refused("volunteer status v2 asleep", .syntax)
        engine.refused("volunteer status v2 standby until=2026-12-01", .syntax)
        engine.refused("volunteer status v9 standby", .notFound)
        engine.ok("volunteer status v2 unavailable reason=injured until=2026-12-03")
        XCTAssertEqual(engine.okFields("volunteer show v2")["reason"], "unavailable until 2026-12-03: injured")
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid available").map { $0["volunteer"]! }, ["v1"])
        XCTAssertEqual(engine.rows("volunteer list status=unavailable").map { $0["volunteer"]! }, ["v2"])
        clock.advance(hours: 2 * 24)   // 2026-12-03T08:00
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid available").map { $0["volunteer"]! }, ["v1", "v2"])
        XCTAssertEqual(engine.okFields("volunteer show v2")["status"], "available")

        // On 2026-12-11 v1's certification has expired: first aid no longer counts.
        clock.advance(hours: 8 * 24)
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid").map { $0["volunteer"]! }, ["v2"])
        engine.ok("volunteer decertify v2 first-aid reason=lapsed")
        engine.refused("volunteer decertify v2 first-aid", .notFound)
        XCTAssertEqual(engine.rows("volunteer find skill=first-aid").map { $0["volunteer"]! }, [])
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testCheckInCheckOutAndDutyLimits() throws {
        let engine = try engine()
        engine.ok(Self.wang)
        XCTAssertEqual(engine.refused("volunteer checkout v1", .conflict), "volunteer v1 is not checked in")
        engine.refused("volunteer checkin v9", .notFound)
        engine.ok("volunteer checkin v1 incident=flood-7")
        XCTAssertTrue(engine.refused("volunteer checkin v1", .conflict).contains("already on duty"))
        XCTAssertTrue(engine.refused("volunteer status v1 standby", .conflict).contains("check out first"))
        XCTAssertEqual(engine.okFields("volunteer show v1")["status"], "deployed")
        clock.advance(hours: 12)
        let out = engine.okFields("volunteer checkout v1")
        XCTAssertEqual(out["hours"], "12")
        XCTAssertEqual(out["hours_24h"], "12")
        XCTAssertTrue(engine.refused("volunteer checkin v1", .conflict).contains("resting until 2026-12-02T04:00:00Z"))
        clock.advance(hours: 8)
        XCTAssertTrue(engine.refused("volunteer checkin v1", .conflict).contains("12 h on duty in the last 24 h, limit 12"))
        clock.advance(hours: 4)
        XCTAssertTrue(engine.refused("volunteer checkin v1", .conflict).contains("12 h on duty"), "the window still holds the whole stretch")
        clock.advance(hours: 1)
        engine.ok("volunteer checkin v1")
        clock.advance(hours: 2)
        engine.ok("volunteer checkout v1")
        let show = engine.okFields("volunteer show v1")
        XCTAssertEqual(show["hours_total"], "14")
        XCTAssertEqual(show["deployments"], "2")
        // Standby volunteers may be called out.
        engine.ok("volunteer add v2 name=Li region=shanxi/taiyuan at=37.8,112.5")
        engine.ok("volunteer status v2 standby")
        engine.ok("volunteer checkin v2")
        engine.ok("volunteer add v3 name=Zhao region=shanxi/taiyuan at=37.8,112.5")
        engine.ok("volunteer status v3 off_duty")
        XCTAssertTrue(engine.refused("volunteer checkin v3", .conflict).contains("off_duty"))
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testTeamsAndReadiness() throws {
        let engine = try engine()
        for id in ["v1", "v2", "v3"] {
            engine.ok("volunteer add \(id) name=\(id) region=shanxi/taiyuan at=37.8,112.5 skills=first-aid:3,cpr:2")
            engine.ok("volunteer certify \(id) first-aid issued=2025-01-01 expires=2027-12-31 issuer=RC")
            engine.ok("volunteer certify \(id) cpr issued=2025-01-01 expires=2027-12-31 issuer=RC")
        }
        engine.ok("volunteer add v4 name=v4 region=shanxi/taiyuan at=37.8,112.5 skills=first-aid:3")
        let add = "team add t1 name=\"Taiyuan Medical\" specialty=medical region=shanxi/taiyuan at=37.87,112.55"
        engine.refused("team add t1 name=X specialty=juggling region=shanxi/taiyuan at=37.87,112.55", .notFound)
        engine.refused(add + " leader=v9", .notFound)
        engine.ok(add + " leader=v1")
        XCTAssertEqual(engine.refused(add, .conflict), "team t1 already exists")
        XCTAssertEqual(engine.okFields("team member add t1 v2")["members"], "2")
        XCTAssertEqual(engine.refused("team member add t1 v2", .conflict), "volunteer v2 is already a member of team t1")
        XCTAssertEqual(engine.refused("TEAM MEMBER ADD t1 v1", .conflict), "volunteer v1 is already a member of team t1")
        engine.refused("team member add t9 v3", .notFound)
        engine.refused("team member add t1 v9", .notFound)
        engine.ok("team add t2 name=Other specialty=medical region=shanxi/taiyuan at=37.87,112.55")
        XCTAssertTrue(engine.refused("team member add t2 v1", .conflict).contains("already in team t1"))
        XCTAssertTrue(engine.refused("team add t3 name=X specialty=medical region=shanxi at=37,112 leader=v2", .conflict).contains("already in team t1"))
        XCTAssertTrue(engine.refused("team member explode t1 v1", .syntax).contains("add, remove"))
        XCTAssertTrue(engine.refused("team frobnicate", .syntax).contains("member"))

        var readiness = engine.rows("team readiness t1")
        XCTAssertEqual(readiness, [["team": "t1", "specialty": "medical", "readiness": "ready", "fit": "2", "members": "2", "reason": "",
                                    "last_drill": "never", "drill_due": "yes"]])
        engine.ok("team member add t1 v4")
        engine.ok("volunteer checkin v2")
        readiness = engine.rows("team readiness t1")
        XCTAssertEqual(readiness.first?["readiness"], "partial")
        XCTAssertEqual(readiness.first?["fit"], "1")
        XCTAssertEqual(readiness.first?["reason"], "v2: on duty since 2026-12-01T08:00:00Z; v4: no first-aid certification, lacks cpr")
        XCTAssertEqual(engine.rows("team readiness").map { $0["readiness"]! }, ["partial", "stood_down"])

        XCTAssertTrue(engine.refused("team stand-down t1", .syntax).contains("reason="))
        engine.ok("team stand-down t1 reason=\"crew rest\"")
        engine.refused("team stand-down t1 reason=again", .conflict)
        XCTAssertEqual(engine.okFields("team show t1")["reason"], "stood down: crew rest")
        engine.ok("team activate t1")
        engine.refused("team activate t1", .conflict)

        engine.ok("team member remove t1 v1")
        XCTAssertEqual(engine.refused("team member remove t1 v1", .notFound), "volunteer v1 is not a member of team t1")
        let show = engine.okFields("team show t1")
        XCTAssertEqual(show["leader"], "")
        XCTAssertEqual(show["member_ids"], "v2,v4")
        XCTAssertEqual(show["readiness"], "stood_down", "nobody left is fit")
        XCTAssertTrue(show["reason"]!.hasPrefix("no member fit; no leader; "), show["reason"]!)
        engine.ok("team member add t2 v1")
        XCTAssertEqual(engine.rows("team list specialty=medical").count, 2)
        XCTAssertEqual(engine.rows("volunteer list team=t2").map { $0["volunteer"]! }, ["v1"])
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testImportIsAllOrNothingAndReportsEveryBadRow() throws {
        let engine = try engine()
        func rows(_ lines: [String]) -> [(line: Int, request: Request)] {
            lines.enumerated().map { index, line in
                guard case .success(let request) = RequestParser.parse(line) else { fatalError(line) }
                return (line: index + 2, request: request)   // line 1 is the header
            }
        }
        let allowed: Set<String> = ["volunteer add", "volunteer certify", "team add", "team member add"]
        let bad = rows([
            "volunteer add v1 name=A region=shanxi/taiyuan at=37.8,112.5 skills=first-aid:2",
            "volunteer add v2 name=B region=shanxi/taiyuan at=37.8,112.5 skills=juggling:2",
            "volunteer certify v1 first-aid issued=2026-02-01 expires=2026-01-01 issuer=RC",
            "volunteer add v1 name=again region=shanxi/taiyuan at=37.8,112.5",
            "team add t1 name=T specialty=medical region=shanxi/taiyuan at=37.8,112.5 leader=v1",
            "team member add t1 v1",
            "stock receive ty-01 water-5l 10",
        ])
        let before = engine.state.snapshotText()
        let outcome = engine.importRows(bad, allowed: allowed, actor: "import")
        guard case .error(let code, let message) = outcome.reply else { return XCTFail("\(outcome.reply)") }
        XCTAssertEqual(code, .syntax)
        XCTAssertTrue(message.hasPrefix("import refused, nothing imported: 5 bad rows of 7"), message)
        for expected in ["line 3: NOTFOUND skill juggling", "line 4: SYNTAX expires=2026-01-01 is before", "line 5: CONFLICT volunteer v1 already exists",
                         "line 7: CONFLICT volunteer v1 is already a member of team t1", "line 8: expected one of"] {
            XCTAssertTrue(message.contains(expected), "\(expected) in \(message)")
        }
        XCTAssertEqual(outcome.entries, [])
        XCTAssertEqual(engine.state.snapshotText(), before, "nothing imported")

        let good = rows([
            "volunteer add v1 name=A region=shanxi/taiyuan at=37.8,112.5 skills=first-aid:2,cpr:1",
            "volunteer add v2 name=B region=shanxi/taiyuan at=37.8,112.5 skills=first-aid:2",
            "volunteer certify v1 first-aid issued=2026-01-01 expires=2027-01-01 issuer=RC",
            "team add t1 name=T specialty=medical region=shanxi/taiyuan at=37.8,112.5 leader=v1",
            "team member add t1 v2",
        ])
        let imported = engine.importRows(good, allowed: allowed, actor: "import")
        XCTAssertEqual(imported.reply, .ok(["imported": "5", "entries": "5"]))
        XCTAssertEqual(engine.state.teams["t1"]?.members, ["v1", "v2"])
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testHelpListsThreeWordCommands() throws {
        let engine = try engine()
        let help = engine.rows("help team").map { $0["command"]! }
        XCTAssertTrue(help.contains("team member add") && help.contains("team readiness"), "\(help)")
        XCTAssertTrue(engine.isMutating(Request(words: ["team", "member", "add", "t1", "v1"])))
        XCTAssertFalse(engine.isMutating(Request(words: ["team", "show", "t1"])))
    }

    func testEntriesReplayToTheSameStateAndSnapshot() throws {
        let engine = try engine()
        var entries: [Entry] = []
        for line in [Self.wang, "volunteer certify v1 first-aid issued=2025-01-01 expires=2027-01-01 issuer=RC", "volunteer checkin v1",
                     "team add t1 name=T specialty=medical region=shanxi/taiyuan at=37.8,112.5 leader=v1"] {
            entries += engine.handle(line: line, actor: "x").entries
        }
        clock.advance(hours: 3)
        entries += engine.handle(line: "volunteer checkout v1", actor: "x").entries
        let fresh = try Engine.rosterFixture(clock: ManualClock(december1))
        var replayed = fresh.state
        try replayed.apply(entries)
        XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(try State(snapshotText: engine.state.snapshotText()).snapshotText(), engine.state.snapshotText())
    }
}
