import XCTest
import ReliefProtocol
@testable import reliefctl
import ReliefCSV

final class OutputTests: XCTestCase {
    private let rows: ReplyReader.Parsed = .rows([
        #"warehouse=ty-01 item=water-5l on_hand=4000 note="a, \"b\"""#,
        "warehouse=jz-01 item=water-5l on_hand=900 distance_km=6.3",
    ])

    func testTableAlignsColumnsInFirstSeenOrderAndRightAlignsNumbers() {
        let text = Output.render(rows, as: .table).out
        XCTAssertEqual(text, """
        warehouse  item      on_hand  note    distance_km
        ---------  --------  -------  ------  -----------
        ty-01      water-5l     4000  a, "b"
        jz-01      water-5l      900                  6.3
        (2 rows)

        """)
    }

    func testACutListingSaysSoOnStderrInEveryFormat() {
        guard case .rows(let lines) = rows else { return XCTFail() }
        let cut = ReplyReader.Parsed.truncatedRows(lines)
        for format in [OutputFormat.table, .json, .csv] {
            let rendered = Output.render(cut, as: format)
            XCTAssertEqual(rendered.out, Output.render(rows, as: format).out, "\(format): the rows are the same")
            XCTAssertTrue(rendered.err.contains("more match"), "\(format): \(rendered.err)")
        }
        XCTAssertTrue(Output.render(cut, as: .raw).out.hasPrefix("OK 2 rows more\n"))
        XCTAssertEqual(Output.render(rows, as: .table).err, "")
    }

    func testTableCountsWideCharactersTwice() {
        let text = Output.table([[("name", "太原仓"), ("n", "1")], [("name", "ab"), ("n", "2")]])
        XCTAssertEqual(text, "name    n\n------  -\n太原仓  1\nab      2\n(2 rows)\n")
    }

    func testEmptyRowsInEachFormat() {
        XCTAssertEqual(Output.render(.rows([]), as: .table).out, "(0 rows)\n")
        XCTAssertEqual(Output.render(.rows([]), as: .json).out, "[]\n")
        XCTAssertEqual(Output.render(.rows([]), as: .csv).out, "")
        XCTAssertEqual(Output.render(.rows([]), as: .raw).out, "OK 0 rows\n")
    }

    func testCSVQuotesPerRFC4180WithHeaderAndCRLF() {
        let text = Output.render(rows, as: .csv).out
        XCTAssertEqual(text, "warehouse,item,on_hand,note,distance_km\r\n"
            + "ty-01,water-5l,4000,\"a, \"\"b\"\"\",\r\n"
            + "jz-01,water-5l,900,,6.3\r\n")
        XCTAssertEqual(Output.csvField("line\nbreak"), "\"line\nbreak\"")
        // A quote or comma followed by a combining mark is still a quote or a comma.
        XCTAssertEqual(Output.csvField("a\"\u{301}b"), "\"a\"\"\u{301}b\"")
        XCTAssertEqual(Output.csvField("a,\u{301}b"), "\"a,\u{301}b\"")
    }

    func testJSONArrayKeepsKeyOrderAndEscapes() {
        let text = Output.render(.rows(["a=1 b=\"x\\ny\"", "b=2"]), as: .json).out
        XCTAssertEqual(text, "[\n  {\"a\": \"1\", \"b\": \"x\\ny\"},\n  {\"b\": \"2\"}\n]\n")
        XCTAssertEqual(Output.jsonString("q\"\\\u{01}"), "\"q\\\"\\\\\\u0001\"")
    }

    func testOKWithDetails() {
        XCTAssertEqual(Output.render(.ok("lot=D-2026-114"), as: .table).out, "lot=D-2026-114\n")
        XCTAssertEqual(Output.render(.ok("lot=D-2026-114"), as: .raw).out, "OK lot=D-2026-114\n")
        XCTAssertEqual(Output.render(.ok("lot=D-2026-114"), as: .json).out, "{\"lot\": \"D-2026-114\"}\n")
        XCTAssertEqual(Output.render(.ok("pong"), as: .json).out, "{\"message\": \"pong\"}\n")
        XCTAssertEqual(Output.render(.ok("lot=A n=2"), as: .csv).out, "lot,n\r\nA,2\r\n")
    }

    func testPlainOK() {
        XCTAssertEqual(Output.render(.ok(""), as: .table), Rendered(out: "OK\n"))
        XCTAssertEqual(Output.render(.ok(""), as: .raw), Rendered(out: "OK\n"))
        XCTAssertEqual(Output.render(.ok(""), as: .json), Rendered(out: "{}\n"))
    }

    func testErrorsGoToStderrInEveryFormat() {
        for format in OutputFormat.allCases {
            XCTAssertEqual(Output.render(.error(code: "NOTFOUND", message: "item x not found"), as: format),
                           Rendered(err: "ERR NOTFOUND item x not found\n"))
        }
    }

    func testRawRowsRoundTripTheProtocolText() {
        XCTAssertEqual(Output.render(rows, as: .raw).out,
                       "OK 2 rows\n" + #"warehouse=ty-01 item=water-5l on_hand=4000 note="a, \"b\"""# + "\n"
                       + "warehouse=jz-01 item=water-5l on_hand=900 distance_km=6.3\n")
    }
}
