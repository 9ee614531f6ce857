import Foundation
import ReliefProtocol
import XCTest

/// The HTTP listener: off unless configured; every request logs in with a user and a token; the
/// text protocol's reads as JSON, writes refused; /metrics parsed by Prometheus's own parser.
final class HTTPTests: EndToEndTestCase {
    /// A daemon with HTTP on a free port, a catalog, and a viewer with a token.
    func httpDaemon(_ flags: [String] = []) throws -> (Daemon, Client, UInt16, String) {
        let port = try Daemon.freePort()
        let daemon = try startDaemon(["--http", "127.0.0.1:\(port)"] + flags)
        let admin = try daemon.connect()
        try addCatalog(admin)
        try ok(admin, "stock receive wh-a water 120 lot=W1")
        try ok(admin, "user add screen role=viewer")
        let token = try XCTUnwrap(try ok(admin, "token create screen board").okFields?["token"])
        return (daemon, admin, port, token)
    }

    func testReadsAsJSONForAUserWithAToken() throws {
        let (daemon, admin, port, token) = try httpDaemon()
        _ = daemon

        let anonymous = try get(port, "/api/stock/query")
        XCTAssertEqual(anonymous.status, 401)
        let started = Date()
        XCTAssertEqual(try get(port, "/api/stock/query", user: "screen", token: "rlf_wrong").status, 401)
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.5, "a failed login is answered late, as on the control socket")

        let stock = try get(port, "/api/stock/query?item=water&warehouse=wh-a", user: "screen", token: token)
        XCTAssertEqual(stock.status, 200, stock.body)
        let rows = try XCTUnwrap(try json(stock.body)["rows"] as? [[String: Any]])
        // Typed JSON: a quantity is a number, an id a string (docs/protocol.md "Replies as JSON").
        XCTAssertEqual((rows.first?["available"] as? NSNumber)?.int64Value, 120, stock.body)
        XCTAssertFalse(rows.first?["available"] is String, stock.body)
        XCTAssertEqual(rows.first?["warehouse"] as? String, "wh-a", stock.body)
        XCTAssertEqual(try json(stock.body)["more"] as? Bool, false)

        // Positional words are path segments; a quoted value with spaces is percent-encoded.
        try ok(admin, "incident open flood title=\"Yangquan flash flood\" kind=flood at=37.86,113.58 region=sx severity=4")
        let shown = try get(port, "/api/incident/show/flood", user: "screen", token: token)
        XCTAssertEqual(shown.status, 200, shown.body)
        let head = try XCTUnwrap((try json(shown.body)["rows"] as? [[String: Any]])?.first, shown.body)
        XCTAssertEqual(head["what"] as? String, "Yangquan flash flood")
        XCTAssertEqual((head["severity"] as? NSNumber)?.int64Value, 4, shown.body)
        let filtered = try get(port, "/api/stock/lots?warehouse=wh%2Da", user: "screen", token: token)
        XCTAssertEqual((try json(filtered.body)["rows"] as? [[String: Any]])?.count, 1, filtered.body)

        // Refusals: the text protocol's, with the HTTP status they mean; writes are not served.
        let missing = try get(port, "/api/incident/show/nowhere", user: "screen", token: token)
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(try json(missing.body)["error"] as? String, "NOTFOUND")
        XCTAssertEqual(try get(port, "/api/stock/query?color=red", user: "screen", token: token).status, 400)
        XCTAssertEqual(try get(port, "/api/stock/receive/wh-a/water/5", user: "screen", token: token).status, 405)
        XCTAssertEqual(try get(port, "/api/watch", user: "screen", token: token).status, 404)
        XCTAssertEqual(try get(port, "/api/volunteer/list?limit=100000", user: "screen", token: token).status, 413)
        XCTAssertEqual(try get(port, "/nowhere", user: "screen", token: token).status, 404)
        let after = try self.rows(admin, "stock query item=water warehouse=wh-a")
        XCTAssertEqual(after.first?["available"], "120", "nothing written over HTTP")

        // The viewer does not see personal data over HTTP either.
        try ok(admin, "skill add first-aid name=\"First aid\"")
        try ok(admin, "volunteer add v1 name=\"Wang Wei\" region=sx at=37.87,112.55 phone=13800000001")
        let volunteer = try get(port, "/api/volunteer/show/v1?personal=yes", user: "screen", token: token)
        XCTAssertFalse(volunteer.body.contains("13800000001"), volunteer.body)
    }

    func testMapLayersAreGeoJSONOverHTTPAndFromReliefctl() throws {
        let (daemon, admin, port, token) = try httpDaemon()
        try ok(admin, "skill add first-aid name=\"First aid\"")
        try ok(admin, "volunteer add v1 name=\"Wang Wei\" region=sx at=37.87,112.55 phone=13800000001 id_number=140102199001011234")
        try ok(admin, "incident open flood title=\"Yangquan flash flood\" kind=flood at=37.86,113.58 region=sx severity=4")
        let layer = try get(port, "/geo/warehouses", user: "screen", token: token)
        XCTAssertEqual(layer.status, 200, layer.body)
        let collection = try json(layer.body)
        XCTAssertEqual(collection["type"] as? String, "FeatureCollection")
        let features = try XCTUnwrap(collection["features"] as? [[String: Any]])
        XCTAssertEqual(features.count, 2)
        let first = try XCTUnwrap(features.first { ($0["properties"] as? [String: String])?["warehouse"] == "wh-a" })
        XCTAssertEqual((first["geometry"] as? [String: Any])?["coordinates"] as? [Double], [112.55, 37.87], "longitude first")
        XCTAssertEqual((first["properties"] as? [String: String])?["name"], "Depot A")
        let incidents = try json(try get(port, "/geo/incidents?status=open", user: "screen", token: token).body)
        XCTAssertEqual((incidents["features"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual(try get(port, "/geo/rivers", user: "screen", token: token).status, 404)

        // Personal data is never on a map, whoever asks.
        let volunteers = try get(port, "/geo/volunteers", user: "screen", token: token)
        XCTAssertFalse(volunteers.body.contains("13800000001") || volunteers.body.contains("phone"), volunteers.body)

        let printed = try reliefctl(["--socket", daemon.socketPath, "--format", "geojson", "volunteer", "list", "personal"])
        XCTAssertEqual(printed.status, 0, printed.err)
        let fromReliefctl = try json(printed.out)
        let volunteer = try XCTUnwrap((fromReliefctl["features"] as? [[String: Any]])?.first)
        XCTAssertEqual((volunteer["geometry"] as? [String: Any])?["coordinates"] as? [Double], [112.55, 37.87])
        let properties = try XCTUnwrap(volunteer["properties"] as? [String: Any], printed.out)
        XCTAssertEqual(properties["name"] as? String, "Wang Wei")
        XCTAssertEqual(properties["available"] as? Bool, true, "a yes/no flag is a boolean: \(printed.out)")
        XCTAssertFalse(printed.out.contains("13800000001") || printed.out.contains("140102199001011234"), printed.out)
    }

    /// The report: `jq 'select(.available > 1000)'` was wrong on every row, every value being a
    /// string. Typed, it selects the right rows from reliefctl's JSON and from the HTTP JSON alike
    /// (jq when installed, else Python's json), and an id that looks like a number stays a string.
    func testJSONFromReliefctlAndHTTPSelectsRowsByNumber() throws {
        let (daemon, admin, port, token) = try httpDaemon()
        try ok(admin, "warehouse add 007 name=\"Depot 007\" region=sx at=37.60,112.60")
        try ok(admin, "stock receive wh-b water 1500 lot=2026")
        try ok(admin, "stock receive 007 water 1000 lot=W7")
        try ok(admin, "stock receive 007 water 1 lot=W8")
        // wh-a holds 120 (the set-up), wh-b 1500, 007 1001.

        let printed = try reliefctl(["--socket", daemon.socketPath, "--format", "json", "stock", "query", "item=water"])
        XCTAssertEqual(printed.status, 0, printed.err)
        let file = NSTemporaryDirectory() + "stock-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try printed.out.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try selectAvailableOver1000(file).sorted(), ["007", "wh-b"], printed.out)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(printed.out.utf8)) as? [[String: Any]], printed.out)
        let depot = try XCTUnwrap(rows.first { $0["warehouse"] as? String == "007" }, printed.out)
        XCTAssertEqual((depot["on_hand"] as? NSNumber)?.int64Value, 1001)
        XCTAssertEqual((depot["reserved"] as? NSNumber)?.int64Value, 0)

        let answer = try get(port, "/api/stock/query?item=water", user: "screen", token: token)
        XCTAssertEqual(answer.status, 200, answer.body)
        try answer.body.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try selectAvailableOver1000(file, rows: ".rows[]").sorted(), ["007", "wh-b"], answer.body)

        let lots = try XCTUnwrap(try json(try get(port, "/api/stock/lots?item=water", user: "screen", token: token).body)["rows"] as? [[String: Any]])
        XCTAssertEqual(lots.first { ($0["lot"] as? String) == "2026" }?["warehouse"] as? String, "wh-b", "a lot 2026 stays a string")
    }

    func testMetricsParseAsPrometheusText() throws {
        let (daemon, admin, port, token) = try httpDaemon()
        _ = daemon
        for index in 1...20 { try ok(admin, "stock receive wh-b water \(index) lot=M\(index)") }
        try refused(admin, "stock issue wh-b water 100000", "INSUFFICIENT")
        let metrics = try get(port, "/metrics", user: "screen", token: token)
        XCTAssertEqual(metrics.status, 200)
        let file = NSTemporaryDirectory() + "metrics-\(UUID().uuidString).txt"
        try metrics.body.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        // Debian's python3-prometheus-client (deploy/test installs it): the format's reference parser.
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for sample in family.samples:
                    labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items())) or "-"
                    print(family.type, sample.name, labels, sample.value)
            """
        let parsed = try runProgram("/usr/bin/python3", ["-c", script, file], timeout: 60)
        XCTAssertEqual(parsed.status, 0, parsed.err)
        let lines = parsed.out.split(separator: "\n").map(String.init)
        func value(_ name: String, _ labels: String = "-") -> Double? {
            lines.first { $0.split(separator: " ").count == 4 && $0.split(separator: " ")[1] == name && String($0.split(separator: " ")[2]) == labels }
                .flatMap { Double($0.split(separator: " ")[3]) }
        }
        XCTAssertGreaterThanOrEqual(value("reliefd_commit_seconds_count") ?? 0, 20, parsed.out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("histogram reliefd_commit_seconds_bucket le=+Inf") }, parsed.out)
        XCTAssertGreaterThanOrEqual(value("reliefd_commit_batch_entries_sum") ?? 0, 20)
        XCTAssertTrue(lines.contains("counter reliefd_requests_total command=stock receive,result=ok 21.0"), "one receive in the set-up, twenty here: \(parsed.out)")
        XCTAssertTrue(lines.contains("counter reliefd_requests_total command=stock issue,result=INSUFFICIENT 1.0"), parsed.out)
        XCTAssertEqual(value("reliefd_clients"), 1)
        XCTAssertEqual(value("reliefd_subscribers"), 0)
        XCTAssertEqual(value("reliefd_store_up"), 1)
        XCTAssertEqual(value("reliefd_role", "role=leader"), 1)
        XCTAssertEqual(value("reliefd_offload_queue"), 0)
        XCTAssertNotNil(value("reliefd_alerts", "kind=stock_low"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("histogram reliefd_snapshot_seconds_count") }, parsed.out)
    }

    func testAnAddressInUseStopsStartUpWithAMessage() throws {
        let port = try Daemon.freePort()
        let first = try startDaemon(["--http", "127.0.0.1:\(port)"])
        _ = first
        let second = try Daemon(flags: ["--http", "127.0.0.1:\(port)"])
        defer { second.cleanUp() }
        XCTAssertThrowsError(try second.start(timeout: 20))
        XCTAssertTrue(second.log.contains("cannot listen for HTTP on 127.0.0.1:\(port)"), second.log)
    }
}
