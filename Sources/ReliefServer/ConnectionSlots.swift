import ReliefProtocol

/// Who may hold a connection, as a value type: every open connection counted by peer and by
/// transport, and the reason a new one may not stay — shutting down, all slots taken, the TCP share
/// taken (slots are kept for the Unix socket, so an operator can always get in when TCP is
/// flooded), or its peer holding too many. Refusals and cut-offs are counted by reason for `info`.
struct ConnectionSlots {
    struct Limits: Equatable {
        var maxClients: Int
        /// Of maxClients, kept for the Unix socket.
        var unixReserved: Int
        var perPeer: Int
    }

    let limits: Limits
    private(set) var open = 0
    private(set) var tcp = 0
    private var byPeer: [String: Int] = [:]
    /// Connections refused or cut off by a limit since start, by reason.
    private(set) var refused: [String: Int64] = [:]

    init(limits: Limits) {
        self.limits = limits
    }

    func connections(of peer: String) -> Int { byPeer[peer, default: 0] }

    /// A connection was accepted: it is counted, and the refusal (reason and reply) returned if it
    /// may not stay. A refused connection stays counted until `closed`, like any other.
    mutating func accepted(peer: String, isTCP: Bool, stopping: Bool) -> (reason: String, reply: Reply)? {
        open += 1
        byPeer[peer, default: 0] += 1
        if isTCP { tcp += 1 }
        let refusal = refusal(peer: peer, isTCP: isTCP, stopping: stopping)
        if let refusal { count(refusal.reason) }
        return refusal
    }

    private func refusal(peer: String, isTCP: Bool, stopping: Bool) -> (reason: String, reply: Reply)? {
        if stopping { return ("shutting_down", .error(.unavailable, "reliefd is shutting down")) }
        if open > limits.maxClients {
            return ("max_clients", .error(.limit, "too many clients (max_clients \(limits.maxClients)); try again later"))
        }
        let tcpShare = limits.maxClients - limits.unixReserved
        if isTCP, tcp > tcpShare {
            return ("tcp_share", .error(.limit, "too many TCP clients (\(tcpShare) of max_clients \(limits.maxClients); \(limits.unixReserved) are kept for the Unix socket); try again later"))
        }
        if byPeer[peer, default: 0] > limits.perPeer {
            return ("max_clients_per_peer", .error(.limit, "too many connections from \(peer) (max_clients_per_peer \(limits.perPeer)); close some first"))
        }
        return nil
    }

    mutating func closed(peer: String, isTCP: Bool) {
        open -= 1
        if let count = byPeer[peer] { byPeer[peer] = count > 1 ? count - 1 : nil }
        if isTCP { tcp -= 1 }
    }

    /// A connection refused or cut off for `reason` (a timeout, HTTP on the control protocol).
    mutating func count(_ reason: String) {
        refused[reason, default: 0] += 1
    }

    /// `info`'s connections_refused: reason:count pairs by reason, or 0.
    var refusedSummary: String {
        refused.isEmpty ? "0" : refused.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
