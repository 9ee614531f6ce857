import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

/// An import checked row by row on a copy of the state while its rows arrive.
final class ImportSessionTests: XCTestCase {
    private let allowed: Set<String> = ["volunteer add", "volunteer certify"]

    private func engine() -> Engine {
        let engine = Engine(clock: .fixed(Timestamp(milliseconds: 1_795_000_000_000)))
        for line in ["region add sx name=Shanxi", "skill add first-aid name=\"First aid\" certificate=yes"] {
            XCTAssertFalse(engine.handle(line: line, actor: "t").reply.isError, line)
        }
        return engine
    }

    private func row(_ line: String) -> Request {
        guard case .success(let request) = RequestParser.parse(line) else { fatalError(line) }
        return request
    }

    func testRowsDoNotTouchTheLiveStateUntilTheImportFinishes() {
        let engine = engine()
        let session = engine.beginImport(allowed: allowed, as: .system("import"))
        session.add(line: 2, request: row("volunteer add v-1 name=A region=sx at=37.8,112.5 skills=first-aid:2"))
        XCTAssertNil(engine.state.volunteers["v-1"], "a row in flight is invisible to everyone else")
        let outcome = engine.finishImport(session)
        XCTAssertEqual(outcome.reply, .ok(["imported": "1", "entries": "1"]))
        XCTAssertNotNil(engine.state.volunteers["v-1"])
        XCTAssertEqual(outcome.entries.map(\.seq), [engine.state.lastSeq])
    }

    /// `import commit req=TOKEN`: the import is remembered under its token in the same commit, so a
    /// retry (the same rows, the same token: a reply lost with a link) gets the first reply and
    /// applies nothing, after a replay of the journal too; the token on other rows is refused.
    func testAnImportCommittedWithATokenAppliesOnceAndARetryGetsItsFirstReply() throws {
        let engine = engine()
        let principal = Principal.system("importer")
        var digester = ImportDigester(kind: "volunteers")
        digester.add(row: Array("volunteer add v-1 name=A region=sx at=37.8,112.5".utf8))
        let digest = digester.finalize()
        func session() -> ImportSession {
            let session = engine.beginImport(allowed: allowed, as: principal)
            session.add(line: 1, request: row("volunteer add v-1 name=A region=sx at=37.8,112.5"))
            return session
        }
        XCTAssertNil(engine.importTokenAnswer(token: "imp-1", digest: digest, as: principal))
        let before = engine.state
        let first = engine.finishImport(session(), token: "imp-1", digest: digest)
        XCTAssertEqual(first.reply, .ok(["imported": "1", "entries": "1"]))
        XCTAssertEqual(first.entries.count, 2, "the volunteer, then the token's record")
        guard case .requestCompleted(let token, _, let recorded, let command) = first.entries.last?.event else { return XCTFail() }
        XCTAssertEqual([token, command], ["imp-1", "import commit"])
        XCTAssertEqual(recorded, digest)
        XCTAssertEqual(first.waitForSeq, first.entries.last?.seq)

        // The retry: answered from the record, nothing applied.
        let seq = engine.state.lastSeq
        let retry = try XCTUnwrap(engine.importTokenAnswer(token: "imp-1", digest: digest, as: principal))
        XCTAssertEqual(retry.reply, first.reply)
        XCTAssertTrue(retry.entries.isEmpty)
        XCTAssertEqual(engine.state.lastSeq, seq)
        // Another user's token of the same name is theirs.
        XCTAssertNil(engine.importTokenAnswer(token: "imp-1", digest: digest, as: .system("someone-else")))
        // Other rows with the same token: refused.
        var other = ImportDigester(kind: "volunteers")
        other.add(row: Array("volunteer add v-9 name=Z region=sx at=37.8,112.5".utf8))
        guard case .error(.conflict, let message) = engine.importTokenAnswer(token: "imp-1", digest: other.finalize(), as: principal)?.reply else {
            return XCTFail("the token was used for another import")
        }
        XCTAssertTrue(message.contains("import commit"), message)

        // The record is in the journal: a state replayed from it knows the token.
        var replayed = before
        for entry in first.entries { try replayed.apply(entry) }
        XCTAssertNotNil(replayed.requests.lookup(scope: RequestScope.of(actor: principal.actor), token: "imp-1"))
    }

    func testAWriteDuringTheImportMakesItCheckAgainOnTheLiveState() {
        let engine = engine()
        let session = engine.beginImport(allowed: allowed, as: .system("import"))
        session.add(line: 2, request: row("volunteer add v-1 name=A region=sx at=37.8,112.5"))
        session.add(line: 3, request: row("volunteer add v-2 name=B region=sx at=37.8,112.5"))
        // Another client registers v-2 meanwhile: the import must now be refused, naming line 3.
        XCTAssertFalse(engine.handle(line: "volunteer add v-2 name=Other region=sx at=37.9,112.6", actor: "officer").reply.isError)
        let seq = engine.state.lastSeq
        let outcome = engine.finishImport(session)
        guard case .error(_, let message) = outcome.reply else { return XCTFail("\(outcome.reply)") }
        XCTAssertTrue(message.contains("line 3: CONFLICT"), message)
        XCTAssertTrue(outcome.entries.isEmpty)
        XCTAssertNil(engine.state.volunteers["v-1"], "nothing of a refused import is applied")
        XCTAssertEqual(engine.state.volunteers["v-2"]?.profile.name, "Other")
        XCTAssertEqual(engine.state.lastSeq, seq)
    }

    func testAnUnrelatedWriteDuringTheImportStillImportsWithFreshSequenceNumbers() {
        let engine = engine()
        let session = engine.beginImport(allowed: allowed, as: .system("import"))
        session.add(line: 2, request: row("volunteer add v-1 name=A region=sx at=37.8,112.5"))
        XCTAssertFalse(engine.handle(line: "volunteer add v-9 name=Z region=sx at=37.9,112.6", actor: "officer").reply.isError)
        let before = engine.state.lastSeq
        let outcome = engine.finishImport(session)
        XCTAssertFalse(outcome.reply.isError, "\(outcome.reply)")
        XCTAssertEqual(outcome.entries.map(\.seq), [before + 1], "entries follow the live journal, not the copy's")
        XCTAssertEqual(Set(engine.state.volunteers.keys), ["v-1", "v-9"])
        XCTAssertEqual(engine.state.invariantViolations(), [])
    }

    func testRowsThatDidNotParseRefuseTheImportAlongsideTheEnginesRefusalsInLineOrder() {
        let engine = engine()
        let session = engine.beginImport(allowed: allowed, as: .system("import"))
        session.add(line: 2, request: row("volunteer add v-1 name=A region=sx at=37.8,112.5"))
        session.add(line: 3, request: row("volunteer add v-2 name=B region=nowhere at=37.8,112.5"))
        session.refuse(line: 5, message: "SYNTAX unbalanced quote")
        session.add(line: 6, request: row("volunteer add v-3 name=C region=sx at=37.8,112.5"))
        session.add(line: 9, request: row("volunteer add v-1 name=D region=sx at=37.8,112.5"))
        session.add(line: 10, request: row("volunteer add v-4 name=E region=sx at=37.8,112.5"))
        let outcome = engine.finishImport(session)
        guard case .error(.syntax, let message) = outcome.reply else { return XCTFail("\(outcome.reply)") }
        XCTAssertTrue(message.hasPrefix("import refused, nothing imported: 3 bad rows of 6: line 3: NOTFOUND "), message)
        XCTAssertTrue(message.contains("; line 5: SYNTAX unbalanced quote; line 9: CONFLICT "), message)
        XCTAssertTrue(engine.state.volunteers.isEmpty, "nothing of a refused import is applied")
        let alone = engine.beginImport(allowed: allowed, as: .system("import"))
        alone.refuse(line: 2, message: "SYNTAX x")
        alone.add(line: 3, request: row("volunteer add v-1 name=A region=sx at=37.8,112.5"))
        XCTAssertEqual(engine.finishImport(alone).reply, .error(.syntax, "import refused, nothing imported: 1 bad row of 2: line 2: SYNTAX x"))
        XCTAssertTrue(engine.state.volunteers.isEmpty)
    }

    /// Opening stock (`import begin stock`): each row is checked as the stock write it is, with the
    /// importer's role and grant, and the rows apply all together or not at all.
    func testAStockImportChecksEachRowWithTheKeepersGrantAndAppliesAllOrNothing() {
        let engine = Engine.shanxiFixture()
        let stock: Set<String> = ["stock receive", "stock min"]
        let keeper = Principal(user: "kim", role: .warehouseKeeper, warehouses: ["ty-01"])
        let refused = engine.beginImport(allowed: stock, as: keeper)
        refused.add(line: 2, request: row("stock receive ty-01 water-5l 100 lot=W-1"))
        refused.add(line: 3, request: row("stock receive jz-01 water-5l 100 lot=W-1"))
        refused.add(line: 4, request: row("stock min ty-01 water-5l 20"))
        refused.add(line: 5, request: row("stock issue ty-01 water-5l 1"))
        guard case .error(.syntax, let message) = engine.finishImport(refused).reply else { return XCTFail("applied") }
        XCTAssertTrue(message.hasPrefix("import refused, nothing imported: 2 bad rows of 4: line 3: DENIED"), message)
        XCTAssertTrue(message.contains("line 5: expected one of: stock min, stock receive"), message)
        XCTAssertNil(engine.state.lots["W-1"], "nothing of a refused import is applied")

        let good = engine.beginImport(allowed: stock, as: keeper)
        good.add(line: 2, request: row("stock receive ty-01 water-5l 100 lot=W-1"))
        good.add(line: 3, request: row("stock receive ty-01 tent-12 7"))
        good.add(line: 4, request: row("stock min ty-01 water-5l 20"))
        let outcome = engine.finishImport(good)
        XCTAssertEqual(outcome.reply, .ok(["imported": "3", "entries": "3"]))
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "water-5l")?.onHand, 100)
        XCTAssertEqual(engine.state.stock(warehouse: "ty-01", sku: "tent-12")?.onHand, 7)
        XCTAssertEqual(outcome.entries.map(\.actor), Array(repeating: keeper.actor, count: 3), "journaled as the keeper")

        let viewer = engine.beginImport(allowed: stock, as: Principal(user: "vera", role: .viewer))
        viewer.add(line: 2, request: row("stock receive ty-01 water-5l 1"))
        guard case .error(_, let denied) = engine.finishImport(viewer).reply else { return XCTFail("a viewer received stock") }
        XCTAssertTrue(denied.contains("line 2: DENIED"), denied)
    }

    /// An import is one store transaction: rows that make more entries than it takes refuse the
    /// whole import with ERR LIMIT, however many rows that is; up to the bound it imports.
    func testAnImportPastTheEntriesOneTransactionTakesIsRefusedWhole() {
        let engine = engine()
        let rows = (1...4).map { row("volunteer add v-\($0) name=V\($0) region=sx at=37.8,112.5") }
        let fits = engine.beginImport(allowed: allowed, as: .system("import"), maxEntries: 4)
        for (k, request) in rows.enumerated() { fits.add(line: k + 2, request: request) }
        XCTAssertTrue(fits.isClean)
        XCTAssertEqual(engine.finishImport(fits).reply, .ok(["imported": "4", "entries": "4"]))

        let other = self.engine()
        let seq = other.state.lastSeq
        let over = other.beginImport(allowed: allowed, as: .system("import"), maxEntries: 3)
        for (k, request) in rows.enumerated() { over.add(line: k + 2, request: request) }
        XCTAssertFalse(over.isClean, "a server stops writing such an import ahead")
        XCTAssertEqual(over.entryCount, 0, "it holds no entries once it cannot apply")
        let outcome = other.finishImport(over)
        guard case .error(.limit, let message) = outcome.reply else { return XCTFail("\(outcome.reply)") }
        XCTAssertTrue(message.contains("its 4 rows make more than 3 entries"), message)
        XCTAssertTrue(outcome.entries.isEmpty)
        XCTAssertTrue(other.state.volunteers.isEmpty, "nothing of a refused import is applied")
        XCTAssertEqual(other.state.lastSeq, seq)

        // A bad row is still named: the row errors come first.
        let both = other.beginImport(allowed: allowed, as: .system("import"), maxEntries: 1)
        both.add(line: 2, request: rows[0])
        both.add(line: 3, request: rows[1])
        both.add(line: 4, request: row("volunteer add v-9 name=B region=nowhere at=37.8,112.5"))
        guard case .error(.syntax, let text) = other.finishImport(both).reply else { return XCTFail("a bad row is reported") }
        XCTAssertTrue(text.contains("line 4: NOTFOUND"), text)
    }

    /// The rows a clean import keeps for a check again come back as they were added: words and
    /// options in order, quoted and non-ASCII values, empty values, and their lines.
    func testPackedRowsGiveBackEveryRowAsAdded() {
        let lines = [
            "volunteer add v-1 name=\"Zhou Yang\" region=sx at=37.8,112.5 skills=first-aid:2,cpr:1",
            "volunteer certify v-1 first-aid issued=2026-01-01 expires=2030-01-01 issuer=\"Red Cross Society of China Shanxi Branch\"",
            "volunteer add v-2 name=\"Lüliang 吕梁 \\\"team\\\"\" region=sx at=37.8,112.5 org=\"\"",
            "volunteer add",
        ]
        var packed = PackedRows()
        var expected: [(Int, Request)] = []
        for (k, line) in lines.enumerated() {
            let request = row(line)
            packed.append(line: 10 * k + 2, request)
            expected.append((10 * k + 2, request))
        }
        XCTAssertEqual(packed.count, lines.count)
        var back: [(Int, Request)] = []
        packed.forEach { back.append(($0, $1)) }
        XCTAssertEqual(back.map(\.0), expected.map(\.0))
        XCTAssertEqual(back.map(\.1), expected.map(\.1))
        XCTAssertEqual(back[2].1.option("name"), "Lüliang 吕梁 \"team\"")
        XCTAssertEqual(back[2].1.option("org"), "")
    }

    /// A clean import checked again on a state that moved comes to the same entries as the rows
    /// checked the first time, certifications included: the packed rows are what was sent.
    func testACheckAgainFromThePackedRowsImportsTheSameRows() {
        let engine = engine()
        let session = engine.beginImport(allowed: allowed, as: .system("import"))
        session.add(line: 2, request: row("volunteer add v-1 name=\"A B\" region=sx at=37.8,112.5 skills=first-aid:2"))
        session.add(line: 3, request: row("volunteer certify v-1 first-aid issued=2026-01-01 expires=2030-01-01 issuer=\"Shanxi RC\""))
        XCTAssertEqual(session.rows.count, 2)
        XCTAssertFalse(engine.handle(line: "volunteer add v-9 name=Z region=sx at=37.9,112.6", actor: "officer").reply.isError)
        XCTAssertTrue(engine.importNeedsRecheck(session))
        let outcome = engine.finishImport(session)
        XCTAssertEqual(outcome.reply, .ok(["imported": "2", "entries": "2"]))
        XCTAssertEqual(engine.state.volunteers["v-1"]?.profile.name, "A B")
        XCTAssertEqual(engine.state.volunteers["v-1"]?.certifications["first-aid"]?.issuer, "Shanxi RC")
    }
}
