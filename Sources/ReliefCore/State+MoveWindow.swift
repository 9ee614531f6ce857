import HashTreeCollections

/// What a lot's moves that left memory added up to. The moves themselves are in the store's
/// stock_moves table; these sums keep the lot's account (Lineage.swift) and the check that moves
/// account for holdings (State+Invariants.swift) whole without them.
public struct EarlierMoves: Sendable, Equatable {
    /// How many of the lot's moves are out of memory.
    public var count = 0
    /// Their signed total (on-hand change) and, as the lineage counts them: units received,
    /// units issued (positive), and the signed total of adjustments.
    public var net: Int128 = 0
    public var received: Int128 = 0
    public var issued: Int128 = 0
    public var adjusted: Int128 = 0
    /// Warehouses they moved the lot in, sorted.
    public var warehouses: [String] = []

    public init() {}

    mutating func add(_ move: StockMove) {
        count += 1
        net += Int128(move.delta)
        switch move.kind {
        case .received: received += Int128(move.delta)
        case .issued: issued -= Int128(move.delta)
        case .adjusted: adjusted += Int128(move.delta)
        case .transferOut, .transferIn, .dispatched, .returned: break
        }
        if !warehouses.contains(move.warehouse) {
            warehouses.append(move.warehouse)
            warehouses.sort()
        }
    }
}

/// The bound on the stock-move history held in memory. Every receipt, issue, transfer, count and
/// dispatch adds a move; without a bound the daemon's memory and each snapshot grow with the
/// journal. The newest `moveWindow` moves stay (what `stock history` shows most), older ones are
/// read from the store when asked for, and per lot what they added up to stays here.
extension State {
    /// 100,000 moves: about 40 MB with their indexes; a province's busiest weeks.
    public static let defaultMoveWindow = 100_000
    /// A bound on move counts read from a snapshot (2^40), so sums of them cannot trap.
    static let maximumMoveCount = 1 << 40

    /// Keeps at most `window` moves in memory from now on (at least one chunk; `Int.max` keeps
    /// them all), by the rule appends follow: once a chunk more than the window is held, the
    /// oldest go down to the window. A state loaded and then bounded is the state that ran
    /// bounded all along.
    public mutating func boundMoveHistory(to window: Int) {
        moveWindow = min(max(window, ChunkedList<StockMove>.chunkSize), State.maximumMoveCount)
        if moves.count >= moveWindow + ChunkedList<StockMove>.chunkSize { trimMoves(keeping: moveWindow) }
    }

    /// The seq of the oldest move in memory (nil when none is).
    public var oldestMoveSeqInMemory: Int64? { moves.first?.seq }

    /// Whether the store holds moves of `lot` older than those in memory.
    public func hasEarlierMoves(lot: String) -> Bool { earlierMoves[lot] != nil }

    /// Whether the store holds moves of `warehouse` older than those in memory.
    public func hasEarlierMoves(warehouse: String) -> Bool { earlierMovesByWarehouse[warehouse] != nil }

    /// Drops the oldest moves until `count` remain, folding each into its lot's `EarlierMoves`.
    mutating func trimMoves(keeping count: Int) {
        let drop = moves.count - count
        guard drop > 0 else { return }
        var byLot: [String: Int] = [:], byWarehouse: [String: Int] = [:]
        for position in 0..<drop {
            let move = moves[position]
            earlierMoves[move.lot, default: EarlierMoves()].add(move)
            byLot[move.lot, default: 0] += 1
            byWarehouse[move.warehouse, default: 0] += 1
        }
        for (lot, dropped) in byLot {
            if movesByLot[lot]?.count == dropped {
                movesByLot[lot] = nil
            } else {
                movesByLot[lot]?.removeFirst(dropped)
            }
        }
        for (warehouse, dropped) in byWarehouse {
            earlierMovesByWarehouse[warehouse, default: 0] += dropped
            if movesByWarehouse[warehouse]?.count == dropped {
                movesByWarehouse[warehouse] = nil
            } else {
                movesByWarehouse[warehouse]?.removeFirst(dropped)
            }
        }
        moves.removeFirst(drop)
        movesBefore += drop
    }
}

/// A read of stock moves older than those in memory, from the store's stock_moves table.
public struct MoveQuery: Sendable, Equatable {
    public var lot: String?
    public var warehouse: String?
    public var sku: String?
    /// Only moves of entries before this seq (the oldest move in memory).
    public var before: Int64
    /// The newest so many of them; they come back oldest first.
    public var newest: Int

    /// The most one request reads (all its reads together, ~50 MB of moves): a lot moved more
    /// often than that is traced from its totals.
    public static let maximumRows = 200_000

    public init(lot: String? = nil, warehouse: String? = nil, sku: String? = nil, before: Int64, newest: Int) {
        self.lot = lot; self.warehouse = warehouse; self.sku = sku; self.before = before
        self.newest = min(max(newest, 0), MoveQuery.maximumRows)
    }

    /// The SQL both stores run (`$1`… placeholders; SQLite reads them as numbered parameters):
    /// only the filters given, so each read uses the (lot, seq) or (warehouse, seq) index.
    public var sql: (text: String, parameters: [String]) {
        var conditions = ["seq < $1"], parameters = [String(before)]
        for (column, value) in [("lot", lot), ("warehouse", warehouse), ("sku", sku)] {
            guard let value else { continue }
            parameters.append(value)
            conditions.append("\(column) = $\(parameters.count)")
        }
        let text = "SELECT seq, time, actor, kind, warehouse, lot, sku, delta, counterpart, reason, note FROM stock_moves WHERE "
            + conditions.joined(separator: " AND ") + " ORDER BY seq DESC, n DESC LIMIT \(newest)"
        return (text, parameters)
    }

    /// A row of that SELECT as a move (nil for a row the store should not hold).
    public static func move(_ column: (Int) -> String?) -> StockMove? {
        guard let seq = column(0).flatMap({ Int64($0) }), let time = column(1).flatMap({ Int64($0) }),
              let kind = column(3).flatMap(StockMove.Kind.init(rawValue:)), let delta = column(7).flatMap({ Int64($0) }) else { return nil }
        return StockMove(seq: seq, time: Timestamp(milliseconds: time), actor: column(2) ?? "", kind: kind, warehouse: column(4) ?? "",
                         lot: column(5) ?? "", sku: column(6) ?? "", delta: delta, counterpart: column(8), reason: column(9), note: column(10))
    }
}
