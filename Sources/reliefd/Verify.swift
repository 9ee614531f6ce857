#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import ReliefLog
import ReliefServer
import ReliefStore

/// `reliefd verify [--config FILE] [--store URL|--data-dir DIR]`: recomputes the journal's hash
/// chain from genesis and checks every snapshot against its seal, offline: the SQLite file is
/// opened read-only (a running daemon is fine), PostgreSQL is only read (no leader lock, no
/// migration). Prints what it checked and the last seq and hash, to publish and compare.
enum Verify {
    static let usage = "usage: reliefd verify [--config FILE] [--store sqlite:PATH|postgres://…] [--data-dir DIR]"

    static func run(_ arguments: [String]) -> Int32 {
        var configuration = Configuration()
        var configFile: String?
        var overrides: [(String, String)] = []
        for (argument, value) in FlagPairs.parse(arguments) {
            if argument == "--help" || argument == "-h" {
                print(usage)
                return 0
            }
            guard let value else { return complain("\(argument) needs a value\n\(usage)") }
            switch argument {
            case "--config": configFile = value
            case "--store": overrides.append(("store", value))
            case "--data-dir", "--data_dir": overrides.append(("data_dir", value))
            default: return complain("unexpected argument \"\(argument)\"\n\(usage)")
            }
        }
        do {
            if let configFile {
                guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else {
                    return complain("cannot read configuration file \(configFile)")
                }
                try configuration.load(fileText: text, name: configFile)
            }
            for (key, value) in overrides { try configuration.set(key, value) }
        } catch {
            return complain("\(error)")
        }

        ReliefLogging.bootstrap(level: .warning)
        let logger = Logger(label: "reliefd.verify")
        let location: String
        let started = ContinuousClock.now
        let report: ChainReport
        do {
            if let url = configuration.postgresURL {
                location = PostgresStore.redacted(url)
                let journal = PostgresJournal(url: url, logger: logger, timeoutSeconds: 600)
                defer { journal.close() }
                report = try journal.verifyChain()
            } else {
                location = "sqlite:" + configuration.sqlitePath
                report = try SQLiteJournal.verify(path: configuration.sqlitePath)
            }
        } catch let error as StoreError {
            let seq = error.seq.map { " (first bad seq \($0))" } ?? ""
            return complain("FAILED\(seq): \(error.message)", status: 1)
        } catch {
            return complain("FAILED: \(error)", status: 1)
        }
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        print("verified \(location): \(report) ms=\(milliseconds)")
        if report.snapshotsUnsealed > 0 {
            FileHandle.standardError.write(Data(("reliefd verify: note: \(report.snapshotsUnsealed) snapshot(s) have no seal in the journal "
                + "(stored just before a stop, or by a reliefd before seals); a start skips them\n").utf8))
        }
        return 0
    }

    static func complain(_ message: String, status: Int32 = 2) -> Int32 {
        FileHandle.standardError.write(Data("reliefd verify: \(message)\n".utf8))
        return status
    }
}
