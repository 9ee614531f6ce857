import ReliefCore
import ReliefProtocol

/// Incident, need, allocation and assignment commands (issue 4).
extension Engine {
    static let incidentCommands: [Command] = []
}
