import Foundation
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

    func testJSONTypesValuesByFieldNameAndKeepsIdsAsText() throws {
        let stock: ReplyReader.Parsed = .rows([
            "warehouse=007 item=water-5l lot=2026 on_hand=4000 reserved=0 available=4000 unit=bottle distance_km=6.3",
            "warehouse=jz-01 item=water-5l lot=L-1 on_hand=900 reserved=100 available=800 unit=bottle min= phone=13800000001",
            #"warehouse=dt-01 item=quilt lot=L-2 on_hand=+12 note="a \"b\"" days_left=nope"#,
        ])
        let text = Output.render(stock, as: .json).out
        XCTAssertTrue(text.hasPrefix("[\n" + #"  {"warehouse": "007", "item": "water-5l", "lot": "2026", "on_hand": 4000, "reserved": 0, "available": 4000, "unit": "bottle", "distance_km": 6.3},"#), text)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], text)
        XCTAssertEqual(rows.count, 3)
        for (key, expected) in [("on_hand", 4000), ("reserved", 0), ("available", 4000)] {
            let number = try XCTUnwrap(rows[0][key] as? NSNumber, "\(key) is a JSON number: \(text)")
            XCTAssertFalse(rows[0][key] is String)
            XCTAssertEqual(number.int64Value, Int64(expected))
        }
        XCTAssertEqual((rows[0]["distance_km"] as? NSNumber)?.doubleValue, 6.3)
        XCTAssertEqual(rows[0]["warehouse"] as? String, "007", "an id stays text whatever it looks like")
        XCTAssertEqual(rows[0]["lot"] as? String, "2026")
        XCTAssertEqual(rows[1]["phone"] as? String, "13800000001")
        XCTAssertTrue(rows[1]["min"] is NSNull, "an empty number is null")
        XCTAssertEqual((rows[2]["on_hand"] as? NSNumber)?.int64Value, 12, "a signed number loses its +")
        XCTAssertEqual(rows[2]["note"] as? String, "a \"b\"")
        XCTAssertEqual(rows[2]["days_left"] as? String, "nope", "text in a numeric field is kept as text")
    }

    func testJSONOfAnOKAndOfAFeedLineIsTypedToo() throws {
        let ok = Output.render(.ok("lots=W1:5 issued=5 changed=yes"), as: .json).out
        XCTAssertEqual(ok, "{\"lots\": \"W1:5\", \"issued\": 5, \"changed\": true}\n")
        XCTAssertEqual(Output.render(.ok("lots=W1:5 issued=5"), as: .geojson).out, "{\"lots\": \"W1:5\", \"issued\": 5}\n")
        let event = Output.render(.pushed("event seq=42 channel=stock event=lot.received qty=5 members=7"), as: .json).out
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any], event)
        XCTAssertEqual((object["seq"] as? NSNumber)?.int64Value, 42)
        XCTAssertEqual(object["qty"] as? String, "5", "a journal body keeps its values as text")
        XCTAssertEqual(object["type"] as? String, "event")
    }

    func testGeoJSONPropertiesAreTyped() throws {
        let text = Output.render(.rows(["incident=007 title=Flood severity=4 affected=12000 at=37.86,113.58 exercise=yes"]), as: .geojson).out
        let collection = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
        let properties = try XCTUnwrap((collection["features"] as? [[String: Any]])?.first?["properties"] as? [String: Any])
        XCTAssertEqual((properties["severity"] as? NSNumber)?.int64Value, 4)
        XCTAssertEqual((properties["affected"] as? NSNumber)?.int64Value, 12000)
        XCTAssertEqual(properties["incident"] as? String, "007")
        XCTAssertEqual(properties["exercise"] as? Bool, true)
    }

    /// What the report asked for: jq selecting rows by a number. jq when installed, else Python's json.
    func testJqSelectsRowsByAvailable() throws {
        let text = Output.render(.rows([
            "warehouse=a item=water available=1200",
            "warehouse=b item=water available=900",
            "warehouse=c item=water available=50000",
            "warehouse=d item=water available=1000",
            "warehouse=e item=water available=",
            "warehouse=1001 item=water available=3",
        ]), as: .json).out
        let file = NSTemporaryDirectory() + "rows-\(UUID().uuidString).json"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        XCTAssertEqual(try selectAvailableOver1000(file), ["a", "c"], text)
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

/// `jq -r '.[] | select(.available > 1000) | .warehouse' FILE`, or the same in Python when jq is
/// not installed: the warehouses selected, in order.
func selectAvailableOver1000(_ file: String, rows path: String = ".[]") throws -> [String] {
    let process = Process()
    let jq = "/usr/bin/jq"
    if FileManager.default.isExecutableFile(atPath: jq) {
        process.executableURL = URL(fileURLWithPath: jq)
        process.arguments = ["-r", "\(path) | select(.available > 1000) | .warehouse", file]
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        let rows = path == ".[]" ? "data" : "data[\"rows\"]"
        process.arguments = ["-c", """
            import json, sys
            data = json.load(open(sys.argv[1]))
            for row in \(rows):
                if isinstance(row.get("available"), (int, float)) and not isinstance(row["available"], bool) and row["available"] > 1000:
                    print(row["warehouse"])
            """, file]
    }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}
