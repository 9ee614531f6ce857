import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// Every command tried by every role. The expectations are written here, apart from the rules in
/// Access.swift: a command added without an expectation fails `testEveryCommandHasAnExpectation`,
/// and a rule that drifts from what the roles are meant to do fails the matrix.
final class AccessMatrixTests: XCTestCase {
    /// Who may run each command (scope aside). "all" = every role; "readers" = every role but the
    /// drill organizer, who never sees the live operation beyond the catalog.
    static let expected: [String: Set<Role>] = {
        let all = Set(Role.allCases)
        let readers = all.subtracting([.drillOrganizer])
        let admin: Set<Role> = [.admin]
        let officer: Set<Role> = [.admin, .dutyOfficer]
        let keeper: Set<Role> = [.admin, .warehouseKeeper]
        let roster: Set<Role> = [.admin, .coordinator]
        let drills: Set<Role> = [.admin, .drillOrganizer]
        let audit: Set<Role> = [.admin, .auditor]
        var table: [String: Set<Role>] = [
            "ping": all, "help": all, "info": all, "whoami": all, "auth": all, "quit": all, "watch": all, "session": all,
            "import commit": all, "import abort": all,
            "region add": admin, "warehouse add": admin, "item add": admin, "drill record": admin,
            "user add": admin, "user change": admin, "user remove": admin, "token create": admin, "token revoke": admin,
            "user list": audit, "user show": audit, "audit verify": audit, "audit log": audit, "audit export": admin,
            "skill add": roster, "specialty add": roster,
            "drill start": drills, "drill pause": drills, "drill resume": drills, "drill stop": drills,
            "drill ask": drills, "drill inject": drills,
            "drill list": all, "drill status": all, "drill report": all,
            "donation add": admin, "donation money": admin, "donation spend": admin, "disclose": audit,
            "alert ack": [.admin, .dutyOfficer, .warehouseKeeper, .coordinator],
        ]
        for read in ["region list", "region show", "warehouse list", "warehouse show", "item list", "item show",
                     "skill list", "specialty list", "travel list", "travel show"] { table[read] = all }
        for read in ["stock query", "stock lots", "stock history", "incident list", "incident show", "incident timeline",
                     "need list", "plan show", "plan list", "allocation list", "assignment list", "volunteer show",
                     "volunteer list", "volunteer find", "volunteer export", "cert expiring", "team show", "team list",
                     "team readiness", "donation list", "donation show", "donation trace", "alert list"] { table[read] = readers }
        for write in ["stock receive", "stock issue", "stock transfer", "stock adjust", "stock min"] { table[write] = keeper }
        for write in ["incident open", "incident update", "incident status", "need add", "need change", "need cancel",
                      "need estimate", "match", "plan", "plan apply", "allocation reserve", "allocation dispatch",
                      "allocation deliver", "allocation release", "assignment add", "assignment enroute",
                      "assignment onscene", "assignment release", "travel set", "travel clear"] { table[write] = officer }
        for write in ["volunteer add", "volunteer update", "volunteer status", "volunteer certify", "volunteer decertify",
                      "volunteer checkin", "volunteer checkout", "team add", "team member add", "team member remove",
                      "team stand-down", "team activate"] { table[write] = roster }
        return table
    }()

    /// `watch` is open to every user; each channel is then checked against the role's reads.
    func testWatchChannelsFollowTheRolesReads() {
        let engine = Engine()
        for role in Role.allCases {
            for channel in FeedChannel.allCases {
                let allowed: Bool = switch channel {
                case .users: role == .admin || role == .auditor
                case .drills, .catalog: true
                default: role != .drillOrganizer
                }
                let result = engine.watchRequest(Request(words: ["watch", channel.rawValue]), as: Principal(user: "u", role: role))
                switch result {
                case .success(let watch):
                    XCTAssertTrue(allowed, "\(role.rawValue) may watch \(channel.rawValue)")
                    XCTAssertEqual(watch.selection.channels, [channel])
                    XCTAssertEqual(watch.personal, role == .admin || role == .coordinator)
                case .failure(let refusal):
                    XCTAssertFalse(allowed, "\(role.rawValue) refused \(channel.rawValue): \(refusal.message)")
                    XCTAssertEqual(refusal.code, .denied)
                    XCTAssertTrue(refusal.message.contains("may not watch \(channel.rawValue)"), refusal.message)
                }
            }
            // No channel named: every channel the role may read, and nothing it may not.
            if case .success(let watch) = engine.watchRequest(Request(words: ["watch"]), as: Principal(user: "u", role: role)) {
                for channel in watch.selection.channels {
                    XCTAssertTrue(Engine.access(of: channel).allows(role), "\(role.rawValue) given \(channel.rawValue)")
                }
                XCTAssertEqual(watch.selection.channels.count, FeedChannel.allCases.filter { Engine.access(of: $0).allows(role) }.count)
            } else {
                XCTFail("watch with no channel refused to \(role.rawValue)")
            }
        }
    }

    func testEveryCommandHasAnExpectation() {
        let engine = Engine()
        let commands = Set(engine.accessTable.map(\.command))
        XCTAssertEqual(commands.subtracting(Self.expected.keys).sorted(), [], "commands without an expectation in AccessMatrixTests")
        XCTAssertEqual(Set(Self.expected.keys).subtracting(commands).sorted(), [], "expectations for commands that do not exist")
    }

    func testEveryCommandByEveryRole() throws {
        let engine = Engine()
        for (command, access) in engine.accessTable {
            for role in Role.allCases {
                let request = Request(words: command.split(separator: " ").map(String.init), options: [])
                let refusal = engine.refusal(for: request, as: Principal(user: "u", role: role))
                let allowed = Self.expected[command]?.contains(role) ?? false
                if allowed {
                    XCTAssertNil(refusal, "\(role.rawValue) may run \(command) (\(access))")
                } else {
                    XCTAssertEqual(refusal?.code, .denied, "\(role.rawValue) may not run \(command)")
                    XCTAssertTrue(refusal?.message.hasPrefix("u (\(role.rawValue)) may not run \(command): ") ?? false,
                                  "refusal names the user, role and command: \(refusal?.message ?? "none")")
                }
            }
        }
    }

    /// The engine enforces the rules itself: a refused request changes nothing and says why.
    func testEngineRefusesAndChangesNothing() throws {
        let engine = try demoEngine()
        let before = engine.state.lastSeq
        let viewer = Principal(user: "vera", role: .viewer)
        let outcome = engine.handle(line: "stock receive ty-01 water-5l 10", as: viewer)
        XCTAssertEqual(outcome.reply, .error(.denied, "vera (viewer) may not run stock receive: stock writes need the admin or warehouse_keeper role"))
        XCTAssertTrue(outcome.entries.isEmpty)
        XCTAssertEqual(engine.state.lastSeq, before)
        // Reads are answered.
        XCTAssertFalse(engine.handle(line: "stock query", as: viewer).reply.isError)
        // The drill organizer never reads the live operation.
        XCTAssertEqual(engine.handle(line: "incident list", as: Principal(user: "dora", role: .drillOrganizer)).reply,
                       .error(.denied, "dora (drill_organizer) may not run incident list: reading incidents need the admin or duty_officer or warehouse_keeper or coordinator or auditor or viewer role"))
    }

    /// Scopes: a keeper writes only to the warehouses of the grant, a duty officer only within the
    /// regions of the grant (each with everything under it).
    func testScopes() throws {
        let engine = try demoEngine()
        let keeper = Principal(user: "kim", role: .warehouseKeeper, warehouses: ["ty-01"])
        XCTAssertFalse(engine.handle(line: "stock receive ty-01 water-5l 10", as: keeper).reply.isError)
        let refused = engine.handle(line: "stock receive jz-01 water-5l 10", as: keeper)
        XCTAssertEqual(refused.reply, .error(.denied, "kim (warehouse_keeper) may not run stock receive for warehouse jz-01: outside the user's warehouses ty-01 (a warehouse_keeper's writes are limited to the warehouses of the grant)"))
        XCTAssertTrue(refused.entries.isEmpty)
        XCTAssertTrue(engine.handle(line: "stock transfer jz-01 ty-01 water-5l 1", as: keeper).reply.isError, "taking from a warehouse not kept")

        let officer = Principal(user: "olga", role: .dutyOfficer, regions: ["sx/ty"])
        let inside = engine.handle(line: "incident open f1 title=Flood kind=flood at=37.8,112.5 region=sx/ty/xd severity=3", as: officer)
        XCTAssertFalse(inside.reply.isError, "\(inside.reply)")
        let outside = engine.handle(line: "incident open f2 title=Flood kind=flood at=37.7,112.7 region=sx/jz severity=3", as: officer)
        XCTAssertEqual(outside.reply, .error(.denied, "olga (duty_officer) may not run incident open for region sx/jz: outside the user's regions sx/ty (a duty_officer's writes are limited to the regions of the grant)"))
        XCTAssertFalse(engine.handle(line: "need add f1 supply water-5l 100", as: officer).reply.isError)
        // An incident in another region, opened by an unscoped officer: olga may read it, not change it.
        XCTAssertFalse(engine.handle(line: "incident open f3 title=Quake kind=earthquake at=37.7,112.7 region=sx/jz severity=4",
                                     as: Principal(user: "root", role: .dutyOfficer)).reply.isError)
        XCTAssertFalse(engine.handle(line: "incident show f3", as: officer).reply.isError)
        XCTAssertEqual(code(engine.handle(line: "need add f3 supply water-5l 100", as: officer).reply), .denied)
        XCTAssertEqual(code(engine.handle(line: "match f3", as: officer).reply), .denied)
        // A plan over every open need reaches f3 too.
        XCTAssertFalse(engine.handle(line: "need add f3 supply water-5l 10", as: .system("t")).reply.isError)
        XCTAssertEqual(code(engine.handle(line: "plan", as: officer).reply), .denied)
        // A region prefix is not a parent: sx/ty does not cover sx/tyx.
        XCTAssertFalse(officer.covers(Engine.Place(region: "sx/tyx", warehouse: nil)))
        XCTAssertTrue(officer.covers(Engine.Place(region: "sx/ty", warehouse: nil)))
    }

    /// The journal records who acted, in what role, by which credential; `req=` tokens belong to
    /// the user, whatever the transport.
    func testJournalActorNamesUserRoleAndCredential() throws {
        let engine = try demoEngine()
        let keeper = Principal(user: "kim", role: .warehouseKeeper, warehouses: ["ty-01"], credential: "token=laptop")
        let outcome = engine.handle(line: "stock receive ty-01 water-5l 10 req=r1", as: keeper)
        XCTAssertEqual(outcome.entries.first?.actor, "kim role=warehouse_keeper token=laptop")
        XCTAssertEqual(RequestScope.of(actor: outcome.entries[0].actor), "kim")
        // The same user over the Unix socket retries: the first reply, nothing applied again.
        var unix = keeper
        unix.credential = "uid=1001"
        let retry = engine.handle(line: "stock receive ty-01 water-5l 10 req=r1", as: unix)
        XCTAssertTrue(retry.entries.isEmpty)
        XCTAssertEqual(retry.reply, outcome.reply)
    }

    private func code(_ reply: Reply) -> ErrorCode? {
        if case .error(let code, _) = reply { return code }
        return nil
    }

    private func demoEngine() throws -> Engine {
        let engine = Engine()
        for line in ["region add sx name=Shanxi level=province", "region add sx/ty name=Taiyuan level=city",
                     "region add sx/ty/xd name=Xiaodian level=county", "region add sx/jz name=Jinzhong level=city",
                     "warehouse add ty-01 name=Taiyuan region=sx/ty at=37.87,112.55",
                     "warehouse add jz-01 name=Jinzhong region=sx/jz at=37.69,112.75",
                     "item add water-5l name=Water category=water unit=bottle",
                     "stock receive jz-01 water-5l 100 lot=L1"] {
            let outcome = engine.handle(line: line, actor: "setup")
            guard !outcome.reply.isError else {
                XCTFail("setup \(line): \(outcome.reply)")
                throw CancellationError()
            }
        }
        return engine
    }
}
