import Logging
import ReliefLog
import XCTest

/// The line a record becomes: field order, quoting, keys, flattening, the time, the journal's prefix.
final class LogfmtLineTests: XCTestCase {
    /// 2026-12-06T07:02:35.123Z.
    private let sampleTime: Int64 = 1_796_540_555_123

    func testALineHasTheFixedFieldsFirstThenMetadataSortedThenTheSource() {
        let record = LogRecord(time: sampleTime, level: .warning, label: "reliefd", message: "snapshot failed",
                               metadata: ["seq": "7", "error": "disk I/O error", "path": "/var/lib/reliefd"], source: "ReliefServer")
        XCTAssertEqual(LogfmtLine.format(record, for: .stream),
                       "time=2026-12-06T07:02:35.123Z level=warning label=reliefd msg=\"snapshot failed\" error=\"disk I/O error\" path=/var/lib/reliefd seq=7 source=ReliefServer\n")
    }

    func testValuesAreQuotedOnlyWhenTheyMustBeAndEscapedInside() {
        let cases: [(String, String)] = [
            ("plain", "plain"),
            ("42", "42"),
            ("/tmp/x.db", "/tmp/x.db"),
            ("Ürümqi", "Ürümqi"),
            ("", "\"\""),
            ("disk I/O error", "\"disk I/O error\""),
            ("a=b", "\"a=b\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("C:\\dir\\file", "\"C:\\\\dir\\\\file\""),
            ("trailing\\", "\"trailing\\\\\""),
            ("two\nlines", "\"two\\nlines\""),
            ("tab\there", "\"tab\\there\""),
            ("cr\rhere", "\"cr\\rhere\""),
            ("\u{1B}[31mred", "\"\\u001b[31mred\""),
            ("nul\u{0}", "\"nul\\u0000\""),
            ("del\u{7F}", "\"del\\u007f\""),
            ("next\u{85}line", "\"next\\u0085line\""),
            ("no\u{A0}break", "\"no\u{A0}break\""),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(LogfmtLine.logfmtValue(value), expected, "value \(value.debugDescription)")
        }
    }

    func testKeysKeepOnlyWhatALogfmtKeyMayHold() {
        XCTAssertEqual(LogfmtLine.logfmtKey("commit_ms"), "commit_ms")
        XCTAssertEqual(LogfmtLine.logfmtKey("hb.request-id"), "hb.request-id")
        XCTAssertEqual(LogfmtLine.logfmtKey("user name"), "user_name")
        XCTAssertEqual(LogfmtLine.logfmtKey("a=b\"c\\d\ne"), "a_b_c_d_e")
        XCTAssertEqual(LogfmtLine.logfmtKey("région"), "r_gion")
        let record = LogRecord(time: sampleTime, level: .info, label: "reliefd", message: "m",
                               metadata: ["": "empty key", "msg": "not the message", "level": "3", "x y": "1"])
        XCTAssertEqual(LogfmtLine.format(record, for: .journal),
                       "<6>level=info label=reliefd msg=m _=\"empty key\" level_=3 msg_=\"not the message\" x_y=1\n")
    }

    func testListsAndDictionariesBecomeDottedKeys() {
        let record = LogRecord(time: sampleTime, level: .notice, label: "reliefd", message: "m", metadata: [
            "peer": ["port": "7878", "address": "127.0.0.1"],
            "tags": ["a", "b c", ["deep": "x"]],
            "none": [],
            "nothing": [:],
            "count": .stringConvertible(12),
        ])
        XCTAssertEqual(LogfmtLine.format(record, for: .journal),
                       "<5>level=notice label=reliefd msg=m count=12 none=\"\" nothing=\"\" peer.address=127.0.0.1 peer.port=7878 tags.0=a tags.1=\"b c\" tags.2.deep=x\n")
    }

    func testTheTimeIsUTCWithMilliseconds() {
        XCTAssertEqual(LogfmtLine.iso8601Milliseconds(sampleTime), "2026-12-06T07:02:35.123Z")
        XCTAssertEqual(LogfmtLine.iso8601Milliseconds(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(LogfmtLine.iso8601Milliseconds(-1), "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(LogfmtLine.iso8601Milliseconds(951_782_400_007), "2000-02-29T00:00:00.007Z")
    }

    /// journald reads the priority from `<N>` (sd-daemon(3)) and stamps the line itself.
    func testJournalLinesStartWithTheSyslogPriorityAndHaveNoTime() throws {
        let expected: [(Logger.Level, Int)] = [(.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2)]
        var text = ""
        for (level, priority) in expected {
            let line = LogfmtLine.format(LogRecord(time: sampleTime, level: level, label: "reliefd", message: "time=now"), for: .journal)
            XCTAssertTrue(line.hasPrefix("<\(priority)>level=\(level.rawValue) "), line)
            XCTAssertFalse(line.contains("time=2026"), line)
            text += line
        }
        let parsed = try PythonLogfmt.parse(text)
        XCTAssertEqual(parsed.map(\.priority), expected.map { $0.1 })
        XCTAssertEqual(parsed.map(\.keys), Array(repeating: ["level", "label", "msg"], count: expected.count))
        XCTAssertEqual(parsed.map { $0["msg"] }, Array(repeating: "time=now", count: expected.count))

        let stream = LogfmtLine.format(LogRecord(time: sampleTime, level: .warning, label: "reliefd", message: "m"), for: .stream)
        XCTAssertEqual(stream, "time=2026-12-06T07:02:35.123Z level=warning label=reliefd msg=m\n")
    }

    /// Every awkward value, as the message, as a metadata value and inside a list, comes back
    /// unchanged from a parser that is not ours, one line per record.
    func testAwkwardValuesReadBackExactlyThroughAPythonLogfmtParser() throws {
        let awkward = ["disk I/O error", "", "say \"hi\"", "C:\\dir\\", "two\nlines\n", "tab\tand\rcr", "a=b=c",
                       "Ürümqi 乌鲁木齐 🚑", "e\u{301}", "\u{1B}[31mred\u{1B}[0m", "nul\u{0}", "del\u{7F} nel\u{85}",
                       "line\u{2028}separator", "no\u{A0}break", "=", "\"", "\\", " ", "plain", "42"]
        var text = ""
        for (index, value) in awkward.enumerated() {
            let record = LogRecord(time: sampleTime + Int64(index), level: .error, label: "reliefd.verify", message: value,
                                   metadata: ["value": .string(value), "list": [.string(value)], "odd key=\(index)": "k"],
                                   source: "ReliefStore")
            let line = LogfmtLine.format(record, for: .stream)
            XCTAssertEqual(line.filter { $0 == "\n" }.count, 1, "one line for \(value.debugDescription): \(line)")
            XCTAssertTrue(line.hasSuffix("\n"))
            text += line
        }
        let parsed = try PythonLogfmt.parse(text)
        XCTAssertEqual(parsed.count, awkward.count)
        for (value, line) in zip(awkward, parsed) {
            XCTAssertNil(line.priority)
            XCTAssertEqual(line.keys, ["time", "level", "label", "msg", "list.0", "odd_key_\(awkward.firstIndex(of: value)!)", "value", "source"])
            XCTAssertEqual(line["level"], "error")
            XCTAssertEqual(line["label"], "reliefd.verify")
            XCTAssertEqual(line["msg"], value)
            XCTAssertEqual(line["value"], value)
            XCTAssertEqual(line["list.0"], value)
            XCTAssertEqual(line["source"], "ReliefStore")
        }
        XCTAssertEqual(parsed.first?["time"], "2026-12-06T07:02:35.123Z")
    }
}
