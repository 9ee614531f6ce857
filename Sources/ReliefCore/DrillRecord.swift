/// One drill a team or a volunteer took part in (`drill.recorded`): what `team readiness` reads to
/// say when a team last drilled. Rescue teams must drill regularly; a team that has not drilled
/// within the configured period is flagged, not stood down.
public struct DrillRecord: Sendable, Equatable {
    /// The exercise's id (an online drill's id, or one the organizer chose).
    public var drill: String
    public var scenario: String
    public var day: Day
    /// What they did in it: a team's specialty or `team`, a volunteer's skill or `participant`.
    public var role: String

    public init(drill: String, scenario: String, day: Day, role: String) {
        self.drill = drill; self.scenario = scenario; self.day = day; self.role = role
    }
}

/// Who took part in a drill, as journaled.
public struct DrillParticipation: Sendable, Equatable {
    public struct Participant: Sendable, Equatable {
        public var id: String
        public var role: String
        public init(id: String, role: String) { self.id = id; self.role = role }
    }

    public var drill: String
    public var scenario: String
    public var day: Day
    public var teams: [Participant]
    public var volunteers: [Participant]

    public init(drill: String, scenario: String, day: Day, teams: [Participant], volunteers: [Participant]) {
        self.drill = drill; self.scenario = scenario; self.day = day; self.teams = teams; self.volunteers = volunteers
    }
}
