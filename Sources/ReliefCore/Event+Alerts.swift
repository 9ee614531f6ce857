/// Journal bodies of the alert events (cases of `Event`, see Event.swift and Alerts.swift).
extension Event {
    var alertsBody: FlatJSON? {
        var json = FlatJSON()
        switch self {
        case .alertRaised(let alert):
            json.set("id", alert.id); json.set("kind", alert.kind.rawValue); json.set("subject", alert.subject)
            json.set("message", alert.message); json.set("warehouse", alert.warehouse); json.set("incident", alert.incident)
        case .alertCleared(let id, let reason):
            json.set("id", id); json.set("reason", reason)
        case .alertAcknowledged(let id, let note):
            json.set("id", id); json.set("note", note)
        default:
            return nil
        }
        return json
    }

    static func decodeAlerts(kind: Kind.Alerts, body: FlatJSON) throws -> Event {
        switch kind {
        case .alertRaised:
            let kindText = try body.string("kind")
            guard let alertKind = AlertKind(rawValue: kindText) else { throw FlatJSON.DecodingError.invalid("kind=\(kindText)") }
            // The time is the entry's: set when it is applied.
            return .alertRaised(Alert(id: try body.string("id"), kind: alertKind, subject: try body.string("subject"),
                                      message: try body.string("message"), warehouse: try body.optionalString("warehouse"),
                                      incident: try body.optionalString("incident"), raisedAt: Timestamp(milliseconds: 0)))
        case .alertCleared:
            return .alertCleared(id: try body.string("id"), reason: try body.string("reason"))
        case .alertAcknowledged:
            return .alertAcknowledged(id: try body.string("id"), note: try body.optionalString("note"))
        }
    }
}
