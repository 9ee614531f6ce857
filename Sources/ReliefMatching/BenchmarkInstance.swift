/// Generated transportation instances at the sizes of the matching targets, for measuring the
/// solver (`reliefctl solve --generate`) and comparing it with other solvers on the same file.
///
/// Warehouses and needs are scattered uniformly over a plane (a province of 500 × 500 km, a country
/// of 4,000 × 3,000 km). Route cost is the straight-line distance in units of 100 m (at least 1).
/// Stock adds up to about 90% of demand, so some need stays unmet; the unmet penalty per unit is
/// 1,000,000 × (6 − priority) for priorities 1 (highest) to 5, far above any route cost, so every
/// unit that can be delivered is, the most urgent needs first. Deterministic for a seed.
public enum BenchmarkInstance: String, Sendable, CaseIterable {
    /// 150 warehouses × 1,000 needs, every warehouse connected to every need (150,000 routes).
    case province
    /// 3,000 warehouses × 10,000 needs, each need connected to its 50–100 nearest warehouses
    /// (about 750,000 routes).
    case country

    public var warehouses: Int { self == .province ? 150 : 3_000 }
    public var needs: Int { self == .province ? 1_000 : 10_000 }

    public func transportation(seed: UInt64) -> TransportationProblem {
        var random = InstanceRandom(seed: seed)
        let (width, height): (Double, Double) = self == .province ? (500, 500) : (4_000, 3_000)
        var warehouseX: [Double] = []
        var warehouseY: [Double] = []
        for _ in 0..<warehouses {
            warehouseX.append(random.unit() * width)
            warehouseY.append(random.unit() * height)
        }
        var needX: [Double] = []
        var needY: [Double] = []
        var demand: [Int64] = []
        var penalty: [Int64] = []
        for _ in 0..<needs {
            needX.append(random.unit() * width)
            needY.append(random.unit() * height)
            demand.append(10 + Int64(random.below(991)))
            penalty.append(1_000_000 * (5 - Int64(random.below(5))))
        }
        // Stock: random shares of 90% of the total demand.
        let totalDemand = demand.reduce(0, +)
        let shares = (0..<warehouses).map { _ in 1 + random.below(1_000) }
        let totalShares = shares.reduce(0, +)
        let stock = shares.map { Int64(Double(totalDemand) * 0.9 * Double($0) / Double(totalShares)) }

        var problem = TransportationProblem(stock: stock, demand: demand, unmetPenalty: penalty)
        func cost(_ warehouse: Int, _ need: Int) -> Int64 {
            let dx = warehouseX[warehouse] - needX[need]
            let dy = warehouseY[warehouse] - needY[need]
            return 1 + Int64((dx * dx + dy * dy).squareRoot() * 10)
        }
        switch self {
        case .province:
            problem.reserveCapacity(routes: warehouses * needs)
            for need in 0..<needs {
                for warehouse in 0..<warehouses {
                    problem.addRoute(from: warehouse, to: need, cost: cost(warehouse, need))
                }
            }
        case .country:
            problem.reserveCapacity(routes: needs * 76)
            var distance = [Double](repeating: 0, count: warehouses)
            var scratch = [Double](repeating: 0, count: warehouses)
            for need in 0..<needs {
                let wanted = 50 + Int(random.below(51))
                for warehouse in 0..<warehouses {
                    let dx = warehouseX[warehouse] - needX[need]
                    let dy = warehouseY[warehouse] - needY[need]
                    distance[warehouse] = dx * dx + dy * dy
                }
                scratch = distance
                let limit = Self.kthSmallest(&scratch, wanted - 1)
                var added = 0
                for warehouse in 0..<warehouses where distance[warehouse] <= limit && added < wanted {
                    problem.addRoute(from: warehouse, to: need, cost: cost(warehouse, need))
                    added += 1
                }
            }
        }
        return problem
    }

    /// The k-th smallest value (0-based) by quickselect; reorders `values`.
    static func kthSmallest(_ values: inout [Double], _ k: Int) -> Double {
        var low = 0
        var high = values.count - 1
        while low < high {
            let pivot = values[(low + high) / 2]
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { break }
        }
        return values[k]
    }
}

/// SplitMix64, private to the generator so the instances do not change when someone else's
/// random numbers do.
struct InstanceRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
