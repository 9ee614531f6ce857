/// The public account of donations (`disclose`): per donation what arrived, where it is now and
/// which incidents it served; per incident where its supplies came from; totals by donor, item,
/// region and month; money in and out. Computed from the state alone (off the loop, on a copy)
/// and free of personal data by construction: donors are named only when they agreed (anonymous
/// ones are "anonymous"), contacts, recipients of issues and users never appear, and incidents
/// opened in drills are left out. Quantities over the period are Int128 sums.
public struct Disclosure: Sendable {
    /// Days from `from` to `to`, both included, in UTC; nil ends are open.
    public struct Period: Sendable, Equatable {
        public var from: Day?
        public var to: Day?
        public init(from: Day?, to: Day?) { self.from = from; self.to = to }
        public func contains(_ time: Timestamp) -> Bool {
            let day = time.day
            return (from.map { day >= $0 } ?? true) && (to.map { day <= $0 } ?? true)
        }
    }

    public struct DonationRow: Sendable, Equatable {
        public var receipt: String
        public var donor: String
        public var recorded: Day
        /// `sku:quantity` pairs, space-separated, as pledged.
        public var pledged: String
        public var pledgedMoney: Int64
        /// Units that arrived as this donation in the period, and units bought with its money.
        public var arrived: Int128 = 0
        public var bought: Int128 = 0
        public var moneyIn: Int128 = 0
        public var moneyOut: Int128 = 0
        /// Where its goods (given and bought) are now, over their whole history.
        public var inStock: Int128 = 0
        public var inTransit: Int128 = 0
        public var delivered: Int128 = 0
        public var issued: Int128 = 0
        /// Net adjustments (negative: damaged, expired or lost).
        public var adjusted: Int128 = 0
    }

    /// Goods of one donation delivered to one incident in the period.
    public struct Served: Sendable, Equatable {
        public var receipt: String
        public var donor: String
        public var incident: String
        public var title: String
        public var region: String
        public var sku: String
        public var quantity: Int128
        public var first: Day
        public var last: Day
    }

    /// Where one incident's delivered supplies came from (all sources, not only donations).
    public struct Source: Sendable, Equatable {
        public var incident: String
        public var title: String
        public var sku: String
        /// donation, purchase, allocation (from government reserves) or other.
        public var source: String
        /// The donation for donated goods and goods bought with donated money.
        public var receipt: String?
        public var donor: String?
        public var warehouse: String
        public var quantity: Int128
    }

    public struct Total: Sendable, Equatable {
        public var key: String
        public var name: String
        public var donations = 0
        public var arrived: Int128 = 0
        public var delivered: Int128 = 0
        public var moneyIn: Int128 = 0
        public var moneyOut: Int128 = 0
        public var incidents = 0
    }

    public struct MoneyLine: Sendable, Equatable {
        public var receipt: String
        public var donor: String
        public var time: Timestamp
        public var seq: Int64
        /// "in" or "out".
        public var direction: String
        public var amount: Int64
        /// What it was spent on; for money in, nil.
        public var purpose: String?
        /// Lots it bought.
        public var lots: [String]
    }

    public var period: Period
    public var asOfSeq: Int64
    public var generatedAt: Timestamp
    /// The journal's hash at `asOfSeq`, set by the host (the state does not know hashes): anyone
    /// who keeps this report can later check the journal was not rewritten before it.
    public var journalHead: String?
    public var donations: [DonationRow] = []
    public var served: [Served] = []
    public var sources: [Source] = []
    public var byDonor: [Total] = []
    public var byItem: [Total] = []
    public var byRegion: [Total] = []
    public var byMonth: [Total] = []
    public var money: [MoneyLine] = []

    public var moneyIn: Int128 { money.filter { $0.direction == "in" }.reduce(0) { $0 + Int128($1.amount) } }
    public var moneyOut: Int128 { money.filter { $0.direction == "out" }.reduce(0) { $0 + Int128($1.amount) } }
}

extension State {
    /// The disclosure of `period` as the state stands (`now` stamps it). `earlier`: lot → its moves
    /// older than memory holds, read from the store (`earlierMoveReads`); a lot without them is
    /// counted from its totals, its older steps outside every period.
    public func disclosure(_ period: Disclosure.Period, now: Timestamp, earlier: [String: [StockMove]] = [:]) -> Disclosure {
        var report = Disclosure(period: period, asOfSeq: lastSeq, generatedAt: now)
        var donors: [String: Disclosure.Total] = [:]
        var items: [String: Disclosure.Total] = [:]
        var regionsTotal: [String: Disclosure.Total] = [:]
        var regionIncidents: [String: Set<String>] = [:]
        var months: [String: Disclosure.Total] = [:]
        var served: [String: Disclosure.Served] = [:]
        func month(_ time: Timestamp) -> String { String(time.day.iso8601.prefix(7)) }
        func item(_ sku: String) -> Disclosure.Total { items[sku] ?? Disclosure.Total(key: sku, name: self.items[sku]?.name ?? sku) }

        for donation in donations.values.sorted(by: { $0.receipt < $1.receipt }) {
            let donor = donation.publicDonor
            var row = Disclosure.DonationRow(receipt: donation.receipt, donor: donor, recorded: donation.recordedAt.day,
                                             pledged: donation.pledgedGoods.map { "\($0.sku):\($0.quantity)" }.joined(separator: " "),
                                             pledgedMoney: donation.pledgedMoney)
            var active = period.contains(donation.recordedAt)
            let given = donation.lots.map { ($0, true) }
            let bought = donation.spends.flatMap(\.lots).map { ($0, false) }
            for (code, isGift) in given + bought {
                guard let lineage = lineage(of: code, earlier: earlier[code]) else { continue }
                row.inStock += lineage.inStock; row.inTransit += lineage.inTransit; row.delivered += lineage.delivered
                row.issued += lineage.issued; row.adjusted += lineage.adjusted
                for step in lineage.steps where period.contains(step.time) {
                    switch step.kind {
                    case .received:
                        active = true
                        if isGift { row.arrived += Int128(step.quantity) } else { row.bought += Int128(step.quantity) }
                        months[month(step.time), default: .init(key: month(step.time), name: month(step.time))].arrived += Int128(step.quantity)
                        items[lineage.sku] = { var t = item(lineage.sku); t.arrived += Int128(step.quantity); return t }()
                        donors[donor, default: .init(key: donor, name: donor)].arrived += Int128(step.quantity)
                    case .delivered:
                        guard let incident = step.to.flatMap({ incidents[$0] }), !incident.exercise else { continue }
                        active = true
                        let key = "\(donation.receipt)\u{0}\(incident.id)\u{0}\(lineage.sku)"
                        var line = served[key] ?? Disclosure.Served(receipt: donation.receipt, donor: donor, incident: incident.id, title: incident.title,
                                                                    region: incident.region, sku: lineage.sku, quantity: 0,
                                                                    first: step.time.day, last: step.time.day)
                        line.quantity += Int128(step.quantity)
                        line.first = min(line.first, step.time.day); line.last = max(line.last, step.time.day)
                        served[key] = line
                        months[month(step.time), default: .init(key: month(step.time), name: month(step.time))].delivered += Int128(step.quantity)
                        items[lineage.sku] = { var t = item(lineage.sku); t.delivered += Int128(step.quantity); return t }()
                        donors[donor, default: .init(key: donor, name: donor)].delivered += Int128(step.quantity)
                        let region = incident.region
                        regionsTotal[region, default: .init(key: region, name: regions[region]?.name ?? region)].delivered += Int128(step.quantity)
                        regionIncidents[region, default: []].insert(incident.id)
                    case .transferred, .issued, .adjusted, .dispatched, .returned:
                        break
                    }
                }
            }
            for money in donation.moneyIn where period.contains(money.time) {
                active = true
                row.moneyIn += Int128(money.amount)
                report.money.append(.init(receipt: donation.receipt, donor: donor, time: money.time, seq: money.seq, direction: "in", amount: money.amount, purpose: nil, lots: []))
                months[month(money.time), default: .init(key: month(money.time), name: month(money.time))].moneyIn += Int128(money.amount)
                donors[donor, default: .init(key: donor, name: donor)].moneyIn += Int128(money.amount)
            }
            for spend in donation.spends where period.contains(spend.time) {
                active = true
                row.moneyOut += Int128(spend.amount)
                report.money.append(.init(receipt: donation.receipt, donor: donor, time: spend.time, seq: spend.seq, direction: "out", amount: spend.amount,
                                          purpose: spend.purpose, lots: spend.lots))
                months[month(spend.time), default: .init(key: month(spend.time), name: month(spend.time))].moneyOut += Int128(spend.amount)
                donors[donor, default: .init(key: donor, name: donor)].moneyOut += Int128(spend.amount)
            }
            guard active else { continue }
            donors[donor, default: .init(key: donor, name: donor)].donations += 1
            report.donations.append(row)
        }

        // Per incident, every delivered allocation in the period, whatever its source.
        var sources: [String: Disclosure.Source] = [:]
        for allocation in allocations.values where allocation.status == .delivered && period.contains(allocation.updatedAt) {
            guard let incident = incidents[allocation.incident], !incident.exercise, let lot = lots[allocation.lot] else { continue }
            let receipt = lotDonation[lot.code] ?? lotFunding[lot.code]
            let source = lotFunding[lot.code] != nil ? "purchase" : lot.source.rawValue
            let key = [incident.id, allocation.sku, source, receipt ?? "", allocation.warehouse].joined(separator: "\u{0}")
            var line = sources[key] ?? Disclosure.Source(incident: incident.id, title: incident.title, sku: allocation.sku, source: source,
                                                         receipt: receipt, donor: receipt.flatMap { donations[$0]?.publicDonor },
                                                         warehouse: allocation.warehouse, quantity: 0)
            line.quantity += Int128(allocation.quantity)
            sources[key] = line
        }
        report.sources = sources.values.sorted { a, b in
            (a.incident, a.sku, a.source, a.receipt ?? "", a.warehouse) < (b.incident, b.sku, b.source, b.receipt ?? "", b.warehouse)
        }
        report.served = served.values.sorted { ($0.receipt, $0.incident, $0.sku) < ($1.receipt, $1.incident, $1.sku) }
        report.money.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }
        for (region, ids) in regionIncidents { regionsTotal[region]?.incidents = ids.count }
        report.byDonor = donors.values.sorted { $0.key < $1.key }
        report.byItem = items.values.sorted { $0.key < $1.key }
        report.byRegion = regionsTotal.values.sorted { $0.key < $1.key }
        report.byMonth = months.values.sorted { $0.key < $1.key }
        return report
    }
}

extension Disclosure {
    /// The sections as tables, in the order the report presents them: what `disclose section=`
    /// answers and what the CSV files hold, with the same columns.
    public static let sections = ["checkpoint", "donations", "served", "sources", "donors", "items", "regions", "months", "money"]

    public func table(_ section: String) -> (columns: [String], rows: [[String]]) {
        func n(_ value: Int128) -> String { String(value) }
        func totals(_ list: [Total]) -> (columns: [String], rows: [[String]]) {
            (["key", "name", "donations", "arrived", "delivered", "money_in", "money_out", "incidents"],
             list.map { [$0.key, $0.name, String($0.donations), n($0.arrived), n($0.delivered), Money.format($0.moneyIn), Money.format($0.moneyOut), String($0.incidents)] })
        }
        switch section {
        case "checkpoint":
            return (["from", "to", "as_of_seq", "journal_head", "generated_at", "donations", "money_in", "money_out"],
                    [[period.from?.iso8601 ?? "", period.to?.iso8601 ?? "", String(asOfSeq), journalHead ?? "", generatedAt.iso8601,
                      String(donations.count), Money.format(moneyIn), Money.format(moneyOut)]])
        case "donations":
            return (["receipt", "donor", "recorded", "pledged", "money_pledged", "arrived", "bought", "money_in", "money_out",
                     "in_stock", "in_transit", "delivered", "issued", "adjusted"],
                    donations.map { [$0.receipt, $0.donor, $0.recorded.iso8601, $0.pledged, Money.format($0.pledgedMoney), n($0.arrived), n($0.bought),
                                     Money.format($0.moneyIn), Money.format($0.moneyOut), n($0.inStock), n($0.inTransit), n($0.delivered),
                                     n($0.issued), n($0.adjusted)] })
        case "served":
            return (["receipt", "donor", "incident", "title", "region", "sku", "quantity", "first", "last"],
                    served.map { [$0.receipt, $0.donor, $0.incident, $0.title, $0.region, $0.sku, n($0.quantity), $0.first.iso8601, $0.last.iso8601] })
        case "sources":
            return (["incident", "title", "sku", "source", "receipt", "donor", "warehouse", "quantity"],
                    sources.map { [$0.incident, $0.title, $0.sku, $0.source, $0.receipt ?? "", $0.donor ?? "", $0.warehouse, n($0.quantity)] })
        case "donors": return totals(byDonor)
        case "items": return totals(byItem)
        case "regions": return totals(byRegion)
        case "months": return totals(byMonth)
        default:
            return (["time", "receipt", "donor", "direction", "amount", "purpose", "lots"],
                    money.map { [$0.time.iso8601, $0.receipt, $0.donor, $0.direction, Money.format($0.amount), $0.purpose ?? "", $0.lots.joined(separator: " ")] })
        }
    }
}
