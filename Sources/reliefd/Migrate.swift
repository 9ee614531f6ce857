#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ReliefLog
import ReliefStore

/// `reliefd migrate --from sqlite:PATH --to postgres://… [--password-file PATH]`: copies an
/// operation from the embedded store into an empty PostgreSQL database (ReliefStore's JournalCopy)
/// and reports what it checked.
enum Migrate {
    static let usage = """
        usage: reliefd migrate --from sqlite:PATH --to postgres://USER@HOST:PORT/DATABASE [--password-file PATH]
          The password comes from --password-file (owned by you, mode 0600 or 0400), ~/.pgpass or
          PGPASSFILE; never from the URL, which any user can read in the process list.
        """

    static func run(_ arguments: [String]) -> Int32 {
        var from: String?, to: String?, passwordFile: String?
        for (argument, value) in FlagPairs.parse(arguments) {
            switch argument {
            case "--from": from = value
            case "--to": to = value
            case "--password-file": passwordFile = value
            case "--help", "-h":
                print(usage)
                return 0
            default:
                return complain("unexpected argument \"\(argument)\"\n\(usage)")
            }
        }
        guard let from, from.hasPrefix("sqlite:"), from.count > 7 else { return complain("--from must be sqlite:PATH\n\(usage)") }
        guard let to, PostgresStore.isPostgresURL(to) else { return complain("--to must be a postgres:// URL\n\(usage)") }
        guard !PostgresStore.hasPassword(to) else {
            return complain("--to holds a password, which any user can read in the process list (ps); give it with --password-file PATH or in ~/.pgpass / PGPASSFILE instead")
        }
        var password: String?
        if let passwordFile {
            do {
                password = try PasswordFile.read(passwordFile, key: "--password-file")
            } catch {
                return complain("\(error)")
            }
        }
        // SQLite's -wal and -shm of the source, if it makes them, are for this user only.
        umask(0o077)
        let path = String(from.dropFirst(7))
        guard FileManager.default.fileExists(atPath: path) else { return complain("no SQLite store at \(path)") }

        ReliefLogging.bootstrap(level: .info)
        let logger = Logger(label: "reliefd.migrate")
        let source = SQLiteJournal(path: path, logger: logger)
        let target = PostgresJournal(url: to, password: password, logger: logger, timeoutSeconds: 600)
        defer {
            source.close()
            target.close()
        }
        do {
            let report = try JournalCopy.copy(from: source, to: target, logger: logger)
            print("migrated \(from) to \(PostgresStore.redacted(to)): \(report); counts, hash chain and loaded state checked")
            return 0
        } catch {
            return complain("migration failed: \(error)", status: 1)
        }
    }

    static func complain(_ message: String, status: Int32 = 2) -> Int32 {
        FileHandle.standardError.write(Data("reliefd migrate: \(message)\n".utf8))
        return status
    }
}
