// What every fuzz target shares: the target table, the failure report, a reader that turns input
// bytes into choices, and the replay of corpus files (the plain build's main and FuzzCorpusTests).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One fuzz target: a function of the input that returns normally or stops the process with
/// `Fuzz.fail` when a property breaks (libFuzzer keeps the input that did it).
struct FuzzTarget: Sendable {
    /// Its name on the command line and its corpus directory, Tests/Fuzz/corpus/NAME.
    let name: String
    let summary: String
    /// libFuzzer's -max_len for it (a longer input finds nothing new, only runs slower).
    let maxLength: Int
    let run: @Sendable (UnsafeRawBufferPointer) -> Void
}

enum Fuzz {
    /// Every target, in the order deploy/fuzz --all runs them.
    static let targets: [FuzzTarget] = [
        RequestFuzz.target, EngineFuzz.target, CSVFuzz.target, DIMACSFuzz.target, ScenarioFuzz.target, JournalFuzz.target,
        StoreFuzz.target, CAPFuzz.target,
    ]

    static func target(named name: String) -> FuzzTarget? { targets.first { $0.name == name } }

    /// RELIEF_FUZZ_TRACE set: targets that run requests print each one with its reply (for
    /// writing seeds and reading a crashing input).
    static let tracing = getenv("RELIEF_FUZZ_TRACE") != nil

    /// RELIEF_FUZZ_DUMP=DIR: targets write inputs for other targets there (DIR/TARGET/…), e.g. the
    /// engine target every journal entry and snapshot it makes, as seeds for the journal target.
    static let dumpDirectory: String? = getenv("RELIEF_FUZZ_DUMP").map { String(cString: $0) }
    nonisolated(unsafe) static var dumped = 0

    static func dump(_ target: String, _ text: String) {
        guard let directory = dumpDirectory else { return }
        mkdir(directory, 0o755)
        mkdir(directory + "/" + target, 0o755)
        dumped += 1
        guard let file = fopen(directory + "/" + target + "/dump-" + String(dumped), "wb") else { return }
        _ = text.utf8CString.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count - 1, file) }
        fclose(file)
    }

    /// Stops the process with `message` and the start of the input: a broken property is a crash
    /// to libFuzzer, which saves the input.
    static func fail(_ message: String, _ input: UnsafeRawBufferPointer) -> Never {
        fatalError("\(message)\n  input (\(input.count) bytes): \(shown(input))")
    }

    static func fail(_ message: String, _ input: [UInt8]) -> Never {
        input.withUnsafeBytes { fail(message, $0) }
    }

    /// The first 300 bytes, printable ASCII as is and the rest as \xHH.
    static func shown<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef")
        return bytes.prefix(300).map { byte -> String in
            byte >= 0x20 && byte < 0x7F && byte != 0x5C ? String(UnicodeScalar(byte))
                : "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
        }.joined() + (bytes.count > 300 ? "…" : "")
    }

    // MARK: replay

    /// The corpus of `target` in this checkout (found from this file's path at build time).
    static func corpusDirectory(_ target: String) -> String {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return path + "/corpus/" + target
    }

    /// The files at `path`: itself when it is a file, the files directly in it (sorted by name) when
    /// it is a directory. Nil when it cannot be read.
    static func files(at path: String) -> [String]? {
        guard let directory = opendir(path) else { return access(path, R_OK) == 0 ? [path] : nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        return names.sorted().map { path + "/" + $0 }.filter { opendir($0).map { closedir($0); return false } ?? true }
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return bytes
    }

    /// Runs every file at `paths` through `target` once (cut to its max length, as libFuzzer
    /// would); the number of inputs run, or nil naming a path that cannot be read.
    static func replay(_ target: FuzzTarget, paths: [String]) -> Result<Int, ReplayError> {
        var count = 0
        for path in paths {
            guard let files = files(at: path) else { return .failure(ReplayError(path: path)) }
            for file in files {
                guard let bytes = read(file) else { return .failure(ReplayError(path: file)) }
                bytes.prefix(target.maxLength).withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        return .success(count)
    }

    struct ReplayError: Error, CustomStringConvertible {
        var path: String
        var description: String { "cannot read \(path)" }
    }
}

/// Reads choices from fuzz input: each call takes the next bytes, and once they run out every
/// choice is the first (0), so a short input is still a whole, deterministic run.
struct FuzzInput {
    private let bytes: [UInt8]
    private var index = 0

    init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 { self.bytes = Array(bytes) }

    var isAtEnd: Bool { index >= bytes.count }
    var remaining: Int { max(0, bytes.count - index) }

    mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// A number in 0..<count (0 when count is 0).
    mutating func below(_ count: Int) -> Int {
        guard count > 1 else { return 0 }
        if count <= 256 { return Int(byte()) % count }
        return (Int(byte()) << 8 | Int(byte())) % count
    }

    mutating func chance(_ outOf: Int) -> Bool { below(outOf) == 0 }

    mutating func pick<T>(_ values: [T]) -> T? { values.isEmpty ? nil : values[below(values.count)] }

    /// The next `count` bytes (fewer at the end).
    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, index + max(0, count))
        defer { index = end }
        return index < end ? Array(bytes[index..<end]) : []
    }

    /// The rest of the input.
    mutating func rest() -> [UInt8] { take(remaining) }
}
