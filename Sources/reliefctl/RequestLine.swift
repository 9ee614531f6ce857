import ReliefProtocol

/// Builds one request line from shell words: each word is quoted the way the daemon's parser reads
/// it, so `donor=Yangquan Steel` (one shell argument) arrives as `donor="Yangquan Steel"`.
enum RequestLine {
    static func build(_ words: [String]) -> String {
        words.map(TextEncoder.quoteArgument).joined(separator: " ")
    }
}
