import ReliefCore
import ReliefLimits
import ReliefProtocol

/// A bulk import, all or nothing, checked row by row as the rows arrive on a private copy of the
/// state (so the check overlaps the transfer, and the live state is untouched until the end).
/// `Engine.finishImport` adopts the copy when nothing else changed the live state meanwhile, and
/// checks every row again on the live state when something did.
public final class ImportSession {
    public let allowed: Set<String>
    public let principal: Principal
    public let maxErrorsReported: Int
    /// The rows, kept while every row so far is good, for a check again when the live state moved
    /// during the import; packed (see PackedRows). Once a row is refused the import cannot apply,
    /// so neither the rows nor their entries are kept any longer: a refused import holds only its
    /// errors (at most `maxErrorsReported`, with their lines) and the copy the later rows are
    /// checked on.
    public private(set) var rows = PackedRows()
    let scratch: Engine
    let baseGeneration: Int64
    private var entries: [Entry] = []
    private var errors: [(line: Int, text: String)] = []
    private var badRows = 0
    /// Entries the import may make (`Limits.importEntries`); past them it is refused whole.
    let maxEntries: Int
    /// The rows so far made more than `maxEntries` entries.
    private var tooManyEntries = false
    /// Rows received, good and bad.
    public private(set) var rowCount = 0

    init(base: Engine, allowed: Set<String>, principal: Principal, maxErrorsReported: Int, maxEntries: Int = Limits.importEntries) {
        // The copy shares storage with the live state until the first row changes it.
        scratch = Engine(state: base.state, clock: base.clock)
        scratch.timeZone = base.timeZone
        baseGeneration = base.generation
        self.allowed = allowed
        self.principal = principal
        self.maxErrorsReported = maxErrorsReported
        self.maxEntries = maxEntries
    }

    /// The engine generation the rows are checked against; `Engine.finishImport` uses these checks
    /// (and `entries`) as they are only while the engine is still at it.
    public var generation: Int64 { baseGeneration }
    /// No row has been refused so far, and the rows fit in one transaction.
    public var isClean: Bool { badRows == 0 && !tooManyEntries }
    /// The entries the rows produced so far, in seq order (what a clean import commits).
    public var entryCount: Int { entries.count }
    public func entries(from index: Int) -> ArraySlice<Entry> { entries[index...] }

    /// Records a row that could not be parsed into a request.
    public func refuse(line: Int, message: String) {
        rowCount += 1
        record(line: line, message: message)
    }

    private func record(line: Int, message: String) {
        if isClean {
            rows = PackedRows()
            entries = []
        }
        badRows += 1
        if errors.count < maxErrorsReported { errors.append((line, "line \(line): \(message)")) }
    }

    /// Checks and applies one row on the copy; a refused row is remembered by its line and error.
    public func add(line: Int, request: Request) {
        rowCount += 1
        var message: String?
        if request.requestToken != nil {
            message = "req= is not allowed in an import row"
        } else if scratch.names(request, oneOf: allowed) {
            let outcome = scratch.handle(request, as: principal)
            if case .error(let code, let text) = outcome.reply {
                message = "\(code.rawValue) \(text)"
            } else if isClean {
                if entries.count + outcome.entries.count > maxEntries {
                    // Nothing can apply now: keep checking the rows, holding none of them.
                    tooManyEntries = true
                    rows = PackedRows()
                    entries = []
                } else {
                    entries += outcome.entries
                }
            }
        } else {
            message = "expected one of: " + allowed.sorted().joined(separator: ", ")
        }
        if let message {
            record(line: line, message: message)
        } else if isClean {
            rows.append(line: line, request)
        }
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
        if tooManyEntries {
            return Outcome(reply: .error(.limit, "import refused, nothing imported: its \(rowCount) rows make more than \(maxEntries) entries, "
                                         + "the most one import commits at once (all or nothing); import the file in parts"))
        }
        guard let last = entries.last else { return Outcome(reply: .ok(["imported": String(rowCount)])) }
        return Outcome(reply: .ok(["imported": String(rows.count), "entries": String(entries.count)]),
                       entries: entries, waitForSeq: last.seq)
    }
}

/// An import's rows checked again on a copy of the live state, on another thread: a clean import
/// whose rows were checked on a state that changed meanwhile. The session and the rows belong to
/// whichever thread runs `run`, then back to the loop, which finishes it (`Engine.finishImport`)
/// only if the live state is still the copy's.
public final class ImportRecheck: @unchecked Sendable {
    // @unchecked: the session is handed from the loop to one other thread and back, never shared.
    public let session: ImportSession
    private let rows: PackedRows

    init(session: ImportSession, rows: PackedRows) {
        self.session = session
        self.rows = rows
    }

    public var rowCount: Int { rows.count }

    public func run() {
        rows.forEach { line, request in session.add(line: line, request: request) }
    }
}

extension Engine {
    /// Opens an import whose rows are checked as they are added (see ImportSession).
    public func beginImport(allowed: Set<String>, as principal: Principal, maxErrorsReported: Int = 1000,
                            maxEntries: Int = Limits.importEntries) -> ImportSession {
        ImportSession(base: self, allowed: allowed, principal: principal, maxErrorsReported: maxErrorsReported, maxEntries: maxEntries)
    }

    /// Whether finishing `session` means checking its rows again: it is clean, and something else
    /// changed the live state while its rows arrived. (A refused import is refused as checked.)
    /// A retry (`token` remembered) needs none: `finishImport` answers it without its rows.
    public func importNeedsRecheck(_ session: ImportSession, token: String? = nil, digest: RequestDigest? = nil) -> Bool {
        guard session.isClean && generation != session.baseGeneration else { return false }
        guard let token, let digest else { return true }
        return importTokenAnswer(token: token, digest: digest, as: session.principal) == nil
    }

    /// The rows of `session` to check again on a copy of the live state as it is now (run it
    /// anywhere, then `finishImport` its session on the loop).
    public func recheckImport(_ session: ImportSession) -> ImportRecheck {
        ImportRecheck(session: beginImport(allowed: session.allowed, as: session.principal,
                                           maxErrorsReported: session.maxErrorsReported, maxEntries: session.maxEntries),
                      rows: session.rows)
    }

    /// Ends an import: all rows applied (the entries to commit are in the outcome) or none. A clean
    /// import whose rows were checked on a state that moved meanwhile is checked again here, on
    /// the caller's thread (the server does that off the loop first: `recheckImport`).
    /// With `token` (`import commit req=TOKEN`, `digest` from ImportDigester), an applied import is
    /// remembered as one more entry, and an import whose token is remembered gets the first reply
    /// (or CONFLICT, other rows) and applies nothing (`importTokenAnswer`).
    public func finishImport(_ session: ImportSession, token: String? = nil, digest: RequestDigest? = nil) -> Outcome {
        if let token, let digest, let answer = importTokenAnswer(token: token, digest: digest, as: session.principal) { return answer }
        if importNeedsRecheck(session) {
            let again = recheckImport(session)
            again.run()
            return finishImport(again.session, token: token, digest: digest)
        }
        var outcome = session.outcome
        if !outcome.reply.isError {
            adopt(session.scratch.state)
            if let token, let digest { rememberImport(&outcome, token: token, digest: digest, as: session.principal) }
        }
        return outcome
    }

    /// Applies a batch of request lines all or nothing (bulk import): every row is handled in
    /// order; if any is refused, nothing changes and the error names every bad row by its source
    /// line. `allowed` lists the commands a row may be (e.g. ["volunteer add"]); rows may not carry
    /// `req=` tokens.
    public func importRows(_ rows: [(line: Int, request: Request)], allowed: Set<String>, actor: String,
                           maxErrorsReported: Int = 1000) -> Outcome {
        let session = beginImport(allowed: allowed, as: .system(actor), maxErrorsReported: maxErrorsReported)
        for row in rows { session.add(line: row.line, request: row.request) }
        return finishImport(session)
    }
}

/// An import's rows, packed into a few large buffers instead of kept as `Request`s. A national
/// roster is 2,200,000 rows; as requests they are millions of small heap objects, made while the
/// state's own objects are made and freed only at the end of the import, which leaves the heap
/// full of holes that the system never gets back (RSS after an import of 100,000 volunteers: 380
/// MiB with them kept as requests, 283 MiB without them; 198 MiB after a restart on that store).
/// Packed, they are three arrays, each a block of its own once large, returned when the import
/// ends. Each row: its words, then its options as key and value, each string as a 32-bit length
/// and its UTF-8 bytes. A row's `req=` is not kept (such a row is refused, never kept).
public struct PackedRows: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []
    private var lines: [Int] = []

    public init() {}

    public var count: Int { lines.count }
    /// The line of each row, in the order appended.
    public var lineNumbers: [Int] { lines }

    mutating func append(line: Int, _ request: Request) {
        func put(_ value: Int) {
            let n = UInt32(truncatingIfNeeded: value)
            bytes.append(UInt8(truncatingIfNeeded: n)); bytes.append(UInt8(truncatingIfNeeded: n >> 8))
            bytes.append(UInt8(truncatingIfNeeded: n >> 16)); bytes.append(UInt8(truncatingIfNeeded: n >> 24))
        }
        func put(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                put(utf8.count)
                bytes.append(contentsOf: utf8)
            }
        }
        put(request.words.count)
        for word in request.words { put(word) }
        put(request.options.count)
        for option in request.options { put(option.key); put(option.value) }
        ends.append(bytes.count)
        lines.append(line)
    }

    /// Each row in the order appended, with its line.
    public func forEach(_ body: (Int, Request) -> Void) {
        bytes.withUnsafeBufferPointer { all in
            var at = 0
            func number() -> Int {
                let value = Int(all[at]) | Int(all[at + 1]) << 8 | Int(all[at + 2]) << 16 | Int(all[at + 3]) << 24
                at += 4
                return value
            }
            func text() -> String {
                let length = number()
                defer { at += length }
                return String(decoding: UnsafeBufferPointer(rebasing: all[at..<(at + length)]), as: UTF8.self)
            }
            for (row, line) in lines.enumerated() {
                var words: [String] = []
                for _ in 0..<number() { words.append(text()) }
                var options: [Request.Option] = []
                for _ in 0..<number() {
                    let key = text()
                    options.append(Request.Option(key: key, value: text()))
                }
                precondition(at == ends[row], "packed row \(row) read to \(at), written to \(ends[row])")
                body(line, Request(words: words, options: options))
            }
        }
    }
}
