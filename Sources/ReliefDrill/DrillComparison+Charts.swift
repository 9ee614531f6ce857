/// The comparison's charts, in the report's visual language (SVGChart, ChartScale, the stage
/// colours) with one addition: which drill a mark belongs to is its colour, A blue and B orange,
/// everywhere on the page, with the side's letter beside it where colour alone would have to say it.
extension DrillComparison {
    static let chartWidth = DrillReport.chartWidth

    /// A's and B's colours: Okabe–Ito blue and orange, told apart with the common colour-vision
    /// deficiencies, and neither the vermillion the report keeps for "unmet" and "failed".
    enum SideColour {
        static let a = SVGChart.Colour.blue
        static let b = SVGChart.Colour.orange
        static let aLight = SVGChart.Colour.skyBlue
    }

    func sideName(_ side: Int) -> String { side == 0 ? "A" : "B" }

    /// The A or B tag: a filled box with the letter, 18 units wide, centred on (x, y).
    static func sideTag(_ chart: inout SVGChart, _ side: Int, x: Double, y: Double) {
        chart.rect(x - 9, y - 8, 18, 16, fill: side == 0 ? SideColour.a : SideColour.b)
        chart.text(side == 0 ? "A" : "B", x, y + 4.5, className: "tag-letter", anchor: "middle", fill: side == 0 ? "#ffffff" : "#000000")
    }

    func timeAxisTitle() -> String {
        if let clock = DrillClock(start: a.start), a.start == b.start { return "drill time (hours after T+0 = \(clock.wallClock(0)))" }
        return "drill time (hours after each drill's T+0)"
    }

    /// Minutes the real incident closed at, for drills that replay one: a line on the time axes.
    var realClosings: [Int] {
        Array(Set([a.replay?.closedMinute, b.replay?.closedMinute].compactMap { $0 })).sorted()
    }

    func drawRealClosings(_ chart: inout SVGChart, x: ChartScale, top: Double, bottom: Double) {
        for minute in realClosings {
            let position = x(Double(minute))
            chart.line(position, top, position, bottom, stroke: SVGChart.Colour.ink, width: 1.5, dash: "2 4")
            chart.text("real incident closed \(ReportFormat.drillTime(minute))", position - 4, top + 12, className: "tick", anchor: "end", halo: true)
        }
    }

    // MARK: needs

    /// Each need twice, A above B: a bar from raised to delivered coloured by what it waited for
    /// (the report's colours), a tick at delivery, how it ended, and by how much B delivered it
    /// sooner or later.
    func needsChart() -> String {
        let width = Self.chartWidth, end = max(timeline.endMinute, 1)
        let left = 336.0, right = width - 206, rowHeight = 20.0, groupGap = 14.0
        var chart = SVGChart(width: width, height: 0)
        chart.text("Each need in A and in B, from raised to delivered", 0, 22, className: "title")
        guard !needs.isEmpty else {
            chart.height = 140
            chart.noData("No data: neither drill raised a need.", x: 0, y: 40, width: width, height: 90)
            return chart.svg(id: "chart-needs-compare", title: "Each need in A and in B: no data", className: "chart")
        }
        var entries = DrillReport.NeedStage.allCases.filter { $0 != .delivered }.map { stage in
            SVGChart.LegendEntry(label: stage.waitingFor) { chart, x, y in chart.rect(x, y - 6, 24, 12, fill: DrillReport.stageColour(stage)) }
        }
        entries.append(.init(label: "delivered") { chart, x, y in chart.line(x + 12, y - 9, x + 12, y + 9, stroke: SVGChart.Colour.black, width: 3) })
        entries.append(.init(label: "B sooner (better) / later") { chart, x, y in
            chart.rect(x, y - 8, 11, 16, fill: "#d8efe6"); chart.rect(x + 13, y - 8, 11, 16, fill: "#fde3cf")
        })
        let top = chart.legend(entries, x: 0, y: 48, right: width) + 40
        let groupHeight = 2 * rowHeight + groupGap
        let bottom = top + Double(needs.count) * groupHeight - groupGap
        chart.height = bottom + 56
        let x = ChartScale(domain: (0, Double(end)), range: (left, right))
        chart.timeAxis(x, ticks: ChartScale.timeTicks(end: end, maximumCount: 11), top: top - 6, bottom: bottom + 4, title: timeAxisTitle())
        chart.text("how it ended", right + 12, top - 14, className: "tick")
        chart.text("B − A, delivered", width, top - 14, className: "tick", anchor: "end")
        drawRealClosings(&chart, x: x, top: top - 6, bottom: bottom + 4)

        for (index, pair) in needs.enumerated() {
            let groupTop = top + Double(index) * groupHeight
            if index % 2 == 1 { chart.rect(0, groupTop - groupGap / 2, width, groupHeight, fill: "#000000", opacity: 0.03) }
            let what = pair.a?.what ?? pair.b?.what ?? ""
            let middle = groupTop + rowHeight
            chart.text(ReportFormat.clip(pair.name, 34), left - 34, middle - 3, className: "label-strong", anchor: "end",
                       tooltip: "\(pair.name) at \(pair.incidentTitle): \(what)")
            chart.text(ReportFormat.clip(what, 40), left - 34, middle + 13, className: "tick", anchor: "end", tooltip: what)
            for (side, need) in [(0, pair.a), (1, pair.b)] {
                let rowMiddle = groupTop + Double(side) * rowHeight + rowHeight / 2
                Self.sideTag(&chart, side, x: left - 16, y: rowMiddle)
                guard let need else {
                    chart.text("not in \(sideName(side))", left + 6, rowMiddle + 4, className: "tick", fill: SVGChart.Colour.muted)
                    continue
                }
                drawNeedRow(&chart, need, side: side, x: x, middle: rowMiddle, end: end, textX: right + 12)
            }
            if let delta = pair.deliveredDelta {
                Self.deltaChip(&chart, minutes: delta, x: width - 36, y: middle)
            } else if (pair.a?.deliveredMinute == nil) != (pair.b?.deliveredMinute == nil), pair.a != nil, pair.b != nil {
                let onlyB = pair.b?.deliveredMinute != nil
                chart.rect(width - 72, middle - 10, 72, 20, fill: onlyB ? "#d8efe6" : "#fde3cf")
                chart.text(onlyB ? "only in B" : "only in A", width - 36, middle + 4.5, className: "tick-strong", anchor: "middle",
                           fill: onlyB ? "#00694a" : "#a34400")
            }
        }
        return chart.svg(id: "chart-needs-compare", title: "Each need in A and in B, from raised to delivered", className: "chart")
    }

    private func drawNeedRow(_ chart: inout SVGChart, _ need: DrillReport.NeedRecord, side: Int, x: ChartScale, middle: Double, end: Int, textX: Double) {
        let stages = need.stages
        for (offset, entry) in stages.enumerated() where entry.stage != .delivered {
            let until = offset + 1 < stages.count ? stages[offset + 1].minute : end
            // A need of the start state was raised before T+00:00: its bar starts at the axis.
            let from = x(Double(max(0, entry.minute))), to = x(Double(max(until, entry.minute, 0)))
            chart.rect(from, middle - 6, to - from, 12, fill: DrillReport.stageColour(entry.stage),
                       tooltip: "\(sideName(side)): \(entry.stage.waitingFor) from \(ReportFormat.drillTime(entry.minute)) for \(ReportFormat.duration(max(until, entry.minute) - entry.minute))")
        }
        // The side's colour along the bar's start, so a glance tells the two rows apart.
        chart.rect(x(Double(max(0, need.createdMinute))) - 3, middle - 7, 3, 14, fill: side == 0 ? SideColour.a : SideColour.b)
        if let delivered = need.deliveredMinute {
            let dx = x(Double(max(delivered, need.createdMinute, 0)))
            chart.line(dx, middle - 9, dx, middle + 9, stroke: SVGChart.Colour.black, width: 3)
        }
        if need.unmetAtEnd > 0 {
            chart.text("\(ReportFormat.thousands(need.unmetAtEnd)) unmet", textX, middle + 4, className: "label-strong", fill: SVGChart.Colour.vermillion)
        } else if let delivered = need.deliveredMinute {
            chart.text("met in \(ReportFormat.duration(max(0, delivered - need.createdMinute)))", textX, middle + 4, className: "label")
        } else {
            chart.text("nothing missing", textX, middle + 4, className: "label", fill: SVGChart.Colour.muted)
        }
    }

    /// `−6h 41m` on green when B was sooner, `+2h` on orange when later, `same` on grey.
    static func deltaChip(_ chart: inout SVGChart, minutes: Int, x: Double, y: Double) {
        let text = minutes == 0 ? "same" : (minutes < 0 ? "−" : "+") + ReportFormat.duration(abs(minutes))
        let (fill, ink) = minutes < 0 ? ("#d8efe6", "#00694a") : minutes > 0 ? ("#fde3cf", "#a34400") : ("#eeeeee", "#444444")
        let chipWidth = max(48, Double(text.count) * 8 + 14)
        chart.rect(x - chipWidth / 2, y - 10, chipWidth, 20, fill: fill)
        chart.text(text, x, y + 4.5, className: "tick-strong", anchor: "middle", fill: ink)
    }

    // MARK: open and unmet needs

    /// Open and unmet needs of both drills on one time axis. Unmet needs are the thick lines, B's
    /// drawn inside A's so both show where they are equal; open needs the thin dashed ones.
    func timelineChart() -> String {
        let width = Self.chartWidth, end = max(timeline.endMinute, 1)
        let left = 100.0, right = width - 28
        var chart = SVGChart(width: width, height: 0)
        chart.text("Open and unmet needs, A and B", 0, 22, className: "title")
        guard !timeline.a.isEmpty || !timeline.b.isEmpty else {
            chart.height = 140
            chart.noData("No data: neither drill recorded a need.", x: 0, y: 40, width: width, height: 90)
            return chart.svg(id: "chart-timeline-compare", title: "Open and unmet needs, A and B: no data", className: "chart")
        }
        let legendBottom = chart.legend([
            .init(label: "A unmet") { chart, x, y in chart.line(x, y, x + 24, y, stroke: SideColour.a, width: 8) },
            .init(label: "B unmet (inside A's where equal)") { chart, x, y in
                chart.line(x, y, x + 24, y, stroke: SideColour.a, width: 8)
                chart.line(x, y, x + 24, y, stroke: SideColour.b, width: 3.5)
            },
            .init(label: "A open") { chart, x, y in chart.line(x, y, x + 24, y, stroke: SideColour.a, width: 2, dash: "7 5") },
            .init(label: "B open") { chart, x, y in chart.line(x, y, x + 24, y, stroke: SideColour.b, width: 2, dash: "2 4", cap: "round") },
        ], x: 0, y: 48, right: width - 300)
        let lastA = timeline.a.last, lastB = timeline.b.last
        chart.text("at the end, unmet: A \(lastA.map { String($0.unmetNeeds) } ?? "–") · B \(lastB.map { String($0.unmetNeeds) } ?? "–")",
                   width, 52, className: "label-strong", anchor: "end")
        let top = legendBottom + 40, bottom = top + 240
        chart.height = bottom + 54
        let peak = (timeline.a + timeline.b).map { Int64(max($0.openNeeds, $0.unmetNeeds)) }.max() ?? 0
        let (ticks, topValue) = ChartScale.valueTicks(maximum: max(peak, 1), maximumCount: 7)
        let x = ChartScale(domain: (0, Double(end)), range: (left, right))
        let y = ChartScale(domain: (0, Double(topValue)), range: (bottom, top))
        chart.valueAxis(y, ticks: ticks, x: left, right: right, title: "needs")
        chart.timeAxis(x, ticks: ChartScale.timeTicks(end: end, maximumCount: 14), top: top, bottom: bottom, title: timeAxisTitle())
        drawRealClosings(&chart, x: x, top: top, bottom: bottom)
        func series(_ points: [DrillReport.TimelinePoint], _ value: (DrillReport.TimelinePoint) -> Int) -> [(Int, Int64)] {
            points.map { ($0.minute, Int64(value($0))) }
        }
        chart.path(SVGChart.stepPath(series(timeline.a, \.unmetNeeds), end: end, x: x, y: y), stroke: SideColour.a, width: 8, className: "series-unmet-a")
        chart.path(SVGChart.stepPath(series(timeline.b, \.unmetNeeds), end: end, x: x, y: y), stroke: SideColour.b, width: 3.5, className: "series-unmet-b")
        chart.path(SVGChart.stepPath(series(timeline.a, \.openNeeds), end: end, x: x, y: y), stroke: SideColour.a, width: 2, dash: "7 5",
                   className: "series-open-a")
        chart.path(SVGChart.stepPath(series(timeline.b, \.openNeeds), end: end, x: x, y: y), stroke: SideColour.b, width: 2, dash: "2 4",
                   className: "series-open-b")
        return chart.svg(id: "chart-timeline-compare", title: "Open and unmet needs, A and B", className: "chart")
    }

    // MARK: stock

    /// The warehouses drawn down most, one row each, A and B on the same scale in one cell: the
    /// difference in how fast and how far each ran down is the point.
    func stockChart() -> String {
        let width = Self.chartWidth, end = max(timeline.endMinute, 1)
        let labelWidth = 236.0, textWidth = 292.0, cellHeight = 40.0, rowHeight = 58.0
        let left = labelWidth, right = width - textWidth
        var chart = SVGChart(width: width, height: 0)
        chart.text("Stock available where it was drawn down, A and B", 0, 22, className: "title")
        guard !stock.isEmpty else {
            chart.height = 140
            chart.noData("No data: no warehouse's stock of an item the needs asked for moved in either drill.", x: 0, y: 40, width: width, height: 90)
            return chart.svg(id: "chart-stock-compare", title: "Stock available, A and B: no data", className: "chart")
        }
        let legendBottom = chart.legend([
            .init(label: "A available") { chart, x, y in
                chart.rect(x, y - 7, 24, 14, fill: SideColour.aLight, opacity: 0.45)
                chart.line(x, y - 7, x + 24, y - 7, stroke: SideColour.a, width: 2)
            },
            .init(label: "B available") { chart, x, y in chart.line(x, y, x + 24, y, stroke: SideColour.b, width: 3) },
            .init(label: "each row on its own scale from 0, the same for A and B") { chart, x, y in
                chart.line(x + 4, y - 8, x + 4, y + 8, stroke: SVGChart.Colour.axis, width: 1)
            },
        ], x: 0, y: 48, right: width)
        let top = legendBottom + 40
        let bottom = top + Double(stock.count) * rowHeight - (rowHeight - cellHeight)
        chart.height = bottom + 56
        let x = ChartScale(domain: (0, Double(end)), range: (left, right))
        chart.timeAxis(x, ticks: ChartScale.timeTicks(end: end, maximumCount: 12), top: top - 6, bottom: bottom + 4, title: timeAxisTitle())
        for (row, pair) in stock.enumerated() {
            let cellTop = top + Double(row) * rowHeight
            drawStockRow(&chart, pair, x: x, cellTop: cellTop, cellHeight: cellHeight, end: end, textX: right + 12)
            chart.text(ReportFormat.clip("\(pair.warehouse) · \(pair.item)", Int((labelWidth - 14) / 8.6)), 0, cellTop + 15,
                       className: "label-strong", tooltip: "\(pair.warehouse) · \(pair.item) (\(pair.unit))")
            let place = pair.region.isEmpty ? pair.name : "\(pair.name) · \(pair.region)"
            chart.text(ReportFormat.clip(place, Int((labelWidth - 14) / 7.2)), 0, cellTop + 32, className: "tick", tooltip: place)
        }
        return chart.svg(id: "chart-stock-compare", title: "Stock available where it was drawn down, A and B", className: "chart")
    }

    private func drawStockRow(_ chart: inout SVGChart, _ pair: StockPair, x: ChartScale, cellTop: Double, cellHeight: Double, end: Int, textX: Double) {
        func points(_ series: [DrillReport.StockSeries.Point]?) -> [(Int, Int64)] { (series ?? []).map { ($0.minute, max(0, $0.available)) } }
        let a = points(pair.a), b = points(pair.b)
        let peak = (a + b).map(\.1).max() ?? 0
        let y = ChartScale(domain: (0, Double(max(peak, 1))), range: (cellTop + cellHeight, cellTop + 3))
        chart.rect(x.rangeLow, cellTop, x.rangeHigh - x.rangeLow, cellHeight, fill: "#f4f4f4")
        if !a.isEmpty {
            chart.path(SVGChart.areaPath(a, end: end, x: x, y: y), fill: SideColour.aLight, fillOpacity: 0.45)
            chart.path(SVGChart.stepPath(a, end: end, x: x, y: y), stroke: SideColour.a, width: 2, className: "series-stock-a")
        }
        if !b.isEmpty {
            chart.path(SVGChart.stepPath(b, end: end, x: x, y: y), stroke: SideColour.b, width: 3, className: "series-stock-b")
        }
        chart.text(ReportFormat.thousands(peak), x.rangeLow - 4, cellTop + 10, className: "tick", anchor: "end")
        for (side, series) in [(0, a), (1, b)] {
            let lineY = cellTop + 14 + Double(side) * 18
            Self.sideTag(&chart, side, x: textX + 9, y: lineY - 4)
            guard let first = series.first, let last = series.last else {
                chart.text("not held in \(sideName(side))", textX + 24, lineY, className: "tick", fill: SVGChart.Colour.muted)
                continue
            }
            var text = "\(ReportFormat.thousands(first.1)) → \(ReportFormat.thousands(last.1)) \(pair.unit)"
            if let empty = series.first(where: { $0.1 == 0 }) { text += ", empty \(ReportFormat.drillTime(empty.0))" }
            let lowest = series.map(\.1).min() ?? first.1
            chart.text(ReportFormat.clip(text, 36), textX + 24, lineY, className: "tick-strong", fill: series.contains { $0.1 == 0 } ? "#a34400" : SVGChart.Colour.ink,
                       tooltip: "\(sideName(side)): \(pair.warehouse) \(pair.item): \(ReportFormat.thousands(first.1)) at the start, \(ReportFormat.thousands(last.1)) at the end, at least \(ReportFormat.thousands(lowest))")
        }
    }

    // MARK: flows

    /// What each warehouse sent to each incident, A's bar above B's, in a block per item with a
    /// scale of its own: 16,000 bottles and 400 tents on one scale would hide the tents. Items whose
    /// flows differ between the drills come first.
    func flowsChart() -> String {
        let width = Self.chartWidth
        let left = 360.0, right = width - 120, barHeight = 12.0, groupHeight = 44.0, headerHeight = 34.0
        var chart = SVGChart(width: width, height: 0)
        chart.text("What each warehouse sent, A and B", 0, 22, className: "title")
        guard !flows.isEmpty else {
            chart.height = 140
            chart.noData("No data: nothing was dispatched from a warehouse in either drill.", x: 0, y: 40, width: width, height: 90)
            return chart.svg(id: "chart-flows-compare", title: "What each warehouse sent, A and B: no data", className: "chart")
        }
        let legendBottom = chart.legend([
            .init(label: "sent in A") { chart, x, y in chart.rect(x, y - 6, 24, 12, fill: SideColour.a) },
            .init(label: "sent in B") { chart, x, y in chart.rect(x, y - 6, 24, 12, fill: SideColour.b) },
            .init(label: "across a region's boundary") { chart, x, y in chart.text("⇄", x + 12, y + 5, className: "label-strong", anchor: "middle", fill: "#8f3f6f") },
            .init(label: "each item on its own scale") { chart, x, y in chart.line(x + 4, y - 8, x + 4, y + 8, stroke: SVGChart.Colour.axis, width: 1) },
        ], x: 0, y: 48, right: width)
        let items = Array(Set(flows.map(\.item))).sorted { x, y in
            let xDiffers = flows.contains { $0.item == x && $0.a != $0.b } ? 0 : 1, yDiffers = flows.contains { $0.item == y && $0.a != $0.b } ? 0 : 1
            return (xDiffers, x) < (yDiffers, y)
        }
        var y = legendBottom + 30
        var row = 0
        for item in items {
            let ofItem = flows.filter { $0.item == item }
            let totalA = ofItem.reduce(Int64(0)) { DrillReport.saturatingSum($0, $1.a) }, totalB = ofItem.reduce(Int64(0)) { DrillReport.saturatingSum($0, $1.b) }
            chart.text(ReportFormat.clip(item, 40), 0, y + 20, className: "label-strong", tooltip: item)
            chart.text("all: A \(ReportFormat.thousands(totalA)) · B \(ReportFormat.thousands(totalB))", left, y + 20, className: "tick")
            chart.line(0, y + headerHeight - 4, width, y + headerHeight - 4, stroke: SVGChart.Colour.grid, width: 1)
            y += headerHeight
            let heaviest = ofItem.map { max($0.a, $0.b) }.max() ?? 1
            let x = ChartScale(domain: (0, Double(max(heaviest, 1))), range: (left, right))
            for flow in ofItem {
                if row % 2 == 1 { chart.rect(0, y - 4, width, groupHeight, fill: "#000000", opacity: 0.03) }
                row += 1
                chart.text(ReportFormat.clip(flow.warehouse, 38), left - 14, y + 15, className: "label-strong", anchor: "end",
                           tooltip: "\(flow.warehouse) → \(flow.incidentTitle): \(flow.item)" + (flow.crossRegion ? " (across regions)" : ""))
                chart.text(ReportFormat.clip((flow.crossRegion ? "⇄ " : "") + "to " + flow.incidentTitle, 44), left - 14, y + 31, className: "tick",
                           anchor: "end", fill: flow.crossRegion ? "#8f3f6f" : nil, tooltip: flow.incidentTitle)
                for (side, quantity, count) in [(0, flow.a, flow.dispatchesA), (1, flow.b, flow.dispatchesB)] {
                    let barY = y + 4 + Double(side) * (barHeight + 4)
                    chart.rect(left, barY, max(x(Double(quantity)) - left, quantity > 0 ? 2 : 0), barHeight, fill: side == 0 ? SideColour.a : SideColour.b,
                               tooltip: "\(sideName(side)): \(ReportFormat.thousands(quantity)) \(flow.item) in \(count) dispatch\(count == 1 ? "" : "es")")
                    chart.text(quantity > 0 ? ReportFormat.thousands(quantity) : "none", x(Double(quantity)) + 6, barY + 10.5, className: "tick",
                               fill: quantity > 0 ? SVGChart.Colour.ink : SVGChart.Colour.muted)
                }
                y += groupHeight
            }
            y += 14
        }
        chart.height = y + 6
        return chart.svg(id: "chart-flows-compare", title: "What each warehouse sent, A and B", className: "chart")
    }
}
