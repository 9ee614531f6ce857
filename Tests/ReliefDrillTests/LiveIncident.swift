import Foundation
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefDrill

/// A real incident handled live through an `Engine` on a clock moved by hand: the journal a
/// what-if replays. The world is DrillWorld's (two warehouses, 1,000 bottles each, 200 more
/// received at Taiyuan before the flood) and a small roster; the flood north of Taiyuan needs
/// 3,000 bottles, more than the province holds until a donation arrives at Jinzhong six hours in.
/// Its officer plans, applies, dispatches, delivers and releases by hand, and closes it at T+08:20.
struct LiveIncident {
    /// 06:00:27 UTC: the drill's clock starts at 06:00, the minute of the opening.
    static let opening = Timestamp(milliseconds: DrillWorld.startTime.milliseconds + 27_000)
    static let world = DrillWorld.base + "\n" + DrillWorld.volunteers(6)

    let engine = Engine(state: State(), clock: .fixed(DrillWorld.startTime))
    /// Every entry, from the world's first on: the live journal.
    private(set) var journal: [Entry] = []
    /// The live state just before `incident open f`.
    private(set) var before = State()
    /// The request lines that were the incident's inputs, with the minute (after the opening's
    /// minute) each was sent at, as the replay must give them back.
    private(set) var inputs: [(minute: Int, line: String)] = []

    init() throws {
        for line in Self.world.split(separator: "\n") { try send(-240, String(line)) }
        // What the world did before the incident is in the state the drill starts from.
        try send(-120, "stock receive ty-01 water-5l 200 lot=EARLY expires=2027-06-30 supplier=S")
        try send(-30, "incident open g title=\"Earlier landslide\" kind=landslide at=37.95,112.60 region=shanxi/taiyuan severity=2 affected=40")
        try send(-25, "need add g supply water-5l 100 priority=3 by=1d ref=g-water")
        before = engine.state

        try send(0, "incident open f title=\"Flood, north of Taiyuan\" kind=flood at=38.23,112.55 region=shanxi/taiyuan severity=3 affected=1000", input: true)
        try send(5, "need add f supply water-5l 3000 priority=1 by=2026-07-16T06:00:00Z note=\"evacuation centre\" ref=f-water", input: true)
        try send(6, "need add f volunteers registration 2 hours=4 priority=2 by=12h", input: true)
        try send(20, "plan")
        try send(25, "plan apply")
        try officer(40, .reserved, "allocation dispatch")
        try send(60, "incident update f affected=1500 note=\"the second village\"", input: true)
        try officer(100, .dispatched, "allocation deliver")
        // Another incident's need meanwhile is not an input of this one.
        try send(150, "need add g supply water-5l 50 priority=4 by=1d")
        try send(200, "need add f supply water-5l 100 priority=3 by=1d ref=f-extra", input: true)
        try send(205, "need cancel f-extra reason=\"counted twice\"", input: true)
        try send(210, "incident status f active note=\"teams on the ground\"", input: true)
        try send(360, "stock receive jz-01 water-5l 1500 lot=DON-1 expires=2027-07-31 donor=\"Shanxi Coal Union\"", input: true)
        try send(370, "need change f-water qty=3200 priority=1", input: true)
        try send(380, "plan")
        try send(385, "plan apply")
        try officer(400, .reserved, "allocation dispatch")
        try officer(470, .dispatched, "allocation deliver")
        for id in engine.state.assignmentList(incident: "f").filter({ $0.status.isActive }).map(\.id) {
            try send(480, "assignment release \(id)")
        }
        try send(490, "need cancel N-000003 reason=\"registration done\"", input: true)
        try send(495, "need change f-water by=2026-07-16T12:00:00Z", input: true)
        try send(500, "incident status f closed note=\"water delivered\"")
        // After the closing, nothing is part of the incident's span.
        try send(600, "stock receive ty-01 water-5l 999 lot=LATE expires=2027-06-30 supplier=S")
    }

    /// Sends `line` `minute` minutes after the opening.
    mutating func send(_ minute: Int, _ line: String, input: Bool = false) throws {
        engine.clock = .fixed(Timestamp(milliseconds: Self.opening.milliseconds + Int64(minute) * 60_000))
        let outcome = engine.handle(line: line, actor: "uid:1000")
        if case .error(let code, let message) = outcome.reply {
            throw NSError(domain: "LiveIncident", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(line): ERR \(code) \(message)"])
        }
        journal += outcome.entries
        if input { inputs.append((minute, line)) }
    }

    /// What the officer does to each of the flood's allocations in `status`.
    mutating func officer(_ minute: Int, _ status: AllocationStatus, _ command: String) throws {
        for id in engine.state.allocationList(incident: "f").filter({ $0.status == status }).map(\.id) { try send(minute, "\(command) \(id)") }
    }

    /// The journal read as a store reads it: from the empty state, entry by entry.
    func history(of incident: String = "f") throws -> IncidentHistory {
        var reader = IncidentHistory.Reader(incident: incident, state: State())
        for entry in journal { try reader.read(entry) }
        return try XCTUnwrap(reader.finish())
    }
}
