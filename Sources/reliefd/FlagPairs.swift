/// The `--flag value` and `--flag=value` pairs of a subcommand's arguments, in order. `--help` and
/// `-h` take no value; any other flag at the very end has none (nil), which the caller refuses.
enum FlagPairs {
    static func parse(_ arguments: [String]) -> [(flag: String, value: String?)] {
        var pairs: [(flag: String, value: String?)] = []
        var index = 0
        while index < arguments.count {
            var flag = arguments[index]
            index += 1
            var value: String?
            if flag == "--help" || flag == "-h" {
                value = nil
            } else if let equals = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: equals)...])
                flag = String(flag[..<equals])
            } else if index < arguments.count {
                value = arguments[index]
                index += 1
            }
            pairs.append((flag, value))
        }
        return pairs
    }
}
