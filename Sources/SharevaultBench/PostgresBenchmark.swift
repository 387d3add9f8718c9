import Foundation
import Logging
import PostgresNIO
import ShareMath
import ShareVault
import ShareVaultPostgres

/// `sharevault bench --postgres URL`: the vault on PostgreSQL. Webhooks over loopback HTTP into one intake and
/// into two `sharevault serve` processes sharing the database, beside PostgreSQL's own durable one-row commits at
/// the same concurrency; and `verify --custodian` over wallets made there, beside the same floor as SQLite's.
/// Each figure runs in a throwaway database made on the server (the role needs CREATEDB) and dropped after.
public enum PostgresBenchmark {
    public struct Report: Sendable, Encodable {
        public let oneIntake: IntakeBenchmark
        public let twoServeProcesses: IntakeBenchmark
        /// Durable one-row commits per second through PostgresNIO, `concurrency` in flight on 8 connections.
        public let commitFloor: Double
        public let custodianVerify: BenchmarkFigure
    }

    public static func run(
        server: PostgresURL, wallets: Int, deliveries: Int, concurrency: Int, executable: String, in directory: String
    ) async throws -> Report {
        let commitFloor = try await withDatabase(server) { url in
            try await floorForCommits(url, concurrency: concurrency, count: max(2000, deliveries))
        }
        let oneIntake = try await withDatabase(server) { url in
            let vault = try await Vault.create(
                store: .postgres(url), keyPath: (directory as NSString).appendingPathComponent("one.key"))
            return try await IntakeBenchmark.run(vault: vault, deliveries: deliveries, concurrency: concurrency)
        }
        let twoServeProcesses = try await withDatabase(server) { url in
            let keyPath = (directory as NSString).appendingPathComponent("two.key")
            _ = try await Vault.create(store: .postgres(url), keyPath: keyPath)
            let secret = "bench-webhook-secret"
            let servers = try (0..<2).map { _ in
                try ServeProcess(executable: executable, store: url, keyPath: keyPath, secret: secret)
            }
            defer { for server in servers { server.stop() } }
            return try await IntakeBenchmark.deliver(
                to: servers.map(\.port), secret: secret, deliveries: deliveries, concurrency: concurrency)
        }
        let custodianVerify = try await withDatabase(server) { url in
            let vault = try await Vault.create(
                store: .postgres(url), keyPath: (directory as NSString).appendingPathComponent("verify.key"))
            let keyStore = try DirectoryKeyStore(
                directory: (directory as NSString).appendingPathComponent("pg-keys"), create: true)
            _ = try await vault.create(
                clientIds: (1...max(1, wallets / 2)).map { "bench-\($0)" }, curves: CurveID.allCases,
                methods: [try BackupMethod(parsing: "GDRIVE")],
                keyStores: BackupKeyStores(directory: keyStore, password: nil))
            let pairs = try await vault.store.counts().livePairs
            var floor = try VaultBenchmark.floorForCustodianVerify()
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await vault.verify(level: .custodian)
            let rate = Double(pairs) / (clock.now - start).inSeconds
            floor = max(floor, try VaultBenchmark.floorForCustodianVerify())
            return BenchmarkFigure(
                operation: "verify --all --custodian on PostgreSQL (pairs, every core)", curve: .secp256k1,
                operationsPerSecond: rate,
                floor: "per pair, curves half and half: the structural floor, 1 scalar-base multiplication and "
                    + "1 XChaCha20-Poly1305 open (one core)",
                floorOperationsPerSecond: floor)
        }
        return Report(
            oneIntake: oneIntake, twoServeProcesses: twoServeProcesses, commitFloor: commitFloor,
            custodianVerify: custodianVerify)
    }

    /// Runs `body` on a new database on `server`, dropped afterwards.
    private static func withDatabase<T>(
        _ server: PostgresURL, _ body: (PostgresURL) async throws -> T
    ) async throws -> T {
        let name = "sharevault_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await onServer(server) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        let url = try PostgresURL(
            parsing: "postgres://\(server.user)@\(server.host):\(server.port)/\(name)",
            password: ProcessInfo.processInfo.environment["PGPASSWORD"])
        do {
            let result = try await body(url)
            try await drop(name, on: server)
            return result
        } catch {
            try? await drop(name, on: server)
            throw error
        }
    }

    private static func drop(_ name: String, on server: PostgresURL) async throws {
        try await onServer(server) { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        }
    }

    private static func onServer(_ url: PostgresURL, _ body: (PostgresConnection) async throws -> Void) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: url.host, port: url.port, username: url.user,
                password: ProcessInfo.processInfo.environment["PGPASSWORD"], database: url.database, tls: .disable),
            id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        try await body(connection)
    }

    /// PostgreSQL's durable commits of one small row each (`synchronous_commit = on`), `concurrency` in flight
    /// on a pool of 8 connections, as the store's: what no webhook can beat.
    private static func floorForCommits(_ url: PostgresURL, concurrency: Int, count: Int) async throws -> Double {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user,
            password: ProcessInfo.processInfo.environment["PGPASSWORD"], database: url.database, tls: .disable)
        configuration.options.additionalStartupParameters = [("synchronous_commit", "on")]
        configuration.options.maximumConnections = 8
        let client = PostgresClient(configuration: configuration)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await client.query("CREATE TABLE floor (id BIGSERIAL PRIMARY KEY, body BYTEA NOT NULL)", logger: logger)
        let row = Data(repeating: 7, count: 600)
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for _ in stride(from: worker, to: count, by: concurrency) {
                        try await client.query("INSERT INTO floor (body) VALUES (\(row))", logger: logger)
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / (clock.now - start).inSeconds
    }

    static let logger = Logger(label: "sharevault.bench")
}

/// A `sharevault serve` process on a PostgreSQL vault, on a free loopback port.
final class ServeProcess: Sendable {
    let process: Process
    let port: Int

    init(executable: String, store: PostgresURL, keyPath: String, secret: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "serve", "--store", store.description, "--vault-key", keyPath, "--listen", "127.0.0.1:0",
            "--webhook-root", "/webhooks",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SHAREVAULT_WEBHOOK_SECRET"] = secret
        environment["SHAREVAULT_API_TOKEN"] = UUID().uuidString
        environment["SHAREVAULT_LOG_LEVEL"] = "error"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The first line on stderr names the port; anything else is why it did not start.
        var text = ""
        while !text.contains("\n") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: "listening on 127.0.0.1:"),
            let port = Int(text[range.upperBound...].prefix { $0.isNumber })
        else {
            process.terminate()
            throw VaultError.vaultUnreadable(path: store.description, reason: "sharevault serve did not start: \(text)")
        }
        self.process = process
        self.port = port
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
