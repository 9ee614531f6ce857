/// Who a client is, for its `req=` tokens and for the server's per-peer connection limits: the
/// same function for both, so "one client" means one thing everywhere.
///
/// Derived from the journal entry's actor alone, so replaying the journal scopes every token
/// exactly as the running daemon did. The scope is the user where the actor names one, else the
/// best identity the transport gives.
public enum RequestScope {
    /// `uid:N` stays `uid:N` (the Unix socket's peer credentials). `tcp:ADDRESS:PORT` becomes
    /// `tcp:ADDRESS` (also `tcp:[V6]:PORT` → `tcp:[V6]`): the port changes on every reconnect, and
    /// a retry after a lost reply comes on a new connection. Anything else is its own scope as is.
    ///
    /// An actor naming a user and role (`alice role=duty_officer token=laptop`, see
    /// `Principal.actor`) is scoped to the user: a retry may come over another transport.
    public static func of(actor: String) -> String {
        if let space = actor.utf8.firstIndex(of: UInt8(ascii: " ")), actor[space...].hasPrefix(" role=") {
            return String(actor[..<space])
        }
        guard actor.hasPrefix("tcp:") else { return actor }
        let utf8 = actor.utf8
        let address = utf8.index(utf8.startIndex, offsetBy: 4)
        guard let colon = utf8.lastIndex(of: UInt8(ascii: ":")), colon > address else { return actor }
        let port = utf8[utf8.index(after: colon)...]
        guard !port.isEmpty, port.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return actor }
        let host = utf8[address..<colon]
        if host.first == UInt8(ascii: "[") {
            // IPv6: the port follows the closing bracket; a colon inside the brackets is not one.
            guard host.last == UInt8(ascii: "]") else { return actor }
        } else if host.contains(UInt8(ascii: ":")) {
            // An unbracketed address with colons has no unambiguous port to drop.
            return actor
        }
        return String(actor[..<colon])
    }
}
