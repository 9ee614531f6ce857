// ReliefServer owns the libuv side of the daemon: listeners (Unix socket, TCP), connections and
// their buffers, the group-commit pipeline and its writer thread, timers and signals. What they do
// is decided by value-type state machines with no I/O (ServerMachine, ConnectionMachine,
// LeadershipMachine; docs/architecture.md); the classes perform their actions. The loop thread owns
// the Engine and its state; the writer thread owns the Journal; they meet only at mailboxes.

#if canImport(Glibc)
import Glibc
#endif
import ReliefMatching
import ReliefStore
import ReliefLimits
import ReliefCore

/// The daemon's settings: defaults, then the configuration file, then command-line flags.
public struct Configuration: Sendable, Equatable {
    public var socket = "data/reliefd.sock"
    public var socketMode: UInt16 = 0o660
    /// Group given to the Unix socket (a name or gid); nil keeps the daemon's own group. Lets the
    /// socket's users be a group of their own, never the one that could read the data directory.
    public var socketGroup: String?
    /// `host:port`, or nil for no TCP listener (the default: tokens travel in clear text, and any
    /// web page can reach a loopback port). TCP clients must `auth` before anything else.
    public var tcp: String?
    /// The HTTP listener (situation board, JSON, /metrics): HOST:PORT, off by default. Port 0
    /// takes a free port (logged; for tests).
    public var http: String?
    public var dataDir = "data"
    /// `sqlite` (a file in the data directory), `sqlite:PATH`, or a PostgreSQL URL `postgres://…`.
    public var store = "sqlite"
    /// A file holding the PostgreSQL password (owned by the daemon's user, 0600 or 0400), passed
    /// to libpq as its own parameter so it is never in the URL, the logs or `ps`.
    public var storePasswordFile: String?
    // Limits: defaults and ranges come from ReliefLimits (Limits.swift), where each says why.
    public var maxLine = Limits.lineDefault
    public var maxClients = Limits.clientsDefault
    /// Slots of `maxClients` that only Unix-socket clients may take.
    public var unixReservedClients = Limits.unixReservedClientsDefault
    /// Connections one peer (a uid on the Unix socket, an address on TCP) may hold at once.
    public var maxClientsPerPeer = Limits.clientsPerPeerDefault
    /// Output held for one client past which it is disconnected (hard limit).
    public var maxOutput = Limits.outputHardDefault
    /// Output held for one client past which its requests stop running until it reads (soft limit).
    public var outputSoftLimit = Limits.outputSoftDefault
    /// Seconds a client may stay over the soft limit without reading a byte before it is disconnected.
    public var outputStallTimeout: Double = 120
    /// Output held for one `watch` subscriber past which it is cut off, with a final line saying
    /// from where to resume.
    public var watchMaxOutputSet: Int?
    /// As set, else 4 MiB or max_output if that is less.
    public var watchMaxOutput: Int { watchMaxOutputSet ?? min(Limits.watchOutputDefault, maxOutput) }
    /// Listings of more than 10,000 rows being sent at once, all clients together.
    public var maxLargeListings = Limits.largeListingsDefault
    public var partialLineTimeout: Double = 30
    /// Unix-socket connections idle this long are closed (0 = never).
    public var idleTimeout: Double = 0
    /// TCP connections idle this long are closed (0 = never).
    public var tcpIdleTimeout: Double = 300
    public var snapshotEvery: Int64 = 100_000
    /// Threads that answer roster reads (`volunteer find`, `list`, `export` of up to 256 rows)
    /// beside the loop, from a copy of the state; 0 = the loop answers every request itself.
    public var readThreads = Configuration.defaultReadThreads
    /// One per core, at most 8.
    public static var defaultReadThreads: Int { min(max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1), 8) }
    /// Stock moves held in memory; older ones are read from the store (State+MoveWindow.swift).
    public var historyMoves = State.defaultMoveWindow
    public var snapshotInterval: Double = 600
    public var logLevel = "info"
    public var demo = false
    public var demoFile = "config/demo/shanxi.commands"
    /// Volunteers generated for the demo roster after the demo dataset (0 = none).
    public var demoVolunteers = 28_500
    public var demoSeed: UInt64 = 2026
    /// Request lines of the skill catalog, loaded into an empty store; nil = none.
    public var catalogFile: String? = "config/catalog/skills.commands"
    /// Planning standards for `need estimate`, read at every start; nil = none.
    public var planningFile: String? = "config/planning/sphere.standards"
    /// Unix-socket peers with these uids are admins (the local administrator: root and the
    /// daemon's own uid), so a single machine works without any setup.
    public var adminUIDs: Set<UInt32> = [0, UInt32(getuid())]
    /// Unix-socket peers with these uids are coordinators (rosters and personal data).
    public var coordinatorUIDs: Set<UInt32> = []
    /// The role of a Unix-socket peer neither listed here nor mapped to a user (`user add … uids=`);
    /// nil: it must `auth` like a TCP client.
    public var unixDefaultRole: Role? = .viewer
    /// Rows one `import begin … import commit` may buffer.
    public var maxImportRows = Limits.importRowsDefault
    /// Bytes of rows one import may hold, and all open imports together.
    public var maxImportBytes = Limits.importBytesDefault
    public var maxImportBytesTotal = Limits.importBytesTotalDefault
    /// Entries written and not yet durable past which writes stop being run (their clients are
    /// not read) until commits catch up.
    public var maxUncommitted = Limits.uncommittedDefault
    /// A team that has not drilled for this many days is flagged by `team readiness`.
    public var drillPeriodDays = 180
    /// The alerts' thresholds (`alert_*`).
    public var alertThresholds = AlertThresholds()
    /// Where `drill start NAME` finds its scenarios (NAME.drill), and how many drills may run at once.
    public var drillsDir = "config/drills"
    public var maxDrills = Limits.drillsDefault
    /// `matching_*` keys: the matching policy's knobs (MatchingPolicy.keys), checked when set.
    public var matching: [String: String] = [:]
    /// The operation's time zone, a name of the tz database: how date-times written without an
    /// offset and date-only deadlines are read, and what `info` tells clients to show times in.
    /// Checked when set (`OperationTimeZone.system(named:)`), so an unknown name stops the start.
    public var timeZone = "UTC"
    /// `leader`: leads the store (on PostgreSQL, when it holds the leader lock; else a standby).
    /// `follower`: keeps its state from the journal in PostgreSQL (a primary or a hot-standby
    /// replica) and serves reads and the feed from it; never writes to the database.
    public var role: DaemonRole = .leader
    /// A follower on a replica polls its replay position this often (seconds).
    public var followPoll = 0.02
    /// How long a follower's read waits for the follower to apply what the client's last write (or
    /// min_seq) showed before it is refused (seconds); a forwarded write waits twice that for the leader.
    public var followWait = 5.0
    var followWaitMilliseconds: UInt64 { UInt64(followWait * 1000) }
    /// `advertise`: the HOST:PORT (an IP address or a host name) followers send writes to, recorded by the leader in PostgreSQL;
    /// nil = `tcp` when it names one address (not 0.0.0.0 or ::), "" = none.
    public var advertise: String?

    /// What a leader records as its address for followers ("" = none: followers refuse writes).
    public var advertisedAddress: String {
        if let advertise { return advertise }
        guard let tcp, let colon = tcp.lastIndex(of: ":") else { return "" }
        let host = tcp[..<colon]
        return ["0.0.0.0", "::", "[::]", ""].contains(host) ? "" : tcp
    }

    public enum DaemonRole: String, Sendable {
        case leader, follower
    }

    public init() {}

    /// Every key, its meaning and its form; the example configuration file documents the same.
    public static let keys: [(key: String, form: String, help: String)] = [
        ("socket", "PATH", "Unix socket for the control protocol"),
        ("socket_mode", "OCTAL", "permissions of the Unix socket, e.g. 0660"),
        ("socket_group", "GROUP | empty", "group of the Unix socket (name or gid; reliefd's user must be in it); empty = the daemon's own group"),
        ("tcp", "HOST:PORT | off", "TCP listener, normally on loopback"),
        ("http", "HOST:PORT | off", "HTTP listener for the situation board, JSON and /metrics (users log in with a token), normally on loopback"),
        ("data_dir", "PATH", "directory for the store and snapshots"),
        ("store", "sqlite | sqlite:PATH | postgres://USER@HOST:PORT/DB", "where the journal lives (PostgreSQL: docs/operations.md)"),
        ("store_password_file", "PATH | off", "file holding the PostgreSQL password (owned by reliefd's user, mode 0600 or 0400)"),
        ("max_line", "BYTES", "longest request line accepted (1024 to 16777216)"),
        ("max_clients", "N", "connections served at once (1 to 100000)"),
        ("unix_reserved_clients", "N", "slots of max_clients that only Unix-socket clients may take"),
        ("max_clients_per_peer", "N", "connections one peer (uid on the Unix socket, address on TCP) may hold"),
        ("max_output", "BYTES", "reply bytes held for one client before it is disconnected (hard limit)"),
        ("output_soft_limit", "BYTES", "reply bytes held for one client before its requests wait until it reads"),
        ("output_stall_timeout", "SECONDS", "how long a client may stay over output_soft_limit reading nothing (0 = forever)"),
        ("watch_max_output", "BYTES", "event-feed bytes held for one watch subscriber before it is cut off (it resumes with from=)"),
        ("max_large_listings", "N", "listings of more than 10000 rows being sent at once, all clients together (2 per peer)"),
        ("partial_line_timeout", "SECONDS", "how long a client may take to send one line, from its first byte"),
        ("idle_timeout", "SECONDS", "close Unix-socket connections idle this long (0 = never)"),
        ("tcp_idle_timeout", "SECONDS", "close TCP connections idle this long (0 = never)"),
        ("snapshot_every", "N", "take a snapshot after this many journal entries"),
        ("read_threads", "N | auto", "threads that answer roster reads (volunteer find, list, export of up to 256 rows) beside the loop; auto = one per core, at most 8; 0 = none"),
        ("history_moves", "N", "stock moves held in memory; older ones are read from the store"),
        ("snapshot_interval", "SECONDS", "take a snapshot at least this often when there were changes"),
        ("log_level", "trace|debug|info|notice|warning|error|critical", "log verbosity (stderr)"),
        ("demo", "on | off", "load the demo dataset when the store is empty"),
        ("demo_file", "PATH", "request lines of the demo dataset"),
        ("demo_volunteers", "N", "volunteers generated for the demo roster after the demo dataset (0 = none)"),
        ("demo_seed", "N", "seed of the generated demo roster (the same seed gives the same roster)"),
        ("catalog_file", "PATH | off", "skill catalog (request lines) loaded into an empty store, demo or not"),
        ("planning_file", "PATH | off", "planning standards for need estimate (per-person needs and the items that meet them), read at every start"),
        ("admin_uids", "UID,... (self = the daemon's uid)", "Unix-socket peers that are admins (default 0,self)"),
        ("coordinator_uids", "UID,... (self = the daemon's uid)", "Unix-socket peers that get the coordinator role (personal data)"),
        ("unix_default_role", "ROLE | none", "role of other Unix-socket peers not mapped to a user (default viewer; none = they must auth)"),
        ("max_import_rows", "N", "rows one bulk import may buffer before it is aborted with ERR LIMIT"),
        ("drill_period_days", "N", "team readiness flags a team that has not drilled for this many days"),
        ("alert_lot_expiry_days", "N", "alert on lots with stock left that expire within this many days (0 to 3650)"),
        ("alert_certification_days", "N", "alert on team members' certifications that expire within this many days (0 to 3650)"),
        ("alert_delivery_minutes", "N", "alert on a dispatched allocation not delivered this many minutes after its dispatch (0 to 100000)"),
        ("alert_plan_minutes", "N", "alert on the newest plan of an incident left unapplied this many minutes (0 to 100000)"),
        ("drills_dir", "PATH", "where drill start NAME finds its scenario files (NAME.drill)"),
        ("max_drills", "N", "online drills running at once (each has its own thread and a copy of the state)"),
        ("max_import_bytes", "BYTES", "bytes of rows one bulk import may hold before it is aborted with ERR LIMIT"),
        ("max_import_bytes_total", "BYTES", "bytes of rows all open imports together may hold"),
        ("max_uncommitted", "N", "journal entries written and not yet durable past which writes wait (their clients are not read) until commits catch up"),
        ("role", "leader | follower", "leader: lead the store (on PostgreSQL, a standby until it holds the leader lock); follower: keep the state from the journal in PostgreSQL (the primary or a streaming replica) and serve reads and watch feeds from it (docs/operations.md \"Followers\")"),
        ("advertise", "HOST:PORT | off | auto", "where followers send writes to this reliefd when it leads (recorded in PostgreSQL); auto = tcp when it is one address"),
        ("follow_wait", "SECONDS", "a follower's read waits this long for the follower to apply the client's last write (or min_seq) before ERR UNAVAILABLE; a forwarded write gets twice that to reach the leader (default 5)"),
        ("follow_poll", "SECONDS", "a follower on a replica checks its replay position this often (default 0.02; on a primary it is woken by NOTIFY)"),
        ("time_zone", "ZONE", "the operation's time zone, a tz database name such as Asia/Shanghai (default UTC): date-times without an offset and date-only deadlines are read in it, and reliefctl shows times in it; journal and replies stay UTC"),
    ] + MatchingPolicy.keys.map { ("matching_" + $0.key, $0.form, "matching: " + $0.help) }

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
        public init(_ message: String) { self.message = message }
    }

    /// Sets one key from its text form, refusing unknown keys and bad values with a message that
    /// names the key and what was expected.
    public mutating func set(_ key: String, _ value: String) throws {
        func number<T: FixedWidthInteger>(_ range: ClosedRange<T>) throws -> T {
            guard let parsed = T(value), range.contains(parsed) else {
                throw Problem("bad value \"\(value)\" for \(key); expected a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return parsed
        }
        func seconds() throws -> Double {
            guard let parsed = Double(value), parsed.isFinite, parsed >= 0, parsed <= 86_400 * 30 else {
                throw Problem("bad value \"\(value)\" for \(key); expected seconds from 0 to 2592000")
            }
            return parsed
        }
        func path() throws -> String {
            guard !value.isEmpty, !value.utf8.contains(0) else { throw Problem("bad value for \(key); expected a path") }
            return value
        }
        switch key {
        case "socket":
            socket = try path()
            guard socket.utf8.count < 108 else { throw Problem("socket path \(socket) is longer than 107 bytes, the Unix socket limit") }
        case "socket_mode":
            guard let mode = UInt16(value, radix: 8), mode <= 0o777 else {
                throw Problem("bad value \"\(value)\" for socket_mode; expected octal permissions such as 0660")
            }
            socketMode = mode
        case "socket_group":
            if value.isEmpty {
                socketGroup = nil
            } else {
                guard value.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                    throw Problem("bad value \"\(value)\" for socket_group; expected a group name or numeric gid, or empty for the daemon's own group")
                }
                socketGroup = value
            }
        case "http":
            if value == "off" || value.isEmpty {
                http = nil
            } else {
                guard let colon = value.lastIndex(of: ":"), UInt16(value[value.index(after: colon)...]) != nil, colon != value.startIndex else {
                    throw Problem("bad value \"\(value)\" for http; expected HOST:PORT such as 127.0.0.1:8080, or off")
                }
                http = value
            }
        case "tcp":
            if value == "off" || value.isEmpty {
                tcp = nil
            } else {
                guard let colon = value.lastIndex(of: ":"), let port = UInt16(value[value.index(after: colon)...]), port > 0,
                      colon != value.startIndex else {
                    throw Problem("bad value \"\(value)\" for tcp; expected HOST:PORT such as 127.0.0.1:7878, or off")
                }
                tcp = value
            }
        case "data_dir": dataDir = try path()
        case "store":
            guard value == "sqlite" || (value.hasPrefix("sqlite:") && value.count > 7)
                    || (PostgresStore.isPostgresURL(value) && !value.utf8.contains(0)) else {
                // Only the scheme of a URL is echoed: a mistyped one (postgress://) may still carry a password.
                let shown = value.firstRange(of: "://").map { String(value[..<$0.upperBound]) + "…" } ?? value
                throw Problem("bad value \"\(shown)\" for store; expected sqlite, sqlite:PATH or postgres://USER@HOST:PORT/DATABASE")
            }
            store = value
        case "store_password_file": storePasswordFile = value == "off" || value.isEmpty ? nil : try path()
        case "max_line": maxLine = try number(Limits.lineRange)
        case "max_clients": maxClients = try number(Limits.clientsRange)
        case "unix_reserved_clients": unixReservedClients = try number(0...Limits.clientsRange.upperBound)
        case "max_clients_per_peer": maxClientsPerPeer = try number(Limits.clientsRange)
        case "max_output": maxOutput = try number(Limits.outputHardRange)
        case "output_soft_limit": outputSoftLimit = try number(Limits.outputSoftRange)
        case "output_stall_timeout": outputStallTimeout = try seconds()
        case "watch_max_output": watchMaxOutputSet = try number(Limits.watchOutputRange)
        case "max_large_listings": maxLargeListings = try number(Limits.largeListingsRange)
        case "partial_line_timeout": partialLineTimeout = try seconds()
        case "idle_timeout": idleTimeout = try seconds()
        case "tcp_idle_timeout": tcpIdleTimeout = try seconds()
        case "snapshot_every": snapshotEvery = try number(1...1_000_000_000)
        case "read_threads":
            if value == "auto" { readThreads = Configuration.defaultReadThreads; break }
            guard let threads = Int(value), (0...64).contains(threads) else {
                throw Problem("bad value \"\(value)\" for read_threads; expected auto or a whole number from 0 to 64")
            }
            readThreads = threads
        case "history_moves": historyMoves = try number(ChunkedList<StockMove>.chunkSize...100_000_000)
        case "snapshot_interval": snapshotInterval = try seconds()
        case "log_level":
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value) else {
                throw Problem("bad value \"\(value)\" for log_level; expected trace, debug, info, notice, warning, error or critical")
            }
            logLevel = value
        case "demo":
            switch value {
            case "on", "true", "yes": demo = true
            case "off", "false", "no": demo = false
            default: throw Problem("bad value \"\(value)\" for demo; expected on or off")
            }
        case "demo_file": demoFile = try path()
        case "demo_volunteers": demoVolunteers = try number(0...10_000_000)
        case "demo_seed": demoSeed = try number(0...UInt64.max)
        case "catalog_file": catalogFile = value == "off" ? nil : try path()
        case "planning_file": planningFile = value == "off" ? nil : try path()
        case "unix_default_role":
            if value == "none" { unixDefaultRole = nil } else {
                guard let role = Role(rawValue: value) else { throw Problem("bad value \"\(value)\" for unix_default_role; expected one of \(Role.names), or none") }
                unixDefaultRole = role
            }
        case "coordinator_uids", "admin_uids":
            var uids = Set<UInt32>()
            for part in value.split(separator: ",") {
                let word = Substring(part).trimmingSpaces
                if word.isEmpty { continue }
                if word == "self" {
                    uids.insert(UInt32(getuid()))
                } else if let uid = UInt32(word) {
                    uids.insert(uid)
                } else {
                    throw Problem("bad uid \"\(word)\" in \(key); expected numeric uids or self, separated by commas (empty = nobody)")
                }
            }
            if key == "admin_uids" { adminUIDs = uids } else { coordinatorUIDs = uids }
        case "max_import_rows": maxImportRows = try number(Limits.importRowsRange)
        case "max_uncommitted": maxUncommitted = try number(Limits.uncommittedRange)
        case "drill_period_days": drillPeriodDays = try number(1...3650)
        case "alert_lot_expiry_days": alertThresholds.lotExpiryDays = try number(0...3650)
        case "alert_certification_days": alertThresholds.certificationDays = try number(0...3650)
        case "alert_delivery_minutes": alertThresholds.deliveryMinutes = try number(0...100_000)
        case "alert_plan_minutes": alertThresholds.planMinutes = try number(0...100_000)
        case "drills_dir": drillsDir = try path()
        case "max_drills": maxDrills = try number(Limits.drillsRange)
        case "max_import_bytes": maxImportBytes = try number(Limits.importBytesRange)
        case "max_import_bytes_total": maxImportBytesTotal = try number(Limits.importBytesTotalRange)
        case "role":
            guard let parsed = DaemonRole(rawValue: value) else { throw Problem("bad value \"\(value)\" for role; expected leader or follower") }
            role = parsed
        case "advertise":
            switch value {
            case "auto", "": advertise = nil
            case "off": advertise = ""
            default:
                guard let colon = value.lastIndex(of: ":"), let port = UInt16(value[value.index(after: colon)...]), port > 0,
                      Configuration.isIPAddress(String(value[..<colon])) || Configuration.isHostName(String(value[..<colon])) else {
                    throw Problem("bad value \"\(value)\" for advertise; expected HOST:PORT followers can reach (such as 10.0.0.5:7878, [fd00::5]:7878 "
                                  + "or reliefd-1.province.example:7878), auto or off")
                }
                advertise = value
            }
        case "follow_wait":
            let parsed = try seconds()
            guard parsed >= 0.1, parsed <= 600 else { throw Problem("bad value \"\(value)\" for follow_wait; expected seconds from 0.1 to 600") }
            followWait = parsed
        case "follow_poll":
            let parsed = try seconds()
            guard parsed >= 0.001, parsed <= 60 else { throw Problem("bad value \"\(value)\" for follow_poll; expected seconds from 0.001 to 60") }
            followPoll = parsed
        case "time_zone":
            guard (try? OperationTimeZone.system(named: value)) != nil else {
                throw Problem("bad value \"\(value)\" for time_zone: not a time zone known here; \(OperationTimeZone.UnknownZone.expected)")
            }
            timeZone = value
        case _ where key.hasPrefix("matching_"):
            var values = matching
            values[key] = value
            do {
                _ = try MatchingPolicy(parsing: values)
            } catch {
                throw Problem("\(error)")
            }
            matching = values
        default:
            throw Problem("unknown key \"\(key)\"; expected one of " + Configuration.keys.map(\.key).joined(separator: ", "))
        }
    }

    /// Checks what no single key can: limits that must agree with each other. Called once every
    /// key is set (file, then flags).
    public func checkConsistency() throws {
        guard role == .leader || postgresURL != nil else {
            throw Problem("role = follower needs store = postgres://…: a follower reads the leader's journal from PostgreSQL (the primary or a streaming replica); expected a PostgreSQL store or role = leader")
        }
        guard outputSoftLimit <= maxOutput else {
            throw Problem("output_soft_limit (\(outputSoftLimit)) is above max_output (\(maxOutput)); expected the soft limit at or below the hard one")
        }
        guard watchMaxOutput <= maxOutput else {
            throw Problem("watch_max_output (\(watchMaxOutput)) is above max_output (\(maxOutput)); expected a subscriber to be cut off before the hard limit")
        }
        guard unixReservedClients < maxClients || tcp == nil else {
            throw Problem("unix_reserved_clients (\(unixReservedClients)) leaves no slot of max_clients (\(maxClients)) for TCP; expected fewer reserved slots, or tcp = off")
        }
        guard maxImportBytes <= maxImportBytesTotal else {
            throw Problem("max_import_bytes (\(maxImportBytes)) is above max_import_bytes_total (\(maxImportBytesTotal)); expected one import to fit in the total")
        }
    }

    /// Reads a configuration file: `key = value` lines, `#` comments, values optionally in double
    /// quotes. Relative paths in it stay relative to the working directory.
    public mutating func load(fileText text: String, name: String) throws {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Substring(rawLine).trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw Problem("\(name):\(lineNumber): expected key = value, found \"\(line)\"")
            }
            let key = line[..<equals].trimmingSpaces
            var rest = Substring(line[line.index(after: equals)...].trimmingSpaces)
            let value: String
            if rest.hasPrefix("\"") {
                // A quoted value may hold `#`; after its closing quote only a comment may follow.
                rest = rest.dropFirst()
                guard let close = rest.firstIndex(of: "\"") else {
                    throw Problem("\(name):\(lineNumber): unbalanced quote in the value of \(key)")
                }
                value = String(rest[..<close])
                let after = rest[rest.index(after: close)...].trimmingSpaces
                guard after.isEmpty || after.hasPrefix("#") else {
                    throw Problem("\(name):\(lineNumber): unexpected \"\(after)\" after the quoted value of \(key)")
                }
            } else {
                value = (rest.firstIndex(of: "#").map { rest[..<$0] } ?? rest).trimmingSpaces
            }
            do {
                try set(key, value)
            } catch let problem as Problem {
                throw Problem("\(name):\(lineNumber): \(problem.message)")
            }
        }
    }

    /// An IPv4 or IPv6 address (brackets allowed around IPv6), as a follower connects to it.
    static func isIPAddress(_ host: String) -> Bool {
        var text = host
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// A DNS host name (RFC 1123): dot-separated labels of letters, digits and inner hyphens, each
    /// 1–63 characters, 253 in all; not all digits (that would be an IPv4 address).
    static func isHostName(_ host: String) -> Bool {
        let bytes = Array(host.utf8)
        guard !bytes.isEmpty, bytes.count <= 253, bytes.contains(where: { !($0 >= 0x30 && $0 <= 0x39) && $0 != 0x2E }) else { return false }
        return bytes.split(separator: 0x2E, omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.count), label.first != 0x2D, label.last != 0x2D else { return false }
            return label.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D }
        }
    }

    /// The PostgreSQL URL when `store` names one.
    public var postgresURL: String? { PostgresStore.isPostgresURL(store) ? store : nil }

    /// The path of the SQLite database file.
    public var sqlitePath: String {
        store.hasPrefix("sqlite:") ? String(store.dropFirst(7)) : dataDir + "/reliefd.db"
    }
}

extension Substring {
    var trimmingSpaces: String {
        var slice = self
        while let first = slice.first, first == " " || first == "\t" || first == "\r" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice = slice.dropLast() }
        return String(slice)
    }
}
