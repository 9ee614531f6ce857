import XCTest
@testable import ReliefCore

final class FlatJSONTests: XCTestCase {
    func testRoundTripOfEveryValueKind() throws {
        var json = FlatJSON()
        json.set("plain", "Taiyuan depot")
        json.set("escapes", "quote \" backslash \\ slash / newline \n return \r tab \t bell \u{07} nul \u{0}")
        json.set("unicode", "太原市 Lüliang 🏕️ e\u{301}")
        json.set("empty", "")
        json.set("int", Int64(42))
        json.set("negative", -7)
        json.set("max", Int64.max)
        json.set("min", Int64.min)
        json.set("double", 112.55)
        json.set("negdouble", -0.125)
        json.set("whole", 113.0)
        json.set("tiny", 5e-324)
        json.set("huge", 1.5e300)
        json.pairs.append(("null", .null))
        let text = json.encoded()
        let decoded = try FlatJSON.decode(text)
        XCTAssertEqual(decoded, json)
        XCTAssertEqual(decoded.encoded(), text, "encoding is deterministic")
        XCTAssertEqual(decoded["whole"], .double(113.0), "a whole double stays a double")
        XCTAssertEqual(decoded["int"], .int(42))
        XCTAssertFalse(text.contains("\n"), "one record is one line")
    }

    func testEncodingIsOrdinaryJSON() {
        var json = FlatJSON()
        json.set("a", "x\"y"); json.set("b", 1); json.set("c", 2.5); json.pairs.append(("d", .null))
        json.set("e", "\u{1}")
        XCTAssertEqual(json.encoded(), #"{"a":"x\"y","b":1,"c":2.5,"d":null,"e":"\u0001"}"#)
        XCTAssertEqual(FlatJSON().encoded(), "{}")
    }

    func testDecodesJSONWrittenByOthers() throws {
        let json = try FlatJSON.decode(#" { "a" : "\u00e9\/\b\f" , "b" : -3 , "c" : 1e3 , "d" : null } "#)
        XCTAssertEqual(json["a"], .string("é/\u{8}\u{c}"))
        XCTAssertEqual(json["b"], .int(-3))
        XCTAssertEqual(json["c"], .double(1000))
        XCTAssertEqual(json["d"], .null)
        XCTAssertEqual(try json.double("b"), -3, "an int reads as a double")
        XCTAssertNil(try json.optionalString("d"))
        XCTAssertNil(try json.optionalString("zzz"))
        XCTAssertThrowsError(try json.string("b"))
        XCTAssertThrowsError(try json.int("a"))
    }

    func testMalformedInputThrows() {
        for bad in ["", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":\"x}", "{\"a\":nul}", "{\"a\":tru}",
                    "{\"a\":1 \"b\":2}", "[1]", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}", "{\"a\":-}", "{a:1}"] {
            XCTAssertThrowsError(try FlatJSON.decode(bad), bad)
        }
    }

    /// Found by the journal fuzz target: 1e999 decoded as infinity, which encodes as null, so a
    /// damaged body decoded to something that did not encode back (a warehouse at latitude
    /// infinity whose snapshot would not load). A number past Double's range is malformed.
    func testANumberPastDoublesRangeIsMalformed() throws {
        XCTAssertEqual(try FlatJSON.decode(#"{"lat":1e308,"lon":-1e-400}"#)["lat"], .double(1e308))
        for bad in [#"{"lat":1e999}"#, #"{"lat":-1e400}"#, #"{"lat":\#(String(repeating: "9", count: 400)).5}"#] {
            XCTAssertThrowsError(try FlatJSON.decode(bad), bad) { error in
                XCTAssertEqual(error as? FlatJSON.DecodingError, .malformed(7))
            }
        }
    }
}
