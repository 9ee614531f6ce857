/// One `expect …` line of a scenario: what must hold, and when it is decided on drill time.
public struct ExpectationSpec: Sendable, Equatable {
    public var line: Int
    /// The line as written, without a comment.
    public var text: String
    public var kind: Kind
    /// Where each name was written (warehouse, item, volunteer, team), checked against the start state.
    var namePositions: [String: Int] = [:]

    public enum Kind: Sendable, Equatable {
        /// `expect by T+X need NAME met|dispatched|delivered`: at some moment up to T+X.
        case need(name: String, milestone: Milestone, byMinute: Int)
        /// `expect at T+X need NAME missing OP N`.
        case needMissing(name: String, comparison: Comparison, value: Int64, atMinute: Int)
        /// `expect at T+X incident ID unmet|open OP N`: open needs of the incident (not fully met).
        case incident(id: String, count: IncidentCount, comparison: Comparison, value: Int, atMinute: Int)
        /// `expect never stock WAREHOUSE ITEM below N`: available (on hand − reserved), at every moment.
        case stockNeverBelow(warehouse: String, item: String, level: Int64)
        /// `expect unused volunteer ID` / `expect unused team ID`: never assigned during the drill.
        case unusedVolunteer(String)
        case unusedTeam(String)
        /// `expect refused at T+X REQUEST`: the inject with this index in `Scenario.injects` is refused.
        case refused(inject: Int)

        /// The drill minute it is decided at when nothing decides it earlier (nil: at the end).
        var deadline: Int? {
            switch self {
            case .need(_, _, let minute), .needMissing(_, _, _, let minute), .incident(_, _, _, _, let minute): minute
            case .stockNeverBelow, .unusedVolunteer, .unusedTeam, .refused: nil
            }
        }
    }

    /// Met: nothing missing (reserved or assigned counts). Dispatched: all of it has left (goods
    /// dispatched, people en route or there). Delivered: all of it arrived (goods delivered,
    /// people on scene at once).
    public enum Milestone: String, Sendable, CaseIterable {
        case met, dispatched, delivered
    }

    public enum IncidentCount: String, Sendable, CaseIterable {
        /// Open needs not fully met (as `incident list` counts `unmet`).
        case unmet
        /// Open needs, met or not.
        case open
    }

    public enum Comparison: String, Sendable, CaseIterable {
        case atMost = "<=", below = "<", equal = "=", atLeast = ">=", above = ">"

        func holds<T: Comparable>(_ value: T, _ bound: T) -> Bool {
            switch self {
            case .atMost: value <= bound
            case .below: value < bound
            case .equal: value == bound
            case .atLeast: value >= bound
            case .above: value > bound
            }
        }
    }
}
