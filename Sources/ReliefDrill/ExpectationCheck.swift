/// Where one expectation stands: undecided (`held` nil) until something decides it on drill time.
struct ExpectationCheck {
    var held: Bool?
    var detail = ""
    var minute = 0
    /// For `never stock … below`: the lowest available seen, and when.
    var lowest: (value: Int64, minute: Int)?
}
