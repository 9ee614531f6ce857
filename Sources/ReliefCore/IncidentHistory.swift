/// What a journal holds about one incident, for replaying it as a drill (a what-if): the state just
/// before the incident was opened, and the entries from its opening on — those of the incident
/// itself and those that changed the world around it while it lasted.
///
/// Built by feeding a journal's entries, in order, to a `Reader`; a store feeds its rows, a test
/// an engine's entries. The reader applies every entry, so "an entry of the incident" means what
/// `State.apply` says it means: one that writes a line of the incident's timeline.
public struct IncidentHistory: Sendable {
    public let incident: String
    /// The state after the last entry before `incident.opened` (its `lastSeq` is `openedSeq - 1`).
    public let before: State
    public let openedSeq: Int64
    public let openedAt: Timestamp
    /// The entry that closed the incident, if one did before the journal ended.
    public let closed: Entry?
    /// The incident's last entry: its closing, or whatever it was when the journal ended.
    public let lastSeq: Int64
    public let lastTime: Timestamp
    /// In journal order, from the opening to `lastSeq`: every entry of the incident (those that
    /// write its timeline, and the plans that proposed for or left unmet one of its needs), and
    /// every entry that added a region, warehouse or item or received stock (anywhere) meanwhile.
    public let entries: [Entry]

    /// Kinds that change the world an incident is handled in, kept while the incident lasts.
    public static let worldKinds: Set<String> = ["region.added", "warehouse.added", "item.added", "lot.received"]

    /// Reads a journal from some state (the empty state, or a snapshot) onwards.
    public struct Reader: Sendable {
        public let incident: String
        private var state: State
        private var before: State?
        private var opened: Entry?
        private var closed: Entry?
        /// Entries since the opening whose kind may matter; which do is known once the incident's
        /// timeline is complete.
        private var candidates: [Entry] = []

        /// Starts from `state`: the empty state, or a snapshot taken before the incident opened.
        public init(incident: String, state: State) {
            self.incident = incident
            self.state = state
        }

        /// The incident has closed: no later entry can belong to it.
        public var isComplete: Bool { closed != nil }

        /// The next entry of the journal. Throws what `State.apply` throws for an entry that does not
        /// apply, and refuses a journal in which the incident already existed before `state`.
        public mutating func read(_ entry: Entry) throws {
            guard !isComplete else { return }
            if before == nil {
                if case .incidentOpened(let opening) = entry.event, opening.id == incident {
                    before = state
                    opened = entry
                } else {
                    try state.apply(entry)
                    if state.incidents[incident] != nil {
                        throw InvariantViolation(seq: entry.seq, message: "incident \(incident) appeared without its incident.opened entry")
                    }
                    return
                }
            }
            try state.apply(entry)
            let kind = entry.event.kind
            if Event.incidentKinds.contains(kind) || IncidentHistory.worldKinds.contains(kind) { candidates.append(entry) }
            if case .incidentStatusSet(let id, .closed, _) = entry.event, id == incident { closed = entry }
        }

        /// The history read so far; nil when the incident was never opened.
        public func finish() -> IncidentHistory? {
            guard let before, let opened, let incident = state.incidents[incident] else { return nil }
            // A plan over every incident (`plan`) writes no line of any timeline; it belongs to
            // this one as far as it proposed for, or left unmet, one of its needs.
            var own = Set(incident.timeline.map(\.seq))
            let needs = Set(incident.needs)
            var plans = Set<String>()
            for entry in candidates {
                switch entry.event {
                case .planProposed(let plan) where plan.lines.contains(where: { needs.contains($0.need) }) || plan.unmet.contains(where: { needs.contains($0.need) }):
                    plans.insert(plan.id)
                    own.insert(entry.seq)
                case .planApplied(let id, _) where plans.contains(id):
                    own.insert(entry.seq)
                default:
                    continue
                }
            }
            let last: (seq: Int64, time: Timestamp) = incident.timeline.last.map { ($0.seq, $0.time) } ?? (opened.seq, opened.time)
            let entries = candidates.filter { entry in
                entry.seq <= last.seq && (own.contains(entry.seq) || IncidentHistory.worldKinds.contains(entry.event.kind))
            }
            return IncidentHistory(incident: self.incident, before: before, openedSeq: opened.seq, openedAt: opened.time, closed: closed,
                                   lastSeq: last.seq, lastTime: last.time, entries: entries)
        }
    }
}
