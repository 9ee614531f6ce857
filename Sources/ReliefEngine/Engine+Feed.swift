import ReliefCore
import ReliefProtocol

/// A `watch` request, checked: what to follow and from where.
public struct WatchRequest: Sendable, Equatable {
    public var selection: FeedSelection
    /// Resume after this seq; nil: from now on.
    public var from: Int64?
    /// Whether the subscriber's lines carry personal data (its role sees it).
    public var personal: Bool
}

/// The event feed's words (`watch`) and lines (`EVENT …`); the server keeps the subscribers
/// (FeedHub) and sends what they are owed.
extension Engine {
    public static let watchUsage = "watch [CHANNEL|stock:WAREHOUSE|stock:REGION …] [from=SEQ]"

    /// What reading a channel needs: the read of its area (`users`: the audit roles).
    public static func access(of channel: FeedChannel) -> Access {
        switch channel {
        case .incidents, .needs, .plans, .allocations, .assignments, .alerts: .read(.incidents)
        case .stock: .read(.stock)
        case .rosters: .read(.roster)
        case .drills: .read(.drills)
        case .catalog: .read(.catalog)
        case .donations: .read(.donations)
        case .users: .audit
        }
    }

    /// Checks a `watch` request: every channel known and readable by the principal's role (none
    /// named: every channel it may read), every stock place a warehouse or region, `from=` a seq
    /// the journal has reached. Returns the refusal's reply otherwise.
    public func watchRequest(_ request: Request, as principal: Principal) -> Result<WatchRequest, WatchRefusal> {
        do {
            return .success(try parseWatch(request, as: principal))
        } catch let refusal as Refusal {
            return .failure(WatchRefusal(code: refusal.code, message: refusal.message))
        } catch {
            return .failure(WatchRefusal(code: .internal, message: "\(error)"))
        }
    }

    private func parseWatch(_ request: Request, as principal: Principal) throws -> WatchRequest {
        let args = Arguments(request, usage: Engine.watchUsage, commandWords: 1)
        try args.expect(positionals: 0...64, options: ["from"])
        var channels = Set<FeedChannel>()
        var places: [String] = []
        let role = principal.role
        let names = FeedChannel.allCases.map(\.rawValue).joined(separator: ", ")
        for word in request.words.dropFirst() {
            let lowered = word.lowercased()
            if lowered == "all" {
                channels.formUnion(FeedChannel.allCases.filter { Engine.access(of: $0).allows(role) })
                continue
            }
            if lowered.hasPrefix("stock:") {
                let place = String(word.dropFirst(6))
                guard state.warehouses[place] != nil || state.regions[place] != nil else {
                    throw Refusal(.notFound, "no warehouse or region \"\(place)\" for \(word); expected stock:WAREHOUSE or stock:REGION")
                }
                if !places.contains(place) { places.append(place) }
                channels.insert(.stock)
                continue
            }
            guard let channel = FeedChannel(rawValue: lowered) else {
                throw Refusal(.syntax, "unknown channel \"\(word)\"; expected one of \(names), all, or stock:WAREHOUSE|REGION")
            }
            channels.insert(channel)
        }
        if request.words.count == 1 {
            channels = Set(FeedChannel.allCases.filter { Engine.access(of: $0).allows(role) })
        }
        for channel in channels.sorted() where !Engine.access(of: channel).allows(role) {
            let access = Engine.access(of: channel)
            throw Refusal(.denied, "\(principal.user) (\(role.rawValue)) may not watch \(channel.rawValue): \(access.what) need the \(access.rolesAllowed) role")
        }
        var from: Int64?
        if let text = args.option("from") {
            guard let seq = Int64(text), seq >= 0, seq <= state.lastSeq else {
                throw Refusal(.syntax, "bad from \"\(text)\"; expected the seq of the last event seen, from 0 to \(state.lastSeq)")
            }
            from = seq
        }
        // A stock place narrows stock; stock named bare as well means every warehouse.
        let bareStock = request.words.dropFirst().contains { $0.lowercased() == "stock" || $0.lowercased() == "all" }
        return WatchRequest(selection: FeedSelection(channels: channels, stockPlaces: bareStock ? [] : places),
                            from: from, personal: role.seesPersonalData)
    }

    /// One feed line: `EVENT seq=… time=… channel=… event=KIND actor=USER` and the entry's body
    /// (personal data left out unless `personal`), logfmt, ending in LF.
    public static func appendFeedLine(_ record: FeedRecord, channel: FeedChannel, personal: Bool, into out: inout [UInt8]) {
        out.append(contentsOf: "EVENT seq=".utf8)
        out.append(contentsOf: String(record.seq).utf8)
        out.append(contentsOf: " time=".utf8)
        out.append(contentsOf: Timestamp(milliseconds: record.time).iso8601Milliseconds.utf8)
        out.append(contentsOf: " channel=".utf8)
        out.append(contentsOf: channel.rawValue.utf8)
        out.append(contentsOf: " event=".utf8)
        out.append(contentsOf: record.kind.utf8)
        out.append(contentsOf: " actor=".utf8)
        TextEncoder.appendValue(String(record.user), into: &out)
        for (key, value) in (personal ? record.body : record.maskedBody).pairs {
            out.append(0x20)
            out.append(contentsOf: key.utf8)
            out.append(0x3D)
            switch value {
            case .string(let text): TextEncoder.appendValue(text, into: &out)
            case .int(let number): out.append(contentsOf: String(number).utf8)
            case .double(let number): out.append(contentsOf: String(number).utf8)
            case .null: out.append(contentsOf: "\"\"".utf8)
            }
        }
        out.append(0x0A)
    }

    /// The same entry as a server-sent event (the situation board's stream, `/board/events`):
    /// `id:` its seq, so a browser that reconnects resumes after it (Last-Event-ID), `event:` its
    /// channel, and one `data:` line of JSON (`seq`, `time`, `channel`, `event`, `actor`, `body`
    /// with the journal body's own types). JSON escapes every line break, so the data stays one line.
    public static func appendFeedEvent(_ record: FeedRecord, channel: FeedChannel, personal: Bool, into out: inout [UInt8]) {
        out.append(contentsOf: "id: ".utf8)
        out.append(contentsOf: String(record.seq).utf8)
        out.append(contentsOf: "\nevent: ".utf8)
        out.append(contentsOf: channel.rawValue.utf8)
        out.append(contentsOf: "\ndata: {\"seq\":".utf8)
        out.append(contentsOf: String(record.seq).utf8)
        out.append(contentsOf: ",\"time\":\"".utf8)
        out.append(contentsOf: Timestamp(milliseconds: record.time).iso8601Milliseconds.utf8)
        out.append(contentsOf: "\",\"channel\":\"".utf8)
        out.append(contentsOf: channel.rawValue.utf8)
        out.append(contentsOf: "\",\"event\":".utf8)
        JSONText.append(record.kind, into: &out)
        out.append(contentsOf: ",\"actor\":".utf8)
        JSONText.append(String(record.user), into: &out)
        out.append(contentsOf: ",\"body\":".utf8)
        (personal ? record.body : record.maskedBody).encode(into: &out)
        out.append(contentsOf: "}\n\n".utf8)
    }
}

/// Why a `watch` request was refused.
public struct WatchRefusal: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
}

extension Engine {
    /// The command a request names (`stock receive`, `ping`), for counting requests by command;
    /// nil for one that names none.
    public func commandName(_ request: Request) -> String? {
        if let (command, _) = lookup(request) { return command.name }
        return Engine.hostCommand(request).map { $0.words.joined(separator: " ") }
    }
}
