import ReliefCore
import ReliefProtocol

/// Alerts (Alerts.swift): the daemon raises and clears them (`evaluateAlerts`, once a second on
/// the loop), people list and acknowledge them.
extension Engine {
    static let alertCommands: [Command] = [
        Command(words: ["alert", "list"], usage: "alert list [kind=KIND] [incident=ID] [warehouse=ID] [acknowledged=yes|no]",
                summary: "alerts raised and not yet cleared, oldest first (cleared ones are in the feed and the audit log)",
                mutating: false, access: .read(.incidents), listing: .standard) { engine, args, context in
            try args.expect(positionals: 0...0, options: ["kind", "incident", "warehouse", "acknowledged"])
            var kind: AlertKind?
            if let text = args.option("kind") {
                guard let parsed = AlertKind(rawValue: text) else {
                    throw Refusal(.syntax, "unknown alert kind \"\(text)\"; expected one of " + AlertKind.allCases.map(\.rawValue).joined(separator: ", "))
                }
                kind = parsed
            }
            var acknowledged: Bool?
            if let text = args.option("acknowledged") {
                guard text == "yes" || text == "no" else { throw Refusal(.syntax, "bad acknowledged \"\(text)\"; expected yes or no") }
                acknowledged = text == "yes"
            }
            let incident = args.option("incident"), warehouse = args.option("warehouse")
            var rows: [Fields] = []
            for alert in engine.state.alertList {
                if let kind, alert.kind != kind { continue }
                if let incident, alert.incident != incident { continue }
                if let warehouse, alert.warehouse != warehouse { continue }
                if let acknowledged, (alert.acknowledgedBy != nil) != acknowledged { continue }
                rows.append(Engine.alertFields(alert))
                if rows.count > context.limit { break }
            }
            return .rows(rows)
        },
        Command(words: ["alert", "ack"], usage: "alert ack ALERT [note=TEXT]",
                summary: "acknowledge an alert: it has been seen and is being seen to (it stays listed until its condition clears)",
                mutating: true, access: .acknowledge) { engine, args, context in
            try args.expect(positionals: 1...1, options: ["note"])
            let id = try args.positional(0, "alert")
            guard let alert = engine.state.alerts[id] else {
                throw Refusal(.notFound, "alert \(id) is not raised (cleared alerts cannot be acknowledged; see alert list)")
            }
            if let by = alert.acknowledgedBy {
                throw Refusal(.conflict, "alert \(id) was already acknowledged by \(by) at \(alert.acknowledgedAt?.iso8601 ?? "?")")
            }
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            engine.emit(.alertAcknowledged(id: id, note: note))
            return .ok(["alert": id, "acknowledged_by": context.principal.user])
        },
    ]

    static func alertFields(_ alert: Alert) -> Fields {
        var fields: Fields = ["alert": alert.id, "kind": alert.kind.rawValue, "subject": alert.subject]
        fields.append("raised", alert.raisedAt.iso8601)
        fields.append("incident", alert.incident ?? "")
        fields.append("warehouse", alert.warehouse ?? "")
        fields.append("acknowledged_by", alert.acknowledgedBy ?? "")
        fields.append("message", alert.message)
        return fields
    }

    /// Looks at what the committed entries and the passing time may have changed, and records the
    /// alerts to raise and clear (actor `reliefd`); the server journals the entries. Cheap when
    /// nothing changed: only kinds whose time came and subjects that were touched are looked at.
    public func evaluateAlerts() -> [Entry] {
        let now = clock.now()
        let (whole, subjects) = alertMonitor.take(now: now)
        var entries: [Entry] = []
        for kind in AlertKind.allCases {
            let scope: Set<String>?
            if whole.contains(kind) {
                scope = nil
            } else if let some = subjects[kind], !some.isEmpty {
                scope = some
            } else {
                continue
            }
            let (findings, again) = state.alertFindings(kind, subjects: scope, now: now, thresholds: alertThresholds)
            if let again { alertMonitor.lookAgain(kind, by: again) }
            let (raise, clear) = state.alertChanges(kind, subjects: scope, findings: findings)
            for alert in clear {
                entries.append(record(.alertCleared(id: alert.id, reason: state.alertClearReason(alert))))
            }
            for finding in raise {
                // The time is the entry's (set as it is applied).
                entries.append(record(.alertRaised(Alert(id: state.nextAlertID, kind: finding.kind, subject: finding.subject,
                                                         message: finding.message, warehouse: finding.warehouse,
                                                         incident: finding.incident, raisedAt: Timestamp(milliseconds: 0)))))
            }
        }
        return entries
    }
}
