#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ReliefLog
import XCTest

/// The journal is stderr only when `JOURNAL_STREAM` names stderr's own device and inode.
final class LogDestinationTests: XCTestCase {
    func testJournalStreamIsTwoDecimalNumbersAroundAColon() {
        XCTAssertEqual(JournalStream("8:123456"), JournalStream(device: 8, inode: 123_456))
        XCTAssertEqual(JournalStream("0:0"), JournalStream(device: 0, inode: 0))
        for bad in ["", ":", "8:", ":123", "8:123:4", "8 :123", "+8:123", "8:-1", "0x8:12", "8;123", "a:b", "18446744073709551616:1"] {
            XCTAssertNil(JournalStream(bad), bad)
        }
    }

    func testTheJournalOnlyWhenTheVariableNamesStderrsDeviceAndInode() {
        XCTAssertEqual(LogDestination.of(environment: ["JOURNAL_STREAM": "8:123456"], device: 8, inode: 123_456), .journal)
        XCTAssertEqual(LogDestination.of(environment: [:], device: 8, inode: 123_456), .stream)
        // Inherited by a child whose stderr went elsewhere: the numbers no longer match.
        XCTAssertEqual(LogDestination.of(environment: ["JOURNAL_STREAM": "8:123456"], device: 8, inode: 123_457), .stream)
        XCTAssertEqual(LogDestination.of(environment: ["JOURNAL_STREAM": "8:123456"], device: 9, inode: 123_456), .stream)
        XCTAssertEqual(LogDestination.of(environment: ["JOURNAL_STREAM": "garbage"], device: 8, inode: 123_456), .stream)
    }

    /// The same decision on real descriptors, through fstat(2).
    func testADescriptorIsTheJournalWhenItIsTheFileTheVariableNames() throws {
        let directory = NSTemporaryDirectory() + "relieflog-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let named = open(directory + "/journal", O_CREAT | O_WRONLY, 0o600)
        let other = open(directory + "/other", O_CREAT | O_WRONLY, 0o600)
        defer {
            close(named)
            close(other)
        }
        XCTAssertTrue(named >= 0 && other >= 0)
        var info = stat()
        XCTAssertEqual(fstat(named, &info), 0)
        let environment = ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]

        XCTAssertEqual(LogDestination.of(descriptor: named, environment: environment), .journal)
        XCTAssertEqual(LogDestination.of(descriptor: other, environment: environment), .stream)
        XCTAssertEqual(LogDestination.of(descriptor: named, environment: [:]), .stream)
        XCTAssertEqual(LogDestination.of(descriptor: -1, environment: environment), .stream)
    }
}
