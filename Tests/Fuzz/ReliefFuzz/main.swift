// ReliefFuzz: the fuzz targets of every parser of outside input (Tests/Fuzz/README.md).
//
//   ReliefFuzz list                               the targets, one a line
//   ReliefFuzz TARGET [PATH…]                     plain build: run each corpus file (default
//                                                 Tests/Fuzz/corpus/TARGET) once and report
//   ReliefFuzz TARGET [-flag=value…] [CORPUS…]    fuzz build (deploy/fuzz): libFuzzer, with the
//                                                 target's -max_len unless given
//   ReliefFuzz store --make-seed FILE             write the store target's seed (a small store)
//
// The fuzz build is `swift build` with RELIEF_FUZZ defined, address sanitizer, coverage
// instrumentation and compiler-rt's libFuzzer without its main linked in (deploy/fuzz): this main
// then hands the command line to libFuzzer. The plain build (`swift build`) links like any tool.

import CLibFuzzer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes to standard error (a plain write: stdio's stderr is shared mutable state to Swift 6).
func printError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}

func usage() -> Never {
    var text = "usage: ReliefFuzz TARGET [libFuzzer flags] [CORPUS_DIR…]   (ReliefFuzz list for the targets)\ntargets:\n"
    for target in Fuzz.targets { text += "  \(target.name.padding(9))\(target.summary)\n" }
    printError(text)
    exit(2)
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { usage() }
if arguments[1] == "list" {
    for target in Fuzz.targets { print(target.name) }
    exit(0)
}
if arguments[1] == "store" && arguments.count == 4 && arguments[2] == "--make-seed" {
    do {
        try StoreFuzz.makeStore(at: arguments[3])
        exit(0)
    } catch {
        printError("ReliefFuzz: \(error)\n")
        exit(1)
    }
}
guard let chosen = Fuzz.target(named: arguments[1]) else {
    printError("ReliefFuzz: unknown target \"\(arguments[1])\"\n")
    usage()
}

#if RELIEF_FUZZ
/// The target libFuzzer's callback runs (a C function pointer cannot capture it).
nonisolated(unsafe) var selected: FuzzTarget = chosen

// libFuzzer sees the program name, the target's defaults, then the rest of the command line (a
// later flag wins, so -max_len given by hand overrides the default).
var libFuzzerArguments = [arguments[0], "-max_len=\(chosen.maxLength)"] + arguments.dropFirst(2)
var argc = CInt(libFuzzerArguments.count)
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = .allocate(capacity: libFuzzerArguments.count + 1)
for (index, argument) in libFuzzerArguments.enumerated() { argv![index] = strdup(argument) }
argv![libFuzzerArguments.count] = nil
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
})
#else
let paths = arguments.count > 2 ? Array(arguments.dropFirst(2)) : [Fuzz.corpusDirectory(chosen.name)]
switch Fuzz.replay(chosen, paths: paths) {
case .success(let count):
    print("\(chosen.name): \(count) input\(count == 1 ? "" : "s") replayed, no failure")
case .failure(let error):
    printError("ReliefFuzz: \(error)\n")
    exit(1)
}
#endif
