// Target `journal`: what the daemon reads back from its store at start-up — a journal entry (its
// `kind` and flat JSON `body`, decoded by FlatJSON and Event(kind:body:)) and a snapshot
// (State(snapshotText:)).
//
// An input starting with byte 0x01 is snapshot text (the rest of it); any other input is a journal
// entry: its kind, LF, its body. RELIEF_FUZZ_DUMP=DIR with the engine target writes real entries
// and snapshots in this form (Tests/Fuzz/README.md).
//
// Checked, besides "does not crash":
// - damaged input throws an error that says what is wrong (a malformed offset inside the body);
// - a body that decodes encodes to JSON that decodes to the same body;
// - an entry that decodes has the kind it was read with, and its event encodes to a body that
//   decodes to the same event;
// - applied to a small state (the engine target's fixture), a decoded entry is either refused with
//   InvariantViolation, leaving the state exactly as it was, or applied: never a trap (replay at
//   start-up applies whatever a damaged journal holds);
// - a snapshot that loads gives a state whose invariant check runs (it is what start-up refuses a
//   damaged store with), and whose own snapshot loads back to the same text.

import ReliefCore

enum JournalFuzz {
    static let target = FuzzTarget(name: "journal", summary: "journal entries (FlatJSON, Event) and snapshots (State(snapshotText:))",
                                   maxLength: 16_384) { bytes in run(Array(bytes)) }

    static func run(_ input: [UInt8]) {
        if input.first == 0x01 {
            checkSnapshot(Array(input.dropFirst()), input)
            return
        }
        let newline = input.firstIndex(of: 0x0A) ?? input.count
        let kind = String(decoding: input[..<newline], as: UTF8.self)
        let body = Array(input[min(newline + 1, input.count)...])
        checkEntry(kind: kind, body: body, input)
    }

    static func checkEntry(kind: String, body bytes: [UInt8], _ input: [UInt8]) {
        let body: FlatJSON
        do {
            body = try bytes.withUnsafeBytes { try FlatJSON.decode($0) }
        } catch let error as FlatJSON.DecodingError {
            if case .malformed(let offset) = error, offset < 0 || offset > bytes.count {
                Fuzz.fail("malformed at byte \(offset) of \(bytes.count)", input)
            }
            if error.description.isEmpty { Fuzz.fail("decoding error without a description", input) }
            return
        } catch {
            Fuzz.fail("FlatJSON.decode threw \(error)", input)
        }
        let encoded = body.encoded()
        do {
            let again = try FlatJSON.decode(encoded)
            if again != body { Fuzz.fail("body encodes to \(encoded), which decodes differently", input) }
        } catch {
            Fuzz.fail("body encodes to \(encoded), which does not decode: \(error)", input)
        }

        let event: Event
        do {
            event = try Event(kind: kind, body: body)
        } catch {
            if "\(error)".isEmpty { Fuzz.fail("event decoding error without a description", input) }
            return
        }
        if event.kind != kind { Fuzz.fail("read as \(kind), decoded as \(event.kind)", input) }
        let written = event.body.encoded()
        do {
            let again = try Event(kind: event.kind, body: try FlatJSON.decode(written))
            if again != event { Fuzz.fail("\(kind) encodes to \(written), which decodes differently:\n  \(event)\n  \(again)", input) }
        } catch {
            Fuzz.fail("\(kind) encodes to \(written), which does not decode: \(error)", input)
        }
        checkApply(event, input)
    }

    /// Replay applies whatever the journal holds: a damaged entry is refused, never a trap.
    static func checkApply(_ event: Event, _ input: [UInt8]) {
        var state = EngineFuzz.fixture.state
        let entry = Entry(seq: state.lastSeq + 1, time: EngineFuzz.now, actor: "fuzz", event: event)
        do {
            try state.apply(entry)
        } catch is InvariantViolation {
            if state.lastSeq != EngineFuzz.fixture.state.lastSeq || state.snapshotText() != EngineFuzz.fixtureSnapshot {
                Fuzz.fail("a refused entry changed the state: \(event)", input)
            }
            return
        } catch {
            Fuzz.fail("apply threw \(error), not an InvariantViolation", input)
        }
        // What start-up checks after replay; a broken invariant is refused there with its sentence.
        _ = state.invariantViolations()
    }

    static func checkSnapshot(_ bytes: [UInt8], _ input: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let state: State
        do {
            state = try State(snapshotText: text)
        } catch {
            if "\(error)".isEmpty { Fuzz.fail("snapshot error without a description", input) }
            return
        }
        let problems = state.invariantViolations()
        let written = state.snapshotText()
        do {
            let again = try State(snapshotText: written)
            if again.snapshotText() != written {
                Fuzz.fail("a loaded snapshot, written again, loads differently:\n  \(written)\n  \(again.snapshotText())", input)
            }
        } catch {
            // A damaged state (start-up refuses it by its invariants) may not write a snapshot that loads.
            if problems.isEmpty { Fuzz.fail("a sound loaded snapshot, written again, does not load: \(error)\n\(written)", input) }
        }
    }
}
