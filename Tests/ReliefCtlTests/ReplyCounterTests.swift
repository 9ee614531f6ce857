import XCTest
@testable import reliefctl

final class ReplyCounterTests: XCTestCase {
    private func scan(_ counter: inout ReplyCounter, _ text: String) -> Int {
        Array(text.utf8).withUnsafeBytes { counter.scan($0) }
    }

    func testCountsHeadersRowsAndErrors() {
        var counter = ReplyCounter()
        XCTAssertEqual(scan(&counter, "OK\nOK lot=A\nOK 2 rows\na=1\nb=2\nERR CONFLICT x exists\nOK 0 rows\n"), 5)
        XCTAssertEqual(counter.errors, 1)
        XCTAssertEqual(counter.firstError, "ERR CONFLICT x exists")
    }

    func testRepliesSplitAcrossReadsAtEveryByte() {
        let text = "OK 1 rows\nwarehouse=bench-01 on_hand=5\nERR LIMIT slow down\nOK\n"
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var counter = ReplyCounter()
            let first = Array(bytes[..<cut]).withUnsafeBytes { counter.scan($0) }
            let second = Array(bytes[cut...]).withUnsafeBytes { counter.scan($0) }
            XCTAssertEqual(first + second, 3, "cut at \(cut)")
            XCTAssertEqual(counter.firstError, "ERR LIMIT slow down")
        }
    }

    func testAListingCutAtItsLimitCountsItsRows() {
        // `volunteer find … limit=2` when more matched: the header says "more"; its rows are not replies.
        var counter = ReplyCounter()
        XCTAssertEqual(scan(&counter, "OK 2 rows more\nvolunteer=v-1\nvolunteer=v-2\nOK\nOK 1 rows mores\n"), 3)
        XCTAssertEqual(counter.errors, 0)
    }

    func testRowsThatLookLikeHeadersAreStillRows() {
        var counter = ReplyCounter()
        XCTAssertEqual(scan(&counter, "OK 2 rows\nERR x\nOK 5 rows\n"), 1)
        XCTAssertEqual(counter.errors, 0)
    }

    func testPercentilesAreNearestRank() {
        let result = BenchResult(workload: "read", clients: 1, pipeline: 1, requests: 100, seconds: 2,
                                 latencies: (1...100).map { UInt64($0) * 1000 }, errors: 0)
        XCTAssertEqual(result.percentile(0.5), 50)
        XCTAssertEqual(result.percentile(0.99), 99)
        XCTAssertEqual(result.percentile(1), 100)
        XCTAssertEqual(result.opsPerSecond, 50)
        XCTAssertEqual(result.logfmt, "workload=read clients=1 pipeline=1 requests=100 seconds=2.000 ops_per_sec=50 p50_us=50 p99_us=99 errors=0 p999_us=100 max_us=100")
        XCTAssertEqual(BenchResult.fixed(3.14159, 3), "3.142")
        XCTAssertEqual(BenchResult.fixed(0.05, 3), "0.050")
    }
}
