/// Administrative level of a region; a warehouse's reach and the matching penalties follow it.
public enum RegionLevel: String, Sendable, CaseIterable, Codable {
    case province, city, county
}

/// A region in the hierarchy province / city / county. Its id is a path: `shanxi/taiyuan/xiaodian`;
/// the parent is the path without its last part.
public struct Region: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var level: RegionLevel
    public var parent: String?
}

public struct Warehouse: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var region: String
    public var location: Coordinate
    public var createdAt: Timestamp
}

/// A catalog item: what a lot holds, counted in `unit`s packed `packSize` to a pack.
public struct Item: Sendable, Equatable, Codable {
    public init(sku: String, name: String, category: String, unit: String, packSize: Int64, shelfLifeDays: Int?) {
        self.sku = sku; self.name = name; self.category = category; self.unit = unit
        self.packSize = packSize; self.shelfLifeDays = shelfLifeDays
    }

    public var sku: String
    public var name: String
    public var category: String
    public var unit: String
    public var packSize: Int64
    /// Shelf life from receipt in days; nil for goods that do not expire (tents, beds).
    public var shelfLifeDays: Int?
}

/// Where a lot came from. Donations name their donor, purchases their supplier: both are part of
/// the public account of how donated goods were received and used.
public enum LotSource: String, Sendable, CaseIterable, Codable {
    case donation, purchase, allocation, other
}

/// A lot: one consignment of one item with one expiry, identified by its code across warehouses
/// (a transfer moves quantity of the same lot; it never creates a new lot).
public struct Lot: Sendable, Equatable, Codable {
    public var code: String
    public var sku: String
    public var expires: Day?
    public var source: LotSource
    /// Donor for donations, supplier for purchases.
    public var party: String?
    public var receivedAt: Timestamp
}

/// How much of one lot one warehouse holds. `reserved` is quantity promised to needs and not yet
/// dispatched; available = onHand − reserved.
public struct Holding: Sendable, Equatable, Codable {
    public init(onHand: Int64, reserved: Int64) { self.onHand = onHand; self.reserved = reserved }

    public var onHand: Int64
    public var reserved: Int64
    public var available: Int64 { onHand - reserved }
}

/// Reasons a count may be corrected by `stock adjust`.
public enum AdjustReason: String, Sendable, CaseIterable, Codable {
    case damaged, expired, lost, recount
}

/// One movement of stock, kept for `stock history` and the public account of donated goods.
public struct StockMove: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case received, issued, transferOut = "transfer_out", transferIn = "transfer_in", adjusted
        /// Sent to an incident by an allocation (`counterpart` the incident, `reason` the allocation).
        case dispatched
        /// Back from transit when a dispatched allocation is released.
        case returned
    }
    public var seq: Int64
    public var time: Timestamp
    public var actor: String
    public var kind: Kind
    public var warehouse: String
    public var lot: String
    public var sku: String
    /// Signed change of the warehouse's on-hand quantity of this lot.
    public var delta: Int64
    /// The other warehouse of a transfer, the recipient of an issue, the donor of a receipt.
    public var counterpart: String?
    public var reason: String?
    public var note: String?
}
