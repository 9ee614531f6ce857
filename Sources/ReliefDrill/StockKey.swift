/// A warehouse and an item: one line of stock.
struct StockKey: Hashable, Comparable {
    var warehouse: String
    var item: String
    static func < (a: StockKey, b: StockKey) -> Bool { (a.warehouse, a.item) < (b.warehouse, b.item) }
}
