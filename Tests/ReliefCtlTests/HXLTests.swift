import XCTest
@testable import reliefctl
import ReliefCSV

/// HXL hashtags (ReliefCSV/HXL.swift): parsing, matching as HXL tag patterns, columns of an import
/// found by hashtag; and the spreadsheet-formula rule of exports (CSV.neutralised).
final class HXLTests: XCTestCase {
    private func tag(_ text: String) throws -> HXL.Tag { try XCTUnwrap(HXL.Tag(text), text) }

    func testTagsParseCaseAndSpacesAsideAndRefuseWhatIsNotATag() throws {
        XCTAssertEqual(try tag("#item +code").description, "#item+code")
        XCTAssertEqual(try tag(" #Item+Code+LOT ").description, "#item+code+lot")
        XCTAssertEqual(try tag("#adm1+code").attributes, ["code"])
        for bad in ["item", "#", "#1x", "#a+", "#a++b", "#a b", "#a+b c", "#a-b", "#a+b#c", "x#a", "#a+é"] {
            XCTAssertNil(HXL.Tag(bad), bad)
        }
    }

    func testAColumnIsMatchedWithAttributesInAnyOrderAndMoreAllowed() throws {
        func name(_ text: String, _ table: HXL.Table = .stock) throws -> String? {
            if case .one(let column) = HXL.match(try tag(text), among: table.columns) { return column.name }
            return nil
        }
        XCTAssertEqual(try name("#item+code"), "item")
        XCTAssertEqual(try name("#item+lot+code"), "lot", "the most specific pattern wins")
        XCTAssertEqual(try name("#loc+warehouse+code"), "warehouse")
        XCTAssertEqual(try name("#loc +code +warehouse +main"), "warehouse", "a further attribute is allowed")
        XCTAssertEqual(try name("#org+supplier+name+local"), "supplier")
        XCTAssertEqual(try name("#org+name"), "party")
        XCTAssertEqual(try name("#indicator+on_hand+num"), "on_hand")
        XCTAssertNil(try name("#date"), "a pattern's attributes must all be there")
        XCTAssertNil(try name("#item+name"))
        XCTAssertEqual(HXL.match(try tag("#org+name+donor+supplier"), among: HXL.Table.stock.columns),
                       .ambiguous(HXL.Table.stock.columns.filter { ["donor", "supplier", "party"].contains($0.name) }))
        XCTAssertEqual(try name("#geo+lat", .volunteers), "lat")
        XCTAssertEqual(try name("#contact+id", .assignments), "volunteer")
    }

    /// Each table's own tags find their own column, so an export's hashtag row reads back.
    func testEveryTableFindsEachOfItsColumnsByItsOwnTag() {
        for table in HXL.Table.allCases {
            XCTAssertEqual(Set(table.columns.map(\.name)).count, table.columns.count, "\(table): a name twice")
            for column in table.columns {
                XCTAssertEqual(HXL.match(column.tag, among: table.columns), .one(column), "\(table).\(column.name) \(column.tag)")
            }
        }
        for kind in ImportPlan.Kind.allCases {
            for column in kind.table.columns {
                XCTAssertTrue(kind.columns.contains(column.name) || kind.skipped.contains(column.name),
                              "\(kind): \(column.name) is neither imported nor skipped")
            }
            for name in kind.columns { XCTAssertNotNil(kind.table.column(named: name), "\(kind): \(name) has no hashtag") }
        }
    }

    /// docs/operations.md ("HXL hashtags") lists every table's columns with their tags.
    func testTheOperationsGuideListsEveryTag() throws {
        var root = #filePath
        for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
        let guide = try String(contentsOfFile: root + "/docs/operations.md", encoding: .utf8)
        for table in HXL.Table.allCases {
            for column in table.columns {
                XCTAssertTrue(guide.contains("\(column.name) `\(column.tag)`\(column.numeric ? " *n*" : "")")
                              || guide.contains("\(column.name) (quantity) `\(column.tag)`\(column.numeric ? " *n*" : "")"),
                              "\(table).\(column.name) \(column.tag) is not in docs/operations.md")
            }
        }
    }

    // MARK: import by hashtag

    private func plan(_ kind: ImportPlan.Kind, _ text: String) throws -> [String] {
        try ImportPlan.rows(kind: kind, records: CSV.parse(text)).rows.map(\.requestLine)
    }

    func testColumnsAreFoundByHashtagWhateverTheHeaderSays() throws {
        // A warehouse's sheet in Chinese, its columns in another order, attributes shuffled.
        let rows = try plan(.stock, """
            物品,数量,仓库,批号,有效期,单位,捐赠方
            #item+code,#indicator+num+on_hand,#loc+warehouse+code,#item+lot+code,#date+expires,#item+unit,#org+donor+name
            water,120,wh-a,L-7,2027-06-30,bottle,"Red Cross, Taiyuan"
            """)
        XCTAssertEqual(rows, ["stock receive wh-a water 120 lot=L-7 expires=2027-06-30 unit=bottle donor=\"Red Cross, Taiyuan\" line=3"])
    }

    func testAHashtagOutranksTheHeaderNameAndAnUnknownOneFallsBackToIt() throws {
        // The header names are swapped; the hashtags say which is which.
        XCTAssertEqual(try plan(.volunteers, "id,phone,name\n#contact+id,#contact+name,#contact+phone\nv-1,Wang,138\n"),
                       ["volunteer add v-1 name=Wang phone=138 line=3"])
        // Someone else's tags (#meta+id, #adm1+code) and untagged columns are found by their names.
        XCTAssertEqual(try plan(.volunteers, "id,region,max_hours\n#meta+id,#adm1+code,\nv-1,sx,12\n"),
                       ["volunteer add v-1 region=sx max_hours=12 line=3"])
        // A hashtag row alone, no names above it.
        XCTAssertEqual(try plan(.travel, "#loc+to,#loc+from,#indicator+minutes\nb,a,30\n"), ["travel set a b 30 line=2"])
    }

    func testUnknownAmbiguousAndDuplicateHashtagsAreHeaderErrors() {
        func headerError(_ kind: ImportPlan.Kind, _ text: String) -> String? {
            do {
                _ = try plan(kind, text)
                return nil
            } catch {
                return (error as? ImportPlan.HeaderError)?.description
            }
        }
        XCTAssertEqual(headerError(.stock, "仓库,物品,数量,颜色\n#loc+code+warehouse,#item+code,#indicator+num+on_hand,#meta+colour\n"),
                       "unknown column \"颜色\" (#meta+colour) in the header (line 1); expected columns among: "
                       + ImportPlan.Kind.stock.columns.joined(separator: ", ") + ", or their HXL hashtags (docs/operations.md, \"HXL hashtags\")")
        XCTAssertEqual(headerError(.stock, "warehouse,item,qty,who\n,,,#org+name+donor+supplier\n"),
                       "the hashtag #org+name+donor+supplier of column 4 matches party (#org+name), donor (#org+name+donor), supplier (#org+name+supplier) (line 2); add an attribute that tells them apart")
        XCTAssertEqual(headerError(.stock, "a,b,c,d\n#loc+code+warehouse,#item+code,#indicator+num+on_hand,#item+code+sku\n"),
                       "column \"item\" appears twice in the header (line 1)")
        XCTAssertEqual(headerError(.travel, "from,to,minutes\n#loc+from,#loc+to,#indicator+minutes,#meta+x\n"),
                       "the hashtag row (line 2) has 4 cells, the header 3; expected a hashtag under each column")
    }

    // MARK: formula cells

    func testFormulaCellsAreNeutralisedButNumbersInNumericColumnsAreNot() {
        XCTAssertEqual(CSV.neutralised("=HYPERLINK(\"http://x\",\"click\")", numeric: false), "'=HYPERLINK(\"http://x\",\"click\")")
        XCTAssertEqual(CSV.neutralised("=1+1", numeric: true), "'=1+1", "a formula is no number")
        XCTAssertEqual(CSV.neutralised("+8613800000001", numeric: false), "'+8613800000001", "a phone stays text")
        XCTAssertEqual(CSV.neutralised("@SUM(A1)", numeric: false), "'@SUM(A1)")
        XCTAssertEqual(CSV.neutralised("\t=cmd", numeric: false), "'\t=cmd")
        XCTAssertEqual(CSV.neutralised("\r=cmd", numeric: false), "'\r=cmd")
        XCTAssertEqual(CSV.neutralised("-x-", numeric: false), "'-x-")
        XCTAssertEqual(CSV.neutralised("-5", numeric: false), "'-5", "in a text column a number is text")
        for number in ["-5", "-33.7", "+12", "-112.55", "-1e3", "-0.5E-2"] {
            XCTAssertEqual(CSV.neutralised(number, numeric: true), number)
        }
        for notANumber in ["-", "-.", "-inf", "-nan", "-0x10", "-1e", "-1.2.3", "-5 ", "+"] {
            XCTAssertEqual(CSV.neutralised(notANumber, numeric: true), "'" + notANumber)
        }
        for plain in ["Wang Li", "", "12", "'Twas", "a=b", " =x", "#item+code"] {
            XCTAssertEqual(CSV.neutralised(plain, numeric: false), plain)
        }
        // A value that starts with quotes before a formula gets one more, so import can tell.
        XCTAssertEqual(CSV.neutralised("'=x", numeric: false), "''=x")
        XCTAssertEqual(CSV.exportRecord(["-33.7", "=cmd", "-33.7"], numeric: [true, false]), "-33.7,'=cmd,'-33.7\r\n")
    }

    func testAnImportTakesOffTheQuoteAnExportAdded() throws {
        let values = ["=HYPERLINK(\"x\")", "+86138", "-5", "@a", "\t=cmd", "'=x", "''-1", "'Twas", "O'Brien", "plain", "", "'"]
        for value in values {
            for numeric in [false, true] {
                XCTAssertEqual(CSV.unneutralised(CSV.neutralised(value, numeric: numeric)), value, "\(value) numeric: \(numeric)")
            }
        }
        XCTAssertEqual(CSV.unneutralised("'Twas"), "'Twas", "a quote before no formula is the value's own")
        XCTAssertEqual(try plan(.stock, "warehouse,item,quantity,note\nwh-a,water,5,\"'=HYPERLINK(\"\"x\"\")\"\n"),
                       ["stock receive wh-a water 5 note=\"=HYPERLINK(\\\"x\\\")\" line=2"])
    }

    // MARK: stock

    func testAWarehouseSpreadsheetBecomesReceiveAndMinRows() throws {
        let rows = try plan(.stock, """
            warehouse,item,quantity,unit,lot,expires,source,party,note,min,reserved,available
            wh-a,water,100,bottle,L-1,2027-06-30,purchase,Wahaha,first count,20,5,95
            wh-a,rice,0,,,,,,,5,,
            wh-b,water,40,,L-1,,donation,Red Cross,,,,
            wh-b,tents,0,,,,,,,,,
            wh-b,tents,3,,,,,,,,,
            """)
        XCTAssertEqual(rows, [
            "stock receive wh-a water 100 lot=L-1 expires=2027-06-30 unit=bottle source=purchase supplier=Wahaha note=\"first count\" line=2",
            "stock min wh-a water 20 line=2",
            "stock min wh-a rice 5 line=3",
            "stock receive wh-b water 40 lot=L-1 source=donation donor=\"Red Cross\" line=4",
            "stock receive wh-b tents 3 line=6",
        ])
        let (_, plan) = try ImportPlan.rows(kind: .stock, records: CSV.parse("warehouse,item,on_hand,reserved,available,unit,min\n"))
        XCTAssertEqual(plan.skippedColumns, ["reserved", "available"])
    }

    func testEveryBadStockRecordIsReportedWithItsLine() {
        XCTAssertThrowsError(try plan(.stock, "warehouse,item,quantity\nwh-a,water,5\n,water,5\nwh-a,,5\nwh-a,water\nwh-a,water,\n")) { error in
            XCTAssertEqual((error as? ImportPlan.RecordErrors)?.failures.map(\.description), [
                "line 3: empty warehouse",
                "line 4: empty item",
                "line 5: 2 fields, expected 3 as in the header",
                "line 6: empty quantity (on_hand)",
            ])
        }
        XCTAssertThrowsError(try plan(.stock, "warehouse,item\n")) {
            XCTAssertEqual(($0 as? ImportPlan.HeaderError)?.description, "no on_hand column in the header (line 1)")
        }
        XCTAssertThrowsError(try plan(.stock, "warehouse,item,qty,party,donor\n")) {
            XCTAssertEqual(($0 as? ImportPlan.HeaderError)?.description, "give either a party column or donor and supplier columns, not both")
        }
    }
}
