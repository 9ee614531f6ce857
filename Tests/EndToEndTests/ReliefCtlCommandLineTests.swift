import Foundation
import XCTest

/// Issue 15, end to end: reliefctl --version, help for the daemon and for reliefctl's own
/// subcommands, the shell completion scripts and the prompt's Tab completing the daemon's command
/// words, and the description the man page is generated from naming every subcommand.
final class ReliefCtlCommandLineTests: EndToEndTestCase {
    func testVersionAndHelpForTheDaemonAndForReliefctl() throws {
        let daemon = try startDaemon()
        let client = try daemon.connect()
        let version = try reliefctl(["--version"])
        XCTAssertEqual(version.status, 0, version.err)
        XCTAssertEqual(version.out, "reliefctl \(try XCTUnwrap(try info(client)["version"]))\n")

        let socket = ["--socket", daemon.socketPath]
        let daemonHelp = try reliefctl(socket + ["help", "alert"])
        XCTAssertEqual(daemonHelp.status, 0, daemonHelp.err)
        XCTAssertTrue(daemonHelp.out.contains(#"command="alert list""#), "help goes to the daemon: \(daemonHelp.out)")
        for arguments in [["help", "import"], ["import", "--help"]] {
            let own = try reliefctl(socket + arguments)
            XCTAssertEqual(own.status, 0, own.err)
            XCTAssertTrue(own.out.contains("USAGE: reliefctl import"), own.out)
            XCTAssertTrue(own.out.contains("--region"), own.out)
        }
        let top = try reliefctl(["--help"])
        for subcommand in ["send (default)", "import", "export", "watch", "solve", "bench-matching", "demo-roster"] {
            XCTAssertTrue(top.out.contains("  " + subcommand), "reliefctl --help lists \(subcommand): \(top.out)")
        }
        let typo = try reliefctl(socket + ["--sockt", "x", "ping"])
        XCTAssertEqual(typo.status, 2)
        XCTAssertTrue(typo.err.contains("--sockt"), typo.err)
    }

    /// What the man page generator (swift-argument-parser's generate-manual) reads.
    func testTheManPagesSourceNamesEverySubcommandAndOption() throws {
        let dump = try reliefctl(["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0, dump.err)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(dump.out.utf8)) as? [String: Any])
        let command = try XCTUnwrap(json["command"] as? [String: Any])
        XCTAssertEqual(command["commandName"] as? String, "reliefctl")
        let subcommands = try XCTUnwrap(command["subcommands"] as? [[String: Any]])
        let names = Set(subcommands.compactMap { $0["commandName"] as? String })
        XCTAssertTrue(Set(["send", "import", "export", "watch", "solve", "bench", "bench-matching", "demo-roster"]).isSubset(of: names), "\(names)")
        let importCommand = try XCTUnwrap(subcommands.first { $0["commandName"] as? String == "import" })
        let importArguments = (importCommand["arguments"] as? [[String: Any]] ?? []).compactMap { ($0["names"] as? [[String: Any]])?.first?["name"] as? String }
        XCTAssertTrue(importArguments.contains("drill"), "\(importArguments)")
    }

    /// The man page deploy/install installs, as deploy/test generated it (the same plugin, the same
    /// definitions): every subcommand has its section, and no help text was lost on the way (a
    /// line that began with a quote was once read by roff as a request and vanished).
    func testTheGeneratedManPageHasEverySubcommand() throws {
        guard let path = ProcessInfo.processInfo.environment["RELIEFD_TEST_MANPAGE"] else {
            throw XCTSkip("RELIEFD_TEST_MANPAGE is not set (deploy/test generates the man page and sets it)")
        }
        let page = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(page.contains(".Dt RELIEFCTL 1"), String(page.prefix(300)))
        for subcommand in ["send", "import", "export", "watch", "solve", "bench", "bench-matching", "demo-roster"] {
            XCTAssertTrue(page.contains("\n.It Em \(subcommand)\n") || page.contains("reliefctl \(subcommand)"), "the man page lacks \(subcommand)")
        }
        for text in ["donor=Yangquan", "Tab completes", "--time-zone", "--generate-completion-script", "Exit status"] {
            XCTAssertTrue(page.contains(text) || page.contains(text.replacingOccurrences(of: "-", with: "\\-")), "the man page lost \(text)")
        }
        for line in page.split(separator: "\n") where line.hasPrefix("'") {
            XCTFail("a line roff reads as a request: \(line)")
        }
    }

    /// bash's completion, run as bash runs it: the script asks reliefctl, which asks the daemon.
    func testShellCompletionCompletesTheDaemonsWords() throws {
        let daemon = try startDaemon()
        let script = try reliefctl(["--generate-completion-script", "bash"])
        XCTAssertEqual(script.status, 0, script.err)
        let path = daemon.directory + "/reliefctl.bash"
        try script.out.write(toFile: path, atomically: true, encoding: .utf8)
        let binDirectory = (try Daemon.siblingBinary("reliefctl") as NSString).deletingLastPathComponent
        func complete(_ words: [String]) throws -> [String] {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let program = """
            source '\(path)'
            COMP_WORDS=(\(quoted)); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            COMPREPLY=(); _reliefctl; printf '%s\\n' "${COMPREPLY[@]}"
            """
            let result = try runProgram("/bin/bash", ["-c", program], environment: ["PATH": binDirectory + ":/usr/bin:/bin"], timeout: 60)
            XCTAssertEqual(result.status, 0, result.err)
            return result.out.split(separator: "\n").map(String.init)
        }
        let socket = ["reliefctl", "--socket", daemon.socketPath]
        XCTAssertTrue(try complete(["reliefctl", ""]).contains("bench-matching"))
        XCTAssertEqual(try complete(socket + ["send", "allo"]), ["allocation"])
        XCTAssertEqual(try complete(socket + ["send", "stock", "q"]), ["query"])
        XCTAssertEqual(try complete(socket + ["send", "alert", "list", "ack"]), ["acknowledged="])
        // No daemon: nothing offered, and no error on the terminal.
        XCTAssertEqual(try complete(["reliefctl", "--socket", daemon.directory + "/none.sock", "send", "st"]), [])
    }

    /// Tab at the interactive prompt, typed through a pseudo-terminal (Terminal/prompt_pty.py).
    func testTabCompletesCommandWordsAndOptionsAtThePrompt() throws {
        let daemon = try startDaemon()
        let client = try daemon.connect()
        try addCatalog(client)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Terminal/prompt_pty.py").path
        let home = daemon.directory + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        // "sto" Tab "qu" Tab "it" Tab "water" Enter: the line sent is `stock query item=water`.
        let result = try runProgram("/usr/bin/python3", [script, try Daemon.siblingBinary("reliefctl"), daemon.socketPath, home,
                                                         "sto\\t", "qu\\t", "it\\t", "water\\n", "warehouse li\\t\\n"], timeout: 60)
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertTrue(result.out.contains("stock query item=water"), result.out)
        XCTAssertTrue(result.out.contains("warehouse list "), result.out)
        XCTAssertTrue(result.out.contains("Depot B"), "the completed request ran: \(result.out)")
        // libedit's history file writes a space as \040.
        let history = try String(contentsOfFile: home + "/.reliefctl_history", encoding: .utf8).replacingOccurrences(of: "\\040", with: " ")
        XCTAssertTrue(history.contains("stock query item=water"), history)
    }
}
