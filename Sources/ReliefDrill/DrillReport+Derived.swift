/// Figures the report shows that follow from its stored fields, computed in one place so the HTML
/// and any other reader agree on them.
extension DrillReport {
    /// Flows from a warehouse to an incident in another region.
    public var crossRegionTransfers: Int { flows.lazy.filter(\.crossRegion).count }

    /// The last drill minute anything in the report happened at, or the scenario's end when that is
    /// later: the right edge of every time axis, so all charts share one.
    public var lastMinute: Int {
        var last = scenario.endMinute
        for point in timeline { last = max(last, point.minute) }
        for need in needs {
            for minute in [need.createdMinute, need.firstProposedMinute, need.appliedMinute, need.dispatchedMinute, need.deliveredMinute] {
                if let minute { last = max(last, minute) }
            }
            for reason in need.reasons { last = max(last, reason.minute) }
        }
        for series in stock.series { for point in series.points { last = max(last, point.minute) } }
        for expectation in expectations { last = max(last, expectation.minute) }
        return last
    }

    /// Needs in the order they were raised (ties by id), whatever order the runner listed them in.
    var needsInOrder: [NeedRecord] {
        needs.sorted { ($0.createdMinute, $0.id) < ($1.createdMinute, $1.id) }
    }

    /// Failures first, then by the scenario line that states them.
    var expectationsInOrder: [Expectation] {
        expectations.sorted { a, b in
            if a.held != b.held { return !a.held }
            return (a.line, a.minute, a.text) < (b.line, b.minute, b.text)
        }
    }

    func incidentTitle(_ id: String) -> String {
        incidents.first { $0.id == id }?.title ?? id
    }
}

extension DrillReport.NeedRecord {
    /// The stages the need went through, each with the drill minute it was reached; a stage never
    /// reached is left out, and a stage recorded before the one it follows is moved up to it, so
    /// durations are never negative.
    var stages: [(stage: DrillReport.NeedStage, minute: Int)] {
        var out: [(DrillReport.NeedStage, Int)] = [(.created, createdMinute)]
        var last = createdMinute
        for (stage, minute) in [(DrillReport.NeedStage.proposed, firstProposedMinute), (.applied, appliedMinute),
                                (.dispatched, dispatchedMinute), (.delivered, deliveredMinute)] {
            guard let minute else { continue }
            last = max(last, minute)
            out.append((stage, last))
        }
        return out
    }

    /// Consecutive reasons that say the same with the same amount missing, as one entry with the
    /// first and last minute and how many times it was given: a runner that records the reason on
    /// every planning round would otherwise fill the table with repeats.
    var reasonRuns: [(first: Int, last: Int, times: Int, missing: Int64, reason: String)] {
        var runs: [(first: Int, last: Int, times: Int, missing: Int64, reason: String)] = []
        for reason in reasons.sorted(by: { ($0.minute, $0.missing, $0.reason) < ($1.minute, $1.missing, $1.reason) }) {
            if let previous = runs.last, previous.reason == reason.reason, previous.missing == reason.missing {
                runs[runs.count - 1].last = reason.minute
                runs[runs.count - 1].times += 1
            } else {
                runs.append((reason.minute, reason.minute, 1, reason.missing, reason.reason))
            }
        }
        return runs
    }
}

extension DrillReport {
    /// Where a need stands: raised, offered something by a proposal, in an applied plan, sent,
    /// delivered (or on scene).
    enum NeedStage: Int, CaseIterable {
        case created, proposed, applied, dispatched, delivered

        /// What the need was waiting for while in this stage, for the chart's legend.
        var waitingFor: String {
            switch self {
            case .created: return "waiting for a proposal"
            case .proposed: return "proposed, waiting to be applied"
            case .applied: return "applied, waiting for dispatch"
            case .dispatched: return "dispatched, on the way"
            case .delivered: return "delivered"
            }
        }
    }
}
