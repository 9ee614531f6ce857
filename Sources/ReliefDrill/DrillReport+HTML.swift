/// The after-action report as one self-contained HTML page: inline CSS and inline SVG, no script,
/// nothing fetched (its Content-Security-Policy forbids it, should anything slip in), so it opens
/// from a USB stick on a laptop without a network. The same report gives the same page byte for
/// byte: no rendering date, stable orders, numbers written by `ReportFormat`.
extension DrillReport {
    public func html() -> String {
        let clock = DrillClock(start: scenario.start)
        let end = max(lastMinute, 1)
        let name = ReportFormat.escape(scenario.name)
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="robots" content="noindex">
        <meta name="drill-status" content="Exercise">
        <title>EXERCISE — After-action report: \(name)</title>
        <style>\n\(Self.styleSheet)</style>
        </head>
        <body>
        <div class="exercise" id="exercise-banner" role="note" aria-label="Exercise"><span class="exercise-word">EXERCISE · EXERCISE · EXERCISE</span><span class="exercise-note">A drill, not a real event: nothing in this report happened.</span></div>
        <main>
        <header>
        <p class="kicker">Drill after-action report · EXERCISE</p>
        <h1>\(name)</h1>

        """
        out += scenarioFacts(clock: clock)
        out += "</header>\n"
        out += """
        <nav aria-label="Sections"><a href="#summary">Summary</a><a href="#expectations">Expectations</a>\
        <a href="#timeline">Open and unmet needs</a><a href="#needs">Needs</a><a href="#stock">Stock</a>\
        <a href="#map">Map</a><a href="#flows">Flows</a><a href="#plans">Plans</a>\(replay == nil ? "" : "<a href=\"#replay\">Replay</a>")</nav>

        """
        out += summarySection()
        out += expectationsSection(clock: clock)
        out += section("timeline", "Open and unmet needs",
                       figure(timelineChart(end: end, clock: clock),
                              "A need is open from the moment it is raised until all of it is delivered (or on scene); it is unmet while a plan left part of it missing. Marks above the plot: when each expectation was decided (hover for what it said)."))
        out += needsSection(end: end, clock: clock)
        out += section("stock", "Stock by warehouse",
                       figure(stockChart(end: end, clock: clock),
                              "Available quantity (on hand, not reserved) of each item the drill's needs asked for. Each cell has its own vertical scale starting at 0; compare warehouses by the numbers beside the cells."))
        out += section("map", "Where the stock went",
                       figure(mapChart(), "Lines run from a warehouse (square) to an incident (triangle); their width grows with the quantity sent. Dashed purple lines crossed a region's boundary."))
        out += flowsSection(clock: clock)
        out += plansSection(clock: clock)
        if let replay { out += replaySection(replay, clock: clock) }
        out += """
        </main>
        <footer class="exercise exercise-end" role="note"><span class="exercise-word">END OF EXERCISE REPORT</span><span class="exercise-note">\(name) · seed \(scenario.seed) · everything above is an exercise.</span></footer>
        </body>
        </html>

        """
        return out
    }

    // MARK: sections

    private func scenarioFacts(clock: DrillClock?) -> String {
        var facts: [(String, String)] = [
            ("Scenario file", "<code>\(ReportFormat.escape(scenario.file))</code>"),
            ("Started from", ReportFormat.escape(scenario.from)),
            ("Seed", "<code>\(scenario.seed)</code>"),
        ]
        if let clock {
            facts.append(("Clock start", "T+00:00 = \(ReportFormat.escape(clock.wallClock(0)))"))
            facts.append(("Length", "\(ReportFormat.duration(scenario.endMinute)) (ends \(ReportFormat.drillTime(scenario.endMinute)) = \(ReportFormat.escape(clock.wallClock(scenario.endMinute))))"))
        } else {
            facts.append(("Clock start", "T+00:00 = \(ReportFormat.escape(scenario.start))"))
            facts.append(("Length", "\(ReportFormat.duration(scenario.endMinute)) (ends \(ReportFormat.drillTime(scenario.endMinute)))"))
        }
        facts.append(("Injects", ReportFormat.thousands(summary.injects)))
        if let replay {
            facts.append(("Replays", "incident <code>\(ReportFormat.escape(replay.incident))</code>: \(ReportFormat.thousands(replay.inputs)) of its inputs"
                          + (replay.refused.isEmpty ? "" : ", <strong class=\"unmet\">\(replay.refused.count) refused here</strong>") + " (<a href=\"#replay\">below</a>)"))
        }
        var out = "<dl class=\"facts\">\n"
        for (term, value) in facts { out += "<div><dt>\(term)</dt><dd>\(value)</dd></div>\n" }
        return out + "</dl>\n"
    }

    private func summarySection() -> String {
        let needsTotal = summary.needsMet + summary.needsUnmet
        let cards: [(value: String, label: String, bad: Bool)] = [
            (ReportFormat.thousands(summary.needsMet), "needs met of \(ReportFormat.thousands(needsTotal))", false),
            (ReportFormat.thousands(summary.needsUnmet), "needs unmet at the end", summary.needsUnmet > 0),
            (ReportFormat.thousands(summary.expectationsHeld), "expectations held", false),
            (ReportFormat.thousands(summary.expectationsFailed), "expectations failed", summary.expectationsFailed > 0),
            ("\(ReportFormat.thousands(summary.plansProposed)) / \(ReportFormat.thousands(summary.plansApplied))", "plans proposed / applied", false),
            (ReportFormat.thousands(people.volunteersDeployed), "volunteers deployed", false),
            (ReportFormat.thousands(people.teamsDeployed), "teams deployed", false),
            (ReportFormat.oneDecimal(people.hours), "hours on scene, all people", false),
            (ReportFormat.thousands(people.restLimitRefusals), "left out for rest or duty-hour limits", false),
            (ReportFormat.thousands(people.noShows), "no-shows", false),
            (ReportFormat.thousands(crossRegionTransfers), "cross-region transfers", false),
        ]
        var out = "<ul class=\"strip\">\n"
        for card in cards {
            out += "<li class=\"card\(card.bad ? " bad" : "")\"><span class=\"value\">\(card.value)</span><span class=\"what\">\(card.label)</span></li>\n"
        }
        return section("summary", "Summary", out + "</ul>\n")
    }

    private func expectationsSection(clock: DrillClock?) -> String {
        guard !expectations.isEmpty else {
            return section("expectations", "Expectations", "<p class=\"nodata\">The scenario stated no expectations.</p>\n")
        }
        var out = "<table class=\"expectations\">\n<thead><tr><th>Result</th><th>Line</th><th>Expectation</th><th>What was seen</th><th>Decided</th></tr></thead>\n<tbody>\n"
        for expectation in expectationsInOrder {
            let result = expectation.isPending ? "<span class=\"pending\">… pending</span>"
                : expectation.held ? "<span class=\"held\">✓ held</span>" : "<span class=\"failed\">✗ FAILED</span>"
            let row = expectation.isPending ? "pending-row" : expectation.held ? "held-row" : "failed-row"
            out += "<tr class=\"\(row)\"><td>\(result)</td><td class=\"num\">\(expectation.line)</td>"
            out += "<td><code>\(ReportFormat.escape(expectation.text))</code></td><td>\(ReportFormat.escape(expectation.detail))</td>"
            out += "<td>\(time(expectation.minute, clock))</td></tr>\n"
        }
        return section("expectations", "Expectations", out + "</tbody>\n</table>\n")
    }

    private func needsSection(end: Int, clock: DrillClock?) -> String {
        var out = figure(leadTimeChart(end: end, clock: clock),
                         "Each bar runs from the need being raised; its colour says what the need was waiting for. Triangles mark the times a plan left it unmet (hover for the reason); a black tick marks delivery.")
        guard !needs.isEmpty else {
            return section("needs", "Needs", out)
        }
        out += "<table class=\"needs\">\n<thead><tr><th>Need</th><th>Incident</th><th>What</th><th class=\"num\">Priority</th><th>Raised</th>"
        out += "<th>First proposal</th><th>Applied</th><th>Dispatched</th><th>Delivered</th><th class=\"num\">Unmet at end</th></tr></thead>\n<tbody>\n"
        for need in needsInOrder {
            let stages = need.stages
            out += "<tr class=\"need\"><td><strong>\(ReportFormat.escape(need.ref ?? need.id))</strong>"
            if need.ref != nil { out += "<span class=\"sub\">\(ReportFormat.escape(need.id))</span>" }
            out += "</td><td>\(ReportFormat.escape(incidentTitle(need.incident)))</td><td>\(ReportFormat.escape(need.what))</td>"
            out += "<td class=\"num\">\(need.priority)</td><td>\(time(need.createdMinute, clock))</td>"
            for stage in [NeedStage.proposed, .applied, .dispatched, .delivered] {
                guard let index = stages.firstIndex(where: { $0.stage == stage }) else {
                    out += "<td class=\"never\">never</td>"
                    continue
                }
                let minute = stages[index].minute, previous = stages[index - 1]
                out += "<td>\(time(minute, clock))<span class=\"delta\" title=\"since \(Self.stageName(previous.stage))\">+\(ReportFormat.duration(minute - previous.minute))</span></td>"
            }
            if need.unmetAtEnd > 0 {
                out += "<td class=\"num unmet\">\(ReportFormat.thousands(need.unmetAtEnd))</td></tr>\n"
            } else {
                out += "<td class=\"num met\">0</td></tr>\n"
            }
            let runs = need.reasonRuns
            guard !runs.isEmpty else { continue }
            out += "<tr class=\"reasons\"><td></td><td colspan=\"9\"><ul>"
            for run in runs {
                var when = time(run.first, clock)
                if run.times > 1 { when += "–\(time(run.last, clock)) <span class=\"sub\">(\(run.times)×)</span>" }
                out += "<li>\(when) <strong>\(ReportFormat.thousands(run.missing)) missing</strong>: \(ReportFormat.escape(run.reason))</li>"
            }
            out += "</ul></td></tr>\n"
        }
        return section("needs", "Needs", out + "</tbody>\n</table>\n")
    }

    private func flowsSection(clock: DrillClock?) -> String {
        guard !flows.isEmpty else {
            return section("flows", "Flows", "<p class=\"nodata\">Nothing was dispatched from a warehouse during the drill.</p>\n")
        }
        let ordered = flows.sorted { ($0.minute, $0.warehouse, $0.incident, $0.item, $0.quantity) < ($1.minute, $1.warehouse, $1.incident, $1.item, $1.quantity) }
        var out = "<table class=\"flows\">\n<thead><tr><th>Sent</th><th>From warehouse</th><th>To incident</th><th>Item</th><th class=\"num\">Quantity</th><th>Regions</th></tr></thead>\n<tbody>\n"
        for flow in ordered {
            out += "<tr\(flow.crossRegion ? " class=\"cross\"" : "")><td>\(time(flow.minute, clock))</td><td>\(ReportFormat.escape(flow.warehouse))</td>"
            out += "<td>\(ReportFormat.escape(incidentTitle(flow.incident)))</td><td>\(ReportFormat.escape(flow.item))</td>"
            out += "<td class=\"num\">\(ReportFormat.thousands(flow.quantity))</td><td>\(flow.crossRegion ? "<strong>across regions</strong>" : "within")</td></tr>\n"
        }
        let intro = "<p>\(ReportFormat.thousands(flows.count)) flows, \(ReportFormat.thousands(crossRegionTransfers)) of them across regions.</p>\n"
        return section("flows", "Flows", intro + out + "</tbody>\n</table>\n")
    }

    private func plansSection(clock: DrillClock?) -> String {
        guard !plans.isEmpty else {
            return section("plans", "Plans", "<p class=\"nodata\">No plan was proposed during the drill.</p>\n")
        }
        var out = "<table class=\"plans\">\n<thead><tr><th>Plan</th><th>Proposed</th><th class=\"num\">Lines</th><th>Applied</th><th>Time to apply</th></tr></thead>\n<tbody>\n"
        for plan in plans.sorted(by: { ($0.minute, $0.id) < ($1.minute, $1.id) }) {
            out += "<tr><td><code>\(ReportFormat.escape(plan.id))</code></td><td>\(time(plan.minute, clock))</td><td class=\"num\">\(ReportFormat.thousands(plan.lines))</td>"
            if let applied = plan.appliedMinute {
                out += "<td>\(time(applied, clock))</td><td>\(ReportFormat.duration(applied - plan.minute))</td></tr>\n"
            } else {
                out += "<td class=\"never\">not applied</td><td></td></tr>\n"
            }
        }
        return section("plans", "Plans", out + "</tbody>\n</table>\n")
    }

    /// What of the real incident was replayed, what was left to the simulated officer, and which
    /// of its inputs the drill's world refused.
    private func replaySection(_ replay: Replay, clock: DrillClock?) -> String {
        var out = "<p>The drill started from the live store as it was just before incident <code>\(ReportFormat.escape(replay.incident))</code> was opened "
        out += "(journal entry \(replay.openedSeq), at \(ReportFormat.escape(replay.openedAt))) and replayed its inputs up to its "
        out += replay.closedMinute.map { "closing at \(time($0, clock)) (entry \(replay.lastSeq); the closing itself is the officer's)" } ?? "last entry (\(replay.lastSeq)), at \(time(replay.lastMinute, clock))"
        out += ": \(ReportFormat.thousands(replay.inputs)) inputs played as injects.</p>\n"
        let left = DrillComparison.officerWords(replay.leftToTheOfficer)
        if !left.isEmpty { out += "<p>Left to the simulated officer: the real officer's \(ReportFormat.escape(left)).</p>\n" }
        var notes: [String] = []
        if replay.afterTheEnd > 0 { notes.append("\(replay.afterTheEnd) input\(replay.afterTheEnd == 1 ? "" : "s") after the drill's end") }
        if replay.inexpressible > 0 { notes.append("\(replay.inexpressible) stock receipt\(replay.inexpressible == 1 ? "" : "s") no request can make") }
        if !notes.isEmpty { out += "<p>Not replayed: \(notes.joined(separator: "; ")).</p>\n" }
        guard !replay.refused.isEmpty else {
            return section("replay", "Replay", out + "<p>Every replayed input applied in the drill's world.</p>\n")
        }
        out += "<table class=\"refused\">\n<thead><tr><th>At</th><th>Input (journal entry)</th><th>Refused in the drill's world</th></tr></thead>\n<tbody>\n"
        for refusal in replay.refused {
            out += "<tr><td>\(time(refusal.minute, clock))</td><td><code>\(ReportFormat.escape(refusal.text))</code><span class=\"sub\">entry \(refusal.seq)</span></td>"
            out += "<td>\(ReportFormat.escape(refusal.refusal))</td></tr>\n"
        }
        return section("replay", "Replay", out + "</tbody>\n</table>\n")
    }

    // MARK: pieces

    private func section(_ id: String, _ heading: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(heading)</h2>\n\(body)</section>\n"
    }

    private func figure(_ svg: String, _ caption: String) -> String {
        "<figure>\n\(svg)\n<figcaption>\(ReportFormat.escape(caption))</figcaption>\n</figure>\n"
    }

    /// T+02:10, with the wall-clock time as its tooltip when the clock start is known.
    private func time(_ minute: Int, _ clock: DrillClock?) -> String {
        guard let clock else { return "<span class=\"t\">\(ReportFormat.drillTime(minute))</span>" }
        return "<span class=\"t\" title=\"\(ReportFormat.escape(clock.wallClock(minute)))\">\(ReportFormat.drillTime(minute))</span>"
    }

    private static func stageName(_ stage: NeedStage) -> String {
        switch stage {
        case .created: return "raised"
        case .proposed: return "first proposal"
        case .applied: return "applied"
        case .dispatched: return "dispatched"
        case .delivered: return "delivered"
        }
    }

    /// Sized for a laptop screen and for A4: the charts scale down with the page, the exercise
    /// banner stays on screen while scrolling and is printed in colour, and every printed page
    /// carries the exercise mark at its foot.
    static let styleSheet = """
    :root { color-scheme: light; }
    * { box-sizing: border-box; }
    body { margin: 0; background: #ffffff; color: #1a1a1a; font: 15px/1.45 "DejaVu Sans", "Segoe UI", Arial, sans-serif; }
    .exercise { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; align-items: center; justify-content: center; gap: 4px 18px;
      padding: 10px 16px; color: #000000; border-bottom: 3px solid #000000;
      background: repeating-linear-gradient(-45deg, #f0e442 0 18px, #1a1a1a 18px 36px);
      -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .exercise-word, .exercise-note { background: #f0e442; padding: 3px 12px; border: 2px solid #000000; }
    .exercise-word { font-size: 22px; font-weight: 800; letter-spacing: 0.14em; }
    .exercise-note { font-size: 14px; font-weight: 700; }
    .exercise-end { position: static; border-top: 3px solid #000000; margin-top: 40px; }
    main { max-width: 1180px; margin: 0 auto; padding: 8px 24px 24px; }
    .kicker { margin: 18px 0 0; font-size: 13px; font-weight: 700; letter-spacing: 0.08em; text-transform: uppercase; color: #8a3b00; }
    h1 { margin: 2px 0 12px; font-size: 30px; line-height: 1.2; overflow-wrap: anywhere; }
    h2 { margin: 0 0 12px; padding-bottom: 4px; font-size: 21px; border-bottom: 2px solid #1a1a1a; }
    section { margin-top: 34px; }
    code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.92em; overflow-wrap: anywhere; }
    .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 0 32px; margin: 0; }
    .facts div { display: flex; gap: 10px; padding: 4px 0; border-bottom: 1px solid #e6e6e6; }
    .facts dt { flex: 0 0 120px; color: #555555; }
    .facts dd { margin: 0; overflow-wrap: anywhere; }
    nav { display: flex; flex-wrap: wrap; gap: 6px; margin: 20px 0 0; }
    nav a { padding: 3px 10px; border: 1px solid #b5b5b5; border-radius: 14px; color: #004d80; text-decoration: none; font-size: 14px; }
    .strip { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
    .card { border: 1px solid #c8c8c8; border-left: 6px solid #0072b2; border-radius: 4px; padding: 8px 12px; }
    .card .value { display: block; font-size: 28px; font-weight: 700; font-variant-numeric: tabular-nums; }
    .card .what { display: block; font-size: 13px; color: #444444; }
    .card.bad { border-left-color: #d55e00; background: #fff3ea; }
    .card.bad .value { color: #a34400; }
    table { width: 100%; border-collapse: collapse; font-size: 14px; }
    th, td { padding: 6px 8px; text-align: left; vertical-align: top; border-bottom: 1px solid #e0e0e0; }
    /* Any id or reason, however long, wraps inside its cell rather than widening the table. */
    td { overflow-wrap: anywhere; }
    th { background: #efefef; border-bottom: 2px solid #999999; font-size: 13px; }
    .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .held { color: #00694a; font-weight: 700; white-space: nowrap; }
    .pending { color: #555; font-weight: 700; white-space: nowrap; }
    tr.need td:first-child { min-width: 150px; }
    .failed { color: #a34400; font-weight: 800; white-space: nowrap; }
    tr.failed-row { background: #fff3ea; }
    .t { white-space: nowrap; font-variant-numeric: tabular-nums; }
    .delta, .sub { display: block; color: #666666; font-size: 12px; }
    .reasons .sub { display: inline; }
    .never { color: #8a8a8a; font-style: italic; }
    .unmet { color: #a34400; font-weight: 700; }
    .met { color: #666666; }
    tr.need td { border-bottom: none; }
    tr.reasons td { padding-top: 0; font-size: 13px; color: #333333; }
    tr.reasons ul { margin: 0; padding-left: 18px; }
    tr.cross td { background: #f8eef4; }
    .nodata { color: #666666; font-style: italic; }
    figure { margin: 8px 0 16px; overflow-x: auto; }
    figcaption { margin-top: 6px; font-size: 13px; color: #555555; max-width: 900px; }
    svg.chart { display: block; max-width: 100%; height: auto; fill: #1a1a1a; font-family: "DejaVu Sans", Arial, sans-serif; }
    svg .title { font-size: 18px; font-weight: 700; }
    svg .label, svg .legend, svg .axis-title { font-size: 13px; }
    svg .label-strong { font-size: 13px; font-weight: 700; }
    svg .tick { font-size: 12px; }
    svg .tick:not([fill]) { fill: #4d4d4d; }
    svg .tick-strong { font-size: 12px; font-weight: 700; }
    svg .nodata { font-size: 15px; font-style: italic; fill: #666666; }
    svg .map-label { font-size: 12px; }
    svg .map-incident { font-size: 13px; font-weight: 700; }
    @page { size: A4 landscape; margin: 12mm 10mm 16mm;
      @bottom-center { content: "EXERCISE — drill report, not a real event"; font: 700 9pt "DejaVu Sans", Arial, sans-serif; letter-spacing: 0.1em; }
      @bottom-right { content: counter(page) " / " counter(pages); font: 9pt "DejaVu Sans", Arial, sans-serif; } }
    @media print {
      body { font-size: 10pt; }
      .exercise { position: static; }
      nav { display: none; }
      main { max-width: none; padding: 0; }
      section { break-inside: auto; }
      h2 { break-after: avoid; }
      figure, tr, .card { break-inside: avoid; }
      figure { overflow: visible; }
      /* A chart taller than a page shrinks to fit one, keeping its heading with it. */
      svg.chart { width: auto; height: auto; max-width: 100%; max-height: 150mm; }
    }

    """
}
