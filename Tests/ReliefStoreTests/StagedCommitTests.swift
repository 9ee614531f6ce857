import Foundation
import Logging
import XCTest
import ReliefCore
import ReliefEngine
@testable import ReliefStore

/// Writing a large request ahead (Journal.stage / commitStaged / discardStaged): nothing staged is
/// visible or durable before commitStaged, and a discarded or interrupted staging leaves the store
/// exactly as it was.
final class StagedCommitTests: XCTestCase {
    private var directory: URL!
    private var path: String { directory.appendingPathComponent("reliefd.db").path }
    private let logger = Logger(label: "test.store")

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("reliefd-staged-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private let engine = Engine(state: State(), clock: .fixed(Timestamp(milliseconds: 1_790_000_000_000)))

    private func run(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) -> [Entry] {
        var entries: [Entry] = []
        for text in lines {
            let outcome = engine.handle(line: text, actor: "test")
            if case .error(let code, let message) = outcome.reply { XCTFail("\(text): \(code) \(message)", file: file, line: line) }
            entries += outcome.entries
        }
        return entries
    }

    private func volunteers(_ range: Range<Int>) -> [String] {
        range.flatMap { n in [
            "volunteer add v-\(n) name=\"Volunteer \(n)\" region=sx at=37.\(n % 90),112.\(n % 70) skills=first-aid:2",
            "volunteer certify v-\(n) first-aid issued=2025-01-01 expires=2028-01-01 issuer=\"Red Cross\"",
        ] }
    }

    private func count(_ sql: String) throws -> Int64 {
        let connection = try SQLiteConnection(path: path)
        defer { connection.close() }
        return try XCTUnwrap(connection.scalarInt(sql))
    }

    private let setup = ["region add sx name=Shanxi", "skill add first-aid name=\"First aid\" certificate=yes"]

    func testStagedSlicesCommitAsOneTransactionAndReloadWithAnUnbrokenChain() throws {
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        try journal.commit(run(setup))
        let base = journal.committedSeq
        let entries = run(volunteers(0..<300))
        try journal.stage(Array(entries[0..<200]))
        try journal.stage(Array(entries[200..<450]))
        // Staged rows are not visible to another connection (an operator's SQL tool) yet.
        XCTAssertEqual(try count("SELECT COUNT(*) FROM volunteers"), 0)
        XCTAssertEqual(try count("SELECT MAX(seq) FROM journal"), base)
        XCTAssertEqual(journal.committedSeq, base)
        // Only stage, commitStaged and discardStaged while staging.
        XCTAssertThrowsError(try journal.commit(Array(entries[450...])))
        XCTAssertThrowsError(try journal.writeSnapshot(seq: base, text: "x"))
        try journal.commitStaged(Array(entries[450...]))
        XCTAssertEqual(journal.committedSeq, base + 600)
        XCTAssertEqual(try count("SELECT COUNT(*) FROM volunteers"), 300)
        XCTAssertEqual(try count("SELECT COUNT(*) FROM certifications"), 300)
        try journal.commit(run(["volunteer add v-x name=X region=sx at=37,112"]))
        journal.close()

        let reopened = SQLiteJournal(path: path, logger: logger)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load().snapshotText(), engine.state.snapshotText())
        XCTAssertEqual(try reopened.verifyChain().entries, Int(engine.state.lastSeq))
    }

    func testEverythingStagedCommitsWithAnEmptyTail() throws {
        let journal = SQLiteJournal(path: path, logger: logger)
        defer { journal.close() }
        _ = try journal.load()
        let entries = run(setup + volunteers(0..<10))
        try journal.stage(entries)
        try journal.commitStaged([])
        XCTAssertEqual(journal.committedSeq, Int64(entries.count))
        XCTAssertEqual(try journal.verifyChain().entries, entries.count)
    }

    func testDiscardedStagingLeavesNothingAndTheNextCommitChains() throws {
        let journal = SQLiteJournal(path: path, logger: logger)
        defer { journal.close() }
        _ = try journal.load()
        try journal.commit(run(setup))
        let before = engine.state
        let staged = run(volunteers(0..<50))
        try journal.stage(staged)
        journal.discardStaged()
        journal.discardStaged() // nothing open: no-op
        XCTAssertEqual(try count("SELECT COUNT(*) FROM volunteers"), 0)
        XCTAssertThrowsError(try journal.commitStaged([])) // nothing staged any more

        // Other writes commit after the discard, from the committed state.
        let other = Engine(state: before, clock: .fixed(Timestamp(milliseconds: 1_790_000_000_000)))
        let write = other.handle(line: "volunteer add v-other name=O region=sx at=37,112", actor: "test").entries
        XCTAssertEqual(write.first?.seq, staged.first?.seq)
        try journal.commit(write)
        XCTAssertEqual(try journal.verifyChain().entries, Int(other.state.lastSeq))
        XCTAssertEqual(try journal.load().snapshotText(), other.state.snapshotText())
    }

    func testStagingInterruptedByCloseIsRolledBack() throws {
        let journal = SQLiteJournal(path: path, logger: logger)
        _ = try journal.load()
        try journal.commit(run(setup))
        let committed = engine.state.snapshotText()
        try journal.stage(run(volunteers(0..<100)))
        journal.close() // a daemon stopping (or killed) mid-import
        let reopened = SQLiteJournal(path: path, logger: logger)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.load().snapshotText(), committed)
        XCTAssertEqual(try count("SELECT COUNT(*) FROM volunteers"), 0)
    }

    func testSlicesThatDoNotFollowAreRefusedAndDropTheStaging() throws {
        let journal = SQLiteJournal(path: path, logger: logger)
        defer { journal.close() }
        _ = try journal.load()
        let entries = run(setup + volunteers(0..<20))
        XCTAssertThrowsError(try journal.stage(Array(entries.dropFirst()))) { error in
            XCTAssertEqual((error as? StoreError)?.isTransient, false)
        }
        try journal.stage(Array(entries[0..<10]))
        XCTAssertThrowsError(try journal.commitStaged(Array(entries[11...])))
        XCTAssertEqual(journal.committedSeq, 0)
        XCTAssertEqual(try count("SELECT COUNT(*) FROM journal"), 0)
        try journal.commit(entries)
        XCTAssertEqual(try journal.verifyChain().entries, entries.count)
    }
}
