import ReliefProtocol

/// The daemon's command words and option names, read from its `help`, for Tab completion at the
/// interactive prompt and in the shell completion scripts. The daemon is asked rather than a list
/// built into reliefctl, so a client completes what the daemon it talks to actually has.
struct CommandCompletion: Sendable, Equatable {
    /// One command: its words (`stock query`), the option names its usage shows (`item=`), and
    /// whether another request follows its positionals (`drill inject DRILL COMMAND…`).
    struct Entry: Sendable, Equatable {
        var words: [String]
        var options: [String]
        /// Positionals before a nested request (1 for `drill inject DRILL COMMAND…`), or nil.
        var nestedAfter: Int?
    }

    let entries: [Entry]

    /// The most `help` rows taken (the daemon has about a hundred and ten commands).
    static let maximumEntries = 2_000

    init(entries: [Entry]) { self.entries = entries }

    /// From the rows of `help` (logfmt lines with command= and usage=); other lines are ignored.
    init(helpRows: [String]) {
        var entries: [Entry] = []
        for line in helpRows.prefix(CommandCompletion.maximumEntries) {
            var command: String?
            var usage = ""
            for pair in ReplyReader.parseLogfmt(line) {
                if pair.key == "command" { command = pair.value }
                if pair.key == "usage" { usage = pair.value }
            }
            guard let command else { continue }
            let words = command.split(separator: " ").map { String($0).lowercased() }
            guard !words.isEmpty else { continue }
            entries.append(Entry(words: words, options: CommandCompletion.options(fromUsage: usage),
                                 nestedAfter: CommandCompletion.nestedPositionals(usage: usage, words: words.count)))
        }
        self.entries = entries
    }

    /// The option names a usage line shows, as `key=`: `[kind=KIND]`, `donor=NAME`,
    /// `[acknowledged=yes|no]`. Keys are lower-case letters, digits and `_`.
    static func options(fromUsage usage: String) -> [String] {
        var result: [String] = []
        for token in usage.split(whereSeparator: { $0 == " " || $0 == "[" || $0 == "]" || $0 == "(" || $0 == ")" || $0 == "|" }) {
            guard let equals = token.firstIndex(of: "="), equals != token.startIndex else { continue }
            let key = token[..<equals]
            guard key.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }) else { continue }
            let option = key + "="
            if !result.contains(String(option)) { result.append(String(option)) }
        }
        return result
    }

    /// `drill inject DRILL COMMAND…`: the positionals between the command's words and a nested request.
    static func nestedPositionals(usage: String, words: Int) -> Int? {
        let tokens = usage.split(separator: " ")
        guard let nested = tokens.firstIndex(where: { $0.hasPrefix("COMMAND") }), nested >= words else { return nil }
        return nested - words
    }

    /// What may complete the word being typed (`prefix`) after the words already typed: the next
    /// command word, or once a whole command is typed the option names it takes that are not
    /// given yet. Sorted; compared without case, as the daemon reads command words.
    func candidates(typed: [String], prefix: String) -> [String] {
        let typed = typed.map { $0.lowercased() }
        let lowered = prefix.lowercased()
        // `help NOUN`: the nouns.
        if typed == ["help"] {
            return Set(entries.map { $0.words[0] }).filter { $0.hasPrefix(lowered) }.sorted()
        }
        // The command whose words are all typed, the longest such (`team member add` over `team`).
        let complete = entries.filter { $0.words.count <= typed.count && Array(typed.prefix($0.words.count)) == $0.words }
            .max { $0.words.count < $1.words.count }
        if let complete {
            if let nested = complete.nestedAfter, typed.count >= complete.words.count + nested {
                return candidates(typed: Array(typed.dropFirst(complete.words.count + nested)), prefix: prefix)
            }
            let given = Set(typed.dropFirst(complete.words.count).compactMap { word -> String? in
                word.firstIndex(of: "=").map { String(word[...$0]) }
            })
            return complete.options.filter { !given.contains($0) && $0.hasPrefix(lowered) }.sorted()
        }
        let next = entries.filter { $0.words.count > typed.count && Array($0.words.prefix(typed.count)) == typed }
            .map { $0.words[typed.count] }
        return Set(next).filter { $0.hasPrefix(lowered) }.sorted()
    }

    /// Asks the daemon at `endpoint` for its commands, waiting at most `timeout` seconds; nil when
    /// it cannot be reached or refuses (completion then offers nothing rather than guessing).
    static func fetch(_ endpoint: Endpoint, timeout: Double) -> CommandCompletion? {
        guard let connection = try? Connection.open(endpoint, timeout: timeout) else { return nil }
        return fetch(over: connection, timeout: timeout)
    }

    static func fetch(over connection: Connection, timeout: Double?) -> CommandCompletion? {
        guard (try? connection.send(Array("help\n".utf8), timeout: timeout)) != nil,
              let reply = try? connection.nextReply(timeout: timeout), let lines = reply.rowLines else { return nil }
        return CommandCompletion(helpRows: lines)
    }

    /// The shell completion scripts' hook for the words of a request (ArgumentParser's custom
    /// completion: the shell's words, the index of the one being completed, its typed prefix).
    /// The socket is the one the command line names, else $RELIEFD_SOCKET, else the system's.
    static func shellCompletions(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        var socket: String?
        var tcp: String?
        var position = words.isEmpty ? 0 : 1
        while position < min(index, words.count) {
            let word = words[position]
            if word == "--socket" || word == "--tcp", position + 1 < words.count {
                if word == "--socket" { socket = words[position + 1] } else { tcp = words[position + 1] }
                position += 2
            } else if ReliefCtl.valueOptions.contains(word) {
                position += 2
            } else if word.hasPrefix("-") {
                position += 1
            } else {
                break
            }
        }
        if position < words.count, words[position] == SendCommand._commandName { position += 1 }
        guard position <= index, index <= words.count,
              let endpoint = try? Endpoint.resolve(socket: socket, tcp: tcp, environment: environment()),
              let completion = fetch(endpoint, timeout: 1) else { return [] }
        return completion.candidates(typed: Array(words[position..<index]), prefix: prefix)
    }
}
