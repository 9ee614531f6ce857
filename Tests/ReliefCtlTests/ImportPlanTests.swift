import XCTest
@testable import reliefctl
import ReliefCSV
import ReliefLimits

final class ImportPlanTests: XCTestCase {
    private func plan(_ kind: ImportPlan.Kind, _ text: String) throws -> [String] {
        try ImportPlan.rows(kind: kind, records: CSV.parse(text)).rows.map(\.requestLine)
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

    /// What `reliefctl export volunteers` writes reads back: certifications become certify rows,
    /// live-state columns are skipped.
    func testAnExportReadsBackAsRegistrationsAndCertifications() throws {
        let text = """
            id,name,region,lat,lon,languages,skills,certifications,max_hours,min_rest,org,status,status_reason,status_until,on_duty_since,team,deployments,hours_total,registered
            v-1,Wang Li,sx,37.87,112.55,"zh,en",first-aid:3,first-aid:2025-01-01:2027-01-01:Red Cross;cpr:2024-02-01:2026-12-31:Health Commission,12,8h,Blue Sky,deployed,,,2026-11-25T10:00:00Z,t-1,2,14h,2026-01-01T00:00:00Z
            v-2,Zhao,sx,37.7,112.7,zh,,,10,8h,,available,,,,,0,0h,2026-01-01T00:00:00Z
            """
        let (rows, plan) = try ImportPlan.rows(kind: .volunteers, records: CSV.parse(text))
        XCTAssertEqual(plan.skippedColumns, ImportPlan.liveStateColumns.filter { $0 != "last_drill" })
        XCTAssertEqual(rows.map(\.requestLine), [
            "volunteer add v-1 name=\"Wang Li\" region=sx at=37.87,112.55 languages=zh,en skills=first-aid:3 max_hours=12 min_rest=8h org=\"Blue Sky\" line=2",
            "volunteer certify v-1 first-aid issued=2025-01-01 expires=2027-01-01 issuer=\"Red Cross\" line=2",
            "volunteer certify v-1 cpr issued=2024-02-01 expires=2026-12-31 issuer=\"Health Commission\" line=2",
            "volunteer add v-2 name=Zhao region=sx at=37.7,112.7 languages=zh max_hours=10 min_rest=8h line=3",
        ])
        XCTAssertThrowsError(try ImportPlan.rows(kind: .volunteers, records: CSV.parse("id,certifications\nv-1,first-aid:2025-01-01\n")))
    }

    /// `volunteer export` ends with last_drill: an export imports back (it was an unknown column).
    func testAnExportsLastDrillColumnIsSkipped() throws {
        let (rows, plan) = try ImportPlan.rows(kind: .volunteers, records: CSV.parse("id,name,region,lat,lon,status,last_drill\nv-1,A,sx,1,2,available,2026-11-01\n"))
        XCTAssertEqual(plan.skippedColumns, ["status", "last_drill"])
        XCTAssertEqual(rows.map(\.requestLine), ["volunteer add v-1 name=A region=sx at=1,2 line=2"])
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

    /// Found by the csv fuzz target: a cell holding `=` was written bare and read by the daemon as
    /// an option (`volunteer add v=1` has no id and an option v); it stays one word.
    func testACellHoldingEqualsStaysAWord() throws {
        XCTAssertEqual(try plan(.volunteers, "id,name,cert_skill\nv=1,name=x,first-aid\n"), [
            #"volunteer add "v=1" name="name=x" line=2"#,
            #"volunteer certify "v=1" first-aid line=2"#,
        ])
        XCTAssertEqual(try plan(.teams, "id,members\nt-1,a=b;c\n"), [
            "team add t-1 line=2", #"team member add t-1 "a=b" line=2"#, "team member add t-1 c line=2",
        ])
        XCTAssertEqual(try plan(.travel, "from,to,minutes\nty-01,limit=5,30\n"), [#"travel set ty-01 "limit=5" 30 line=2"#])
    }

    /// Found by the csv fuzz target: an id is repeated on each of its record's certification and
    /// member rows, so a long id times many of them made a file of a few kilobytes into
    /// megabytes of rows (its size squared). An id longer than any id is refused with its line.
    func testAnIdLongerThanAnyIdIsRefusedWithItsLine() {
        let long = String(repeating: "a", count: Limits.identifierBytes + 1)
        let certifications = Array(repeating: "s:::", count: 100).joined(separator: ";")
        XCTAssertThrowsError(try plan(.volunteers, "id,certifications\nv-1,\n\(long),\"\(certifications)\"\n")) { error in
            XCTAssertEqual((error as? ImportPlan.RecordErrors)?.failures,
                           [CSV.Failure(line: 3, message: "id of \(Limits.identifierBytes + 1) bytes; expected at most \(Limits.identifierBytes)")])
        }
        XCTAssertThrowsError(try plan(.teams, "id,members\n\(long),a;b\n")) { XCTAssertTrue($0 is ImportPlan.RecordErrors) }
        let longest = String(repeating: "a", count: Limits.identifierBytes)
        XCTAssertEqual(try plan(.teams, "id,members\n\(longest),a\n").count, 2)
    }

    /// Found by the csv fuzz target: an option of a `volunteer add` line named like another column
    /// (`id=`, which the daemon refuses) overwrote that column of the roster CSV.
    func testRosterCSVTakesOnlyVolunteerAddOptions() throws {
        var csv = RosterCSV()
        csv.add("volunteer add v-1 name=x id=2 cert_skill=y")
        csv.flush()
        XCTAssertEqual(try plan(.volunteers, csv.text), ["volunteer add v-1 name=x line=2"])
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
