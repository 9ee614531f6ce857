/// Why a scenario does not start: every error found, each naming the file, line and column and
/// what was expected, so an organizer fixes them all in one pass.
public struct ScenarioErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Item: Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int
        public var message: String

        public init(file: String, line: Int, column: Int, message: String) {
            self.file = file; self.line = line; self.column = column; self.message = message
        }

        /// `FILE:LINE:COLUMN: message`, the form compilers use, so editors can jump to it.
        public var description: String { "\(file):\(line):\(column): \(message)" }
    }

    /// In file order (line, then column).
    public var items: [Item]

    public init(_ items: [Item]) {
        self.items = items.enumerated().sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    public var description: String { items.map(\.description).joined(separator: "\n") }
}
