/// One line of a drill's log. Every line says it is an exercise, wherever it ends up.
public struct DrillLogLine: Sendable, Equatable, CustomStringConvertible {
    public var minute: Int
    public var text: String
    public var description: String { "\(DrillTime.text(minute)) [exercise] \(text)" }
}
