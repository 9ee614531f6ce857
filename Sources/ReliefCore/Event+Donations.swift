/// Journal bodies of the donation events (cases of `Event`, see Event.swift). Money is in fen;
/// pledged goods are `sku:quantity` pairs and bought lots codes, comma-separated (skus and lot
/// codes are identifiers, which hold neither commas nor colons).
extension Event {
    var donationsBody: FlatJSON? {
        var json = FlatJSON()
        switch self {
        case .donationRecorded(let donation):
            json.set("receipt", donation.receipt); json.set("donor", donation.donor)
            json.set("anonymous", donation.anonymous ? "yes" : "no"); json.set("contact", donation.contact)
            json.set("goods", donation.pledgedGoods.map { "\($0.sku):\($0.quantity)" }.joined(separator: ","))
            json.set("money", donation.pledgedMoney); json.set("note", donation.note)
        case .donationLotLinked(let receipt, let lot):
            json.set("receipt", receipt); json.set("lot", lot)
        case .donationMoneyReceived(let receipt, let amount, let note):
            json.set("receipt", receipt); json.set("amount", amount); json.set("note", note)
        case .donationMoneySpent(let receipt, let amount, let purpose, let lots):
            json.set("receipt", receipt); json.set("amount", amount); json.set("purpose", purpose)
            json.set("lots", lots.joined(separator: ","))
        default:
            return nil
        }
        return json
    }

    static func decodeDonations(kind: Kind.Donations, body: FlatJSON) throws -> Event {
        func money(_ key: String, _ range: ClosedRange<Int64>) throws -> Int64 {
            let value = try body.int(key)
            guard range.contains(value) else { throw FlatJSON.DecodingError.invalid("\(key)=\(value)") }
            return value
        }
        switch kind {
        case .donationRecorded:
            let anonymous = try body.string("anonymous")
            guard anonymous == "yes" || anonymous == "no" else { throw FlatJSON.DecodingError.invalid("anonymous=\(anonymous)") }
            let goods = try body.string("goods").split(separator: ",").map { pair -> Donation.PledgedGoods in
                let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, let quantity = Int64(parts[1]), Quantity.positive.contains(quantity) else {
                    throw FlatJSON.DecodingError.invalid("goods entry \(pair)")
                }
                return .init(sku: String(parts[0]), quantity: quantity)
            }
            return .donationRecorded(Donation(receipt: try body.string("receipt"), donor: try body.string("donor"), anonymous: anonymous == "yes",
                                              contact: try body.optionalString("contact"), pledgedGoods: goods,
                                              pledgedMoney: try money("money", 0...Money.maximum), note: try body.optionalString("note"),
                                              recordedAt: Timestamp(milliseconds: 0)))
        case .donationLotLinked:
            return .donationLotLinked(receipt: try body.string("receipt"), lot: try body.string("lot"))
        case .donationMoneyReceived:
            return .donationMoneyReceived(receipt: try body.string("receipt"), amount: try money("amount", 1...Money.maximum),
                                          note: try body.optionalString("note"))
        case .donationMoneySpent:
            let lots = try body.string("lots").split(separator: ",").map(String.init)
            return .donationMoneySpent(receipt: try body.string("receipt"), amount: try money("amount", 1...Money.maximum),
                                       purpose: try body.string("purpose"), lots: lots)
        }
    }
}
