#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the daemon listens: a Unix socket path or a TCP host and port.
enum Endpoint: Equatable, CustomStringConvertible {
    case unix(String)
    case tcp(host: String, port: UInt16)

    static let defaultSocket = "/run/reliefd/reliefd.sock"

    var description: String {
        switch self {
        case .unix(let path): return "unix socket \(path)"
        case .tcp(let host, let port): return "tcp \(host):\(port)"
        }
    }

    /// Resolves the endpoint from the command line, then RELIEFD_SOCKET, then the system path.
    /// Never a path relative to the working directory unless one was given: a socket found in
    /// whatever directory reliefctl happens to run in could belong to anyone who can write there,
    /// and requests (and personal data in replies) would go to that impostor.
    static func resolve(socket: String?, tcp: String?, environment: [String: String]) throws(UsageError) -> Endpoint {
        if socket != nil && tcp != nil { throw UsageError("give either --socket or --tcp, not both") }
        if let tcp { return try parseTCP(tcp) }
        if let socket { return .unix(socket) }
        if let path = environment["RELIEFD_SOCKET"], !path.isEmpty { return .unix(path) }
        return .unix(defaultSocket)
    }

    /// The search order, for a connection that failed: names where reliefctl looks and how to
    /// point it at another socket.
    static let searchHint = "reliefctl connects to --socket PATH or --tcp HOST:PORT, else $RELIEFD_SOCKET, else \(defaultSocket); "
        + "for the daemon deploy/run starts: export RELIEFD_SOCKET=$PWD/data/reliefd.sock"

    static func parseTCP(_ text: String) throws(UsageError) -> Endpoint {
        guard let colon = text.lastIndex(of: ":") else {
            throw UsageError("--tcp expects HOST:PORT, got \"\(text)\"")
        }
        var host = String(text[text.startIndex..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = UInt16(text[text.index(after: colon)...]), port > 0 else {
            throw UsageError("--tcp expects HOST:PORT with a port from 1 to 65535, got \"\(text)\"")
        }
        return .tcp(host: host, port: port)
    }
}

/// A mistake on the command line; reported with exit status 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
