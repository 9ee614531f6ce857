/// Stock by warehouse over time as small multiples: a row per warehouse, a column per item, each
/// cell a step-area of the available quantity on its own scale with the numbers at the start and
/// the end beside it. A dozen warehouses as lines in one plot would be a tangle of twelve colours
/// no one can tell apart; a grid keeps each series legible and the time axis shared.
extension DrillReport {
    func stockChart(end: Int, clock: DrillClock?) -> String {
        let labelWidth = 196.0, gap = 20.0, textWidth = 130.0
        let cellHeight = 34.0, rowHeight = 48.0, blockGap = 96.0
        let items = Array(Set(stock.series.map(\.item))).sorted()
        let rows = stockRows()
        // More items than fit across a laptop screen go into further blocks below, each with its
        // own row labels, rather than shrinking every label to an unreadable size.
        let columns = min(max(items.count, 1), Self.stockColumnsPerBlock)
        let width = Self.chartWidth
        let columnWidth = (width - labelWidth - gap * Double(columns - 1)) / Double(columns)
        var chart = SVGChart(width: width, height: 0)
        chart.text("Stock available by warehouse over time", 0, 22, className: "title")
        guard !items.isEmpty, !rows.isEmpty else {
            chart.height = 140
            chart.noData("No data: no stock series (the drill's needs asked for no items).", x: 0, y: 40, width: width, height: 90)
            return chart.svg(id: "chart-stock", title: "Stock available by warehouse over time: no data", className: "chart")
        }
        let legendBottom = chart.legend([
            .init(label: "available (each cell on its own scale, from 0)") { chart, x, y in
                chart.rect(x, y - 7, 24, 14, fill: SVGChart.Colour.skyBlue, opacity: 0.5)
                chart.line(x, y - 7, x + 24, y - 7, stroke: SVGChart.Colour.blue, width: 2)
            },
            .init(label: "out of stock") { chart, x, y in chart.rect(x, y + 1, 24, 6, fill: SVGChart.Colour.vermillion) },
            .init(label: "beside a cell: available at the start → at the end") { chart, x, y in
                chart.text("→", x + 12, y + 5, className: "label-strong", anchor: "middle")
            },
        ], x: 0, y: 48, right: width)
        let blockHeight = Double(rows.count) * rowHeight - (rowHeight - cellHeight)
        let blocks = stride(from: 0, to: items.count, by: columns).map { Array(items[$0..<min($0 + columns, items.count)]) }
        let firstTop = legendBottom + 64
        let lastBottom = firstTop + Double(blocks.count - 1) * (blockHeight + blockGap) + blockHeight
        chart.height = lastBottom + 58

        let seriesByKey = Dictionary(stock.series.map { (StockKey(warehouse: $0.warehouse, item: $0.item), $0) },
                                     uniquingKeysWith: { first, _ in first })
        for (block, blockItems) in blocks.enumerated() {
            let top = firstTop + Double(block) * (blockHeight + blockGap)
            let bottom = top + blockHeight
            for (column, item) in blockItems.enumerated() {
                let left = labelWidth + Double(column) * (columnWidth + gap)
                let plotRight = left + columnWidth - textWidth
                let unit = stock.series.first { $0.item == item }?.unit ?? ""
                // Long names are cut to their column; the tooltips carry them whole.
                chart.text(ReportFormat.clip(item, Int(columnWidth / 8.6)), left, top - 34, className: "label-strong", tooltip: "\(item) (\(unit))")
                let ofItem = stock.series.filter { $0.item == item }
                let startTotal = ofItem.reduce(Int64(0)) { Self.saturatingSum($0, max(0, $1.points.first?.available ?? 0)) }
                let endTotal = ofItem.reduce(Int64(0)) { Self.saturatingSum($0, max(0, $1.points.last?.available ?? 0)) }
                chart.text(ReportFormat.clip("all: \(ReportFormat.thousands(startTotal)) → \(ReportFormat.thousands(endTotal)) \(unit)", Int(columnWidth / 7.3)),
                           left, top - 16, className: "tick",
                           tooltip: "\(item) available in all warehouses shown, at the start and at the end (\(unit))")
                let x = ChartScale(domain: (0, Double(end)), range: (left, plotRight))
                chart.timeAxis(x, ticks: ChartScale.timeTicks(end: end, maximumCount: max(2, Int((plotRight - left) / 40))),
                               top: top - 4, bottom: bottom + 4, title: nil)
                for (row, warehouse) in rows.enumerated() {
                    let cellTop = top + Double(row) * rowHeight
                    guard let series = seriesByKey[StockKey(warehouse: warehouse.id, item: item)], !series.points.isEmpty else {
                        chart.text("not stocked", left + 4, cellTop + cellHeight / 2 + 4, className: "tick")
                        continue
                    }
                    drawStockCell(&chart, series, x: x, cellTop: cellTop, cellHeight: cellHeight, end: end, textX: plotRight + 6)
                }
            }
            for (row, warehouse) in rows.enumerated() {
                let cellTop = top + Double(row) * rowHeight
                chart.text(ReportFormat.clip(warehouse.id, Int((labelWidth - 10) / 8.6)), 0, cellTop + 14, className: "label-strong", tooltip: warehouse.id)
                chart.text(ReportFormat.clip(warehouse.detail, Int((labelWidth - 10) / 7.2)), 0, cellTop + 30, className: "tick", tooltip: warehouse.detail)
            }
        }
        chart.text(timeAxisTitle(clock), width / 2, lastBottom + 46, className: "axis-title", anchor: "middle")
        return chart.svg(id: "chart-stock", title: "Stock available by warehouse over time", className: "chart")
    }

    /// Three items side by side leave each cell about 160 units of plot on a laptop-wide chart.
    static let stockColumnsPerBlock = 3

    private struct StockKey: Hashable {
        let warehouse: String
        let item: String
    }

    /// The warehouses that have a series, grouped by region (so pooled neighbours sit together),
    /// with their names from the places list when it has them.
    private func stockRows() -> [(id: String, region: String, detail: String)] {
        var rows: [String: (id: String, region: String, detail: String)] = [:]
        for series in stock.series where rows[series.warehouse] == nil {
            if let place = stock.warehouses.first(where: { $0.id == series.warehouse }) {
                rows[series.warehouse] = (place.id, place.region, "\(place.name) · \(place.region)")
            } else {
                rows[series.warehouse] = (series.warehouse, "", "")
            }
        }
        return rows.values.sorted { ($0.region, $0.id) < ($1.region, $1.id) }
    }

    private func drawStockCell(_ chart: inout SVGChart, _ series: StockSeries.Series, x: ChartScale, cellTop: Double,
                               cellHeight: Double, end: Int, textX: Double) {
        let points = series.points.enumerated().sorted { ($0.element.minute, $0.offset) < ($1.element.minute, $1.offset) }
            .map { ($0.element.minute, max(0, $0.element.available)) }
        let peak = points.map(\.1).max() ?? 0
        let y = ChartScale(domain: (0, Double(max(peak, 1))), range: (cellTop + cellHeight, cellTop + 3))
        chart.rect(x.rangeLow, cellTop, x.rangeHigh - x.rangeLow, cellHeight, fill: "#f4f4f4")
        // A series that never moved is drawn faint, so the eye goes to the ones that were drawn down.
        let moved = points.contains { $0.1 != points[0].1 }
        chart.path(SVGChart.areaPath(points, end: end, x: x, y: y), fill: SVGChart.Colour.skyBlue, fillOpacity: moved ? 0.5 : 0.22)
        chart.path(SVGChart.stepPath(points, end: end, x: x, y: y), stroke: moved ? SVGChart.Colour.blue : "#8fb8d6", width: 1.5,
                   className: "series-stock")

        // Out-of-stock spans as a bar along the baseline: a flat line at zero is easy to miss.
        var firstEmpty: Int?
        var index = 0
        while index < points.count {
            guard points[index].1 == 0 else { index += 1; continue }
            let from = points[index].0
            var next = index + 1
            while next < points.count && points[next].1 == 0 { next += 1 }
            let until = next < points.count ? points[next].0 : max(end, points[points.count - 1].0)
            firstEmpty = firstEmpty ?? from
            chart.rect(x(Double(from)), cellTop + cellHeight - 5, max(x(Double(until)) - x(Double(from)), 3), 5, fill: SVGChart.Colour.vermillion,
                       tooltip: "\(series.warehouse): no \(series.item) available from \(ReportFormat.drillTime(from)) to \(ReportFormat.drillTime(until))")
            index = next
        }
        let first = points[0].1, last = points[points.count - 1].1
        chart.text(moved ? "\(ReportFormat.thousands(first)) → \(ReportFormat.thousands(last))" : "\(ReportFormat.thousands(first)), unchanged",
                   textX, cellTop + 14, className: moved ? "tick-strong" : "tick", fill: moved ? SVGChart.Colour.ink : nil,
                   tooltip: "\(series.warehouse) \(series.item): \(ReportFormat.thousands(first)) \(series.unit) at the start, \(ReportFormat.thousands(last)) at the end, at most \(ReportFormat.thousands(peak))")
        if let firstEmpty {
            chart.text("empty \(ReportFormat.drillTime(firstEmpty))", textX, cellTop + 29, className: "tick-strong",
                       fill: SVGChart.Colour.vermillion)
        }
    }
}
