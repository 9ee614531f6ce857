/// What one benchmark run measured, and its two printed forms.
struct BenchResult {
    var workload: String
    var clients: Int
    var pipeline: Int
    var requests: Int
    var seconds: Double
    /// Latencies of the measured requests in nanoseconds, sorted ascending.
    var latencies: [UInt64]
    var errors: Int

    var opsPerSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }

    /// Nearest-rank percentile in microseconds (0 when nothing was measured).
    func percentile(_ fraction: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let rank = Int((fraction * Double(latencies.count)).rounded(.up))
        return Double(latencies[min(max(rank, 1), latencies.count) - 1]) / 1000
    }

    var fields: [(String, String)] {
        [("workload", workload), ("clients", String(clients)), ("pipeline", String(pipeline)),
         ("requests", String(requests)), ("seconds", BenchResult.fixed(seconds, 3)),
         ("ops_per_sec", String(Int(opsPerSecond.rounded()))),
         ("p50_us", String(Int(percentile(0.50).rounded()))), ("p99_us", String(Int(percentile(0.99).rounded()))),
         ("errors", String(errors)),
         ("p999_us", String(Int(percentile(0.999).rounded()))), ("max_us", String(Int(percentile(1).rounded())))]
    }

    var logfmt: String { fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ") }

    var json: String {
        "{" + fields.map { key, value in
            "\"\(key)\": " + (key == "workload" ? Output.jsonString(value) : value)
        }.joined(separator: ", ") + "}"
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        return "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
}
