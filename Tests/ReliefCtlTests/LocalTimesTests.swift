import XCTest
import ReliefCore
import ReliefProtocol
@testable import reliefctl

/// reliefctl's tables show the daemon's UTC times on the operation's wall clock, with the offset;
/// JSON, CSV and raw output, and everything but whole timestamps, stay as sent.
final class LocalTimesTests: XCTestCase {
    private let shanghai = try! OperationTimeZone.system(named: "Asia/Shanghai")
    private let newYork = try! OperationTimeZone.system(named: "America/New_York")

    func testATimestampValueIsShownInTheZoneWithItsOffset() {
        XCTAssertEqual(LocalTimes.value("2026-12-03T10:00:00Z", in: shanghai), "2026-12-03T18:00:00+08:00")
        XCTAssertEqual(LocalTimes.value("2026-12-03T15:30:00Z", in: shanghai), "2026-12-03T23:30:00+08:00", "before local midnight")
        XCTAssertEqual(LocalTimes.value("2026-12-03T16:30:00Z", in: shanghai), "2026-12-04T00:30:00+08:00", "after it: the next local day")
        XCTAssertEqual(LocalTimes.value("2026-12-06T03:02:05.217Z", in: shanghai), "2026-12-06T11:02:05.217+08:00", "milliseconds kept")
        // Around New York's change of clocks (2026-03-08 07:00Z): each time with the offset it had.
        XCTAssertEqual(LocalTimes.value("2026-03-08T06:59:59Z", in: newYork), "2026-03-08T01:59:59-05:00")
        XCTAssertEqual(LocalTimes.value("2026-03-08T07:00:00Z", in: newYork), "2026-03-08T03:00:00-04:00")
        XCTAssertEqual(LocalTimes.value("2026-11-01T05:30:00Z", in: newYork), "2026-11-01T01:30:00-04:00")
        XCTAssertEqual(LocalTimes.value("2026-11-01T06:30:00Z", in: newYork), "2026-11-01T01:30:00-05:00", "the repeated hour, told apart")
        // Not a whole UTC timestamp as the daemon writes one: left alone.
        for value in ["2026-12-03", "2026-12-03T10:00Z", "2026-12-03T18:00:00+08:00", "2026-12-03t10:00:00z", "by 2026-12-03T10:00:00Z",
                      "2026-12-03T10:00:00.5Z", "N-000001", "", "2026-13-03T10:00:00Z"] {
            XCTAssertNil(LocalTimes.value(value, in: shanghai), value)
        }
    }

    func testTablesShowLocalTimesWhileJSONCSVAndRawStayUTC() {
        let reply = ReplyReader.Parsed.rows([
            #"need=N-000001 ref="" by=2026-12-03T15:30:00Z note="due 2026-12-03T15:30:00Z" created=2026-12-01T08:00:00Z"#,
            "need=N-000002 ref=w by=2026-12-03T16:30:00Z note=x created=2026-12-01T08:00:00Z",
        ])
        let table = Output.render(LocalTimes.shown(reply, in: shanghai), as: .table).out
        XCTAssertEqual(table, """
        need      ref  by                         note                      created
        --------  ---  -------------------------  ------------------------  -------------------------
        N-000001       2026-12-03T23:30:00+08:00  due 2026-12-03T15:30:00Z  2026-12-01T16:00:00+08:00
        N-000002  w    2026-12-04T00:30:00+08:00  x                         2026-12-01T16:00:00+08:00
        (2 rows)

        """)
        // What a program reads is what the daemon sent: the caller rewrites for tables only.
        XCTAssertTrue(Output.render(reply, as: .json).out.contains(#""by": "2026-12-03T15:30:00Z""#))
        XCTAssertTrue(Output.render(reply, as: .csv).out.contains("2026-12-03T16:30:00Z"))
        XCTAssertEqual(LocalTimes.shown(reply, in: .utc), reply, "in UTC nothing changes")
    }

    func testAnOKLineKeepsItsLogfmtAndLinesWithoutTimesAreUntouched() {
        XCTAssertEqual(LocalTimes.shown(.ok("need=N-000001 ref=w incident=flood priority=1 by=2026-12-03T10:00:00Z"), in: shanghai),
                       .ok("need=N-000001 ref=w incident=flood priority=1 by=2026-12-03T18:00:00+08:00"))
        let untouched = #"warehouse=ty-01 note="a, \"b\"" Zone=Z"#
        XCTAssertEqual(LocalTimes.line(untouched, in: shanghai), untouched)
        XCTAssertEqual(LocalTimes.shown(.error(code: "SYNTAX", message: "by 2026-12-03T10:00:00Z"), in: shanghai),
                       .error(code: "SYNTAX", message: "by 2026-12-03T10:00:00Z"))
        XCTAssertTrue(LocalTimes.hasTimestamp(.ok("by=2026-12-03T10:00:00Z")))
        XCTAssertFalse(LocalTimes.hasTimestamp(.ok("need=N-000001 note=\"2026-12-03T10:00:00Z soon\"")))
        XCTAssertFalse(LocalTimes.hasTimestamp(.rows(["warehouse=ty-01 on_hand=4"])))
    }

    func testTheZoneComesFromTheOptionThenTheEnvironment() throws {
        XCTAssertThrowsError(try DisplayZone(option: "Mars/Olympus", environment: [:])) { error in
            XCTAssertTrue("\(error)".hasPrefix("--time-zone: unknown time zone \"Mars/Olympus\""), "\(error)")
        }
        XCTAssertThrowsError(try DisplayZone(option: nil, environment: ["RELIEFD_TIME_ZONE": "CST"])) { error in
            XCTAssertTrue("\(error)".hasPrefix("$RELIEFD_TIME_ZONE: unknown time zone \"CST\""), "\(error)")
        }
        XCTAssertNoThrow(try DisplayZone(option: "UTC", environment: ["RELIEFD_TIME_ZONE": "CST"]), "the option wins")
        XCTAssertNoThrow(try DisplayZone(option: nil, environment: ["RELIEFD_TIME_ZONE": ""]), "empty: ask the daemon")
    }
}
