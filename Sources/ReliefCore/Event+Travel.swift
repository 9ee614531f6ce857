/// Journal bodies of the travel-time events (cases of `Event`, see Event.swift).
extension Event {
    var travelBody: FlatJSON? {
        var json = FlatJSON()
        switch self {
        case .travelTimeSet(let from, let to, let minutes):
            json.set("from", from); json.set("to", to)
            if let minutes { json.set("minutes", minutes) }
        default:
            return nil
        }
        return json
    }

    static func decodeTravel(kind: Kind.Travel, body: FlatJSON) throws -> Event {
        switch kind {
        case .travelTimeSet:
            let minutes = try body.optionalInt("minutes")
            if let minutes, !State.travelMinutesRange.contains(minutes) {
                throw FlatJSON.DecodingError.invalid("minutes=\(minutes)")
            }
            return .travelTimeSet(from: try body.string("from"), to: try body.string("to"), minutes: minutes.map { Int($0) })
        }
    }
}
