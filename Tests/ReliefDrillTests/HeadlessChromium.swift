import Foundation
import XCTest

/// Debian's chromium run headless on a local file: a screenshot, or the DOM as the browser built
/// it. Each run gets a fresh profile in a temporary directory and is killed, with everything it
/// started, after `timeout` seconds, so a wedged browser fails a test instead of hanging the suite.
struct HeadlessChromium {
    let executable: String
    let timeout: Double

    /// The browser, or a skip when this machine has none; with RELIEFD_TEST_BROWSER=required (as
    /// deploy/test sets, having installed it) a missing browser fails the test instead.
    static func find(timeout: Double = 60) throws -> HeadlessChromium {
        // RELIEFD_TEST_CHROMIUM names a browser elsewhere (or, set to a missing path, shows what a
        // machine without one does).
        let chosen = ProcessInfo.processInfo.environment["RELIEFD_TEST_CHROMIUM"].flatMap { $0.isEmpty ? nil : $0 }
        let candidates = chosen.map { [$0] } ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        if let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            return HeadlessChromium(executable: path, timeout: timeout)
        }
        if ProcessInfo.processInfo.environment["RELIEFD_TEST_BROWSER"] == "required" {
            throw Missing(description: "RELIEFD_TEST_BROWSER=required but no chromium at \(candidates.joined(separator: " or ")) (deploy/test installs Debian's chromium)")
        }
        throw XCTSkip("no chromium at \(candidates.joined(separator: " or ")): the browser test needs Debian's chromium (apt-get install chromium)")
    }

    /// Thrown rather than skipped when the browser is required: an error fails the test.
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    struct Run {
        let status: Int32
        let output: Data
        let errors: String
    }

    /// Takes a screenshot of `page` (a file path) into `png` with the window `width` × `height`.
    func screenshot(_ page: String, to png: String, width: Int, height: Int) throws -> Run {
        try run(["--window-size=\(width),\(height)", "--screenshot=\(png)", URL(fileURLWithPath: page).absoluteString])
    }

    /// The DOM after parsing and layout, serialized by the browser.
    func dumpDOM(_ page: String) throws -> Run {
        try run(["--window-size=1280,3000", "--dump-dom", URL(fileURLWithPath: page).absoluteString])
    }

    private func run(_ arguments: [String]) throws -> Run {
        let work = NSTemporaryDirectory() + "reliefd-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        _ = FileManager.default.createFile(atPath: work + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: work + "/err", contents: nil)
        let process = Process()
        // coreutils' timeout puts the browser in a process group of its own and signals the whole
        // group, renderers and zygote included; the loop below is the backstop should it not.
        let timeoutTool = "/usr/bin/timeout"
        let browser = [executable,
                       // As root (deploy/test, CI) the sandbox refuses to start without this.
                       "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                       "--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
                       "--user-data-dir=\(work)/profile", "--crash-dumps-dir=\(work)"] + arguments
        if FileManager.default.isExecutableFile(atPath: timeoutTool) {
            process.executableURL = URL(fileURLWithPath: timeoutTool)
            process.arguments = ["--kill-after=5", "\(Int(timeout))"] + browser
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = Array(browser.dropFirst())
        }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = work
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: work + "/out")
        process.standardError = FileHandle(forWritingAtPath: work + "/err")
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout + 15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(-process.processIdentifier, SIGKILL)
            process.terminate()
            XCTFail("chromium did not finish within \(timeout + 15) s")
        }
        process.waitUntilExit()
        let output = (try? Data(contentsOf: URL(fileURLWithPath: work + "/out"))) ?? Data()
        let errors = (try? String(contentsOfFile: work + "/err", encoding: .utf8)) ?? ""
        return Run(status: process.terminationStatus, output: output, errors: errors)
    }
}
