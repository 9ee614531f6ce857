import XCTest
import ReliefCore
import ReliefMatching
import ReliefProtocol
@testable import ReliefEngine

/// The travel-time matrix through the engine: `travel set|clear|list|show`, refusals that change
/// nothing, replay and snapshots, and matching that follows road minutes rather than the crow.
final class TravelCommandTests: XCTestCase {
    /// Lüliang city: an incident in Fangshan county; a warehouse in Lishi, 26 km away but behind a
    /// mountain; a warehouse in Jiaocheng, 53 km away down the valley road; a provincial depot.
    static let setup = [
        "region add shanxi name=Shanxi level=province",
        "region add shanxi/lvliang name=Lvliang",
        "region add shanxi/lvliang/fangshan name=Fangshan",
        "region add shanxi/lvliang/lishi name=Lishi",
        "region add shanxi/lvliang/jiaocheng name=Jiaocheng",
        "region add shanxi/taiyuan name=Taiyuan",
        #"warehouse add ls-01 name="Lishi depot" region=shanxi/lvliang/lishi at=37.50,111.50"#,
        #"warehouse add jc-01 name="Jiaocheng depot" region=shanxi/lvliang/jiaocheng at=37.50,111.80"#,
        #"warehouse add ty-01 name="Taiyuan depot" region=shanxi/taiyuan at=37.87,112.55"#,
        #"item add water-5l name="Water 5 L" category=water unit=bottle"#,
        "stock receive ls-01 water-5l 100 lot=W-LS expires=2027-06-30 supplier=Wahaha",
        "stock receive jc-01 water-5l 100 lot=W-JC expires=2027-06-30 supplier=Wahaha",
        #"incident open slide title="Fangshan landslide" kind=landslide at=37.50,111.20 region=shanxi/lvliang/fangshan severity=3"#,
        "need add slide supply water-5l 50 priority=1",
    ]

    private func engine() -> Engine {
        let engine = Engine.testEngine()
        for line in Self.setup { engine.ok(line) }
        return engine
    }

    /// The warehouse of each supply line of `match INCIDENT`.
    private func matchedWarehouses(_ engine: Engine, _ incident: String = "slide") -> [String] {
        engine.rows("match \(incident)").compactMap { $0["warehouse"] }
    }

    func testSetListShowAndClear() {
        let engine = engine()
        let set = engine.okFields("travel set ls-01 shanxi/lvliang/fangshan 180")
        XCTAssertEqual(set["minutes"], "180")
        XCTAssertEqual(set["changed"], "1")
        XCTAssertEqual(engine.okFields("travel set ls-01 shanxi/lvliang/fangshan 180")["changed"], "0", "the same value again writes nothing")
        XCTAssertEqual(engine.handle(line: "travel set ls-01 shanxi/lvliang/fangshan 180", actor: "o").entries, [])
        let both = engine.okFields("travel set shanxi/lvliang/jiaocheng shanxi/lvliang/fangshan 70 both")
        XCTAssertEqual(both["both"], "yes")
        XCTAssertEqual(both["changed"], "2")
        XCTAssertEqual(engine.state.travelEntry(from: "shanxi/lvliang/fangshan", to: "shanxi/lvliang/jiaocheng"), 70)

        let all = engine.rows("travel list")
        XCTAssertEqual(all.map { "\($0["from"]!)>\($0["to"]!)=\($0["minutes"]!)" },
                       ["ls-01>shanxi/lvliang/fangshan=180", "shanxi/lvliang/fangshan>shanxi/lvliang/jiaocheng=70",
                        "shanxi/lvliang/jiaocheng>shanxi/lvliang/fangshan=70"])
        XCTAssertEqual(all[1]["back"], "70")
        XCTAssertEqual(all[0]["back"], "")
        // from= a region lists the warehouses and regions inside it.
        XCTAssertEqual(engine.rows("travel list from=shanxi/lvliang/lishi").map { $0["from"] }, ["ls-01"])
        XCTAssertEqual(engine.rows("travel list to=shanxi/lvliang/jiaocheng").count, 1)
        XCTAssertEqual(engine.rows("travel list from=ty-01").count, 0)

        // show: the entry the matcher would use, or the great-circle fallback.
        let shown = engine.okFields("travel show ls-01 slide")
        XCTAssertEqual(shown["source"], "matrix")
        XCTAssertEqual(shown["minutes"], "180")
        XCTAssertEqual(shown["entry_from"], "ls-01")
        XCTAssertEqual(shown["entry_to"], "shanxi/lvliang/fangshan")
        XCTAssertEqual(shown["travel_cost"], String(180 * 667))
        XCTAssertEqual(shown["distance_km"], "26.5")
        let byCounty = engine.okFields("travel show jc-01 slide")
        XCTAssertEqual(byCounty["entry_from"], "shanxi/lvliang/jiaocheng", "the warehouse's county entry")
        XCTAssertEqual(byCounty["minutes"], "70")
        let fallback = engine.okFields("travel show ty-01 slide")
        XCTAssertEqual(fallback["source"], "great-circle")
        XCTAssertNil(fallback["minutes"])
        let km = Coordinate(latitude: 37.87, longitude: 112.55).distanceKilometres(to: Coordinate(latitude: 37.50, longitude: 111.20))
        XCTAssertEqual(fallback["travel_cost"], String(MatchingPolicy().travelCost(kilometres: km)))
        let regions = engine.okFields("travel show shanxi/taiyuan shanxi/lvliang/fangshan")
        XCTAssertEqual(regions["source"], "great-circle")
        XCTAssertNotNil(regions["note"], "no coordinates for two regions")

        let cleared = engine.okFields("travel clear shanxi/lvliang/jiaocheng shanxi/lvliang/fangshan both")
        XCTAssertEqual(cleared["cleared"], "2")
        engine.ok("travel clear ls-01 shanxi/lvliang/fangshan")
        XCTAssertTrue(engine.state.travelTimes.isEmpty)
        XCTAssertEqual(engine.okFields("travel show ls-01 slide")["source"], "great-circle")
        XCTAssertEqual(engine.rows("help travel").count, 4)
    }

    func testBadInputIsRefusedNamingWhatWasWrongAndChangesNothing() {
        let engine = engine()
        engine.ok("travel set ls-01 shanxi/lvliang/fangshan 180")
        var message = engine.refused("travel set nowhere shanxi/lvliang/fangshan 60", .notFound)
        XCTAssertTrue(message.contains("unknown place \"nowhere\" for FROM"), message)
        message = engine.refused("travel set ls-01 shanxi/lvliang/nowhere 60", .notFound)
        XCTAssertTrue(message.contains("\"shanxi/lvliang/nowhere\" for TO"), message)
        for minutes in ["0", "10001", "-5", "1.5", "90m", "99999999999999999999"] {
            message = engine.refused("travel set ls-01 shanxi/lvliang/fangshan \(minutes)", .syntax)
            XCTAssertTrue(message.contains("bad MINUTES \"\(minutes)\"; expected a whole number of minutes from 1 to 10000"), message)
        }
        message = engine.refused("travel set ls-01 ls-01 60", .syntax)
        XCTAssertTrue(message.contains("FROM and TO are both ls-01"), message)
        message = engine.refused("travel set ls-01 shanxi/lvliang/fangshan 60 twice", .syntax)
        XCTAssertTrue(message.contains("\"twice\""), message)
        engine.refused("travel set ls-01 shanxi/lvliang/fangshan", .syntax)
        engine.refused("travel set ls-01 shanxi/lvliang/fangshan 60 both extra", .syntax)
        engine.refused("travel set ls-01 shanxi/lvliang/fangshan 60 speed=40", .syntax)
        message = engine.refused("travel clear jc-01 shanxi/lvliang/fangshan", .notFound)
        XCTAssertTrue(message.contains("no travel time from jc-01 to shanxi/lvliang/fangshan"), message)
        engine.refused("travel clear nowhere shanxi/lvliang/fangshan", .notFound)
        engine.refused("travel show ls-01 no-such-incident", .notFound)
        engine.refused("travel show nobody slide", .notFound)
        engine.refused("travel list from=nowhere", .notFound)
        // A name that is both a warehouse and a region is ambiguous.
        engine.ok("region add lishi name=Lishi")
        engine.ok(#"warehouse add lishi name="Lishi" region=shanxi/lvliang/lishi at=37.5,111.5"#)
        message = engine.refused("travel set lishi shanxi/lvliang/fangshan 60", .conflict)
        XCTAssertTrue(message.contains("names both a warehouse and a region"), message)
        XCTAssertEqual(engine.state.travelTimes, ["ls-01": ["shanxi/lvliang/fangshan": 180]])
    }

    func testReplayAndSnapshotGiveTheSameMatrix() throws {
        let engine = Engine.testEngine()
        var entries: [Entry] = []
        for line in Self.setup + [
            "travel set ls-01 shanxi/lvliang/fangshan 180 both",
            "travel set shanxi/lvliang shanxi/taiyuan 150 both",
            "travel set jc-01 shanxi/lvliang/fangshan 65",
            "travel set jc-01 shanxi/lvliang/fangshan 60",
            "travel clear shanxi/taiyuan shanxi/lvliang",
            "travel set ty-01 ls-01 200 req=t-1",
        ] {
            let outcome = engine.handle(line: line, actor: "officer")
            XCTAssertFalse(outcome.reply.isError, "\(line) → \(replyText(outcome.reply))")
            entries += outcome.entries
        }
        XCTAssertEqual(engine.state.travelEntryCount, 5)
        var replayed = State()
        try replayed.apply(entries)
        XCTAssertEqual(replayed.travelTimes, engine.state.travelTimes)
        XCTAssertEqual(replayed.snapshotText(), engine.state.snapshotText())
        let loaded = try State(snapshotText: engine.state.snapshotText())
        XCTAssertEqual(loaded.travelTimes, engine.state.travelTimes)
        XCTAssertEqual(loaded.snapshotText(), engine.state.snapshotText())
        XCTAssertTrue(engine.state.snapshotText().contains(#"{"t":"travel","from":"jc-01","to":"shanxi/lvliang/fangshan","minutes":60}"#),
                      engine.state.snapshotText())
        // The journal form round-trips, clearing included.
        for entry in entries where entry.event.kind == "travel.set" {
            XCTAssertEqual(try Event(kind: entry.event.kind, body: entry.event.body), entry.event)
        }
        XCTAssertThrowsError(try Event(kind: "travel.set", body: Event.travelTimeSet(from: "a", to: "b", minutes: 0).body))
    }

    /// The crow's nearest warehouse is behind a mountain: with the road minutes in the matrix, the
    /// warehouse down the valley serves the landslide.
    func testTheMatrixChangesTheChosenWarehouse() {
        let engine = engine()
        XCTAssertEqual(matchedWarehouses(engine), ["ls-01"], "great-circle: Lishi is nearer")
        engine.ok("travel set ls-01 shanxi/lvliang/fangshan 180")
        engine.ok("travel set jc-01 shanxi/lvliang/fangshan 60")
        XCTAssertEqual(matchedWarehouses(engine), ["jc-01"], "by road Jiaocheng is nearer")
        // The plan's cost is the matrix's: 60 min × 667 + county penalty + expiry, per unit.
        let rows = engine.rows("match slide")
        let line = rows.first { $0["warehouse"] != nil }!
        XCTAssertEqual(line["distance_km"], "52.9", "distance_km stays the great-circle distance")
        let policy = MatchingPolicy()
        let expiry = policy.expiryCost(expires: Day(iso8601: "2027-06-30"), today: december1.day)
        XCTAssertEqual(line["cost"], String((60 * 667 + policy.countyCrossingPenalty + expiry) * 50))
        // A county-wide entry for Lishi is less specific than the warehouse's own: it changes nothing.
        engine.ok("travel set shanxi/lvliang/lishi shanxi/lvliang/fangshan 20")
        XCTAssertEqual(matchedWarehouses(engine), ["jc-01"])
        engine.ok("travel clear ls-01 shanxi/lvliang/fangshan")
        XCTAssertEqual(matchedWarehouses(engine), ["ls-01"], "now Lishi's county entry (20 min) applies")
        // cost_per_minute 0: road time costs nothing, both tie on travel; the penalty and expiry decide.
        engine.matchingPolicy = try! MatchingPolicy(parsing: ["cost_per_minute": "0"])
        XCTAssertEqual(engine.okFields("travel show jc-01 slide")["travel_cost"], "0")
    }

    func testPeopleTravelUsesTheirHomeRegion() {
        let engine = engine()
        engine.ok(#"skill add first-aid name="First aid""#)
        engine.ok("volunteer add v-ls name=Near region=shanxi/lvliang/lishi at=37.50,111.45 skills=first-aid:3")
        engine.ok("volunteer add v-jc name=Far region=shanxi/lvliang/jiaocheng at=37.50,111.75 skills=first-aid:3")
        engine.ok("need add slide volunteers first-aid 1 hours=8 priority=2")
        func volunteers() -> [String] { engine.rows("match slide").compactMap { $0["volunteer"] } }
        XCTAssertEqual(volunteers(), ["v-ls"])
        engine.ok("travel set shanxi/lvliang/lishi shanxi/lvliang/fangshan 200")
        engine.ok("travel set shanxi/lvliang/jiaocheng shanxi/lvliang 90")
        XCTAssertEqual(volunteers(), ["v-jc"])
        let shown = engine.okFields("travel show v-jc slide")
        XCTAssertEqual(shown["from_kind"], "volunteer")
        XCTAssertEqual(shown["entry_to"], "shanxi/lvliang", "county → the incident's city")
    }

    func testCostPerMinuteFollowsCostPerKilometreUnlessGiven() throws {
        XCTAssertEqual(MatchingPolicy().costPerMinute, 667)
        XCTAssertEqual(try MatchingPolicy(parsing: ["cost_per_km": "600"]).costPerMinute, 400)
        XCTAssertEqual(try MatchingPolicy(parsing: ["matching_cost_per_km": "600", "matching_cost_per_minute": "1000"]).costPerMinute, 1000)
        XCTAssertEqual(try MatchingPolicy(parsing: ["cost_per_minute": "5"]).costPerMinute, 5)
        XCTAssertThrowsError(try MatchingPolicy(parsing: ["cost_per_minute": "100001"])) { error in
            XCTAssertEqual("\(error)", "bad value \"100001\" for cost_per_minute; expected a whole number from 0 to 100000")
        }
        XCTAssertTrue(MatchingPolicy.keys.contains { $0.key == "cost_per_minute" })
    }

    /// A travel import is all or nothing, like a roster import.
    func testImportOfTravelRowsIsAllOrNothing() {
        let engine = engine()
        func rows(_ lines: [String]) -> [(line: Int, request: Request)] {
            lines.enumerated().map { index, text in
                guard case .success(let request) = RequestParser.parse(text) else { fatalError(text) }
                return (index + 2, request)
            }
        }
        let before = engine.state.snapshotText()
        let refused = engine.importRows(rows(["travel set ls-01 shanxi/lvliang/fangshan 180",
                                              "travel set jc-01 shanxi/lvliang/fangshan 0",
                                              "travel set nowhere shanxi/lvliang/fangshan 10 both"]),
                                        allowed: ["travel set"], actor: "officer")
        guard case .error(.syntax, let message) = refused.reply else { return XCTFail(replyText(refused.reply)) }
        XCTAssertTrue(message.contains("2 bad rows of 3"), message)
        XCTAssertTrue(message.contains("line 3: SYNTAX bad MINUTES \"0\""), message)
        XCTAssertTrue(message.contains("line 4: NOTFOUND unknown place \"nowhere\""), message)
        XCTAssertEqual(engine.state.snapshotText(), before)
        let done = engine.importRows(rows(["travel set ls-01 shanxi/lvliang/fangshan 180",
                                           "travel set jc-01 shanxi/lvliang/fangshan 60 both"]),
                                     allowed: ["travel set"], actor: "officer")
        XCTAssertFalse(done.reply.isError, replyText(done.reply))
        XCTAssertEqual(done.entries.count, 3)
        XCTAssertEqual(engine.state.travelEntryCount, 3)
    }
}
