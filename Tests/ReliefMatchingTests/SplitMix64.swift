import ReliefCore

/// What the matching tests draw from ReliefCore's SplitMix64 (a seed gives the same instance on
/// every platform, so a failing seed can be replayed).
extension SplitMix64 {
    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 { range.lowerBound + Int64(next() % UInt64(range.count)) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
}
