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

    /// Volunteers are built on the preparing thread with the certifications that follow them in
    /// their batch; a certification whose volunteer ended the batch before is added on the
    /// caller's thread. Every cut between batches gives the same state.
    func testEveryBatchSizeGivesTheSameState() throws {
        var b = try largeRoster(40)
        // Volunteers with two certifications, a duty log and a status, so cuts fall inside them.
        for k in stride(from: 0, to: 40, by: 4) {
            try b.apply(.certificationGranted(id: "v-\(k)", Certification(skill: "cpr", issued: day("2026-02-01"), expires: day("2027-02-01"),
                                                                          issuer: "Red Cross Society of China Shanxi Branch")))
            try b.apply(.volunteerStatusSet(id: "v-\(k + 1)", status: .standby, reason: "on call", until: day("2027-01-01")))
        }
        let text = b.state.snapshotText()
        XCTAssertTrue(text.contains("\"t\":\"cert\",\"id\":\"v-0\",\"skill\":\"cpr\""), "two certifications of v-0 in a row")
        let lineCount = text.utf8.split(separator: 0x0A).count
        for batchLines in [1, 2, 3, 5, 7, lineCount - 1, lineCount, lineCount + 1] {
            let loaded = try State(snapshotText: text, batchLines: batchLines)
            XCTAssertEqual(loaded.snapshotText(), text, "batches of \(batchLines) lines")
            XCTAssertEqual(loaded.volunteers["v-0"]?.certifications.count, 2, "batches of \(batchLines) lines")
            XCTAssertEqual(loaded.rosterIndex, b.state.rosterIndex, "batches of \(batchLines) lines")
            XCTAssertEqual(loaded.textPool.count, 8, "batches of \(batchLines) lines")
        }
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

    /// A line refused where it is applied (a certification of nobody) before a line refused where
    /// it is decoded (a volunteer with an unknown status) in the same batch: the first is the error.
    func testAnApplyErrorBeforeADecodeErrorInOneBatchIsTheError() throws {
        let b = try largeRoster(30)
        var lines = b.state.snapshotText().split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let cert = lines.firstIndex { $0.contains("\"t\":\"cert\"") }!
        lines[cert] = lines[cert].replacingOccurrences(of: "\"id\":\"v-", with: "\"id\":\"nobody-")
        let volunteer = lines[(cert + 1)...].firstIndex { $0.contains("\"t\":\"volunteer\"") }!
        lines[volunteer] = lines[volunteer].replacingOccurrences(of: "\"status\":\"available\"", with: "\"status\":\"asleep\"")
        XCTAssertTrue(lines[volunteer].contains("asleep"))
        for batchLines in [2, 50, SnapshotDecoder.batchLines] {
            XCTAssertThrowsError(try State(snapshotText: lines.joined(separator: "\n"), batchLines: batchLines)) { error in
                XCTAssertTrue("\(error)".contains("certification of unknown volunteer nobody-"), "batches of \(batchLines): \(error)")
            }
        }
        lines[cert] = lines[cert].replacingOccurrences(of: "nobody-", with: "v-")
        XCTAssertThrowsError(try State(snapshotText: lines.joined(separator: "\n"), batchLines: 2)) { error in
            XCTAssertTrue("\(error)".contains("status asleep"), "\(error)")
        }
    }

    /// The stores hand the decoder bytes (SQLite) or a String (PostgreSQL): both read in place,
    /// the same lines, the same state.
    func testBytesAndTextGiveTheSameStateAndLines() throws {
        var b = try largeRoster(50)
        var profile = StateBuilder.profile("\u{738B}\u{82B3} caf\u{00E9} \u{1F30A}", at: Coordinate(latitude: 37.5, longitude: 112.5), skills: ["cpr": 2])
        profile.organization = "\u{592A}\u{539F}\u{5E02}\u{7EA2}\u{5341}\u{5B57}\u{4F1A}\u{5FD7}\u{613F}\u{670D}\u{52A1}\u{961F}"
        try b.apply(.volunteerAdded(id: "v-\u{4E2D}", profile: profile))
        let text = b.state.snapshotText()
        let fromBytes = try State(snapshotBytes: Array(text.utf8))
        XCTAssertEqual(fromBytes.snapshotText(), text)
        XCTAssertEqual(fromBytes.volunteers["v-\u{4E2D}"]?.profile, profile)
        XCTAssertEqual(try State(snapshotText: text).snapshotText(), text)

        for (given, expected) in [("", [String]()), ("\n\n", []), ("a", ["a"]), ("a\n", ["a"]), ("a\n\nbc\n", ["a", "bc"]),
                                  ("\nab\ncd", ["ab", "cd"]), ("\u{4E2D}\n\u{6587}", ["\u{4E2D}", "\u{6587}"])] {
            for form in [SnapshotText.bytes(Array(given.utf8)), .string(given)] {
                let lines = SnapshotDecoder.lines(of: form).map { range in
                    form.withUnsafeBytes { String(decoding: $0[range], as: UTF8.self) }
                }
                XCTAssertEqual(lines, expected, given.debugDescription)
            }
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

    /// Volunteer and certification lines are decoded straight from their bytes; every other
    /// line, and any of theirs that does not start with its type, as a whole record. Both ways
    /// give the same item or the same error: checked on lines as written and on every variant of
    /// them a damaged or hand-made snapshot could hold — each line cut short at every byte, each
    /// field left out, set to null, to a number, to another text or given twice, keys escaped,
    /// unknown keys, the type not first.
    func testVolunteerAndCertificationLinesDecodeAsTheirRecordsDo() throws {
        var b = try largeRoster(6)
        try b.apply(.volunteerStatusSet(id: "v-1", status: .standby, reason: "on call", until: day("2027-01-01")))
        var profile = StateBuilder.profile("\u{738B}\u{82B3} \"Wang\"", at: Coordinate(latitude: 37.5, longitude: 112.5), skills: [:])
        profile.languages = []
        try b.apply(.volunteerAdded(id: "v-empty", profile: profile))
        let written = b.state.snapshotText().split(separator: "\n").map(String.init)
        let lines = written.filter { $0.hasPrefix("{\"t\":\"volunteer\"") || $0.hasPrefix("{\"t\":\"cert\"") }
        XCTAssertEqual(lines.filter { $0.hasPrefix("{\"t\":\"volunteer\"") }.count, 7)
        XCTAssertEqual(lines.filter { $0.hasPrefix("{\"t\":\"cert\"") }.count, 2)

        var variants: [String] = written
        let replacements = ["null", "7", "-1", "2.5", "\"\"", "\"x\"", "\"a:1,b:2\"", "\"a:x\"", "\"a::3\"", "\",,\"", "\"2026-13-01\"",
                            "\"2027-01-01\"", "\"standby\"", "\"v-0\"", "\"tab\\tquote\\\"\"", "1e400", "nul", "\"unterminated"]
        for line in lines {
            let record = try FlatJSON.decode(line)
            for cut in 0..<line.utf8.count { variants.append(String(decoding: line.utf8.prefix(cut), as: UTF8.self)) }
            for (position, (key, _)) in record.pairs.enumerated() where key != "t" {
                var without = record
                without.pairs.remove(at: position)
                variants.append(without.encoded())
                var twice = record
                twice.pairs.append((key, .string("second")))
                variants.append(twice.encoded())
                for replacement in replacements {
                    var pairs = record.pairs.map { pair in
                        var one = FlatJSON()
                        one.pairs = [pair]
                        return String(one.encoded().dropFirst().dropLast())
                    }
                    pairs[position] = "\"\(key)\":\(replacement)"
                    variants.append("{" + pairs.joined(separator: ",") + "}")
                }
                // The key written with an escape, and an unknown key before it.
                let escaped = line.replacingOccurrences(of: "\"\(key)\":", with: "\"\\u00\(String(key.utf8.first!, radix: 16))\(key.dropFirst())\":")
                variants.append(escaped)
                variants.append(line.replacingOccurrences(of: "\"\(key)\":", with: "\"extra\":[],\"\(key)\":"))
                variants.append(line.replacingOccurrences(of: "\"\(key)\":", with: "\"extra\":1,\"\(key)\":"))
            }
            // The type not first, and no type.
            var moved = record
            moved.pairs.append(moved.pairs.removeFirst())
            variants.append(moved.encoded())
            moved.pairs.removeLast()
            variants.append(moved.encoded())
            variants.append(line.replacingOccurrences(of: "{\"t\":", with: " { \"t\" : "))
        }
        var direct = TextPool(), whole = TextPool()
        var decoded = 0
        for variant in variants {
            var bytes = Array(variant.utf8)
            let viaLine = Result { try bytes.withUnsafeBytes { try SnapshotDecoder.decodeLine($0, pool: &direct) } }
            let viaRecord = Result { try SnapshotDecoder.decodeRecord(bytes.withUnsafeBytes { try FlatJSON.decode($0) }, pool: &whole) }
            switch (viaLine, viaRecord) {
            case (.success(let a), .success(let b)):
                XCTAssertEqual(a, b, variant)
                decoded += 1
            case (.failure(let a), .failure(let b)):
                XCTAssertEqual("\(a)", "\(b)", variant)
            default:
                XCTFail("\(variant): decoded from its bytes \(viaLine), as a record \(viaRecord)")
            }
            bytes.removeAll()
        }
        XCTAssertGreaterThan(decoded, 100)
        XCTAssertGreaterThan(variants.count - decoded, 1000)
        // A field given twice is read as its first value, as a look-up by name finds it.
        var twice = Array(lines[0].dropLast().utf8) + Array(",\"name\":\"second\",\"name\":null}".utf8)
        let item = try twice.withUnsafeBytes { try SnapshotDecoder.decodeLine($0, pool: &direct) }
        guard case .volunteer(let volunteer) = item else { return XCTFail("\(item)") }
        XCTAssertEqual(volunteer.profile.name, try FlatJSON.decode(lines[0]).string("name"))
        twice.removeAll()
    }

    /// A snapshot line's languages and skills are looked up by their text and parsed once: equal
    /// texts give one storage, and the texts are dropped once the snapshot is loaded.
    func testWrittenListsAreParsedOnceAndDroppedAfterTheLoad() throws {
        func storage(_ skills: [String: Int]) -> Int { unsafeBitCast(skills, to: Int.self) }
        var pool = TextPool()
        let first = try pool.skills(written: "first-aid:2,driver-c1:3")
        let again = try pool.skills(written: String("first-aid:2,driver-c1:3".reversed().reversed()))
        XCTAssertEqual(first, ["first-aid": 2, "driver-c1": 3])
        XCTAssertEqual(storage(first), storage(again))
        // The same list written in another order is the same pooled list.
        XCTAssertEqual(storage(try pool.skills(written: "driver-c1:3,first-aid:2")), storage(first))
        XCTAssertEqual(pool.languages(written: "zh,en"), ["zh", "en"])
        XCTAssertEqual(pool.writtenListCount, 3)
        XCTAssertThrowsError(try pool.skills(written: "first-aid")) { XCTAssertEqual("\($0)", "invalid value: skills=first-aid") }
        for k in 0..<(TextPool.capacity + 20) { _ = pool.languages(written: "l\(k)") }
        XCTAssertEqual(pool.writtenListCount, 2 + TextPool.capacity, "the languages texts stop at the capacity")
        pool.forgetWrittenLists()
        XCTAssertEqual(pool.writtenListCount, 0)

        let loaded = try State(snapshotText: try largeRoster(30).state.snapshotText(), batchLines: 7)
        XCTAssertEqual(loaded.textPool.writtenListCount, 0)
        XCTAssertGreaterThan(loaded.textPool.listCount, 0)
    }

    /// Equal language and skill lists of two volunteers share one storage once interned; the
    /// lists held are bounded as the strings are.
    func testTextPoolSharesEqualListsAndStaysBounded() {
        func storage(_ skills: [String: Int]) -> Int { unsafeBitCast(skills, to: Int.self) }
        func storage(_ languages: [String]) -> UnsafeRawPointer? { languages.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
        var pool = TextPool()
        let a = StateBuilder.profile("A", at: Coordinate(latitude: 37, longitude: 112), skills: ["first-aid": 2, "driver-c1": 3])
        var b = StateBuilder.profile("B", at: Coordinate(latitude: 38, longitude: 113), skills: ["driver-c1": 3])
        b.skills["first-aid"] = 2
        b.languages = a.languages.map { String($0.reversed().reversed()) }
        XCTAssertEqual(a.skills, b.skills)
        XCTAssertEqual(a.languages, b.languages)
        XCTAssertNotEqual(storage(a.skills), storage(b.skills))
        XCTAssertNotEqual(storage(a.languages), storage(b.languages))
        let (x, y) = (pool.intern(a), pool.intern(b))
        XCTAssertEqual(x, a)
        XCTAssertEqual(y, b)
        XCTAssertEqual(storage(x.skills), storage(y.skills), "one skill list for both")
        XCTAssertEqual(storage(x.languages), storage(y.languages), "one language list for both")
        XCTAssertEqual(pool.listCount, 2)
        for k in 0..<(TextPool.capacity + 50) {
            var profile = a
            profile.skills = ["first-aid": 1, "skill-\(k)": 1]
            _ = pool.intern(profile)
        }
        XCTAssertEqual(pool.listCount, TextPool.capacity + 1, "skill lists stop at the capacity")
    }

    /// A roster of 20,000 or more is checked in two halves on two threads: a broken volunteer is
    /// found in either half, first or last in the map's order, and the sentences come sorted.
    func testTheInvariantsOfALargeRosterAreCheckedInBothHalves() throws {
        var state = try largeRoster(20_000).state
        XCTAssertEqual(state.invariantViolations(indexesJustRebuilt: true), [])
        let keys = Array(state.volunteers.keys), first = keys.first!, last = keys.last!
        for id in [first, last] { state.volunteers[id]!.status = .deployed }
        XCTAssertEqual(state.invariantViolations(indexesJustRebuilt: true),
                       [first, last].sorted().map { "volunteer \($0) on duty false but status deployed, and no active assignment" })
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
