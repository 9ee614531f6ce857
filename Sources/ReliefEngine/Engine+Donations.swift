import ReliefCore
import ReliefProtocol

/// What `disclose file=` wrote (the host writes it: the engine does no file I/O), or why not.
public enum DisclosurePublished: Sendable {
    case written(Fields)
    case failed(String)
}

/// Donations as records and their public account: `donation add|money|spend|list|show|trace` and
/// `disclose`. Goods arrive by `stock receive … donation=RECEIPT` (Engine+Stock.swift).
extension Engine {
    static let donationCommands: [Command] = [
        Command(words: ["donation", "add"],
                usage: "donation add donor=NAME [anonymous=yes] [receipt=CODE] [contact=TEXT] [goods=SKU:QTY,…] [money=AMOUNT] [note=TEXT]",
                summary: "record a donation as pledged (goods and money); the receipt code is the donor's. anonymous=yes: never named in public outputs",
                mutating: true, access: .write(.donations, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 0...0, options: ["donor", "anonymous", "receipt", "contact", "goods", "money", "note"])
            let donor = try Arguments.text(try args.requiredOption("donor", "the donor's name (it stays private with anonymous=yes)"), "donor")
            let anonymous = try args.option("anonymous").map { try Engine.yesNo($0, "anonymous") } ?? false
            let contact = try args.option("contact").map { try Arguments.text($0, "contact") }
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            let money = try args.option("money").map { try Engine.money($0, "money") } ?? 0
            var goods: [Donation.PledgedGoods] = []
            if let text = args.option("goods") {
                for pair in text.split(separator: ",", omittingEmptySubsequences: false) {
                    let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw Refusal(.syntax, "bad goods entry \"\(pair)\"; expected SKU:QTY, comma-separated") }
                    let item = try engine.item(String(parts[0]))
                    guard !goods.contains(where: { $0.sku == item.sku }) else { throw Refusal(.syntax, "goods names \(item.sku) twice; expected each item once") }
                    goods.append(.init(sku: item.sku, quantity: try Arguments.quantity(String(parts[1]), "pledged quantity of \(item.sku)")))
                }
                guard goods.count <= 100 else { throw Refusal(.limit, "goods names \(goods.count) items; at most 100 in one pledge") }
            }
            guard money > 0 || !goods.isEmpty else { throw Refusal(.syntax, "a donation pledges goods=SKU:QTY,… or money=AMOUNT (or both)") }
            let receipt: String
            if let given = args.option("receipt") {
                receipt = try Arguments.identifier(given, "receipt")
                guard engine.state.donations[receipt] == nil else { throw Refusal(.conflict, "donation \(receipt) exists; expected a new receipt code") }
            } else {
                receipt = engine.nextReceipt()
            }
            engine.emit(.donationRecorded(Donation(receipt: receipt, donor: donor, anonymous: anonymous, contact: contact, pledgedGoods: goods,
                                                   pledgedMoney: money, note: note,
                                                   // Not journaled: apply takes it from the entry's time.
                                                   recordedAt: Timestamp(milliseconds: 0))))
            return .ok(["receipt": receipt, "donor": anonymous ? Donation.anonymousDonor : donor])
        },

        Command(words: ["donation", "money"], usage: "donation money RECEIPT AMOUNT [note=TEXT]",
                summary: "money of a donation arrived (AMOUNT in yuan, up to 2 decimals)",
                mutating: true, access: .write(.donations, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 2...2, options: ["note"])
            let donation = try engine.donation(try args.positional(0, "receipt"))
            let amount = try Engine.money(try args.positional(1, "amount"), "amount")
            guard amount > 0 else { throw Refusal(.syntax, "amount 0.00; expected more than nothing") }
            guard amount <= Money.maximum - donation.moneyReceived else {
                throw Refusal(.limit, "donation \(donation.receipt) would receive more than \(Money.format(Money.maximum)) in all")
            }
            let note = try args.option("note").map { try Arguments.text($0, "note", max: 500) }
            engine.emit(.donationMoneyReceived(receipt: donation.receipt, amount: amount, note: note))
            return .ok(["receipt": donation.receipt, "received": Money.format(donation.moneyReceived + amount),
                        "left": Money.format(donation.moneyReceived + amount - donation.moneySpent)])
        },

        Command(words: ["donation", "spend"], usage: "donation spend RECEIPT AMOUNT purpose=TEXT [lots=CODE,…]",
                summary: "money of a donation spent, on what; lots= names the purchased lots it bought (then traced like donated goods)",
                mutating: true, access: .write(.donations, .unscoped)) { engine, args, _ in
            try args.expect(positionals: 2...2, options: ["purpose", "lots"])
            let donation = try engine.donation(try args.positional(0, "receipt"))
            let amount = try Engine.money(try args.positional(1, "amount"), "amount")
            guard amount > 0 else { throw Refusal(.syntax, "amount 0.00; expected more than nothing") }
            let purpose = try Arguments.text(try args.requiredOption("purpose", "what the money was spent on"), "purpose", max: 500)
            let left = donation.moneyReceived - donation.moneySpent
            guard amount <= left else {
                throw Refusal(.insufficient, "donation \(donation.receipt) has \(Money.format(left)) left of \(Money.format(donation.moneyReceived)) received; cannot spend \(Money.format(amount))")
            }
            var bought: [String] = []
            if let text = args.option("lots") {
                for code in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                    guard let lot = engine.state.lots[code] else { throw Refusal(.notFound, "lot \(code) not found") }
                    guard lot.source == .purchase else {
                        throw Refusal(.conflict, "lot \(code) was received as \(lot.source.rawValue), not a purchase; receive bought goods with supplier=")
                    }
                    if let other = engine.state.lotFunding[code] { throw Refusal(.conflict, "lot \(code) was already bought with donation \(other)") }
                    guard !bought.contains(code) else { throw Refusal(.syntax, "lots names \(code) twice") }
                    bought.append(code)
                }
                guard bought.count <= 100 else { throw Refusal(.limit, "lots names \(bought.count) lots; at most 100 in one spending") }
            }
            engine.emit(.donationMoneySpent(receipt: donation.receipt, amount: amount, purpose: purpose, lots: bought))
            return .ok(["receipt": donation.receipt, "spent": Money.format(donation.moneySpent + amount), "left": Money.format(left - amount)])
        },

        Command(words: ["donation", "list"], usage: "donation list [donor=NAME]",
                summary: "donations, oldest first: pledged, arrived, money in and out (anonymous donors unnamed unless your role sees personal data)",
                mutating: false, access: .read(.donations), listing: .standard) { engine, args, context in
            try args.expect(positionals: 0...0, options: ["donor"])
            let personal = context.principal.role.seesPersonalData
            let donor = args.option("donor")
            var rows: [Fields] = []
            for donation in engine.state.donations.values.sorted(by: { ($0.recordedAt, $0.receipt) < ($1.recordedAt, $1.receipt) }) {
                if let donor, donation.donor != donor || (donation.anonymous && !personal) { continue }
                rows.append(engine.donationFields(donation, personal: personal))
                if rows.count > context.limit { break }
            }
            return .rows(rows)
        },

        Command(words: ["donation", "show"], usage: "donation show RECEIPT",
                summary: "one donation: pledged against arrived, money in and out, and where its goods are now",
                mutating: false, access: .read(.donations)) { engine, args, context in
            try args.expect(positionals: 1...1, options: [])
            let donation = try engine.donation(try args.positional(0, "receipt"))
            return .ok(engine.donationFields(donation, personal: context.principal.role.seesPersonalData))
        },

        Command(words: ["donation", "trace"], usage: "donation trace RECEIPT",
                summary: "one donation's path for the donor who asks: every lot from arrival to the incident, recipient or adjustment it reached, money in and out, and each lot's balance",
                mutating: false, access: .read(.donations), listing: .picture,
                offload: { engine, args, _ in
                    // Lots with moves older than memory holds: those are read from the store, off the loop.
                    try args.expect(positionals: 1...1, options: [])
                    let donation = try engine.donation(try args.positional(0, "receipt"))
                    let reads = engine.state.earlierMoveReads(donation.lots + donation.spends.flatMap(\.lots))
                    guard !reads.isEmpty, let read = engine.storedMoves else { return nil }
                    return Offload(compute: { () -> any Sendable in Engine.readEarlierMoves(reads, read) },
                                   finish: { engine, result, args, context in
                        let earlier = try Engine.earlierMoves(result, engine: engine, reads: reads)
                        guard let earlier else { return nil }
                        let donation = try engine.donation(try args.positional(0, "receipt"))
                        return .rows(engine.trace(donation, now: context.now, earlier: earlier))
                    })
                }) { engine, args, context in
            try args.expect(positionals: 1...1, options: [])
            let donation = try engine.donation(try args.positional(0, "receipt"))
            return .rows(engine.trace(donation, now: context.now))
        },

        Command(words: ["disclose"], usage: "disclose [from=YYYY-MM-DD] [to=YYYY-MM-DD] [section=NAME] [file=NAME]",
                summary: "the public account of donations over a period (sections: checkpoint, donations, served, sources, donors, items, regions, months, money); file=NAME writes all of it as CSV and one HTML page to data_dir/disclosures/NAME/",
                mutating: false, access: .audit, listing: .picture,
                offload: { engine, args, context in
                    let (period, section, file) = try Engine.disclosureArguments(args)
                    let state = engine.state
                    let hash = engine.journalHash
                    let publish = engine.publishDisclosure
                    let now = context.now
                    let limit = context.limit
                    if file != nil && publish == nil { return nil }
                    let reads = state.earlierMoveReads(state.donatedLots)
                    let read = engine.storedMoves
                    return Offload(compute: { () -> any Sendable in
                        var earlier: [String: [StockMove]] = [:]
                        if let read, !reads.isEmpty {
                            switch Engine.readEarlierMoves(reads, read) {
                            case .read(let moves): earlier = moves
                            case .failed(let message): return DisclosurePublished.failed("reading the older stock moves: \(message)")
                            }
                        }
                        var report = state.disclosure(period, now: now, earlier: earlier)
                        report.journalHead = report.asOfSeq == 0 ? "" : hash?(report.asOfSeq)
                        if let file, let publish { return publish(report, file) }
                        return report
                    }, finish: { _, result, _, _ in
                        if let report = result as? Disclosure {
                            return .rows(Array(Engine.disclosureRows(report, section: section).prefix(limit + 1)))
                        }
                        switch result as? DisclosurePublished {
                        case .written(let fields)?: return .ok(fields)
                        case .failed(let message)?: throw Refusal(.unavailable, "the disclosure was not written: \(message)")
                        case nil: throw Refusal(.internal, "disclose produced no result")
                        }
                    })
                }) { engine, args, context in
            let (period, section, file) = try Engine.disclosureArguments(args)
            if file != nil { throw Refusal(.unavailable, "disclose file= needs the daemon's data directory; this engine has none") }
            var report = engine.state.disclosure(period, now: context.now)
            report.journalHead = nil
            return .rows(Engine.disclosureRows(report, section: section))
        },
    ]
}

extension Engine {
    func donation(_ receipt: String) throws -> Donation {
        guard let donation = state.donations[receipt] else { throw Refusal(.notFound, "donation \(receipt) not found; see donation list") }
        return donation
    }

    /// `D-000001`, …: the first free code after the number of donations (a receipt given by hand
    /// may have taken the next one).
    func nextReceipt() -> String {
        var number = state.donations.count + 1
        while state.donations[State.sequentialID("D", number)] != nil { number += 1 }
        return State.sequentialID("D", number)
    }

    static func money(_ text: String, _ what: String) throws -> Int64 {
        guard let fen = Money.parse(text) else {
            throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected yuan with at most 2 decimals (1250 or 1250.50), at most \(Money.format(Money.maximum))")
        }
        return fen
    }

    static func yesNo(_ text: String, _ what: String) throws -> Bool {
        switch text.lowercased() {
        case "yes", "true", "1": return true
        case "no", "false", "0": return false
        default: throw Refusal(.syntax, "bad \(what) \"\(text)\"; expected yes or no")
        }
    }

    /// One donation's row: the donor as the role may see them, pledged against arrived, money,
    /// and the fate of its goods (given and bought).
    func donationFields(_ donation: Donation, personal: Bool) -> Fields {
        var fields: Fields = ["receipt": donation.receipt, "donor": personal ? donation.donor : donation.publicDonor,
                              "anonymous": donation.anonymous ? "yes" : "no", "recorded": donation.recordedAt.iso8601]
        fields.append("contact", personal ? (donation.contact ?? "") : (donation.contact == nil ? "" : "(masked)"))
        fields.append("pledged", donation.pledgedGoods.map { "\($0.sku):\($0.quantity)" }.joined(separator: " "))
        var arrived: [String: Int128] = [:]
        var fate = LotLineage(lot: "", sku: "")
        for code in donation.lots + donation.spends.flatMap(\.lots) {
            guard let lineage = state.lineage(of: code) else { continue }
            if donation.lots.contains(code) { arrived[lineage.sku, default: 0] += lineage.received }
            fate.received += lineage.received; fate.inStock += lineage.inStock; fate.inTransit += lineage.inTransit
            fate.delivered += lineage.delivered; fate.issued += lineage.issued; fate.adjusted += lineage.adjusted
        }
        fields.append("arrived", arrived.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " "))
        fields.append("lots", String(donation.lots.count))
        fields.append("money_pledged", Money.format(donation.pledgedMoney))
        fields.append("money_in", Money.format(donation.moneyReceived))
        fields.append("money_out", Money.format(donation.moneySpent))
        fields.append("bought_lots", String(donation.spends.reduce(0) { $0 + $1.lots.count }))
        fields.append("in_stock", String(fate.inStock))
        fields.append("in_transit", String(fate.inTransit))
        fields.append("delivered", String(fate.delivered))
        fields.append("issued", String(fate.issued))
        fields.append("adjusted", String(fate.adjusted))
        return fields
    }

    /// `donation trace`: pledged, then every step of every lot (given and bought) in time order
    /// with money in and out among them, then where each lot is now and its balance.
    /// What the offload thread read for `earlierMoveReads`.
    enum EarlierRead: Sendable {
        case read([String: [StockMove]])
        case failed(String)
    }

    static func readEarlierMoves(_ reads: [(lot: String, query: MoveQuery)], _ read: @Sendable (MoveQuery) throws -> [StockMove]) -> EarlierRead {
        var found: [String: [StockMove]] = [:]
        // Within one request's bound: lots past it are counted from their totals (LotLineage.earlierMoves).
        var budget = MoveQuery.maximumRows
        do {
            for (lot, query) in reads where query.newest <= budget {
                let moves = try read(query)
                found[lot] = moves
                budget -= moves.count
            }
        } catch {
            return .failed("\(error)")
        }
        return .read(found)
    }

    /// On the loop: the moves read, or nil when moves left memory meanwhile (the work runs again).
    static func earlierMoves(_ result: any Sendable, engine: Engine, reads: [(lot: String, query: MoveQuery)]) throws -> [String: [StockMove]]? {
        switch result as? EarlierRead {
        case .read(let moves)?:
            guard let before = reads.first?.query.before, let oldest = engine.state.oldestMoveSeqInMemory, oldest <= before else { return nil }
            return moves
        case .failed(let message)?:
            throw Refusal(.unavailable, "reading the older stock moves from the store failed: \(message)")
        case nil:
            throw Refusal(.internal, "the older stock moves were not read")
        }
    }

    func trace(_ donation: Donation, now: Timestamp, earlier: [String: [StockMove]] = [:]) -> [Fields] {
        func row(_ time: Timestamp, _ step: String, lot: String = "", sku: String = "", quantity: String = "", at: String = "", detail: String) -> Fields {
            var fields: Fields = ["time": time.iso8601, "step": step, "lot": lot, "sku": sku]
            fields.append("quantity", quantity); fields.append("at", at); fields.append("detail", detail)
            return fields
        }
        func incident(_ id: String?) -> String {
            guard let id else { return "" }
            return state.incidents[id].map { "incident \(id) (\($0.title))" } ?? "incident \(id)"
        }
        // In time order; at the same time in journal order (a delivery, which has no move of its own,
        // after what shares its time).
        var timed: [(time: Timestamp, seq: Int64, order: Int, fields: Fields)] = []
        var pledged = donation.pledgedGoods.map { "\($0.sku):\($0.quantity)" }
        if donation.pledgedMoney > 0 { pledged.append("money \(Money.format(donation.pledgedMoney))") }
        timed.append((donation.recordedAt, 0, timed.count, row(donation.recordedAt, "pledged", detail: "by \(donation.publicDonor): " + pledged.joined(separator: ", "))))
        for money in donation.moneyIn {
            timed.append((money.time, money.seq, timed.count, row(money.time, "money_in", quantity: Money.format(money.amount), detail: money.note ?? "")))
        }
        for spend in donation.spends {
            let lots = spend.lots.isEmpty ? "" : " (bought lot\(spend.lots.count == 1 ? "" : "s") \(spend.lots.joined(separator: ", ")))"
            timed.append((spend.time, spend.seq, timed.count, row(spend.time, "money_out", quantity: Money.format(spend.amount), detail: spend.purpose + lots)))
        }
        var accounts: [Fields] = []
        for code in donation.lots + donation.spends.flatMap(\.lots) {
            guard let lineage = state.lineage(of: code, earlier: earlier[code]) else { continue }
            let given = donation.lots.contains(code)
            for step in lineage.steps {
                let detail: String
                switch step.kind {
                case .received: detail = given ? "donated" : "bought with this donation's money"
                case .transferred: detail = "to warehouse \(step.to ?? "")"
                case .issued: detail = step.to.map { "to \($0)" } ?? "issued"
                case .adjusted: detail = "count corrected: \(step.reason ?? "")"
                case .dispatched: detail = "to \(incident(step.to)), allocation \(step.allocation ?? "")"
                case .returned: detail = "back from transit to \(incident(step.to)), allocation \(step.allocation ?? "") released"
                case .delivered: detail = "reached \(incident(step.to)), allocation \(step.allocation ?? "")"
                }
                let quantity = String(step.quantity)
                timed.append((step.time, step.seq, timed.count, row(step.time, step.kind.rawValue, lot: code, sku: lineage.sku, quantity: quantity, at: step.warehouse, detail: detail)))
            }
            if lineage.earlierMoves > 0 {
                // Steps the store was not read for (no store, or past one request's bound): said, not hidden.
                let first = lineage.steps.first
                accounts.append(row(first?.time ?? now, "earlier_steps", lot: code, sku: lineage.sku, quantity: String(lineage.earlierMoves),
                                    detail: "\(lineage.earlierMoves) older moves not listed here (stock history lot=\(code) lists them); counted in the balance"))
            }
            for (warehouse, quantity) in lineage.held {
                accounts.append(row(now, "now_in_stock", lot: code, sku: lineage.sku, quantity: String(quantity), at: warehouse, detail: "held there now"))
            }
            if lineage.inTransit > 0 {
                accounts.append(row(now, "now_in_transit", lot: code, sku: lineage.sku, quantity: String(lineage.inTransit), detail: "dispatched, not yet delivered"))
            }
            accounts.append(row(now, "balance", lot: code, sku: lineage.sku, quantity: String(lineage.received),
                                detail: "received \(lineage.received)\(lineage.adjusted == 0 ? "" : " adjusted \(lineage.adjusted)") = in stock \(lineage.inStock) + in transit \(lineage.inTransit) + delivered \(lineage.delivered) + issued \(lineage.issued)\(lineage.balances ? "" : " — DOES NOT BALANCE")"))
        }
        return timed.sorted { ($0.time, $0.seq, $0.order) < ($1.time, $1.seq, $1.order) }.map(\.fields) + accounts
    }

    static func disclosureArguments(_ args: Arguments) throws -> (Disclosure.Period, String, String?) {
        try args.expect(positionals: 0...0, options: ["from", "to", "section", "file"])
        let from = try args.option("from").map { try Arguments.day($0, "from") }
        let to = try args.option("to").map { try Arguments.day($0, "to") }
        if let from, let to, to < from { throw Refusal(.syntax, "to \(to.iso8601) is before from \(from.iso8601); expected a period forwards") }
        let section = args.option("section")?.lowercased() ?? "donations"
        guard Engine.disclosureSections.contains(section) else {
            throw Refusal(.syntax, "unknown section \"\(section)\"; expected one of \(Engine.disclosureSections.joined(separator: ", "))")
        }
        let file = try args.option("file").map { try Arguments.identifier($0, "disclosure name") }
        return (Disclosure.Period(from: from, to: to), section, file)
    }
}

extension Engine {
    static let disclosureSections = Disclosure.sections

    /// One section of a disclosure as rows.
    static func disclosureRows(_ report: Disclosure, section: String) -> [Fields] {
        let table = report.table(section)
        return table.rows.map { Fields(Array(zip(table.columns, $0))) }
    }
}
