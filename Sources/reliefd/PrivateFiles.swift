#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging

/// The store holds every volunteer's phone and ID number, which the protocol masks for operators;
/// the files must not hand them out instead. So the data directory is 0700 and every file in it
/// 0600, whoever may use the socket (which has a group of its own, `socket_group`).
enum PrivateFiles {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates the data directory 0700, or narrows an existing one to 0700; then narrows the
    /// store's files (`storeFiles`, wherever they are) and the regular files directly in the data
    /// directory whose names start with `reliefd` (copies such as reliefd.db.bak) to 0600. Other
    /// files are left alone, in case data_dir names a directory that is not reliefd's alone; the
    /// directory's own 0700 covers them. Each change is logged as a notice. Symlinks are never
    /// followed: one in the data directory could point at any file, and a root daemon would change it.
    static func secure(dataDirectory: String, storeFiles: [String], logger: Logger) throws(Problem) {
        try makeDirectories(dataDirectory, mode: 0o700)
        var info = stat()
        guard stat(dataDirectory, &info) == 0 else {
            throw Problem(description: "cannot inspect data directory \(dataDirectory): \(errorText())")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw Problem(description: "data_dir \(dataDirectory) is not a directory")
        }
        // The directory first: once it is closed, nobody else can swap the files checked below.
        if info.st_mode & 0o077 != 0 {
            guard chmod(dataDirectory, 0o700) == 0 else {
                throw Problem(description: "cannot make data directory \(dataDirectory) private (0700): \(errorText())\(ownerHint(info))")
            }
            logger.notice("data directory was readable by others; made it 0700 so only reliefd's user can read the store",
                          metadata: ["path": "\(dataDirectory)", "was": "\(octal(info.st_mode))"])
        }
        var paths = storeFiles
        if let names = try? FileManager.default.contentsOfDirectory(atPath: dataDirectory) {
            paths += names.filter { $0.hasPrefix("reliefd") }.sorted().map { dataDirectory + "/" + $0 }
        }
        var seen = Set<String>()
        for path in paths where seen.insert(path).inserted {
            try narrow(path, named: storeFiles.contains(path), logger: logger)
        }
    }

    private static func narrow(_ path: String, named: Bool, logger: Logger) throws(Problem) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            guard info.st_mode & 0o077 != 0 else { return }
            guard chmod(path, 0o600) == 0 else {
                throw Problem(description: "cannot make \(path) private (0600): \(errorText())\(ownerHint(info))")
            }
            logger.notice("store file was readable by others; made it 0600",
                          metadata: ["path": "\(path)", "was": "\(octal(info.st_mode))"])
        case S_IFLNK where named:
            logger.warning("the store file is a symbolic link; the permissions of what it points to are left as they are",
                           metadata: ["path": "\(path)"])
        default:
            break // the socket, subdirectories, links: not the store's files
        }
    }

    /// `mkdir -p` whose new directories get `mode` exactly (the umask would narrow it).
    static func makeDirectories(_ path: String, mode: mode_t) throws(Problem) {
        var info = stat()
        if stat(path, &info) == 0 { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectories(parent, mode: mode) }
        guard mkdir(path, mode) == 0 || errno == EEXIST else {
            throw Problem(description: "cannot create directory \(path): \(errorText())")
        }
        chmod(path, mode)
    }

    /// Whether `path` is `directory` or below it, symlinks resolved.
    static func isInside(_ path: String, _ directory: String) -> Bool {
        func real(_ path: String) -> String? {
            guard let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        guard let path = real(path), let directory = real(directory) else { return false }
        return path == directory || path.hasPrefix(directory.hasSuffix("/") ? directory : directory + "/")
    }

    private static func ownerHint(_ info: stat) -> String {
        info.st_uid == geteuid() ? "" : " (it belongs to uid \(info.st_uid); reliefd runs as uid \(geteuid()))"
    }

    private static func octal(_ mode: mode_t) -> String { "0" + String(mode & 0o7777, radix: 8) }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
