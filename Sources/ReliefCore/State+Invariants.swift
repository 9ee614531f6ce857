extension State {
    /// Every broken invariant, as a sentence; empty when the state is sound. Checked by the property
    /// tests after every step and by the daemon after loading a snapshot.
    public func invariantViolations() -> [String] {
        var problems: [String] = []
        for (warehouse, skus) in stock {
            if warehouses[warehouse] == nil { problems.append("stock held in unknown warehouse \(warehouse)") }
            for (sku, skuStock) in skus {
                var onHand: Int64 = 0, reserved: Int64 = 0
                for (code, holding) in skuStock.lots {
                    if holding.onHand < 0 { problems.append("\(warehouse)/\(code) on hand \(holding.onHand) < 0") }
                    if holding.reserved < 0 || holding.reserved > holding.onHand {
                        problems.append("\(warehouse)/\(code) reserved \(holding.reserved) outside 0...\(holding.onHand)")
                    }
                    if lots[code]?.sku != sku { problems.append("\(warehouse)/\(code) filed under \(sku) but lot is \(lots[code]?.sku ?? "unknown")") }
                    onHand += holding.onHand
                    reserved += holding.reserved
                }
                if onHand != skuStock.onHand { problems.append("\(warehouse)/\(sku) on hand \(skuStock.onHand) != sum of lots \(onHand)") }
                if reserved != skuStock.reserved { problems.append("\(warehouse)/\(sku) reserved \(skuStock.reserved) != sum of lots \(reserved)") }
            }
        }
        // The movement log accounts for every unit on hand.
        var fromMoves: [String: Int64] = [:]
        for move in moves { fromMoves[move.warehouse + "\u{0}" + move.lot, default: 0] += move.delta }
        for (key, total) in fromMoves {
            let parts = key.split(separator: "\u{0}", maxSplits: 1).map(String.init)
            let held = holding(warehouse: parts[0], lot: parts[1])?.onHand ?? 0
            if held != total { problems.append("\(parts[0])/\(parts[1]) holds \(held) but its moves add up to \(total)") }
        }
        return problems
    }
}
