import ReliefCore
import ReliefProtocol

/// Matching commands: match, plan, plan show, plan apply (issue 4).
extension Engine {
    static let matchingCommands: [Command] = []
}
