import ReliefCore
import ReliefProtocol

/// What `/metrics` reports beyond `info`: histograms of commit latency and batch size, snapshot
/// times, and requests by command and result. Updated on the loop; bounded (commands are the
/// daemon's own, results its error codes).
struct ServerMetrics {
    struct Histogram {
        let bounds: [Double]
        private(set) var counts: [Int64]
        private(set) var sum: Double = 0
        private(set) var count: Int64 = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for index in bounds.indices where value <= bounds[index] { counts[index] += 1 }
            sum += value
            count += 1
        }

        func text(_ name: String, _ help: String) -> String {
            var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (bound, count) in zip(bounds, counts) { out += "\(name)_bucket{le=\"\(ServerMetrics.number(bound))\"} \(count)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(ServerMetrics.number(sum))\n\(name)_count \(count)\n"
            return out
        }
    }

    var commitSeconds = Histogram(bounds: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
    var batchEntries = Histogram(bounds: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096])
    var snapshotSeconds = Histogram(bounds: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30])
    /// Requests answered, by command and result (`ok` or the error code).
    private(set) var requests: [String: [String: Int64]] = [:]
    /// HTTP requests authenticated and answered.
    var httpRequests: Int64 = 0

    mutating func request(_ command: String?, _ reply: Reply) {
        let code: ErrorCode? = if case .error(let code, _) = reply { code } else { nil }
        request(command, errorCode: code)
    }

    mutating func request(_ command: String?, errorCode: ErrorCode?) {
        requests[command ?? "unknown", default: [:]][errorCode?.rawValue ?? "ok", default: 0] += 1
    }

    func requestsText() -> String {
        var out = "# HELP reliefd_requests_total Requests answered, by command and result (ok or the error code).\n# TYPE reliefd_requests_total counter\n"
        for (command, results) in requests.sorted(by: { $0.key < $1.key }) {
            for (result, count) in results.sorted(by: { $0.key < $1.key }) {
                out += "reliefd_requests_total{command=\"\(ServerMetrics.label(command))\",result=\"\(result)\"} \(count)\n"
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// A label value: backslash, quote and newline escaped (the text format's rules).
    static func label(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func gauge(_ name: String, _ help: String, _ value: Int64, type: String = "gauge") -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
    }
}
