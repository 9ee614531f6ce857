import ReliefLimits

/// The one documented bound on quantities (docs/protocol.md, "Limits on quantities"), and the
/// checked arithmetic that keeps every quantity the state holds within it.
///
/// `Quantity.maximum` bounds every request quantity and every quantity a state can come to hold:
/// one lot in one warehouse (a holding), all lots of one item in one warehouse together, a need's
/// amount, an allocation, a plan line, a plan's unmet amount and a minimum level. It is far above
/// any real stock (a million tonnes of water is 2 × 10^11 bottles of 5 L) and far below Int64.max
/// (9.2 × 10^18), so the sums the daemon computes over bounded quantities — a need's allocations,
/// a reserved total, the matcher's supplies — fit in 64 bits with room to spare, and the sums that
/// could in principle still overflow (over millions of warehouses) are computed checked.
public enum Quantity {
    public static let maximum: Int64 = Limits.quantity

    /// The range of a quantity that counts something and may be zero (a holding, a minimum level).
    public static let range: ClosedRange<Int64> = 0...maximum
    /// The range of a quantity that moves or asks for something (received, issued, needed, reserved).
    public static let positive: ClosedRange<Int64> = 1...maximum
    /// The range of a signed change (`stock adjust`, a stock move): at most the maximum either way.
    public static let change: ClosedRange<Int64> = -maximum...maximum

    /// `value + delta` when it lies in `range`, nil otherwise (also when the sum would overflow).
    public static func adding(_ delta: Int64, to value: Int64, within range: ClosedRange<Int64> = Quantity.range) -> Int64? {
        let (sum, overflow) = value.addingReportingOverflow(delta)
        return !overflow && range.contains(sum) ? sum : nil
    }
}

/// A change that would take a quantity outside its range. `exceedsMaximum` tells a change past
/// `Quantity.maximum` (a request answered with ERR LIMIT) from one below zero or below what is
/// reserved (ERR INSUFFICIENT; the engine checks those first, with its own words).
public struct QuantityError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var exceedsMaximum: Bool
    public var description: String { message }

    public init(_ message: String, exceedsMaximum: Bool) {
        self.message = message
        self.exceedsMaximum = exceedsMaximum
    }
}
