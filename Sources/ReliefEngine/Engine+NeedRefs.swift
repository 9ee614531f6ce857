import ReliefCore
import ReliefProtocol

/// Client references of needs (`need add … ref=NAME`, `need estimate … accept ref=PREFIX`): a
/// script or a drill scenario names what it creates and refers to it later by that name, without
/// reading back the id the daemon gave. Every command that takes a need id takes a ref too
/// (`Engine.need`).
extension Arguments {
    /// An identifier that is not shaped like a need id, so that a word naming a need is one or the
    /// other and never both.
    static func needRef(_ text: String) throws -> String {
        let ref = try identifier(text, "ref")
        guard !Need.looksLikeID(ref) else {
            throw Refusal(.syntax, "bad ref \"\(text)\"; N- followed by digits is how the daemon names needs, expected a name of another form such as water-east")
        }
        return ref
    }
}

extension Engine {
    /// Refs are never reused: not even the ref of a need since cancelled or met is free again, so a
    /// name in an old script or report always means the same need.
    func checkRefIsNew(_ ref: String) throws {
        if let other = state.needByRef[ref] {
            throw Refusal(.conflict, "ref \(ref) is need \(other) already; refs are never reused, expected a new one")
        }
    }

    /// Line index → `PREFIX-ITEM` (`PREFIX-ITEM-dK` for day K of a daily standard) for every line
    /// `need estimate … accept` adds; refused, naming the first problem, when one of them is not a
    /// usable ref, two standards would add the same item (and so the same ref), or one is taken
    /// already.
    func estimateRefs(prefix: String, lines: [NeedEstimateLine]) throws -> [Int: String] {
        var refs: [Int: String] = [:]
        var standardOf: [String: String] = [:]
        for (index, line) in lines.enumerated() where line.proposed > 0 {
            let item = line.standard.item, ref = prefix + "-" + item + (line.day.map { "-d\($0)" } ?? "")
            guard Arguments.isIdentifier(ref) else {
                throw Refusal(.syntax, "bad ref prefix \"\(prefix)\": the ref \(ref) for item \(item) is longer than 64 bytes; expected a shorter prefix")
            }
            guard !Need.looksLikeID(ref) else {
                throw Refusal(.syntax, "bad ref prefix \"\(prefix)\": the ref \(ref) for item \(item) looks like a need id; expected another prefix")
            }
            if let other = standardOf[item], other != line.standard.name {
                throw Refusal(.conflict, "standards \(other) and \(line.standard.name) both add item \(item), so both needs would get ref \(ref); nothing added, add them without ref= or one at a time with need add … ref=")
            }
            if let need = state.needByRef[ref] {
                throw Refusal(.conflict, "ref \(ref) is need \(need) already; refs are never reused, nothing added, expected another prefix")
            }
            standardOf[item] = line.standard.name
            refs[index] = ref
        }
        return refs
    }
}
