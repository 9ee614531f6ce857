// Target `scenario`: drill scenario files (ScenarioParser, docs/drills.md), which `reliefctl drill
// run FILE` and the daemon's `drill start` read.
//
// Checked, besides "does not crash":
// - a refused file has at least one error, and every error names the file, a line of it
//   (1 ... its line count), a column from 1 to just past the line's end, and what is wrong; errors
//   come in file order;
// - parsing the bytes and parsing the same text as a String agree;
// - an accepted scenario's injects are in time order, each on a line of the file, none after the
//   drill's end (unless the end comes from a replayed incident); its start position and
//   expectations' lines lie in the file.

import ReliefDrill

enum ScenarioFuzz {
    static let target = FuzzTarget(name: "scenario", summary: "drill scenario files", maxLength: 8192) { bytes in run(Array(bytes)) }

    static let file = "fuzz.drill"

    static func run(_ input: [UInt8]) {
        // Lines as the parser splits them: at LF, one CR before it dropped.
        let lines = input.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            line.last == 0x0D ? Array(line.dropLast()) : Array(line)
        }
        let result = Result { () throws(ScenarioErrors) in try ScenarioParser.parse(bytes: input, file: file) }
        if let text = String(validating: input, as: UTF8.self) {
            let again = Result { () throws(ScenarioErrors) in try ScenarioParser.parse(text, file: file) }
            switch (result, again) {
            case (.failure(let a), .failure(let b)) where a == b: break
            case (.success(let a), .success(let b)) where a.injects.map(\.text) == b.injects.map(\.text) && a.endMinute == b.endMinute: break
            default: Fuzz.fail("parse(bytes:) and parse(String) disagree", input)
            }
        }
        switch result {
        case .failure(let errors):
            checkErrors(errors, lines: lines, input)
        case .success(let scenario):
            checkScenario(scenario, lineCount: lines.count, input)
        }
    }

    static func checkErrors(_ errors: ScenarioErrors, lines: [[UInt8]], _ input: [UInt8]) {
        if errors.items.isEmpty { Fuzz.fail("a refused scenario without an error", input) }
        var previous = (line: 0, column: 0)
        for item in errors.items {
            guard item.file == file, (1...lines.count).contains(item.line) else {
                Fuzz.fail("error names \(item.file):\(item.line), a file of \(lines.count) lines: \(item)", input)
            }
            // Columns count characters; a line has at most as many as bytes. A missing word is
            // pointed at where it would go, after a space past the end.
            if item.column < 1 || item.column > lines[item.line - 1].count + 2 {
                Fuzz.fail("error at column \(item.column) of a line of \(lines[item.line - 1].count) bytes: \(item)", input)
            }
            if item.message.isEmpty { Fuzz.fail("error without a message: \(item)", input) }
            if (item.line, item.column) < previous { Fuzz.fail("errors out of file order: \(errors)", input) }
            previous = (item.line, item.column)
        }
    }

    static func checkScenario(_ scenario: Scenario, lineCount: Int, _ input: [UInt8]) {
        let lines = 1...lineCount
        var previous = Int.min
        for inject in scenario.injects {
            if inject.minute < previous { Fuzz.fail("injects out of time order", input) }
            previous = inject.minute
            if !lines.contains(inject.line) || inject.column < 1 { Fuzz.fail("inject on line \(inject.line):\(inject.column)", input) }
            if scenario.replay == nil && inject.minute > scenario.endMinute {
                Fuzz.fail("inject at minute \(inject.minute) after the end \(scenario.endMinute)", input)
            }
            if inject.request.words.isEmpty { Fuzz.fail("inject without a command on line \(inject.line)", input) }
        }
        if !lines.contains(scenario.fromPosition.line) { Fuzz.fail("from on line \(scenario.fromPosition.line)", input) }
        for expectation in scenario.expectations where !lines.contains(expectation.line) {
            Fuzz.fail("expectation on line \(expectation.line)", input)
        }
    }
}
