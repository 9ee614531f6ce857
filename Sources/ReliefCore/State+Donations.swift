/// Applying the donation events (cases of `Event`, see Event.swift).
extension State {
    mutating func applyDonations(_ entry: Entry) throws {
        func fail(_ message: String) -> InvariantViolation { InvariantViolation(seq: entry.seq, message: message) }
        switch entry.event {
        case .donationRecorded(var donation):
            guard donations[donation.receipt] == nil else { throw fail("donation \(donation.receipt) exists") }
            guard (0...Money.maximum).contains(donation.pledgedMoney) else { throw fail("pledged money \(donation.pledgedMoney) outside 0...\(Money.maximum)") }
            if let missing = donation.pledgedGoods.first(where: { items[$0.sku] == nil }) { throw fail("item \(missing.sku) missing") }
            guard donation.pledgedGoods.allSatisfy({ Quantity.positive.contains($0.quantity) }) else { throw fail("pledged quantity outside \(Quantity.positive)") }
            donation.recordedAt = entry.time
            donation.lots = []; donation.moneyIn = []; donation.spends = []
            donations[donation.receipt] = donation
        case .donationLotLinked(let receipt, let lot):
            guard donations[receipt] != nil else { throw fail("donation \(receipt) missing") }
            guard let received = lots[lot], received.source == .donation else { throw fail("lot \(lot) missing or not a donation") }
            guard lotDonation[lot] == nil else { throw fail("lot \(lot) is already linked to donation \(lotDonation[lot]!)") }
            donations[receipt]!.lots.append(lot)
            lotDonation[lot] = receipt
        case .donationMoneyReceived(let receipt, let amount, let note):
            guard let donation = donations[receipt] else { throw fail("donation \(receipt) missing") }
            guard amount > 0, amount <= Money.maximum - donation.moneyReceived else {
                throw fail("money received \(amount) would take donation \(receipt) past \(Money.maximum)")
            }
            donations[receipt]!.moneyIn.append(.init(seq: entry.seq, time: entry.time, amount: amount, note: note))
        case .donationMoneySpent(let receipt, let amount, let purpose, let bought):
            guard let donation = donations[receipt] else { throw fail("donation \(receipt) missing") }
            guard amount > 0, amount <= donation.moneyReceived - donation.moneySpent else {
                throw fail("spending \(amount) exceeds the \(donation.moneyReceived - donation.moneySpent) left of donation \(receipt)")
            }
            guard !purpose.isEmpty else { throw fail("spending without a purpose") }
            for lot in bought {
                guard lots[lot]?.source == .purchase else { throw fail("lot \(lot) missing or not a purchase") }
                guard lotFunding[lot] == nil else { throw fail("lot \(lot) was already bought with donation \(lotFunding[lot]!)") }
            }
            guard Set(bought).count == bought.count else { throw fail("a lot named twice") }
            donations[receipt]!.spends.append(.init(seq: entry.seq, time: entry.time, amount: amount, purpose: purpose, lots: bought))
            for lot in bought { lotFunding[lot] = receipt }
        default:
            throw fail("\(entry.event.kind) is not a donation event")
        }
    }
}

/// Donations in a snapshot: a `donation` record (the journal body and when it was recorded), then
/// its linked lots, money received and money spent in order.
extension State {
    func donationSnapshotLines(_ emit: (FlatJSON) -> Void) {
        for donation in donations.values.sorted(by: { $0.receipt < $1.receipt }) {
            var json = Event.donationRecorded(donation).body
            json.pairs.insert(("t", .string("donation")), at: 0)
            json.set("recorded", donation.recordedAt.milliseconds)
            emit(json)
            for lot in donation.lots {
                var json = FlatJSON()
                json.set("t", "donation_lot"); json.set("receipt", donation.receipt); json.set("lot", lot)
                emit(json)
            }
            for money in donation.moneyIn {
                var json = Event.donationMoneyReceived(receipt: donation.receipt, amount: money.amount, note: money.note).body
                json.pairs.insert(("t", .string("donation_money")), at: 0)
                json.set("seq", money.seq); json.set("time", money.time.milliseconds)
                emit(json)
            }
            for spend in donation.spends {
                var json = Event.donationMoneySpent(receipt: donation.receipt, amount: spend.amount, purpose: spend.purpose, lots: spend.lots).body
                json.pairs.insert(("t", .string("donation_spend")), at: 0)
                json.set("seq", spend.seq); json.set("time", spend.time.milliseconds)
                emit(json)
            }
        }
    }

    mutating func loadDonationRecord(_ type: String, _ record: FlatJSON) throws {
        func known(_ receipt: String) throws {
            guard donations[receipt] != nil else { throw FlatJSON.DecodingError.invalid("\(type) of unknown donation \(receipt)") }
        }
        switch type {
        case "donation":
            guard case .donationRecorded(var donation) = try Event(kind: Event.Kind.Donations.donationRecorded.rawValue, body: record) else { return }
            guard donations[donation.receipt] == nil else { throw FlatJSON.DecodingError.invalid("donation \(donation.receipt) given twice") }
            donation.recordedAt = Timestamp(milliseconds: try record.int("recorded"))
            donations[donation.receipt] = donation
        case "donation_lot":
            let receipt = try record.string("receipt"), lot = try record.string("lot")
            try known(receipt)
            guard lots[lot] != nil, lotDonation[lot] == nil else { throw FlatJSON.DecodingError.invalid("donated lot \(lot) unknown or linked twice") }
            donations[receipt]!.lots.append(lot)
            lotDonation[lot] = receipt
        case "donation_money":
            guard case .donationMoneyReceived(let receipt, let amount, let note) = try Event(kind: Event.Kind.Donations.donationMoneyReceived.rawValue, body: record) else { return }
            try known(receipt)
            guard amount <= Money.maximum - donations[receipt]!.moneyReceived else { throw FlatJSON.DecodingError.invalid("money of \(receipt) past \(Money.maximum)") }
            donations[receipt]!.moneyIn.append(.init(seq: try record.int("seq"), time: Timestamp(milliseconds: try record.int("time")), amount: amount, note: note))
        default:
            guard case .donationMoneySpent(let receipt, let amount, let purpose, let bought) = try Event(kind: Event.Kind.Donations.donationMoneySpent.rawValue, body: record) else { return }
            try known(receipt)
            let donation = donations[receipt]!
            guard amount <= donation.moneyReceived - donation.moneySpent else { throw FlatJSON.DecodingError.invalid("spending of \(receipt) past what it received") }
            for lot in bought {
                guard lots[lot] != nil, lotFunding[lot] == nil else { throw FlatJSON.DecodingError.invalid("bought lot \(lot) unknown or bought twice") }
                lotFunding[lot] = receipt
            }
            donations[receipt]!.spends.append(.init(seq: try record.int("seq"), time: Timestamp(milliseconds: try record.int("time")),
                                                   amount: amount, purpose: purpose, lots: bought))
        }
    }
}
