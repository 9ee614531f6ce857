import XCTest
@testable import reliefctl
import ReliefCSV

final class CSVTests: XCTestCase {
    func testQuotedFieldsWithCommasQuotesAndNewlinesAndPhysicalLineNumbers() throws {
        let text = "id,name,org\r\nv-1,\"Wang, Li\",\"Red \"\"Cross\"\"\"\r\nv-2,\"two\nlines\",x\n\nv-3,,\"\"\n"
        let records = try CSV.parse(text)
        XCTAssertEqual(records, [
            CSV.Record(line: 1, fields: ["id", "name", "org"]),
            CSV.Record(line: 2, fields: ["v-1", "Wang, Li", "Red \"Cross\""]),
            CSV.Record(line: 3, fields: ["v-2", "two\nlines", "x"]),
            // line 5 is blank and skipped
            CSV.Record(line: 6, fields: ["v-3", "", ""]),
        ])
    }

    func testLastRecordWithoutLineEndAndByteOrderMark() throws {
        let records = try CSV.parse([0xEF, 0xBB, 0xBF] + Array("a,b\n1,2".utf8))
        XCTAssertEqual(records.map(\.fields), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(try CSV.parse("a,\n").map(\.fields), [["a", ""]])
    }

    func testBadCSVIsReportedWithItsLine() {
        func failure(_ text: String) -> CSV.Failure? {
            do { _ = try CSV.parse(text) } catch { return error }
            return nil
        }
        XCTAssertEqual(failure("a,b\n1,\"open\n2,3\n")?.line, 2)
        XCTAssertTrue(failure("a,b\n1,\"open\n2,3\n")?.message.hasPrefix("unbalanced quote") ?? false)
        XCTAssertEqual(failure("a,b\n1,\"x\"y\n")?.line, 2)
        XCTAssertEqual(failure("a,b\n\n1,x\"y\n")?.line, 3)
        XCTAssertNil(failure("a\n\"q\"\n\u{FF}"), "U+00FF is valid text")
        do {
            _ = try CSV.parse(Array("a\nb".utf8) + [0xFF])
            XCTFail("invalid UTF-8 accepted")
        } catch {
            XCTAssertEqual(error.line, 2)
        }
    }

    func testWriterRoundTrips() throws {
        let fields = ["plain", "with, comma", "with \"quote\"", "two\r\nlines", " padded ", ""]
        let text = CSV.record(fields)
        XCTAssertEqual(text, "plain,\"with, comma\",\"with \"\"quote\"\"\",\"two\r\nlines\",\" padded \",\r\n")
        XCTAssertEqual(try CSV.parse(text).first?.fields, fields)
    }

    /// Found by the csv fuzz target: a quote followed by a combining mark is one Character, which
    /// is not `"`, so it was written single and the file did not read back.
    func testQuoteBeforeACombiningMarkIsDoubled() throws {
        let fields = ["Water \"\u{61A} rescue\"", "a\"\u{301}"]
        let text = CSV.record(fields)
        XCTAssertEqual(text, "\"Water \"\"\u{61A} rescue\"\"\",\"a\"\"\u{301}\"\r\n")
        XCTAssertEqual(try CSV.parse(text).first?.fields, fields)
    }

    func testHashtagRow() {
        XCTAssertTrue(CSV.isHashtagRow(["#contact+name", "", " #geo+lat"]))
        XCTAssertFalse(CSV.isHashtagRow(["#contact+name", "Wang"]))
        XCTAssertFalse(CSV.isHashtagRow(["", ""]))
    }
}
