import XCTest
import ReliefCore
import ReliefProtocol
@testable import ReliefEngine

final class CatalogCommandTests: XCTestCase {
    func testUnknownAndEmptyCommands() {
        let engine = Engine.testEngine()
        let message = engine.refused("launch rockets", .syntax)
        XCTAssertTrue(message.contains("\"launch\""), message)
        XCTAssertTrue(message.contains("stock") && message.contains("warehouse"), "lists the nouns: \(message)")
        let verb = engine.refused("stock explode 1", .syntax)
        XCTAssertTrue(verb.contains("\"explode\"") && verb.contains("receive") && verb.contains("transfer"), verb)
        XCTAssertTrue(engine.refused("STOCK", .syntax).contains("nothing"))
        engine.refused("", .syntax)
        engine.refused("   ", .syntax)
        engine.refused("ping \"unterminated", .syntax)
        XCTAssertEqual(engine.ok("PING"), .ok(["": "pong"]), "commands are case-insensitive")
        XCTAssertTrue(engine.refused("ping now", .syntax).contains("\"now\""))
        engine.refused("ping x=1", .syntax)
    }

    func testRegionAdd() {
        let engine = Engine.testEngine()
        XCTAssertEqual(engine.ok("region add shanxi name=Shanxi"), .ok(["region": "shanxi"]))
        engine.ok(#"region add shanxi/taiyuan name="Taiyuan City""#)
        engine.ok("region add shanxi/taiyuan/xiaodian name=Xiaodian")
        XCTAssertEqual(engine.state.regions["shanxi"]?.level, .province, "level follows depth by default")
        XCTAssertEqual(engine.state.regions["shanxi/taiyuan"]?.level, .city)
        XCTAssertEqual(engine.state.regions["shanxi/taiyuan/xiaodian"]?.level, .county)
        engine.ok("region add shanxi/gujiao name=Gujiao level=County")
        XCTAssertEqual(engine.state.regions["shanxi/gujiao"]?.level, .county)

        XCTAssertEqual(engine.refused("region add shanxi name=Again", .conflict), "region shanxi already exists")
        XCTAssertTrue(engine.refused("region add hebei/baoding name=Baoding", .notFound).contains("parent region hebei"))
        XCTAssertTrue(engine.refused("region add shanxi/datong", .syntax).contains("name="))
        XCTAssertTrue(engine.refused("region add shanxi/datong name=Datong level=planet", .syntax).contains("province, city, county"))
        XCTAssertTrue(engine.refused("region add a/b/c/d name=x", .syntax).contains("a/b/c/d"))
        engine.refused("region add shanxi//x name=x", .syntax)
        engine.refused("region add name=x", .syntax)
        engine.refused("region add shanxi/x shanxi/y name=x", .syntax)
        engine.refused(#"region add shanxi/x name="""#, .syntax)
        XCTAssertTrue(engine.refused("region add shanxi/x name=x colour=red", .syntax).contains("colour="))

        let list = engine.rows("region list under=shanxi/taiyuan")
        XCTAssertEqual(list.map { $0["region"] }, ["shanxi/taiyuan", "shanxi/taiyuan/xiaodian"])
        XCTAssertEqual(list[1]["parent"], "shanxi/taiyuan")
        let show = engine.okFields("region show shanxi")
        XCTAssertEqual(show["subregions"], "2")
        engine.refused("region show hebei", .notFound)
    }

    func testWarehouseAdd() {
        let engine = Engine.shanxiFixture()
        XCTAssertEqual(engine.ok("warehouse add sx-prov name=Provincial region=shanxi at=37.80,112.60"), .ok(["warehouse": "sx-prov"]))
        XCTAssertEqual(engine.state.warehouses["sx-prov"]?.location, Coordinate(latitude: 37.8, longitude: 112.6))
        XCTAssertEqual(engine.state.warehouses["sx-prov"]?.createdAt, december1)
        XCTAssertEqual(engine.refused("warehouse add ty-01 name=x region=shanxi at=1,1", .conflict), "warehouse ty-01 already exists")
        XCTAssertTrue(engine.refused("warehouse add x-01 name=x region=hebei at=1,1", .notFound).contains("region hebei"))
        XCTAssertTrue(engine.refused("warehouse add x-01 name=x region=shanxi at=95,1", .syntax).contains("\"95,1\""))
        engine.refused("warehouse add x-01 name=x region=shanxi at=north", .syntax)
        XCTAssertTrue(engine.refused("warehouse add x-01 name=x region=shanxi", .syntax).contains("at="))
        XCTAssertTrue(engine.refused("warehouse add -bad name=x region=shanxi at=1,1", .syntax).contains("\"-bad\""))
        engine.refused("warehouse add \(String(repeating: "w", count: 65)) name=x region=shanxi at=1,1", .syntax)
        engine.refused(#"warehouse add "a b" name=x region=shanxi at=1,1"#, .syntax)
        engine.refused("warehouse add x-01", .syntax)

        let near = engine.rows("warehouse list near=37.70,112.70 radius=150km")
        XCTAssertEqual(near.map { $0["warehouse"] }, ["jz-01", "sx-prov", "ty-01"], "nearest first, Datong out of reach")
        XCTAssertEqual(engine.rows("warehouse list region=shanxi/datong").map { $0["warehouse"] }, ["dt-01"])
        XCTAssertEqual(engine.rows("warehouse list").count, 4)
        engine.refused("warehouse list radius=10km", .syntax)
        engine.refused("warehouse list near=1,1 radius=far", .syntax)
        engine.refused("warehouse list region=hebei", .notFound)
        XCTAssertEqual(engine.okFields("warehouse show ty-01")["name"], "Taiyuan depot")
        engine.refused("warehouse show zz-99", .notFound)
    }

    func testItemAdd() {
        let engine = Engine.testEngine()
        XCTAssertEqual(engine.ok(#"item add water-5l name="Bottled water 5 L" category=water unit=bottle pack=4 shelf_life=365d"#),
                       .ok(["item": "water-5l"]))
        XCTAssertEqual(engine.state.items["water-5l"],
                       Item(sku: "water-5l", name: "Bottled water 5 L", category: "water", unit: "bottle", packSize: 4, shelfLifeDays: 365))
        engine.ok("item add coat name=Coat category=clothing unit=piece shelf_life=26w")
        XCTAssertEqual(engine.state.items["coat"]?.shelfLifeDays, 182)
        engine.ok("item add bed name=Bed category=shelter unit=bed")
        XCTAssertEqual(engine.state.items["bed"]?.packSize, 1)
        XCTAssertNil(engine.state.items["bed"]?.shelfLifeDays)

        XCTAssertEqual(engine.refused("item add bed name=Bed category=shelter unit=bed", .conflict), "item bed already exists")
        XCTAssertTrue(engine.refused("item add x name=x category=c unit=u pack=0", .syntax).contains("\"0\""))
        engine.refused("item add x name=x category=c unit=u pack=-4", .syntax)
        engine.refused("item add x name=x category=c unit=u pack=four", .syntax)
        XCTAssertTrue(engine.refused("item add x name=x category=c unit=u shelf_life=365", .syntax).contains("\"365\""))
        engine.refused("item add x name=x category=c unit=u shelf_life=0d", .syntax)
        engine.refused("item add x name=x category=c unit=u shelf_life=12h", .syntax)
        XCTAssertTrue(engine.refused("item add x name=x unit=u", .syntax).contains("category="))
        engine.refused(#"item add x name=x category="two words" unit=u"#, .syntax)
        engine.refused("item add x name=x category=c unit=\(String(repeating: "u", count: 33))", .syntax)

        let list = engine.rows("item list category=shelter")
        XCTAssertEqual(list.map { $0["item"] }, ["bed"])
        XCTAssertEqual(engine.rows("item list").first?["shelf_life"], "", "no shelf life shows empty")
        XCTAssertEqual(engine.okFields("item show water-5l")["shelf_life"], "365d")
        engine.refused("item show nothing", .notFound)
    }

    func testInfoAndHelp() {
        let engine = Engine.shanxiFixture()
        let info = engine.okFields("info")
        XCTAssertEqual(info["warehouses"], "3")
        XCTAssertEqual(info["items"], "3")
        XCTAssertEqual(info["regions"], "4")
        XCTAssertEqual(info["time"], "2026-12-01T08:00:00Z")
        XCTAssertEqual(info["seq"], String(engine.state.lastSeq))
        let help = engine.rows("help stock")
        XCTAssertTrue(help.contains { $0["command"] == "stock receive" && $0["writes"] == "yes" })
        XCTAssertTrue(help.allSatisfy { $0["command"]!.hasPrefix("stock ") })
        engine.refused("help spaceship", .notFound)
    }
}
