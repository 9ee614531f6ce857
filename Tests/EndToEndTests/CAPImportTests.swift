import Foundation
import ReliefProtocol
import XCTest

/// `reliefctl import cap FILE.xml` against a real daemon, with the sample alerts of
/// Tests/ReliefCAPTests/Fixtures: an alert opens one incident, its Update updates that incident (no
/// second one), its Cancel contains it; an Exercise alert without a drill, a malformed file, a
/// missing element and a DOCTYPE are refused and change nothing.
final class CAPImportTests: EndToEndTestCase {
    func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("ReliefCAPTests/Fixtures/\(name)").path
    }

    func testAnAlertItsUpdateAndItsCancelMakeOneIncident() throws {
        let daemon = try startDaemon()
        let client = try daemon.connect()
        for line in ["region add shanxi name=Shanxi level=province", "region add shanxi/taiyuan name=Taiyuan"] { try ok(client, line) }
        let socket = ["--socket", daemon.socketPath]

        // Refused before anything is sent: nothing changes.
        let seqBefore = try info(client)["seq"]
        for (name, message) in [("malformed.xml", "malformed XML"), ("missing-severity.xml", "missing required element <info/severity>"),
                                ("entity.xml", "declares a DOCTYPE"), ("quake-exercise.xml", "--drill DRILL")] {
            let refused = try reliefctl(socket + ["import", "cap", fixture(name), "--region", "shanxi/taiyuan"])
            XCTAssertEqual(refused.status, 1, "\(name): \(refused.err)")
            XCTAssertTrue(refused.err.contains(message), "\(name): \(refused.err)")
            XCTAssertTrue(refused.err.contains("nothing was sent"), "\(name): \(refused.err)")
        }
        let unplaced = try reliefctl(socket + ["import", "cap", fixture("flood-alert.xml")])
        XCTAssertEqual(unplaced.status, 1, unplaced.err)
        XCTAssertTrue(unplaced.err.contains("--region PATH"), unplaced.err)
        XCTAssertEqual(try info(client)["seq"], seqBefore)
        XCTAssertEqual(try rows(client, "incident list").count, 0)

        let opened = try reliefctl(socket + ["import", "cap", fixture("flood-alert.xml"), "--region", "shanxi/taiyuan"])
        XCTAssertEqual(opened.status, 0, opened.err)
        XCTAssertTrue(opened.out.hasPrefix("OK incident=cap-"), opened.out)
        var incidents = try rows(client, "incident list")
        XCTAssertEqual(incidents.count, 1)
        let id = try XCTUnwrap(incidents.first?["incident"])
        XCTAssertEqual(incidents.first?["title"], "Flash Flood — Xiaodian district")
        XCTAssertEqual(incidents.first?["kind"], "flood")
        XCTAssertEqual(incidents.first?["severity"], "4")
        XCTAssertEqual(incidents.first?["at"], "37.74,112.56")
        let timeline = try client.request("incident timeline \(id)").text
        XCTAssertTrue(timeline.contains("CN-SX-2024-0712-001"), timeline)

        // The same alert again: the same incident, no second one.
        let repeated = try reliefctl(socket + ["import", "cap", fixture("flood-alert.xml"), "--region", "shanxi/taiyuan"])
        XCTAssertEqual(repeated.status, 0, repeated.err)
        XCTAssertEqual(try rows(client, "incident list").count, 1)

        // The Update (prefixed namespace, references the first alert): the same incident changes.
        let updated = try reliefctl(socket + ["import", "cap", fixture("flood-update.xml")])
        XCTAssertEqual(updated.status, 0, updated.err)
        XCTAssertTrue(updated.out.contains("incident=\(id) changed=yes"), updated.out)
        incidents = try rows(client, "incident list")
        XCTAssertEqual(incidents.count, 1, "an Update opens no second incident")
        XCTAssertEqual(incidents.first?["severity"], "5")
        XCTAssertEqual(incidents.first?["title"], "Flash Flood — Xiaodian and Jinyuan districts")
        let show = try rows(client, "incident show \(id)")
        XCTAssertEqual(show.first?["record"], "incident")
        XCTAssertEqual(show.first?["status"], "open")

        // The Cancel: the incident is contained, with the alert's note in its timeline.
        let cancelled = try reliefctl(socket + ["import", "cap", fixture("flood-cancel.xml")])
        XCTAssertEqual(cancelled.status, 0, cancelled.err)
        XCTAssertEqual(try rows(client, "incident show \(id)").first?["status"], "contained")
        XCTAssertTrue(try client.request("incident timeline \(id)").text.contains("The river is back within its banks."))
        XCTAssertEqual(try rows(client, "incident list").count, 1)
    }
}
