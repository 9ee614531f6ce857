// Target `store`: the SQLite store as start-up reads it (SQLiteJournal.load), from a damaged file.
//
// The input is a whole database file. The seed is a small real store (made by `ReliefFuzz store
// --make-seed FILE`, see `makeStore`, then shrunk with sqlite3: `PRAGMA journal_mode=DELETE;
// PRAGMA page_size=512; VACUUM; PRAGMA journal_mode=WAL;`, 53 KB instead of 204): the engine
// target's fixture committed as journal entries, a sealed snapshot, and a few entries after it, so
// loading reads the snapshot, replays the journal after it and checks the whole hash chain.
// libFuzzer's mutations of it are damaged stores: a flipped byte in a journal body, a hash, a seq,
// a snapshot row, a page header, the schema.
//
// Each input is written to a file in a directory of this process's own, and loaded as reliefd's
// start-up loads it. Checked, besides "does not crash":
// - a store that is refused says why (a StoreError with a message);
// - a store that loads gives exactly the state the undamaged store holds (its snapshot text), or
//   the state after a shorter journal when the damage took whole rows off its end — never another
//   state. (What the hash chain cannot see is a journal cut after a row; that is reported here as
//   the shorter state, and is the one damage that loads.)

import Logging
import ReliefCore
import ReliefEngine
import ReliefStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum StoreFuzz {
    static let target = FuzzTarget(name: "store", summary: "damaged SQLite stores, loaded as at start-up (SQLiteJournal.load)",
                                   maxLength: 1 << 20) { bytes in run(bytes) }

    /// Requests after the snapshot: replayed on load.
    static let afterSnapshot = [
        "stock issue ty-01 water-5l 30 to=shelter",
        "need change water-1 qty=60 priority=1",
        "volunteer checkout v-2",
    ]

    struct Expected: Sendable {
        /// Snapshot text of the state after each prefix of the journal, by its last seq.
        var states: [Int64: String]
        var lastSeq: Int64
    }

    /// The states a load may give: the store's, and those of its journal's prefixes.
    static let expected: Expected = {
        let entries = journal()
        var state = State()
        var states: [Int64: String] = [0: state.snapshotText()]
        for entry in entries {
            do { try state.apply(entry) } catch { fatalError("store fuzz fixture: \(error)") }
            states[entry.seq] = state.snapshotText()
        }
        return Expected(states: states, lastSeq: state.lastSeq)
    }()

    /// The entries the seed store holds: the fixture's requests, a snapshot seal, a few more.
    static func journal() -> [Entry] {
        let engine = Engine(clock: .fixed(EngineFuzz.now))
        var entries: [Entry] = []
        func run(_ lines: [String]) {
            for line in lines {
                let outcome = engine.handle(line: line, actor: "officer")
                if case .error(let code, let message) = outcome.reply { fatalError("store fuzz fixture: \(line) → \(code) \(message)") }
                entries += outcome.entries
            }
        }
        run(EngineFuzz.fixtureLines)
        let seal = SnapshotSeal(snapshotSeq: engine.state.lastSeq, text: engine.state.snapshotText())
        entries.append(engine.record(seal.event))
        run(afterSnapshot)
        return entries
    }

    static let logger = Logger(label: "fuzz.store", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A directory of this process's own for the database file, removed when it exits.
    static let directory: String = {
        let temporary = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(temporary)/reliefd-fuzz-store.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { fatalError("mkdtemp failed") }
        atexit {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(StoreFuzz.directory + "/reliefd.db" + suffix) }
            rmdir(StoreFuzz.directory)
        }
        return String(cString: made)
    }()

    /// Writes the seed store to `path`: what `ReliefFuzz store --make-seed FILE` runs.
    static func makeStore(at path: String) throws {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        let store = SQLiteJournal(path: path, logger: logger)
        _ = try store.load()
        let entries = journal()
        guard let sealIndex = entries.firstIndex(where: { if case .snapshotSealed = $0.event { true } else { false } }),
              case .snapshotSealed(let seq, _, _) = entries[sealIndex].event else { fatalError("no seal") }
        try store.commit(Array(entries[..<sealIndex]))
        var state = State()
        try state.apply(Array(entries[..<sealIndex]))
        precondition(state.lastSeq == seq)
        try store.writeSnapshot(seq: seq, text: state.snapshotText())
        try store.commit(Array(entries[sealIndex...]))
        store.close()
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        let path = directory + "/reliefd.db"
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(path + suffix) }
        guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
        if input.count > 0 { fwrite(input.baseAddress, 1, input.count, file) }
        fclose(file)

        let store = SQLiteJournal(path: path, logger: logger)
        defer { store.close() }
        let state: State
        do {
            state = try store.load()
        } catch let error as StoreError {
            if error.message.isEmpty { Fuzz.fail("store refused without a message", input) }
            if Fuzz.tracing { print("store: refused: \(error.message)") }
            return
        } catch {
            Fuzz.fail("load threw \(error), not a StoreError", input)
        }
        // An empty file is a new store: reliefd creates one where none is.
        if input.isEmpty {
            if state.lastSeq != 0 { Fuzz.fail("an empty file loads with seq \(state.lastSeq)", input) }
            return
        }
        let text = state.snapshotText()
        guard let wanted = expected.states[state.lastSeq] else {
            Fuzz.fail("a damaged store loads at seq \(state.lastSeq), which its journal never had", input)
        }
        if text != wanted { Fuzz.fail("a damaged store loads a state the journal never had at seq \(state.lastSeq):\n\(text)", input) }
        if Fuzz.tracing { print("store: loaded the state at seq \(state.lastSeq) of \(expected.lastSeq)") }
    }
}
