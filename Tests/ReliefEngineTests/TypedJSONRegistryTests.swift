import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// The JSON of replies types values by their field's name (TypedJSON, docs/protocol.md "Replies as
/// JSON"). This runs most of the engine's commands over an operation with stock, donations, an
/// incident, needs, a plan, allocations, assignments, volunteers, teams, travel times and users,
/// and checks the registry against what they answer: every field that answers a number is in it
/// (or is one of the few left out on purpose), and what the registry calls a number or a flag
/// always is one or empty, except where docs/protocol.md says the name carries text too.
final class TypedJSONRegistryTests: XCTestCase {
    /// Fields whose values may look like numbers but are not typed as numbers, with the reason.
    static let textThatMayLookNumeric: [String: String] = [
        "lots": "a count in info, warehouse show and donation show; lot codes in disclose section=money",
    ]

    /// Registered numeric names that also carry text elsewhere (docs/protocol.md, the registry's comment).
    static let numericNamesWithText: Set<String> = ["issued", "arrived", "needs", "level", "speed"]

    func testTheRegistryCoversEveryNumberTheEngineAnswers() throws {
        let clock = ManualClock(december1)
        let engine = try Engine.incidentFixture(clock: clock)
        engine.planningStandards = Engine.sphereStandards
        var replies: [(line: String, fields: Fields)] = []
        func run(_ line: String) {
            let reply = engine.ok(line, lineNumber: #line)
            switch reply {
            case .ok(let fields): replies.append((line, fields))
            case .rows, .stream: for row in reply.rowList ?? [] { replies.append((line, row)) }
            case .error: break
            }
        }
        for line in [
            #"donation add receipt=D-A donor="Yangquan Steel" goods=water-5l:1000 money=20000"#,
            "donation money D-A 500.50",
            "stock receive ty-01 water-5l 800 lot=DA-W1 expires=2027-06-30 donation=D-A",
            #"donation spend D-A 100 purpose="trucks""#,
            "stock min jz-01 water-5l 2000",
            "stock issue ty-01 water-5l 10 lot=W1",
            "stock transfer ty-01 jz-01 water-5l 5 lot=W1",
            "stock adjust ty-01 W1 delta=-2 reason=damaged",
            "need add flood supply water-5l 300",
            "need add flood item=water-5l per_day=10 days=3",
            "need add flood volunteers first-aid 1 hours=8",
            "need change N-000001 qty=320 priority=2",
            "travel set ty-01 jz-01 45 both",
            "match flood",
            "plan apply",
            "allocation dispatch AL-000001",
            "allocation deliver AL-000001",
            "assignment enroute AS-000001",
            "assignment onscene AS-000001",
            "assignment release AS-000001",
            "volunteer checkin v2",
            "volunteer checkout v2",
            "user add screen role=viewer",
            "token create screen wall",
            "drill record d1 scenario=\"Fen River flood\" date=2026-11-20 teams=med-1 volunteers=v2",
            "need estimate flood days=2",
            "need estimate flood days=1 accept",
            "volunteer certify v1 first-aid issued=2026-01-01 expires=2028-12-31 issuer=RC",
            "travel clear ty-01 jz-01 both",
            "info", "whoami", "help",
            "region list", "region show shanxi", "warehouse list", "warehouse show ty-01", "item list", "item show water-5l",
            "stock query", "stock query low", "stock query expiring", "stock query near=37.8,112.5", "stock lots",
            "stock lots near=37.8,112.5", "stock history warehouse=ty-01",
            "skill list", "specialty list", "volunteer list", "volunteer show v1", "volunteer find skill=first-aid near=37.8,112.5",
            "volunteer export", "team list", "team show med-1", "team readiness", "cert expiring within=800d",
            "incident list", "incident show flood", "incident timeline flood", "need list", "plan list", "plan show",
            "allocation list", "assignment list", "donation list", "donation show D-A", "donation trace D-A",
            "travel list", "travel show ty-01 flood", "travel show jz-01 shanxi/taiyuan", "user list", "user show screen", "alert list",
            "user remove screen",
        ] + Disclosure.sections.map { "disclose section=\($0)" } {
            run(line)
        }

        var seen = Set<String>()
        for (line, fields) in replies {
            for pair in fields.pairs {
                seen.insert(pair.key)
                let type = TypedJSON.replyFields[pair.key] ?? []
                let looksNumeric = TypedJSON.number(pair.value) != nil
                if looksNumeric && !type.contains(.number) {
                    XCTAssertNotNil(Self.textThatMayLookNumeric[pair.key],
                                    "\(line): \(pair.key)=\(pair.value) is a number in a field the registry does not call numeric")
                }
                if type == .number && !pair.value.isEmpty && !looksNumeric {
                    XCTAssertTrue(Self.numericNamesWithText.contains(pair.key),
                                  "\(line): \(pair.key)=\(pair.value) is text in a numeric field")
                }
                if type == .flag && !["", "yes", "no"].contains(pair.value) {
                    XCTFail("\(line): \(pair.key)=\(pair.value) is not yes or no in a flag field")
                }
                if pair.value == "yes" || pair.value == "no", !type.contains(.flag), !["revoked", "state"].contains(pair.key) {
                    XCTFail("\(line): \(pair.key)=\(pair.value) looks like a flag the registry does not list")
                }
            }
        }
        // The replies reached most of the registry (the daemon's counters, imports, drills and
        // journal checks are answered by the server).
        let reached = Set(TypedJSON.numericFields).intersection(seen)
        XCTAssertGreaterThan(reached.count, 60, "reached: \(reached.sorted())")
    }
}
