import XCTest
@testable import reliefctl

final class ImportPlanTests: XCTestCase {
    private func plan(_ kind: ImportPlan.Kind, _ text: String) throws -> [String] {
        try ImportPlan(kind: kind, records: CSV.parse(text)).rows.map(\.requestLine)
    }

    func testVolunteerColumnsBecomeOptionsAndCertificationRows() throws {
        let rows = try plan(.volunteers, """
            id,name,phone,region,lat,lon,skills,cert_skill,cert_issued,cert_expires,cert_issuer
            #meta+id,#contact+name,#contact+phone,,#geo+lat,#geo+lon,,,,,
            v-1,"Wang, Li",138,sx,37.87,112.55,"first-aid:3,driver-c1:2",first-aid,2025-01-01,2027-01-01,Red Cross
            v-2,Zhao,,sx,37.7,112.7,,,,,
            v-1,,,,,,,driver-c1,2024-01-01,2029-01-01,Police
            """)
        XCTAssertEqual(rows, [
            "volunteer add v-1 name=\"Wang, Li\" phone=138 region=sx at=37.87,112.55 skills=first-aid:3,driver-c1:2 line=3",
            "volunteer certify v-1 first-aid issued=2025-01-01 expires=2027-01-01 issuer=\"Red Cross\" line=3",
            "volunteer add v-2 name=Zhao region=sx at=37.7,112.7 line=4",
            "volunteer certify v-1 driver-c1 issued=2024-01-01 expires=2029-01-01 issuer=Police line=5",
        ])
    }

    func testTeamMembersBecomeRowsWithoutTheLeader() throws {
        XCTAssertEqual(try plan(.teams, "id,name,specialty,region,at,leader,members\nt-1,SAR 1,sar,sx,\"37.8,112.5\",v-1,v-1; v-2;v-3\n"), [
            "team add t-1 name=\"SAR 1\" specialty=sar region=sx at=37.8,112.5 leader=v-1 line=2",
            "team member add t-1 v-2 line=2",
            "team member add t-1 v-3 line=2",
        ])
    }

    func testUnknownColumnsAreAHeaderError() {
        XCTAssertThrowsError(try plan(.volunteers, "id,name,colour,Shoe size\n")) { error in
            XCTAssertEqual((error as? ImportPlan.HeaderError)?.description,
                           "unknown columns \"colour\", \"shoe size\" in the header (line 1); expected columns among: "
                           + ImportPlan.Kind.volunteers.columns.joined(separator: ", "))
        }
        XCTAssertThrowsError(try plan(.teams, "id,name,lat\n")) { XCTAssertTrue($0 is ImportPlan.HeaderError) }
        XCTAssertThrowsError(try plan(.teams, "")) { XCTAssertTrue($0 is ImportPlan.HeaderError) }
    }

    func testEveryBadRecordIsReportedWithItsLine() {
        XCTAssertThrowsError(try plan(.volunteers, "id,name,lat,lon\nv-1,A,1\nv-2,\"B\nC\",1,2\n,D,1,2\nv-4,E,1,\n")) { error in
            XCTAssertEqual((error as? ImportPlan.RecordErrors)?.failures.map(\.description), [
                "line 2: 3 fields, expected 4 as in the header",
                "line 5: empty id",
                "line 6: lat and lon must both be given or both be empty",
            ])
        }
    }

    func testReportSplitsTheDaemonsRefusalIntoLines() {
        XCTAssertEqual(ImportReport.lines("import refused, nothing imported: 3 bad rows of 10: line 4: NOTFOUND skill x; y not found; line 5: CONFLICT v-1 exists; line 12: SYNTAX z; and 1 more"), [
            "import refused, nothing imported: 3 bad rows of 10",
            "line 4: NOTFOUND skill x; y not found",
            "line 5: CONFLICT v-1 exists",
            "line 12: SYNTAX z",
            "and 1 more",
        ])
        XCTAssertEqual(ImportReport.lines("store unavailable"), ["store unavailable"])
    }

    func testRosterCSVWritesWhatImportReadsBack() throws {
        var csv = RosterCSV()
        for line in [
            "region add sx name=Shanxi",
            "volunteer add v-1 name=\"Wang, Li\" region=sx at=37.87,112.55 skills=first-aid:3 org=\"Red Cross\"",
            "volunteer certify v-1 first-aid issued=2025-01-01 expires=2027-01-01 issuer=\"Red Cross\"",
            "volunteer certify v-1 driver-c1 issued=2024-01-01 expires=2029-01-01 issuer=Police",
            "volunteer add v-2 name=Zhao region=sx at=37.7,112.7",
            "team add t-1 name=T specialty=sar region=sx at=37.8,112.5",
        ] { csv.add(line) }
        csv.flush()
        XCTAssertEqual(csv.volunteers, 2)
        XCTAssertEqual(try plan(.volunteers, csv.text), [
            "volunteer add v-1 name=\"Wang, Li\" region=sx at=37.87,112.55 skills=first-aid:3 org=\"Red Cross\" line=2",
            "volunteer certify v-1 first-aid issued=2025-01-01 expires=2027-01-01 issuer=\"Red Cross\" line=2",
            "volunteer certify v-1 driver-c1 issued=2024-01-01 expires=2029-01-01 issuer=Police line=3",
            "volunteer add v-2 name=Zhao region=sx at=37.7,112.7 line=4",
        ])
    }
}
