import CSQLite
import Foundation
import ReliefProtocol
import XCTest

/// The current-state tables are compared with the state the daemon loaded by its writer, as its
/// first job, while the daemon already answers: tables edited by hand while it was stopped are
/// rebuilt without waiting for a write, and a write sent at once is projected onto the rebuilt
/// tables.
final class TableCheckTests: EndToEndTestCase {
    /// Runs `sql` on the SQLite file at `path` (the daemon stopped).
    private func edit(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        defer { sqlite3_close_v2(db) }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { throw Daemon.Failure("cannot open \(path)") }
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw Daemon.Failure("\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
        XCTAssertEqual(sqlite3_changes(db), 1, sql)
    }

    func testTablesEditedWhileStoppedAreRebuiltByTheWriterWithoutAWrite() throws {
        let daemon = try startDaemon()
        var client = try daemon.connect()
        try addCatalog(client)
        try ok(client, "volunteer add v1 name=Wang region=sx at=37.8,112.5")
        try ok(client, "stock receive wh-a water 100 lot=A")
        client.close()
        try daemon.stop()

        let database = daemon.dataDirectory + "/reliefd.db"
        try edit(database, "UPDATE volunteers SET name = 'Edited' WHERE id = 'v1'")
        try daemon.start()
        client = try daemon.connect()
        XCTAssertTrue(try ok(client, "volunteer show v1").text.contains("name=Wang"), "the state comes from the journal")
        try waitFor("the volunteers table rebuilt") { try sqliteScalar(database, "SELECT name FROM volunteers WHERE id = 'v1'") == "Wang" }
        XCTAssertTrue(daemon.log.contains("current-state tables disagree with the journal; rebuilding them"), daemon.log)
        client.close()
        try daemon.stop()

        // Edited again; a write sent as soon as the daemon answers lands on the rebuilt tables.
        try edit(database, "UPDATE holdings SET on_hand = 1 WHERE lot = 'A'")
        try daemon.start()
        client = try daemon.connect()
        try ok(client, "stock receive wh-a water 5 lot=A")
        XCTAssertEqual(try sqliteScalar(database, "SELECT on_hand FROM holdings WHERE lot = 'A'"), "105")
        XCTAssertEqual(try rows(client, "stock query item=water").first?["on_hand"], "105")
        client.close()
    }
}
