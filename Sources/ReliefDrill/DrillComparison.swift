/// Two drill reports side by side — typically a real incident replayed as it was (A) and the same
/// incident with changes (B, the what-if) — with the differences an organizer looks for: the
/// summary's figures, each need's times from raised to delivered, which expectations held, the
/// open and unmet needs over time, the stock of the warehouses that were drawn down, and the
/// flows. Differences are always B − A. Plain Codable, built from the two reports alone, so it is
/// the same whether the reports were just played or read back from their JSON.
public struct DrillComparison: Codable, Sendable, Equatable {
    public var exercise = true
    public var a: Side
    public var b: Side
    public var summary: [Metric]
    public var expectations: [ExpectationPair]
    public var needs: [NeedPair]
    public var timeline: Timelines
    /// The warehouses and items whose available stock moved in either drill: those where the two
    /// drills differ first, then the most drawn down.
    public var stock: [StockPair]
    public var flows: [FlowPair]

    /// How many stock series the comparison keeps: the most drawn down, so the page stays short.
    public static let stockSeriesShown = 8

    /// `reportPaths`: where each side's own report page is, relative to the comparison's page
    /// (links on it); nil when there is nothing to link to.
    public init(a reportA: DrillReport, b reportB: DrillReport, reportPaths: (String, String)? = nil) {
        a = Side(reportA, page: reportPaths?.0)
        b = Side(reportB, page: reportPaths?.1)
        summary = Metric.all(reportA, reportB)
        expectations = ExpectationPair.pairs(reportA.expectations, reportB.expectations)
        needs = NeedPair.pairs(reportA, reportB)
        timeline = Timelines(a: reportA.timeline.enumerated().sorted { ($0.element.minute, $0.offset) < ($1.element.minute, $1.offset) }.map(\.element),
                             b: reportB.timeline.enumerated().sorted { ($0.element.minute, $0.offset) < ($1.element.minute, $1.offset) }.map(\.element),
                             endMinute: max(reportA.lastMinute, reportB.lastMinute))
        stock = StockPair.pairs(reportA.stock, reportB.stock)
        flows = FlowPair.pairs(reportA.flows, reportB.flows) { reportA.incidentTitle($0) == $0 ? reportB.incidentTitle($0) : reportA.incidentTitle($0) }
        summary.insert(contentsOf: Metric.needTimes(needs), at: min(4, summary.count))
    }

    /// One drill of the two.
    public struct Side: Codable, Sendable, Equatable {
        public var name: String
        public var file: String
        public var from: String
        public var start: String
        public var endMinute: Int
        public var seed: UInt64
        public var injects: Int
        public var replay: DrillReport.Replay?
        /// The drill's own report page, relative to the comparison's; nil: not linked.
        public var page: String?

        init(_ report: DrillReport, page: String?) {
            name = report.scenario.name; file = report.scenario.file; from = report.scenario.from; start = report.scenario.start
            endMinute = report.scenario.endMinute; seed = report.scenario.seed; injects = report.summary.injects
            replay = report.replay
            self.page = page
        }
    }

    /// A figure of the summary in both drills. `better` says which way is good (nil: neither,
    /// such as how many plans were proposed); `verdict` says how B did against A by it.
    public struct Metric: Codable, Sendable, Equatable {
        public var key: String
        public var label: String
        public var a: Double
        public var b: Double
        public var unit: Unit
        public var better: Direction?

        public enum Unit: String, Codable, Sendable {
            case count, hours, minutes
        }

        public enum Direction: String, Codable, Sendable {
            case higher, lower
        }

        public enum Verdict: String, Codable, Sendable {
            case better, worse, same, different
        }

        public var delta: Double { b - a }

        public var verdict: Verdict {
            if a == b { return .same }
            guard let better else { return .different }
            return (b > a) == (better == .higher) ? .better : .worse
        }

        public var aText: String { Self.text(a, unit) }
        public var bText: String { Self.text(b, unit) }
        /// `+2`, `−1h 30m`, `0`.
        public var deltaText: String {
            guard delta != 0 else { return "same" }
            let magnitude = Self.text(abs(delta), unit)
            return (delta > 0 ? "+" : "−") + magnitude
        }

        static func text(_ value: Double, _ unit: Unit) -> String {
            switch unit {
            case .count: ReportFormat.thousands(Int64(value.rounded()))
            case .hours: ReportFormat.oneDecimal(value)
            case .minutes: ReportFormat.duration(Int(value.rounded()))
            }
        }

        static func all(_ a: DrillReport, _ b: DrillReport) -> [Metric] {
            func count(_ key: String, _ label: String, _ better: Direction?, _ value: (DrillReport) -> Int) -> Metric {
                Metric(key: key, label: label, a: Double(value(a)), b: Double(value(b)), unit: .count, better: better)
            }
            var metrics = [
                count("needsMet", "needs met at the end", .higher) { $0.summary.needsMet },
                count("needsUnmet", "needs not fully met at the end", .lower) { $0.summary.needsUnmet },
                Metric(key: "missingAtEnd", label: "units still missing at the end", a: Double(a.needs.reduce(Int64(0)) { DrillReport.saturatingSum($0, $1.unmetAtEnd) }),
                       b: Double(b.needs.reduce(Int64(0)) { DrillReport.saturatingSum($0, $1.unmetAtEnd) }), unit: .count, better: .lower),
                count("needsDelivered", "needs delivered in full", .higher) { $0.needs.filter { $0.deliveredMinute != nil }.count },
                count("expectationsHeld", "expectations held", .higher) { $0.summary.expectationsHeld },
                count("expectationsFailed", "expectations failed", .lower) { $0.summary.expectationsFailed },
                count("plansProposed", "plans proposed", nil) { $0.summary.plansProposed },
                count("plansApplied", "plans applied", nil) { $0.summary.plansApplied },
                count("dispatches", "dispatches", nil) { $0.flows.count },
                count("crossRegion", "dispatches across regions", nil) { $0.crossRegionTransfers },
                count("volunteersDeployed", "volunteers deployed", nil) { $0.people.volunteersDeployed },
                count("teamsDeployed", "teams deployed", nil) { $0.people.teamsDeployed },
                Metric(key: "hoursOnScene", label: "hours on scene, all people", a: a.people.hours, b: b.people.hours, unit: .hours, better: nil),
                count("restLimitRefusals", "left out for rest or duty-hour limits", .lower) { $0.people.restLimitRefusals },
                count("noShows", "no-shows", nil) { $0.people.noShows },
            ]
            if a.replay != nil || b.replay != nil {
                metrics.append(count("replayRefused", "replayed inputs refused", .lower) { $0.replay?.refused.count ?? 0 })
            }
            return metrics
        }

        /// The median time from raised to delivered over the needs delivered in both drills (so
        /// the two medians are over the same needs); none when no need was.
        static func needTimes(_ needs: [NeedPair]) -> [Metric] {
            let both = needs.compactMap { pair -> (Int, Int)? in
                guard let a = pair.a, let b = pair.b, let da = a.deliveredMinute, let db = b.deliveredMinute else { return nil }
                return (max(0, da - a.createdMinute), max(0, db - b.createdMinute))
            }
            guard !both.isEmpty else { return [] }
            return [Metric(key: "medianToDelivery", label: "median time from raised to delivered (\(both.count) need\(both.count == 1 ? "" : "s") delivered in both)",
                           a: median(both.map(\.0)), b: median(both.map(\.1)), unit: .minutes, better: .lower)]
        }

        static func median(_ values: [Int]) -> Double {
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
        }
    }

    public struct ExpectationPair: Codable, Sendable, Equatable {
        /// The expectation as written (the same text in both scenarios pairs them).
        public var text: String
        public var a: DrillReport.Expectation?
        public var b: DrillReport.Expectation?

        /// Paired by their text, in A's order of lines, then B's own; repeated texts pair in turn.
        static func pairs(_ a: [DrillReport.Expectation], _ b: [DrillReport.Expectation]) -> [ExpectationPair] {
            let order: (DrillReport.Expectation, DrillReport.Expectation) -> Bool = { ($0.line, $0.minute, $0.text) < ($1.line, $1.minute, $1.text) }
            var remaining = b.sorted(by: order)
            var out: [ExpectationPair] = []
            for expectation in a.sorted(by: order) {
                let match = remaining.firstIndex { $0.text == expectation.text }
                out.append(ExpectationPair(text: expectation.text, a: expectation, b: match.map { remaining[$0] }))
                if let match { remaining.remove(at: match) }
            }
            out += remaining.map { ExpectationPair(text: $0.text, a: nil, b: $0) }
            return out
        }
    }

    /// One need in both drills, matched by its ref (by its id when it has none).
    public struct NeedPair: Codable, Sendable, Equatable {
        public var name: String
        public var incident: String
        public var incidentTitle: String
        public var a: DrillReport.NeedRecord?
        public var b: DrillReport.NeedRecord?

        /// B − A in minutes for each stage both reached (first proposal, applied, dispatched,
        /// delivered), and in what was missing at the end.
        public var proposedDelta: Int? { Self.delta(a?.firstProposedMinute, b?.firstProposedMinute) }
        public var appliedDelta: Int? { Self.delta(a?.appliedMinute, b?.appliedMinute) }
        public var dispatchedDelta: Int? { Self.delta(a?.dispatchedMinute, b?.dispatchedMinute) }
        public var deliveredDelta: Int? { Self.delta(a?.deliveredMinute, b?.deliveredMinute) }
        public var unmetDelta: Int64? {
            guard let a, let b else { return nil }
            return b.unmetAtEnd - a.unmetAtEnd
        }

        static func delta(_ a: Int?, _ b: Int?) -> Int? {
            guard let a, let b else { return nil }
            return b - a
        }

        /// Stages each drill reached, and when: raised, first proposal, applied, dispatched, delivered.
        static func stages(_ need: DrillReport.NeedRecord?) -> [Int?] {
            guard let need else { return [] }
            return [need.createdMinute, need.firstProposedMinute, need.appliedMinute, need.dispatchedMinute, need.deliveredMinute]
        }

        /// Something differs: a stage reached at another minute (or in one drill only), what is
        /// missing at the end, or the need is in one drill only.
        public var changed: Bool {
            guard let a, let b else { return true }
            return Self.stages(a) != Self.stages(b) || a.unmetAtEnd != b.unmetAtEnd || a.what != b.what
        }

        /// What changed, in words: `delivered T+08:16 → T+01:35 (−6h 41m)`.
        public var changes: [String] {
            guard let a, let b else { return [a == nil ? "only in B" : "only in A"] }
            var out: [String] = []
            let names = ["raised", "first proposal", "applied", "dispatched", "delivered"]
            for (index, (x, y)) in zip(Self.stages(a), Self.stages(b)).enumerated() where x != y {
                let xText = x.map(ReportFormat.drillTime) ?? "never", yText = y.map(ReportFormat.drillTime) ?? "never"
                let difference = Self.delta(x, y).map { " (\($0 > 0 ? "+" : "−")\(ReportFormat.duration(abs($0))))" } ?? ""
                out.append("\(names[index]) \(xText) → \(yText)\(difference)")
            }
            if a.unmetAtEnd != b.unmetAtEnd {
                out.append("missing at the end \(ReportFormat.thousands(a.unmetAtEnd)) → \(ReportFormat.thousands(b.unmetAtEnd))")
            }
            if a.what != b.what { out.append("asked \(a.what) → \(b.what)") }
            return out
        }

        static func pairs(_ a: DrillReport, _ b: DrillReport) -> [NeedPair] {
            func key(_ need: DrillReport.NeedRecord) -> String { need.ref ?? need.id }
            var fromB: [String: DrillReport.NeedRecord] = [:]
            for need in b.needsInOrder where fromB[key(need)] == nil { fromB[key(need)] = need }
            var out: [NeedPair] = []
            var seen = Set<String>()
            for need in a.needsInOrder where !seen.contains(key(need)) {
                seen.insert(key(need))
                out.append(NeedPair(name: key(need), incident: need.incident, incidentTitle: a.incidentTitle(need.incident), a: need, b: fromB[key(need)]))
            }
            for need in b.needsInOrder where !seen.contains(key(need)) {
                seen.insert(key(need))
                out.append(NeedPair(name: key(need), incident: need.incident, incidentTitle: b.incidentTitle(need.incident), a: nil, b: need))
            }
            return out.sorted { x, y in
                let first = min(x.a?.createdMinute ?? .max, x.b?.createdMinute ?? .max), second = min(y.a?.createdMinute ?? .max, y.b?.createdMinute ?? .max)
                return (first, x.name) < (second, y.name)
            }
        }
    }

    public struct Timelines: Codable, Sendable, Equatable {
        public var a: [DrillReport.TimelinePoint]
        public var b: [DrillReport.TimelinePoint]
        /// The right edge of every time axis on the page: the later of the two drills' last minutes.
        public var endMinute: Int
    }

    /// One warehouse's available stock of one item in both drills (nil: not held in that drill,
    /// e.g. a warehouse the what-if adds).
    public struct StockPair: Codable, Sendable, Equatable {
        public var warehouse: String
        public var name: String
        public var region: String
        public var item: String
        public var unit: String
        public var a: [DrillReport.StockSeries.Point]?
        public var b: [DrillReport.StockSeries.Point]?

        /// How far the series fell below its start at its lowest.
        static func drawdown(_ points: [DrillReport.StockSeries.Point]?) -> Int64 {
            guard let points, let first = points.first else { return 0 }
            let lowest = points.map(\.available).min() ?? first.available
            return max(0, first.available - lowest)
        }

        public var drawdownA: Int64 { Self.drawdown(a) }
        public var drawdownB: Int64 { Self.drawdown(b) }

        static func moved(_ points: [DrillReport.StockSeries.Point]?) -> Bool {
            guard let points, let first = points.first else { return false }
            return points.contains { $0.available != first.available }
        }

        static func pairs(_ a: DrillReport.StockSeries, _ b: DrillReport.StockSeries) -> [StockPair] {
            var keyed: [StockKey: StockPair] = [:]
            func place(_ id: String) -> DrillReport.WarehousePlace? {
                a.warehouses.first { $0.id == id } ?? b.warehouses.first { $0.id == id }
            }
            for (side, series) in [(0, a.series), (1, b.series)] {
                for one in series {
                    let key = StockKey(warehouse: one.warehouse, item: one.item)
                    var pair = keyed[key] ?? StockPair(warehouse: one.warehouse, name: place(one.warehouse)?.name ?? one.warehouse,
                                                       region: place(one.warehouse)?.region ?? "", item: one.item, unit: one.unit, a: nil, b: nil)
                    let points = one.points.enumerated().sorted { ($0.element.minute, $0.offset) < ($1.element.minute, $1.offset) }.map(\.element)
                    if side == 0 { pair.a = points } else { pair.b = points }
                    keyed[key] = pair
                }
            }
            // Where the two drills differ comes first: a warehouse drawn down alike in both says
            // nothing about the change. Then the deepest drawdown first.
            let drawn = keyed.values.filter { Self.moved($0.a) || Self.moved($0.b) }
            return Array(drawn.sorted { x, y in
                let xDiffers = x.a != x.b ? 0 : 1, yDiffers = y.a != y.b ? 0 : 1
                let xDrawn = max(x.drawdownA, x.drawdownB), yDrawn = max(y.drawdownA, y.drawdownB)
                return (xDiffers, yDrawn, x.item, x.warehouse) < (yDiffers, xDrawn, y.item, y.warehouse)
            }.prefix(DrillComparison.stockSeriesShown))
        }
    }

    /// What went from one warehouse to one incident of one item, in both drills.
    public struct FlowPair: Codable, Sendable, Equatable {
        public var warehouse: String
        public var incident: String
        public var incidentTitle: String
        public var item: String
        public var a: Int64
        public var b: Int64
        public var dispatchesA: Int
        public var dispatchesB: Int
        public var crossRegion: Bool

        static func pairs(_ a: [DrillReport.Flow], _ b: [DrillReport.Flow], title: (String) -> String) -> [FlowPair] {
            var keyed: [String: FlowPair] = [:]
            for (side, flows) in [(0, a), (1, b)] {
                for flow in flows {
                    let key = [flow.warehouse, flow.incident, flow.item].joined(separator: "\u{0}")
                    var pair = keyed[key] ?? FlowPair(warehouse: flow.warehouse, incident: flow.incident, incidentTitle: title(flow.incident),
                                                      item: flow.item, a: 0, b: 0,
                                                      dispatchesA: 0, dispatchesB: 0, crossRegion: false)
                    if side == 0 {
                        pair.a = DrillReport.saturatingSum(pair.a, flow.quantity); pair.dispatchesA += 1
                    } else {
                        pair.b = DrillReport.saturatingSum(pair.b, flow.quantity); pair.dispatchesB += 1
                    }
                    pair.crossRegion = pair.crossRegion || flow.crossRegion
                    keyed[key] = pair
                }
            }
            return keyed.values.sorted { x, y in
                (max(y.a, y.b), x.item, x.warehouse, x.incident) < (max(x.a, x.b), y.item, y.warehouse, y.incident)
            }
        }
    }
}
