import Foundation
import ReliefProtocol
import XCTest

/// Matching that a duty officer would accept (issue 11), on a province other than the Shanxi demo:
/// the generated Zhejiang dataset (config/demo/zhejiang.commands, deploy/lib/gen_province.py), a
/// typhoon at Wenling, a flood at Yueqing 60 km away opened 10 minutes later, and a landslide at
/// Linhai, their needs from the planning standards and three team needs, then `plan`.
///
/// The estimates are for three days, so each daily standard becomes a schedule of three needs, one
/// a day (refs PREFIX-SKU-d1, -d2, -d3); what is needed once (tents, quilts …) is one need
/// (PREFIX-SKU). The tests check the matching a duty officer would accept: every plan line's `tier`
/// and `from_reserve`; scarce water shared fairly between the two incidents due within minutes of
/// each other; teams sent across cities with their distance; `plan reserves=keep` and
/// `plan reach=city`.
final class ProvinceMatchingTests: EndToEndTestCase {
    private var config: String { Daemon.packageDirectory + "/config" }

    /// The columns every plan line has (supply lines also `warehouse lot qty`, people lines
    /// `volunteer` or `team`), and the two the new matching adds.
    private static let lineColumns = ["need", "incident", "distance_km", "cost", "tier", "from_reserve"]
    private static let tiers: Set<String> = ["county", "city", "province", "country"]

    // MARK: the daemon and the scenario

    /// A daemon on the Zhejiang dataset (its roster is in the file: no generated one) with the
    /// skill catalog and the planning standards, and how long it took to start.
    private func zhejiang() throws -> (Daemon, Client, Double) {
        let started = Date()
        let daemon = try startDaemon(["--demo", "on", "--demo-file", config + "/demo/zhejiang.commands", "--demo-volunteers", "0",
                                      "--catalog-file", config + "/catalog/skills.commands",
                                      "--planning-file", config + "/planning/sphere.standards"])
        let client = try daemon.connect(timeout: 60)
        _ = try settledInfo(client, timeout: 60)
        return (daemon, client, Date().timeIntervalSince(started))
    }

    /// The scenario's requests, in order. The flood at Yueqing is opened second and its needs are
    /// due 10 minutes after Wenling's (by=1450m against by=24h), as if opened 10 minutes later; the
    /// landslide's 10 minutes after that. Refs: the estimate's needs are PREFIX-SKU, a day of a daily
    /// standard PREFIX-SKU-dK (wl-water-5l-d1 …).
    static let scenario = [
        "incident open typhoon-wl title=\"Typhoon landfall, Wenling\" kind=storm at=28.30,121.52 region=zj/taizhou/wenling severity=4 affected=42000",
        "need estimate typhoon-wl days=3 accept by=24h ref=wl",
        "incident open flood-yq title=\"Yueqing river flood\" kind=flood at=28.12,120.96 region=zj/wenzhou/yueqing severity=3 affected=15000",
        "need estimate flood-yq days=3 accept by=1450m ref=yq",
        "incident open slide-lh title=\"Linhai landslide\" kind=landslide at=28.92,121.02 region=zj/taizhou/linhai severity=3 affected=3000",
        "need estimate slide-lh days=3 accept by=1460m ref=lh",
        "need add typhoon-wl team water-rescue 1 hours=48 priority=1 ref=wl-water-rescue",
        "need add slide-lh team medical 1 hours=48 priority=1 ref=lh-medical",
        "need add slide-lh team search-rescue 1 hours=48 priority=1 ref=lh-search-rescue",
    ]

    /// What the test needs to know about the operation once the scenario's needs are in.
    private struct Picture {
        /// need ref → asked amount
        var asked: [String: Int] = [:]
        /// need ref → item, for supply needs
        var itemOfNeed: [String: String] = [:]
        /// incident → region and location; warehouse → region and location; team → region and base.
        var incidentRegion: [String: String] = [:]
        var incidentAt: [String: (Double, Double)] = [:]
        var warehouseRegion: [String: String] = [:]
        var teamRegion: [String: String] = [:]
        var teamAt: [String: (Double, Double)] = [:]
        /// "warehouse item" → (available, min) before any plan is applied.
        var stock: [String: (available: Int, min: Int?)] = [:]
    }

    private func openScenario(_ client: Client) throws -> Picture {
        for line in ProvinceMatchingTests.scenario { try ok(client, line) }
        var picture = Picture()
        for row in try rows(client, "need list limit=100000") {
            guard let ref = row["ref"], let amount = row["amount"].flatMap({ Int($0) }) else { continue }
            picture.asked[ref] = amount
            if row["type"] == "supply" { picture.itemOfNeed[ref] = row["what"] }
        }
        XCTAssertEqual(picture.asked.count, 27, "24 needs from the three estimates (water and food a need a day for three days, tents and latrine slabs once) and 3 team needs")
        for row in try rows(client, "incident list") {
            guard let id = row["incident"] else { continue }
            picture.incidentRegion[id] = row["region"]
            picture.incidentAt[id] = ProvinceMatchingTests.coordinate(row["at"])
        }
        for row in try rows(client, "warehouse list limit=100000") {
            if let id = row["warehouse"] { picture.warehouseRegion[id] = row["region"] }
        }
        for row in try rows(client, "team list limit=100000") {
            guard let id = row["team"] else { continue }
            picture.teamRegion[id] = row["region"]
            picture.teamAt[id] = ProvinceMatchingTests.coordinate(row["at"])
        }
        for row in try rows(client, "stock query limit=100000") {
            guard let warehouse = row["warehouse"], let item = row["item"], let available = row["available"].flatMap({ Int($0) }) else { continue }
            picture.stock[warehouse + " " + item] = (available, row["min"].flatMap { Int($0) })
        }
        return picture
    }

    // MARK: reading plans

    private struct PlanReply {
        var summary: [String: String]
        var lines: [[String: String]]
        var unmet: [[String: String]]
        func lines(for ref: String) -> [[String: String]] { lines.filter { $0["ref"] == ref } }
        func unmet(for ref: String) -> [String: String]? { unmet.first { $0["ref"] == ref } }
        func quantity(for ref: String) -> Int { lines(for: ref).reduce(0) { $0 + (Int($1["qty"] ?? "") ?? 0) } }
        func missing(for ref: String) -> Int { unmet(for: ref).flatMap { Int($0["missing"] ?? "") } ?? 0 }
    }

    /// Sends a plan request; nil (and a failure naming the reply) when it is not answered with rows.
    private func plan(_ client: Client, _ line: String, file: StaticString = #filePath, line number: UInt = #line) throws -> PlanReply? {
        let reply = try client.request(line, timeout: 60)
        guard let rows = reply.rowFields, let summary = rows.first else {
            XCTFail("\(line) → \(reply.text); expected a plan", file: file, line: number)
            return nil
        }
        return PlanReply(summary: summary, lines: rows.filter { $0["line"] != nil }, unmet: rows.filter { $0["missing"] != nil })
    }

    /// Lines lacking a column they must have, as "line N: col, col" (the first few), or nil.
    private static func missingColumns(_ plan: PlanReply) -> String? {
        var problems: [String] = []
        for line in plan.lines {
            var wanted = lineColumns
            if line["team"] == nil && line["volunteer"] == nil { wanted += ["warehouse", "lot", "qty"] }
            let absent = wanted.filter { line[$0] == nil }
            if !absent.isEmpty { problems.append("line \(line["line"] ?? "?"): " + absent.joined(separator: ", ")) }
        }
        for unmet in plan.unmet {
            let absent = ["need", "missing", "reason"].filter { unmet[$0] == nil }
            if !absent.isEmpty { problems.append("unmet \(unmet["need"] ?? "?"): " + absent.joined(separator: ", ")) }
        }
        guard !problems.isEmpty else { return nil }
        return "\(problems.count) rows lack columns: " + problems.prefix(5).joined(separator: "; ") + (problems.count > 5 ? "; …" : "")
    }

    /// The tier of the region hierarchy two region paths share (as ReachTier.between): the same
    /// region or three parts or more, county; two, city; one, province; none, country.
    private static func tier(_ from: String, _ to: String) -> String {
        if from == to { return "county" }
        let shared = zip(from.split(separator: "/"), to.split(separator: "/")).prefix { $0 == $1 }.count
        switch shared {
        case 0: return "country"
        case 1: return "province"
        case 2: return "city"
        default: return "county"
        }
    }

    /// The region a line's source is in: its warehouse's, or its team's home region.
    private static func sourceRegion(_ line: [String: String], _ picture: Picture) -> String? {
        if let warehouse = line["warehouse"] { return picture.warehouseRegion[warehouse] }
        if let team = line["team"] { return picture.teamRegion[team] }
        return nil
    }

    private static func coordinate(_ text: String?) -> (Double, Double)? {
        let parts = (text ?? "").split(separator: ",").compactMap { Double($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// Great-circle km (haversine, as ReliefCore's Geo).
    private static func kilometres(_ a: (Double, Double), _ b: (Double, Double)) -> Double {
        let radians = Double.pi / 180
        let dLat = (b.0 - a.0) * radians, dLon = (b.1 - a.1) * radians
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.0 * radians) * cos(b.0 * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * 6371.0088 * asin(min(1, h.squareRoot()))
    }

    /// Checks the reserve marks of a plan's supply lines against the stock before it: per warehouse
    /// and item, the lines that say from_reserve=no take at most what is above the minimum, and some
    /// line says yes exactly when the lines together go below it. Returns the offenders.
    private static func reserveMarkProblems(_ plan: PlanReply, _ picture: Picture) -> [String] {
        var groups: [String: [[String: String]]] = [:]
        for line in plan.lines {
            guard let warehouse = line["warehouse"], let item = line["ref"].flatMap({ picture.itemOfNeed[$0] }) else { continue }
            groups[warehouse + " " + item, default: []].append(line)
        }
        var problems: [String] = []
        for (key, lines) in groups.sorted(by: { $0.key < $1.key }) {
            guard let stock = picture.stock[key] else { continue }
            let room = stock.available - (stock.min ?? 0)
            let drawn = lines.reduce(0) { $0 + (Int($1["qty"] ?? "") ?? 0) }
            let unmarked = lines.filter { $0["from_reserve"] == "no" }.reduce(0) { $0 + (Int($1["qty"] ?? "") ?? 0) }
            let marked = lines.filter { $0["from_reserve"] == "yes" }.compactMap { $0["line"] }
            if unmarked > room {
                problems.append("\(key): lines not marked from_reserve take \(unmarked), only \(room) above the minimum \(stock.min ?? 0)")
            }
            if drawn > room && marked.isEmpty {
                problems.append("\(key): the plan takes \(drawn) of \(stock.available) (minimum \(stock.min ?? 0)) and no line says from_reserve=yes")
            }
            if drawn <= room && !marked.isEmpty {
                problems.append("\(key): lines \(marked) say from_reserve=yes but the plan takes \(drawn), within the \(room) above the minimum")
            }
        }
        return problems
    }

    // MARK: the dataset

    func testTheZhejiangDatasetLoadsWithReservesOnWaterAndReadyTeams() throws {
        let (_, client, seconds) = try zhejiang()
        print("zhejiang dataset: daemon started and settled in \(String(format: "%.2f", seconds)) s")
        XCTAssertLessThan(seconds, 10, "the dataset loads in a few seconds")
        let fields = try info(client)
        XCTAssertEqual(fields["regions"], "20", "zj, 11 cities, 8 counties")
        XCTAssertEqual(fields["warehouses"], "14", "the depot, 11 city and 2 county warehouses")
        XCTAssertEqual(fields["items"], "21")

        let cities = try rows(client, "region list under=zj").filter { $0["level"] == "city" }.compactMap { $0["region"] }
        XCTAssertEqual(Set(cities), Set(["hangzhou", "ningbo", "wenzhou", "jiaxing", "huzhou", "shaoxing", "jinhua", "quzhou", "zhoushan",
                                         "taizhou", "lishui"].map { "zj/" + $0 }))
        for county in ["zj/taizhou/wenling", "zj/taizhou/linhai", "zj/wenzhou/yueqing"] {
            XCTAssertEqual(try client.request("region show \(county)").okFields?["level"], "county", county)
        }
        let warehouses = try rows(client, "warehouse list limit=100000")
        XCTAssertEqual(warehouses.first { $0["warehouse"] == "zj-prov" }?["region"], "zj")
        for city in cities {
            XCTAssertEqual(warehouses.filter { $0["region"] == city }.count, 1, "one municipal warehouse in \(city)")
        }
        XCTAssertEqual(warehouses.filter { ($0["region"] ?? "").split(separator: "/").count == 3 }.count, 2, "two county warehouses")

        let water = try rows(client, "stock query item=water-5l limit=100000")
        XCTAssertEqual(water.count, 14, "every warehouse holds water")
        XCTAssertEqual(water.reduce(0) { $0 + (Int($1["on_hand"] ?? "") ?? 0) }, 304_000)
        let largest = water.max { (Int($0["on_hand"] ?? "") ?? 0) < (Int($1["on_hand"] ?? "") ?? 0) }
        XCTAssertEqual(largest?["warehouse"], "zj-prov", "the provincial depot holds the most water")
        for row in water {
            let held = Double(row["on_hand"] ?? "") ?? 0, minimum = Double(row["min"] ?? "") ?? 0
            XCTAssertTrue(minimum >= 0.095 * held && minimum <= 0.2 * held, "\(row["warehouse"] ?? "?"): minimum \(minimum) of \(held) water")
        }
        XCTAssertEqual(try rows(client, "stock query low").count, 0, "nothing starts below its minimum")

        XCTAssertEqual(try rows(client, "volunteer list limit=1000000").count, 2400)
        let readiness = try rows(client, "team readiness limit=100000")
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: readiness.compactMap { row in row["team"].map { ($0, row["readiness"] ?? "") } }),
                       ["t-water-rescue-nb": "ready", "t-water-rescue-zs": "ready", "t-search-rescue-hz": "ready", "t-medical-wz": "ready"])
        let teams = try rows(client, "team list limit=100000")
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: teams.compactMap { row in row["team"].map { ($0, row["region"] ?? "") } }),
                       ["t-water-rescue-nb": "zj/ningbo", "t-water-rescue-zs": "zj/zhoushan", "t-search-rescue-hz": "zj/hangzhou",
                        "t-medical-wz": "zj/wenzhou"])

        // The scenario's requests are all accepted on it (the plans are the other tests').
        let picture = try openScenario(client)
        for day in 1...3 {
            XCTAssertEqual(picture.asked["wl-water-5l-d\(day)"], 126_000, "15 L × 42000 people ÷ 5 L, day \(day)")
            XCTAssertEqual(picture.asked["yq-water-5l-d\(day)"], 45_000)
            XCTAssertEqual(picture.asked["lh-water-5l-d\(day)"], 9_000)
        }
        XCTAssertEqual(picture.asked["wl-tent-12"], 12_250, "a tent for 12 is needed once, not a day")
        XCTAssertNil(picture.asked["wl-tent-12-d1"])
        let wenling = try XCTUnwrap(picture.incidentAt["typhoon-wl"]), yueqing = try XCTUnwrap(picture.incidentAt["flood-yq"])
        XCTAssertEqual(ProvinceMatchingTests.kilometres(wenling, yueqing), 60, accuracy: 5, "the flood is about 60 km from the typhoon")
    }

    // MARK: the scenario's plan

    /// Every line of `plan` and `plan show` has the columns a duty officer reads, with a tier that is
    /// the one its source and incident share, and from_reserve yes or no; unmet rows say what is
    /// missing and why.
    func testPlanLinesShowTheirTierAndWhetherTheyDrawOnAReserve() throws {
        let (_, client, _) = try zhejiang()
        let picture = try openScenario(client)
        guard let proposed = try plan(client, "plan") else { return }
        XCTAssertFalse(proposed.lines.isEmpty, "the plan proposes something")
        XCTAssertNil(ProvinceMatchingTests.missingColumns(proposed), "plan")
        for line in proposed.lines {
            let label = "plan line \(line["line"] ?? "?") (\(line["ref"] ?? "?") from \(line["warehouse"] ?? line["team"] ?? line["volunteer"] ?? "?"))"
            if let tier = line["tier"] {
                XCTAssertTrue(ProvinceMatchingTests.tiers.contains(tier), "\(label): tier=\(tier)")
                if let from = ProvinceMatchingTests.sourceRegion(line, picture),
                   let incident = line["incident"], let to = picture.incidentRegion[incident] {
                    XCTAssertEqual(tier, ProvinceMatchingTests.tier(from, to), "\(label): \(from) → \(to)")
                }
            }
            if let reserve = line["from_reserve"] { XCTAssertTrue(["yes", "no"].contains(reserve), "\(label): from_reserve=\(reserve)") }
        }
        guard let shown = try plan(client, "plan show") else { return }
        XCTAssertEqual(shown.lines.count, proposed.lines.count)
        XCTAssertNil(ProvinceMatchingTests.missingColumns(shown), "plan show")
        for (a, b) in zip(proposed.lines, shown.lines) {
            XCTAssertEqual(a["tier"], b["tier"], "plan show line \(b["line"] ?? "?")")
            XCTAssertEqual(a["from_reserve"], b["from_reserve"], "plan show line \(b["line"] ?? "?")")
        }
    }

    /// Wenling (due first) and Yueqing (due 10 minutes later) both need water a day for three days
    /// and there is not enough for all of it: each gets some, the first day is served before the
    /// later ones, and on every day the shares the two miss differ by at most 10 percentage points.
    func testSharedWaterIsSharedFairlyBetweenWenlingAndYueqing() throws {
        let (_, client, _) = try zhejiang()
        let picture = try openScenario(client)
        guard let proposed = try plan(client, "plan") else { return }
        var got: [String: Int] = [:], missedOfDay: [Int: [String: Double]] = [:]
        for incident in ["wl", "yq"] {
            for day in 1...3 {
                let ref = "\(incident)-water-5l-d\(day)"
                let asked = try XCTUnwrap(picture.asked[ref], ref)
                let quantity = proposed.quantity(for: ref), missing = proposed.missing(for: ref)
                XCTAssertEqual(quantity + missing, asked, "\(ref): the plan's lines and what it leaves missing add up to what was asked")
                got[incident, default: 0] += quantity
                missedOfDay[day, default: [:]][incident] = Double(missing) / Double(asked)
            }
            XCTAssertGreaterThan(got[incident] ?? 0, 0, "\(incident) gets water")
        }
        let asked = [1, 2, 3].reduce(0) { $0 + (picture.asked["wl-water-5l-d\($1)"] ?? 0) + (picture.asked["yq-water-5l-d\($1)"] ?? 0) }
        XCTAssertLessThan((got["wl"] ?? 0) + (got["yq"] ?? 0), asked, "the water is scarce: not all of it can be met")
        for day in 1...3 {
            let wenling = missedOfDay[day]?["wl"] ?? 0, yueqing = missedOfDay[day]?["yq"] ?? 0
            print(String(format: "water unmet on day %d: Wenling %.1f %%, Yueqing %.1f %%", day, wenling * 100, yueqing * 100))
            XCTAssertLessThanOrEqual(abs(wenling - yueqing), 0.10,
                                     String(format: "fair share on day %d: Wenling misses %.1f %% of its water, Yueqing %.1f %%", day, wenling * 100, yueqing * 100))
            if day > 1 {
                for incident in ["wl", "yq"] {
                    XCTAssertGreaterThanOrEqual(missedOfDay[day]?[incident] ?? 0, missedOfDay[day - 1]?[incident] ?? 0,
                                                "\(incident): day \(day) is not served ahead of day \(day - 1)")
                }
            }
        }
    }

    /// The water-rescue need at Wenling is met by a team from Ningbo or Zhoushan (over 100 km, no
    /// nearer one in the province), the medical need at Linhai by the Wenzhou team; their lines
    /// show the distance.
    func testTeamsAreSentAcrossCitiesWithTheirDistance() throws {
        let (_, client, _) = try zhejiang()
        let picture = try openScenario(client)
        guard let proposed = try plan(client, "plan") else { return }
        for (ref, teams) in [("wl-water-rescue", ["t-water-rescue-nb", "t-water-rescue-zs"]), ("lh-medical", ["t-medical-wz"])] {
            let lines = proposed.lines(for: ref)
            guard let line = lines.first else {
                XCTFail("\(ref) gets no team: \(proposed.unmet(for: ref)?["reason"] ?? "no unmet row either")")
                continue
            }
            XCTAssertEqual(lines.count, 1, "\(ref) asks for one team")
            XCTAssertTrue(teams.contains(line["team"] ?? ""), "\(ref) is met by \(line["team"] ?? "no team"); expected one of \(teams)")
            guard let team = line["team"], let base = picture.teamAt[team], let incident = line["incident"],
                  let at = picture.incidentAt[incident] else { continue }
            let expected = ProvinceMatchingTests.kilometres(base, at)
            XCTAssertGreaterThan(expected, 100, "\(team) is more than 100 km from \(incident)")
            let shown = try XCTUnwrap(line["distance_km"].flatMap { Double($0) }, "\(ref) line shows its distance: \(line)")
            XCTAssertEqual(shown, expected, accuracy: 0.5, "\(ref): distance_km of \(team)")
            XCTAssertNil(proposed.unmet(for: ref), "\(ref) is met in full")
        }
    }

    /// `plan reserves=keep` proposes nothing that draws a warehouse below its minimum, and once
    /// applied every warehouse still has at least its minimum of water available; the default plan
    /// (which may draw on reserves under scarcity) marks every line that does from_reserve=yes.
    ///
    func testReservesAreKeptWhenAskedAndMarkedWhenDrawn() throws {
        let (_, client, _) = try zhejiang()
        let picture = try openScenario(client)

        if let proposed = try plan(client, "plan") {
            XCTAssertTrue(proposed.lines.allSatisfy { $0["from_reserve"] != nil }, "every line of plan says from_reserve=yes|no")
            let problems = ProvinceMatchingTests.reserveMarkProblems(proposed, picture)
            XCTAssertTrue(problems.isEmpty, "plan: lines drawing below a minimum must say from_reserve=yes:\n" + problems.joined(separator: "\n"))
        }

        guard let kept = try plan(client, "plan reserves=keep") else { return }
        XCTAssertFalse(kept.lines.isEmpty, "plan reserves=keep still proposes what is above the minimums")
        let marked = kept.lines.filter { $0["from_reserve"] == "yes" }.compactMap { $0["line"] }
        XCTAssertTrue(marked.isEmpty, "plan reserves=keep: lines \(marked) say from_reserve=yes")
        XCTAssertTrue(kept.lines.allSatisfy { $0["from_reserve"] == "no" }, "every line of plan reserves=keep says from_reserve=no")
        XCTAssertTrue(ProvinceMatchingTests.reserveMarkProblems(kept, picture).isEmpty,
                      "plan reserves=keep draws below a minimum: \(ProvinceMatchingTests.reserveMarkProblems(kept, picture))")
        try ok(client, "plan apply")

        let water = try rows(client, "stock query item=water-5l limit=100000")
        XCTAssertEqual(water.count, 14)
        for row in water {
            let available = Int(row["available"] ?? "") ?? -1, minimum = Int(row["min"] ?? "") ?? 0
            XCTAssertGreaterThanOrEqual(available, minimum, "\(row["warehouse"] ?? "?") keeps its minimum of water after plan reserves=keep is applied")
        }
        XCTAssertEqual(try rows(client, "stock query low").map { "\($0["warehouse"] ?? "") \($0["item"] ?? "")" }, [],
                       "nothing is below its minimum after plan reserves=keep is applied")
    }

    /// `plan reach=city` proposes only from the incident's own county or city (every line's tier is
    /// county or city, and its source is in the incident's city), and the needs it leaves unmet say
    /// that the reach stopped it.
    func testReachCityProposesNothingFromOutsideTheIncidentsCity() throws {
        let (_, client, _) = try zhejiang()
        let picture = try openScenario(client)
        guard let reached = try plan(client, "plan reach=city") else { return }
        XCTAssertFalse(reached.lines.isEmpty, "each incident's city has water of its own")
        for line in reached.lines {
            let label = "plan reach=city line \(line["line"] ?? "?") (\(line["ref"] ?? "?") from \(line["warehouse"] ?? line["team"] ?? line["volunteer"] ?? "?"))"
            XCTAssertTrue(["county", "city"].contains(line["tier"] ?? ""), "\(label): tier=\(line["tier"] ?? "none")")
            if let from = ProvinceMatchingTests.sourceRegion(line, picture), let incident = line["incident"], let to = picture.incidentRegion[incident] {
                XCTAssertTrue(["county", "city"].contains(ProvinceMatchingTests.tier(from, to)), "\(label): \(from) is outside the city of \(to)")
            }
        }
        // Water, and the teams, exist in the province beyond each city: what is left unmet is the reach's doing.
        for ref in ["wl-water-5l-d3", "yq-water-5l-d3", "wl-water-rescue", "lh-medical", "lh-search-rescue"] {
            let unmet = try XCTUnwrap(reached.unmet(for: ref), "\(ref) is not met in full within its city")
            XCTAssertTrue((unmet["reason"] ?? "").contains("reach"), "\(ref): the reason names the reach: \(unmet["reason"] ?? "")")
        }
        let silent = reached.unmet.filter { !($0["reason"] ?? "").contains("reach") }.map { "\($0["ref"] ?? "?"): \($0["reason"] ?? "")" }
        XCTAssertTrue(silent.isEmpty, "every need left unmet within the city could be served from the province; reasons without the reach:\n"
                      + silent.joined(separator: "\n"))
    }
}
