/// The comparison as one self-contained page in the report's visual language: the report's style
/// sheet and SVG pieces, the same exercise banner and footer, no script and nothing fetched, the
/// same bytes for the same two reports. A is blue and B orange wherever the page tells them apart.
extension DrillComparison {
    public func html() -> String {
        let title = "\(a.name) vs \(b.name)"
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="robots" content="noindex">
        <meta name="drill-status" content="Exercise">
        <title>EXERCISE — Drill comparison: \(ReportFormat.escape(title))</title>
        <style>\n\(DrillReport.styleSheet)\(Self.styleSheet)</style>
        </head>
        <body>
        <div class="exercise" id="exercise-banner" role="note" aria-label="Exercise"><span class="exercise-word">EXERCISE · EXERCISE · EXERCISE</span><span class="exercise-note">Two drills compared, not real events: nothing on this page happened.</span></div>
        <main>
        <header>
        <p class="kicker">Drill comparison · what-if · EXERCISE</p>
        <h1><span class="tag a">A</span> \(ReportFormat.escape(a.name))<br><span class="tag b">B</span> \(ReportFormat.escape(b.name))</h1>

        """
        out += factsTable()
        out += "</header>\n"
        out += """
        <nav aria-label="Sections"><a href="#summary">What changed</a><a href="#needs">Needs</a><a href="#timeline">Open and unmet</a>\
        <a href="#expectations">Expectations</a><a href="#stock">Stock</a><a href="#flows">Flows</a></nav>

        """
        out += summarySection()
        out += needsSection()
        out += section("timeline", "Open and unmet needs",
                       figure(timelineChart(), "A need is open from the moment it is raised until all of it is delivered (or on scene); it is unmet while part of it is missing. Thick lines: unmet needs (B's inside A's); dashed: open needs."))
        out += expectationsSection()
        out += section("stock", "Stock where it was drawn down",
                       figure(stockChart(), "Available stock (on hand, not reserved) of the warehouses and items drawn down most in either drill, at most \(Self.stockSeriesShown). A and B share each row's scale, so the lines compare directly."))
        out += flowsSection()
        out += """
        </main>
        <footer class="exercise exercise-end" role="note"><span class="exercise-word">END OF EXERCISE COMPARISON</span><span class="exercise-note">\(ReportFormat.escape(title)) · everything above is an exercise.</span></footer>
        </body>
        </html>

        """
        return out
    }

    // MARK: sections

    private func factsTable() -> String {
        func facts(_ side: Side) -> [String] {
            let clock = DrillClock(start: side.start)
            var cells = [
                "<code>\(ReportFormat.escape(side.file))</code>",
                ReportFormat.escape(side.from),
                "T+00:00 = \(ReportFormat.escape(clock?.wallClock(0) ?? side.start))",
                "\(ReportFormat.duration(side.endMinute)) (ends \(ReportFormat.drillTime(side.endMinute)))",
                "<code>\(side.seed)</code>",
                ReportFormat.thousands(side.injects),
            ]
            if let replay = side.replay {
                let left = Self.officerWords(replay.leftToTheOfficer)
                var text = "incident <code>\(ReportFormat.escape(replay.incident))</code> (journal entries \(replay.openedSeq)–\(replay.lastSeq)): \(replay.inputs) inputs replayed"
                if let closed = replay.closedMinute { text += ", closed for real at \(ReportFormat.drillTime(closed))" }
                if !left.isEmpty { text += "; the real officer's \(ReportFormat.escape(left)) left to the simulated one" }
                if !replay.refused.isEmpty { text += "; <strong class=\"worse\">\(replay.refused.count) refused in this drill</strong>" }
                cells.append(text)
            } else {
                cells.append("<span class=\"never\">not a replay</span>")
            }
            cells.append(side.page.map { "<a href=\"\(ReportFormat.escape($0))\">\(ReportFormat.escape($0))</a>" } ?? "<span class=\"never\">not linked</span>")
            return cells
        }
        let names = ["Scenario file", "Started from", "Clock start", "Length", "Seed", "Injects", "Replay", "Full report"]
        let left = facts(a), right = facts(b)
        var out = "<table class=\"sides\">\n<thead><tr><th></th><th><span class=\"tag a\">A</span></th><th><span class=\"tag b\">B</span></th></tr></thead>\n<tbody>\n"
        for (index, name) in names.enumerated() {
            out += "<tr><th scope=\"row\">\(name)</th><td>\(left[index])</td><td>\(right[index])</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n"
    }

    /// `2 plans, 4 dispatches, 2 stand-downs`: the real officer's entries by what they did, in the
    /// order a need goes through them (kinds without a word are named as journaled).
    static func officerWords(_ counts: [String: Int]) -> String {
        let words: [(String, String, String)] = [
            ("plan.proposed", "plan", "plans"), ("plan.applied", "plan applied", "plans applied"),
            ("allocation.reserved", "reservation", "reservations"), ("allocation.dispatched", "dispatch", "dispatches"),
            ("allocation.delivered", "delivery", "deliveries"), ("allocation.released", "release of goods", "releases of goods"),
            ("assignment.made", "assignment", "assignments"), ("assignment.status_set", "move of people", "moves of people"),
            ("assignment.released", "stand-down", "stand-downs"),
        ]
        var parts: [String] = []
        for (kind, one, many) in words { if let count = counts[kind], count > 0 { parts.append("\(count) \(count == 1 ? one : many)") } }
        for kind in counts.keys.sorted() where !words.contains(where: { $0.0 == kind }) { parts.append("\(counts[kind]!) \(kind)") }
        return parts.joined(separator: ", ")
    }

    /// The few things an organizer asks first, in sentences, then every figure of the summary.
    private func summarySection() -> String {
        var out = "<ul class=\"findings\">\n"
        for finding in findings() { out += "<li class=\"\(finding.tone)\">\(finding.html)</li>\n" }
        out += "</ul>\n<ul class=\"strip compare\">\n"
        // Cards for what moved; what stayed the same is one muted line after them, so the eye
        // lands on the differences.
        for metric in summary where metric.verdict != .same {
            let verdict = metric.verdict
            out += "<li class=\"card \(verdict.rawValue)\"><span class=\"what\">\(ReportFormat.escape(metric.label))</span>"
            out += "<span class=\"pair\"><span class=\"side-value\"><span class=\"tag a\">A</span> <span class=\"value\">\(metric.aText)</span></span>"
            out += " <span class=\"side-value\"><span class=\"tag b\">B</span> <span class=\"value\">\(metric.bText)</span></span></span>"
            out += "<span class=\"chip \(verdict.rawValue)\">\(metric.deltaText)\(verdict == .better ? " · better" : verdict == .worse ? " · worse" : "")</span></li>\n"
        }
        out += "</ul>\n"
        let unchanged = summary.filter { $0.verdict == .same }
        if !unchanged.isEmpty {
            out += "<p class=\"unchanged\"><strong>The same in both:</strong> "
                + unchanged.map { "\(ReportFormat.escape($0.label)) <span class=\"value\">\($0.aText)</span>" }.joined(separator: " · ") + "</p>\n"
        }
        return section("summary", "What changed (B − A)", out)
    }

    struct Finding {
        var tone: String
        var html: String
    }

    /// Sentences for the changes that matter most: needs met, the needs whose delivery moved
    /// most, expectations that went the other way, replayed inputs refused.
    func findings() -> [Finding] {
        var out: [Finding] = []
        if let met = summary.first(where: { $0.key == "needsUnmet" }) {
            let tone = met.verdict == .better ? "better" : met.verdict == .worse ? "worse" : "same"
            out.append(Finding(tone: tone, html: met.a == met.b
                ? "Both ended with \(met.aText) need\(met.a == 1 ? "" : "s") not fully met."
                : "<span class=\"tag b\">B</span> ended with \(met.bText) need\(met.b == 1 ? "" : "s") not fully met, <span class=\"tag a\">A</span> with \(met.aText)."))
        }
        let moved = needs.compactMap { pair -> (NeedPair, Int)? in pair.deliveredDelta.flatMap { $0 == 0 ? nil : (pair, $0) } }
            .sorted { (abs($1.1), $0.0.name) < (abs($0.1), $1.0.name) }
        for (pair, delta) in moved.prefix(3) {
            let a = pair.a!.deliveredMinute!, b = pair.b!.deliveredMinute!
            out.append(Finding(tone: delta < 0 ? "better" : "worse",
                               html: "<strong>\(ReportFormat.escape(pair.name))</strong> (\(ReportFormat.escape(pair.b!.what))) delivered in full \(ReportFormat.duration(abs(delta))) \(delta < 0 ? "sooner" : "later") in <span class=\"tag b\">B</span> (\(ReportFormat.drillTime(b)) against \(ReportFormat.drillTime(a)))."))
        }
        for pair in needs where pair.a != nil && pair.b != nil && (pair.a!.deliveredMinute == nil) != (pair.b!.deliveredMinute == nil) {
            let inB = pair.b!.deliveredMinute != nil
            let minute = (inB ? pair.b! : pair.a!).deliveredMinute!
            out.append(Finding(tone: inB ? "better" : "worse",
                               html: "<strong>\(ReportFormat.escape(pair.name))</strong> delivered in full only in <span class=\"tag \(inB ? "b\">B" : "a\">A")</span> (at \(ReportFormat.drillTime(minute)))."))
        }
        let flipped = expectations.filter { $0.a != nil && $0.b != nil && $0.a!.held != $0.b!.held }
        let nowHeld = flipped.filter { $0.b!.held }.count, nowFailed = flipped.count - nowHeld
        if nowHeld > 0 { out.append(Finding(tone: "better", html: "\(nowHeld) expectation\(nowHeld == 1 ? "" : "s") held in <span class=\"tag b\">B</span> that failed in <span class=\"tag a\">A</span>.")) }
        if nowFailed > 0 { out.append(Finding(tone: "worse", html: "\(nowFailed) expectation\(nowFailed == 1 ? "" : "s") failed in <span class=\"tag b\">B</span> that held in <span class=\"tag a\">A</span>.")) }
        let refusedA = (a.replay?.refused ?? []).map(\.seq), refusedB = (b.replay?.refused ?? []).map(\.seq)
        func refusals(_ count: Int, _ whose: String) -> Finding {
            Finding(tone: "worse", html: "\(count) input\(count == 1 ? "" : "s") of the real incident refused in \(whose) (see Needs).")
        }
        if !refusedA.isEmpty && refusedA == refusedB {
            out.append(refusals(refusedA.count, "both drills' worlds"))
        } else {
            if !refusedA.isEmpty { out.append(refusals(refusedA.count, "<span class=\"tag a\">A</span>'s world")) }
            if !refusedB.isEmpty { out.append(refusals(refusedB.count, "<span class=\"tag b\">B</span>'s world")) }
        }
        if out.count <= 1 && moved.isEmpty && flipped.isEmpty { out.append(Finding(tone: "same", html: "No need was delivered sooner or later in one drill than in the other.")) }
        return out
    }

    private func needsSection() -> String {
        var out = figure(needsChart(), "Two rows per need, A above B: each bar runs from the need being raised; its colour says what the need was waiting for; a black tick marks delivery. At the right: how it ended, and B − A for delivery (green: B sooner).")
        guard !needs.isEmpty else { return section("needs", "Needs", out) }
        out += "<table class=\"needs compare\">\n<thead><tr><th>Need</th><th>What</th><th class=\"side\"></th><th>Raised</th><th>First proposal</th><th>Applied</th><th>Dispatched</th><th>Delivered</th><th class=\"num\">Unmet at end</th></tr></thead>\n<tbody>\n"
        for pair in needs {
            out += "<tr class=\"need a-row\"><td rowspan=\"3\"><strong>\(ReportFormat.escape(pair.name))</strong><span class=\"sub\">\(ReportFormat.escape(pair.incidentTitle))</span></td>"
            out += "<td rowspan=\"3\">\(ReportFormat.escape(pair.a?.what ?? pair.b?.what ?? ""))\(pair.a != nil && pair.b != nil && pair.a!.what != pair.b!.what ? "<span class=\"sub\">B: \(ReportFormat.escape(pair.b!.what))</span>" : "")</td>"
            out += row(pair.a, side: 0) + "</tr>\n<tr class=\"need b-row\">" + row(pair.b, side: 1) + "</tr>\n"
            out += "<tr class=\"need delta-row\"><td class=\"side\">B − A</td>"
            for delta in [Self.minutes(pair.a?.createdMinute, pair.b?.createdMinute), pair.proposedDelta, pair.appliedDelta, pair.dispatchedDelta, pair.deliveredDelta] {
                out += "<td>\(Self.deltaCell(delta))</td>"
            }
            if let unmet = pair.unmetDelta {
                let tone = unmet < 0 ? "better" : unmet > 0 ? "worse" : "same"
                out += "<td class=\"num\">" + (unmet == 0 ? "<span class=\"same-text\">same</span>"
                    : "<span class=\"chip \(tone)\">\((unmet > 0 ? "+" : "−") + ReportFormat.thousands(unmet.magnitude))</span>") + "</td></tr>\n"
            } else {
                out += "<td class=\"num\"></td></tr>\n"
            }
        }
        out += "</tbody>\n</table>\n"
        for (name, side) in [("A", a), ("B", b)] {
            guard let refused = side.replay?.refused, !refused.isEmpty else { continue }
            out += "<h3>Inputs of the real incident refused in <span class=\"tag \(name.lowercased())\">\(name)</span></h3>\n<table class=\"refused\">\n<thead><tr><th>At</th><th>Input (journal entry)</th><th>Refusal</th></tr></thead>\n<tbody>\n"
            for refusal in refused {
                out += "<tr><td><span class=\"t\">\(ReportFormat.drillTime(refusal.minute))</span></td><td><code>\(ReportFormat.escape(refusal.text))</code><span class=\"sub\">entry \(refusal.seq)</span></td><td>\(ReportFormat.escape(refusal.refusal))</td></tr>\n"
            }
            out += "</tbody>\n</table>\n"
        }
        return section("needs", "Needs", out)
    }

    private func row(_ need: DrillReport.NeedRecord?, side: Int) -> String {
        var out = "<td class=\"side\"><span class=\"tag \(side == 0 ? "a" : "b")\">\(side == 0 ? "A" : "B")</span></td>"
        guard let need else { return out + "<td colspan=\"6\" class=\"never\">not in this drill</td>" }
        for minute in [need.createdMinute, need.firstProposedMinute, need.appliedMinute, need.dispatchedMinute, need.deliveredMinute] {
            out += minute.map { "<td><span class=\"t\">\(ReportFormat.drillTime($0))</span></td>" } ?? "<td class=\"never\">never</td>"
        }
        return out + (need.unmetAtEnd > 0 ? "<td class=\"num unmet\">\(ReportFormat.thousands(need.unmetAtEnd))</td>" : "<td class=\"num met\">0</td>")
    }

    static func minutes(_ a: Int?, _ b: Int?) -> Int? {
        guard let a, let b else { return nil }
        return b - a
    }

    /// B − A for a time: sooner is better.
    static func deltaCell(_ minutes: Int?) -> String {
        guard let minutes else { return "<span class=\"never\">–</span>" }
        guard minutes != 0 else { return "<span class=\"same-text\">same</span>" }
        return "<span class=\"chip \(minutes < 0 ? "better" : "worse")\">\(minutes < 0 ? "−" : "+")\(ReportFormat.duration(abs(minutes)))</span>"
    }

    private func expectationsSection() -> String {
        guard !expectations.isEmpty else {
            return section("expectations", "Expectations", "<p class=\"nodata\">Neither scenario stated an expectation.</p>\n")
        }
        func cell(_ expectation: DrillReport.Expectation?) -> String {
            guard let expectation else { return "<td class=\"never\">not in this scenario</td>" }
            let result = expectation.held ? "<span class=\"held\">✓ held</span>" : "<span class=\"failed\">✗ FAILED</span>"
            return "<td class=\"\(expectation.held ? "held-cell" : "failed-cell")\">\(result) <span class=\"t\">\(ReportFormat.drillTime(expectation.minute))</span><span class=\"sub\">\(ReportFormat.escape(expectation.detail))</span></td>"
        }
        var out = "<table class=\"expectations compare\">\n<thead><tr><th>Expectation</th><th><span class=\"tag a\">A</span></th><th><span class=\"tag b\">B</span></th></tr></thead>\n<tbody>\n"
        for pair in expectations {
            let flipped = pair.a != nil && pair.b != nil && pair.a!.held != pair.b!.held
            out += "<tr\(flipped ? " class=\"flipped\"" : "")><td><code>\(ReportFormat.escape(pair.text))</code></td>\(cell(pair.a))\(cell(pair.b))</tr>\n"
        }
        return section("expectations", "Expectations", out + "</tbody>\n</table>\n")
    }

    private func flowsSection() -> String {
        var out = figure(flowsChart(), "Quantities dispatched from each warehouse to each incident, all dispatches of the drill added up.")
        guard !flows.isEmpty else { return section("flows", "Flows", out) }
        out += "<table class=\"flows compare\">\n<thead><tr><th>From warehouse</th><th>To incident</th><th>Item</th><th class=\"num\"><span class=\"tag a\">A</span></th><th class=\"num\"><span class=\"tag b\">B</span></th><th class=\"num\">B − A</th><th>Regions</th></tr></thead>\n<tbody>\n"
        for flow in flows {
            let delta = flow.b - flow.a
            out += "<tr\(flow.crossRegion ? " class=\"cross\"" : "")><td>\(ReportFormat.escape(flow.warehouse))</td><td>\(ReportFormat.escape(flow.incidentTitle))</td><td>\(ReportFormat.escape(flow.item))</td>"
            out += "<td class=\"num\">\(ReportFormat.thousands(flow.a))<span class=\"sub\">\(flow.dispatchesA) sent</span></td><td class=\"num\">\(ReportFormat.thousands(flow.b))<span class=\"sub\">\(flow.dispatchesB) sent</span></td>"
            out += "<td class=\"num\">\(delta == 0 ? "same" : (delta > 0 ? "+" : "−") + ReportFormat.thousands(delta.magnitude))</td><td>\(flow.crossRegion ? "<strong>across regions</strong>" : "within")</td></tr>\n"
        }
        return section("flows", "Flows", out + "</tbody>\n</table>\n")
    }

    // MARK: pieces

    private func section(_ id: String, _ heading: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(heading)</h2>\n\(body)</section>\n"
    }

    private func figure(_ svg: String, _ caption: String) -> String {
        "<figure>\n\(svg)\n<figcaption>\(ReportFormat.escape(caption))</figcaption>\n</figure>\n"
    }

    /// Added to the report's style sheet: the A and B tags, the findings, cards with both values
    /// and their difference, and the three-row need table.
    static let styleSheet = """
    .tag { display: inline-block; min-width: 1.5em; padding: 0 5px; border-radius: 3px; font-weight: 800; font-size: 0.8em; text-align: center;
      line-height: 1.45; vertical-align: 0.12em; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .tag.a { background: #0072b2; color: #ffffff; }
    .tag.b { background: #e69f00; color: #000000; }
    h1 .tag { font-size: 0.62em; vertical-align: 0.25em; }
    table.sides { margin-top: 4px; }
    table.sides th[scope=row] { width: 130px; background: none; border-bottom: 1px solid #e0e0e0; font-size: 14px; font-weight: 400; color: #555555; }
    table.sides td { width: 44%; }
    ul.findings { list-style: none; margin: 0 0 18px; padding: 0; font-size: 17px; }
    ul.findings li { margin: 6px 0; padding: 8px 14px; border-left: 6px solid #999999; background: #f6f6f6; }
    ul.findings li.better { border-left-color: #009e73; background: #e9f6f1; }
    ul.findings li.worse { border-left-color: #d55e00; background: #fff3ea; }
    .strip.compare { grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
    .strip.compare .card { border-left-color: #999999; display: flex; flex-direction: column; gap: 4px; }
    .strip.compare .card.better { border-left-color: #009e73; }
    .strip.compare .card.worse { border-left-color: #d55e00; background: #fff8f2; }
    .strip.compare .card .value { display: inline; font-size: 22px; margin-right: 8px; white-space: nowrap; }
    .strip.compare .card .pair { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 4px; }
    .strip.compare .card .side-value { white-space: nowrap; }
    p.unchanged { margin: 12px 0 0; color: #555555; font-size: 14px; }
    p.unchanged .value { font-weight: 700; color: #1a1a1a; }
    .same-text { color: #8a8a8a; font-size: 12px; }
    .strip.compare .card .what { order: -1; }
    .chip { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 700; white-space: nowrap; align-self: flex-start;
      -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .chip.better { background: #d8efe6; color: #00694a; }
    .chip.worse { background: #fde3cf; color: #a34400; }
    .chip.same, .chip.different { background: #eeeeee; color: #444444; }
    .worse { color: #a34400; }
    table.compare tr.need td { border-bottom: none; padding-top: 3px; padding-bottom: 3px; }
    table.compare tr.delta-row td { border-bottom: 1px solid #cfcfcf; padding-bottom: 8px; }
    table.compare td.side { width: 44px; white-space: nowrap; font-size: 12px; color: #555555; }
    tr.flipped td { background: #fffbe6; }
    td.held-cell .sub, td.failed-cell .sub { margin-top: 2px; }
    td.failed-cell { background: #fff3ea; }
    h3 { margin: 18px 0 8px; font-size: 17px; }
    svg .tag-letter { font-size: 12px; font-weight: 800; }
    @media print { ul.findings li, .card { break-inside: avoid; } }

    """
}
