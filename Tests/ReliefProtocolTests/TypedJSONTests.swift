import Foundation
import XCTest
@testable import ReliefProtocol

/// The typed JSON of replies: numbers and flags by the field's name, never by the value's look.
final class TypedJSONTests: XCTestCase {
    private func value(_ text: String, _ field: String) -> String { TypedJSON.value(text, field: field) }

    /// Parses one value the way a client does (as the member of an object).
    private func parsed(_ text: String, _ field: String) throws -> Any {
        let object = "{\"v\":" + value(text, field) + "}"
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(object.utf8)) as? [String: Any], object)
        return try XCTUnwrap(parsed["v"], object)
    }

    func testNumericFieldsOfTheRegistryAreNumbers() throws {
        XCTAssertEqual(value("4000", "on_hand"), "4000")
        XCTAssertEqual(value("1200", "available"), "1200")
        XCTAssertEqual(value("0", "missing"), "0")
        XCTAssertEqual(value("-35", "delta"), "-35")
        XCTAssertEqual(value("6.3", "distance_km"), "6.3")
        XCTAssertEqual(value("37.87", "lat"), "37.87")
        XCTAssertEqual(value("1250.50", "money_in"), "1250.50", "decimals as given")
        XCTAssertEqual(value("17", "seq"), "17")
        let number = try XCTUnwrap(try parsed("1200", "available") as? NSNumber)
        XCTAssertEqual(number.int64Value, 1200)
        XCTAssertEqual((try parsed("6.3", "distance_km") as? NSNumber)?.doubleValue, 6.3)
    }

    func testALeadingPlusIsDroppedSoTheNumberIsValidJSON() throws {
        XCTAssertEqual(value("+120", "delta"), "120")
        XCTAssertEqual((try parsed("+120", "delta") as? NSNumber)?.int64Value, 120)
        XCTAssertEqual(value("+-3", "delta"), "\"+-3\"")
        XCTAssertEqual(value("+", "delta"), "\"+\"")
    }

    func testIntegersAreExactWithinInt64AndStayStringsBeyond() throws {
        XCTAssertEqual(value("9223372036854775807", "on_hand"), "9223372036854775807")
        XCTAssertEqual(value("-9223372036854775808", "delta"), "-9223372036854775808")
        XCTAssertEqual((try parsed("9007199254740993", "on_hand") as? NSNumber)?.int64Value, 9_007_199_254_740_993,
                       "past 2^53 an integer is still exact")
        XCTAssertEqual(value("9223372036854775808", "on_hand"), "\"9223372036854775808\"", "past Int64: text, nothing lost")
    }

    func testAnEmptyNumericOrFlagFieldIsNull() throws {
        XCTAssertEqual(value("", "hours"), "null")
        XCTAssertEqual(value("", "back"), "null")
        XCTAssertEqual(value("", "drill_due"), "null")
        XCTAssertTrue(try parsed("", "quantity") is NSNull)
        XCTAssertEqual(value("", "warehouse"), "\"\"", "an empty text field stays an empty string")
    }

    func testTextInANumericFieldStaysAString() throws {
        for text in ["max", "007", "01.5", "2026-12-01", "1,2", "N-000001,N-000002", "1.", ".5", "1e", " 5", "5 ", "nan", "NaN",
                     "inf", "-inf", "Infinity", "0x10", "1_000", "１２", "1e999", "-", "12abc"] {
            XCTAssertEqual(value(text, "quantity"), JSONText.string(text), text)
            XCTAssertEqual(try parsed(text, "quantity") as? String, text, text)
        }
        XCTAssertEqual(value("max", "speed"), "\"max\"")
        XCTAssertEqual(value("water-5l:100 quilt:20", "arrived"), "\"water-5l:100 quilt:20\"")
    }

    func testIdsCodesAndPhonesStayStringsWhateverTheyLookLike() throws {
        XCTAssertEqual(value("007", "warehouse"), "\"007\"")
        XCTAssertEqual(value("2026", "lot"), "\"2026\"")
        XCTAssertEqual(value("2026", "lots"), "\"2026\"", "lots lists lot codes in disclose section=money")
        XCTAssertEqual(value("13800000001", "phone"), "\"13800000001\"")
        XCTAssertEqual(value("140102199001011234", "id_number"), "\"140102199001011234\"")
        XCTAssertEqual(value("12", "from"), "\"12\"", "from is a warehouse id in travel listings")
        XCTAssertEqual(value("1000", "uids"), "\"1000\"")
        XCTAssertEqual(value("3", "ref"), "\"3\"")
        XCTAssertEqual(value("1", "message"), "\"1\"")
        XCTAssertEqual(try parsed("2026", "lot") as? String, "2026")
    }

    func testFlagsAreBooleansAndOtherTextInThemStaysAString() throws {
        XCTAssertEqual(value("yes", "drill_due"), "true")
        XCTAssertEqual(value("no", "anonymous"), "false")
        XCTAssertEqual(value("yes", "available"), "true", "available is a flag in volunteer rows")
        XCTAssertEqual(value("120", "available"), "120", "and a quantity in stock rows")
        XCTAssertEqual(value("3", "changed"), "3")
        XCTAssertEqual(value("no", "changed"), "false")
        XCTAssertEqual(value("Yes", "drill_due"), "\"Yes\"")
        XCTAssertEqual(value("yes", "revoked"), "\"yes\"", "revoked is no or a time: text")
        XCTAssertEqual(value("once", "shown"), "\"once\"")
        XCTAssertEqual(try parsed("yes", "exercise") as? Bool, true)
        XCTAssertEqual(try parsed("no", "exercise") as? Bool, false)
    }

    func testEscapingIsJSONTextsAndMembersNameBareWordsMessage() {
        for text in ["Depot \"A\" <main>", "a\\b", "line\nbreak\ttab\r", "\u{01}\u{7F}", "太原仓", ""] {
            XCTAssertEqual(value(text, "name"), JSONText.string(text))
        }
        XCTAssertEqual(value("<3", "quantity"), "\"\\u003c3\"", "text in a numeric field is escaped the same")
        var out: [UInt8] = []
        TypedJSON.appendMember("", "pong", into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "\"message\":\"pong\"")
        out = []
        TypedJSON.appendMember("on_hand", "5", spaced: true, into: &out)
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "\"on_hand\": 5")
    }

    func testTheFeedRegistryTypesOnlyTheSeq() {
        XCTAssertEqual(TypedJSON.value("42", field: "seq", in: TypedJSON.feedFields), "42")
        XCTAssertEqual(TypedJSON.value("v1", field: "members", in: TypedJSON.feedFields), "\"v1\"")
        XCTAssertEqual(TypedJSON.value("3", field: "lines", in: TypedJSON.feedFields), "\"3\"", "a list of plan lines in a plan.applied body")
    }

    func testEveryNumberWrittenIsValidJSON() throws {
        // Whatever the text, an object of typed members parses: no `+`, no NaN, no leading zeros.
        let texts = ["0", "-0", "+0", "7", "-7", "+7", "007", "1.50", "-0.25", "1e5", "1E-5", "2.5e+3", "+1.5", "1e400",
                     "nan", "inf", "", "yes", "no", "99999999999999999999", "-9223372036854775809", "12.", "+.5"]
        for text in texts {
            for field in ["quantity", "delta", "distance_km", "available", "drill_due", "warehouse"] {
                let object = "{\"v\":" + value(text, field) + "}"
                XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(object.utf8)), object)
                XCTAssertFalse(object.contains(":+"), object)
            }
        }
    }

    func testTheRegistryIsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
        // The section lists each numeric and each flag field once, in backquotes, in the
        // paragraphs starting "Numeric fields" and "Flag fields" (and nothing else in backquotes).
        func listed(_ label: String) throws -> [String] {
            let start = try XCTUnwrap(text.range(of: "\n" + label), "docs/protocol.md has no paragraph \(label)")
            let end = text.range(of: "\n\n", range: start.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
            return text[start.upperBound..<end].split(separator: "`", omittingEmptySubsequences: false)
                .enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        XCTAssertEqual(try listed("Numeric fields").sorted(), TypedJSON.numericFields.sorted())
        XCTAssertEqual(try listed("Flag fields").sorted(), TypedJSON.flagFields.sorted())
        XCTAssertEqual(Set(TypedJSON.numericFields).count, TypedJSON.numericFields.count, "no name twice")
    }
}
