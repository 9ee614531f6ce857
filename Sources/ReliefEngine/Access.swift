import ReliefCore
import ReliefProtocol

/// What a command does, for the roles' rules. Every command declares one (`Command.access`, and
/// `Engine.hostCommands` for those the server answers itself), so a command cannot be added
/// without a rule; `AccessMatrixTests` holds every command against every role.
public enum Access: Sendable, Equatable {
    /// ping, help, auth, quit: anyone, even a TCP client that has not authenticated yet.
    case open
    /// info, whoami: any user.
    case session
    case read(Area)
    /// A change in an area, within the principal's scope: the subject says what the request
    /// touches, so a duty officer's regions and a keeper's warehouses can be checked.
    case write(Area, Subject)
    /// audit and disclosure: admin and auditor.
    case audit
    /// Users, tokens, the catalog's regions and warehouses, records made for the daemon: admin only.
    case administer
    /// Acknowledging an alert: every role that acts on the operation (admin, duty officer,
    /// warehouse keeper, coordinator), not the auditor, viewer or drill organizer.
    case acknowledge

    public enum Area: String, Sendable, CaseIterable {
        case catalog, stock, roster, incidents, drills
        /// Donation records, money received and spent (receiving donated goods is a stock write).
        case donations
    }

    /// Where a write lands, found from the request's words (positional indexes after the command
    /// words) or options.
    public enum Subject: Sendable, Equatable {
        /// Not scoped (rosters, drills, the catalog).
        case unscoped
        case warehouse(Int)
        case incident(Int)
        case need(Int)
        case allocation(Int)
        case assignment(Int)
        /// A region path given as an option (`incident open … region=PATH`).
        case regionOption(String)
        /// A warehouse id or region path (travel times).
        case place(Int)
        /// A plan (default: the latest): every incident its lines serve.
        case plan(Int)
        /// Every open need (a plan over all of them).
        case openNeeds
    }

    /// Whether `role` may ever do this (scope aside).
    public func allows(_ role: Role) -> Bool {
        switch self {
        case .open, .session: return true
        case .read(let area): return role != .drillOrganizer || area == .catalog || area == .drills
        case .write(let area, _):
            switch role {
            case .admin: return true
            case .dutyOfficer: return area == .incidents
            case .warehouseKeeper: return area == .stock
            case .coordinator: return area == .roster
            case .drillOrganizer: return area == .drills
            case .auditor, .viewer: return false
            }
        case .audit: return role == .admin || role == .auditor
        case .administer: return role == .admin
        case .acknowledge: return role == .admin || role == .dutyOfficer || role == .warehouseKeeper || role == .coordinator
        }
    }

    /// What is refused, in words, for a refusal: `stock writes`, `reading incidents`, ….
    var what: String {
        switch self {
        case .open, .session: "this"
        case .read(let area): "reading \(area.rawValue)"
        case .write(let area, _): "\(area == .incidents ? "incident" : area == .drills ? "drill" : area == .donations ? "donation" : area.rawValue) writes"
        case .audit: "audits and disclosure"
        case .administer: "administration (users, tokens, regions, warehouses, items)"
        case .acknowledge: "acknowledging alerts"
        }
    }

    /// The roles that may, for a refusal's hint.
    var rolesAllowed: String {
        Role.allCases.filter(allows).map(\.rawValue).joined(separator: " or ")
    }
}

/// A command the server answers itself (not the engine), with its rule.
public struct HostCommand: Sendable {
    public var words: [String]
    public var usage: String
    public var summary: String
    public var access: Access
}

extension Engine {
    /// Commands the server answers itself: logging in, closing, drills, bulk imports.
    public static let hostCommands: [HostCommand] = [
        HostCommand(words: ["auth"], usage: "auth USER TOKEN", summary: "log in (TCP clients, before anything else)", access: .open),
        HostCommand(words: ["quit"], usage: "quit", summary: "close the connection", access: .open),
        HostCommand(words: ["session"], usage: "session seq=yes|no",
                    summary: "seq=yes: every OK reply that waited for the operation's state says seq=N, the journal position it shows (read your writes on a follower with min_seq=N)",
                    access: .session),
        // Each channel asked for is checked against the role's reads (Engine.access(of:)).
        HostCommand(words: ["watch"], usage: Engine.watchUsage,
                    summary: "follow every committed change on the channels given (all you may read by default) as EVENT lines; from=SEQ resumes",
                    access: .session),
        HostCommand(words: ["drill", "start"], usage: "drill start SCENARIO [from=live] [speed=N]", summary: "start a drill in a sandbox", access: .write(.drills, .unscoped)),
        HostCommand(words: ["drill", "list"], usage: "drill list", summary: "drills of this run", access: .read(.drills)),
        HostCommand(words: ["drill", "status"], usage: "drill status DRILL", summary: "a drill's clock and progress", access: .read(.drills)),
        HostCommand(words: ["drill", "pause"], usage: "drill pause DRILL", summary: "pause a drill", access: .write(.drills, .unscoped)),
        HostCommand(words: ["drill", "resume"], usage: "drill resume DRILL [speed=N]", summary: "resume a drill", access: .write(.drills, .unscoped)),
        HostCommand(words: ["drill", "stop"], usage: "drill stop DRILL", summary: "stop a drill and write its report", access: .write(.drills, .unscoped)),
        HostCommand(words: ["drill", "ask"], usage: "drill ask DRILL COMMAND…", summary: "a read inside a drill's sandbox", access: .write(.drills, .unscoped)),
        HostCommand(words: ["drill", "inject"], usage: "drill inject DRILL COMMAND…", summary: "a write inside a drill's sandbox", access: .write(.drills, .unscoped)),
        HostCommand(words: ["drill", "report"], usage: "drill report DRILL", summary: "where a finished drill's report is", access: .read(.drills)),
        // Each row of an import is checked as the command it is; `import begin` is checked as
        // its kind's rows (`importAccess`), the rest belong to an import already begun.
        HostCommand(words: ["import", "commit"], usage: "import commit", summary: "apply an import's rows, all or none", access: .session),
        HostCommand(words: ["import", "abort"], usage: "import abort", summary: "drop an import's rows", access: .session),
    ]

    static let hostFirstWords = Array(Set(hostCommands.map { $0.words[0] }))

    /// `word` equals `lowercase` (a lowercase ASCII word) ignoring ASCII case.
    static func equalIgnoringASCIICase(_ word: String, _ lowercase: String) -> Bool {
        word.utf8.count == lowercase.utf8.count && zip(word.utf8, lowercase.utf8).allSatisfy { ($0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0) == $1 }
    }

    /// The rule of every command, engine and host, by its words: what the access matrix checks.
    public var accessTable: [(command: String, access: Access)] {
        commandList.map { ($0.words.joined(separator: " "), $0.access) }
            + Engine.hostCommands.map { ($0.words.joined(separator: " "), $0.access) }
    }

    /// The refusal for `request` by `principal`, or nil when it may run (or names no command:
    /// the command's own refusal says so). Checks the role, then the scope.
    public func refusal(for request: Request, as principal: Principal) -> (code: ErrorCode, message: String)? {
        let access: Access
        let commandWords: Int
        if let (command, words) = lookup(request) {
            access = command.access; commandWords = words
        } else if let host = Engine.hostCommand(request) {
            access = host.access; commandWords = host.words.count
        } else {
            return nil
        }
        let name = request.words.prefix(commandWords).map { $0.lowercased() }.joined(separator: " ")
        return refusal(of: access, name: name, request: request, commandWords: commandWords, as: principal).map { (.denied, $0) }
    }

    /// The refusal of an import of rows that are `rowCommand` (`volunteer add`), or nil.
    public func importRefusal(rowCommand: String, kind: String, as principal: Principal) -> String? {
        guard let command = commands[rowCommand] else { return nil }
        return refusal(of: command.access, name: "import begin \(kind)", request: Request(words: []), commandWords: 0, as: principal)
    }

    public static func hostCommand(_ request: Request) -> HostCommand? {
        // Asked of every request: most are ruled out by their first word, compared without a copy.
        guard let first = request.words.first, hostFirstWords.contains(where: { Engine.equalIgnoringASCIICase(first, $0) }) else { return nil }
        let words = request.words.prefix(2).map { $0.lowercased() }
        return hostCommands.first { $0.words == Array(words.prefix($0.words.count)) }
    }

    /// `name` is made only for a refusal: this runs on every request.
    func refusal(of access: Access, name: @autoclosure () -> String, request: Request, commandWords: Int, as principal: Principal) -> String? {
        guard access.allows(principal.role) else {
            let who = "\(principal.user) (\(principal.role.rawValue))", name = name()
            return "\(who) may not run \(name): \(access.what) need the \(access.rolesAllowed) role"
        }
        guard case .write(_, let subject) = access, principal.regions != nil || principal.warehouses != nil else { return nil }
        let arguments = Arguments(request, usage: "", commandWords: commandWords)
        guard let places = places(of: subject, arguments) else { return nil }
        for place in places where !principal.covers(place) {
            let who = "\(principal.user) (\(principal.role.rawValue))", name = name()
            let scoped = principal.warehouses != nil ? "warehouses" : "regions"
            return "\(who) may not run \(name) for \(place.warehouse.map { "warehouse \($0)" } ?? "region \(place.region)"): "
                + "outside the user's \(principal.scopeText) (a \(principal.role.rawValue)'s writes are limited to the \(scoped) of the grant)"
        }
        return nil
    }

    /// Where a write lands: the regions (and warehouses) it touches, or nil when they cannot be
    /// found (an unknown id: the command itself refuses it).
    func places(of subject: Access.Subject, _ args: Arguments) -> [Place]? {
        func word(_ index: Int) -> String? { args.optionalPositional(index) }
        func incident(_ id: String?) -> [Place]? {
            id.flatMap { state.incidents[$0] }.map { [Place(region: $0.region, warehouse: nil)] }
        }
        func need(_ id: String?) -> [Place]? { incident(id.flatMap { state.needs[$0]?.incident }) }
        switch subject {
        case .unscoped: return []
        case .warehouse(let index):
            return word(index).flatMap { state.warehouses[$0] }.map { [Place(region: $0.region, warehouse: $0.id)] }
        case .incident(let index): return incident(word(index))
        case .need(let index): return need(word(index))
        case .allocation(let index): return incident(word(index).flatMap { state.allocations[$0]?.incident })
        case .assignment(let index): return incident(word(index).flatMap { state.assignments[$0]?.incident })
        case .regionOption(let key): return args.option(key).map { [Place(region: $0, warehouse: nil)] }
        case .place(let index):
            guard let id = word(index) else { return nil }
            if let warehouse = state.warehouses[id] { return [Place(region: warehouse.region, warehouse: id)] }
            return [Place(region: id, warehouse: nil)]
        case .plan(let index):
            guard let plan = try? matchingPlan(word(index)) else { return nil }
            let incidents = Set(plan.lines.compactMap { state.needs[$0.need]?.incident } + (plan.incident.map { [$0] } ?? []))
            return incidents.sorted().compactMap { state.incidents[$0].map { Place(region: $0.region, warehouse: nil) } }
        case .openNeeds:
            let incidents = Set(state.needs.values.filter { $0.status == .open }.map(\.incident))
            return incidents.sorted().compactMap { state.incidents[$0].map { Place(region: $0.region, warehouse: nil) } }
        }
    }

    /// A region, and the warehouse when the write is to one.
    struct Place: Equatable {
        var region: String
        var warehouse: String?
    }
}

extension Principal {
    /// Whether a write landing at `place` is inside this principal's scope.
    func covers(_ place: Engine.Place) -> Bool {
        if let warehouses {
            guard let warehouse = place.warehouse else { return false }
            return warehouses.contains(warehouse)
        }
        if let regions {
            return regions.contains { place.region == $0 || place.region.hasPrefix($0 + "/") }
        }
        return true
    }
}
