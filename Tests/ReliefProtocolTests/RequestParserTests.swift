import XCTest
@testable import ReliefProtocol

final class RequestParserTests: XCTestCase {
    private func parse(_ line: String) throws -> Request {
        switch RequestParser.parse(line) {
        case .success(let request): return request
        case .failure(let error): throw error
        }
    }

    private func failure(_ line: String) -> RequestError? {
        if case .failure(let error) = RequestParser.parse(line) { return error }
        return nil
    }

    func testOptionKeysAreLowercasedAndNonASCIITextIsKept() throws {
        let request = try parse("stock receive WH-1 tent Supplier=\"Yangquan Steel\" Note=小店区 qty=2")
        XCTAssertEqual(request.options, [Request.Option(key: "supplier", value: "Yangquan Steel"),
                                         Request.Option(key: "note", value: "小店区"), Request.Option(key: "qty", value: "2")])
        XCTAssertEqual(request.words, ["stock", "receive", "WH-1", "tent"])
        XCTAssertEqual(failure("stock QTY=1 qty=2")?.message, "option qty= given twice; expected each option once")
    }

    func testAWordIsComparedIgnoringASCIICaseOnly() throws {
        let request = try parse("DRILL Inject d1 import ÉTAT")
        XCTAssertTrue(request.word(0, is: "drill"))
        XCTAssertTrue(request.word(1, is: "inject"))
        XCTAssertFalse(request.word(1, is: "injec"))
        XCTAssertFalse(request.word(2, is: "d"))
        XCTAssertTrue(request.word(3, is: "import"))
        // Past the words; and only ASCII letters fold (É stays É).
        XCTAssertFalse(request.word(5, is: "x"))
        XCTAssertFalse(request.word(4, is: "état"))
        XCTAssertTrue(request.word(4, is: "État"))
    }

    func testWordsOptionsAndQuotedValues() throws {
        let request = try parse(#"stock receive ty-01 water-5l 4000 lot=D-2026-114 donor="Yangquan Steel""#)
        XCTAssertEqual(request.words, ["stock", "receive", "ty-01", "water-5l", "4000"])
        XCTAssertEqual(request.option("lot"), "D-2026-114")
        XCTAssertEqual(request.option("donor"), "Yangquan Steel")
        XCTAssertNil(request.requestToken)
    }

    func testRequestTokenIsLiftedOut() throws {
        let request = try parse("stock issue ty-01 quilt 5 req=abc-1")
        XCTAssertEqual(request.requestToken, "abc-1")
        XCTAssertNil(request.option("req"))
    }

    func testEscapesAndQuotedWord() throws {
        let request = try parse(#"region add x name="Lüliang \"west\"\\ depot\n" "two words""#)
        XCTAssertEqual(request.option("name"), "Lüliang \"west\"\\ depot\n")
        XCTAssertEqual(request.words.last, "two words")
    }

    func testBlanksAndTabs() throws {
        XCTAssertEqual(try parse("  ping\t ").words, ["ping"])
        XCTAssertEqual(try parse("").words, [])
    }

    func testValueMayContainEquals() throws {
        XCTAssertEqual(try parse("x y note=a=b").option("note"), "a=b")
    }

    func testOptionKeysAreLowercased() throws {
        XCTAssertEqual(try parse("x Lot=A").option("lot"), "A")
    }

    func testRejectsUnbalancedQuote() {
        let error = failure(#"item add tent name="Relief tent"#)
        XCTAssertEqual(error?.code, .syntax)
        XCTAssertTrue(error?.message.contains("unbalanced quote") ?? false, error?.message ?? "")
    }

    func testRejectsUnknownEscape() {
        XCTAssertEqual(failure(#"x "a\qb""#)?.code, .syntax)
    }

    func testRejectsInvalidUTF8() {
        let bytes: [UInt8] = Array("ping ".utf8) + [0xC3, 0x28]
        guard case .failure(let error) = RequestParser.parse(bytes: bytes) else { return XCTFail("accepted invalid UTF-8") }
        XCTAssertEqual(error.code, .syntax)
        XCTAssertTrue(error.message.contains("invalid UTF-8 at column 6"), error.message)
    }

    func testRejectsControlBytes() {
        guard case .failure(let error) = RequestParser.parse(bytes: [0x70, 0x00, 0x71]) else { return XCTFail() }
        XCTAssertTrue(error.message.contains("0x00"), error.message)
    }

    func testRejectsDuplicateOption() {
        XCTAssertEqual(failure("x lot=a lot=b")?.code, .syntax)
        XCTAssertEqual(failure("x req=a req=b")?.code, .syntax)
    }

    func testRejectsQuoteInsideWord() {
        XCTAssertEqual(failure(#"x ab"c""#)?.code, .syntax)
        XCTAssertEqual(failure(#"x "ab"c"#)?.code, .syntax)
    }

    func testWordLimit() throws {
        let line = Array(repeating: "w", count: RequestParser.maxWords + 1).joined(separator: " ")
        XCTAssertEqual(failure(line)?.code, .limit)
        XCTAssertEqual(failure(line + " req=t1")?.code, .limit)
        // req= is not a word: a full request takes it first or last alike (found by the fuzzer:
        // a request re-encoded with req= moved to the end must parse again).
        let full = Array(repeating: "w", count: RequestParser.maxWords - 2).joined(separator: " ") + " a=1 b=2"
        XCTAssertEqual(try parse(full + " req=t1").requestToken, "t1")
        XCTAssertEqual(try parse("req=t1 " + full).requestToken, "t1")
        XCTAssertEqual(failure(full + " c=3")?.code, .limit)
        XCTAssertEqual(failure(full + " \"quoted word\"")?.code, .limit)
    }

    func testQuoteArgumentRoundTrips() throws {
        let arguments = ["plain", "two words", "donor=Yangquan Steel", "say \"hi\"", "", "a=b=c", "=x"]
        let line = arguments.map(TextEncoder.quoteArgument).joined(separator: " ")
        let request = try parse("cmd " + line)
        XCTAssertEqual(request.words, ["cmd", "plain", "two words", "say \"hi\"", "", "=x"])
        XCTAssertEqual(request.option("donor"), "Yangquan Steel")
        XCTAssertEqual(request.option("a"), "b=c")
    }

    /// Found by the fuzzer: an `=` followed by a combining mark is still an option separator.
    func testQuoteArgumentWithCombiningMarkAfterEquals() throws {
        let argument = "opt=\u{059E}x y"
        let request = try parse("cmd " + TextEncoder.quoteArgument(argument))
        XCTAssertEqual(request.option("opt"), "\u{059E}x y")
        XCTAssertEqual(request.words, ["cmd"])
    }

    /// Random byte strings never crash the parser and either parse or fail with a coded error.
    func testRandomBytesNeverCrash() {
        var generator = SplitMix64(seed: 42)
        let alphabet: [UInt8] = Array("ab =\"\\ \t".utf8) + [0x00, 0xC3, 0x28, 0xE2, 0x82, 0xAC, 0xFF]
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 24)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            switch RequestParser.parse(bytes: bytes) {
            case .success(let request):
                XCTAssertLessThanOrEqual(request.words.count + request.options.count, RequestParser.maxWords)
            case .failure(let error):
                XCTAssertFalse(error.message.isEmpty)
            }
        }
    }
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
