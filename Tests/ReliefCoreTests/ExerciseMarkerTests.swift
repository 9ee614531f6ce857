import XCTest
@testable import ReliefCore

/// An incident opened in a drill says so in the journal and in snapshots, and one opened for real
/// is journaled exactly as before drills existed (so its hash chain is unchanged).
final class ExerciseMarkerTests: XCTestCase {
    func incident(_ id: String, exercise: Bool) -> Incident {
        Incident(id: id, title: "Fen River flood", kind: .flood, location: Coordinate(latitude: 37.74, longitude: 112.56),
                 region: "shanxi/taiyuan", severity: 4, affected: 42000, openedAt: Timestamp(milliseconds: 1_795_000_000_000), exercise: exercise)
    }

    func testTheMarkerRoundTripsThroughTheJournalAndIsAbsentForRealIncidents() throws {
        let drill = Event.incidentOpened(incident("drill", exercise: true))
        let real = Event.incidentOpened(incident("real", exercise: false))
        XCTAssertTrue(drill.body.encoded().contains("\"exercise\":1"))
        XCTAssertFalse(real.body.encoded().contains("exercise"))
        XCTAssertEqual(try Event(kind: drill.kind, body: FlatJSON.decode(drill.body.encoded())), drill)
        XCTAssertEqual(try Event(kind: real.kind, body: FlatJSON.decode(real.body.encoded())), real)
    }

    func testTheMarkerSurvivesASnapshotAndNamesItselfInTheTimeline() throws {
        var b = try StateBuilder.shanxi()
        try b.apply(.incidentOpened(incident("drill", exercise: true)), actor: "exercise:organizer")
        try b.apply(.incidentOpened(incident("real", exercise: false)))
        XCTAssertEqual(b.state.incidents["drill"]?.timeline.first?.text.hasPrefix("opened (exercise):"), true)
        XCTAssertEqual(b.state.incidents["real"]?.timeline.first?.text.hasPrefix("opened:"), true)
        let loaded = try State(snapshotText: b.state.snapshotText())
        XCTAssertEqual(loaded.incidents["drill"]?.exercise, true)
        XCTAssertEqual(loaded.incidents["real"]?.exercise, false)
        XCTAssertEqual(loaded.snapshotText(), b.state.snapshotText())
    }
}
