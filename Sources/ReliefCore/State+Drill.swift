/// Drill records of teams and volunteers (DrillRecord.swift).
extension State {
    /// Records kept per team and per volunteer, newest last: enough to say when they last drilled
    /// and how often, bounded whatever the number of drills.
    public static let drillRecordsKept = 20

    mutating func applyDrill(_ entry: Entry) throws {
        guard case .drillRecorded(let participation) = entry.event else { return }
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }
        guard !participation.teams.isEmpty || !participation.volunteers.isEmpty else { throw fail("drill \(participation.drill) has no participant") }
        for team in participation.teams where teams[team.id] == nil { throw fail("drill record of unknown team \(team.id)") }
        for volunteer in participation.volunteers where volunteers[volunteer.id] == nil {
            throw fail("drill record of unknown volunteer \(volunteer.id)")
        }
        for team in participation.teams {
            State.append(DrillRecord(drill: participation.drill, scenario: participation.scenario, day: participation.day, role: team.role),
                         to: &teams[team.id]!.drills)
        }
        for volunteer in participation.volunteers {
            State.append(DrillRecord(drill: participation.drill, scenario: participation.scenario, day: participation.day, role: volunteer.role),
                         to: &volunteers[volunteer.id]!.drills)
        }
    }

    static func append(_ record: DrillRecord, to records: inout [DrillRecord]) {
        records.append(record)
        if records.count > drillRecordsKept { records.removeFirst(records.count - drillRecordsKept) }
    }

    /// The day a team last drilled, nil when it never has.
    public func lastDrill(of team: Team) -> Day? { team.drills.map(\.day).max() }
}
