#if canImport(Glibc)
import Glibc
#endif
import CSQLite
import Foundation
import XCTest

/// Snapshots inside the hash chain (issue 9): a snapshot counts only with its seal in the journal,
/// start-up recomputes the whole chain, and `reliefd verify` audits a store offline. The store file
/// is edited here as an intruder would, with the SQLite C API and the journal's guard dropped.
final class JournalVerificationTests: EndToEndTestCase {
    private var databasePath: String = ""

    private func sql(_ statements: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open_v2(databasePath, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            defer { sqlite3_close_v2(db) }
            throw Daemon.Failure("cannot open \(databasePath)")
        }
        defer { sqlite3_close_v2(db) }
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, statements, nil, nil, &message) == SQLITE_OK else {
            defer { sqlite3_free(message) }
            throw Daemon.Failure("\(statements): \(message.map { String(cString: $0) } ?? "?")")
        }
    }

    private func scalar(_ query: String) throws -> String? {
        try sqliteScalar(databasePath, query)
    }

    /// A daemon that wrote a few entries, was stopped cleanly (a final snapshot and its seal) and
    /// is not running: its snapshot seq and the seq after the seal.
    private func stoppedDaemonWithASealedSnapshot() throws -> (Daemon, snapshot: Int64, last: Int64) {
        let daemon = try startDaemon()
        databasePath = daemon.dataDirectory + "/reliefd.db"
        let client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 500 lot=D-1 donor=\"Yangquan Steel\"")
        try ok(client, "stock issue wh-a water 20 to=shelter")
        client.close()
        try daemon.stop()
        let snapshot = try XCTUnwrap(Int64(try scalar("SELECT MAX(seq) FROM snapshots") ?? ""))
        let last = try XCTUnwrap(Int64(try scalar("SELECT MAX(seq) FROM journal") ?? ""))
        XCTAssertEqual(try scalar("SELECT kind FROM journal WHERE seq = \(last)"), "snapshot.sealed")
        XCTAssertEqual(snapshot, last - 1)
        return (daemon, snapshot, last)
    }

    private func verify(_ daemon: Daemon) throws -> (status: Int32, out: String, err: String) {
        try reliefd(["verify", "--data-dir", daemon.dataDirectory])
    }

    /// `info` shows the journal's head after commits and after a load, the hash `reliefd verify` reports.
    func testInfoShowsTheJournalHeadAfterCommitsAndAfterALoad() throws {
        let daemon = try startDaemon()
        databasePath = daemon.dataDirectory + "/reliefd.db"
        var client = try daemon.connect()
        try addCatalog(client)
        // The head and committed_seq come from the same instant; the daemon may journal a
        // snapshot's seal right after (it does after a replay), so compare with the row at that seq.
        func checkHead(_ moment: String) throws {
            let fields = try info(client)
            let head = fields["journal_head"]
            XCTAssertEqual(head?.utf8.count, 64, moment)
            XCTAssertEqual(head, try scalar("SELECT hash FROM journal WHERE seq = \(fields["committed_seq"] ?? "0")"), moment)
        }
        _ = try settledInfo(client)
        try checkHead("after commits")
        client.close()
        daemon.kill()
        try daemon.start()
        client = try daemon.connect()
        try checkHead("after a crash and a load")
    }

    func testVerifyReportsTheChainAndItsLastHash() throws {
        let (daemon, _, last) = try stoppedDaemonWithASealedSnapshot()
        let result = try verify(daemon)
        XCTAssertEqual(result.status, 0, result.err)
        let hash = try XCTUnwrap(try scalar("SELECT hash FROM journal WHERE seq = \(last)"))
        XCTAssertTrue(result.out.contains("entries=\(last) last_seq=\(last) last_hash=\(hash) snapshots_checked=1"), result.out)
        // Beside a running daemon too: the file is only read.
        try daemon.start()
        let running = try verify(daemon)
        XCTAssertEqual(running.status, 0, running.err)
        XCTAssertTrue(running.out.contains("last_hash=\(hash)"), running.out)
        XCTAssertEqual(try reliefd(["verify", "--data-dir", daemon.directory + "/nowhere"]).status, 1)
        let help = try reliefd(["--help"])
        XCTAssertTrue(help.out.contains("reliefd verify"), help.out)
    }

    func testEditedSnapshotRowStopsStartUpNamingItsSeq() throws {
        let (daemon, snapshot, _) = try stoppedDaemonWithASealedSnapshot()
        // Still a valid snapshot of a consistent state (the invariants hold): only its seal tells.
        // A snapshot's text is in its parts (docs/storage.md).
        try sql("UPDATE snapshot_parts SET body = replace(body, 'Yangquan Steel', 'Someone Else') WHERE seq = \(snapshot)")
        XCTAssertEqual(try scalar("SELECT COUNT(*) FROM snapshot_parts WHERE body LIKE '%Someone Else%'"), "1")

        let audit = try verify(daemon)
        XCTAssertEqual(audit.status, 1, audit.out)
        XCTAssertTrue(audit.err.contains("first bad seq \(snapshot)"), audit.err)
        XCTAssertTrue(audit.err.contains("snapshot at seq \(snapshot) does not match its seal"), audit.err)

        XCTAssertThrowsError(try daemon.start()) { error in
            XCTAssertTrue("\(error)".contains("exited during start-up (exit 1)"), "\(error)")
            XCTAssertTrue("\(error)".contains("snapshot at seq \(snapshot) does not match its seal"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    func testEditedJournalRowBeforeTheSnapshotStopsStartUpNamingItsSeq() throws {
        let (daemon, snapshot, _) = try stoppedDaemonWithASealedSnapshot()
        XCTAssertGreaterThan(snapshot, 5)
        // Row 5 (the receipt of 500) is long before the snapshot a start loads from.
        XCTAssertEqual(try scalar("SELECT kind FROM journal WHERE seq = 5"), "lot.received")
        try sql("DROP TRIGGER journal_no_update; UPDATE journal SET body = replace(body, '\"qty\":500', '\"qty\":5000') WHERE seq = 5")

        let audit = try verify(daemon)
        XCTAssertEqual(audit.status, 1, audit.out)
        XCTAssertTrue(audit.err.contains("first bad seq 5"), audit.err)

        XCTAssertThrowsError(try daemon.start()) { error in
            XCTAssertTrue("\(error)".contains("exited during start-up (exit 1)"), "\(error)")
            XCTAssertTrue("\(error)".contains("journal entry seq 5 fails the hash chain"), "\(error)")
        }
    }

    /// A crash between storing a snapshot and committing its seal (here: the seal, the journal's
    /// last row, removed): the snapshot is skipped, the journal replayed, and a sealed one taken.
    func testUnsealedSnapshotIsSkippedAndReplacedBySealedOne() throws {
        let (daemon, snapshot, last) = try stoppedDaemonWithASealedSnapshot()
        try sql("DROP TRIGGER journal_no_delete; DELETE FROM journal WHERE seq = \(last)")
        XCTAssertEqual(try verify(daemon).status, 0)
        XCTAssertTrue(try verify(daemon).out.contains("snapshots_checked=0 snapshots_unsealed=1"))

        try daemon.start()
        XCTAssertTrue(daemon.log.contains("skipping snapshot"), daemon.log)
        let client = try daemon.connect()
        XCTAssertEqual(try rows(client, "stock query warehouse=wh-a").first?["on_hand"], "480")
        // The start-up snapshot at the same seq, sealed this time.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try info(client)["seq"] != String(snapshot + 1) { usleep(20_000) }
        XCTAssertEqual(try info(client)["seq"], String(snapshot + 1))
        XCTAssertEqual(try info(client)["snapshot_seq"], String(snapshot))
        client.close()
        try daemon.stop()
        XCTAssertTrue(try verify(daemon).out.contains("snapshots_checked=1"))
    }

    /// A seal is an entry, but not a change: it must not make the next snapshot due, nor make a
    /// restart take one (a snapshot, its seal, a snapshot, … while nothing happens). That nothing
    /// more happens however long it stays quiet is ServerMachineTests' (in memory, over simulated
    /// minutes); here, on a real store: a restart on a sealed snapshot takes none, and one change
    /// gives one snapshot and one seal.
    func testSealsDoNotMakeSnapshotsDue() throws {
        let (daemon, snapshot, last) = try stoppedDaemonWithASealedSnapshot()
        // Snapshots due 0.2 s after any change from now on; the housekeeping timer looks every second.
        daemon.extraFlags = ["--snapshot-interval", "0.2"]
        try daemon.start()
        let client = try daemon.connect()
        XCTAssertEqual(try info(client)["seq"], String(last))
        XCTAssertEqual(try info(client)["snapshot_seq"], String(snapshot))
        XCTAssertEqual(try info(client)["snapshot_pending"], "no", "a restart on a sealed snapshot takes none")

        // One change: one snapshot and its seal.
        try ok(client, "stock issue wh-a water 1 to=shelter")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try info(client)["seq"] != String(last + 2) { usleep(20_000) }
        XCTAssertEqual(try info(client)["seq"], String(last + 2))
        XCTAssertEqual(try info(client)["snapshot_seq"], String(last + 1))
        client.close()
        try daemon.stop()
        XCTAssertEqual(try scalar("SELECT MAX(seq) FROM journal"), String(last + 2))
    }

    /// `audit verify` recomputes the chain on the live store (issue 13): intact, then each way of
    /// rewriting history — an edited row, a deleted one, two swapped, one inserted — is found at
    /// the right entry while the daemon runs (who may run it: AccessMatrixTests).
    func testAuditVerifyFindsEveryTamperingOnTheLiveStore() throws {
        let daemon = try startDaemon()
        databasePath = daemon.dataDirectory + "/reliefd.db"
        let client = try daemon.connect()
        try addCatalog(client)
        for n in 1...4 { try ok(client, "stock receive wh-a water \(n * 100) lot=L-\(n)") }
        let verified = try ok(client, "audit verify").okFields ?? [:]
        XCTAssertEqual(verified["intact"], "yes")
        XCTAssertEqual(verified["last_seq"], try info(client)["committed_seq"])
        XCTAssertEqual(verified["last_hash"], try scalar("SELECT hash FROM journal ORDER BY seq DESC LIMIT 1"))
        XCTAssertEqual(try info(client)["journal_head"], verified["last_hash"], "info shows the head to publish")
        // from=SEQ: the entries from there on, linked to the hash stored before it.
        let partial = try ok(client, "audit verify from=6").okFields ?? [:]
        XCTAssertEqual(partial["last_hash"], verified["last_hash"])
        XCTAssertEqual(partial["entries"], String(Int(verified["last_seq"] ?? "0")! - 5))
        try refused(client, "audit verify from=0", "SYNTAX")
        try refused(client, "audit verify from=99999", "SYNTAX")
        // Each case starts from a copy of the untouched rows.
        let pristine = daemon.directory + "/pristine.db"
        try sql("VACUUM INTO '\(pristine)'")
        func tamper(_ statements: String, expect seq: Int, _ what: String) throws {
            try sql(statements)
            let reply = try client.request("audit verify")
            XCTAssertEqual(reply.errorCode, "CONFLICT", "\(what): \(reply.text)")
            XCTAssertTrue(reply.text.contains("the journal does not verify: first bad entry seq \(seq): "), "\(what): \(reply.text)")
            let from = try client.request("audit verify from=\(seq)")
            XCTAssertTrue(from.text.contains("first bad entry seq \(seq): "), "\(what), from=\(seq): \(from.text)")
            // Back to the untouched rows for the next case.
            try sql("DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete; ATTACH '\(pristine)' AS p; "
                    + "DELETE FROM journal; INSERT INTO journal SELECT * FROM p.journal; DETACH p")
        }
        try tamper("DROP TRIGGER IF EXISTS journal_no_update; UPDATE journal SET body = replace(body, '\"qty\":300', '\"qty\":3000') WHERE seq = 7",
                   expect: 7, "an edited quantity")
        try tamper("DROP TRIGGER IF EXISTS journal_no_delete; DELETE FROM journal WHERE seq = 6", expect: 6, "a deleted entry")
        try tamper("""
            DROP TRIGGER IF EXISTS journal_no_update;
            UPDATE journal SET seq = -1 WHERE seq = 5; UPDATE journal SET seq = 5 WHERE seq = 6; UPDATE journal SET seq = 6 WHERE seq = -1
            """, expect: 5, "two entries swapped")
        try tamper("""
            DROP TRIGGER IF EXISTS journal_no_update;
            UPDATE journal SET seq = -seq - 1 WHERE seq >= 6; UPDATE journal SET seq = -seq WHERE seq < 0;
            INSERT INTO journal (seq, time, actor, kind, body, hash) SELECT 6, time, actor, kind, replace(body, 'L-1', 'L-9'), hash FROM journal WHERE seq = 5
            """, expect: 6, "an entry inserted")
        XCTAssertEqual(try ok(client, "audit verify").okFields?["intact"], "yes", "restored")
    }

    /// `audit export` writes the journal with its chain, and deploy/verify-journal (Python's
    /// standard library only) checks it as an outside auditor would: intact, against a head
    /// published earlier, and with an entry altered, removed or reordered in the file.
    func testAuditExportIsCheckedByTheIndependentVerifier() throws {
        let daemon = try startDaemon()
        let client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "stock receive wh-a water 500 lot=D-1 donor=\"Yangquan Steel 阳泉\"")
        let published = try XCTUnwrap(info(client)["journal_head"])
        try ok(client, "stock issue wh-a water 20 to=shelter")
        let exported = try ok(client, "audit export e1").okFields ?? [:]
        let file = try XCTUnwrap(exported["file"])
        XCTAssertEqual(exported["last_hash"], try info(client)["journal_head"])
        var status = stat()
        XCTAssertEqual(stat(file, &status), 0)
        XCTAssertEqual(status.st_mode & 0o777, 0o600, "bodies hold personal data")
        try refused(client, "audit export e1", "UNAVAILABLE")
        try refused(client, "audit export ../e2", "SYNTAX")

        let verifier = Daemon.packageDirectory + "/deploy/verify-journal"
        let intact = try runProgram("/usr/bin/python3", [verifier, file, "--head", published], timeout: 60)
        XCTAssertEqual(intact.status, 0, intact.err)
        XCTAssertTrue(intact.out.contains("entries=\(exported["entries"]!) last_seq=\(exported["last_seq"]!) last_hash=\(exported["last_hash"]!)"), intact.out)
        let unknownHead = try runProgram("/usr/bin/python3", [verifier, file, "--head", String(repeating: "a", count: 64)], timeout: 60)
        XCTAssertEqual(unknownHead.status, 1, unknownHead.out)

        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        func check(_ altered: [String], failsAt seq: Int, _ what: String) throws {
            let copy = daemon.directory + "/altered.jsonl"
            try (altered.joined(separator: "\n") + "\n").write(toFile: copy, atomically: true, encoding: .utf8)
            let result = try runProgram("/usr/bin/python3", [verifier, copy], timeout: 60)
            XCTAssertEqual(result.status, 1, "\(what): \(result.out)")
            XCTAssertTrue(result.err.contains("entry seq \(seq) "), "\(what): \(result.err)")
        }
        var edited = lines
        edited[5] = edited[5].replacingOccurrences(of: "500", with: "5000")
        try check(edited, failsAt: 5, "an edited quantity")
        var removed = lines
        removed.remove(at: 3)
        try check(removed, failsAt: 3, "a removed entry")
        var swapped = lines
        swapped.swapAt(2, 3)
        try check(swapped, failsAt: 2, "two entries swapped")
    }
}
