import XCTest
@testable import reliefctl

/// The watch benchmark's clock reading: the entry's time from an EVENT line, with the day parsed
/// once while it stays the same.
final class WatchBenchTests: XCTestCase {
    func testTheTimeOfAnEventLine() {
        var day: (text: [UInt8], days: Int64)?
        let line = Array("EVENT seq=42 time=2026-12-06T03:02:05.217Z channel=stock event=lot.received actor=uid:0 qty=1".utf8)
        XCTAssertEqual(WatchBenchWorker.time(in: line[...], day: &day), 1_796_526_125_217)
        XCTAssertEqual(day?.days, 20_793)
        // The next day is parsed again, not taken from the cache.
        let next = Array("EVENT seq=43 time=2026-12-07T00:00:00.001Z channel=stock".utf8)
        XCTAssertEqual(WatchBenchWorker.time(in: next[...], day: &day), 1_796_601_600_001)
        XCTAssertEqual(day?.days, 20_794)
        for bad in ["EVENT seq=44 channel=stock", "EVENT seq=45 time=2026-12-07T00:0x:00.001Z x", "EVENT seq=46 time=2026-12-07"] {
            XCTAssertNil(WatchBenchWorker.time(in: Array(bad.utf8)[...], day: &day), bad)
        }
    }
}
