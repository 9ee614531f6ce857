// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "reliefd",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "reliefd", targets: ["reliefd"]),
        .executable(name: "reliefctl", targets: ["reliefctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The HTTP listener (ReliefHTTP): HTTP/1.1 parsed by SwiftNIO, served on threads of its own
        // that meet the loop at its mailbox; docs/architecture.md "HTTP" says why, with the measurements.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already Hummingbird's own dependencies; named so ReliefHTTP may use their types.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // TreeDictionary (HashTreeCollections): the state's maps that grow with history, shared
        // structurally between the loop and a snapshot's copy (docs/architecture.md "State").
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        // System libraries, found through pkg-config; the apt names are what deploy/ installs.
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // glibc's <malloc.h> (mallopt, malloc_trim): how reliefd hands freed memory back.
        .systemLibrary(name: "CMalloc"),

        // Every bound in one file (Limits.swift), below every module that enforces one.
        .target(name: "ReliefLimits"),
        .target(name: "ReliefProtocol", dependencies: ["ReliefLimits"]),
        .target(name: "ReliefCore", dependencies: [
            "ReliefLimits", .product(name: "HashTreeCollections", package: "swift-collections"),
        ]),
        .target(name: "ReliefMatching", dependencies: ["ReliefCore", "ReliefLimits"]),
        // Crypto: SHA-256 binds a `req=` token to its request (Engine+RequestTokens.swift).
        .target(name: "ReliefEngine", dependencies: [
            "ReliefCore", "ReliefMatching", "ReliefProtocol", "ReliefLimits",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "ReliefDrill", dependencies: ["ReliefCore", "ReliefEngine", "ReliefMatching", "ReliefProtocol", "ReliefCSV"]),
        .target(name: "ReliefStore", dependencies: [
            "ReliefCore", "ReliefLimits", "CSQLite", "CLibPQ",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ReliefHTTP", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ReliefServer", dependencies: [
            "ReliefEngine", "ReliefMatching", "ReliefStore", "ReliefProtocol", "ReliefDrill", "ReliefLimits", "ReliefHTTP", "CLibUV",
            .target(name: "CMalloc", condition: .when(platforms: [.linux])),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The log format (logfmt on stderr, journald's priority prefix under systemd): a module of its
        // own because it needs nothing of reliefd but swift-log, so its tests build without the
        // server's; only the entry point sets it up, and everything else logs through swift-log.
        .target(name: "ReliefLog", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "reliefd", dependencies: [
            "ReliefServer", "ReliefDrill", "ReliefLog",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // CSV import and export (reliefctl import/export, demo-roster): a library so the fuzz targets reach it.
        .target(name: "ReliefCSV", dependencies: ["ReliefProtocol", "ReliefLimits"]),
        // CAP 1.2 alerts (reliefctl import cap): parsed with Foundation's XMLParser (FoundationXML,
        // libxml2 underneath) and mapped to incident requests; a module of its own so only reliefctl
        // links Foundation's XML.
        .target(name: "ReliefCAP", dependencies: ["ReliefCore"]),
        .executableTarget(name: "reliefctl", dependencies: [
            "ReliefProtocol", "ReliefCore", "ReliefEngine", "ReliefMatching", "ReliefDrill", "ReliefCSV", "ReliefCAP", "CLibEdit",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fuzz targets of every parser of outside input (Tests/Fuzz/README.md): one program, the
        // target named on its command line. deploy/fuzz builds it for libFuzzer (RELIEF_FUZZ, address
        // sanitizer, coverage); the plain build replays corpus files, and FuzzCorpusTests replays the
        // whole corpus on every test run.
        .systemLibrary(name: "CLibFuzzer", path: "Tests/Fuzz/CLibFuzzer"),
        .executableTarget(name: "ReliefFuzz", dependencies: [
            "ReliefProtocol", "ReliefCore", "ReliefEngine", "ReliefMatching", "ReliefDrill", "ReliefStore", "ReliefCSV", "ReliefCAP",
            "ReliefLimits", "CLibFuzzer", .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/Fuzz/ReliefFuzz"),

        .testTarget(name: "ReliefProtocolTests", dependencies: ["ReliefProtocol"]),
        .testTarget(name: "ReliefCoreTests", dependencies: ["ReliefCore"]),
        .testTarget(name: "ReliefMatchingTests", dependencies: ["ReliefMatching", "ReliefCore"]),
        .testTarget(name: "ReliefEngineTests", dependencies: ["ReliefEngine", "ReliefCore", "ReliefProtocol"]),
        .testTarget(name: "ReliefDrillTests", dependencies: ["ReliefDrill", "ReliefEngine", "ReliefCore", "ReliefProtocol"]),
        .testTarget(name: "ReliefStoreTests", dependencies: ["ReliefStore", "ReliefCore", "ReliefEngine", "ReliefProtocol"]),
        .testTarget(name: "ReliefLogTests", dependencies: ["ReliefLog", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ReliefServerTests", dependencies: ["ReliefServer", "ReliefHTTP", "ReliefProtocol", "ReliefEngine", "ReliefLimits", "ReliefStore", "ReliefCore", "ReliefLog"]),
        // The seeded simulation of the server's machines over a simulated store (deploy/simulate).
        .testTarget(name: "SimulationTests", dependencies: ["ReliefServer", "ReliefEngine", "ReliefCore", "ReliefProtocol", "ReliefStore"]),
        .testTarget(name: "EndToEndTests", dependencies: ["ReliefProtocol", "CSQLite"]),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["ReliefFuzz"]),
        .testTarget(name: "ReliefCAPTests", dependencies: ["ReliefCAP", "ReliefCore"], exclude: ["Fixtures"]),
        .testTarget(name: "ReliefCtlTests", dependencies: ["reliefctl", "ReliefCSV", "ReliefProtocol", "ReliefLimits", "ReliefCore"]),
    ]
)
