// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "sharevault",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ShareMath", targets: ["ShareMath"]),
        .library(name: "ShareVault", targets: ["ShareVault"]),
        .library(name: "ShareVaultPostgres", targets: ["ShareVaultPostgres"]),
        .executable(name: "sharevault", targets: ["SharevaultCLI"]),
        .executable(name: "sharevault-fuzz", targets: ["SharevaultFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries from the system, found with pkg-config.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        // Pure share math: no files, no network, no clock.
        .target(
            name: "ShareMath",
            dependencies: ["CSodium", "CSecp256k1"]
        ),
        // Storage, formats and operations.
        .target(
            name: "ShareVault",
            dependencies: [
                "ShareMath",
                "CSodium",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The PostgreSQL store (PostgresNIO), for a vault several machines share, and opening a vault by its
        // location (`--store URL`). Its own module, so that what needs only SQLite (the fuzzers) builds without
        // PostgresNIO and its TLS stack.
        .target(
            name: "ShareVaultPostgres",
            dependencies: [
                "ShareVault",
                "ShareMath",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP intake (`sharevault serve`): a thin shell over ShareVault's operations.
        .target(
            name: "ShareVaultServer",
            dependencies: [
                "ShareVault",
                "ShareMath",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `sharevault bench`: the measured figures and the floors beside them. Outside the product modules.
        .target(
            name: "SharevaultBench",
            dependencies: [
                "ShareVault",
                "ShareVaultPostgres",
                "ShareVaultServer",
                "ShareMath",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Hummingbird's bare NIO client: the load generator, one keep-alive connection per delivery in
                // flight, so the figure is the intake's and not a heavy client's.
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // `sharevault demo`: a walk over the library's calls on a scratch vault. Outside the product modules.
        .target(
            name: "SharevaultDemo",
            dependencies: ["ShareVault", "ShareMath"]
        ),
        // The `sharevault` executable: a thin shell over ShareVault.
        .executableTarget(
            name: "SharevaultCLI",
            dependencies: [
                "ShareVault",
                "ShareVaultPostgres",
                "ShareVaultServer",
                "SharevaultBench",
                "SharevaultDemo",
                "ShareMath",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Fuzz targets for every parser of outside input (`.ci/fuzz` builds them for libFuzzer); built plainly,
        // a replayer of saved inputs. Outside the product modules.
        .executableTarget(
            name: "SharevaultFuzz",
            dependencies: [
                "ShareVault",
                "ShareMath",
                .product(name: "BigInt", package: "BigInt"),
            ]
        ),
        // What the test targets share: the tests' PostgreSQL server. Not a product.
        .target(
            name: "SharevaultTestSupport",
            dependencies: [
                "ShareVault",
                "ShareMath",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SharevaultTestSupport"
        ),
        .testTarget(
            name: "ShareMathTests",
            dependencies: [
                "ShareMath",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "ShareVaultTests",
            dependencies: [
                "ShareVault",
                "ShareMath",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                "SharevaultTestSupport",
                "ShareVaultPostgres",
            ]
        ),
        .testTarget(
            name: "SharevaultCLITests",
            dependencies: [
                "ShareVault", "ShareMath", "SharevaultTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "ShareVaultServerTests",
            dependencies: [
                "ShareVaultServer", "ShareVault", "ShareVaultPostgres", "ShareMath", "SharevaultTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ]
)
