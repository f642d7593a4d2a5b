// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "didtron-switch",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "didtron-switch", targets: ["didtron-switch"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    // Property-based tests (RoutingTests: margins over every call duration).
    .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
  ],
  targets: [
    // Layer 0: C system libraries, found through pkg-config.
    .systemLibrary(
      name: "CLibOSIP", pkgConfig: "libosip2",
      providers: [.apt(["libosip2-dev"])]),
    .systemLibrary(
      name: "CLibPQ", pkgConfig: "libpq",
      providers: [.apt(["libpq-dev"])]),
    .systemLibrary(
      name: "COpenSSL", pkgConfig: "openssl",
      providers: [.apt(["libssl-dev"])]),
    // sendmmsg(2), which Swift's Glibc module does not declare (SIPTransport's UDP sends).
    .target(name: "CSocket"),

    // Layer 1: SIP values, parse and serialize.
    .target(name: "SIPCore", dependencies: ["CLibOSIP"]),
    // SIP digest authentication (RFC 3261 §22, RFC 8760): hashing on OpenSSL, nonces, credentials.
    .target(name: "Digest", dependencies: ["COpenSSL"]),
    // JSON (RFC 8259) without Foundation: one value type, parser, serializer and string escaping.
    .target(name: "JSON"),

    // Layer 2: protocol state, rules, money.
    .target(name: "SIPTransaction", dependencies: ["SIPCore"]),
    .target(name: "Policy", dependencies: ["SIPCore", "JSON"]),
    .target(name: "Routing"),
    .target(name: "Billing", dependencies: ["Routing"]),

    // Layer 3: call core and sockets.
    .target(
      name: "SIPTransport",
      dependencies: [
        "SIPCore", "CSocket", "COpenSSL",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    .target(
      name: "Store",
      dependencies: [
        "CLibPQ", "SIPCore", "Policy", "Routing", "Billing", "JSON",
        .product(name: "Logging", package: "swift-log"),
      ]),
    .target(
      name: "Proxy",
      dependencies: [
        "Digest",
        "SIPCore", "SIPTransaction", "Policy", "Routing", "Billing",
        .product(name: "Logging", package: "swift-log"),
      ]),

    // Layer 4: config, wiring, lifecycle, CLI.
    .target(
      name: "SwitchDaemon",
      dependencies: [
        "SIPCore", "SIPTransaction", "SIPTransport", "Proxy", "Policy", "Routing", "Billing", "Store",
        "Digest", "JSON",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]),
    // jemalloc's options (malloc_conf): freed pages go back to the system.
    .target(name: "MallocConf"),
    .executableTarget(
      name: "didtron-switch",
      dependencies: [
        "SwitchDaemon", "Store", "Proxy", "MallocConf", "JSON",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      // jemalloc replaces glibc's malloc for the whole process (libosip2
      // allocates per header): about a fifth less CPU per call (BENCHMARKS.md).
      linkerSettings: [.linkedLibrary("jemalloc")]),

    // Benchmarks (bench/): records per second through the call-record journal and writer.
    .executableTarget(
      name: "call-record-bench",
      dependencies: ["Store", "Billing", .product(name: "Logging", package: "swift-log")],
      path: "bench/CallRecordBench"),
    // A called number among 1k-1M DIDs: one hash lookup (docs/dids.md).
    .executableTarget(
      name: "did-lookup-bench",
      dependencies: ["Policy"],
      path: "bench/DIDLookupBench"),
    // Rate and route lookups per second at 10k-1M prefixes, and the reference-data load time.
    .executableTarget(
      name: "rating-bench",
      dependencies: ["Store", "Routing"],
      path: "bench/RatingBench"),

    // The proxy core's user-space CPU per call (decode, proxy, serialize), no sockets.
    .executableTarget(
      name: "proxy-bench",
      dependencies: ["Proxy", "SIPCore", .product(name: "Logging", package: "swift-log")],
      path: "bench/ProxyBench",
      linkerSettings: [.linkedLibrary("jemalloc")]),
    // What the brute-force throttle costs per request, and its memory per entry.
    .executableTarget(
      name: "auth-throttle-bench",
      dependencies: ["Proxy", "Digest", "SIPCore"],
      path: "bench/AuthThrottleBench"),

    // CPU per UDP datagram: NIO's channel write path against the transport layer's outbox.
    .executableTarget(
      name: "udp-send-bench",
      dependencies: [
        "SIPTransport", "SIPCore",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "bench/UDPSendBench"),

    // The call pipeline's CPU per initial INVITE (softswitch mode), no proxy core or sockets.
    .executableTarget(
      name: "pipeline-bench",
      dependencies: ["Proxy", "Policy", "Routing", "SIPCore"],
      path: "bench/PipelineBench"),

    // CPU per inbound message for the costliest datagrams (issue 15): decode, read, edit, serialize.
    .executableTarget(
      name: "parse-bench",
      dependencies: ["SIPCore"],
      path: "bench/ParseBench"),

    // Coverage-guided fuzzer of the message layer (scripts/fuzz builds it with
    // -sanitize=fuzzer,address -DFUZZING); built plainly it replays inputs.
    .executableTarget(
      name: "sip-fuzz",
      dependencies: ["SIPCore", "SIPTransport", .product(name: "NIOCore", package: "swift-nio")],
      path: "Fuzz/SIPFuzz"),

    .testTarget(name: "SIPCoreTests", dependencies: ["SIPCore"], resources: [.copy("Fixtures")]),
    .testTarget(name: "SIPTransactionTests", dependencies: ["SIPTransaction", "SIPCore"]),
    .testTarget(name: "DigestTests", dependencies: ["Digest"]),
    .testTarget(name: "JSONTests", dependencies: ["JSON"]),
    .testTarget(name: "PolicyTests", dependencies: ["Policy", "SIPCore"]),
    .testTarget(
      name: "RoutingTests",
      dependencies: ["Routing", .product(name: "PropertyBased", package: "swift-property-based")]),
    .testTarget(name: "BillingTests", dependencies: ["Billing", "Routing"]),
    .testTarget(
      name: "StoreTests",
      dependencies: [
        "Store", "Billing", "Policy", "Routing", .product(name: "Logging", package: "swift-log"),
      ]),
    .testTarget(
      name: "SIPTransportTests",
      dependencies: [
        "SIPTransport",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOTestUtils", package: "swift-nio"),
      ]),
    .testTarget(
      name: "ProxyTests",
      dependencies: [
        "Proxy", "Digest", "SIPCore", "SIPTransaction", "Policy", "Routing", "Billing",
        .product(name: "Logging", package: "swift-log"),
      ]),
    .testTarget(
      name: "SwitchDaemonTests",
      dependencies: [
        "SwitchDaemon", "SIPCore", "Proxy", "SIPTransport", "JSON", .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)

// Release builds specialise and inline across the package's modules (the
// proxy core's generic timer wheel, SIPMessage's accessors); BENCHMARKS.md
// has what it saves per call (bench/ProxyBench).
for target in package.targets where target.type != .system {
  target.swiftSettings =
    (target.swiftSettings ?? []) + [
      .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))
    ]
}
