// Target `request`: the control protocol's input side, RequestParser and LineFramer.
//
// Properties checked on every input, besides "does not crash":
// - a parsed request is well formed (word limit, lowercase unique option keys, req= lifted out);
// - a parsed request, written back with TextEncoder.quoteArgument and parsed again, is the same
//   request, so what a client builds is what the daemon reads;
// - LineFramer gives the same events however the stream is cut into reads, and those events are
//   what splitting the stream at LF (dropping one CR before it) gives.

import ReliefProtocol

enum RequestFuzz {
    static let target = FuzzTarget(name: "request", summary: "request parser and line framer", maxLength: 70_000) { bytes in
        checkParser(bytes)
        checkFramer(bytes)
    }

    static func fail(_ message: String, _ bytes: UnsafeRawBufferPointer) -> Never { Fuzz.fail(message, bytes) }

    // MARK: parser

    static func checkParser(_ bytes: UnsafeRawBufferPointer) {
        let result = RequestParser.parse(bytes)
        // The String and byte entry points agree whenever the bytes are text.
        if let text = String(validating: bytes, as: UTF8.self), RequestParser.parse(text) != result {
            fail("parse(String) and parse(bytes) disagree", bytes)
        }
        let request: Request
        switch result {
        case .failure(let error):
            if error.code != .syntax && error.code != .limit { fail("parse error with code \(error.code)", bytes) }
            if error.message.isEmpty { fail("parse error without a message", bytes) }
            return
        case .success(let parsed):
            request = parsed
        }
        if request.words.count + request.options.count > RequestParser.maxWords { fail("more than maxWords accepted", bytes) }
        var keys = Set<String>()
        for option in request.options {
            if option.key != option.key.lowercased() { fail("option key \(option.key) not lowercased", bytes) }
            if option.key == "req" { fail("req= left among the options", bytes) }
            if !keys.insert(option.key).inserted { fail("option \(option.key) accepted twice", bytes) }
        }
        if let token = request.requestToken, token.isEmpty || token.utf8.count > 128 { fail("req= token of bad length", bytes) }

        let line = encode(request)
        guard case .success(let again) = RequestParser.parse(line) else {
            fail("re-encoded request does not parse: \(line)", bytes)
        }
        if again != request { fail("re-encoded request parses differently: \(line)\n  first:  \(request)\n  second: \(again)", bytes) }
    }

    /// Writes a request back as a line, quoting each word and option the way a client does.
    static func encode(_ request: Request) -> String {
        var parts: [String] = []
        for word in request.words {
            // quoteArgument keeps `key=value` an option; a positional word that contains `=` must stay a
            // word, so it is always quoted (appendValue quotes anything holding `=`).
            if word.utf8.contains(0x3D) {
                var out: [UInt8] = []
                TextEncoder.appendValue(word, into: &out)
                parts.append(String(decoding: out, as: UTF8.self))
            } else {
                parts.append(TextEncoder.quoteArgument(word))
            }
        }
        for option in request.options { parts.append(TextEncoder.quoteArgument(option.key + "=" + option.value)) }
        if let token = request.requestToken { parts.append(TextEncoder.quoteArgument("req=" + token)) }
        return parts.joined(separator: " ")
    }

    // MARK: framer

    static func checkFramer(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        // The first byte picks a small limit so overlong lines are common; the rest is the stream.
        let maxLine = Int(bytes[0] % 64) + 1
        let stream = UnsafeRawBufferPointer(rebasing: bytes[1...])

        var whole = LineFramer(maxLine: maxLine)
        var wholeEvents: [LineFramer.Event] = []
        whole.feed(stream) { wholeEvents.append($0) }

        // Cut the same stream into reads whose sizes come from the data itself.
        var pieces = LineFramer(maxLine: maxLine)
        var pieceEvents: [LineFramer.Event] = []
        var start = 0
        var cut = 0
        while start < stream.count {
            let length = min(stream.count - start, Int(stream[cut % stream.count] % 7) + 1)
            pieces.feed(UnsafeRawBufferPointer(rebasing: stream[start..<(start + length)])) { pieceEvents.append($0) }
            start += length
            cut += 1
        }
        if wholeEvents != pieceEvents { fail("framer events depend on how the stream is cut (maxLine \(maxLine)):\n  whole:  \(wholeEvents)\n  pieces: \(pieceEvents)", bytes) }
        if whole.pendingBytes != pieces.pendingBytes { fail("framer pending bytes depend on how the stream is cut", bytes) }

        let expected = referenceEvents(stream, maxLine: maxLine)
        if wholeEvents != expected { fail("framer events differ from the reference (maxLine \(maxLine)):\n  framer:    \(wholeEvents)\n  reference: \(expected)", bytes) }
    }

    /// What the framer should emit: each LF-terminated segment, less one trailing CR, as a line when it
    /// fits in maxLine, otherwise as overlong with its length before the LF.
    static func referenceEvents(_ stream: UnsafeRawBufferPointer, maxLine: Int) -> [LineFramer.Event] {
        var events: [LineFramer.Event] = []
        var segment: [UInt8] = []
        for byte in stream {
            if byte != 0x0A { segment.append(byte); continue }
            var line = segment
            if line.last == 0x0D { line.removeLast() }
            events.append(line.count <= maxLine ? .line(line) : .overlong(segment.count))
            segment.removeAll()
        }
        return events
    }
}
