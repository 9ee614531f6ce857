/// The DIMACS min-cost-flow formats, so the solver can be checked against published instances and
/// other solvers.
///
/// Problem files:
///
///     c a comment
///     p min NODES ARCS
///     n ID FLOW                    supply (> 0) or demand (< 0) of node ID; nodes not listed have 0
///     a SRC DST LOW CAP COST       arc with lower bound LOW, capacity CAP, cost COST per unit
///
/// Node ids are 1-based. A capacity of 9223372036854775807 (Int64.max) means unlimited. Lower
/// bounds are removed the usual way: LOW units are sent up front (SRC's supply falls by LOW, DST's
/// rises by LOW, the capacity by LOW), and added back to the flows and the cost afterwards. The
/// magnitudes of all supplies and lower bounds together must fit in an Int64, so that no order of
/// the lines can overflow a node's supply (and a file DIMACS.format writes reads back).
///
/// Solution files: `s COST` then `f SRC DST FLOW` per arc with non-zero flow, in arc order.

import ReliefLimits
public enum DIMACS {
    /// Largest NODES and ARCS a problem line may declare (the file is read before anything is
    /// allocated for them, but a typo must not ask for terabytes).
    public static let maxNodes = Limits.dimacsNodes
    public static let maxArcs = Limits.dimacsArcs
    /// The shortest arc line, `a 1 1 0 0 0` and its line end: what is reserved for the declared
    /// arcs is bounded by what the file can hold, so a short file declaring many arcs asks for little.
    static let shortestArcLine = 12

    // MARK: Problems

    public static func parse(_ text: String) throws(DIMACSError) -> DIMACSInstance {
        var copy = text
        return try copy.withUTF8 { bytes in Result { () throws(DIMACSError) in try parse(bytes) } }.get()
    }

    public static func parse(_ bytes: [UInt8]) throws(DIMACSError) -> DIMACSInstance {
        try bytes.withUnsafeBufferPointer { buffer in Result { () throws(DIMACSError) in try parse(buffer) } }.get()
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(DIMACSError) -> DIMACSInstance {
        var reader = LineReader(bytes)
        var network = FlowNetwork(nodeCount: 0)
        var hasProblem = false
        var declaredArcs = 0
        var problemLine = 0
        var supplyLine: [Int: Int] = [:]
        var lower: [Int64] = []
        var hasLowerBounds = false
        var offset: Int64 = 0
        /// Σ |supply| + Σ lower bound so far: while it fits in an Int64, no node's supply can overflow,
        /// whatever the order of the lines.
        var magnitude: Int64 = 0

        while reader.nextLine() {
            let line = reader.lineNumber
            switch reader.kind() {
            case .blank, .letter(UInt8(ascii: "c")):
                continue
            case .letter(UInt8(ascii: "p")):
                guard !hasProblem else {
                    throw DIMACSError(line: line, "a second problem line (the first is line \(problemLine))")
                }
                let format = reader.token()
                guard format.count == 3, format.elementsEqual("min".utf8) else {
                    throw DIMACSError(line: line, "expected 'p min NODES ARCS' (a min-cost-flow problem)")
                }
                let nodes = try reader.number(line, "NODES in 'p min NODES ARCS'")
                let arcs = try reader.number(line, "ARCS in 'p min NODES ARCS'")
                try reader.end(line, "'p min NODES ARCS'")
                guard nodes >= 0 && nodes <= Int64(min(maxNodes, FlowNetwork.maxNodes)) else {
                    throw DIMACSError(line: line, "NODES \(nodes) is outside 0...\(min(maxNodes, FlowNetwork.maxNodes))")
                }
                guard arcs >= 0 && arcs <= Int64(min(maxArcs, FlowNetwork.maxArcs)) else {
                    throw DIMACSError(line: line, "ARCS \(arcs) is outside 0...\(min(maxArcs, FlowNetwork.maxArcs))")
                }
                network = FlowNetwork(nodeCount: Int(nodes))
                let room = min(Int(arcs), bytes.count / shortestArcLine + 1)
                network.reserveCapacity(arcs: room)
                hasProblem = true
                lower.reserveCapacity(room)
                declaredArcs = Int(arcs)
                problemLine = line
            case .letter(UInt8(ascii: "n")):
                guard hasProblem else { throw DIMACSError(line: line, "node line before the 'p min NODES ARCS' line") }
                let id = try reader.number(line, "ID in 'n ID FLOW'")
                let amount = try reader.number(line, "FLOW in 'n ID FLOW'")
                try reader.end(line, "'n ID FLOW'")
                let node = try nodeIndex(id, line: line, count: network.nodeCount)
                if let first = supplyLine[node] {
                    throw DIMACSError(line: line, "node \(id) already has a supply on line \(first)")
                }
                supplyLine[node] = line
                guard let size = Int64(exactly: amount.magnitude), case (let total, false) = magnitude.addingReportingOverflow(size) else {
                    throw DIMACSError(line: line, "supply \(amount): supplies and lower bounds add up to more than \(Int64.max)")
                }
                magnitude = total
                network.setSupply(of: node, to: network.supply[node] + amount)
            case .letter(UInt8(ascii: "a")):
                guard hasProblem else { throw DIMACSError(line: line, "arc line before the 'p min NODES ARCS' line") }
                let from = try reader.number(line, "SRC in 'a SRC DST LOW CAP COST'")
                let to = try reader.number(line, "DST in 'a SRC DST LOW CAP COST'")
                let low = try reader.number(line, "LOW in 'a SRC DST LOW CAP COST'")
                let capacity = try reader.number(line, "CAP in 'a SRC DST LOW CAP COST'")
                let cost = try reader.number(line, "COST in 'a SRC DST LOW CAP COST'")
                try reader.end(line, "'a SRC DST LOW CAP COST'")
                guard network.arcCount < declaredArcs else {
                    throw DIMACSError(line: line, "more arc lines than the \(declaredArcs) declared on line \(problemLine)")
                }
                let source = try nodeIndex(from, line: line, count: network.nodeCount)
                let target = try nodeIndex(to, line: line, count: network.nodeCount)
                guard low >= 0 else { throw DIMACSError(line: line, "lower bound \(low) is negative") }
                guard capacity >= low else { throw DIMACSError(line: line, "capacity \(capacity) is below the lower bound \(low)") }
                if low > 0 {
                    hasLowerBounds = true
                    guard case (let total, false) = magnitude.addingReportingOverflow(low) else {
                        throw DIMACSError(line: line, "lower bound \(low): supplies and lower bounds add up to more than \(Int64.max)")
                    }
                    let (fixed, overflowCost) = low.multipliedReportingOverflow(by: cost)
                    let (costTotal, overflowTotal) = offset.addingReportingOverflow(fixed)
                    guard !overflowCost && !overflowTotal else {
                        throw DIMACSError(line: line, "lower bound \(low) times cost \(cost) overflows the 64-bit cost")
                    }
                    magnitude = total
                    network.setSupply(of: source, to: network.supply[source] - low)
                    network.setSupply(of: target, to: network.supply[target] + low)
                    offset = costTotal
                }
                let remaining = capacity == FlowNetwork.unlimited ? capacity : capacity - low
                network.addArc(from: source, to: target, capacity: remaining, cost: cost)
                lower.append(low)
            case .letter(let other):
                throw DIMACSError(line: line, "expected a line starting with c, p, n or a, found '\(Character(Unicode.Scalar(other)))'")
            case .other:
                throw DIMACSError(line: line, "expected a line starting with c, p, n or a, found '\(reader.firstField)'")
            }
        }
        guard hasProblem else { throw DIMACSError(line: reader.lineNumber, "no 'p min NODES ARCS' line") }
        guard network.arcCount == declaredArcs else {
            throw DIMACSError(line: reader.lineNumber,
                              "\(network.arcCount) arc lines, but line \(problemLine) declares \(declaredArcs)")
        }
        return DIMACSInstance(network: network, lowerBounds: hasLowerBounds ? lower : [], costOffset: offset)
    }

    private static func nodeIndex(_ id: Int64, line: Int, count: Int) throws(DIMACSError) -> Int {
        guard id >= 1 && id <= Int64(count) else {
            throw DIMACSError(line: line, "node \(id) is outside 1...\(count)")
        }
        return Int(id - 1)
    }

    /// The problem file of `instance` (lower bounds put back).
    public static func format(_ instance: DIMACSInstance, comments: [String] = []) -> [UInt8] {
        let network = instance.network
        var out: [UInt8] = []
        out.reserveCapacity(64 + network.nodeCount * 12 + network.arcCount * 28)
        for comment in comments {
            out.append(contentsOf: "c ".utf8)
            out.append(contentsOf: comment.utf8.filter { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") })
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: "p min ".utf8)
        appendNumber(Int64(network.nodeCount), to: &out)
        out.append(UInt8(ascii: " "))
        appendNumber(Int64(network.arcCount), to: &out)
        out.append(UInt8(ascii: "\n"))
        let supply = instance.originalSupply()
        for node in 0..<network.nodeCount where supply[node] != 0 {
            out.append(contentsOf: "n ".utf8)
            appendNumber(Int64(node + 1), to: &out)
            out.append(UInt8(ascii: " "))
            appendNumber(supply[node], to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        for arc in 0..<network.arcCount {
            let low = instance.lowerBound(arc)
            let capacity = network.arcCapacity[arc]
            out.append(contentsOf: "a ".utf8)
            appendNumber(Int64(network.arcSource[arc]) + 1, to: &out)
            out.append(UInt8(ascii: " "))
            appendNumber(Int64(network.arcTarget[arc]) + 1, to: &out)
            out.append(UInt8(ascii: " "))
            appendNumber(low, to: &out)
            out.append(UInt8(ascii: " "))
            appendNumber(capacity == FlowNetwork.unlimited ? capacity : capacity + low, to: &out)
            out.append(UInt8(ascii: " "))
            appendNumber(network.arcCost[arc], to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    // MARK: Solutions

    /// `s COST` and one `f SRC DST FLOW` line per arc with non-zero flow, for an optimal solution
    /// of `instance` (flows and cost with the lower bounds added back).
    public static func formatSolution(_ instance: DIMACSInstance, _ solution: FlowSolution) -> [UInt8] {
        precondition(solution.status == .optimal, "only an optimal solution has a DIMACS solution file")
        let network = instance.network
        var out: [UInt8] = []
        out.append(contentsOf: "s ".utf8)
        appendNumber(instance.cost(of: solution) ?? solution.cost, to: &out)
        out.append(UInt8(ascii: "\n"))
        let flows = instance.flows(of: solution)
        for arc in 0..<network.arcCount where flows[arc] != 0 {
            out.append(contentsOf: "f ".utf8)
            appendNumber(Int64(network.arcSource[arc]) + 1, to: &out)
            out.append(UInt8(ascii: " "))
            appendNumber(Int64(network.arcTarget[arc]) + 1, to: &out)
            out.append(UInt8(ascii: " "))
            appendNumber(flows[arc], to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    public static func parseSolution(_ text: String) throws(DIMACSError) -> DIMACSSolution {
        var copy = text
        return try copy.withUTF8 { bytes in Result { () throws(DIMACSError) in try parseSolution(bytes) } }.get()
    }

    public static func parseSolution(_ bytes: [UInt8]) throws(DIMACSError) -> DIMACSSolution {
        try bytes.withUnsafeBufferPointer { buffer in Result { () throws(DIMACSError) in try parseSolution(buffer) } }.get()
    }

    public static func parseSolution(_ bytes: UnsafeBufferPointer<UInt8>) throws(DIMACSError) -> DIMACSSolution {
        var reader = LineReader(bytes)
        var cost: Int64?
        var costLine = 0
        var flows: [DIMACSSolution.Flow] = []
        while reader.nextLine() {
            let line = reader.lineNumber
            switch reader.kind() {
            case .blank, .letter(UInt8(ascii: "c")):
                continue
            case .letter(UInt8(ascii: "s")):
                guard cost == nil else { throw DIMACSError(line: line, "a second cost line (the first is line \(costLine))") }
                cost = try reader.number(line, "COST in 's COST'")
                try reader.end(line, "'s COST'")
                costLine = line
            case .letter(UInt8(ascii: "f")):
                let from = try reader.number(line, "SRC in 'f SRC DST FLOW'")
                let to = try reader.number(line, "DST in 'f SRC DST FLOW'")
                let amount = try reader.number(line, "FLOW in 'f SRC DST FLOW'")
                try reader.end(line, "'f SRC DST FLOW'")
                flows.append(DIMACSSolution.Flow(source: from, target: to, flow: amount))
            case .letter(let other):
                throw DIMACSError(line: line, "expected a line starting with c, s or f, found '\(Character(Unicode.Scalar(other)))'")
            case .other:
                throw DIMACSError(line: line, "expected a line starting with c, s or f, found '\(reader.firstField)'")
            }
        }
        guard let cost else { throw DIMACSError(line: reader.lineNumber, "no 's COST' line") }
        return DIMACSSolution(cost: cost, flows: flows)
    }

    // MARK: Numbers

    static func appendNumber(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        let start = out.count
        var magnitude = value.magnitude
        while magnitude > 0 {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        }
        out[start...].reverse()
    }
}

/// A parsed problem file: the network with lower bounds removed, and what it takes to put them back.
public struct DIMACSInstance: Sendable, Equatable {
    /// The network to solve: lower bounds already sent (supplies and capacities adjusted).
    public var network: FlowNetwork
    /// Lower bound of each arc as in the file; empty when every arc's is 0.
    public var lowerBounds: [Int64]
    /// Σ lower bound × cost: the cost of the flow sent up front.
    public var costOffset: Int64

    public init(network: FlowNetwork, lowerBounds: [Int64] = [], costOffset: Int64 = 0) {
        precondition(lowerBounds.isEmpty || lowerBounds.count == network.arcCount)
        self.network = network
        self.lowerBounds = lowerBounds
        self.costOffset = costOffset
    }

    public func lowerBound(_ arc: Int) -> Int64 { lowerBounds.isEmpty ? 0 : lowerBounds[arc] }

    /// Flow on each arc of the file's instance: the solved flow plus the lower bound.
    public func flows(of solution: FlowSolution) -> [Int64] {
        guard !lowerBounds.isEmpty else { return solution.flow }
        return zip(solution.flow, lowerBounds).map { $0 + $1 }
    }

    /// Cost of the file's instance, or nil when it does not fit in an Int64.
    public func cost(of solution: FlowSolution) -> Int64? {
        let (total, overflow) = solution.cost.addingReportingOverflow(costOffset)
        return overflow ? nil : total
    }

    /// Supplies as the file gave them (before the lower bounds were sent). Added back in 128 bits:
    /// in arc order, a node's running sum may pass Int64 even though where it ends does.
    public func originalSupply() -> [Int64] {
        guard !lowerBounds.isEmpty else { return network.supply }
        var supply = network.supply.map { Int128($0) }
        for arc in 0..<network.arcCount where lowerBounds[arc] != 0 {
            supply[Int(network.arcSource[arc])] += Int128(lowerBounds[arc])
            supply[Int(network.arcTarget[arc])] -= Int128(lowerBounds[arc])
        }
        return supply.map { Int64(exactly: $0)! }
    }
}

/// A parsed solution file. Node ids stay 1-based, as in the file.
public struct DIMACSSolution: Sendable, Equatable {
    public struct Flow: Sendable, Equatable {
        public var source: Int64
        public var target: Int64
        public var flow: Int64
        public init(source: Int64, target: Int64, flow: Int64) {
            self.source = source
            self.target = target
            self.flow = flow
        }
    }

    public var cost: Int64
    public var flows: [Flow]

    public init(cost: Int64, flows: [Flow]) {
        self.cost = cost
        self.flows = flows
    }
}

/// What is wrong with a DIMACS file, and on which line (1-based).
public struct DIMACSError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Lines and whitespace-separated fields of a byte buffer, without copying it.
struct LineReader {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Start of the next line.
    var next = 0
    /// Cursor and end of the current line.
    var cursor = 0
    var end = 0
    private(set) var lineNumber = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func nextLine() -> Bool {
        guard next < bytes.count else { return false }
        lineNumber += 1
        cursor = next
        var index = next
        while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
        end = index
        next = index + 1
        return true
    }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    private mutating func skipSpaces() {
        while cursor < end && LineReader.isSpace(bytes[cursor]) { cursor += 1 }
    }

    /// The next field, possibly empty at the end of the line.
    mutating func token() -> UnsafeBufferPointer<UInt8> {
        skipSpaces()
        let start = cursor
        while cursor < end && !LineReader.isSpace(bytes[cursor]) { cursor += 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<cursor])
    }

    enum Kind: Equatable {
        case blank
        /// A one-letter first field (c, p, n, a, s, f), or any field starting with c: comments are
        /// sometimes written `c...` without a space.
        case letter(UInt8)
        case other
    }

    /// The first field of the current line, for error messages.
    private(set) var firstField = ""

    /// What kind of line this is, by its first field.
    mutating func kind() -> Kind {
        skipSpaces()
        guard cursor < end else { return .blank }
        if bytes[cursor] == UInt8(ascii: "c") { return .letter(UInt8(ascii: "c")) }
        let field = token()
        if field.count == 1 { return .letter(field[0]) }
        firstField = String(decoding: field.prefix(40), as: UTF8.self)
        return .other
    }

    /// The next field as a decimal Int64.
    mutating func number(_ line: Int, _ what: String) throws(DIMACSError) -> Int64 {
        let field = token()
        guard !field.isEmpty else { throw DIMACSError(line: line, "expected \(what), found the end of the line") }
        var index = 0
        var negative = false
        if field[0] == UInt8(ascii: "-") || field[0] == UInt8(ascii: "+") {
            negative = field[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < field.count else { throw DIMACSError(line: line, "expected \(what), found '\(String(decoding: field, as: UTF8.self))'") }
        var value: Int64 = 0
        while index < field.count {
            let digit = field[index] &- UInt8(ascii: "0")
            guard digit < 10 else {
                throw DIMACSError(line: line, "expected \(what) as a whole number, found '\(String(decoding: field, as: UTF8.self))'")
            }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            guard !overflowTimes && !overflowSum else {
                throw DIMACSError(line: line, "\(what) '\(String(decoding: field, as: UTF8.self))' does not fit in a 64-bit integer")
            }
            value = sum
            index += 1
        }
        return value
    }

    /// Nothing may follow the last field.
    mutating func end(_ line: Int, _ form: String) throws(DIMACSError) {
        let extra = token()
        guard extra.isEmpty else {
            throw DIMACSError(line: line, "unexpected '\(String(decoding: extra, as: UTF8.self))' after \(form)")
        }
    }
}
