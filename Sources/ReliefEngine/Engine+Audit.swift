import ReliefCore
import ReliefProtocol

/// What a check of the journal's hash chain on the store found (the host runs it: the engine
/// knows no store). `intact` carries the fields to answer with (entries, last seq and hash).
public enum JournalVerification: Sendable {
    case intact(Fields)
    /// The first entry that does not match (nil seq: the check could not run), and why.
    case broken(seq: Int64?, message: String)
}

/// Audits of the journal: `audit verify` recomputes the hash chain on the live store, off the loop.
extension Engine {
    static let auditCommands: [Command] = [
        Command(words: ["audit", "verify"], usage: "audit verify",
                summary: "recompute the journal's hash chain on the store from its first entry and check every snapshot against its seal",
                mutating: false, access: .audit,
                offload: { engine, args, _ in
                    try args.expect(positionals: 0...0, options: [])
                    guard let verify = engine.verifyJournal else { return nil }
                    return Offload(compute: { verify() }, finish: { _, result, _, _ in
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
            try args.expect(positionals: 0...0, options: [])
            _ = engine
            throw Refusal(.unavailable, "audit verify needs the daemon's store; this engine has none")
        },
    ]
}
