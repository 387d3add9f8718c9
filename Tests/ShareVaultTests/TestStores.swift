import Foundation
import Logging
import PostgresNIO
import ShareMath
import Testing

@testable import ShareVault

/// The engines a store test runs on. PostgreSQL is a real server: `.ci/test` (README's test command) starts a
/// throwaway cluster and names it in `SHAREVAULT_TEST_POSTGRES`; without it these tests fail saying so, never
/// skip.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

enum TestStores {
    /// The test server's URL, from `SHAREVAULT_TEST_POSTGRES`.
    static func serverURL() throws -> PostgresURL {
        guard let text = ProcessInfo.processInfo.environment["SHAREVAULT_TEST_POSTGRES"], !text.isEmpty else {
            throw TestStoreError(
                "SHAREVAULT_TEST_POSTGRES is not set: run the tests with `bash .ci/test` (README), which starts a "
                    + "throwaway PostgreSQL server, or set it to a server's postgres:// URL")
        }
        return try PostgresURL(parsing: text, password: ProcessInfo.processInfo.environment["PGPASSWORD"])
    }

    /// A new, empty location on `engine`: a file path in `directory`, or a new database on the test server.
    static func freshLocation(_ engine: StoreEngine, in directory: String) async throws -> StoreLocation {
        switch engine {
        case .sqlite:
            return .sqlite(path: (directory as NSString).appendingPathComponent("vault-\(UUID().uuidString).db"))
        case .postgres:
            let server = try serverURL()
            let name = "sv_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try await withServer(server) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            }
            return .postgres(
                try PostgresURL(
                    parsing: "postgres://\(server.user)@\(server.host):\(server.port)/\(name)",
                    password: ProcessInfo.processInfo.environment["PGPASSWORD"]))
        }
    }

    /// A new vault on `engine`, its key in `directory`.
    static func newVault(_ engine: StoreEngine, in directory: String) async throws -> Vault {
        let location = try await freshLocation(engine, in: directory)
        return try await Vault.create(store: location, keyPath: keyPath(location, in: directory))
    }

    /// Where the tests keep a location's vault key: beside a file vault, in `directory` for a database.
    static func keyPath(_ location: StoreLocation, in directory: String) -> String {
        switch location {
        case .sqlite(let path): return Vault.defaultKeyPath(forVault: path)
        case .postgres(let url): return (directory as NSString).appendingPathComponent("\(url.database).key")
        }
    }

    /// Runs SQL on the test server's own database (to make databases, or to edit a vault's rows behind its back).
    static func withServer<T: Sendable>(
        _ url: PostgresURL, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: .disable),
            id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `sql` on the vault's database behind the store's back, as someone with write access to it could:
    /// the CHECK constraints of `table` are set aside first (SQLite ignores them, PostgreSQL's are dropped), since
    /// whoever edits a database need not respect them.
    static func tamper(_ vault: Vault, _ sql: String, ignoringChecksOn table: String? = nil) async throws {
        switch vault.store {
        case let store as SQLiteVaultStore:
            try await store.writer.write { db in
                try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
                try db.execute(sql: sql)
                try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
            }
        case is PostgresVaultStore:
            let url = try PostgresURL(parsing: vault.path, password: ProcessInfo.processInfo.environment["PGPASSWORD"])
            try await withServer(url) { connection in
                if let table {
                    let checks = try await connection.query(
                        """
                        SELECT conname::text FROM pg_constraint
                        WHERE contype = 'c' AND conrelid = \(table.lowercased())::regclass
                        """, logger: logger)
                    for try await name in checks.decode(String.self) {
                        try await connection.query(
                            PostgresQuery(unsafeSQL: "ALTER TABLE \(table) DROP CONSTRAINT \(name)"), logger: logger)
                    }
                }
                for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                    try await connection.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
                }
            }
        default:
            throw TestStoreError("a vault on an unknown store")
        }
    }

    /// A bytes literal in the vault's engine's SQL.
    static func bytesLiteral(_ bytes: [UInt8], for vault: Vault) -> String {
        vault.store is PostgresVaultStore ? "'\\x\(Hex.encode(bytes))'::bytea" : "X'\(Hex.encode(bytes))'"
    }

    static let logger = Logger(label: "sharevault.tests")
}

struct TestStoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
