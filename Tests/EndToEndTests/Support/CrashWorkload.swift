/// The writes one client thread of the crash test sends: receives of new lots with known
/// quantities, and transfers large enough to draw from several lots, each with a `req=` token.
struct CrashWorkload {
    enum Kind: Equatable {
        case receive(lot: String)
        case transfer(note: String)
    }

    struct Write {
        var token: String
        var kind: Kind
        var quantity: Int
        var line: String
    }

    /// The `n`-th write of thread `thread` in iteration `iteration`.
    static func write(iteration: Int, thread: Int, n: Int) -> Write {
        let tag = "\(iteration)-\(thread)-\(n)"
        let (from, to) = (thread + n) % 2 == 0 ? ("wh-a", "wh-b") : ("wh-b", "wh-a")
        if n % 4 == 3 {
            let quantity = 9 + n % 5
            let token = "X" + tag
            return Write(token: token, kind: .transfer(note: token), quantity: quantity,
                         line: "stock transfer \(from) \(to) water \(quantity) note=\(token) req=\(token)")
        }
        let quantity = 1 + (n * 7 + thread) % 7
        let token = "C" + tag
        return Write(token: token, kind: .receive(lot: token), quantity: quantity,
                     line: "stock receive \(from) water \(quantity) lot=\(token) req=\(token)")
    }
}
