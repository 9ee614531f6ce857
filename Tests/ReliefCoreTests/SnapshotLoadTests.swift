import XCTest
@testable import ReliefCore

/// Loading a snapshot larger than one batch of SnapshotDecoder (parsed a batch ahead on another
/// thread): the same state as the lines one after another, and the first bad line is the error.
final class SnapshotLoadTests: XCTestCase {
    /// A roster of `count` volunteers, every third with a certificate: more lines than two batches.
    private func largeRoster(_ count: Int) throws -> StateBuilder {
        var b = try StateBuilder.roster()
        for k in 0..<count {
            var profile = StateBuilder.profile("Volunteer \(k)", at: Coordinate(latitude: 37 + Double(k % 100) / 100, longitude: 112 + Double(k / 100) / 100),
                                               skills: k % 2 == 0 ? ["first-aid": 1 + k % 5, "logistics": 2] : ["cpr": 3])
            profile.organization = "Taiyuan Community Volunteer Association \(k % 7)"
            try b.apply(.volunteerAdded(id: "v-\(k)", profile: profile))
            if k % 3 == 0 {
                try b.apply(.certificationGranted(id: "v-\(k)", Certification(skill: k % 2 == 0 ? "first-aid" : "cpr", issued: day("2026-01-01"),
                                                                              expires: day("2028-01-01"), issuer: "Red Cross Society of China Shanxi Branch")))
            }
        }
        return b
    }

    func testALargeSnapshotLoadsToTheSameState() throws {
        let b = try largeRoster(3 * SnapshotDecoder.batchLines)
        let text = b.state.snapshotText()
        XCTAssertGreaterThan(text.utf8.split(separator: 0x0A).count, 3 * SnapshotDecoder.batchLines)
        let loaded = try State(snapshotText: text)
        XCTAssertEqual(loaded.snapshotText(), text)
        XCTAssertEqual(loaded.volunteers.count, 3 * SnapshotDecoder.batchLines)
        XCTAssertEqual(loaded.rosterIndex, b.state.rosterIndex)
        XCTAssertEqual(loaded.invariantViolations(), [])
        // Organizations and issuers are kept once per distinct text.
        XCTAssertEqual(loaded.textPool.count, 8)
    }

    func testTheFirstBadLineIsTheErrorWhateverBatchItIsIn() throws {
        let b = try largeRoster(2 * SnapshotDecoder.batchLines)
        var lines = b.state.snapshotText().split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let late = lines.count - 10
        // A line that does not parse, in the last batch; and a certificate of nobody, earlier.
        lines[late] = "{\"t\":\"volunteer\",\"id\":"
        XCTAssertThrowsError(try State(snapshotText: lines.joined(separator: "\n"))) { error in
            guard case FlatJSON.DecodingError.malformed = error else { return XCTFail("\(error)") }
        }
        let early = lines.firstIndex { $0.contains("\"t\":\"cert\"") }!
        lines[early] = lines[early].replacingOccurrences(of: "\"id\":\"v-", with: "\"id\":\"nobody-")
        XCTAssertThrowsError(try State(snapshotText: lines.joined(separator: "\n"))) { error in
            XCTAssertTrue("\(error)".contains("certification of unknown volunteer nobody-"), "\(error)")
        }
    }

    func testStringsWithAndWithoutEscapesDecode() throws {
        for text in ["", "plain", String(repeating: "long text without escapes ", count: 20), "tab\tand \"quotes\" and \\",
                     String(repeating: "x", count: 40) + "\n" + "after", "\u{00E9}\u{4E2D}\u{6587} caf\u{00E9} \u{1F30A}"] {
            var json = FlatJSON()
            json.set("k", text)
            var bytes: [UInt8] = []
            json.encode(into: &bytes)
            let decoded = try bytes.withUnsafeBytes { try FlatJSON.decode($0) }
            XCTAssertEqual(try decoded.string("k"), text)
        }
    }

    func testTextPoolKeepsOneCopyAndStaysBounded() {
        var pool = TextPool()
        XCTAssertEqual(pool.intern("short"), "short")
        XCTAssertEqual(pool.count, 0, "inline strings are not pooled")
        let organization = "Datong Youth Volunteer League 2"
        XCTAssertEqual(pool.intern(String(organization.reversed().reversed())), organization)
        XCTAssertEqual(pool.intern(organization), organization)
        XCTAssertEqual(pool.count, 1)
        for k in 0..<(TextPool.capacity + 50) { _ = pool.intern("an organization numbered \(k)") }
        XCTAssertEqual(pool.count, TextPool.capacity)
        XCTAssertEqual(pool.intern("an organization past the capacity"), "an organization past the capacity")
        XCTAssertEqual(pool.count, TextPool.capacity)
    }
}
