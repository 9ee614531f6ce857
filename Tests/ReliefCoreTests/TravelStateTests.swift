import XCTest
@testable import ReliefCore

/// The travel-time matrix in the state: which entry a look-up takes (the most specific), the
/// great-circle fallback (nil), and what `apply` refuses.
final class TravelStateTests: XCTestCase {
    private var state = State()

    override func setUpWithError() throws {
        state = State()
        for (id, level) in [("sx", RegionLevel.province), ("sx/ty", .city), ("sx/ty/xd", .county), ("sx/ty/qx", .county),
                            ("sx/yq", .city), ("sx/yq/pd", .county), ("sx/yq/yx", .county), ("hb", .province)] {
            try apply(.regionAdded(id: id, name: id, level: level))
        }
        try apply(.warehouseAdded(id: "ty-01", name: "Taiyuan", region: "sx/ty/xd", location: Coordinate(latitude: 37.8, longitude: 112.5)))
        try apply(.warehouseAdded(id: "ty-02", name: "Taiyuan 2", region: "sx/ty", location: Coordinate(latitude: 37.9, longitude: 112.5)))
    }

    private func apply(_ event: Event) throws {
        try state.apply(Entry(seq: state.lastSeq + 1, time: Timestamp(milliseconds: 0), actor: "t", event: event))
    }

    private func set(_ from: String, _ to: String, _ minutes: Int?) throws { try apply(.travelTimeSet(from: from, to: to, minutes: minutes)) }

    /// What the warehouse ty-01 (in sx/ty/xd) gets for an incident in sx/yq/pd, as "from>to=minutes".
    private func lookup(warehouse: String? = "ty-01", region: String = "sx/ty/xd", to target: String = "sx/yq/pd") -> String? {
        state.travelTime(fromWarehouse: warehouse, region: region, toRegion: target).map { "\($0.from)>\($0.to)=\($0.minutes)" }
    }

    func testNoEntryFallsBack() throws {
        XCTAssertNil(lookup())
        try set("sx/yq", "sx/ty", 90) // the other way only: entries are directed
        try set("ty-02", "sx/yq/pd", 80) // another warehouse
        try set("sx/ty/qx", "sx/yq/pd", 70) // another county
        try set("ty-01", "sx/yq/yx", 60) // another destination county
        XCTAssertNil(lookup())
        XCTAssertNil(lookup(warehouse: nil, region: "hb", to: "sx/yq"))
    }

    /// Entries are added from the least specific to the most; each new one takes over.
    func testTheMostSpecificEntryWins() throws {
        let ladder: [(String, String)] = [
            ("sx", "sx"),            // can never be set: from == to
            ("sx/ty", "sx"),         // city → province
            ("sx", "sx/yq/pd"),      // province → county: coarser end 1, sum 4, origin 1
            ("sx/ty", "sx/yq"),      // city → city (2, 4)
            ("sx/ty", "sx/yq/pd"),   // city → county (2, 5, origin 2)
            ("sx/ty/xd", "sx/yq"),   // county → city (2, 5, origin 3)
            ("ty-01", "sx/yq"),      // warehouse → city (2, 6)
            ("sx/ty/xd", "sx/yq/pd"), // county → county (3, 6)
            ("ty-01", "sx/yq/pd"),   // warehouse → county (3, 7)
        ]
        XCTAssertThrowsError(try set("sx", "sx", 10))
        for (index, (from, to)) in ladder.enumerated().dropFirst() {
            let minutes = 500 - index * 10
            try set(from, to, minutes)
            XCTAssertEqual(lookup(), "\(from)>\(to)=\(minutes)", "after adding \(from) → \(to)")
        }
        // Clearing the most specific falls back to the next one.
        try set("ty-01", "sx/yq/pd", nil)
        XCTAssertEqual(lookup(), "sx/ty/xd>sx/yq/pd=430")
        // A source without a warehouse (a volunteer's home county) skips warehouse entries.
        XCTAssertEqual(lookup(warehouse: nil), "sx/ty/xd>sx/yq/pd=430")
        try set("sx/ty/xd", "sx/yq/pd", nil)
        XCTAssertEqual(lookup(warehouse: nil), "sx/ty/xd>sx/yq=450")
        XCTAssertEqual(lookup(), "ty-01>sx/yq=440", "the warehouse's own city entry beats its county's")
        // An incident recorded at city level only reaches entries to the city or province.
        XCTAssertEqual(lookup(to: "sx/yq"), "ty-01>sx/yq=440")
        // A warehouse at city level (ty-02 in sx/ty): its city's entries.
        XCTAssertEqual(lookup(warehouse: "ty-02", region: "sx/ty"), "sx/ty>sx/yq/pd=460")
    }

    func testApplyRefusesWhatTheEngineRefusesAndChangesNothing() throws {
        try set("ty-01", "sx/yq/pd", 100)
        let before = state.snapshotText()
        for event in [Event.travelTimeSet(from: "nowhere", to: "sx/yq/pd", minutes: 10),
                      .travelTimeSet(from: "ty-01", to: "sx/nowhere", minutes: 10),
                      .travelTimeSet(from: "ty-01", to: "ty-01", minutes: 10),
                      .travelTimeSet(from: "ty-01", to: "sx/yq/pd", minutes: 0),
                      .travelTimeSet(from: "ty-01", to: "sx/yq/pd", minutes: 10_001),
                      .travelTimeSet(from: "ty-01", to: "sx/yq/yx", minutes: nil)] {
            XCTAssertThrowsError(try apply(event), "\(event)")
            XCTAssertEqual(state.snapshotText(), before, "\(event)")
        }
        try set("ty-01", "ty-02", 30) // warehouse → warehouse is a place pair too
        try set("ty-01", "sx/yq/pd", nil)
        try set("ty-01", "ty-02", nil)
        XCTAssertTrue(state.travelTimes.isEmpty, "no empty row is left behind")
    }

    func testSnapshotRoundTrip() throws {
        try set("ty-01", "sx/yq/pd", 100)
        try set("sx/yq/pd", "ty-01", 110)
        try set("sx/ty", "hb", 600)
        let loaded = try State(snapshotText: state.snapshotText())
        XCTAssertEqual(loaded.travelTimes, state.travelTimes)
        XCTAssertEqual(loaded.snapshotText(), state.snapshotText())
        XCTAssertEqual(loaded.travelEntryCount, 3)
    }
}
