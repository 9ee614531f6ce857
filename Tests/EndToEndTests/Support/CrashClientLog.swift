import Foundation

/// What one client thread of the crash test sent and which writes were acknowledged.
struct CrashClientLog {
    /// Tokens in the order they were handed to the socket (recorded before the write).
    var sent: [String] = []
    /// Token → the reply text of every write answered OK.
    var acknowledged: [String: String] = [:]
    /// Writes answered with an error (e.g. INSUFFICIENT for a transfer), by token.
    var refused: [String: String] = [:]
    /// How the thread ended: "killed" (connection lost), "done" or an unexpected error.
    var ending = ""
    /// When the first reply arrived, to report how long the first commit took.
    var firstReplyAt: Date?
}
