import ReliefServer
import XCTest

/// ServerSettings.resolve: the one value both stores and `reliefd drill run` start from.
final class ServerSettingsTests: XCTestCase {
    func testPlanningStandardsAreReadAndAnAbsentFileIsOnlyAWarning() throws {
        var configuration = Configuration()
        try configuration.set("planning_file", "/etc/standards")
        let read = try ServerSettings.resolve(configuration) { path in
            path == "/etc/standards" ? "water amount=15 unit=L per=person-day item=water-5l content=5 priority=1\n" : nil
        }
        XCTAssertEqual(read.planningStandards?.standards.map(\.name), ["water"])
        XCTAssertEqual(read.warnings, [])

        let absent = try ServerSettings.resolve(configuration) { _ in nil }
        XCTAssertNil(absent.planningStandards)
        XCTAssertEqual(absent.warnings.map(\.metadata), [["planning_file": "/etc/standards"]])

        try configuration.set("planning_file", "off")
        let off = try ServerSettings.resolve(configuration) { _ in XCTFail("planning_file off reads nothing"); return nil }
        XCTAssertNil(off.planningStandards)
        XCTAssertEqual(off.warnings, [])
    }

    func testUnusableSettingsAreProblemsNamingWhatWasWrong() throws {
        var configuration = Configuration()
        try configuration.set("planning_file", "p.standards")
        XCTAssertThrowsError(try ServerSettings.resolve(configuration) { _ in "water amount=lots unit=L\n" }) { error in
            XCTAssertTrue("\(error)".hasPrefix("planning standards not loaded: p.standards:1"), "\(error)")
        }
        // Limits that disagree are refused here too, whoever assembled the configuration.
        var limits = Configuration()
        limits.maxOutput = 64 << 10
        limits.outputSoftLimit = 1 << 20
        XCTAssertThrowsError(try ServerSettings.resolve(limits) { _ in nil }) { error in
            XCTAssertTrue("\(error)".contains("output_soft_limit"), "\(error)")
        }
    }

    func testTheMatchingPolicyOfTheMatchingKeys() throws {
        var configuration = Configuration()
        configuration.planningFile = nil
        try configuration.set("matching_urgency_window", "2h")
        let settings = try ServerSettings.resolve(configuration)
        XCTAssertEqual(settings.matchingPolicy.urgencyWindowMilliseconds, 2 * 3_600_000)
    }

    func testTheTimeZoneIsCheckedWhenSetAndResolvedForTheEngine() throws {
        var configuration = Configuration()
        XCTAssertEqual(configuration.timeZone, "UTC", "UTC unless configured")
        XCTAssertEqual(try ServerSettings.resolve(configuration) { _ in nil }.timeZone.identifier, "UTC")
        try configuration.set("time_zone", "Asia/Shanghai")
        let settings = try ServerSettings.resolve(configuration) { _ in nil }
        XCTAssertEqual(settings.timeZone.identifier, "Asia/Shanghai")
        XCTAssertEqual(settings.timeZone.secondsFromUTC(at: .init(milliseconds: 1_796_292_000_000)), 8 * 3600)
        for bad in ["Asia/Shangai", "CST", "utc", "", "+08:00"] {
            XCTAssertThrowsError(try configuration.set("time_zone", bad), bad) { error in
                XCTAssertTrue("\(error)".hasPrefix("bad value \"\(bad)\" for time_zone: not a time zone known here; expected a name of the tz database such as Asia/Shanghai"),
                              "\(error)")
            }
        }
        XCTAssertEqual(configuration.timeZone, "Asia/Shanghai", "a refused value changes nothing")
        var file = Configuration()
        XCTAssertThrowsError(try file.load(fileText: "time_zone = Mars/Olympus\n", name: "r.conf")) { error in
            XCTAssertTrue("\(error)".hasPrefix("r.conf:1: bad value \"Mars/Olympus\" for time_zone"), "\(error)")
        }
    }
}
