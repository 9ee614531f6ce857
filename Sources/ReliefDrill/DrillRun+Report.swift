import Foundation
import ReliefCore

/// The after-action report of a drill, from what the recorder kept and the state as it is now
/// (at the end, or at any moment of a running drill: then expectations still open say "pending").
extension DrillRun {
    public func report() -> DrillReport {
        let expectations = reportExpectations()
        let needIDs = recorder.needOrder
        let needs = needIDs.compactMap { state.needs[$0] }
        let records = needs.map(needRecord)
        let open = needs.filter { $0.status == .open && state.incidents[$0.incident]?.status != .closed }
        let met = open.filter { state.committedAmount(of: $0.id) >= $0.request.amount }.count
        var timeline = recorder.timeline
        if !isFinished, timeline.last!.minute < minute {
            let counts = recorder.counts
            timeline.append(.init(minute: minute, openNeeds: counts.open, unmetNeeds: counts.unmet))
        }
        return DrillReport(
            scenario: .init(name: scenario.name, file: scenario.file, from: scenario.from.text, seed: scenario.seed,
                            start: clockStart.iso8601, endMinute: scenario.endMinute),
            summary: .init(injects: injectsRun, plansProposed: recorder.plans.count,
                           plansApplied: recorder.plans.filter { $0.applied != nil }.count,
                           expectationsHeld: expectations.filter(\.held).count, expectationsFailed: expectations.filter { !$0.held && !$0.isPending }.count,
                           needsMet: met, needsUnmet: open.count - met),
            expectations: expectations, needs: records, timeline: timeline,
            stock: .init(warehouses: state.warehouses.keys.sorted().map(warehousePlace), series: stockSeries(for: needs)),
            incidents: incidentPlaces(needs), flows: recorder.flows, people: people(),
            plans: recorder.plans.map { .init(id: $0.id, minute: $0.minute, lines: $0.lines, appliedMinute: $0.applied) },
            replay: replayRecord())
    }

    func replayRecord() -> DrillReport.Replay? {
        guard let replay = scenario.replay, let source = replay.source else { return nil }
        return .init(incident: replay.incident, openedSeq: source.openedSeq, lastSeq: source.lastSeq, openedAt: source.openedAt,
                     closedMinute: source.closedMinute, lastMinute: source.lastMinute, inputs: replayedInputs,
                     leftToTheOfficer: source.leftToTheOfficer, afterTheEnd: source.afterTheEnd, inexpressible: source.inexpressible,
                     refused: replayRefusals)
    }

    func needRecord(_ need: Need) -> DrillReport.NeedRecord {
        let times = recorder.needs[need.id] ?? DrillRecorder.NeedTimes()
        let missing = need.status == .cancelled ? 0 : (state.progress(of: need.id)?.missing ?? 0)
        return DrillReport.NeedRecord(
            id: need.id, ref: need.ref, incident: need.incident, what: reportWhat(need), priority: need.priority,
            createdMinute: clockStart.minute(of: need.createdAt), firstProposedMinute: times.firstProposed, appliedMinute: times.applied,
            dispatchedMinute: times.dispatched, deliveredMinute: times.delivered, unmetAtEnd: missing, reasons: times.reasons)
    }

    /// `water-5l × 12,000 bottle`, `4 swiftwater-rescue volunteers for 12 h`, `2 water-rescue teams for 12 h`.
    func reportWhat(_ need: Need) -> String {
        switch need.request {
        case .supply(let sku, let quantity): "\(sku) × \(DrillRun.grouped(quantity)) \(state.items[sku]?.unit ?? "units")"
        case .volunteers, .teams: describe(need)
        }
    }

    func warehousePlace(_ id: String) -> DrillReport.WarehousePlace {
        let warehouse = state.warehouses[id]!
        return .init(id: id, name: warehouse.name, region: warehouse.region, latitude: warehouse.location.latitude,
                     longitude: warehouse.location.longitude)
    }

    /// Available stock of every item the needs asked for, in every warehouse that held it at any
    /// moment of the drill: the value at T+00:00, after each change (one point per minute), and now.
    func stockSeries(for needs: [Need]) -> [DrillReport.StockSeries.Series] {
        let items = Set(needs.compactMap { need -> String? in if case .supply(let sku, _) = need.request { sku } else { nil } })
        var series: [DrillReport.StockSeries.Series] = []
        for warehouse in state.warehouses.keys.sorted() {
            for item in items.sorted() {
                let key = StockKey(warehouse: warehouse, item: item)
                let atStart = startState.stock(warehouse: warehouse, sku: item)
                let changes = recorder.stock[key] ?? []
                guard atStart != nil || !changes.isEmpty else { continue }
                var points = [DrillReport.StockSeries.Point(minute: 0, available: atStart?.available ?? 0)]
                for change in changes {
                    if points.last!.minute == change.minute { points.removeLast() }
                    points.append(change)
                }
                if points.last!.minute < minute {
                    points.append(.init(minute: minute, available: state.stock(warehouse: warehouse, sku: item)?.available ?? 0))
                }
                series.append(.init(warehouse: warehouse, item: item, unit: state.items[item]?.unit ?? "", points: points))
            }
        }
        return series
    }

    /// Incidents opened during the drill and those of the needs it played, by id.
    func incidentPlaces(_ needs: [Need]) -> [DrillReport.IncidentPlace] {
        let ids = Set(recorder.incidentsOpened).union(needs.map(\.incident))
        return ids.sorted().compactMap { id in
            guard let incident = state.incidents[id] else { return nil }
            return .init(id: id, title: incident.title, kind: incident.kind.rawValue, region: incident.region,
                         latitude: incident.location.latitude, longitude: incident.location.longitude)
        }
    }

    /// Everyone assigned during the drill (team members included), the teams, and their hours on
    /// scene (released, or still there now), to a tenth of an hour.
    func people() -> DrillReport.People {
        var milliseconds: Int64 = 0
        for id in recorder.assignments {
            guard let assignment = state.assignments[id] else { continue }
            if assignment.status == .released {
                milliseconds += assignment.hoursMilliseconds
            } else if assignment.status == .onScene, let since = state.volunteers[assignment.volunteer]?.onDutySince {
                milliseconds += now.milliseconds - since.milliseconds
            }
        }
        let tenths = (milliseconds * 10 + 1_800_000) / 3_600_000
        return .init(volunteersDeployed: recorder.volunteersAssigned.count, teamsDeployed: recorder.teamsAssigned.count,
                     hours: Double(tenths) / 10, restLimitRefusals: recorder.restLimitRefusals, noShows: recorder.noShows)
    }
}
