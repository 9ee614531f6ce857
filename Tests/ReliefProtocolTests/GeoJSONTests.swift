import Foundation
import XCTest
@testable import ReliefProtocol

final class GeoJSONTests: XCTestCase {
    func testRowsWithCoordinatesArePointsLongitudeFirstAndOthersKeepANullGeometry() throws {
        let rows: [Fields] = [
            ["warehouse": "wh-a", "name": "Depot \"A\" <main>", "at": "37.87,112.55", "phone": "138"],
            ["warehouse": "wh-x", "at": "not a place"],
            ["warehouse": "wh-y", "at": "91,10"],
        ]
        let text = GeoJSON.featureCollection(rows, dropping: ["phone"])
        XCTAssertFalse(text.contains("<"), "a value cannot close a script element: \(text)")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let features = try XCTUnwrap(object["features"] as? [[String: Any]])
        XCTAssertEqual(features.count, 3)
        XCTAssertEqual((features[0]["geometry"] as? [String: Any])?["coordinates"] as? [Double], [112.55, 37.87])
        XCTAssertEqual(features[0]["properties"] as? [String: String], ["warehouse": "wh-a", "name": "Depot \"A\" <main>"])
        XCTAssertTrue(features[1]["geometry"] is NSNull)
        XCTAssertTrue(features[2]["geometry"] is NSNull, "a latitude past 90 is no place")
    }

    func testPropertiesAreTypedByFieldName() throws {
        let rows: [Fields] = [["incident": "2026", "severity": "4", "affected": "12000", "unmet": "", "exercise": "yes",
                               "at": "37.86,113.58"]]
        let text = GeoJSON.featureCollection(rows)
        XCTAssertTrue(text.contains(#""properties":{"incident":"2026","severity":4,"affected":12000,"unmet":null,"exercise":true}"#), text)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let properties = try XCTUnwrap((object["features"] as? [[String: Any]])?.first?["properties"] as? [String: Any])
        XCTAssertEqual((properties["severity"] as? NSNumber)?.int64Value, 4)
        XCTAssertEqual(properties["incident"] as? String, "2026")
    }
}
