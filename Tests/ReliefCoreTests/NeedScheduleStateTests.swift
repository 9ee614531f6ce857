import XCTest
@testable import ReliefCore

/// Schedules of daily needs (series, day k of N) and a need's reach: in the need.added body only
/// when set (so every other need's body, and its place in the hash chain, is as before), in
/// need.changed only when the reach changes, through snapshots, and held to their rules by `apply`
/// and the invariants.
final class NeedScheduleStateTests: XCTestCase {
    let first = Timestamp(milliseconds: 1_795_100_000_000)

    func builder() throws -> StateBuilder {
        var b = try StateBuilder.shanxi()
        try b.apply(.incidentOpened(Incident(id: "flood", title: "Flood", kind: .flood, location: Coordinate(latitude: 37.86, longitude: 112.56),
                                             region: "shanxi/taiyuan", severity: 4, affected: 1200, openedAt: b.time)))
        try b.apply(.incidentOpened(Incident(id: "quake", title: "Quake", kind: .earthquake, location: Coordinate(latitude: 40.0, longitude: 113.3),
                                             region: "shanxi/datong", severity: 2, affected: 300, openedAt: b.time)))
        return b
    }

    func day(_ id: String, series: String, day: Int, days: Int = 3, sku: String = "water-5l", incident: String = "flood",
             reach: ReachTier? = nil, time: Timestamp) -> Event {
        .needAdded(Need(id: id, incident: incident, request: .supply(sku: sku, quantity: 3600), priority: 1,
                        neededBy: NeedSchedule.deadline(first: first, day: max(day, 1))!, note: nil, createdAt: time,
                        schedule: NeedSchedule(series: series, day: day, days: days), reach: reach))
    }

    func testScheduleAndReachAreJournaledOnlyWhenSet() throws {
        let plain = Need(id: "N-000001", incident: "flood", request: .supply(sku: "tent-12", quantity: 7), priority: 2,
                         neededBy: first, note: nil, createdAt: first)
        // A need with neither is the body of before: its bytes, and so its hash, do not change.
        XCTAssertEqual(Event.needAdded(plain).body.encoded(),
                       #"{"id":"N-000001","incident":"flood","type":"supply","sku":"tent-12","amount":7,"priority":2,"by":1795100000000,"created":1795100000000}"#)
        var scheduled = plain
        scheduled.schedule = NeedSchedule(series: "N-000001", day: 1, days: 3)
        scheduled.reach = .province
        let body = Event.needAdded(scheduled).body.encoded()
        XCTAssertTrue(body.hasSuffix(#","series":"N-000001","day":1,"days":3,"reach":"province"}"#), body)
        XCTAssertEqual(try Event(kind: "need.added", body: FlatJSON.decode(body)), .needAdded(scheduled))

        // need.changed: reach only when it changes, "default" when it goes back to the configured one.
        let unchanged = Event.needChanged(id: "N-000001", amount: 5, priority: nil, neededBy: nil, note: nil)
        XCTAssertEqual(unchanged.body.encoded(), #"{"id":"N-000001","amount":5}"#)
        for change in [Need.ReachChange.tier(.county), .tier(.country), .configuredDefault] {
            let event = Event.needChanged(id: "N-000001", amount: nil, priority: nil, neededBy: nil, note: nil, reach: change)
            XCTAssertEqual(event.body["reach"], .string(change.name))
            XCTAssertEqual(try Event(kind: "need.changed", body: FlatJSON.decode(event.body.encoded())), event)
        }
        XCTAssertEqual(Need.ReachChange.configuredDefault.name, "default")

        // A body a reliefd from before wrote decodes as a need on its own with the default reach.
        let old = try FlatJSON.decode(#"{"id":"N-000004","incident":"flood","type":"supply","sku":"tent-12","amount":7,"priority":2,"by":1796198400000,"created":1796112000000}"#)
        guard case .needAdded(let need) = try Event(kind: "need.added", body: old) else { return XCTFail("not a need") }
        XCTAssertNil(need.schedule)
        XCTAssertNil(need.reach)
        guard case .needChanged(_, _, _, _, _, let reach) = try Event(kind: "need.changed", body: FlatJSON.decode(#"{"id":"N-000004","priority":1}"#)) else {
            return XCTFail("not a change")
        }
        XCTAssertNil(reach)

        // Damaged bodies are refused naming what is wrong.
        for (text, problem) in [
            (#""series":"N-000001","day":1"#, "go together"),
            (#""series":"N-000001","day":4,"days":3"#, "outside"),
            (#""series":"N-000001","day":1,"days":31"#, "outside"),
            (#""reach":"planet""#, "reach=planet"),
        ] {
            let damaged = try FlatJSON.decode(#"{"id":"N-000001","incident":"flood","type":"supply","sku":"tent-12","amount":7,"priority":2,"by":1,"created":1,"# + text + "}")
            XCTAssertThrowsError(try Event(kind: "need.added", body: damaged)) { XCTAssertTrue("\($0)".contains(problem), "\($0)") }
        }
        XCTAssertThrowsError(try Event(kind: "need.changed", body: FlatJSON.decode(#"{"id":"N-000001","reach":"nearby"}"#)))
    }

    func testASchedulesDaysApplyInOrderAndTheIndexKeepsThem() throws {
        var b = try builder()
        for k in 1...3 { try b.apply(day("N-00000\(k)", series: "N-000001", day: k, reach: k == 2 ? .city : nil, time: b.time)) }
        XCTAssertEqual(b.state.needSeries, ["N-000001": ["N-000001", "N-000002", "N-000003"]])
        XCTAssertEqual(b.state.needs["N-000002"]?.reach, .city)
        XCTAssertEqual(b.state.needs["N-000003"]?.neededBy.milliseconds, first.milliseconds + 2 * 86_400_000)
        XCTAssertTrue(b.state.incidents["flood"]!.timeline.last!.text.hasSuffix("day 3/3 of series N-000001"))
        XCTAssertTrue(b.state.incidents["flood"]!.timeline.contains { $0.text.hasSuffix("day 2/3 of series N-000001, reach city") })
        XCTAssertEqual(b.state.invariantViolations(), [])

        // Reach changed and cleared; the day's schedule stays.
        try b.apply(.needChanged(id: "N-000003", amount: nil, priority: nil, neededBy: nil, note: nil, reach: .tier(.province)))
        XCTAssertEqual(b.state.needs["N-000003"]?.reach, .province)
        try b.apply(.needChanged(id: "N-000002", amount: 100, priority: nil, neededBy: nil, note: nil, reach: .configuredDefault))
        XCTAssertNil(b.state.needs["N-000002"]?.reach)
        XCTAssertEqual(b.state.needs["N-000002"]?.request.amount, 100)
        XCTAssertEqual(b.state.needs["N-000002"]?.schedule, NeedSchedule(series: "N-000001", day: 2, days: 3))
        XCTAssertTrue(b.state.incidents["flood"]!.timeline.last!.text.contains("reach default"))

        // What a schedule's day may not be.
        b.refuse(day("N-000004", series: "N-000001", day: 3, time: b.time))                     // not after day 3
        b.refuse(day("N-000004", series: "N-000009", day: 2, time: b.time))                     // no such series
        b.refuse(day("N-000004", series: "N-000002", day: 3, time: b.time))                     // N-000002 is not a series
        b.refuse(day("N-000004", series: "N-000001", day: 4, days: 4, time: b.time))            // another number of days
        b.refuse(day("N-000004", series: "N-000001", day: 3, sku: "tent-12", time: b.time))     // another item
        b.refuse(day("N-000004", series: "N-000001", day: 3, incident: "quake", time: b.time))  // another incident
        b.refuse(day("N-000004", series: "N-000004", day: 0, time: b.time))
        b.refuse(day("N-000004", series: "N-000004", day: 1, days: 31, time: b.time))
        b.refuse(.needAdded(Need(id: "N-000004", incident: "flood", request: .volunteers(skill: "first-aid", count: 2, hours: 8), priority: 1,
                                 neededBy: first, note: nil, createdAt: b.time, schedule: NeedSchedule(series: "N-000004", day: 1, days: 2))))

        // A schedule may start on a later day (the earlier ones needed already), on its own first need.
        try b.apply(day("N-000004", series: "N-000004", day: 2, sku: "tent-12", time: b.time))
        try b.apply(day("N-000005", series: "N-000004", day: 3, sku: "tent-12", time: b.time))
        XCTAssertEqual(b.state.needSeries["N-000004"], ["N-000004", "N-000005"])
        try b.apply(.needCancelled(id: "N-000005", reason: nil))
        XCTAssertEqual(b.state.needs["N-000005"]?.status, .cancelled)
        XCTAssertEqual(b.state.needs["N-000004"]?.status, .open, "a day is cancelled alone")
        XCTAssertEqual(b.state.invariantViolations(), [])
    }

    func testSchedulesAndReachesSurviveTheSnapshotAndDamageIsNamed() throws {
        var b = try builder()
        for k in 1...3 { try b.apply(day("N-00000\(k)", series: "N-000001", day: k, reach: k == 1 ? .county : nil, time: b.time)) }
        try b.apply(.needAdded(Need(id: "N-000004", incident: "quake", request: .supply(sku: "tent-12", quantity: 5), priority: 2,
                                    neededBy: first, note: nil, createdAt: b.time, reach: .country)))
        let text = b.state.snapshotText()
        let loaded = try State(snapshotText: text)
        XCTAssertEqual(loaded.snapshotText(), text)
        XCTAssertEqual(loaded.needSeries, b.state.needSeries)
        XCTAssertEqual(loaded.needs, b.state.needs)
        XCTAssertEqual(loaded.invariantViolations(), [])

        // A snapshot whose schedule is damaged loads, and the invariants say what is wrong.
        let swapped = text.replacingOccurrences(of: #""series":"N-000001","day":3"#, with: #""series":"N-000001","day":1"#)
        XCTAssertNotEqual(swapped, text)
        XCTAssertTrue(try State(snapshotText: swapped).invariantViolations().contains("need N-000003 day 1 is not after day 2 of series N-000001"))
        let orphan = text.replacingOccurrences(of: #""series":"N-000001","day":2"#, with: #""series":"N-000004","day":2"#)
        XCTAssertNotEqual(orphan, text)
        let problems = try State(snapshotText: orphan).invariantViolations()
        XCTAssertTrue(problems.contains("schedule N-000004 does not start with need N-000004"), "\(problems)")
    }
}
