import XCTest
@testable import ReliefProtocol

final class ReplyTests: XCTestCase {
    func testEncodesOKErrorAndRows() {
        XCTAssertEqual(TextEncoder.encode(.plainOK), "OK\n")
        XCTAssertEqual(TextEncoder.encode(.ok(["lot": "D-1"])), "OK lot=D-1\n")
        XCTAssertEqual(TextEncoder.encode(.error(.notFound, "warehouse zz\nnot known")), "ERR NOTFOUND warehouse zz not known\n")
        let rows = Reply.rows([["warehouse": "ty-01", "name": "Taiyuan depot"], ["warehouse": "dt-01", "name": ""]])
        XCTAssertEqual(TextEncoder.encode(rows), "OK 2 rows\nwarehouse=ty-01 name=\"Taiyuan depot\"\nwarehouse=dt-01 name=\"\"\n")
    }

    func testACutListingRoundTrips() {
        let cut = Reply.stream(RowStream(rows: [["n": "1"], ["n": "2"], ["n": "3"]], limit: 2))
        XCTAssertEqual(TextEncoder.encode(cut), "OK 2 rows more\nn=1\nn=2\n")
        var reader = ReplyReader()
        let parsed = Array(TextEncoder.encode(cut).utf8).withUnsafeBytes { reader.feed($0) }
        XCTAssertEqual(parsed, [.truncatedRows(["n=1", "n=2"])])
        XCTAssertEqual(Array("OK 0 rows more\n".utf8).withUnsafeBytes { reader.feed($0) }, [.truncatedRows([])])
        XCTAssertNotEqual(cut, .rows([["n": "1"], ["n": "2"]]), "a cut listing is not the whole one")
        var cursor = ReplyCursor(cut)
        var out: [UInt8] = []
        while !cursor.encode(into: &out, budget: 1) {}
        XCTAssertEqual(String(decoding: out, as: UTF8.self), TextEncoder.encode(cut))
    }

    func testReaderReassemblesRepliesSplitAnywhere() {
        var text: [UInt8] = []
        TextEncoder.encode(.ok(["lot": "L-1"]), into: &text)
        TextEncoder.encode(.rows([["a": "x y", "b": "q\"z"], ["a": "2", "b": ""]]), into: &text)
        TextEncoder.encode(.rows([]), into: &text)
        TextEncoder.encode(.error(.insufficient, "only 3 available"), into: &text)
        var reader = ReplyReader()
        var parsed: [ReplyReader.Parsed] = []
        for byte in text { parsed += [byte].withUnsafeBytes { reader.feed($0) } }
        XCTAssertEqual(parsed.count, 4)
        XCTAssertEqual(parsed[0], .ok("lot=L-1"))
        guard case .rows(let rows) = parsed[1] else { return XCTFail() }
        let pairs = ReplyReader.parseLogfmt(rows[0])
        XCTAssertEqual(pairs.map(\.key), ["a", "b"])
        XCTAssertEqual(pairs.map(\.value), ["x y", "q\"z"])
        XCTAssertEqual(ReplyReader.parseLogfmt(rows[1]).map(\.value), ["2", ""])
        XCTAssertEqual(parsed[2], .rows([]))
        XCTAssertEqual(parsed[3], .error(code: "INSUFFICIENT", message: "only 3 available"))
    }

    /// `session seq=yes`: an OK line or a table's header says the journal position it shows.
    func testACursorWithASeqPutsItOnTheOKLineOrTheHeaderOnly() {
        func encoded(_ reply: Reply, seq: Int64?) -> String {
            var cursor = ReplyCursor(reply, seq: seq)
            var out: [UInt8] = []
            while !cursor.encode(into: &out, budget: 16) {}
            return String(decoding: out, as: UTF8.self)
        }
        XCTAssertEqual(encoded(.ok(["lot": "L1", "qty": "5"]), seq: 42), "OK lot=L1 qty=5 seq=42\n")
        XCTAssertEqual(encoded(.ok(Fields()), seq: 7), "OK seq=7\n")
        XCTAssertEqual(encoded(.rows([["a": "1"], ["a": "2"]]), seq: 9), "OK 2 rows seq=9\na=1\na=2\n")
        XCTAssertEqual(encoded(.stream(RowStream(rows: [["a": "1"], ["a": "2"]], limit: 1)), seq: 9), "OK 1 rows more seq=9\na=1\n")
        XCTAssertEqual(encoded(.error(.notFound, "no such lot"), seq: 9), "ERR NOTFOUND no such lot\n")
        XCTAssertEqual(encoded(.ok(["lot": "L1"]), seq: nil), "OK lot=L1\n")
    }
}
