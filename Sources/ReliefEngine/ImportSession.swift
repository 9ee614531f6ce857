import ReliefCore
import ReliefProtocol

/// A bulk import, all or nothing, checked row by row as the rows arrive on a private copy of the
/// state (so the check overlaps the transfer, and the live state is untouched until the end).
/// `Engine.finishImport` adopts the copy when nothing else changed the live state meanwhile, and
/// checks every row again on the live state when something did.
public final class ImportSession {
    public let allowed: Set<String>
    public let actor: String
    public let role: Role
    public let maxErrorsReported: Int
    /// Every row, kept for a re-check when the live state moved during the import.
    public private(set) var rows: [(line: Int, request: Request)] = []
    /// Rows that did not even parse, with why; they refuse the import like any bad row.
    public private(set) var unparsed: [(line: Int, message: String)] = []
    let scratch: Engine
    let baseGeneration: Int64
    private var entries: [Entry] = []
    private var errors: [(line: Int, text: String)] = []
    private var badRows = 0

    init(base: Engine, allowed: Set<String>, actor: String, role: Role, maxErrorsReported: Int) {
        // The copy shares storage with the live state until the first row changes it.
        scratch = Engine(state: base.state, clock: base.clock)
        baseGeneration = base.generation
        self.allowed = allowed
        self.actor = actor
        self.role = role
        self.maxErrorsReported = maxErrorsReported
    }

    public var rowCount: Int { rows.count + unparsed.count }

    /// The engine generation the rows are checked against; `Engine.finishImport` uses these checks
    /// (and `entries`) as they are only while the engine is still at it.
    public var generation: Int64 { baseGeneration }
    /// No row has been refused so far.
    public var isClean: Bool { badRows == 0 }
    /// The entries the rows produced so far, in seq order (what a clean import commits).
    public var entryCount: Int { entries.count }
    public func entries(from index: Int) -> ArraySlice<Entry> { entries[index...] }

    /// Records a row that could not be parsed into a request.
    public func refuse(line: Int, message: String) {
        unparsed.append((line, message))
        record(line: line, message: message)
    }

    private func record(line: Int, message: String) {
        badRows += 1
        if errors.count < maxErrorsReported { errors.append((line, "line \(line): \(message)")) }
    }

    /// Checks and applies one row on the copy; a refused row is remembered with its line.
    public func add(line: Int, request: Request) {
        rows.append((line, request))
        var message: String?
        if request.requestToken != nil {
            message = "req= is not allowed in an import row"
        } else if scratch.names(request, oneOf: allowed) {
            let outcome = scratch.handle(request, actor: actor, role: role)
            if case .error(let code, let text) = outcome.reply {
                message = "\(code.rawValue) \(text)"
            } else {
                entries += outcome.entries
            }
        } else {
            message = "expected one of: " + allowed.sorted().joined(separator: ", ")
        }
        if let message { record(line: line, message: message) }
    }

    /// The outcome on the copy: the refusal naming every bad row, or the entries to commit. Only
    /// `Engine.finishImport` applies it.
    public var outcome: Outcome {
        if badRows > 0 {
            var text = "import refused, nothing imported: \(badRows) bad row\(badRows == 1 ? "" : "s") of \(rowCount): "
            text += errors.sorted { $0.line < $1.line }.map(\.text).joined(separator: "; ")
            if badRows > errors.count { text += "; and \(badRows - errors.count) more" }
            return Outcome(reply: .error(.syntax, text))
        }
        guard let last = entries.last else { return Outcome(reply: .ok(["imported": String(rowCount)])) }
        return Outcome(reply: .ok(["imported": String(rows.count), "entries": String(entries.count)]),
                       entries: entries, waitForSeq: last.seq)
    }
}

extension Engine {
    /// Opens an import whose rows are checked as they are added (see ImportSession).
    public func beginImport(allowed: Set<String>, actor: String, role: Role = .coordinator,
                            maxErrorsReported: Int = 1000) -> ImportSession {
        ImportSession(base: self, allowed: allowed, actor: actor, role: role, maxErrorsReported: maxErrorsReported)
    }

    /// Ends an import: all rows applied (the entries to commit are in the outcome) or none.
    public func finishImport(_ session: ImportSession) -> Outcome {
        if generation != session.baseGeneration {
            // Something else changed the state during the transfer: check every row again on it.
            let again = beginImport(allowed: session.allowed, actor: session.actor, role: session.role,
                                    maxErrorsReported: session.maxErrorsReported)
            for row in session.unparsed { again.refuse(line: row.line, message: row.message) }
            for row in session.rows { again.add(line: row.line, request: row.request) }
            return finishImport(again)
        }
        let outcome = session.outcome
        if !outcome.reply.isError { adopt(session.scratch.state) }
        return outcome
    }

    /// Applies a batch of request lines all or nothing (bulk import): every row is handled in
    /// order; if any is refused, nothing changes and the error names every bad row by its source
    /// line. `allowed` lists the commands a row may be (e.g. ["volunteer add"]); rows may not carry
    /// `req=` tokens.
    public func importRows(_ rows: [(line: Int, request: Request)], allowed: Set<String>, actor: String,
                           role: Role = .coordinator, maxErrorsReported: Int = 1000) -> Outcome {
        let session = beginImport(allowed: allowed, actor: actor, role: role, maxErrorsReported: maxErrorsReported)
        for row in rows { session.add(line: row.line, request: row.request) }
        return finishImport(session)
    }
}
