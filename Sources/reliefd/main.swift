// reliefd: the entry point. Reads the configuration (defaults, then the file, then flags), opens
// the store, rebuilds the state, loads the demo dataset into an empty store if asked, and runs the
// server until SIGTERM or SIGINT.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ReliefCore
import ReliefEngine
import ReliefLog
import ReliefServer
import ReliefStore

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("reliefd: \(message)\n".utf8))
    exit(status)
}

func usage() -> String {
    var text = """
    usage: reliefd [--config FILE] [--KEY VALUE ...] [--check-config]
           reliefd migrate --from sqlite:PATH --to postgres://USER@HOST:PORT/DATABASE [--password-file PATH]
           reliefd verify [--config FILE] [--store sqlite:PATH|postgres://…] [--data-dir DIR]
           reliefd drill run FILE [--compare FILE_B] [--report DIR] [--config FILE]
           reliefd drill compare REPORT_A REPORT_B [--report DIR]

    Runs the reliefd daemon in the foreground. Settings come from the defaults, then FILE, then
    flags; every configuration key is also a flag (--data-dir or --data_dir). --check-config reads
    them, says whether they are valid and exits (0 or 1) without starting. Under systemd
    (Type=notify) it says READY=1 once it serves and pings the watchdog from its loop.

    reliefd verify recomputes the journal's hash chain from the first entry and checks every
    snapshot against its seal, without starting the daemon (safe beside a running one); it prints
    the entries checked, the last seq and the last hash, and exits 0, or 1 naming the first bad seq.

    reliefd drill run plays a drill scenario (docs/drills.md) in-process on a sandbox, as fast as it
    goes, writes its report to DIR and exits 0 when every expectation held, 1 when one failed, 2
    when the scenario has errors (every one is printed). With --compare it plays a second scenario
    (a what-if) and writes both reports and their comparison; reliefd drill compare compares two
    reports written before.

    keys:

    """
    for key in Configuration.keys {
        text += "  --\(key.key.replacingOccurrences(of: "_", with: "-")) \(key.form)\n      \(key.help)\n"
    }
    return text
}

var configuration = Configuration()
var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "migrate" {
    exit(Migrate.run(Array(arguments.dropFirst())))
}
if arguments.first == "verify" {
    exit(Verify.run(Array(arguments.dropFirst())))
}
if arguments.first == "drill" {
    exit(Drill.run(Array(arguments.dropFirst())))
}
var overrides: [(String, String)] = []
var configFile: String?
var checkConfigOnly = false
var index = 0
while index < arguments.count {
    var argument = arguments[index]
    index += 1
    if argument == "--help" || argument == "-h" {
        print(usage(), terminator: "")
        exit(0)
    }
    if argument == "--version" {
        print("reliefd \(ReliefVersion.string)")
        exit(0)
    }
    if argument == "--check-config" {
        checkConfigOnly = true
        continue
    }
    guard argument.hasPrefix("--") else { fail("unexpected argument \"\(argument)\"; expected --KEY VALUE (see --help)") }
    argument.removeFirst(2)
    var value: String
    if let equals = argument.firstIndex(of: "=") {
        value = String(argument[argument.index(after: equals)...])
        argument = String(argument[..<equals])
    } else {
        guard index < arguments.count else { fail("--\(argument) needs a value") }
        value = arguments[index]
        index += 1
    }
    let key = argument.replacingOccurrences(of: "-", with: "_")
    if key == "config" {
        configFile = value
    } else {
        overrides.append((key, value))
    }
}

do {
    if let configFile {
        guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else {
            fail("cannot read configuration file \(configFile)")
        }
        try configuration.load(fileText: text, name: configFile)
    }
    for (key, value) in overrides {
        do {
            try configuration.set(key, value)
        } catch let problem as Configuration.Problem {
            throw Configuration.Problem("--\(key.replacingOccurrences(of: "_", with: "-")): \(problem.message)")
        }
    }
} catch {
    fail("\(error)")
}
// One resolved settings value for either store: a setting that cannot be used stops start-up here,
// before any store is opened.
let settings: ServerSettings
do {
    settings = try ServerSettings.resolve(configuration)
} catch {
    fail("\(error)")
}
if checkConfigOnly {
    print("reliefd: the configuration \(configFile ?? "(defaults and flags)") is valid")
    exit(0)
}
// The command line is public (ps, /proc/PID/cmdline): a password there is no secret, so none is
// taken from it, and the message does not repeat it either.
if overrides.contains(where: { $0.0 == "store" && PostgresStore.hasPassword($0.1) }) {
    fail("--store holds a password, which any user can read in the process list (ps); give it with store_password_file = PATH (a file only reliefd's user can read) or in ~/.pgpass / PGPASSFILE instead (docs/operations.md \"PostgreSQL\")")
}

let logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
ReliefLogging.bootstrap(level: logLevel)
let logger = Logger(label: "reliefd")
for warning in settings.warnings {
    logger.warning("\(warning.message)", metadata: warning.metadata.mapValues { "\($0)" })
}
signal(SIGPIPE, SIG_IGN)
// A file-size limit must fail a commit (EFBIG → ERR UNAVAILABLE), not kill the daemon.
signal(SIGXFSZ, SIG_IGN)

// Checked before anything is created: a start refused for its password leaves nothing behind.
var storePassword: String?
if let postgresURL = configuration.postgresURL {
    if let file = configuration.storePasswordFile {
        if PostgresStore.hasPassword(postgresURL) {
            fail("store holds a password and store_password_file is set too; keep the password in store_password_file only")
        }
        do {
            storePassword = try PasswordFile.read(file, key: "store_password_file")
        } catch {
            fail("\(error)")
        }
    } else if PostgresStore.hasPassword(postgresURL), let configFile {
        var info = stat()
        // Readable by its group only when that is the daemon's own group (the installed
        // /etc/reliefd/reliefd.conf is 0640 root:reliefd).
        if stat(configFile, &info) == 0, info.st_mode & 0o007 != 0 || (info.st_mode & 0o070 != 0 && info.st_gid != getgid()) {
            logger.warning("the configuration file holds the PostgreSQL password and others can read it: chmod 600 it (or 640 with reliefd's group), or move the password to store_password_file",
                           metadata: ["file": "\(configFile)", "mode": "0\(String(info.st_mode & 0o777, radix: 8))"])
        }
    }
} else if configuration.storePasswordFile != nil {
    logger.warning("store_password_file is for a PostgreSQL store; ignored with the embedded store", metadata: ["store": "\(configuration.store)"])
}

// Everything the daemon creates from here on (the store's files, SQLite's -wal and -shm, which copy
// the database's mode, and the socket before its chmod) is for its own user only.
umask(0o077)
do {
    let storeFiles = configuration.postgresURL == nil ? ["", "-wal", "-shm", "-journal"].map { configuration.sqlitePath + $0 } : []
    try PrivateFiles.secure(dataDirectory: configuration.dataDir, storeFiles: storeFiles, logger: logger)
} catch {
    fail("\(error)")
}
let socketDirectory = (configuration.socket as NSString).deletingLastPathComponent
if !socketDirectory.isEmpty {
    // Others may need to reach the socket; its own mode and group decide who may connect.
    do {
        try PrivateFiles.makeDirectories(socketDirectory, mode: 0o755)
    } catch {
        fail("\(error)")
    }
    if configuration.socketGroup != nil, PrivateFiles.isInside(socketDirectory, configuration.dataDir) {
        logger.warning("the socket is inside the data directory, which only reliefd's user may enter, so socket_group admits nobody; put the socket in a directory of its own (e.g. /run/reliefd)",
                       metadata: ["socket": "\(configuration.socket)", "data_dir": "\(configuration.dataDir)"])
    }
}

ProcessMemory.configure()
if let postgresURL = configuration.postgresURL {
    // PostgreSQL: the server connects, takes the leader lock (or waits as a standby) and loads the
    // state inside its loop. The catalog and demo data are for the embedded store.
    if configuration.demo || configuration.catalogFile != nil {
        logger.info("catalog_file and demo apply to an empty embedded store; on PostgreSQL load them with reliefd migrate or reliefctl",
                    metadata: ["store": "\(PostgresStore.redacted(postgresURL))"])
    }
    let server = Server(settings: settings, postgresURL: postgresURL, password: storePassword, logger: logger)
    do {
        try server.run()
    } catch {
        fail("\(error)", status: 1)
    }
    exit(0)
}

let journal: SQLiteJournal
var state: State
do {
    journal = SQLiteJournal(path: configuration.sqlitePath, logger: logger)
    // The current-state tables are compared with the state by the writer, as its first job:
    // the daemon answers reads meanwhile (StoreWorker; SQLiteJournal.load(deferringTableCheck:)).
    state = try journal.load(deferringTableCheck: true)
} catch {
    fail("cannot open the store \(configuration.sqlitePath): \(error)", status: 1)
}
ProcessMemory.returnFreed()
logger.info("state loaded", metadata: ["seq": "\(state.lastSeq)", "warehouses": "\(state.warehouses.count)", "lots": "\(state.lots.count)"])

// A new store gets the skill catalog, demo or not; then, with demo on, the demo dataset and a
// generated roster. Each step is all or nothing; a store with anything in it is left alone.
if state.lastSeq == 0 {
    if let catalogFile = configuration.catalogFile {
        if let text = try? String(contentsOfFile: catalogFile, encoding: .utf8) {
            do {
                state = try DemoLoader.load(text: text, name: catalogFile, into: state, journal: journal,
                                            clock: .system, logger: logger)
            } catch {
                fail("skill catalog not loaded: \(error)", status: 1)
            }
        } else {
            logger.warning("skill catalog not found; starting without one (set catalog_file, or off)",
                           metadata: ["catalog_file": "\(catalogFile)"])
        }
    }
    if configuration.demo {
        guard let text = try? String(contentsOfFile: configuration.demoFile, encoding: .utf8) else {
            fail("cannot read the demo dataset \(configuration.demoFile); set demo = off or demo_file", status: 1)
        }
        do {
            state = try DemoLoader.load(text: text, name: configuration.demoFile, into: state, journal: journal,
                                        clock: .system, logger: logger)
            if configuration.demoVolunteers > 0 {
                let lines = RosterGenerator.demoLines(seed: configuration.demoSeed, volunteers: configuration.demoVolunteers,
                                                      now: Clock.system.now().day)
                state = try DemoLoader.load(lines: lines, name: "demo roster (seed \(configuration.demoSeed), \(configuration.demoVolunteers) volunteers)",
                                            into: state, journal: journal, clock: .system, logger: logger)
            }
        } catch {
            fail("demo dataset not loaded: \(error)", status: 1)
        }
    }
}

let server = Server(settings: settings, journal: journal, state: state, logger: logger)
do {
    try server.run()
} catch {
    journal.close()
    fail("\(error)", status: 1)
}
exit(0)
