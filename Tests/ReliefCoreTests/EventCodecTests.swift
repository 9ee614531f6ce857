import Foundation
import XCTest
@testable import ReliefCore

final class EventCodecTests: XCTestCase {
    static let allKinds: [Event] = [
        .regionAdded(id: "shanxi/taiyuan", name: "太原 Taiyuan", level: .city),
        .warehouseAdded(id: "ty-01", name: "Taiyuan \"central\" depot", region: "shanxi/taiyuan",
                        location: Coordinate(latitude: 37.87, longitude: 112.55)),
        .warehouseAdded(id: "w", name: "whole", region: "r", location: Coordinate(latitude: -90, longitude: 180)),
        .itemAdded(Item(sku: "water-5l", name: "Bottled water 5 L", category: "water", unit: "bottle", packSize: 4, shelfLifeDays: 365)),
        .itemAdded(Item(sku: "tent-12", name: "Tent", category: "shelter", unit: "tent", packSize: 1, shelfLifeDays: nil)),
        .lotReceived(warehouse: "ty-01", lot: "D-2026-114", sku: "water-5l", quantity: 4000, expires: Day(iso8601: "2027-06-30"),
                     source: .donation, party: "Yangquan Steel", note: "line1\nline2"),
        .lotReceived(warehouse: "ty-01", lot: "L-000001", sku: "tent-12", quantity: 1, expires: nil,
                     source: .other, party: nil, note: nil),
        .lotIssued(warehouse: "ty-01", lot: "D-2026-114", quantity: 10, recipient: "Xiaodian shelter", note: nil),
        .lotIssued(warehouse: "ty-01", lot: "D-2026-114", quantity: 1, recipient: nil, note: "n"),
        .lotTransferred(from: "ty-01", to: "dt-01", lot: "D-2026-114", quantity: 500, note: nil),
        .lotTransferred(from: "ty-01", to: "dt-01", lot: "D-2026-114", quantity: 1, note: "by truck"),
        .lotAdjusted(warehouse: "ty-01", lot: "D-2026-114", delta: -3, reason: .damaged, note: nil),
        .lotAdjusted(warehouse: "ty-01", lot: "D-2026-114", delta: 2, reason: .recount, note: "stock take"),
        .minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: 0),
        .minimumSet(warehouse: "ty-01", sku: "water-5l", quantity: 1200),
        .requestCompleted(token: "abc-1", reply: "lot=\"a b\""),
        .requestCompleted(token: "abc-2", reply: "lot=A", digest: RequestDigest(high: 0x0123_4567_89AB_CDEF, low: 42), command: "stock receive"),
    ]

    func testEveryEventRoundTripsThroughItsJournalForm() throws {
        var kindsSeen = Set<String>()
        for event in Self.allKinds {
            kindsSeen.insert(event.kind)
            let text = event.body.encoded()
            let decoded = try Event(kind: event.kind, body: try FlatJSON.decode(text))
            XCTAssertEqual(decoded, event, text)
        }
        XCTAssertEqual(kindsSeen, ["region.added", "warehouse.added", "item.added", "lot.received", "lot.issued",
                                   "lot.transferred", "lot.adjusted", "minimum.set", "request.completed"])
        for source in LotSource.allCases {
            let event = Event.lotReceived(warehouse: "w", lot: "l", sku: "s", quantity: 1, expires: nil, source: source, party: nil, note: nil)
            XCTAssertEqual(try Event(kind: event.kind, body: event.body), event)
        }
        for reason in AdjustReason.allCases {
            let event = Event.lotAdjusted(warehouse: "w", lot: "l", delta: -1, reason: reason, note: nil)
            XCTAssertEqual(try Event(kind: event.kind, body: event.body), event)
        }
        for level in RegionLevel.allCases {
            let event = Event.regionAdded(id: "x", name: "x", level: level)
            XCTAssertEqual(try Event(kind: event.kind, body: event.body), event)
        }
    }

    func testDonationAndDeliveryEventsRoundTrip() throws {
        let events: [Event] = [
            .donationRecorded(Donation(receipt: "D-2026-0001", donor: "Yangquan Steel, \"works\" union", anonymous: false, contact: "0353-555",
                                       pledgedGoods: [.init(sku: "water-5l", quantity: 4000), .init(sku: "tent-12", quantity: 2)],
                                       pledgedMoney: 125_050, note: "line1\nline2", recordedAt: Timestamp(milliseconds: 0))),
            .donationRecorded(Donation(receipt: "D-2", donor: "A. Person", anonymous: true, contact: nil, pledgedGoods: [],
                                       pledgedMoney: 0, note: nil, recordedAt: Timestamp(milliseconds: 0))),
            .donationLotLinked(receipt: "D-2", lot: "L-000001"),
            .donationMoneyReceived(receipt: "D-2", amount: Money.maximum, note: nil),
            .donationMoneySpent(receipt: "D-2", amount: 1, purpose: "trucks", lots: []),
            .donationMoneySpent(receipt: "D-2", amount: 99, purpose: "blankets", lots: ["P-1", "P-2"]),
            .allocationDispatched(id: "AL-000001", note: nil, lot: "L-000001", quantity: 40),
            .allocationDelivered(id: "AL-000001", note: "n", lot: "L-000001", quantity: 40),
        ]
        for event in events {
            let text = event.body.encoded()
            XCTAssertEqual(try Event(kind: event.kind, body: try FlatJSON.decode(text)), event, text)
        }
        // Written before deliveries named their lot: still read, with neither.
        XCTAssertEqual(try Event(kind: "allocation.delivered", body: FlatJSON.decode(#"{"id":"AL-000001"}"#)),
                       .allocationDelivered(id: "AL-000001", note: nil))
        for (kind, body) in [("donation.money_received", #"{"receipt":"D","amount":0}"#),
                             ("donation.money_received", #"{"receipt":"D","amount":1000000000001}"#),
                             ("donation.recorded", #"{"receipt":"D","donor":"x","anonymous":"maybe","goods":"","money":0}"#),
                             ("donation.recorded", #"{"receipt":"D","donor":"x","anonymous":"no","goods":"water:0","money":0}"#),
                             ("allocation.dispatched", #"{"id":"A","lot":"L","qty":0}"#)] {
            XCTAssertThrowsError(try Event(kind: kind, body: FlatJSON.decode(body)), body)
        }
    }

    func testUnknownKindsAndBadBodiesAreRefused() throws {
        XCTAssertThrowsError(try Event(kind: "lot.vanished", body: FlatJSON())) { error in
            XCTAssertEqual(error as? FlatJSON.DecodingError, .unknownKind("lot.vanished"))
        }
        XCTAssertThrowsError(try Event(kind: "region.added", body: FlatJSON.decode(#"{"id":"x","name":"x","level":"planet"}"#)))
        XCTAssertThrowsError(try Event(kind: "lot.received", body: FlatJSON.decode(
            #"{"warehouse":"w","lot":"l","sku":"s","qty":1,"expires":"2027-02-30","source":"donation"}"#)))
        XCTAssertThrowsError(try Event(kind: "lot.issued", body: FlatJSON.decode(#"{"warehouse":"w","lot":"l","qty":"1"}"#)))
        for hash in ["", "0123", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdeg", "0123456789abcdef0123456789abcdef0"] {
            XCTAssertThrowsError(try Event(kind: "request.completed", body: FlatJSON.decode(#"{"token":"t","reply":"","hash":"\#(hash)"}"#)), hash)
        }
    }

    /// Journals written before tokens were bound to their request have neither hash nor command.
    func testRequestCompletedBodiesOfOlderJournalsStillDecode() throws {
        let legacy = try Event(kind: "request.completed", body: FlatJSON.decode(#"{"token":"t-1","reply":"lot=R-1"}"#))
        XCTAssertEqual(legacy, .requestCompleted(token: "t-1", reply: "lot=R-1", digest: nil, command: nil))
        let bound = Event.requestCompleted(token: "t-1", reply: "lot=R-1", digest: RequestDigest(hex: "00112233445566778899aabbccddeeff"),
                                           command: "stock receive")
        XCTAssertEqual(bound.body.encoded(),
                       #"{"token":"t-1","reply":"lot=R-1","hash":"00112233445566778899aabbccddeeff","command":"stock receive"}"#)
    }
}

final class SnapshotSealEventTests: XCTestCase {
    static let digest = String(repeating: "0123456789abcdef", count: 4)

    func testSealRoundTripsAndChangesNothingButTheSeq() throws {
        let event = Event.snapshotSealed(seq: 41, format: "reliefd-snapshot-1", sha256: Self.digest)
        XCTAssertEqual(event.kind, "snapshot.sealed")
        XCTAssertEqual(event.body.encoded(), #"{"snapshot":41,"format":"reliefd-snapshot-1","sha256":"\#(Self.digest)"}"#)
        XCTAssertEqual(try Event(kind: event.kind, body: FlatJSON.decode(event.body.encoded())), event)

        var state = State()
        try state.apply(Entry(seq: 1, time: Timestamp(milliseconds: 1), actor: "a",
                              event: .regionAdded(id: "sx", name: "Shanxi", level: .province)))
        let before = state.snapshotText()
        try state.apply(Entry(seq: 2, time: Timestamp(milliseconds: 2), actor: "reliefd",
                              event: .snapshotSealed(seq: 1, format: "reliefd-snapshot-1", sha256: Self.digest)))
        XCTAssertEqual(state.lastSeq, 2)
        XCTAssertEqual(state.snapshotText(), before.replacingOccurrences(of: #""seq":1"#, with: #""seq":2"#))
        // A seal names a snapshot before it.
        XCTAssertThrowsError(try state.apply(Entry(seq: 3, time: Timestamp(milliseconds: 3), actor: "reliefd",
                                                   event: .snapshotSealed(seq: 3, format: "reliefd-snapshot-1", sha256: Self.digest))))
    }

    func testMalformedSealsAreRefused() {
        for body in [#"{"snapshot":0,"format":"f","sha256":"\#(Self.digest)"}"#,
                     #"{"snapshot":4,"format":"f","sha256":"\#(Self.digest.uppercased())"}"#,
                     #"{"snapshot":4,"format":"f","sha256":"abc"}"#,
                     #"{"snapshot":4,"sha256":"\#(Self.digest)"}"#] {
            XCTAssertThrowsError(try Event(kind: "snapshot.sealed", body: FlatJSON.decode(body)), body)
        }
    }

    /// The journal's `kind` spellings are its format: every one a version wrote must still name the
    /// same kind, in the same family. A new kind is added here on purpose.
    func testEveryKindKeepsItsJournalSpellingAndFamily() {
        let families: [String: [String]] = [
            "stock": ["region.added", "warehouse.added", "item.added", "lot.received", "lot.issued", "lot.transferred",
                      "lot.adjusted", "minimum.set", "request.completed"],
            "roster": ["skill.added", "specialty.added", "volunteer.added", "volunteer.updated", "volunteer.status_set",
                       "certification.granted", "certification.revoked", "duty.checked_in", "duty.checked_out",
                       "team.added", "team.member_added", "team.member_removed", "team.state_set"],
            "incident": ["incident.opened", "incident.updated", "incident.status_set", "need.added", "need.changed", "need.cancelled",
                         "plan.proposed", "plan.applied", "allocation.reserved", "allocation.dispatched", "allocation.delivered",
                         "allocation.released", "assignment.made", "assignment.status_set", "assignment.released"],
            "travel": ["travel.set"], "seal": ["snapshot.sealed"], "drill": ["drill.recorded"],
            "users": ["user.set", "user.removed", "token.created", "token.revoked"],
            "donations": ["donation.recorded", "donation.lot_linked", "donation.money_received", "donation.money_spent"],
            "alerts": ["alert.raised", "alert.cleared", "alert.acknowledged"],
        ]
        func family(_ kind: Event.Kind) -> String {
            switch kind {
            case .stock: "stock"
            case .roster: "roster"
            case .incident: "incident"
            case .travel: "travel"
            case .seal: "seal"
            case .drill: "drill"
            case .users: "users"
            case .donations: "donations"
            case .alerts: "alerts"
            }
        }
        var spelled: [String: String] = [:]
        for kind in Event.Kind.allCases {
            XCTAssertEqual(Event.Kind(rawValue: kind.rawValue), kind)
            XCTAssertNil(spelled.updateValue(family(kind), forKey: kind.rawValue), "\(kind.rawValue) spelled twice")
        }
        XCTAssertEqual(spelled, families.reduce(into: [:]) { map, pair in for kind in pair.value { map[kind] = pair.key } })
        XCTAssertNil(Event.Kind(rawValue: "lot.teleported"))
    }
}

/// A skills list is read byte by byte (`Event.parseSkills`); it must read every text as splitting
/// on ',' and then ':' did: the same skills, and the same texts refused.
final class SkillsTextTests: XCTestCase {
    private func bySplitting(_ text: String) -> [String: Int]? {
        var skills: [String: Int] = [:]
        for part in text.utf8.split(separator: 0x2C) {
            let pieces = part.split(separator: 0x3A)
            guard pieces.count == 2, let level = Int(Substring(pieces[1])) else { return nil }
            skills[String(Substring(pieces[0]))] = level
        }
        return skills
    }

    func testEveryTextReadsAsSplittingReadIt() {
        var cases = ["", "first-aid:2", "first-aid:2,driver-c1:3", ",,a:1,", "a::1", ":a:1", "a:1:", "a:1:2", "a", "a:", ":1", "a:+3", "a:-3",
                     "a:x", "a:1,a:2", "a:99999999999999999999", "a:999999999999999999", "a:0000000000000000001", "语言:3", "a:1,,b:2", "a: 1"]
        var random = SplitMix64(seed: 16)
        let alphabet = Array("ab:,19+-é".unicodeScalars)
        for _ in 0..<5_000 {
            let length = Int(random.next() % 12)
            cases.append(String(String.UnicodeScalarView((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })))
        }
        for text in cases {
            let read = try? Event.parseSkills(text)
            XCTAssertEqual(read, bySplitting(text), "\"\(text)\"")
        }
    }
}
