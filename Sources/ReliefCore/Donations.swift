/// Donations and their use (the public account of every donated good and yuan). A donation is
/// recorded when pledged; goods arrive as lots received with `donation=RECEIPT` (linked by
/// `donation.lot_linked`), money arrives and is spent by its own events, and a lot bought with a
/// donation's money is linked to it by the spending. Where every unit went is read from the lots'
/// moves and allocations (Lineage.swift), never kept twice.
public struct Donation: Sendable, Equatable {
    /// The code given to the donor on their receipt; also the donation's id.
    public var receipt: String
    /// The donor's name as recorded. Shown publicly only when `anonymous` is false.
    public var donor: String
    /// The donor asked not to be named: every public output says "anonymous".
    public var anonymous: Bool
    /// How to reach the donor (phone, e-mail): personal data, shown only to roles that see it.
    public var contact: String?
    /// What was pledged (goods by item, and money in fen); what arrived is read from the links.
    public var pledgedGoods: [PledgedGoods]
    public var pledgedMoney: Int64
    public var note: String?
    public var recordedAt: Timestamp
    /// Lots received as this donation, in the order they arrived.
    public var lots: [String] = []
    public var moneyIn: [MoneyReceived] = []
    public var spends: [MoneySpent] = []

    public init(receipt: String, donor: String, anonymous: Bool, contact: String?, pledgedGoods: [PledgedGoods],
                pledgedMoney: Int64, note: String?, recordedAt: Timestamp) {
        self.receipt = receipt; self.donor = donor; self.anonymous = anonymous; self.contact = contact
        self.pledgedGoods = pledgedGoods; self.pledgedMoney = pledgedMoney; self.note = note; self.recordedAt = recordedAt
    }

    /// The donor as every public output names them.
    public var publicDonor: String { anonymous ? Donation.anonymousDonor : donor }
    public static let anonymousDonor = "anonymous"

    /// Money received and spent so far, in fen (each within `Money.maximum`: apply keeps them so).
    public var moneyReceived: Int64 { moneyIn.reduce(0) { $0 + $1.amount } }
    public var moneySpent: Int64 { spends.reduce(0) { $0 + $1.amount } }

    public struct PledgedGoods: Sendable, Equatable {
        public var sku: String
        public var quantity: Int64
        public init(sku: String, quantity: Int64) { self.sku = sku; self.quantity = quantity }
    }

    public struct MoneyReceived: Sendable, Equatable {
        public var seq: Int64
        public var time: Timestamp
        public var amount: Int64
        public var note: String?
    }

    /// Money spent: how much, on what, and the lots it bought (each then traced like donated goods).
    public struct MoneySpent: Sendable, Equatable {
        public var seq: Int64
        public var time: Timestamp
        public var amount: Int64
        public var purpose: String
        public var lots: [String]
    }
}

/// Amounts of money in fen (hundredths of a yuan), written with two decimals: `1250.50`.
public enum Money {
    /// The most one donation may receive (and so spend) in all: ten billion yuan, far above any
    /// donation and far enough below Int64.max that totals over a million donations fit in Int128
    /// arithmetic without care and per-donation sums fit in Int64.
    public static let maximum: Int64 = 1_000_000_000_000

    /// `12`, `12.5` or `12.50` as fen; nil for anything else (signs, exponents, three decimals,
    /// more than `maximum`).
    public static func parse(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 13,
              whole.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let yuan = Int64(whole) else { return nil }
        var fen: Int64 = 0
        if parts.count == 2 {
            let decimals = parts[1]
            guard (1...2).contains(decimals.count), decimals.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int64(decimals) else { return nil }
            fen = decimals.count == 1 ? value * 10 : value
        }
        let (total, overflow) = yuan.multipliedReportingOverflow(by: 100)
        guard !overflow, total <= maximum - fen else { return nil }
        return total + fen
    }

    /// Fen as `1250.50` (any magnitude: totals are Int128).
    public static func format<T: BinaryInteger>(_ fen: T) -> String {
        let negative = fen < 0
        let magnitude = negative ? -Int128(fen) : Int128(fen)
        let cents = Int(magnitude % 100)
        return (negative ? "-" : "") + String(magnitude / 100) + "." + (cents < 10 ? "0" : "") + String(cents)
    }
}
