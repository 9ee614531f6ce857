import XCTest
import ReliefProtocol
@testable import reliefctl

final class RequestLineTests: XCTestCase {
    func testShellWordsWithSpacesAreQuoted() {
        XCTAssertEqual(RequestLine.build(["stock", "receive", "ty-01", "water-5l", "4000", "donor=Yangquan Steel"]),
                       #"stock receive ty-01 water-5l 4000 donor="Yangquan Steel""#)
        XCTAssertEqual(RequestLine.build(["warehouse", "add", "ty-01", "name=Taiyuan depot", "at=37.87,112.55"]),
                       #"warehouse add ty-01 name="Taiyuan depot" at=37.87,112.55"#)
    }

    func testPlainWordsStayBare() {
        XCTAssertEqual(RequestLine.build(["stock", "query", "item=water-5l"]), "stock query item=water-5l")
    }

    func testQuotesAndBackslashesAreEscapedAndTheParserReadsThemBack() throws {
        let words = ["note", #"say "hi" \ bye"#, "note=line\nbreak", "a b", ""]
        let line = RequestLine.build(words)
        let request = try RequestParser.parse(line).get()
        XCTAssertEqual(request.words, ["note", #"say "hi" \ bye"#, "a b", ""])
        XCTAssertEqual(request.option("note"), "line\nbreak")
    }

    func testEndpointResolution() throws {
        XCTAssertEqual(try Endpoint.resolve(socket: "/s", tcp: nil, environment: ["RELIEFD_SOCKET": "/e"]), .unix("/s"))
        XCTAssertEqual(try Endpoint.resolve(socket: nil, tcp: nil, environment: ["RELIEFD_SOCKET": "/e"]), .unix("/e"))
        XCTAssertEqual(try Endpoint.resolve(socket: nil, tcp: "127.0.0.1:7878", environment: [:]), .tcp(host: "127.0.0.1", port: 7878))
        XCTAssertEqual(try Endpoint.parseTCP("[::1]:7878"), .tcp(host: "::1", port: 7878))
        XCTAssertThrowsError(try Endpoint.parseTCP("localhost"))
        XCTAssertThrowsError(try Endpoint.parseTCP("localhost:0"))
        XCTAssertThrowsError(try Endpoint.resolve(socket: "/s", tcp: "h:1", environment: [:]))
    }
}
