/// Totals the load check compares between the state and the current-state tables, taken modulo a
/// prime on both sides: a drifted table still shows (a change that is not a multiple of the prime
/// changes the residue), and no sum can overflow — in Swift, in SQLite's SUM (an error past
/// Int64) or in a value read back from PostgreSQL — however many quantities at the maximum there are.
enum ProjectionTotal {
    static let modulus: Int64 = 2_147_483_647

    static func of<S: Sequence>(_ values: S) -> Int64 where S.Element == Int64 {
        values.reduce(0) { ($0 + $1 % modulus) % modulus }
    }

    /// The same total in SQL, over `expression` of the rows selected.
    static func sql(_ expression: String) -> String {
        "COALESCE(SUM((\(expression)) % \(modulus)), 0) % \(modulus)"
    }
}
