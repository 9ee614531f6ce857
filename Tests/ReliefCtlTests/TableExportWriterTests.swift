import XCTest
@testable import reliefctl
import ReliefCSV
import ReliefLimits

/// What `reliefctl export KIND` writes from a listing's rows (TableExport), and `--format csv`'s
/// formula rule (Output.csv).
final class TableExportWriterTests: XCTestCase {
    private func csv(_ lines: [String], _ table: HXL.Table, partBytes: Int = 1 << 20) -> (text: String, parts: Int) {
        var bytes: [UInt8] = []
        var parts = 0
        TableExport.write(lines, table: table, partBytes: partBytes) { bytes += $0; parts += 1 }
        return (String(decoding: bytes, as: UTF8.self), parts)
    }

    func testAHeaderAnHXLRowAndNeutralisedCellsNumbersKept() {
        let lines = [
            #"warehouse=wh-a lot=L-1 item=water on_hand=100 reserved=0 unit=bottle expires=2027-06-30 days_left=200 source=donation party="=HYPERLINK(\"http://evil\",\"x\")""#,
            #"warehouse=wh-b lot=L-2 item=water on_hand=5 reserved=0 unit=bottle expires= source=purchase party=@corp distance_km=-1"#,
        ]
        let written = csv(lines, .stock)
        XCTAssertEqual(written.text, """
            warehouse,lot,item,on_hand,reserved,unit,expires,days_left,source,party,distance_km\r
            #loc+code+warehouse,#item+code+lot,#item+code,#indicator+num+on_hand,#indicator+num+reserved,#item+unit,#date+expires,#indicator+num+days_left,#item+source,#org+name,#indicator+num+distance_km\r
            wh-a,L-1,water,100,0,bottle,2027-06-30,200,donation,"'=HYPERLINK(""http://evil"",""x"")",\r
            wh-b,L-2,water,5,0,bottle,,,purchase,'@corp,-1\r

            """)
        XCTAssertEqual(written.parts, 1)
        // It reads back as an import of stock: the quote comes off, the live columns are skipped.
        let rows = try? ImportPlan.rows(kind: .stock, records: CSV.parse(written.text)).rows.map(\.requestLine)
        XCTAssertEqual(rows, [
            #"stock receive wh-a water 100 lot=L-1 expires=2027-06-30 unit=bottle source=donation donor="=HYPERLINK(\"http://evil\",\"x\")" line=3"#,
            "stock receive wh-b water 5 lot=L-2 unit=bottle source=purchase supplier=@corp line=4",
        ])
    }

    func testLargeExportsAreWrittenInPartsThatMakeTheSameFile() {
        let lines = (1...500).map { "incident=inc-\($0) title=\"Flood \($0)\" at=-33.86,151.2 severity=3 affected=-0" }
        let whole = csv(lines, .incidents)
        let parted = csv(lines, .incidents, partBytes: 1000)
        XCTAssertEqual(parted.text, whole.text)
        XCTAssertGreaterThan(parted.parts, 10)
        XCTAssertTrue(whole.text.hasPrefix("incident,title,at,severity,affected\r\n#event+id,#event+name,#geo+coord,#severity,#affected+num\r\n"))
        XCTAssertTrue(whole.text.contains("\r\ninc-7,Flood 7,\"'-33.86,151.2\",3,-0\r\n"), "at is text: neutralised; affected a number: kept")
        XCTAssertEqual(csv([], .incidents).text, "", "no rows, no file content")
    }

    func testTheRequestAsksForEveryRowTheListingGives() {
        XCTAssertEqual(TableExport.request(.needs, filters: ["incident=inc-1"], flags: ["open"], personal: false),
                       "need list incident=inc-1 open limit=\(Limits.listingRows)")
        XCTAssertEqual(TableExport.request(.volunteers, filters: [], flags: [], personal: true), "volunteer export limit=\(Limits.rosterRows) personal")
        XCTAssertEqual(TableExport.request(.lots, filters: ["limit=10"], flags: [], personal: false), "stock lots limit=10")
        XCTAssertEqual(ExportKind(argument: "Allocations"), .allocations)
        XCTAssertNil(ExportKind(argument: "widgets"))
        XCTAssertEqual(ImportKind(argument: "STOCK"), .stock)
    }

    func testFormatCSVNeutralisesFormulasToo() {
        let rendered = Output.render(.rows([#"lot=L-1 delta=-5 at=-33.7,151.2 note="=1+1" actor=-x"#]), as: .csv)
        XCTAssertEqual(rendered.out, "lot,delta,at,note,actor\r\nL-1,-5,\"'-33.7,151.2\",'=1+1,'-x\r\n")
    }
}
