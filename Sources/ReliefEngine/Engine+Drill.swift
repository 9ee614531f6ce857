import ReliefCore
import ReliefProtocol

/// `drill record`: teams and volunteers took part in a drill — an online drill records its
/// participants when it ends, and an organizer records an exercise held in the field. `team
/// readiness` then says when each team last drilled and flags those due (`drillPeriodDays`).
extension Engine {
    static let drillCommands: [Command] = [
        Command(words: ["drill", "record"],
                usage: "drill record DRILL scenario=TEXT [date=YYYY-MM-DD] [teams=ID[:ROLE],…] [volunteers=ID[:ROLE],…]",
                summary: "record that teams and volunteers took part in a drill (team readiness shows when a team last drilled)",
                mutating: true, access: .administer) { engine, args, context in
            try args.expect(positionals: 1...1, options: ["scenario", "date", "teams", "volunteers"])
            let drill = try Arguments.identifier(try args.positional(0, "drill id"), "drill id")
            let scenario = try Arguments.text(try args.requiredOption("scenario", "TEXT"), "scenario")
            let day = try args.option("date").map { try Arguments.day($0, "date") } ?? context.now.day
            guard day <= context.now.day else {
                throw Refusal(.syntax, "date=\(day.iso8601) is after today \(context.now.day.iso8601); record a drill once it took place")
            }
            let teams = try Engine.participants(args.option("teams") ?? "", "teams") { id in
                try engine.team(id).specialty
            }
            let volunteers = try Engine.participants(args.option("volunteers") ?? "", "volunteers") { id in
                _ = try engine.volunteer(id)
                return "participant"
            }
            guard !teams.isEmpty || !volunteers.isEmpty else {
                throw Refusal(.syntax, "nobody to record; expected teams=ID[:ROLE],… and/or volunteers=ID[:ROLE],…")
            }
            engine.emit(.drillRecorded(DrillParticipation(drill: drill, scenario: scenario, day: day, teams: teams, volunteers: volunteers)))
            return .ok(["drill": drill, "teams": String(teams.count), "volunteers": String(volunteers.count), "date": day.iso8601])
        },
    ]

    /// `ID[:ROLE],…`, each id known (`defaultRole` looks it up and gives its role when none is
    /// written), none twice.
    static func participants(_ text: String, _ what: String, defaultRole: (String) throws -> String) throws -> [DrillParticipation.Participant] {
        var seen: Set<String> = []
        return try text.split(separator: ",", omittingEmptySubsequences: false).compactMap { part in
            guard !(text.isEmpty && part.isEmpty) else { return nil }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw Refusal(.syntax, "bad \(what) entry \"\(part)\"; expected ID or ID:ROLE") }
            let id = try Arguments.identifier(String(pieces[0]), "\(what) id")
            guard seen.insert(id).inserted else { throw Refusal(.syntax, "\(id) is named twice in \(what)=") }
            let role = try defaultRole(id)
            return .init(id: id, role: pieces.count == 2 ? try Arguments.identifier(String(pieces[1]), "role") : role)
        }
    }
}
