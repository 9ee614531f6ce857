// ReliefStore owns durability: the Journal interface, its SQLite (and later PostgreSQL)
// implementation, snapshots and schema migrations. A Journal is used from one thread at a time
// (the server's writer thread); nothing here touches the event loop.

import ReliefCore

/// Why the store could not do what was asked. `isTransient` errors (disk full, I/O error, database
/// locked, file removed) may clear up by themselves: the daemon refuses writes and retries.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var isTransient: Bool
    /// The journal seq the problem was found at (a row failing the hash chain, a snapshot not
    /// matching its seal), when there is one: a load checking two ranges at once reports the lower.
    public var seq: Int64?
    public init(_ message: String, isTransient: Bool = true, seq: Int64? = nil) {
        self.message = message
        self.isTransient = isTransient
        self.seq = seq
    }
    public var description: String { message }
}

/// The durable record of the operation.
///
/// Contract:
/// - `commit` writes all entries of the batch, the current-state tables they change, and the hash
///   chain in one transaction, and returns only once that transaction is durable (fsync'd). If it
///   throws, nothing of the batch is stored.
/// - `load` returns the state rebuilt from the latest snapshot plus every entry after it.
/// - Entries are committed in strictly increasing `seq` order without gaps.
public protocol Journal: AnyObject {
    /// Describes the store for `info` and logs (`sqlite:/var/lib/reliefd/reliefd.db`).
    var location: String { get }

    /// Opens the store (creating and migrating its schema) and rebuilds the state.
    func load() throws -> State

    /// The seq of the snapshot the last `load` started from (0 when it replayed from the start).
    var loadedSnapshotSeq: Int64 { get }

    /// The hash of the last entry loaded or committed: the head of the hash chain, to publish
    /// (lowercase hex; "" for a store that does not say).
    var headHash: String { get }

    /// The last seq the state loaded from that snapshot stands for without any change: the
    /// snapshot's seq, or later when only `snapshot.sealed` entries follow it. Entries past it are
    /// what a new snapshot would save replaying; seals alone do not make one worth taking.
    var loadedSnapshotCovers: Int64 { get }

    /// Durably appends a batch of entries.
    func commit(_ entries: [Entry]) throws

    /// Stores a snapshot (the text of `State.snapshotText()`) taken at `seq`, which must already be
    /// committed. Encoding is left to the caller so it can happen off the writer thread. A load uses
    /// it only once its seal (`SnapshotSeal(snapshotSeq:text:)`, journaled as `snapshot.sealed`)
    /// is committed after it.
    func writeSnapshot(seq: Int64, text: String) throws

    /// `writeSnapshot(seq:text:)` for a store that writes a large snapshot in parts: it calls
    /// `betweenParts` between them, where the caller may commit what waits (never a staged write).
    func writeSnapshot(seq: Int64, text: String, betweenParts: () -> Void) throws

    /// Checks the store is usable again after a failure (used before leaving read-only mode).
    func probe() throws

    /// Work a load left for before the first write (SQLiteJournal: comparing the current-state
    /// tables with the state, `load(deferringTableCheck:)`); nothing for a store that leaves none.
    /// The daemon's writer runs it as its first job, so reads need not wait for it. True when
    /// there was something to do and it is done.
    @discardableResult func checkDeferredTables() throws -> Bool

    /// Whether `stage`/`commitStaged` are available: a large all-or-nothing request (a bulk import)
    /// is then written ahead into an open transaction while its rows still arrive.
    var supportsStaging: Bool { get }

    /// Writes entries ahead into the staged transaction, opening it with the first call. Nothing
    /// staged is durable or visible until `commitStaged`; a crash or `discardStaged` drops all of it.
    /// Entries follow the last committed (or staged) seq. While a staged transaction is open, only
    /// `stage`, `commitStaged` and `discardStaged` may be called. If it throws, the staged
    /// transaction has been discarded.
    func stage(_ entries: [Entry]) throws

    /// Writes the last entries of the staged request and commits everything staged in one durable
    /// transaction. If it throws, nothing staged is stored.
    func commitStaged(_ entries: [Entry]) throws

    /// Drops the staged transaction, if one is open.
    func discardStaged()

    /// Releases the store.
    func close()
}

extension Journal {
    public var headHash: String { "" }

    @discardableResult public func checkDeferredTables() throws -> Bool { false }

    public var supportsStaging: Bool { false }
    public func stage(_ entries: [Entry]) throws {
        throw StoreError("\(location) does not write ahead", isTransient: false)
    }
    public func commitStaged(_ entries: [Entry]) throws {
        throw StoreError("\(location) does not write ahead", isTransient: false)
    }
    public func discardStaged() {}

    public func writeSnapshot(seq: Int64, text: String, betweenParts: () -> Void) throws {
        try writeSnapshot(seq: seq, text: text)
    }

    /// Encodes and stores a snapshot of `state` as of `state.lastSeq`; returns the seal to journal.
    @discardableResult
    public func writeSnapshot(_ state: State) throws -> SnapshotSeal {
        let text = state.snapshotText()
        try writeSnapshot(seq: state.lastSeq, text: text)
        return SnapshotSeal(snapshotSeq: state.lastSeq, text: text)
    }
}
