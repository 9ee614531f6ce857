import Foundation
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

    /// A socket at ./data/reliefd.sock (anyone who can write the working directory can put one
    /// there) is not used unless named: without --socket, --tcp or RELIEFD_SOCKET it is the system path.
    func testEndpointIgnoresASocketInTheWorkingDirectory() throws {
        var template = Array("/tmp/reliefctl-cwd-XXXXXX".utf8CString)
        let directory = try XCTUnwrap(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        XCTAssertEqual(mkdir(directory + "/data", 0o700), 0)
        let fake = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            for (index, byte) in (directory + "/data/reliefd.sock").utf8.enumerated() { bytes[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fake, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(bound, 0)
        XCTAssertEqual(listen(fake, 1), 0)
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory))
        defer {
            _ = FileManager.default.changeCurrentDirectoryPath(previous)
            close(fake)
            try? FileManager.default.removeItem(atPath: directory)
        }
        XCTAssertEqual(access("data/reliefd.sock", F_OK), 0, "the fake socket is where the old fallback looked")
        XCTAssertEqual(try Endpoint.resolve(socket: nil, tcp: nil, environment: [:]), .unix("/run/reliefd/reliefd.sock"))
        XCTAssertEqual(try Endpoint.resolve(socket: nil, tcp: nil, environment: ["RELIEFD_SOCKET": ""]), .unix("/run/reliefd/reliefd.sock"))
        XCTAssertEqual(try Endpoint.resolve(socket: "data/reliefd.sock", tcp: nil, environment: [:]), .unix("data/reliefd.sock"))
    }
}
