import XCTest
import ReliefEngine
import ReliefProtocol
@testable import ReliefServer

final class ImportBufferTests: XCTestCase {
    private func take(_ buffer: inout ImportBuffer, _ line: String) -> ImportBuffer.Action {
        buffer.take(Array(line.utf8))
    }

    private func begin(_ line: String, maxRows: Int = 10) -> Result<ImportBuffer, RequestError> {
        guard case .success(let request) = RequestParser.parse(line) else { fatalError("bad test line") }
        return ImportBuffer.begin(request, maxRows: maxRows).map { buffer in
            var attached = buffer
            attached.attach(Engine().beginImport(allowed: buffer.kind.allowed, actor: "test"))
            return attached
        }
    }

    func testRowsAreBufferedWithTheirLineNumbersUntilCommit() throws {
        var buffer = try begin("import begin volunteers").get()
        XCTAssertEqual(buffer.kind, .volunteers)
        guard case .buffered = take(&buffer, "volunteer add v-1 name=A line=17") else { return XCTFail() }
        guard case .buffered = take(&buffer, "") else { return XCTFail("blank lines are skipped") }
        guard case .buffered = take(&buffer, "volunteer add v-2 name=B") else { return XCTFail() }
        guard case .buffered = take(&buffer, "volunteer add \"v-3 line=19") else { return XCTFail() }
        guard case .buffered = take(&buffer, "volunteer add v-4 line=x") else { return XCTFail() }
        guard case .reply(let reply) = take(&buffer, "import begin teams"), case .error(.conflict, _) = reply else { return XCTFail() }
        guard case .commit(let session) = take(&buffer, "IMPORT COMMIT") else { return XCTFail() }
        let bad = session.unparsed
        let rows = session.rows
        XCTAssertEqual(rows.map(\.line), [17, 2])
        XCTAssertEqual(rows[0].request.options.map(\.key), ["name"], "line= is taken out")
        // Rows were checked on arrival (here against an empty catalog: both refused, with their lines).
        guard case .error(_, let message) = session.outcome.reply else { return XCTFail("expected a refusal") }
        XCTAssertTrue(message.contains("line 17:") && message.contains("line 2:"), message)
        // Rows that did not parse are bad rows of the same import, reported in line order with the rest.
        XCTAssertTrue(message.hasPrefix("import refused, nothing imported: 4 bad rows of 4: line 2: "), message)
        let order = ["line 2:", "line 4:", "line 17:", "line 19:"].map { message.range(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted(), message)
        XCTAssertEqual(bad.map(\.line), [19, 4])
        XCTAssertTrue(bad[0].message.hasPrefix("SYNTAX "), bad[0].message)
        XCTAssertEqual(session.allowed, ["volunteer add", "volunteer certify"])
    }

    func testBeginNeedsAKnownKind() {
        XCTAssertEqual(try begin("import begin teams").get().kind.allowed, ["team add", "team member add"])
        guard case .failure(let error) = begin("import begin widgets") else { return XCTFail() }
        XCTAssertEqual(error.code, .syntax)
        XCTAssertTrue(error.message.contains("expected volunteers or teams"), error.message)
        guard case .failure = begin("import begin") else { return XCTFail() }
    }

    func testPastMaxRowsTheRestIsDroppedAndCommitIsRefused() throws {
        var buffer = try begin("import begin teams", maxRows: 2).get()
        for index in 1...5 { _ = take(&buffer, "team add t-\(index)") }
        XCTAssertTrue(buffer.overflowed)
        XCTAssertNil(buffer.session, "the buffered rows are freed")
        guard case .end(let reply) = take(&buffer, "import commit"), case .error(.limit, let message) = reply else { return XCTFail() }
        XCTAssertTrue(message.contains("more than 2 rows"), message)
        var aborted = try begin("import begin teams").get()
        _ = take(&aborted, "team add t-1")
        guard case .end(.ok(let fields)) = take(&aborted, "import abort") else { return XCTFail() }
        XCTAssertEqual(fields["aborted"], "1")
    }

    func testLineOptionOfAnUnparsableRow() {
        XCTAssertEqual(ImportBuffer.lineOption(in: Array("volunteer add \"x line=42".utf8)), 42)
        XCTAssertNil(ImportBuffer.lineOption(in: Array("volunteer add \"x line=42a".utf8)))
        XCTAssertNil(ImportBuffer.lineOption(in: Array("volunteer add \"x".utf8)))
    }
}
