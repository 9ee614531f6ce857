import ArgumentParser
import XCTest
@testable import reliefctl

/// Issue 15: reliefctl's own commands are real ArgumentParser subcommands (so --help, the shell
/// completion scripts and the man page know them), every other first word is a request for the
/// daemon, and the daemon's `help` drives Tab completion.
final class CommandLineTests: XCTestCase {
    func testRequestsForTheDaemonAreRoutedToSendAndSubcommandsAreLeftAlone() {
        XCTAssertEqual(ReliefCtl.routed(["stock", "query", "item=water"]), ["send", "stock", "query", "item=water"])
        XCTAssertEqual(ReliefCtl.routed(["--socket", "/s", "--format", "json", "help"]), ["--socket", "/s", "--format", "json", "send", "help"])
        XCTAssertEqual(ReliefCtl.routed(["--socket=/s", "ping"]), ["--socket=/s", "send", "ping"])
        XCTAssertEqual(ReliefCtl.routed(["help", "stock"]), ["send", "help", "stock"], "help NOUN asks the daemon")
        XCTAssertEqual(ReliefCtl.routed(["help", "import"]), ["help", "import"], "help SUBCOMMAND is reliefctl's")
        XCTAssertEqual(ReliefCtl.routed([]), ["send"], "no words: the prompt or stdin")
        XCTAssertEqual(ReliefCtl.routed(["--timeout", "5"]), ["--timeout", "5", "send"])
        XCTAssertEqual(ReliefCtl.routed(["--", "ping"]), ["send", "--", "ping"])
        for local in ["import", "export", "watch", "solve", "bench", "bench-matching", "demo-roster", "send"] {
            XCTAssertEqual(ReliefCtl.routed(["--socket", "/s", local, "x"]), ["--socket", "/s", local, "x"], local)
        }
        for option in ["--version", "--help", "-h", "--generate-completion-script", "---completion", "--bogus"] {
            XCTAssertEqual(ReliefCtl.routed([option, "bash"]), [option, "bash"], option)
        }
    }

    func testOptionsBeforeASubcommandReachIt() throws {
        let parsed = try ReliefCtl.parseAsRoot(ReliefCtl.routed(["--socket", "/run/x.sock", "--timeout", "0", "import", "travel", "t.csv"]))
        let command = try XCTUnwrap(parsed as? ImportCommand)
        XCTAssertEqual(command.root.socket, "/run/x.sock")
        XCTAssertNil(command.root.replyTimeout, "0 waits forever")
        XCTAssertEqual(command.file, "t.csv")

        let send = try XCTUnwrap(try ReliefCtl.parseAsRoot(ReliefCtl.routed(["--tcp", "127.0.0.1:7878", "stock", "query", "donor=Yangquan Steel"])) as? SendCommand)
        XCTAssertEqual(send.root.tcp, "127.0.0.1:7878")
        XCTAssertEqual(send.words, ["stock", "query", "donor=Yangquan Steel"])

        let bench = try XCTUnwrap(try ReliefCtl.parseAsRoot(ReliefCtl.routed(["--socket", "/s", "bench", "--clients", "2"])) as? BenchCommand)
        XCTAssertEqual(bench.root.socket, "/s")
        XCTAssertEqual(bench.clients, 2)
    }

    func testCompletionScriptsKnowEverySubcommandAndOption() {
        for shell in [CompletionShell.bash, .zsh, .fish] {
            let script = ReliefCtl.completionScript(for: shell)
            for word in ["import", "export", "watch", "solve", "bench-matching", "demo-roster", "time-zone", "watch-channels"] {
                XCTAssertTrue(script.contains(word), "\(shell) script lacks \(word)")
            }
            XCTAssertTrue(script.contains("---completion send"), "\(shell): request words are completed by asking reliefctl (and so the daemon)")
        }
    }

    /// The man page is generated from these texts as mdoc: a line that begins with ' or . would be
    /// read as a roff request and vanish, and the generator drops characters outside ASCII.
    func testHelpTextsAreSafeForTheManPage() {
        var commands: [ParsableCommand.Type] = [ReliefCtl.self]
        var index = 0
        while index < commands.count {
            commands.append(contentsOf: commands[index].configuration.subcommands)
            index += 1
        }
        XCTAssertEqual(commands.count, 9)
        for command in commands {
            let configuration = command.configuration
            let texts = [configuration.abstract, configuration.discussion, command.helpMessage(columns: 1000)]
            for text in texts {
                for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                    let trimmed = line.drop { $0 == " " }
                    XCTAssertFalse(trimmed.hasPrefix("'") || trimmed.hasPrefix("."), "\(command._commandName): \(line)")
                    XCTAssertTrue(line.unicodeScalars.allSatisfy(\.isASCII), "\(command._commandName): not ASCII: \(line)")
                }
            }
        }
    }

    static let helpRows = [
        #"command="alert ack" usage="alert ack ALERT [note=TEXT]" writes=yes roles=admin summary="acknowledge""#,
        #"command="alert list" usage="alert list [kind=KIND] [incident=ID] [acknowledged=yes|no] [limit=1000]" writes=no roles=all summary="alerts""#,
        #"command="drill inject" usage="drill inject DRILL COMMAND…" writes=no roles=admin summary="a write inside a drill""#,
        #"command="team add" usage="team add TEAM name=NAME specialty=S region=R (at=LAT,LON | warehouse=W)" writes=yes roles=admin summary="a team""#,
        #"command="team member add" usage="team member add TEAM VOLUNTEER [role=ROLE]" writes=yes roles=admin summary="a member""#,
        #"command=ping usage=ping writes=no roles=all summary="check the daemon answers""#,
        #"command=help usage="help [NOUN]" writes=no roles=all summary="list commands""#,
        "not a row",
    ]

    func testCandidatesFollowTheDaemonsHelp() {
        let completion = CommandCompletion(helpRows: CommandLineTests.helpRows)
        XCTAssertEqual(completion.entries.count, 7)
        XCTAssertEqual(completion.candidates(typed: [], prefix: ""), ["alert", "drill", "help", "ping", "team"])
        XCTAssertEqual(completion.candidates(typed: [], prefix: "a"), ["alert"])
        XCTAssertEqual(completion.candidates(typed: ["ALERT"], prefix: "L"), ["list"], "command words without case, as the daemon reads them")
        XCTAssertEqual(completion.candidates(typed: ["alert", "list"], prefix: ""), ["acknowledged=", "incident=", "kind=", "limit="])
        XCTAssertEqual(completion.candidates(typed: ["alert", "list", "kind=low_stock"], prefix: "i"), ["incident="])
        XCTAssertEqual(completion.candidates(typed: ["alert", "list", "kind=low_stock"], prefix: "k"), [], "an option given is not offered again")
        XCTAssertEqual(completion.candidates(typed: ["team"], prefix: ""), ["add", "member"])
        XCTAssertEqual(completion.candidates(typed: ["team", "member"], prefix: ""), ["add"])
        XCTAssertEqual(completion.candidates(typed: ["team", "add", "t1"], prefix: ""), ["at=", "name=", "region=", "specialty=", "warehouse="])
        XCTAssertEqual(completion.candidates(typed: ["team", "member", "add", "t1"], prefix: ""), ["role="], "the longest command typed")
        XCTAssertEqual(completion.candidates(typed: ["drill", "inject", "d1"], prefix: "al"), ["alert"], "a nested request")
        XCTAssertEqual(completion.candidates(typed: ["drill", "inject", "d1", "alert", "list"], prefix: "l"), ["limit="])
        XCTAssertEqual(completion.candidates(typed: ["help"], prefix: "t"), ["team"])
        XCTAssertEqual(completion.candidates(typed: ["nosuch"], prefix: ""), [])
        XCTAssertEqual(CommandCompletion(helpRows: []).candidates(typed: [], prefix: ""), [])
    }
}
