/// Journal body of `drill.recorded` (a case of `Event`, see Event.swift). Participants are written
/// as `id:role` lists, comma-separated: ids and roles are identifiers, which hold neither.
extension Event {
    var drillBody: FlatJSON? {
        guard case .drillRecorded(let participation) = self else { return nil }
        var json = FlatJSON()
        json.set("drill", participation.drill); json.set("scenario", participation.scenario)
        json.set("day", participation.day.iso8601)
        json.set("teams", participation.teams.map { "\($0.id):\($0.role)" }.joined(separator: ","))
        json.set("volunteers", participation.volunteers.map { "\($0.id):\($0.role)" }.joined(separator: ","))
        return json
    }

    static func decodeDrill(kind: Kind.Drill, body: FlatJSON) throws -> Event {
        let dayText = try body.string("day")
        guard let day = Day(iso8601: dayText) else { throw FlatJSON.DecodingError.invalid("day \(dayText)") }
        func participants(_ key: String) throws -> [DrillParticipation.Participant] {
            try body.string(key).split(separator: ",").map { pair in
                let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw FlatJSON.DecodingError.invalid("\(key) entry \(pair)") }
                return .init(id: String(parts[0]), role: String(parts[1]))
            }
        }
        return .drillRecorded(DrillParticipation(drill: try body.string("drill"), scenario: try body.string("scenario"), day: day,
                                                 teams: try participants("teams"), volunteers: try participants("volunteers")))
    }
}
