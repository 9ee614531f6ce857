import ReliefLimits
import ReliefProtocol
import XCTest
@testable import ReliefServer

/// Every bound in one place: the relations between them hold, and the configuration's defaults and
/// ranges are the ones Limits.swift gives reasons for.
final class LimitsTests: XCTestCase {
    func testTheRelationsBetweenTheLimitsHold() {
        XCTAssertEqual(Limits.violations(), [])
    }

    func testTheConfigurationDefaultsAreTheLimits() {
        let defaults = Configuration()
        XCTAssertEqual(defaults.maxLine, Limits.lineDefault)
        XCTAssertEqual(defaults.maxClients, Limits.clientsDefault)
        XCTAssertEqual(defaults.maxOutput, Limits.outputHardDefault)
        XCTAssertEqual(defaults.outputSoftLimit, Limits.outputSoftDefault)
        XCTAssertEqual(defaults.maxImportRows, Limits.importRowsDefault)
        XCTAssertEqual(defaults.maxUncommitted, Limits.uncommittedDefault)
        XCTAssertEqual(defaults.maxDrills, Limits.drillsDefault)
        XCTAssertEqual(CommitPipeline(committedSeq: 0).maxBatch, Limits.commitBatchEntries)
        XCTAssertEqual(RequestParser.maxWords, Limits.requestWords)
    }

    /// A key is settable exactly within its range: the ends are taken, one past them is refused.
    func testEachLimitKeyTakesItsRangeAndNothingOutside() throws {
        let ranges: [(String, ClosedRange<Int>)] = [
            ("max_line", Limits.lineRange), ("max_clients", Limits.clientsRange), ("max_output", Limits.outputHardRange),
            ("output_soft_limit", Limits.outputSoftRange), ("max_large_listings", Limits.largeListingsRange),
            ("max_import_rows", Limits.importRowsRange), ("max_uncommitted", Limits.uncommittedRange),
            ("max_drills", Limits.drillsRange), ("max_import_bytes", Limits.importBytesRange),
            ("max_import_bytes_total", Limits.importBytesTotalRange),
        ]
        for (key, range) in ranges {
            var configuration = Configuration()
            XCTAssertNoThrow(try configuration.set(key, String(range.lowerBound)), key)
            XCTAssertNoThrow(try configuration.set(key, String(range.upperBound)), key)
            XCTAssertThrowsError(try configuration.set(key, String(range.upperBound + 1)), key)
            XCTAssertThrowsError(try configuration.set(key, String(range.lowerBound - 1)), key)
        }
    }
}
