import ReliefCore
import ReliefProtocol

/// Planning standards for `need estimate`: how much of something a person needs (per day, or once)
/// and which catalog item supplies it, e.g. the Sphere minimums — 15 L of water and 2,100 kcal per
/// person per day, 3.5 m² of covered space per person, one latrine per 50 people at first.
/// Read from the file `planning_file` names (config/planning/sphere.standards): one standard per
/// line, written like a request, `NAME amount=15 unit=L per=person-day item=water-5l content=5 …`.
public struct PlanningStandards: Sendable, Equatable {
    public struct Standard: Sendable, Equatable {
        public var name: String
        /// Thousandths of `unit` one person (or one group of `people`) needs.
        public var amountMilli: Int64
        public var unit: String
        /// Needed every day (water, food) or once (shelter, latrines).
        public var daily: Bool
        /// The amount is for this many people (1, or 50 for one latrine per 50 people).
        public var people: Int64
        public var item: String
        /// Thousandths of `unit` one item holds (a 5 L bottle holds 5000 thousandths of a litre).
        public var contentMilli: Int64
        /// Priority of the needs `need estimate … accept` adds.
        public var priority: Int
        public var source: String?
    }

    public var standards: [Standard]

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public init(standards: [Standard]) { self.standards = standards }

    /// Parses the standards file; a problem names its line and what was expected.
    public init(text: String, name: String) throws {
        standards = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(inSet: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            func problem(_ message: String) -> Problem { Problem(description: "\(name):\(index + 1): \(message)") }
            let request: Request
            switch RequestParser.parse(line) {
            case .success(let parsed): request = parsed
            case .failure(let error): throw problem(error.message)
            }
            guard request.words.count == 1, Arguments.isIdentifier(request.words[0]) else {
                throw problem("expected one standard name followed by key=value options, found \"\(line)\"")
            }
            let allowed: Set<String> = ["amount", "unit", "per", "people", "item", "content", "priority", "source"]
            if let unknown = request.options.first(where: { !allowed.contains($0.key) }) {
                throw problem("unknown option \(unknown.key)=; expected " + allowed.sorted().map { $0 + "=" }.joined(separator: " "))
            }
            func required(_ key: String) throws -> String {
                guard let value = request.option(key), !value.isEmpty else { throw problem("missing \(key)=") }
                return value
            }
            let standardName = request.words[0]
            guard !standards.contains(where: { $0.name == standardName }) else { throw problem("standard \(standardName) given twice") }
            guard let amount = PlanningStandards.milli(try required("amount")) else {
                throw problem("bad amount \"\(request.option("amount")!)\"; expected a positive number with up to 3 decimals, such as 15 or 3.5")
            }
            guard let content = PlanningStandards.milli(try required("content")) else {
                throw problem("bad content \"\(request.option("content")!)\"; expected a positive number with up to 3 decimals")
            }
            let daily: Bool
            switch try required("per") {
            case "person-day": daily = true
            case "person": daily = false
            case let other: throw problem("bad per \"\(other)\"; expected person-day (needed every day) or person (needed once)")
            }
            var people: Int64 = 1
            if let text = request.option("people") {
                guard let value = Int64(text), value >= 1, value <= 1_000_000 else {
                    throw problem("bad people \"\(text)\"; expected a whole number from 1 to 1000000")
                }
                people = value
            }
            var priority = 3
            if let text = request.option("priority") {
                guard let value = Int(text), Need.priorities.contains(value) else { throw problem("bad priority \"\(text)\"; expected 1 to 5") }
                priority = value
            }
            let item = try required("item")
            guard Arguments.isIdentifier(item) else { throw problem("bad item \"\(item)\"; expected a catalog sku") }
            standards.append(Standard(name: standardName, amountMilli: amount, unit: try required("unit"), daily: daily, people: people,
                                      item: item, contentMilli: content, priority: priority, source: request.option("source")))
        }
        guard !standards.isEmpty else { throw Problem(description: "\(name): no standards; expected lines such as: water amount=15 unit=L per=person-day item=water-5l content=5") }
    }

    /// `15` → 15000, `3.5` → 3500, `0.125` → 125; nil for anything else, zero or above 10^9.
    static func milli(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0]), whole >= 0, whole <= 1_000_000_000, parts[0].allSatisfy(\.isNumber) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy(\.isNumber), let value = Int64(digits) else { return nil }
            fraction = value * [100, 10, 1][digits.count - 1]
        }
        let total = whole * 1000 + fraction
        return total > 0 ? total : nil
    }

    /// 15000 → "15", 3500 → "3.5".
    static func decimal(_ milli: Int64) -> String {
        let whole = milli / 1000, fraction = milli % 1000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}

/// One line of a needs estimate: what a standard asks for the incident's people, in whole packs of
/// its catalog item, less what the incident already needs of that item. A daily standard estimated
/// over more than one day gives a line a day (`day` of `days`), each the quantity of one day.
public struct NeedEstimateLine: Sendable, Equatable {
    public var standard: PlanningStandards.Standard
    /// Items the standard asks for, rounded up to whole packs (nil when the item is not in the catalog
    /// or the number is too large); for a line of one day, that day's.
    public var quantity: Int64?
    public var packs: Int64?
    /// What open needs of the incident already ask of the item (for a line of one day: the part of
    /// them counted against that day, the earliest days first).
    public var alreadyNeeded: Int64
    /// quantity − already needed, rounded up to whole packs; what `accept` adds.
    public var proposed: Int64
    /// The arithmetic, in words.
    public var basis: String
    /// Why nothing can be proposed (item missing from the catalog, …).
    public var note: String?
    /// Day k of `days` of a daily standard phased into one need a day; nil for a standard needed
    /// once, or an estimate of one day.
    public var day: Int?
    public var days: Int?

    /// `2/3`, or empty for a line that is not one day of several.
    public var dayText: String {
        guard let day, let days else { return "" }
        return "\(day)/\(days)"
    }
}

extension State {
    /// What `standards` ask for `people` over `days`, for `incident` (whose open supply needs count
    /// as already needed). A daily standard over more than one day is phased: a line a day, each
    /// the quantity of one day, with what is already needed counted against the earliest days.
    /// Pure: the same state and arguments give the same lines.
    public func estimateNeeds(incident: String, people: Int64, days: Int, standards: PlanningStandards) -> [NeedEstimateLine] {
        standards.standards.flatMap { standard -> [NeedEstimateLine] in
            let already = openSupplyAmount(incident: incident, sku: standard.item)
            let phased = standard.daily && days > 1
            // A phased standard is reckoned for one day.
            let factor = Int128(standard.daily && !phased ? days : 1)
            let amount = PlanningStandards.decimal(standard.amountMilli), content = PlanningStandards.decimal(standard.contentMilli)
            var basis = standard.people == 1 ? "\(amount) \(standard.unit) per person" : "\(amount) \(standard.unit) per \(standard.people) people"
            basis += " × \(people) people" + (standard.daily ? (phased ? " × 1 day" : " × \(days) days") : "")
            let totalMilli = Int128(standard.amountMilli) * Int128(people) * factor
            let total = (totalMilli + Int128(standard.people) - 1) / Int128(standard.people)
            basis += " = \(PlanningStandards.decimal(Int64(clamping: total))) \(standard.unit)"
            func refused(_ note: String) -> [NeedEstimateLine] {
                [NeedEstimateLine(standard: standard, quantity: nil, packs: nil, alreadyNeeded: already, proposed: 0, basis: basis, note: note)]
            }
            guard let item = items[standard.item] else {
                return refused("item \(standard.item) not in the catalog; add it with item add, or map \(standard.name) to another item in the planning standards")
            }
            let units = (total + Int128(standard.contentMilli) - 1) / Int128(standard.contentMilli)
            let packs = (units + Int128(item.packSize) - 1) / Int128(item.packSize)
            let quantity = packs * Int128(item.packSize)
            // All days together within the maximum, as one need of them all would be.
            guard quantity * Int128(phased ? days : 1) <= Int128(Quantity.maximum) else {
                return refused("more than \(Quantity.maximum) \(item.unit)" + (phased ? " in \(days) days" : "")
                               + ", the most one need may ask for; check the people affected")
            }
            basis += " ÷ \(content) \(standard.unit) per \(item.unit) = \(units) \(item.unit)"
            if item.packSize > 1 { basis += " = \(packs) packs of \(item.packSize)" }
            func proposal(_ missing: Int64) -> Int64 { (missing + item.packSize - 1) / item.packSize * item.packSize }
            guard phased else {
                return [NeedEstimateLine(standard: standard, quantity: Int64(quantity), packs: Int64(packs), alreadyNeeded: already,
                                         proposed: proposal(max(0, Int64(quantity) - already)), basis: basis, note: nil)]
            }
            var uncounted = already
            return (1...days).map { day in
                let counted = min(uncounted, Int64(quantity))
                uncounted -= counted
                return NeedEstimateLine(standard: standard, quantity: Int64(quantity), packs: Int64(packs), alreadyNeeded: counted,
                                        proposed: proposal(Int64(quantity) - counted), basis: basis, note: nil, day: day, days: days)
            }
        }
    }
}

extension Substring {
    func trimmingCharacters(inSet set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
