/// Quantity fields of journal entries and snapshot records. A value outside its range is refused
/// while decoding, naming the field, so a damaged journal or snapshot stops the load with a clear
/// error instead of building a state whose next change traps.
extension FlatJSON {
    public func quantity(_ key: String, in range: ClosedRange<Int64>) throws -> Int64 {
        let value = try int(key)
        guard range.contains(value) else { throw DecodingError.invalid("\(key)=\(value) outside \(range)") }
        return value
    }

    public func optionalQuantity(_ key: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = try optionalInt(key) else { return nil }
        guard range.contains(value) else { throw DecodingError.invalid("\(key)=\(value) outside \(range)") }
        return value
    }
}
