import XCTest
@testable import ReliefProtocol

final class ProtocolGuardTests: XCTestCase {
    func testHTTPRequestLinesAndHeadersAreRecognised() {
        for line in ["POST / HTTP/1.1", "GET /favicon.ico HTTP/1.1", "OPTIONS * HTTP/1.1", "PUT http://127.0.0.1:7878/ HTTP/1.0",
                     "Host: 127.0.0.1:7878", "host:127.0.0.1", "Content-Type: text/plain", "Origin: http://evil.example",
                     "User-Agent: Mozilla/5.0", "PRI * HTTP/2.0", "GET /"] {
            XCTAssertTrue(ProtocolGuard.looksLikeHTTP(Array(line.utf8)), line)
        }
    }

    func testRequestsOfTheProtocolAreNot() {
        for line in ["stock receive ty-01 water-5l 60 lot=D:1", "ping", "help", "get", "GET", "post office", "info",
                     "stock query item=water near=37.7,112.7", "volunteer find skill=first-aid", "\"Host: x\"", "",
                     "req=abc stock issue ty-01 water 1", "incident open i-1 name=\"Host: flood\"", "1a: b", "-x: y"] {
            XCTAssertFalse(ProtocolGuard.looksLikeHTTP(Array(line.utf8)), line)
        }
    }
}
