/// Journal body of `snapshot.sealed` (a case of `Event`, see Event.swift).
///
/// Snapshots live outside the hash chain (they are rewritten and pruned), so a snapshot proves
/// nothing by itself. Once one is stored, the server journals its digest as an ordinary entry,
/// chained like every other; a loader trusts a snapshot only when its stored bytes hash to the
/// digest sealed in the journal (docs/storage.md "Snapshot seals").
extension Event {
    var sealBody: FlatJSON? {
        guard case .snapshotSealed(let seq, let format, let sha256) = self else { return nil }
        var json = FlatJSON()
        json.set("snapshot", seq); json.set("format", format); json.set("sha256", sha256)
        return json
    }

    static func decodeSeal(kind: Kind.Seal, body: FlatJSON) throws -> Event {
        let seq = try body.int("snapshot")
        guard seq > 0 else { throw FlatJSON.DecodingError.invalid("snapshot=\(seq)") }
        let sha256 = try body.string("sha256")
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw FlatJSON.DecodingError.invalid("sha256=\(sha256)")
        }
        return .snapshotSealed(seq: seq, format: try body.string("format"), sha256: sha256)
    }
}
