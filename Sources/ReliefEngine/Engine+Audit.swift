import ReliefCore
import ReliefProtocol

/// What a check of the journal's hash chain on the store found (the host runs it: the engine
/// knows no store). `intact` carries the fields to answer with (entries, last seq and hash).
public enum JournalVerification: Sendable {
    case intact(Fields)
    /// The first entry that does not match (nil seq: the check could not run), and why.
    case broken(seq: Int64?, message: String)
}

/// What `audit export` wrote (the host writes it), or why it could not.
public enum JournalExported: Sendable {
    case written(Fields)
    case failed(String)
}

/// What `audit log` read from the store (the host reads it: the engine knows no store).
public enum JournalRead: Sendable {
    case entries([StoredEntry])
    case failed(String)
}

/// Audits of the journal, off the loop: `audit verify` recomputes the hash chain on the live
/// store; `audit log` answers who did what, when.
extension Engine {
    static let auditCommands: [Command] = [
        // Admin only: the bodies are the journal's own, personal data included (the chain covers
        // them byte for byte, so a masked copy could not be checked).
        Command(words: ["audit", "export"], usage: "audit export NAME",
                summary: "write the journal with its hash chain to data_dir/exports/NAME.jsonl (0600) for deploy/verify-journal",
                mutating: false, access: .administer,
                offload: { engine, args, _ in
                    try args.expect(positionals: 1...1, options: [])
                    let name = try Arguments.identifier(try args.positional(0, "NAME"), "export name")
                    guard let export = engine.exportJournal else { return nil }
                    return Offload(compute: { export(name) }, finish: { _, result, _, _ in
                        switch result as? JournalExported {
                        case .written(let fields)?: return .ok(fields)
                        case .failed(let message)?: throw Refusal(.unavailable, "the journal was not exported: \(message)")
                        case nil: throw Refusal(.internal, "audit export produced no result")
                        }
                    })
                }) { _, args, _ in
            try args.expect(positionals: 1...1, options: [])
            _ = try Arguments.identifier(try args.positional(0, "NAME"), "export name")
            throw Refusal(.unavailable, "audit export needs the daemon's store; this engine has none")
        },
        Command(words: ["audit", "log"], usage: "audit log [user=NAME] [since=YYYY-MM-DD|DATETIME] [kind=KIND] [incident=ID]",
                summary: "who did what, when: the newest journal entries that match, oldest first (personal data masked unless your role sees it)",
                mutating: false, access: .audit, listing: .standard,
                offload: { engine, args, context in
                    let filter = try engine.journalFilter(args, limit: context.limit)
                    guard let read = engine.readJournal else { return nil }
                    let personal = context.principal.role.seesPersonalData
                    return Offload(compute: { read(filter) }, finish: { _, result, _, _ in
                        switch result as? JournalRead {
                        case .entries(let entries)?: return .rows(entries.map { Engine.auditRow($0, personal: personal) })
                        case .failed(let message)?: throw Refusal(.unavailable, "the journal could not be read: \(message)")
                        case nil: throw Refusal(.internal, "audit log produced no result")
                        }
                    })
                }) { engine, args, context in
            _ = try engine.journalFilter(args, limit: context.limit)
            throw Refusal(.unavailable, "audit log needs the daemon's store; this engine has none")
        },
        Command(words: ["audit", "verify"], usage: "audit verify [from=SEQ]",
                summary: "recompute the journal's hash chain on the store (from its first entry, or from SEQ linked to the hash stored before it) and check the snapshots against their seals",
                mutating: false, access: .audit,
                offload: { engine, args, _ in
                    let from = try Engine.verifyFrom(args, lastSeq: engine.state.lastSeq)
                    guard let verify = engine.verifyJournal else { return nil }
                    return Offload(compute: { verify(from) }, finish: { _, result, _, _ in
                        switch result as? JournalVerification {
                        case .intact(let fields)?: return .ok(fields)
                        case .broken(let seq?, let message)?:
                            throw Refusal(.conflict, "the journal does not verify: first bad entry seq \(seq): \(message)")
                        case .broken(nil, let message)?:
                            throw Refusal(.unavailable, "the journal could not be verified: \(message)")
                        case nil:
                            throw Refusal(.internal, "audit verify produced no result")
                        }
                    })
                }) { engine, args, _ in
            _ = try Engine.verifyFrom(args, lastSeq: engine.state.lastSeq)
            throw Refusal(.unavailable, "audit verify needs the daemon's store; this engine has none")
        },
    ]
}

extension Engine {
    /// `audit verify`'s from= (1: the whole chain).
    static func verifyFrom(_ args: Arguments, lastSeq: Int64) throws -> Int64 {
        try args.expect(positionals: 0...0, options: ["from"])
        guard let text = args.option("from") else { return 1 }
        guard let from = Int64(text), from >= 1, from <= max(lastSeq, 1) else {
            throw Refusal(.syntax, "bad from \"\(text)\"; expected a journal seq from 1 to \(max(lastSeq, 1))")
        }
        return from
    }

    /// The filter `audit log` asks for; refuses a bad option.
    func journalFilter(_ args: Arguments, limit: Int) throws -> JournalFilter {
        try args.expect(positionals: 0...0, options: ["user", "since", "kind", "incident"])
        var filter = JournalFilter(limit: limit)
        filter.user = args.option("user")
        if let text = args.option("since") {
            if let day = Day(iso8601: text) {
                filter.since = timeZone.startOfDay(day).milliseconds
            } else {
                let forms = "expected a date YYYY-MM-DD (from the start of that day, \(timeZone.identifier) time) or a date-time "
                    + "\(DateTimeText.forms) (RFC 3339; without an offset, \(timeZone.identifier) time)"
                filter.since = try Arguments.dateTime(text, "since", zone: timeZone, forms: forms).milliseconds
            }
        }
        if let kind = args.option("kind") {
            guard Event.Kind(rawValue: kind) != nil else {
                throw Refusal(.syntax, "unknown kind \"\(kind)\"; expected a journal kind such as stock receive's lot.received (docs/storage.md lists them)")
            }
            filter.kind = kind
        }
        if let id = args.option("incident") {
            guard let incident = state.incidents[id] else { throw Refusal(.notFound, "incident \(id) not found") }
            filter.seqs = Set(incident.timeline.map(\.seq))
        }
        return filter
    }

    /// One entry as `audit log` shows it: the actor split into user, role and credential, and the
    /// body with personal data (phone, ID number, a donor's contact, an anonymous donor's name)
    /// left out unless `personal`.
    static func auditRow(_ entry: StoredEntry, personal: Bool) -> Fields {
        var user = entry.actor, role = "", credential = ""
        if let space = entry.actor.firstIndex(of: " "), entry.actor[space...].hasPrefix(" role=") {
            user = String(entry.actor[..<space])
            let rest = entry.actor[entry.actor.index(space, offsetBy: 6)...].split(separator: " ", maxSplits: 1)
            role = rest.first.map(String.init) ?? ""
            credential = rest.count > 1 ? String(rest[1]) : ""
        }
        var body = entry.body
        if !personal, var json = try? FlatJSON.decode(entry.body) {
            let before = json.pairs.count
            // A volunteer's phone and ID number, a donor's contact, and the name of a donor who
            // asked to stay anonymous.
            let anonymous = json.pairs.contains { $0.0 == "anonymous" && $0.1 == .string("yes") }
            json.pairs.removeAll { $0.0 == "phone" || $0.0 == "id_number" || $0.0 == "contact" || (anonymous && $0.0 == "donor") }
            if json.pairs.count != before {
                var bytes: [UInt8] = []
                json.encode(into: &bytes)
                body = String(decoding: bytes, as: UTF8.self)
            }
        }
        var fields: Fields = ["seq": String(entry.seq), "time": Timestamp(milliseconds: entry.time).iso8601, "user": user]
        fields.append("role", role)
        fields.append("credential", credential)
        fields.append("kind", entry.kind)
        fields.append("body", body)
        return fields
    }
}
