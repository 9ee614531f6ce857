import Foundation

extension OperationTimeZone {
    /// A name that is not a zone of the tz database, or one too ambiguous to take.
    public struct UnknownZone: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var description: String { "unknown time zone \"\(name)\"; \(UnknownZone.expected)" }
        public static let expected = "expected a name of the tz database such as Asia/Shanghai, Europe/Berlin, America/New_York or UTC"
            + " (abbreviations such as CST or IST are refused: each names several zones)"
    }

    /// The zone of the tz database called `name`, with its rules (offsets and daylight-saving
    /// changes, past and future) from Foundation's TimeZone. `UTC` (also `Etc/UTC`, `GMT`) is UTC.
    ///
    /// Taken: `Area/Location` names (`Asia/Shanghai`, `America/Argentina/Buenos_Aires`,
    /// `Etc/GMT-8`) and `UTC`/`GMT`. Refused: anything Foundation does not know, and bare names
    /// other than UTC/GMT, because Foundation also reads abbreviations and legacy three-letter ids
    /// there (`CST` would be America/Chicago, not China; `BST` Asia/Dhaka, not British summer time).
    public static func system(named name: String) throws(UnknownZone) -> OperationTimeZone {
        switch name {
        case "UTC", "Etc/UTC", "GMT", "Etc/GMT", "Etc/Universal", "Etc/Zulu": return .utc
        default: break
        }
        let shaped = name.utf8.count <= 64 && name.contains("/") && !name.hasPrefix("/") && !name.hasSuffix("/")
            && !name.contains("..") && name.utf8.allSatisfy { byte in
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == 0x2F || byte == 0x5F || byte == 0x2D || byte == 0x2B
            }
        guard shaped, let zone = TimeZone(identifier: name) else { throw UnknownZone(name: name) }
        return OperationTimeZone(identifier: name) { time in
            zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(time.milliseconds) / 1000))
        }
    }
}
