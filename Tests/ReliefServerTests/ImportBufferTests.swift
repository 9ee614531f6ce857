import XCTest
import ReliefEngine
import ReliefProtocol
@testable import ReliefServer

final class ImportBufferTests: XCTestCase {
    private func take(_ buffer: inout ImportBuffer, _ line: String) -> ImportBuffer.Action {
        buffer.take(Array(line.utf8))
    }

    private func begin(_ line: String, maxRows: Int = 10, maxBytes: Int = .max, engine: Engine = Engine()) -> Result<ImportBuffer, RequestError> {
        guard case .success(let request) = RequestParser.parse(line) else { fatalError("bad test line") }
        return ImportBuffer.begin(request, maxRows: maxRows, maxBytes: maxBytes).map { buffer in
            var attached = buffer
            attached.attach(engine.beginImport(allowed: buffer.allowed, as: .system("test")))
            return attached
        }
    }

    private func catalog() -> Engine {
        let engine = Engine()
        XCTAssertFalse(engine.handle(line: "region add sx name=Shanxi", actor: "t").reply.isError)
        return engine
    }

    func testRowsAreBufferedWithTheirLineNumbersUntilCommit() throws {
        var buffer = try begin("import begin volunteers", engine: catalog()).get()
        XCTAssertEqual(buffer.kind, .volunteers)
        guard case .buffered = take(&buffer, "volunteer add v-1 name=A region=sx at=37.8,112.5 line=17") else { return XCTFail() }
        guard case .buffered = take(&buffer, "") else { return XCTFail("blank lines are skipped") }
        guard case .buffered = take(&buffer, "volunteer add v-2 name=B region=sx at=37.8,112.5") else { return XCTFail() }
        guard case .reply(let reply) = take(&buffer, "import begin teams"), case .error(.conflict, _) = reply else { return XCTFail() }
        guard case .commit(let session, let token) = take(&buffer, "IMPORT COMMIT") else { return XCTFail() }
        XCTAssertNil(token)
        XCTAssertEqual(session.rows.lineNumbers, [17, 2])
        var kept: [Request] = []
        session.rows.forEach { kept.append($1) }
        XCTAssertEqual(kept.first?.options.map(\.key), ["name", "region", "at"], "line= is taken out")
        XCTAssertEqual(session.outcome.reply, .ok(["imported": "2", "entries": "2"]))
        XCTAssertEqual(session.allowed, ["volunteer add", "volunteer certify"])
    }

    /// Found by the simulation (seed 1): a client pipelined `import begin`, its rows and `import
    /// commit` while the store was down; the begin was refused, and its rows then ran one by one as
    /// ordinary requests once the store came back — half an import. Now a refused begin leaves a
    /// dead import that drops the rows until the commit, which is refused again.
    func testARefusedBeginDropsItsRowsUntilTheCommit() throws {
        guard case .success(let request) = RequestParser.parse("import begin volunteers") else { return XCTFail() }
        let why = RequestError(.unavailable, "store unavailable (disk full)")
        guard case .error(.unavailable, let told) = ImportBuffer.refusalReply(why) else { return XCTFail() }
        XCTAssertTrue(told.hasSuffix("the rows that follow are discarded until import commit or import abort"), told)
        var buffer = ImportBuffer.refused(request, why)
        XCTAssertEqual(buffer.kind, .volunteers)
        for n in 1...3 {
            guard case .buffered = take(&buffer, "volunteer add v-\(n) name=A region=sx at=37.8,112.5") else { return XCTFail("row \(n) must be dropped") }
        }
        XCTAssertEqual(buffer.bytes, 0, "nothing is held")
        guard case .end(let reply) = take(&buffer, "import commit"), case .error(.unavailable, let message) = reply else { return XCTFail() }
        XCTAssertTrue(message.contains("import refused when it began (store unavailable (disk full)); its 3 rows were discarded"), message)

        var aborted = ImportBuffer.refused(request, why)
        guard case .end(.ok(let fields)) = take(&aborted, "import abort") else { return XCTFail() }
        XCTAssertEqual(fields["aborted"], "0")

        // A new begin (the client tries again) replaces the refused import; an unknown kind is refused too.
        guard case .success(let unknown) = RequestParser.parse("import begin tents") else { return XCTFail() }
        var retried = ImportBuffer.refused(unknown, RequestError(.syntax, "unknown import kind"))
        XCTAssertNil(retried.kind)
        XCTAssertEqual(retried.allowed, [])
        guard case .beginAgain = take(&retried, "import begin volunteers") else { return XCTFail("a new begin replaces a refused one") }
    }

        func testRefusedRowsKeepOnlyTheirLineAndErrorInLineOrder() throws {
        var buffer = try begin("import begin volunteers", engine: catalog()).get()
        guard case .buffered = take(&buffer, "volunteer add v-1 name=A region=sx at=37.8,112.5 line=17") else { return XCTFail() }
        XCTAssertEqual(buffer.session?.rows.count, 1)
        guard case .buffered = take(&buffer, "volunteer add v-2 name=B region=nowhere at=37.8,112.5") else { return XCTFail() }
        XCTAssertEqual(buffer.session?.rows.count, 0, "once a row is refused the import cannot apply: nothing of it is kept")
        XCTAssertEqual(buffer.session?.entryCount, 0)
        guard case .buffered = take(&buffer, "volunteer add \"v-3 line=19") else { return XCTFail() }
        guard case .buffered = take(&buffer, "volunteer add v-4 line=x") else { return XCTFail() }
        guard case .buffered = take(&buffer, "volunteer add v-5 name=E region=sx at=37.8,112.5") else { return XCTFail() }
        XCTAssertEqual(buffer.session?.rows.count, 0, "good rows after a refused one are checked, not kept")
        guard case .commit(let session, _) = take(&buffer, "import commit") else { return XCTFail() }
        guard case .error(_, let message) = session.outcome.reply else { return XCTFail("expected a refusal") }
        // Rows that did not parse are bad rows of the same import, reported in line order with the rest.
        XCTAssertTrue(message.hasPrefix("import refused, nothing imported: 3 bad rows of 5: line 2: NOTFOUND "), message)
        let order = ["line 2:", "line 4:", "line 19:"].map { message.range(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted(), message)
        XCTAssertTrue(message.contains("line 19: SYNTAX "), message)
    }

    func testPastMaxBytesTheImportIsFreedAndCommitIsRefused() throws {
        var buffer = try begin("import begin teams", maxBytes: 100).get()
        _ = take(&buffer, "team add t-1 name=\"First team\"")
        XCTAssertEqual(buffer.bytes, 30)
        for index in 2...10 { _ = take(&buffer, "team add t-\(index) name=\"Another team\"") }
        XCTAssertTrue(buffer.overflowed)
        XCTAssertNil(buffer.session, "the rows held are freed")
        XCTAssertEqual(buffer.bytes, 0)
        guard case .end(let reply) = take(&buffer, "import commit"), case .error(.limit, let message) = reply else { return XCTFail() }
        XCTAssertTrue(message.contains("more than 100 bytes of rows (max_import_bytes)"), message)
    }

    /// `import commit req=TOKEN`: the token, bound to a digest of the rows as sent (kind and
    /// bytes, in order), so a retry of the same lines matches and another import does not.
    func testACommitTokenIsBoundToTheRowsAsSent() throws {
        func digest(_ kind: String, _ rows: [String], commit: String = "import commit req=t-1") throws -> ImportBuffer.Token? {
            var buffer = try begin("import begin \(kind)", engine: catalog()).get()
            for row in rows { _ = take(&buffer, row) }
            guard case .commit(_, let token) = take(&buffer, commit) else { XCTFail("no commit"); return nil }
            return token
        }
        let rows = ["team add t-1 name=First", "", "team add t-2 name=Second"]
        let first = try XCTUnwrap(try digest("teams", rows))
        XCTAssertEqual(first.token, "t-1")
        XCTAssertEqual(try digest("teams", rows)?.digest, first.digest, "the same lines: a retry")
        XCTAssertEqual(try digest("teams", rows.filter { !$0.isEmpty })?.digest, first.digest, "blank lines are not rows")
        XCTAssertNotEqual(try digest("teams", ["team add t-1 name=First", "team add t-2 name=Other"])?.digest, first.digest)
        XCTAssertNotEqual(try digest("teams", ["team add t-2 name=Second", "team add t-1 name=First"])?.digest, first.digest, "order is meaning")
        XCTAssertNotEqual(try digest("teams", ["team add t-1 name=First team add", "t-2 name=Second"])?.digest, first.digest, "rows are delimited")
        XCTAssertNotEqual(try digest("travel", rows)?.digest, first.digest, "the kind counts")
        XCTAssertNil(try digest("teams", rows, commit: "import commit"))
        // With another option the line is a row, not the commit.
        var buffer = try begin("import begin teams", engine: catalog()).get()
        guard case .buffered = take(&buffer, "import commit now=yes") else { return XCTFail() }
    }

    /// On a follower the rows are held as sent, for the leader: nothing is checked here, the
    /// limits still hold, and the commit hands them over with its token.
    func testARelayedImportHoldsItsRowsAsSentForTheLeader() throws {
        guard case .success(let request) = RequestParser.parse("import begin volunteers") else { return XCTFail() }
        var buffer = try ImportBuffer.begin(request, maxRows: 10, maxBytes: 200).get()
        buffer.relay(token: "f-made")
        XCTAssertNil(buffer.session)
        guard case .buffered = take(&buffer, "volunteer add v-1 name=A region=nowhere line=7") else { return XCTFail() }
        guard case .buffered = take(&buffer, "not a request \"") else { return XCTFail("the leader refuses it, naming its line") }
        guard case .buffered = take(&buffer, "  ") else { return XCTFail() }
        guard case .reply(.error(.conflict, _)) = take(&buffer, "import begin teams") else { return XCTFail("answered here, never sent") }
        XCTAssertEqual(buffer.bytes, 61)
        var copy = buffer
        guard case .relay(let lines, let token) = take(&buffer, "import commit req=mine") else { return XCTFail() }
        XCTAssertEqual(String(decoding: lines, as: UTF8.self),
                       "import begin volunteers\nvolunteer add v-1 name=A region=nowhere line=7\nnot a request \"\nimport commit req=mine")
        XCTAssertEqual(token, "mine")
        // Without the client's token, the one it was given; a token that needs quoting is quoted.
        guard case .relay(let made, "f-made") = take(&copy, "import commit") else { return XCTFail() }
        XCTAssertTrue(String(decoding: made, as: UTF8.self).hasSuffix("\nimport commit req=f-made"))
        var quoted = try ImportBuffer.begin(request, maxRows: 10).get()
        quoted.relay(token: "unused")
        guard case .relay(let spaced, "a b") = take(&quoted, "import commit req=\"a b\"") else { return XCTFail() }
        XCTAssertEqual(String(decoding: spaced, as: UTF8.self), "import begin volunteers\nimport commit req=\"a b\"")

        var over = try ImportBuffer.begin(request, maxRows: 10, maxBytes: 60).get()
        over.relay(token: "f-1")
        for index in 1...3 { _ = take(&over, "volunteer add v-\(index) name=Somebody region=sx") }
        XCTAssertTrue(over.overflowed)
        XCTAssertEqual(over.relayed, [], "what it held is freed")
        guard case .end(.error(.limit, _)) = take(&over, "import commit") else { return XCTFail("a dead import never goes to the leader") }

        var aborted = try ImportBuffer.begin(request, maxRows: 10).get()
        aborted.relay(token: "f-2")
        _ = take(&aborted, "volunteer add v-1 name=A region=sx")
        guard case .end(.ok(let fields)) = take(&aborted, "import abort") else { return XCTFail("answered here, never sent") }
        XCTAssertEqual(fields["aborted"], "1")
    }

    func testCommitIsRecognisedInEveryFormTheParserAccepts() {
        for line in ["import commit", "IMPORT Commit", "  \timport   commit  ", "\"import\" commit", "import \"commit\""] {
            XCTAssertTrue(ImportBuffer.isCommit(Array(line.utf8)), line)
        }
        for line in ["", "import", "imports commit", "import commit now", "import abort", "volunteer add v-1 name=import",
                     "importcommit", "impor", "\"imp\" commit", "import commit x=1"] {
            XCTAssertFalse(ImportBuffer.isCommit(Array(line.utf8)), line)
        }
    }

    func testBeginNeedsAKnownKind() {
        XCTAssertEqual(try begin("import begin teams").get().allowed, ["team add", "team member add"])
        XCTAssertEqual(try begin("import begin Stock").get().allowed, ["stock receive", "stock min"])
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
