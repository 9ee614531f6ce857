import Foundation
import XCTest

/// Reads log lines back with a logfmt parser that is not ours: a few lines of Python (stdlib only)
/// written from the format's grammar, strict where a sloppy line would slip past a lenient reader
/// (a raw control character, a bare value holding `"`, `=` or a space, a missing separator).
enum PythonLogfmt {
    struct Line: Decodable, Equatable {
        /// The journal's `<N>` prefix, nil when the line has none.
        var priority: Int?
        /// Every field in order, as [key, value].
        var fields: [[String]]

        subscript(key: String) -> String? { fields.first { $0[0] == key }?[1] }
        var keys: [String] { fields.map { $0[0] } }
    }

    static let python = "/usr/bin/python3"

    static let script = #"""
    import json, re, sys

    KEY = re.compile(r'[A-Za-z0-9_.-]+')
    BARE = re.compile(r'[^\s"=\\]+')
    ESCAPES = {'"': '"', '\\': '\\', 'n': '\n', 't': '\t', 'r': '\r'}

    def control(c):
        return ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f

    def parse(line):
        priority, i = None, 0
        prefix = re.match(r'<([0-7])>', line)
        if prefix:
            priority, i = int(prefix.group(1)), prefix.end()
        fields = []
        while True:
            key = KEY.match(line, i)
            if not key:
                raise ValueError('no key at %d' % i)
            i = key.end()
            if line[i:i + 1] != '=':
                raise ValueError('no = after %r' % key.group(0))
            i += 1
            if line[i:i + 1] == '"':
                i += 1
                value = []
                while True:
                    if i >= len(line):
                        raise ValueError('unterminated quotes')
                    c = line[i]
                    if c == '"':
                        i += 1
                        break
                    if c == '\\':
                        e = line[i + 1:i + 2]
                        if e == 'u':
                            digits = line[i + 2:i + 6]
                            if not re.fullmatch(r'[0-9a-fA-F]{4}', digits):
                                raise ValueError('bad \\u escape')
                            value.append(chr(int(digits, 16)))
                            i += 6
                        elif e in ESCAPES:
                            value.append(ESCAPES[e])
                            i += 2
                        else:
                            raise ValueError('bad escape %r' % e)
                        continue
                    if control(c):
                        raise ValueError('raw control character inside quotes')
                    value.append(c)
                    i += 1
                value = ''.join(value)
            else:
                bare = BARE.match(line, i)
                if not bare:
                    raise ValueError('empty bare value for %r' % key.group(0))
                value = bare.group(0)
                if any(control(c) for c in value):
                    raise ValueError('raw control character in a bare value')
                i = bare.end()
            fields.append([key.group(0), value])
            if i == len(line):
                return {'priority': priority, 'fields': fields}
            if line[i] != ' ' or i + 1 == len(line):
                raise ValueError('expected one space between fields at %d' % i)
            i += 1

    text = sys.stdin.buffer.read().decode('utf-8')
    if not text.endswith('\n'):
        raise SystemExit('the last line has no newline')
    # Only "\n" ends a line, as for journald (str.splitlines would also split at \x85 or U+2028).
    json.dump([parse(line) for line in text[:-1].split('\n')], sys.stdout)
    """#

    /// The lines of `text` (each ending in "\n"), parsed; throws with Python's complaint when one
    /// is not well-formed logfmt.
    static func parse(_ text: String) throws -> [Line] {
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("\(python) is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // The lines are small; write them all, then read both outputs to their ends.
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let parsed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "PythonLogfmt", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "python rejected the lines:\n\(text)\n\(complaint)"])
        }
        return try JSONDecoder().decode([Line].self, from: parsed)
    }
}
