/// One inline SVG chart, assembled as text: elements are appended in drawing order (later ones on
/// top) and every string that reaches the markup goes through `ReportFormat.escape`. Fonts, sizes
/// and colours of text come from the page's <style> by class, so charts and tables share one look.
struct SVGChart {
    let width: Double
    /// Set again by a chart whose height depends on what it drew (a legend that wrapped).
    var height: Double
    private var parts: [String] = []

    /// The Okabe–Ito palette: told apart by people with the common colour-vision deficiencies.
    enum Colour {
        static let black = "#000000"
        static let orange = "#E69F00"
        static let skyBlue = "#56B4E9"
        static let green = "#009E73"
        static let yellow = "#F0E442"
        static let blue = "#0072B2"
        static let vermillion = "#D55E00"
        static let purple = "#CC79A7"
        static let grid = "#d9d9d9"
        static let axis = "#555555"
        static let ink = "#1a1a1a"
        static let muted = "#6b6b6b"
    }

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Markup built by the caller; its text must already be escaped.
    mutating func raw(_ markup: String) { parts.append(markup) }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1,
                       dash: String? = nil, opacity: Double? = nil, cap: String? = nil, extra: String = "") {
        var markup = "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(n(width))\""
        if let dash { markup += " stroke-dasharray=\"\(dash)\"" }
        if let opacity { markup += " stroke-opacity=\"\(n2(opacity))\"" }
        if let cap { markup += " stroke-linecap=\"\(cap)\"" }
        parts.append(markup + extra + "/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String,
                       stroke: String? = nil, strokeWidth: Double = 1, opacity: Double? = nil, tooltip: String? = nil) {
        var markup = "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(max(0, width)))\" height=\"\(n(max(0, height)))\" fill=\"\(fill)\""
        if let stroke { markup += " stroke=\"\(stroke)\" stroke-width=\"\(n(strokeWidth))\"" }
        if let opacity { markup += " fill-opacity=\"\(n2(opacity))\"" }
        parts.append(closed(markup, tooltip: tooltip, tag: "rect"))
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String, stroke: String? = nil,
                         strokeWidth: Double = 1, tooltip: String? = nil) {
        var markup = "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(fill)\""
        if let stroke { markup += " stroke=\"\(stroke)\" stroke-width=\"\(n(strokeWidth))\"" }
        parts.append(closed(markup, tooltip: tooltip, tag: "circle"))
    }

    /// A polygon through `points` (x, y pairs), closed.
    mutating func polygon(_ points: [(Double, Double)], fill: String, stroke: String? = nil, strokeWidth: Double = 1,
                          tooltip: String? = nil) {
        var markup = "<polygon points=\"\(pointList(points))\" fill=\"\(fill)\""
        if let stroke { markup += " stroke=\"\(stroke)\" stroke-width=\"\(n(strokeWidth))\" stroke-linejoin=\"round\"" }
        parts.append(closed(markup, tooltip: tooltip, tag: "polygon"))
    }

    /// A path from SVG path data built with `n` (so its numbers are formatted like the rest).
    mutating func path(_ data: String, fill: String = "none", stroke: String? = nil, width: Double = 1,
                       fillOpacity: Double? = nil, dash: String? = nil, className: String? = nil, tooltip: String? = nil) {
        var markup = "<path d=\"\(data)\" fill=\"\(fill)\""
        if let fillOpacity { markup += " fill-opacity=\"\(n2(fillOpacity))\"" }
        if let stroke { markup += " stroke=\"\(stroke)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"" }
        if let dash { markup += " stroke-dasharray=\"\(dash)\"" }
        if let className { markup += " class=\"\(className)\"" }
        parts.append(closed(markup, tooltip: tooltip, tag: "path"))
    }

    /// Text in one of the page's SVG text classes (`tick`, `label`, `title`, `note`, …).
    mutating func text(_ content: String, _ x: Double, _ y: Double, className: String, anchor: String = "start",
                       fill: String? = nil, rotate: Double? = nil, halo: Bool = false, tooltip: String? = nil) {
        var markup = "<text x=\"\(n(x))\" y=\"\(n(y))\" class=\"\(className)\""
        if anchor != "start" { markup += " text-anchor=\"\(anchor)\"" }
        if let fill { markup += " fill=\"\(fill)\"" }
        if let rotate { markup += " transform=\"rotate(\(n(rotate)) \(n(x)) \(n(y)))\"" }
        // The white outline under the glyphs keeps a label legible where it crosses lines.
        if halo { markup += " stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\"" }
        markup += ">"
        if let tooltip { markup += "<title>\(ReportFormat.escape(tooltip))</title>" }
        parts.append(markup + ReportFormat.escape(content) + "</text>")
    }

    /// A boxed message where a chart has nothing to draw, so an empty chart never passes for a
    /// broken one.
    mutating func noData(_ message: String, x: Double, y: Double, width: Double, height: Double) {
        rect(x, y, width, height, fill: "#f6f6f6", stroke: Colour.grid, strokeWidth: 1)
        text(message, x + width / 2, y + height / 2 + 5, className: "nodata", anchor: "middle")
    }

    /// One entry of a legend: its label and the swatch drawn at its left, 24 units wide, centred
    /// on the row's middle.
    struct LegendEntry {
        let label: String
        let swatch: (inout SVGChart, Double, Double) -> Void
    }

    /// Legend entries in rows from (x, y), a row wrapping before it would pass `right` (widths
    /// estimated at 0.6 em a character, as the map's labels are); returns the last row's y.
    mutating func legend(_ entries: [LegendEntry], x: Double, y: Double, right: Double) -> Double {
        var column = x, row = y
        for entry in entries {
            let width = 30 + Double(entry.label.count) * 7.8
            if column > x && column + width > right {
                column = x
                row += 24
            }
            entry.swatch(&self, column, row)
            text(entry.label, column + 30, row + 4, className: "legend")
            column += width + 24
        }
        return row
    }

    /// The horizontal drill-time axis of a plot spanning `top...bottom`: light vertical grid lines
    /// at the ticks, tick labels under `bottom`, and the axis title below them when given.
    mutating func timeAxis(_ scale: ChartScale, ticks: [Int], top: Double, bottom: Double, title: String?) {
        for tick in ticks {
            let x = scale(Double(tick))
            line(x, top, x, bottom, stroke: Colour.grid, width: 1)
            line(x, bottom, x, bottom + 5, stroke: Colour.axis, width: 1)
            text(ReportFormat.axisTime(tick), x, bottom + 19, className: "tick", anchor: "middle")
        }
        line(scale.rangeLow, bottom, scale.rangeHigh, bottom, stroke: Colour.axis, width: 1)
        if let title {
            text(title, (scale.rangeLow + scale.rangeHigh) / 2, bottom + 40, className: "axis-title", anchor: "middle")
        }
    }

    /// The vertical value axis at `x` for a plot from `left` to `right`: grid lines at the ticks,
    /// labels with thousands separators, and the axis title turned along it.
    mutating func valueAxis(_ scale: ChartScale, ticks: [Int64], x: Double, right: Double, title: String) {
        for tick in ticks {
            let y = scale(Double(tick))
            line(x, y, right, y, stroke: Colour.grid, width: 1)
            text(ReportFormat.thousands(tick), x - 8, y + 4, className: "tick", anchor: "end")
        }
        line(x, scale.rangeLow, x, scale.rangeHigh, stroke: Colour.axis, width: 1)
        let middle = (scale.rangeLow + scale.rangeHigh) / 2
        text(title, x - 46, middle, className: "axis-title", anchor: "middle", rotate: -90)
    }

    /// The finished <svg>: sized in user units so it reads at 100 % on a laptop and shrinks with a
    /// narrow window; `title` is both the accessible name and the tooltip of the whole chart.
    func svg(id: String, title: String, className: String) -> String {
        var out = "<svg id=\"\(id)\" class=\"\(className)\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\""
        out += " role=\"img\" aria-labelledby=\"\(id)-title\"><title id=\"\(id)-title\">\(ReportFormat.escape(title))</title>\n"
        for part in parts { out += part + "\n" }
        return out + "</svg>"
    }

    func n(_ value: Double) -> String { ReportFormat.svg(value) }

    /// Path data of a step line through (minute, value) points, each held until the next change
    /// and the last to `end`.
    static func stepPath(_ points: [(Int, Int64)], end: Int, x: ChartScale, y: ChartScale) -> String {
        guard let first = points.first else { return "" }
        var data = "M\(ReportFormat.svg(x(Double(first.0)))) \(ReportFormat.svg(y(Double(first.1))))"
        for point in points.dropFirst() {
            data += "H\(ReportFormat.svg(x(Double(point.0))))V\(ReportFormat.svg(y(Double(point.1))))"
        }
        return data + "H\(ReportFormat.svg(x(Double(max(end, points[points.count - 1].0)))))"
    }

    /// Path data of the area under a step line, down to zero.
    static func areaPath(_ points: [(Int, Int64)], end: Int, x: ChartScale, y: ChartScale) -> String {
        guard let first = points.first else { return "" }
        return stepPath(points, end: end, x: x, y: y) + "V\(ReportFormat.svg(y(0)))H\(ReportFormat.svg(x(Double(first.0))))Z"
    }

    /// Opacities and other fractions need two decimals.
    private func n2(_ value: Double) -> String {
        let hundredths = Int((min(max(value, 0), 1) * 100).rounded())
        return hundredths == 100 ? "1" : "0.\(ReportFormat.pad2(hundredths))"
    }

    func pointList(_ points: [(Double, Double)]) -> String {
        points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
    }

    private func closed(_ markup: String, tooltip: String?, tag: String) -> String {
        guard let tooltip else { return markup + "/>" }
        return markup + "><title>\(ReportFormat.escape(tooltip))</title></\(tag)>"
    }
}
