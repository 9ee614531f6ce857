import Foundation
import XCTest

/// Issue 15, end to end: a daemon started with `--time-zone Asia/Shanghai` reads `by=…T18:00` as
/// Shanghai time, answers and stores the UTC instant, keeps it across a restart in another zone,
/// and reliefctl's tables (only they) show it on the operation's clock.
final class TimeZoneTests: EndToEndTestCase {
    func testAShanghaiOperationReadsLocalTimesAndStoresUTC() throws {
        let daemon = try startDaemon(["--time-zone", "Asia/Shanghai"])
        let client = try daemon.connect()
        XCTAssertEqual(try info(client)["time_zone"], "Asia/Shanghai")
        try addCatalog(client)
        try ok(client, #"incident open flood title="Fen flood" kind=flood at=37.86,112.56 region=sx severity=4"#)

        func by(_ text: String, ref: String) throws -> String? {
            try ok(client, "need add flood supply water 300 by=\(text) ref=\(ref)").okFields?["by"]
        }
        XCTAssertEqual(try by("2027-12-03T18:00", ref: "evening"), "2027-12-03T10:00:00Z", "the officer's 18:00, echoed in UTC")
        XCTAssertEqual(try by("2027-12-03", ref: "day"), "2027-12-03T15:59:59Z", "a date: the end of that day in Shanghai")
        XCTAssertEqual(try by("2027-12-04T00:30+08:00", ref: "after-midnight"), "2027-12-03T16:30:00Z", "the UTC day before")
        XCTAssertEqual(try by("2027-12-03T23:30+08:00", ref: "before-midnight"), "2027-12-03T15:30:00Z")
        XCTAssertEqual(try by("2027-12-03T10:00:00.250-02:30", ref: "fraction"), "2027-12-03T12:30:00Z")
        XCTAssertEqual(try by("2027-12-03t18:00:30z", ref: "lower"), "2027-12-03T18:00:30Z")
        let refusal = try client.request("need add flood supply water 300 by=2027-12-03T18:00+25:00")
        XCTAssertEqual(refusal.errorCode, "SYNTAX")
        XCTAssertTrue(refusal.text.contains("bad by \"2027-12-03T18:00+25:00\": +25:00 is not a UTC offset"), refusal.text)

        // The journal holds the instant (milliseconds since the epoch), not the text.
        let path = daemon.dataDirectory + "/reliefd.db"
        let body = try XCTUnwrap(sqliteScalar(path, "SELECT body FROM journal WHERE kind = 'need.added' ORDER BY seq LIMIT 1"))
        XCTAssertTrue(body.contains("\"by\":1827828000000"), body) // 2027-12-03T10:00:00Z
        XCTAssertFalse(body.contains("18:00"), body)

        // reliefctl: a table shows the operation's clock (asked of the daemon); JSON stays UTC.
        let socket = ["--socket", daemon.socketPath]
        let table = try reliefctl(socket + ["--format", "table", "need", "list", "incident=flood"])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("2027-12-03T18:00:00+08:00"), table.out)
        XCTAssertTrue(table.out.contains("2027-12-04T00:30:00+08:00"), table.out)
        XCTAssertFalse(table.out.contains("2027-12-03T10:00:00Z"), table.out)
        let json = try reliefctl(socket + ["--format", "json", "need", "list", "incident=flood"])
        XCTAssertTrue(json.out.contains(#""by": "2027-12-03T10:00:00Z""#), json.out)
        XCTAssertFalse(json.out.contains("+08:00"), json.out)
        let raw = try reliefctl(socket + ["--format", "raw", "need", "add", "flood", "supply", "water", "5", "by=2027-12-05T09:00"])
        XCTAssertTrue(raw.out.contains("by=2027-12-05T01:00:00Z"), raw.out)
        let shown = try reliefctl(socket + ["--format", "table", "need", "add", "flood", "supply", "water", "5", "by=2027-12-05T09:00"])
        XCTAssertTrue(shown.out.contains("by=2027-12-05T09:00:00+08:00"), shown.out)
        let utc = try reliefctl(socket + ["--format", "table", "need", "list", "incident=flood"], environment: ["RELIEFD_TIME_ZONE": "UTC"])
        XCTAssertTrue(utc.out.contains("2027-12-03T10:00:00Z"), utc.out)
        let berlin = try reliefctl(socket + ["--format", "table", "--time-zone", "Europe/Berlin", "need", "list", "incident=flood"])
        XCTAssertTrue(berlin.out.contains("2027-12-03T11:00:00+01:00"), berlin.out)
        let unknown = try reliefctl(socket + ["--time-zone", "CST", "ping"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.err.contains("--time-zone: unknown time zone \"CST\""), unknown.err)

        // Restarted in another zone (a kill -9 and a replay of the journal): the same instants.
        let before = try rows(client, "need list incident=flood").compactMap { $0["by"] }.sorted()
        client.close()
        daemon.kill()
        daemon.extraFlags = ["--time-zone", "America/New_York"]
        try daemon.start()
        let again = try daemon.connect()
        XCTAssertEqual(try info(again)["time_zone"], "America/New_York")
        XCTAssertEqual(try rows(again, "need list incident=flood").compactMap { $0["by"] }.sorted(), before)
        XCTAssertTrue(before.contains("2027-12-03T10:00:00Z"), "\(before)")
        XCTAssertEqual(try ok(again, "need add flood supply water 1 by=2027-12-03T18:00").okFields?["by"], "2027-12-03T23:00:00Z",
                       "new requests read the new zone")
        let newYork = try reliefctl(socket + ["--format", "table", "need", "list", "incident=flood"])
        XCTAssertTrue(newYork.out.contains("2027-12-03T05:00:00-05:00"), newYork.out)
    }

    func testAnUnknownZoneStopsTheStart() throws {
        let directory = NSTemporaryDirectory() + "reliefd-tz-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try reliefd(["--data-dir", directory + "/data", "--socket", directory + "/r.sock", "--time-zone", "Asia/Shangai"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.err.contains("--time-zone: bad value \"Asia/Shangai\" for time_zone: not a time zone known here; expected a name of the tz database such as Asia/Shanghai"),
                      result.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/r.sock"))
        let abbreviation = try reliefd(["--time-zone", "CST", "--check-config"])
        XCTAssertEqual(abbreviation.status, 2)
        XCTAssertTrue(abbreviation.err.contains("abbreviations such as CST or IST are refused"), abbreviation.err)
        let good = try reliefd(["--time-zone", "Asia/Shanghai", "--check-config"])
        XCTAssertEqual(good.status, 0, good.err)
    }
}
