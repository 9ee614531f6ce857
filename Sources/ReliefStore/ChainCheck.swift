import Crypto
import Foundation
import ReliefCore

/// What a `snapshot.sealed` journal entry says about a stored snapshot: its seq, its format and the
/// lowercase hex SHA-256 of its body exactly as stored (UTF-8 bytes). docs/storage.md shows how to
/// check one with `sha256sum`.
public struct SnapshotSeal: Sendable, Equatable {
    public var snapshotSeq: Int64
    public var format: String
    public var sha256: String

    public init(snapshotSeq: Int64, format: String, sha256: String) {
        self.snapshotSeq = snapshotSeq
        self.format = format
        self.sha256 = sha256
    }

    /// The seal of a snapshot text about to be stored (current format).
    public init(snapshotSeq: Int64, text: String) {
        var text = text
        self.init(snapshotSeq: snapshotSeq, format: State.snapshotFormat,
                  sha256: text.withUTF8 { SnapshotSeal.digest(UnsafeRawBufferPointer($0)) })
    }

    init?(_ event: Event) {
        guard case .snapshotSealed(let seq, let format, let sha256) = event else { return nil }
        self.init(snapshotSeq: seq, format: format, sha256: sha256)
    }

    public var event: Event { .snapshotSealed(seq: snapshotSeq, format: format, sha256: sha256) }

    public static func digest(_ bytes: UnsafeRawBufferPointer) -> String {
        Hex.lowercase(SHA256.hash(data: bytes))
    }

    /// Why a load skips a snapshot that has no seal (the same words for every store).
    static let missing = "no seal in the journal (stored just before reliefd stopped, or by a reliefd before seals); "
        + "an older snapshot or the journal is used, and a new sealed snapshot is taken"

    /// Checks a stored snapshot row against this seal (journal entry `sealSeq`); throws, naming the
    /// snapshot's seq, when the row is not what was sealed.
    func check(format storedFormat: String, body: UnsafeRawBufferPointer, sealSeq: Int64) throws {
        guard storedFormat == format else {
            throw StoreError("snapshot at seq \(snapshotSeq) does not match its seal (journal entry seq \(sealSeq)): "
                             + "stored format \(storedFormat), sealed \(format); the snapshot row was altered or damaged",
                             isTransient: false, seq: snapshotSeq)
        }
        let stored = SnapshotSeal.digest(body)
        guard stored == sha256 else {
            throw StoreError("snapshot at seq \(snapshotSeq) does not match its seal (journal entry seq \(sealSeq)): "
                             + "its body has SHA-256 \(stored), the seal says \(sha256); the snapshot row was altered or damaged",
                             isTransient: false, seq: snapshotSeq)
        }
    }
}

/// What a full audit found: entries checked, the last seq and hash (publish them: anyone holding a
/// copy can compare), and how many snapshots matched their seals.
public struct ChainReport: Sendable, CustomStringConvertible {
    public var entries: Int
    public var lastSeq: Int64
    public var lastHash: String
    public var snapshotsChecked: Int
    public var snapshotsUnsealed: Int

    public var description: String {
        var text = "entries=\(entries) last_seq=\(lastSeq) last_hash=\(lastHash) snapshots_checked=\(snapshotsChecked)"
        if snapshotsUnsealed > 0 { text += " snapshots_unsealed=\(snapshotsUnsealed)" }
        return text
    }
}

/// The position a chain check has reached: the last seq checked and its hash, and how many rows.
public struct ChainPosition: Sendable, Equatable {
    public var seq: Int64
    public var hash: [UInt8]
    public var entries: Int

    init(seq: Int64 = 0, hash: [UInt8] = HashChain.genesis, entries: Int = 0) {
        self.seq = seq
        self.hash = hash
        self.entries = entries
    }

    /// Where a follower stands: the last entry it applied and that entry's hash.
    public init(seq: Int64, hash: [UInt8]) {
        self.init(seq: seq, hash: hash, entries: 0)
    }
}

/// Recomputes the hash chain over journal rows fed in seq order, checking that seqs run without
/// gaps and that every stored hash is the computed one, and collects the snapshot seals it passes
/// (hashing only: nothing else is decoded).
struct ChainVerifier {
    private(set) var position: ChainPosition
    /// Seals seen, by the seq of the snapshot they seal, with the seq of the sealing entry; a later
    /// seal of the same seq replaces an earlier one.
    private(set) var seals: [Int64: (entrySeq: Int64, seal: SnapshotSeal)] = [:]
    private var hasher = HashChain()
    private static let sealKind = Array("snapshot.sealed".utf8)

    init(from position: ChainPosition = ChainPosition()) {
        self.position = position
    }

    mutating func check(seq: Int64, time: Int64, actor: UnsafeRawBufferPointer, kind: UnsafeRawBufferPointer,
                        body: UnsafeRawBufferPointer, stored: UnsafeRawBufferPointer) throws {
        let expected = position.seq + 1
        guard seq == expected else {
            throw StoreError("journal entry seq \(expected) is missing (next is \(seq)); the journal was altered or damaged",
                             isTransient: false, seq: expected)
        }
        hasher.advance(&position.hash, seq: seq, time: time, actor: actor, kind: kind, body: body)
        guard ChainVerifier.equal(stored, position.hash) else {
            throw StoreError("journal entry seq \(seq) fails the hash chain (stored \(String(decoding: stored, as: UTF8.self)), "
                             + "computed \(String(decoding: position.hash, as: UTF8.self))); the journal was altered or damaged",
                             isTransient: false, seq: seq)
        }
        position.seq = seq
        position.entries += 1
        if ChainVerifier.equal(kind, ChainVerifier.sealKind) {
            do {
                guard let seal = SnapshotSeal(try Event(kind: "snapshot.sealed", body: FlatJSON.decode(body))) else { return }
                seals[seal.snapshotSeq] = (seq, seal)
            } catch {
                throw StoreError("journal entry seq \(seq) cannot be decoded: \(error)", isTransient: false, seq: seq)
            }
        }
    }

    /// Byte-wise equality by memcmp (the generic `elementsEqual` compares a byte at a time
    /// through the sequence protocol: a tenth of checking the chain).
    private static func equal(_ bytes: UnsafeRawBufferPointer, _ other: [UInt8]) -> Bool {
        guard bytes.count == other.count else { return false }
        return bytes.isEmpty || other.withUnsafeBytes { memcmp(bytes.baseAddress!, $0.baseAddress!, bytes.count) == 0 }
    }

    /// The same for rows held as Swift strings (PostgreSQL's text results).
    mutating func check(seq: Int64, time: Int64, actor: String, kind: String, body: String, stored: String) throws {
        var actor = actor, kind = kind, body = body, stored = stored
        try actor.withUTF8 { actor in
            try kind.withUTF8 { kind in
                try body.withUTF8 { body in
                    try stored.withUTF8 { stored in
                        try check(seq: seq, time: time, actor: UnsafeRawBufferPointer(actor), kind: UnsafeRawBufferPointer(kind),
                                  body: UnsafeRawBufferPointer(body), stored: UnsafeRawBufferPointer(stored))
                    }
                }
            }
        }
    }
}

/// Work started on a thread of its own and joined later: the full-chain check runs beside the
/// snapshot's decoding and the replay, and the load waits for both.
final class Background<Value: Sendable>: @unchecked Sendable {
    // @unchecked: `outcome` is written once by the worker thread and read after `join` has seen it
    // set under `condition`.
    private let condition = NSCondition()
    private var outcome: Result<Value, StoreError>?

    init(name: String, _ work: @escaping @Sendable () throws(StoreError) -> Value) {
        let thread = Thread { [self] in
            let result: Result<Value, StoreError>
            do throws(StoreError) {
                result = .success(try work())
            } catch {
                result = .failure(error)
            }
            condition.lock()
            outcome = result
            condition.signal()
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    func join() -> Result<Value, StoreError> {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return outcome!
    }
}

extension StoreError {
    /// Of two failures found in parallel, the one at the lower seq (the first bad one); a failure
    /// with a seq wins over one without.
    static func first(_ a: StoreError?, _ b: StoreError?) -> StoreError? {
        guard let a else { return b }
        guard let b else { return a }
        switch (a.seq, b.seq) {
        case let (x?, y?): return y < x ? b : a
        case (nil, _?): return b
        default: return a
        }
    }
}
