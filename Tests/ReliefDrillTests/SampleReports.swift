@testable import ReliefDrill

/// Reports to render in tests and to look at: a realistic 72-hour Fen River flood drill on Shanxi
/// (the demo dataset's warehouses and stock), an empty one, one with a single point of everything,
/// and one whose every string is hostile markup.
enum SampleReports {
    static let fenRiverEnd = 72 * 60

    /// Thirteen needs at three incidents; water runs out at the provincial depot and Taiyuan until
    /// a restock at T+30:00, tents run short in Linfen, food and first-aid volunteers stay short.
    /// The timeline and the stock series are derived from the needs and flows, so the charts agree
    /// with the tables as a real drill's would.
    static func fenRiverFlood() -> DrillReport {
        let warehouses: [DrillReport.WarehousePlace] = [
            .init(id: "sx-prov", name: "Shanxi Provincial Relief Reserve Depot", region: "shanxi", latitude: 37.76, longitude: 112.62),
            .init(id: "ty-01", name: "Taiyuan Municipal Relief Warehouse", region: "shanxi/taiyuan", latitude: 37.87, longitude: 112.55),
            .init(id: "dt-01", name: "Datong Municipal Relief Warehouse", region: "shanxi/datong", latitude: 40.08, longitude: 113.30),
            .init(id: "yq-01", name: "Yangquan Municipal Relief Warehouse", region: "shanxi/yangquan", latitude: 37.86, longitude: 113.58),
            .init(id: "cz-01", name: "Changzhi Municipal Relief Warehouse", region: "shanxi/changzhi", latitude: 36.20, longitude: 113.12),
            .init(id: "jc-01", name: "Jincheng Municipal Relief Warehouse", region: "shanxi/jincheng", latitude: 35.49, longitude: 112.85),
            .init(id: "sz-01", name: "Shuozhou Municipal Relief Warehouse", region: "shanxi/shuozhou", latitude: 39.33, longitude: 112.43),
            .init(id: "jz-01", name: "Jinzhong Municipal Relief Warehouse", region: "shanxi/jinzhong", latitude: 37.69, longitude: 112.75),
            .init(id: "yc-01", name: "Yuncheng Municipal Relief Warehouse", region: "shanxi/yuncheng", latitude: 35.03, longitude: 111.01),
            .init(id: "xz-01", name: "Xinzhou Municipal Relief Warehouse", region: "shanxi/xinzhou", latitude: 38.42, longitude: 112.73),
            .init(id: "lf-01", name: "Linfen Municipal Relief Warehouse", region: "shanxi/linfen", latitude: 36.09, longitude: 111.52),
            .init(id: "ll-01", name: "Lüliang Municipal Relief Warehouse", region: "shanxi/luliang", latitude: 37.52, longitude: 111.14),
        ]
        let incidents: [DrillReport.IncidentPlace] = [
            .init(id: "fen-jiexiu", title: "Fen River dike breach at Jiexiu", kind: "flood", region: "shanxi/jinzhong", latitude: 37.03, longitude: 111.91),
            .init(id: "fen-linfen", title: "Fen River flooding in Linfen", kind: "flood", region: "shanxi/linfen", latitude: 36.06, longitude: 111.56),
            .init(id: "lingshi-slide", title: "Landslide on G108 near Lingshi", kind: "landslide", region: "shanxi/jinzhong", latitude: 36.85, longitude: 111.77),
        ]
        let tentsShort = "only 1200 tent of tent-12 available within 150 km; nearest beyond reach: dt-01 at 452.8 km (300 tent available)"
        let tentsGone = "no stock of tent-12 within 150 km of the incident; nearest beyond reach: yq-01 at 194.9 km (150 tent available)"
        let foodShort = "only 0 ration of food-ration available within 150 km; 6000 ration more reserved for other needs; nearest beyond reach: yc-01 at 263.0 km (3600 ration available)"
        let medicsResting = "all 16 certified volunteers with first-aid within 100 km are deployed or resting: 9 deployed, 7 resting"
        let waterGone = "no stock of water-5l within 150 km of the incident; nearest beyond reach: yq-01 at 194.9 km (1200 bottle available)"
        let lingshiTents = "no stock of tent-12 within 150 km of the incident; nearest beyond reach: yq-01 at 178.2 km (150 tent available)"
        func reasons(_ minutes: [Int], _ missing: Int64, _ text: String) -> [DrillReport.Reason] {
            minutes.map { .init(minute: $0, missing: missing, reason: text) }
        }
        let needs: [DrillReport.NeedRecord] = [
            .init(id: "N-000001", ref: "jiexiu-water", incident: "fen-jiexiu", what: "water-5l × 16,000 bottle", priority: 1, createdMinute: 20,
                  firstProposedMinute: 35, appliedMinute: 50, dispatchedMinute: 95, deliveredMinute: 410, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000002", ref: "jiexiu-rescue", incident: "fen-jiexiu", what: "2 water-rescue teams", priority: 1, createdMinute: 25,
                  firstProposedMinute: 30, appliedMinute: 34, dispatchedMinute: 40, deliveredMinute: 150, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000003", ref: "jiexiu-tents", incident: "fen-jiexiu", what: "tent-12 × 1,500 tent", priority: 1, createdMinute: 40,
                  firstProposedMinute: 55, appliedMinute: 70, dispatchedMinute: 180, deliveredMinute: 900, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000004", ref: "jiexiu-food", incident: "fen-jiexiu", what: "food-ration × 30,000 ration", priority: 2, createdMinute: 300,
                  firstProposedMinute: 320, appliedMinute: 400, dispatchedMinute: 520, deliveredMinute: nil, unmetAtEnd: 6000,
                  reasons: reasons([320, 920, 1520, 2120, 2720, 3320, 3920], 6000, foodShort)),
            .init(id: "N-000005", ref: "linfen-rescue", incident: "fen-linfen", what: "3 water-rescue teams", priority: 1, createdMinute: 605,
                  firstProposedMinute: 610, appliedMinute: 640, dispatchedMinute: 650, deliveredMinute: 760, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000006", ref: "linfen-water", incident: "fen-linfen", what: "water-5l × 10,000 bottle", priority: 1, createdMinute: 600,
                  firstProposedMinute: 610, appliedMinute: 640, dispatchedMinute: 700, deliveredMinute: 1020, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000007", ref: "linfen-tents", incident: "fen-linfen", what: "tent-12 × 2,000 tent", priority: 2, createdMinute: 620,
                  firstProposedMinute: 640, appliedMinute: 700, dispatchedMinute: 820, deliveredMinute: nil, unmetAtEnd: 800,
                  reasons: reasons([640], 800, tentsShort) + reasons([1240, 1840, 2440, 3040, 3640, 4240], 800, tentsGone)),
            .init(id: "N-000008", ref: "linfen-food", incident: "fen-linfen", what: "food-ration × 9,000 ration", priority: 1, createdMinute: 660,
                  firstProposedMinute: 680, appliedMinute: 700, dispatchedMinute: 760, deliveredMinute: 1140, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000009", ref: "linfen-medics", incident: "fen-linfen", what: "12 volunteers with first-aid", priority: 2, createdMinute: 900,
                  firstProposedMinute: 905, appliedMinute: 960, dispatchedMinute: 1000, deliveredMinute: nil, unmetAtEnd: 4,
                  reasons: reasons([905, 1505, 2105, 2705, 3305, 3905], 4, medicsResting)),
            .init(id: "N-000010", ref: "jiexiu-water-2", incident: "fen-jiexiu", what: "water-5l × 10,800 bottle", priority: 1, createdMinute: 1200,
                  firstProposedMinute: 1210, appliedMinute: 1230, dispatchedMinute: 1260, deliveredMinute: 1500, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000011", ref: "lingshi-road", incident: "lingshi-slide", what: "1 heavy-equipment team", priority: 2, createdMinute: 1500,
                  firstProposedMinute: 1520, appliedMinute: 1540, dispatchedMinute: 1560, deliveredMinute: 1800, unmetAtEnd: 0, reasons: []),
            .init(id: "N-000012", ref: "lingshi-water", incident: "lingshi-slide", what: "water-5l × 3,000 bottle", priority: 2, createdMinute: 1560,
                  firstProposedMinute: 1865, appliedMinute: 1900, dispatchedMinute: 1950, deliveredMinute: 2400, unmetAtEnd: 0,
                  reasons: reasons([1565, 1625, 1685, 1745], 3000, waterGone)),
            .init(id: "N-000013", ref: "lingshi-shelter", incident: "lingshi-slide", what: "tent-12 × 200 tent", priority: 3, createdMinute: 3000,
                  firstProposedMinute: nil, appliedMinute: nil, dispatchedMinute: nil, deliveredMinute: nil, unmetAtEnd: 200,
                  reasons: reasons([3005, 3305, 3605, 3905, 4205], 200, lingshiTents)),
        ]
        func flow(_ warehouse: String, _ incident: String, _ item: String, _ quantity: Int64, _ minute: Int) -> DrillReport.Flow {
            let from = warehouses.first { $0.id == warehouse }!.region, to = incidents.first { $0.id == incident }!.region
            return .init(warehouse: warehouse, incident: incident, item: item, quantity: quantity, crossRegion: from != to, minute: minute)
        }
        let flows: [DrillReport.Flow] = [
            flow("jz-01", "fen-jiexiu", "water-5l", 2700, 95), flow("sx-prov", "fen-jiexiu", "water-5l", 12000, 95),
            flow("ll-01", "fen-jiexiu", "water-5l", 1100, 95), flow("ty-01", "fen-jiexiu", "water-5l", 200, 95),
            flow("sx-prov", "fen-jiexiu", "tent-12", 1200, 180), flow("jz-01", "fen-jiexiu", "tent-12", 220, 180),
            flow("ty-01", "fen-jiexiu", "tent-12", 80, 180),
            flow("sx-prov", "fen-jiexiu", "food-ration", 18000, 520), flow("jz-01", "fen-jiexiu", "food-ration", 2400, 520),
            flow("ty-01", "fen-jiexiu", "food-ration", 3600, 520),
            flow("lf-01", "fen-linfen", "water-5l", 1400, 700), flow("sx-prov", "fen-linfen", "water-5l", 5000, 700),
            flow("yc-01", "fen-linfen", "water-5l", 1600, 700), flow("cz-01", "fen-linfen", "water-5l", 2000, 700),
            flow("lf-01", "fen-linfen", "food-ration", 7200, 760), flow("cz-01", "fen-linfen", "food-ration", 1800, 760),
            flow("lf-01", "fen-linfen", "tent-12", 260, 820), flow("yc-01", "fen-linfen", "tent-12", 350, 820),
            flow("sx-prov", "fen-linfen", "tent-12", 300, 820), flow("jc-01", "fen-linfen", "tent-12", 200, 820),
            flow("cz-01", "fen-linfen", "tent-12", 90, 820),
            flow("sx-prov", "fen-jiexiu", "water-5l", 7000, 1260), flow("ty-01", "fen-jiexiu", "water-5l", 3800, 1260),
            flow("sx-prov", "lingshi-slide", "water-5l", 3000, 1950),
        ]
        let startingStock: [String: [String: Int64]] = [
            "water-5l": ["sx-prov": 24000, "ty-01": 4000, "dt-01": 2500, "yq-01": 1200, "cz-01": 2000, "jc-01": 1600, "sz-01": 1500,
                         "jz-01": 2700, "yc-01": 1800, "xz-01": 1000, "lf-01": 1400, "ll-01": 1100],
            "tent-12": ["sx-prov": 1500, "ty-01": 400, "dt-01": 300, "yq-01": 150, "cz-01": 250, "jc-01": 200, "sz-01": 180,
                        "jz-01": 220, "yc-01": 350, "xz-01": 160, "lf-01": 260, "ll-01": 120],
            "food-ration": ["sx-prov": 24000, "ty-01": 6000, "cz-01": 4800, "jz-01": 2400, "yc-01": 3600, "lf-01": 7200, "ll-01": 2400],
        ]
        let units = ["water-5l": "bottle", "tent-12": "tent", "food-ration": "ration"]
        // A restock inject: 20,000 bottles reach the provincial depot at T+30:00.
        let receipts = [(warehouse: "sx-prov", item: "water-5l", quantity: Int64(20000), minute: 1800)]
        var series: [DrillReport.StockSeries.Series] = []
        for item in startingStock.keys.sorted() {
            for (warehouse, start) in startingStock[item]!.sorted(by: { $0.key < $1.key }) {
                var changes: [(Int, Int64)] = flows.filter { $0.warehouse == warehouse && $0.item == item }.map { ($0.minute, -$0.quantity) }
                changes += receipts.filter { $0.warehouse == warehouse && $0.item == item }.map { ($0.minute, $0.quantity) }
                var points = [DrillReport.StockSeries.Point(minute: 0, available: start)]
                var level = start
                for (minute, delta) in changes.sorted(by: { $0.0 < $1.0 }) {
                    level += delta
                    points.append(.init(minute: minute, available: level))
                }
                points.append(.init(minute: fenRiverEnd, available: level))
                series.append(.init(warehouse: warehouse, item: item, unit: units[item]!, points: points))
            }
        }
        return DrillReport(
            scenario: .init(name: "Fen River flood, July (72-hour provincial drill)", file: "config/drills/fen-river-flood.drill",
                            from: "dataset config/demo/shanxi.commands", seed: 2026, start: "2026-07-15T06:00:00+08:00", endMinute: fenRiverEnd),
            summary: .init(injects: 9, plansProposed: 12, plansApplied: 11, expectationsHeld: 4, expectationsFailed: 2, needsMet: 9, needsUnmet: 4),
            expectations: [
                .init(line: 14, text: "expect by T+03:00 need jiexiu-rescue on scene", held: true, detail: "2 water-rescue teams on scene at T+02:30", minute: 150),
                .init(line: 15, text: "expect by T+12:00 need jiexiu-water met", held: true, detail: "16,000 bottle delivered in full at T+06:50", minute: 410),
                .init(line: 22, text: "expect by T+24:00 need linfen-tents met", held: false,
                      detail: "800 tent still missing at T+24:00: no stock of tent-12 within 150 km of the incident", minute: 1440),
                .init(line: 23, text: "expect no volunteer over 12 duty hours", held: true,
                      detail: "longest duty 11h 40m; 14 times a volunteer was left out for a rest limit", minute: fenRiverEnd),
                .init(line: 30, text: "expect by T+36:00 unmet needs <= 2", held: false,
                      detail: "3 needs unmet at T+36:00: jiexiu-food, linfen-tents, linfen-medics", minute: 2160),
                .init(line: 31, text: "expect by T+48:00 need lingshi-water met", held: true, detail: "delivered in full at T+40:00", minute: 2400),
            ],
            needs: needs, timeline: timeline(of: needs, end: fenRiverEnd),
            stock: .init(warehouses: warehouses, series: series), incidents: incidents, flows: flows,
            people: .init(volunteersDeployed: 86, teamsDeployed: 6, hours: 1412.5, restLimitRefusals: 14, noShows: 3),
            plans: [
                .init(id: "PL-000001", minute: 30, lines: 2, appliedMinute: 34), .init(id: "PL-000002", minute: 35, lines: 4, appliedMinute: 50),
                .init(id: "PL-000003", minute: 55, lines: 3, appliedMinute: 70), .init(id: "PL-000004", minute: 320, lines: 3, appliedMinute: 400),
                .init(id: "PL-000005", minute: 610, lines: 7, appliedMinute: 640), .init(id: "PL-000006", minute: 640, lines: 5, appliedMinute: 700),
                .init(id: "PL-000007", minute: 680, lines: 2, appliedMinute: 700), .init(id: "PL-000008", minute: 905, lines: 8, appliedMinute: 960),
                .init(id: "PL-000009", minute: 1210, lines: 2, appliedMinute: 1230), .init(id: "PL-000010", minute: 1320, lines: 3, appliedMinute: nil),
                .init(id: "PL-000011", minute: 1520, lines: 1, appliedMinute: 1540), .init(id: "PL-000012", minute: 1865, lines: 1, appliedMinute: 1900),
            ])
    }

    /// Open: raised and not yet all delivered. Unmet: from the first reason a plan gave until a
    /// later plan was applied that covered it (or to the end when something is still missing).
    static func timeline(of needs: [DrillReport.NeedRecord], end: Int) -> [DrillReport.TimelinePoint] {
        func unmetSpan(_ need: DrillReport.NeedRecord) -> Range<Int>? {
            guard let first = need.reasons.map(\.minute).min() else { return nil }
            let last = need.reasons.map(\.minute).max()!
            if need.unmetAtEnd > 0 { return first..<(end + 1) }
            return first..<max(first, need.appliedMinute.flatMap { $0 > last ? $0 : nil } ?? need.deliveredMinute ?? end)
        }
        var minutes = Set([0, end])
        for need in needs {
            minutes.insert(need.createdMinute)
            if let delivered = need.deliveredMinute { minutes.insert(delivered) }
            if let span = unmetSpan(need) { minutes.insert(span.lowerBound); minutes.insert(min(span.upperBound, end)) }
        }
        var points: [DrillReport.TimelinePoint] = []
        for minute in minutes.sorted() {
            let open = needs.filter { $0.createdMinute <= minute && ($0.deliveredMinute.map { minute < $0 } ?? true) }.count
            let unmet = needs.filter { unmetSpan($0)?.contains(minute) ?? false }.count
            if let last = points.last, last.openNeeds == open, last.unmetNeeds == unmet, minute != end { continue }
            points.append(.init(minute: minute, openNeeds: open, unmetNeeds: unmet))
        }
        return points
    }

    static func empty() -> DrillReport {
        DrillReport(
            scenario: .init(name: "Quiet night", file: "config/drills/quiet.drill", from: "empty", seed: 1, start: "2026-01-01T00:00:00Z", endMinute: 0),
            summary: .init(injects: 0, plansProposed: 0, plansApplied: 0, expectationsHeld: 0, expectationsFailed: 0, needsMet: 0, needsUnmet: 0),
            expectations: [], needs: [], timeline: [], stock: .init(warehouses: [], series: []), incidents: [], flows: [],
            people: .init(volunteersDeployed: 0, teamsDeployed: 0, hours: 0, restLimitRefusals: 0, noShows: 0), plans: [])
    }

    /// One of everything: one timeline point, one stock point, one warehouse sending to one
    /// incident at the same place; the charts must still draw (no division by a zero span).
    static func singlePoint() -> DrillReport {
        DrillReport(
            scenario: .init(name: "One of each", file: "one.drill", from: "empty", seed: 7, start: "not a date", endMinute: 0),
            summary: .init(injects: 1, plansProposed: 1, plansApplied: 1, expectationsHeld: 0, expectationsFailed: 0, needsMet: 1, needsUnmet: 0),
            expectations: [],
            needs: [.init(id: "N-000001", ref: nil, incident: "i1", what: "water-5l × 1 bottle", priority: 1, createdMinute: 0,
                          firstProposedMinute: 0, appliedMinute: 0, dispatchedMinute: 0, deliveredMinute: 0, unmetAtEnd: 0, reasons: [])],
            timeline: [.init(minute: 0, openNeeds: 1, unmetNeeds: 0)],
            stock: .init(warehouses: [.init(id: "w1", name: "Only", region: "r", latitude: 37.87, longitude: 112.55)],
                         series: [.init(warehouse: "w1", item: "water-5l", unit: "bottle", points: [.init(minute: 0, available: 5)])]),
            incidents: [.init(id: "i1", title: "Here", kind: "flood", region: "r", latitude: 37.87, longitude: 112.55)],
            flows: [.init(warehouse: "w1", incident: "i1", item: "water-5l", quantity: 1, crossRegion: false, minute: 0)],
            people: .init(volunteersDeployed: 0, teamsDeployed: 0, hours: 0, restLimitRefusals: 0, noShows: 0),
            plans: [.init(id: "PL-000001", minute: 0, lines: 1, appliedMinute: 0)])
    }

    static let hostile = "<script>alert(\"x\")</script> & 'quoted' <img src=x onerror=alert(1)> </svg><a href=\"http://evil.example/\">"

    /// The Fen River drill with every string a scenario, dataset or runner could carry replaced by
    /// markup: none of it may reach the page as markup.
    static func hostileStrings() -> DrillReport {
        var report = fenRiverFlood()
        report.scenario.name = hostile
        report.scenario.file = hostile
        report.scenario.from = hostile
        report.scenario.start = hostile
        for index in report.expectations.indices {
            report.expectations[index].text = hostile
            report.expectations[index].detail = hostile
        }
        for index in report.needs.indices {
            report.needs[index].ref = hostile
            report.needs[index].what = hostile
            for reason in report.needs[index].reasons.indices { report.needs[index].reasons[reason].reason = hostile + report.needs[index].reasons[reason].reason }
        }
        for index in report.stock.warehouses.indices {
            report.stock.warehouses[index].name = hostile
            report.stock.warehouses[index].region = hostile
        }
        for index in report.stock.series.indices {
            report.stock.series[index].unit = hostile
            report.stock.series[index].item = hostile + report.stock.series[index].item
        }
        for index in report.incidents.indices {
            report.incidents[index].title = hostile
            report.incidents[index].kind = hostile
        }
        for index in report.flows.indices {
            report.flows[index].item = hostile
            report.flows[index].warehouse = hostile + report.flows[index].warehouse
            report.flows[index].incident = hostile + report.flows[index].incident
        }
        // Ids too, kept consistent so the map still joins flows to places and draws them.
        for index in report.stock.warehouses.indices { report.stock.warehouses[index].id = hostile + report.stock.warehouses[index].id }
        for index in report.stock.series.indices { report.stock.series[index].warehouse = hostile + report.stock.series[index].warehouse }
        for index in report.incidents.indices { report.incidents[index].id = hostile + report.incidents[index].id }
        for index in report.needs.indices {
            report.needs[index].id = hostile + report.needs[index].id
            report.needs[index].incident = hostile + report.needs[index].incident
        }
        for index in report.plans.indices { report.plans[index].id = hostile }
        return report
    }
}
