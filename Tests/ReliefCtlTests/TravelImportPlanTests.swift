import XCTest
@testable import reliefctl
import ReliefCSV

/// `reliefctl import travel`: from,to,minutes[,both] records become `travel set` rows.
final class TravelImportPlanTests: XCTestCase {
    private func records(_ text: String) throws -> [CSV.Record] { try CSV.parse(Array(text.utf8)) }

    func testRowsBothAndHashtags() throws {
        let (rows, _) = try ImportPlan.rows(kind: .travel, records: records("""
            from,to,minutes,both
            #loc+from,#loc+to,#indicator+minutes,
            ty-01,shanxi/yangquan,95,yes
            shanxi/lvliang/lishi,shanxi/lvliang/fangshan,180,
            jc-01, shanxi/lvliang/fangshan ,60,no

            """))
        XCTAssertEqual(rows.map(\.requestLine), [
            "travel set ty-01 shanxi/yangquan 95 both line=3",
            "travel set shanxi/lvliang/lishi shanxi/lvliang/fangshan 180 line=4",
            "travel set jc-01 shanxi/lvliang/fangshan 60 line=5",
        ])
        // Columns in any order, both optional.
        let (plain, _) = try ImportPlan.rows(kind: .travel, records: records("minutes,to,from\n30,b,a\n"))
        XCTAssertEqual(plain.map(\.requestLine), ["travel set a b 30 line=2"])
    }

    func testBadRecordsAndHeaders() throws {
        XCTAssertThrowsError(try ImportPlan.rows(kind: .travel, records: records("from,to,minutes,both\na,b,,\nc,d,5,maybe\ne,f,5,yes\n"))) { error in
            let failures = (error as? ImportPlan.RecordErrors)?.failures ?? []
            XCTAssertEqual(failures.map(\.line), [2, 3], "\(error)")
            let text = failures.map(\.description).joined(separator: "; ")
            XCTAssertEqual(text, #"line 2: empty minutes; line 3: bad both "maybe"; expected yes or no (or empty)"#)
        }
        XCTAssertThrowsError(try ImportPlan.rows(kind: .travel, records: records("from,to\na,b\n"))) { error in
            XCTAssertEqual("\(error)", "no minutes column in the header (line 1)")
        }
        XCTAssertThrowsError(try ImportPlan.rows(kind: .travel, records: records("from,to,minutes,speed\na,b,1,2\n"))) { error in
            XCTAssertTrue("\(error)".contains("unknown column \"speed\""), "\(error)")
        }
    }
}
