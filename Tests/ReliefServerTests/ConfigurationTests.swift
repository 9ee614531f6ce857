import XCTest
@testable import ReliefServer

final class ConfigurationTests: XCTestCase {
    func testExampleConfigurationLoadsAndSetsEveryKey() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/reliefd.conf")
        let text = try String(contentsOf: url, encoding: .utf8)
        var configuration = Configuration()
        try configuration.load(fileText: text, name: "reliefd.conf")
        XCTAssertEqual(configuration.socket, "data/reliefd.sock")
        XCTAssertNil(configuration.tcp, "the shipped configuration keeps TCP off unless asked")
        XCTAssertNil(Configuration().tcp, "TCP is off unless configured")
        XCTAssertNil(configuration.http, "the shipped configuration keeps HTTP off unless asked")
        XCTAssertNil(Configuration().http, "HTTP is off unless configured")
        XCTAssertTrue(configuration.demo)
        XCTAssertEqual(configuration.demoVolunteers, 28_500)
        XCTAssertEqual(configuration.adminUIDs, Configuration().adminUIDs, "the example states the default")
        XCTAssertEqual(configuration.coordinatorUIDs, Configuration().coordinatorUIDs, "the example states the default")
        XCTAssertEqual(configuration.unixDefaultRole, .viewer, "the example states the default")
        // The example documents every key the daemon knows.
        for key in Configuration.keys {
            XCTAssertTrue(text.contains("\n\(key.key) ="), "config/reliefd.conf does not document \(key.key)")
        }
    }

    func testReadThreadsAreOnePerCoreUnlessSet() throws {
        var configuration = Configuration()
        let cores = max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1)
        XCTAssertEqual(configuration.readThreads, min(cores, 8), "one per core, at most 8")
        try configuration.set("read_threads", "0")
        XCTAssertEqual(configuration.readThreads, 0)
        try configuration.set("read_threads", "12")
        XCTAssertEqual(configuration.readThreads, 12)
        try configuration.set("read_threads", "auto")
        XCTAssertEqual(configuration.readThreads, min(cores, 8))
        for bad in ["-1", "65", "two", ""] {
            XCTAssertThrowsError(try configuration.set("read_threads", bad)) { error in
                XCTAssertTrue("\(error)".contains("for read_threads; expected auto or a whole number from 0 to 64"), "\(error)")
            }
        }
        XCTAssertEqual(configuration.readThreads, min(cores, 8), "a bad value changes nothing")
    }

    /// `advertise`: what a leader records for followers. An IP or a host name with a port; auto
    /// takes `tcp` unless it is a wildcard; off records none.
    func testAdvertiseTakesAnAddressOrAHostNameWithAPort() throws {
        var configuration = Configuration()
        XCTAssertEqual(configuration.advertisedAddress, "")
        try configuration.set("tcp", "10.0.0.5:7878")
        XCTAssertEqual(configuration.advertisedAddress, "10.0.0.5:7878", "auto: the one address tcp names")
        try configuration.set("tcp", "0.0.0.0:7878")
        XCTAssertEqual(configuration.advertisedAddress, "", "a wildcard is no address to reach")
        for good in ["10.0.0.5:7878", "[fd00::5]:7878", "reliefd-1.province.example:7878", "localhost:1", "a1:65535", "A-B.c:80"] {
            try configuration.set("advertise", good)
            XCTAssertEqual(configuration.advertisedAddress, good)
        }
        try configuration.set("advertise", "off")
        XCTAssertEqual(configuration.advertisedAddress, "")
        for bad in ["reliefd", "host:0", "host:65536", "-host:1", "host-:1", "a..b:1", "under_score:1", "1.2.3:7878", ":7878",
                    String(repeating: "a", count: 64) + ".example:1", "http://host:1", "host:port"] {
            XCTAssertThrowsError(try configuration.set("advertise", bad), bad) { error in
                XCTAssertTrue("\(error)".contains("expected HOST:PORT followers can reach"), "\(error)")
            }
        }
        XCTAssertEqual(configuration.advertisedAddress, "", "a bad value changes nothing")
    }

    func testAFollowerNeedsAPostgreSQLStoreAndAPollIntervalWithinBounds() throws {
        var configuration = Configuration()
        XCTAssertEqual(configuration.role, .leader)
        try configuration.set("role", "follower")
        XCTAssertEqual(configuration.role, .follower)
        XCTAssertThrowsError(try configuration.checkConsistency()) { error in
            XCTAssertTrue("\(error)".contains("role = follower needs store = postgres://"), "\(error)")
        }
        try configuration.set("store", "postgres://reliefd@127.0.0.1/relief")
        XCTAssertNoThrow(try configuration.checkConsistency())
        XCTAssertThrowsError(try configuration.set("role", "standby")) { error in
            XCTAssertTrue("\(error)".contains("for role; expected leader or follower"), "\(error)")
        }
        XCTAssertEqual(configuration.followPoll, 0.02)
        try configuration.set("follow_poll", "0.005")
        XCTAssertEqual(configuration.followPoll, 0.005)
        for bad in ["0", "0.0001", "61", "soon"] {
            XCTAssertThrowsError(try configuration.set("follow_poll", bad), bad)
        }
        XCTAssertEqual(configuration.followPoll, 0.005)
    }

    func testLimitsThatMustAgreeAreCheckedTogether() throws {
        var configuration = Configuration()
        try configuration.set("max_output", "131072")
        try configuration.set("output_soft_limit", "262144")
        XCTAssertThrowsError(try configuration.checkConsistency()) { error in
            XCTAssertTrue("\(error)".contains("output_soft_limit"), "\(error)")
        }
        try configuration.set("output_soft_limit", "65536")
        XCTAssertNoThrow(try configuration.checkConsistency())
        try configuration.set("tcp", "127.0.0.1:7878")
        try configuration.set("max_clients", "10")
        try configuration.set("unix_reserved_clients", "10")
        XCTAssertThrowsError(try configuration.checkConsistency()) { error in
            XCTAssertTrue("\(error)".contains("unix_reserved_clients"), "\(error)")
        }
        try configuration.set("tcp", "off")
        XCTAssertNoThrow(try configuration.checkConsistency(), "no TCP: every slot may be the Unix socket's")
    }

    func testValuesAndQuotesAndComments() throws {
        var configuration = Configuration()
        try configuration.load(fileText: """
            # comment
            socket = "/tmp/x.sock"   # trailing comment
            socket_mode = 0600
            tcp = off
            max_line = 2048
            partial_line_timeout = 2.5
            demo = off
            store = sqlite:/tmp/r.db
            """, name: "t.conf")
        XCTAssertEqual(configuration.socket, "/tmp/x.sock")
        XCTAssertEqual(configuration.socketMode, 0o600)
        XCTAssertNil(configuration.tcp)
        XCTAssertEqual(configuration.maxLine, 2048)
        XCTAssertEqual(configuration.partialLineTimeout, 2.5)
        XCTAssertFalse(configuration.demo)
        XCTAssertEqual(configuration.sqlitePath, "/tmp/r.db")
    }

    func testRosterKeys() throws {
        var configuration = Configuration()
        XCTAssertEqual(configuration.adminUIDs, [0, UInt32(getuid())], "default: root and the daemon's own uid")
        XCTAssertEqual(configuration.coordinatorUIDs, [], "default: nobody but admins sees personal data")
        XCTAssertEqual(configuration.unixDefaultRole, .viewer)
        XCTAssertEqual(configuration.catalogFile, "config/catalog/skills.commands")
        XCTAssertEqual(configuration.maxImportRows, 4_000_000, "a national roster of 1,000,000 volunteers with their certifications fits")
        try configuration.load(fileText: """
            coordinator_uids = 1001, self,0
            admin_uids =
            unix_default_role = none
            catalog_file = off
            demo_volunteers = 100
            demo_seed = 7
            max_import_rows = 500
            """, name: "r.conf")
        XCTAssertEqual(configuration.coordinatorUIDs, [1001, UInt32(getuid()), 0])
        XCTAssertEqual(configuration.adminUIDs, [])
        XCTAssertNil(configuration.unixDefaultRole)
        XCTAssertThrowsError(try configuration.set("unix_default_role", "operator")) { error in
            XCTAssertTrue("\(error)".contains("expected one of admin|duty_officer"), "\(error)")
        }
        XCTAssertNil(configuration.catalogFile)
        XCTAssertEqual(configuration.demoVolunteers, 100)
        XCTAssertEqual(configuration.demoSeed, 7)
        XCTAssertEqual(configuration.maxImportRows, 500)
        try configuration.set("coordinator_uids", "")
        XCTAssertEqual(configuration.coordinatorUIDs, [], "empty: nobody is a coordinator")
        XCTAssertThrowsError(try configuration.set("coordinator_uids", "0,root")) { error in
            XCTAssertTrue("\(error)".contains("bad uid \"root\" in coordinator_uids"), "\(error)")
        }
        XCTAssertThrowsError(try configuration.set("max_import_rows", "0"))
        XCTAssertThrowsError(try configuration.set("demo_volunteers", "-1"))
    }

    func testMatchingKeysAreCheckedAndKept() throws {
        var configuration = Configuration()
        try configuration.load(fileText: "matching_cost_per_km = 250\nmatching_offload_above_needs = 50\n", name: "c.conf")
        XCTAssertEqual(configuration.matching, ["matching_cost_per_km": "250", "matching_offload_above_needs": "50"])
        XCTAssertThrowsError(try configuration.load(fileText: "\n\nmatching_cost_per_km = -3\n", name: "c.conf")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.conf:3: "), "\(error)")
            XCTAssertTrue("\(error)".contains("cost_per_km"), "\(error)")
        }
        XCTAssertThrowsError(try configuration.load(fileText: "matching_speed = 3\n", name: "c.conf")) { error in
            XCTAssertTrue("\(error)".contains("matching_speed") || "\(error)".contains("speed"), "\(error)")
        }
        XCTAssertEqual(configuration.matching["matching_cost_per_km"], "250", "a refused value changes nothing")
    }

    func testBadKeysAndValuesAreNamedWithTheirLine() {
        func problem(_ text: String) -> String? {
            var configuration = Configuration()
            do { try configuration.load(fileText: text, name: "c.conf") } catch { return "\(error)" }
            return nil
        }
        XCTAssertEqual(problem("sockett = x")?.hasPrefix("c.conf:1: unknown key \"sockett\""), true)
        XCTAssertEqual(problem("\nmax_line = 12"), "c.conf:2: bad value \"12\" for max_line; expected a whole number from 1024 to 16777216")
        XCTAssertNotNil(problem("tcp = 127.0.0.1"))
        XCTAssertNotNil(problem("socket_mode = 999"))
        XCTAssertNotNil(problem("demo = maybe"))
        XCTAssertNotNil(problem("log_level = loud"))
        XCTAssertNotNil(problem("store = mysql://x"))
        // A mistyped URL is named by its scheme only: its password stays out of the message.
        XCTAssertEqual(problem("store = postgress://reliefd:s3cret@db/relief"),
                       "c.conf:1: bad value \"postgress://…\" for store; expected sqlite, sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")
        XCTAssertNil(problem("store = postgres://reliefd@127.0.0.1:5432/relief"))
        var postgres = Configuration()
        try? postgres.set("store", "postgresql://reliefd@db.example/relief")
        XCTAssertEqual(postgres.postgresURL, "postgresql://reliefd@db.example/relief")
        XCTAssertNil(Configuration().postgresURL)
        XCTAssertNotNil(problem("just words"))
        XCTAssertNotNil(problem("socket = /" + String(repeating: "a", count: 120)))
    }
}
