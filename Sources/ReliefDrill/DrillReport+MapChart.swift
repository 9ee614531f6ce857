/// The map: warehouses, incidents and the stock that flowed between them, on an equirectangular
/// projection of their bounding box. Longitudes are scaled by the cosine of the middle latitude so
/// distances read the same across and up the map within a province-sized box, which is what the
/// scale bar assumes.
extension DrillReport {
    /// Kilometres in one degree of latitude on the mean Earth radius ReliefCore's distances use.
    static let kilometresPerDegree = 6371.0088 * Double.pi / 180

    func mapChart() -> String {
        let warehouses = stock.warehouses.sorted { $0.id < $1.id }
        let places = warehouses.map { ($0.latitude, $0.longitude) } + incidents.map { ($0.latitude, $0.longitude) }
        let usable = places.filter { $0.0.isFinite && $0.1.isFinite && abs($0.0) <= 90 && abs($0.1) <= 180 }
        guard !usable.isEmpty else {
            var chart = SVGChart(width: Self.chartWidth, height: 160)
            chart.text("Warehouses, incidents and flows", 0, 22, className: "title")
            chart.noData("No data: the report has no warehouse or incident with a position.", x: 0, y: 40, width: Self.chartWidth, height: 100)
            return chart.svg(id: "chart-map", title: "Map of warehouses, incidents and flows: no data", className: "chart")
        }
        let projection = MapProjection(usable, maxWidth: 690, maxHeight: 760, left: 60, top: 44)
        let panelX = projection.right + 30
        let groups = flowGroups()
        let panelHeight = 330.0 + Double(min(groups.drawn.count, 8)) * 20
        let height = max(projection.bottom + 44, panelHeight + 60)
        var chart = SVGChart(width: max(Self.chartWidth, panelX + 330), height: height)
        chart.text("Warehouses, incidents and flows", 0, 22, className: "title")
        drawBase(&chart, projection)

        let heaviest = groups.drawn.map(\.total).max() ?? 1
        func strokeWidth(_ total: Int64) -> Double { 1.5 + 9 * (Double(max(total, 0)) / Double(max(heaviest, 1))).squareRoot() }
        let warehouseByID = Dictionary(warehouses.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let incidentByID = Dictionary(incidents.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for group in groups.drawn {
            guard let from = warehouseByID[group.warehouse], let to = incidentByID[group.incident] else { continue }
            let (x1, y1) = projection(from.latitude, from.longitude)
            let (x2, y2) = projection(to.latitude, to.longitude)
            let items = group.items.map { "\($0.item) \(ReportFormat.thousands($0.quantity))" }.joined(separator: ", ")
            let tooltip = "\(group.warehouse) → \(to.title): \(items)\(group.crossRegion ? " (across regions: \(from.region) → \(to.region))" : "")"
            let colour = group.crossRegion ? SVGChart.Colour.purple : SVGChart.Colour.blue
            let width = strokeWidth(group.total)
            // Dashes grow with the line, or a thick dashed line reads as a solid one.
            let style = group.crossRegion
                ? " stroke-opacity=\"0.85\" stroke-linecap=\"butt\" stroke-dasharray=\"\(chart.n(max(8, width * 1.8))) \(chart.n(max(5, width)))\""
                : " stroke-opacity=\"0.6\" stroke-linecap=\"round\""
            chart.raw("<line x1=\"\(chart.n(x1))\" y1=\"\(chart.n(y1))\" x2=\"\(chart.n(x2))\" y2=\"\(chart.n(y2))\" stroke=\"\(colour)\""
                + " stroke-width=\"\(chart.n(width))\"\(style) class=\"\(group.crossRegion ? "flow flow-cross" : "flow")\">"
                + "<title>\(ReportFormat.escape(tooltip))</title></line>")
        }

        var labels = MapLabels(bounds: (projection.left, projection.top, projection.right, projection.bottom))
        let sent = Set(groups.drawn.map(\.warehouse))
        for warehouse in warehouses {
            let (x, y) = projection(warehouse.latitude, warehouse.longitude)
            labels.occupy(x - 7, y - 7, x + 7, y + 7)
            chart.rect(x - 6, y - 6, 12, 12, fill: sent.contains(warehouse.id) ? SVGChart.Colour.ink : "#ffffff",
                       stroke: SVGChart.Colour.ink, strokeWidth: 2,
                       tooltip: "warehouse \(warehouse.id): \(warehouse.name), \(warehouse.region)")
        }
        for incident in incidents.sorted(by: { $0.id < $1.id }) {
            let (x, y) = projection(incident.latitude, incident.longitude)
            labels.occupy(x - 11, y - 11, x + 11, y + 9)
            chart.polygon([(x, y - 11), (x + 11, y + 8), (x - 11, y + 8)], fill: SVGChart.Colour.vermillion,
                          stroke: SVGChart.Colour.ink, strokeWidth: 1.5,
                          tooltip: "incident \(incident.id): \(incident.title) (\(incident.kind), \(incident.region))")
        }
        // Incidents are labelled first: their titles are what a reader looks for on the map.
        for incident in incidents.sorted(by: { $0.id < $1.id }) {
            let (x, y) = projection(incident.latitude, incident.longitude)
            let label = ReportFormat.clip(incident.title, 34)
            let spot = labels.place(label, x: x, y: y, clearance: 13, fontSize: 13, bold: true)
            chart.text(label, spot.x, spot.y, className: "map-incident", anchor: spot.anchor, halo: true, tooltip: incident.title)
        }
        for warehouse in warehouses {
            let (x, y) = projection(warehouse.latitude, warehouse.longitude)
            let label = ReportFormat.clip(warehouse.id, 22)
            let spot = labels.place(label, x: x, y: y, clearance: 8, fontSize: 12, bold: false)
            chart.text(label, spot.x, spot.y, className: "map-label", anchor: spot.anchor, halo: true, tooltip: warehouse.id)
        }
        drawScaleBar(&chart, projection)
        drawMapLegend(&chart, x: panelX, groups: groups, heaviest: heaviest, strokeWidth: strokeWidth)
        return chart.svg(id: "chart-map", title: "Map of warehouses, incidents and flows", className: "chart")
    }

    /// Flows added up per warehouse and incident (one line each on the map), heaviest first so
    /// thinner lines are drawn over thicker ones; and how many flows name a place the report has no
    /// position for.
    func flowGroups() -> (drawn: [FlowGroup], unplaced: Int) {
        let warehouseIDs = Set(stock.warehouses.map(\.id)), incidentIDs = Set(incidents.map(\.id))
        var groups: [String: FlowGroup] = [:]
        var unplaced = 0
        for flow in flows {
            guard warehouseIDs.contains(flow.warehouse), incidentIDs.contains(flow.incident) else { unplaced += 1; continue }
            let key = flow.warehouse + "\u{0}" + flow.incident
            var group = groups[key] ?? FlowGroup(warehouse: flow.warehouse, incident: flow.incident, total: 0, crossRegion: false, items: [])
            group.total = Self.saturatingSum(group.total, flow.quantity)
            group.crossRegion = group.crossRegion || flow.crossRegion
            if let index = group.items.firstIndex(where: { $0.item == flow.item }) {
                group.items[index].quantity = Self.saturatingSum(group.items[index].quantity, flow.quantity)
            } else {
                group.items.append((flow.item, flow.quantity))
            }
            groups[key] = group
        }
        let drawn = groups.values.map { group -> FlowGroup in
            var sorted = group
            sorted.items.sort { $0.item < $1.item }
            return sorted
        }.sorted { ($1.total, $0.warehouse, $0.incident) < ($0.total, $1.warehouse, $1.incident) }
        return (drawn, unplaced)
    }

    struct FlowGroup {
        var warehouse: String
        var incident: String
        var total: Int64
        var crossRegion: Bool
        var items: [(item: String, quantity: Int64)]
    }

    static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }

    private func drawBase(_ chart: inout SVGChart, _ projection: MapProjection) {
        chart.rect(projection.left, projection.top, projection.right - projection.left, projection.bottom - projection.top,
                   fill: "#f4f2ec", stroke: "#bdbdbd", strokeWidth: 1)
        let step = projection.graticuleStep
        var latitude = (projection.latitudeLow / step).rounded(.up) * step
        while latitude <= projection.latitudeHigh {
            let (_, y) = projection(latitude, projection.longitudeLow)
            chart.line(projection.left, y, projection.right, y, stroke: "#d7d3c8", width: 1)
            chart.text(Self.degrees(latitude, positive: "N", negative: "S"), projection.left - 6, y + 4, className: "tick", anchor: "end")
            latitude += step
        }
        var longitude = (projection.longitudeLow / step).rounded(.up) * step
        while longitude <= projection.longitudeHigh {
            let (x, _) = projection(projection.latitudeLow, longitude)
            chart.line(x, projection.top, x, projection.bottom, stroke: "#d7d3c8", width: 1)
            chart.text(Self.degrees(longitude, positive: "E", negative: "W"), x, projection.bottom + 17, className: "tick", anchor: "middle")
            longitude += step
        }
        let northX = projection.right - 22, northY = projection.top + 16
        chart.polygon([(northX, northY - 8), (northX + 6, northY + 8), (northX, northY + 4), (northX - 6, northY + 8)],
                      fill: SVGChart.Colour.ink)
        chart.text("N", northX, northY + 24, className: "label-strong", anchor: "middle")
    }

    /// 37.5°N, 112°E: whole degrees without decimals.
    static func degrees(_ value: Double, positive: String, negative: String) -> String {
        let tenths = Int((abs(value) * 10).rounded())
        let number = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
        return "\(number)°\(value < 0 ? negative : positive)"
    }

    private func drawScaleBar(_ chart: inout SVGChart, _ projection: MapProjection) {
        let kilometresPerPixel = Self.kilometresPerDegree / projection.pixelsPerDegree
        let wanted = (projection.right - projection.left) / 4 * kilometresPerPixel
        var length = 1.0
        for candidate in [1.0, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000] where candidate <= wanted { length = candidate }
        let pixels = length / kilometresPerPixel
        let x = projection.left + 14, y = projection.bottom - 22
        chart.rect(x - 8, y - 20, pixels + 60, 36, fill: "#ffffff", opacity: 0.85)
        chart.rect(x, y, pixels / 2, 6, fill: SVGChart.Colour.ink, stroke: SVGChart.Colour.ink)
        chart.rect(x + pixels / 2, y, pixels / 2, 6, fill: "#ffffff", stroke: SVGChart.Colour.ink)
        chart.text("0", x, y - 5, className: "tick", anchor: "middle")
        chart.text(Self.kilometres(length / 2), x + pixels / 2, y - 5, className: "tick", anchor: "middle")
        chart.text(Self.kilometres(length) + " km", x + pixels, y - 5, className: "tick", anchor: "start")
    }

    static func kilometres(_ value: Double) -> String {
        value == value.rounded() ? ReportFormat.thousands(Int64(value)) : ReportFormat.oneDecimal(value)
    }

    private func drawMapLegend(_ chart: inout SVGChart, x: Double, groups: (drawn: [FlowGroup], unplaced: Int), heaviest: Int64,
                               strokeWidth: (Int64) -> Double) {
        var y = 64.0
        chart.text("Legend", x, y, className: "label-strong")
        y += 26
        chart.rect(x + 6, y - 6, 12, 12, fill: SVGChart.Colour.ink, stroke: SVGChart.Colour.ink, strokeWidth: 2)
        chart.text("warehouse that sent stock (its id)", x + 34, y + 4, className: "legend")
        y += 24
        chart.rect(x + 6, y - 6, 12, 12, fill: "#ffffff", stroke: SVGChart.Colour.ink, strokeWidth: 2)
        chart.text("warehouse that sent nothing", x + 34, y + 4, className: "legend")
        y += 26
        chart.polygon([(x + 12, y - 10), (x + 22, y + 7), (x + 2, y + 7)], fill: SVGChart.Colour.vermillion,
                      stroke: SVGChart.Colour.ink, strokeWidth: 1.5)
        chart.text("incident (its title)", x + 34, y + 4, className: "legend")
        y += 28
        chart.line(x, y, x + 26, y, stroke: SVGChart.Colour.blue, width: 4, opacity: 0.6, cap: "round")
        chart.text("flow within a region", x + 34, y + 4, className: "legend")
        y += 24
        chart.line(x, y, x + 26, y, stroke: SVGChart.Colour.purple, width: 4, dash: "8 5", opacity: 0.85)
        chart.text("flow across regions", x + 34, y + 4, className: "legend")
        y += 30
        chart.text("line width: quantity sent, all items", x, y, className: "legend")
        y += 8
        for fraction in [1.0, 0.25, 0.04] where !groups.drawn.isEmpty {
            let quantity = Int64((Double(heaviest) * fraction).rounded())
            y += 18
            chart.line(x, y, x + 26, y, stroke: SVGChart.Colour.blue, width: strokeWidth(quantity), opacity: 0.6)
            chart.text(ReportFormat.thousands(quantity), x + 34, y + 4, className: "tick")
        }
        if groups.drawn.isEmpty {
            y += 20
            chart.text("No flows: nothing was dispatched.", x, y, className: "nodata")
        }
        y += 34
        if !groups.drawn.isEmpty {
            chart.text("Largest flows", x, y, className: "label-strong")
            for group in groups.drawn.prefix(8) {
                y += 20
                let line = "\(group.warehouse) → \(incidentTitle(group.incident))"
                chart.text(ReportFormat.clip(line, 30), x, y, className: "tick", fill: SVGChart.Colour.ink, tooltip: line)
                chart.text(ReportFormat.thousands(group.total) + (group.crossRegion ? " ⇄" : ""), x + 320, y, className: "tick",
                           anchor: "end", fill: group.crossRegion ? "#8f3f6f" : SVGChart.Colour.ink)
            }
            y += 26
        }
        if groups.unplaced > 0 {
            chart.text("\(groups.unplaced) flows not drawn: place unknown", x, y, className: "tick", fill: SVGChart.Colour.vermillion)
            y += 20
        }
        chart.text("North up; equirectangular projection", x, y, className: "tick")
    }
}
