import XCTest
@testable import ReliefCore

final class GeoTests: XCTestCase {
    func testCoordinateParsing() {
        let point = Coordinate(parsing: "37.87,112.55")
        XCTAssertEqual(point?.latitude, 37.87)
        XCTAssertEqual(point?.longitude, 112.55)
        XCTAssertEqual(point?.text, "37.87,112.55")
        XCTAssertEqual(Coordinate(parsing: "-90,180"), Coordinate(latitude: -90, longitude: 180))
        for bad in ["", "37.87", "37.87,", ",112.55", "37.87,112.55,1", "91,0", "-90.1,0", "0,180.5", "0,-181",
                    "nan,0", "0,inf", "abc,def", "37.87;112.55", "37.87, 112.55"] {
            XCTAssertNil(Coordinate(parsing: bad), bad)
        }
    }

    func testHaversineDistanceTaiyuanToDatong() {
        let taiyuan = Coordinate(latitude: 37.87, longitude: 112.55)
        let datong = Coordinate(latitude: 40.08, longitude: 113.30)
        let distance = taiyuan.distanceKilometres(to: datong)
        XCTAssertEqual(distance, 253, accuracy: 4)
        XCTAssertEqual(datong.distanceKilometres(to: taiyuan), distance, accuracy: 1e-9, "distance is symmetric")
        XCTAssertEqual(taiyuan.distanceKilometres(to: taiyuan), 0, accuracy: 1e-9)
    }

    func testHaversineKnownDistances() {
        // One degree of latitude is about 111.2 km; antipodes are half the circumference apart.
        XCTAssertEqual(Coordinate(latitude: 0, longitude: 0).distanceKilometres(to: Coordinate(latitude: 1, longitude: 0)), 111.2, accuracy: 0.1)
        XCTAssertEqual(Coordinate(latitude: 0, longitude: 0).distanceKilometres(to: Coordinate(latitude: 0, longitude: 180)),
                       Double.pi * 6371.0088, accuracy: 0.01)
        XCTAssertEqual(Coordinate(latitude: 90, longitude: 0).distanceKilometres(to: Coordinate(latitude: -90, longitude: 0)),
                       Double.pi * 6371.0088, accuracy: 0.01)
    }

    func testRadiusParsing() {
        XCTAssertEqual(parseRadiusKilometres("150km"), 150)
        XCTAssertEqual(parseRadiusKilometres("800m"), 0.8)
        XCTAssertEqual(parseRadiusKilometres("25"), 25)
        for bad in ["", "km", "-5km", "abc", "nankm", "50000km", "5 km"] {
            XCTAssertNil(parseRadiusKilometres(bad), bad)
        }
    }

    func testRegionContainment() {
        XCTAssertTrue(State.region("shanxi/taiyuan", isWithin: "shanxi"))
        XCTAssertTrue(State.region("shanxi", isWithin: "shanxi"))
        XCTAssertFalse(State.region("shanxibei/x", isWithin: "shanxi"), "a prefix that is not a path component does not count")
        XCTAssertFalse(State.region("shanxi", isWithin: "shanxi/taiyuan"))
        XCTAssertEqual(State.parentPath(of: "shanxi/taiyuan/xiaodian"), "shanxi/taiyuan")
        XCTAssertNil(State.parentPath(of: "shanxi"))
    }
}
