import ReliefCore

/// The public account of donations as one self-contained HTML page: inline CSS and inline SVG, no
/// script, nothing fetched (its Content-Security-Policy forbids it), so it can be put on a website
/// or printed as it is. Everything in it comes from a `Disclosure`, which holds no personal data.
/// The same disclosure gives the same page byte for byte.
extension Disclosure {
    public func html() -> String {
        let title = "Public account of donations — " + periodText
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="journal-head" content="\(ReportFormat.escape(journalHead ?? ""))">
        <meta name="journal-seq" content="\(asOfSeq)">
        <title>\(ReportFormat.escape(title))</title>
        <style>\n\(Self.styleSheet)</style>
        </head>
        <body>
        <main>
        <header>
        <p class="kicker">Public account of donations</p>
        <h1>\(ReportFormat.escape(periodText))</h1>

        """
        out += facts()
        out += "</header>\n"
        out += """
        <nav aria-label="Sections"><a href="#summary">Summary</a><a href="#fate">Where the goods are</a><a href="#months">By month</a>\
        <a href="#donations">Donations</a><a href="#served">Incidents served</a><a href="#sources">Supplies by incident</a>\
        <a href="#totals">Totals</a><a href="#money">Money</a><a href="#checkpoint">Checking this report</a></nav>

        """
        out += summary()
        out += section("fate", "Where each donation's goods are now",
                       figure(fateChart(), "Every unit given, and every unit bought with donated money, is in one of five places: delivered to an incident, in transit to one, in a warehouse, issued to a shelter or recipient, or removed from the count (damaged, expired or lost). Bars are as of the report; hover for the numbers."))
        out += section("months", "By month",
                       figure(monthChart(goods: true), "Units of donated goods that arrived and that were delivered to incidents, per month of the period.")
                       + figure(monthChart(goods: false), "Donated money received and spent, per month, in yuan."))
        out += section("donations", "Donations", tableHTML("donations", numeric: ["money_pledged", "arrived", "bought", "money_in", "money_out", "in_stock", "in_transit", "delivered", "issued", "adjusted"]))
        out += section("served", "Incidents each donation served", tableHTML("served", numeric: ["quantity"]))
        out += section("sources", "Where each incident's supplies came from", tableHTML("sources", numeric: ["quantity"]))
        out += section("totals", "Totals",
                       "<h3>By donor</h3>\n" + tableHTML("donors", numeric: Self.totalNumbers) + "<h3>By item</h3>\n" + tableHTML("items", numeric: Self.totalNumbers)
                       + "<h3>By region of the incident</h3>\n" + tableHTML("regions", numeric: Self.totalNumbers))
        out += section("money", "Money in and out", tableHTML("money", numeric: ["amount"]))
        out += section("checkpoint", "Checking this report", checkpoint())
        out += """
        </main>
        </body>
        </html>

        """
        return out
    }

    static let totalNumbers = ["donations", "arrived", "delivered", "money_in", "money_out", "incidents"]

    var periodText: String {
        switch (period.from, period.to) {
        case (nil, nil): "all time to \(generatedAt.day.iso8601)"
        case (let from?, nil): "\(from.iso8601) to \(generatedAt.day.iso8601)"
        case (nil, let to?): "until \(to.iso8601)"
        case (let from?, let to?): "\(from.iso8601) to \(to.iso8601)"
        }
    }

    private func facts() -> String {
        let rows = [("Period", periodText + " (UTC days)"), ("As of", "journal entry \(asOfSeq), \(generatedAt.iso8601)"),
                    ("Journal head", journalHead.map { $0.isEmpty ? "(empty journal)" : $0 } ?? "(not known: computed without a store)")]
        return "<dl class=\"facts\">" + rows.map { "<div><dt>\($0.0)</dt><dd>\($0.0 == "Journal head" ? "<code id=\"journal-head\">\(ReportFormat.escape($0.1))</code>" : ReportFormat.escape($0.1))</dd></div>" }.joined() + "</dl>\n"
    }

    private func summary() -> String {
        let arrived = donations.reduce(Int128(0)) { $0 + $1.arrived + $1.bought }
        let delivered = served.reduce(Int128(0)) { $0 + $1.quantity }
        let cards = [(String(donations.count), "donations"), (ReportFormat.thousands(arrived), "units arrived or bought"),
                     (ReportFormat.thousands(delivered), "units delivered to incidents"), (Self.yuan(moneyIn), "yuan received"),
                     (Self.yuan(moneyOut), "yuan spent")]
        return section("summary", "Summary", "<ul class=\"strip\">" + cards.map {
            "<li class=\"card\"><span class=\"value\">\(ReportFormat.escape($0.0))</span><span class=\"what\">\($0.1)</span></li>"
        }.joined() + "</ul>\n")
    }

    private func checkpoint() -> String {
        let head = ReportFormat.escape(journalHead ?? "")
        return """
        <p>This report was computed from reliefd's journal up to entry <strong>\(asOfSeq)</strong>, whose hash is
        <code>\(head.isEmpty ? "(none)" : head)</code>. Every entry's hash covers the one before it, so keep this page:
        anyone can later ask the operator for an export of the journal (<code>audit export</code>) and check with the
        independent verifier (<code>deploy/verify-journal --head \(head.isEmpty ? "HASH" : head) FILE</code>, Python standard library
        only) that the history this report was computed from was not rewritten since.</p>
        <p>Donors who asked not to be named appear as <em>anonymous</em>. No contact details, recipients' names or
        volunteers' personal data are part of this report.</p>

        """
    }

    // MARK: charts

    private func fateChart() -> String {
        let shown = donations.sorted { ($0.inStock + $0.inTransit + $0.delivered + $0.issued + max(0, -$0.adjusted), $1.receipt) > ($1.inStock + $1.inTransit + $1.delivered + $1.issued + max(0, -$1.adjusted), $0.receipt) }.prefix(30)
        let width = 1100.0, left = 300.0, right = width - 110, rowHeight = 26.0, top = 70.0
        var chart = SVGChart(width: width, height: top + Double(max(shown.count, 1)) * rowHeight + 40)
        chart.text("Where each donation's goods are now (units)", 0, 24, className: "title")
        let parts: [(String, String)] = [("delivered", SVGChart.Colour.green), ("in transit", SVGChart.Colour.skyBlue),
                                         ("in a warehouse", SVGChart.Colour.blue), ("issued", SVGChart.Colour.orange),
                                         ("removed (damaged, expired, lost)", SVGChart.Colour.vermillion)]
        _ = chart.legend(parts.map { part in SVGChart.LegendEntry(label: part.0) { chart, x, y in chart.rect(x, y - 7, 24, 14, fill: part.1) } },
                         x: 0, y: 48, right: width)
        guard !shown.isEmpty else {
            chart.noData("No donated goods in this period", x: 0, y: top, width: width, height: rowHeight * 2)
            chart.height = top + rowHeight * 2 + 10
            return chart.svg(id: "fate-chart", title: "Where each donation's goods are now", className: "chart")
        }
        let totals = shown.map { $0.inStock + $0.inTransit + $0.delivered + $0.issued + max(0, -$0.adjusted) }
        let most = Double(totals.max() ?? 1)
        let scale = ChartScale(domain: (0, max(most, 1)), range: (left, right))
        for (index, row) in shown.enumerated() {
            let y = top + Double(index) * rowHeight
            chart.text(ReportFormat.clip("\(row.receipt) · \(row.donor)", 38), left - 8, y + 17, className: "label", anchor: "end")
            var x = left
            let values = [row.delivered, row.inTransit, row.inStock, row.issued, max(0, -row.adjusted)]
            for (value, part) in zip(values, parts) where value > 0 {
                let end = x + (scale(Double(value)) - left)
                chart.rect(x, y + 4, end - x, rowHeight - 8, fill: part.1, tooltip: "\(row.receipt): \(ReportFormat.thousands(value)) \(part.0)")
                x = end
            }
            chart.text(ReportFormat.thousands(totals[index]), x + 6, y + 17, className: "tick")
        }
        if donations.count > shown.count {
            chart.text("\(donations.count - shown.count) smaller donations not drawn; all are in the table below.", 0, chart.height - 12, className: "tick")
        }
        return chart.svg(id: "fate-chart", title: "Where each donation's goods are now", className: "chart")
    }

    private func monthChart(goods: Bool) -> String {
        let width = 1100.0, left = 90.0, right = width - 20, top = 70.0, bottom = 330.0
        var chart = SVGChart(width: width, height: 380)
        let id = goods ? "goods-chart" : "money-chart"
        let title = goods ? "Donated goods by month (units)" : "Donated money by month (yuan)"
        chart.text(title, 0, 24, className: "title")
        let series: [(String, String)] = goods ? [("arrived", SVGChart.Colour.blue), ("delivered to incidents", SVGChart.Colour.green)]
                                               : [("received", SVGChart.Colour.green), ("spent", SVGChart.Colour.orange)]
        _ = chart.legend(series.map { part in SVGChart.LegendEntry(label: part.0) { chart, x, y in chart.rect(x, y - 7, 24, 14, fill: part.1) } },
                         x: left, y: 48, right: width)
        let values: [(String, Int128, Int128)] = byMonth.map { goods ? ($0.key, $0.arrived, $0.delivered) : ($0.key, ($0.moneyIn + 99) / 100, ($0.moneyOut + 99) / 100) }
        guard !values.isEmpty else {
            chart.noData(goods ? "No goods arrived or delivered in this period" : "No money received or spent in this period",
                         x: left, y: top, width: right - left, height: bottom - top)
            return chart.svg(id: id, title: title, className: "chart")
        }
        let most = values.map { max($0.1, $0.2) }.max() ?? 1
        let (ticks, topValue) = ChartScale.valueTicks(maximum: Int64(clamping: most), maximumCount: 6)
        let y = ChartScale(domain: (0, Double(topValue)), range: (bottom, top))
        chart.valueAxis(y, ticks: ticks, x: left, right: right, title: goods ? "units" : "yuan")
        let slot = (right - left) / Double(values.count)
        let bar = min(40, slot * 0.35)
        for (index, value) in values.enumerated() {
            let middle = left + slot * (Double(index) + 0.5)
            for (offset, amount, part) in [(-bar, value.1, series[0]), (0.0, value.2, series[1])] {
                let height = bottom - y(Double(amount))
                chart.rect(middle + offset, bottom - height, bar, height, fill: part.1,
                           tooltip: "\(value.0): \(ReportFormat.thousands(amount)) \(goods ? "units" : "yuan") \(part.0)")
            }
            chart.text(value.0, middle, bottom + 20, className: "tick", anchor: "middle")
        }
        return chart.svg(id: id, title: title, className: "chart")
    }

    // MARK: tables

    private func tableHTML(_ name: String, numeric: [String]) -> String {
        let table = self.table(name)
        guard !table.rows.isEmpty else { return "<p class=\"nodata\">Nothing in this period.</p>\n" }
        var out = "<div class=\"scroll\"><table id=\"table-\(name)\"><thead><tr>"
        for column in table.columns { out += "<th\(numeric.contains(column) ? " class=\"num\"" : "")>\(ReportFormat.escape(column.replacingUnderscores))</th>" }
        out += "</tr></thead><tbody>\n"
        for row in table.rows {
            out += "<tr>"
            for (column, value) in zip(table.columns, row) {
                let day = ["recorded", "first", "last"].contains(column)
                out += numeric.contains(column) ? "<td class=\"num\">\(ReportFormat.escape(value))</td>"
                    : day ? "<td class=\"day\">\(ReportFormat.escape(value))</td>" : "<td>\(ReportFormat.escape(value))</td>"
            }
            out += "</tr>\n"
        }
        return out + "</tbody></table></div>\n"
    }

    private func section(_ id: String, _ heading: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(heading)</h2>\n\(body)</section>\n"
    }

    private func figure(_ svg: String, _ caption: String) -> String {
        "<figure>\n\(svg)\n<figcaption>\(ReportFormat.escape(caption))</figcaption>\n</figure>\n"
    }

    static func yuan(_ fen: Int128) -> String {
        let text = Money.format(fen)
        let dot = text.firstIndex(of: ".")!
        return ReportFormat.thousands(fen / 100) + text[dot...]
    }

    static let styleSheet = """
    :root { color-scheme: light; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #ffffff; color: #1a1a1a; font: 15px/1.45 "DejaVu Sans", "Segoe UI", Arial, sans-serif; }
    main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 24px; }
    .kicker { margin: 18px 0 0; font-size: 13px; font-weight: 700; letter-spacing: 0.08em; text-transform: uppercase; color: #005a8c; }
    h1 { margin: 2px 0 12px; font-size: 30px; line-height: 1.2; overflow-wrap: anywhere; }
    h2 { margin: 0 0 12px; padding-bottom: 4px; font-size: 21px; border-bottom: 2px solid #1a1a1a; }
    h3 { margin: 18px 0 8px; font-size: 17px; }
    section { margin-top: 34px; }
    code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.92em; overflow-wrap: anywhere; }
    .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 0 32px; margin: 0; }
    .facts div { display: flex; gap: 10px; padding: 4px 0; border-bottom: 1px solid #e6e6e6; }
    .facts dt { flex: 0 0 120px; color: #555555; }
    .facts dd { margin: 0; overflow-wrap: anywhere; }
    nav { display: flex; flex-wrap: wrap; gap: 6px; margin: 20px 0 0; }
    nav a { padding: 3px 10px; border: 1px solid #b5b5b5; border-radius: 14px; color: #004d80; text-decoration: none; font-size: 14px; }
    .strip { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
    .card { border: 1px solid #c8c8c8; border-left: 6px solid #009e73; border-radius: 4px; padding: 8px 12px; }
    .card .value { display: block; font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
    .card .what { display: block; font-size: 13px; color: #444444; }
    table { width: 100%; border-collapse: collapse; font-size: 14px; }
    th, td { padding: 6px 8px; text-align: left; vertical-align: top; border-bottom: 1px solid #e0e0e0; }
    /* Words wrap whole; only a word longer than its column (a hash, a URL) is broken. */
    td { overflow-wrap: break-word; }
    td:first-child { white-space: nowrap; }
    /* Days (2026-09-01) never break at their hyphens. */
    td.day { white-space: nowrap; }
    .scroll { overflow-x: auto; }
    th { background: #efefef; border-bottom: 2px solid #999999; font-size: 13px; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .nodata { color: #666666; font-style: italic; }
    figure { margin: 8px 0 16px; overflow-x: auto; }
    figcaption { margin-top: 6px; font-size: 13px; color: #555555; max-width: 900px; }
    svg.chart { display: block; max-width: 100%; height: auto; fill: #1a1a1a; font-family: "DejaVu Sans", Arial, sans-serif; }
    svg .title { font-size: 18px; font-weight: 700; }
    svg .label, svg .legend, svg .axis-title { font-size: 13px; }
    svg .tick { font-size: 12px; }
    svg .tick:not([fill]) { fill: #4d4d4d; }
    svg .nodata { font-size: 15px; font-style: italic; fill: #666666; }
    @page { size: A4 landscape; margin: 12mm 10mm 16mm;
      @bottom-right { content: counter(page) " / " counter(pages); font: 9pt "DejaVu Sans", Arial, sans-serif; } }
    @media print {
      body { font-size: 10pt; }
      nav { display: none; }
      main { max-width: none; padding: 0; }
      h2 { break-after: avoid; }
      figure, tr, .card { break-inside: avoid; }
      svg.chart { width: auto; height: auto; max-width: 100%; max-height: 150mm; }
      /* On paper nothing scrolls: wide tables shrink their type instead of being cut. */
      .scroll { overflow: visible; }
      table { font-size: 8pt; }
    }

    """
}

private extension String {
    var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
