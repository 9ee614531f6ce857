/// The two charts about needs: how many were open and unmet over the drill (with the moments the
/// expectations were decided), and each need's way from raised to delivered.
extension DrillReport {
    static let chartWidth = 1120.0

    func timeAxisTitle(_ clock: DrillClock?) -> String {
        guard let clock else { return "drill time (hours after T+0)" }
        return "drill time (hours after T+0 = \(clock.wallClock(0)))"
    }

    func timelineChart(end: Int, clock: DrillClock?) -> String {
        let width = Self.chartWidth
        let left = 100.0, right = width - 28
        var chart = SVGChart(width: width, height: 0)
        chart.text("Open and unmet needs over time", 0, 22, className: "title")
        let points = timeline.enumerated().sorted { ($0.element.minute, $0.offset) < ($1.element.minute, $1.offset) }.map(\.element)
        guard !points.isEmpty else {
            chart.height = 140
            chart.noData("No data: the drill recorded no needs, so nothing was open or unmet.", x: 0, y: 40, width: width, height: 90)
            return chart.svg(id: "chart-timeline", title: "Open and unmet needs over time: no data", className: "chart")
        }
        let legendBottom = chart.legend([
            .init(label: "open needs") { chart, x, y in chart.line(x, y, x + 24, y, stroke: SVGChart.Colour.blue, width: 2.5) },
            .init(label: "unmet needs (open, something still missing)") { chart, x, y in
                chart.rect(x, y - 7, 24, 14, fill: SVGChart.Colour.vermillion, opacity: 0.2)
                chart.line(x, y, x + 24, y, stroke: SVGChart.Colour.vermillion, width: 5)
            },
            .init(label: "expectation held") { chart, x, y in chart.circle(x + 12, y, radius: 5, fill: SVGChart.Colour.green) },
            .init(label: "expectation failed") { chart, x, y in Self.failMark(&chart, x + 12, y) },
        ], x: 0, y: 48, right: width - 240)
        let last = points[points.count - 1]
        chart.text("at the end: \(last.openNeeds) open, \(last.unmetNeeds) unmet", width, 52, className: "label-strong", anchor: "end")
        let stripY = legendBottom + 34, top = stripY + 24, bottom = top + 226
        chart.height = bottom + 54

        let peak = points.map { Int64(max($0.openNeeds, $0.unmetNeeds)) }.max() ?? 0
        let (ticks, topValue) = ChartScale.valueTicks(maximum: max(peak, 1), maximumCount: 7)
        let x = ChartScale(domain: (0, Double(end)), range: (left, right))
        let y = ChartScale(domain: (0, Double(topValue)), range: (bottom, top))

        chart.valueAxis(y, ticks: ticks, x: left, right: right, title: "needs")
        chart.timeAxis(x, ticks: ChartScale.timeTicks(end: end, maximumCount: 14), top: top, bottom: bottom, title: timeAxisTitle(clock))

        // Expectations sit on a strip of their own above the plot, on the same time axis, so a
        // failure lines up with the needs that were open when it was decided.
        chart.text("expectations", left - 8, stripY + 4, className: "tick", anchor: "end")
        chart.line(left, stripY, right, stripY, stroke: SVGChart.Colour.grid, width: 1)
        for expectation in expectationsInOrder.reversed() where !expectation.isPending {
            let ex = x(Double(expectation.minute))
            let tooltip = "\(expectation.held ? "held" : "FAILED") at \(ReportFormat.drillTime(expectation.minute)): \(expectation.text) — \(expectation.detail)"
            if expectation.held {
                chart.circle(ex, stripY, radius: 5, fill: SVGChart.Colour.green, tooltip: tooltip)
            } else {
                chart.line(ex, stripY + 8, ex, bottom, stroke: SVGChart.Colour.vermillion, width: 1, dash: "3 4", opacity: 0.7)
                Self.failMark(&chart, ex, stripY, tooltip: tooltip)
            }
        }

        chart.path(SVGChart.areaPath(points.map { ($0.minute, Int64($0.unmetNeeds)) }, end: end, x: x, y: y),
                   fill: SVGChart.Colour.vermillion, fillOpacity: 0.16)
        // Unmet needs are open too, so the lines meet when every open need is short: the open line
        // goes on top and thinner, leaving both colours visible where they coincide.
        chart.path(SVGChart.stepPath(points.map { ($0.minute, Int64($0.unmetNeeds)) }, end: end, x: x, y: y),
                   stroke: SVGChart.Colour.vermillion, width: 5, className: "series-unmet")
        chart.path(SVGChart.stepPath(points.map { ($0.minute, Int64($0.openNeeds)) }, end: end, x: x, y: y),
                   stroke: SVGChart.Colour.blue, width: 2.5, className: "series-open")
        return chart.svg(id: "chart-timeline", title: "Open and unmet needs over time", className: "chart")
    }

    /// A ✗ drawn with lines, so it shows the same whatever fonts the viewer has.
    static func failMark(_ chart: inout SVGChart, _ x: Double, _ y: Double, tooltip: String? = nil) {
        var markup = "<g stroke=\"\(SVGChart.Colour.vermillion)\" stroke-width=\"3\" stroke-linecap=\"round\">"
        if let tooltip { markup += "<title>\(ReportFormat.escape(tooltip))</title>" }
        markup += "<line x1=\"\(chart.n(x - 5))\" y1=\"\(chart.n(y - 5))\" x2=\"\(chart.n(x + 5))\" y2=\"\(chart.n(y + 5))\"/>"
        markup += "<line x1=\"\(chart.n(x - 5))\" y1=\"\(chart.n(y + 5))\" x2=\"\(chart.n(x + 5))\" y2=\"\(chart.n(y - 5))\"/></g>"
        chart.raw(markup)
    }

    static func stageColour(_ stage: NeedStage) -> String {
        switch stage {
        case .created: return "#b3b3b3"
        case .proposed: return SVGChart.Colour.orange
        case .applied: return SVGChart.Colour.skyBlue
        case .dispatched: return SVGChart.Colour.blue
        case .delivered: return SVGChart.Colour.black
        }
    }

    /// One row per need: a bar through its stages, coloured by what it was waiting for, reasons
    /// it was unmet as marks on the bar, and at the right how it ended.
    func leadTimeChart(end: Int, clock: DrillClock?) -> String {
        let width = Self.chartWidth
        let left = 330.0, right = width - 150, rowHeight = 26.0
        let rows = needsInOrder
        var chart = SVGChart(width: width, height: 0)
        chart.text("Each need from raised to delivered", 0, 22, className: "title")
        guard !rows.isEmpty else {
            chart.height = 140
            chart.noData("No data: the drill raised no needs.", x: 0, y: 40, width: width, height: 90)
            return chart.svg(id: "chart-needs", title: "Each need from raised to delivered: no data", className: "chart")
        }
        var entries = NeedStage.allCases.filter { $0 != .delivered }.map { stage in
            SVGChart.LegendEntry(label: stage.waitingFor) { chart, x, y in chart.rect(x, y - 7, 24, 14, fill: Self.stageColour(stage)) }
        }
        entries.append(.init(label: "delivered") { chart, x, y in
            chart.line(x + 12, y - 9, x + 12, y + 9, stroke: SVGChart.Colour.black, width: 3)
        })
        entries.append(.init(label: "a plan left it unmet (hover: why)") { chart, x, y in Self.reasonMark(&chart, x + 12, y + 2) })
        let top = chart.legend(entries, x: 0, y: 48, right: width) + 38
        let bottom = top + Double(rows.count) * rowHeight
        chart.height = bottom + 54
        let x = ChartScale(domain: (0, Double(end)), range: (left, right))
        chart.timeAxis(x, ticks: ChartScale.timeTicks(end: end, maximumCount: 12), top: top - 6, bottom: bottom,
                       title: timeAxisTitle(clock))
        chart.text("at the end", right + 14, rows.count > 12 ? top - 28 : top - 12, className: "tick")
        // A long list gets the times above its first row too, so they are on screen while reading it.
        if rows.count > 12 {
            for tick in ChartScale.timeTicks(end: end, maximumCount: 12) {
                chart.text(ReportFormat.axisTime(tick), x(Double(tick)), top - 12, className: "tick", anchor: "middle")
            }
        }

        for (index, need) in rows.enumerated() {
            let rowTop = top + Double(index) * rowHeight
            let middle = rowTop + rowHeight / 2
            if index % 2 == 1 { chart.rect(0, rowTop, width, rowHeight, fill: "#000000", opacity: 0.035) }
            let name = need.ref ?? need.id
            let label = ReportFormat.clip("\(name) · \(need.what)", 44)
            chart.text(label, left - 10, middle + 4, className: "label", anchor: "end",
                       tooltip: "\(need.id)\(need.ref.map { " (\($0))" } ?? "") at \(incidentTitle(need.incident)): \(need.what), priority \(need.priority)")
            let stages = need.stages
            for (offset, entry) in stages.enumerated() where entry.stage != .delivered {
                let until = offset + 1 < stages.count ? stages[offset + 1].minute : end
                let from = x(Double(entry.minute)), to = x(Double(max(until, entry.minute)))
                chart.rect(from, middle - 7, to - from, 14, fill: Self.stageColour(entry.stage),
                           tooltip: "\(entry.stage.waitingFor) from \(ReportFormat.drillTime(entry.minute)) for \(ReportFormat.duration(max(until, entry.minute) - entry.minute))")
            }
            for reason in need.reasons.sorted(by: { ($0.minute, $0.missing, $0.reason) < ($1.minute, $1.missing, $1.reason) }) {
                Self.reasonMark(&chart, x(Double(reason.minute)), middle - 11,
                                tooltip: "\(ReportFormat.drillTime(reason.minute)): \(ReportFormat.thousands(reason.missing)) missing — \(reason.reason)")
            }
            if let delivered = need.deliveredMinute {
                let dx = x(Double(max(delivered, need.createdMinute)))
                chart.line(dx, middle - 10, dx, middle + 10, stroke: SVGChart.Colour.black, width: 3)
            }
            if need.unmetAtEnd > 0 {
                chart.text("\(ReportFormat.thousands(need.unmetAtEnd)) unmet", right + 14, middle + 4, className: "label-strong",
                           fill: SVGChart.Colour.vermillion)
            } else if let delivered = need.deliveredMinute {
                chart.text("met in \(ReportFormat.duration(max(0, delivered - need.createdMinute)))", right + 14, middle + 4, className: "label")
            } else {
                chart.text("nothing missing", right + 14, middle + 4, className: "label", fill: SVGChart.Colour.muted)
            }
        }
        return chart.svg(id: "chart-needs", title: "Each need from raised to delivered", className: "chart")
    }

    /// A small downward triangle above the bar: a reason given for the need being unmet.
    static func reasonMark(_ chart: inout SVGChart, _ x: Double, _ y: Double, tooltip: String? = nil) {
        chart.polygon([(x - 5, y - 5), (x + 5, y - 5), (x, y + 3)], fill: SVGChart.Colour.vermillion,
                      stroke: "#ffffff", strokeWidth: 1, tooltip: tooltip)
    }
}
