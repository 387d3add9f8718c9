import Foundation
import Logging
import PostgresNIO
import ShareMath
import SharevaultTestSupport
import Testing

@testable import ShareVault
@testable import ShareVaultPostgres

/// The engines a store test runs on. PostgreSQL is a real server: `.ci/test` (README's test command) starts a
/// throwaway cluster and names it in `SHAREVAULT_TEST_POSTGRES`; without it these tests fail saying so, never
/// skip.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

enum TestStores {
    /// A new, empty location on `engine`: a file path in `directory`, or a new database on the test server.
    static func freshLocation(_ engine: StoreEngine, in directory: String) async throws -> StoreLocation {
        switch engine {
        case .sqlite:
            return .sqlite(path: (directory as NSString).appendingPathComponent("vault-\(UUID().uuidString).db"))
        case .postgres:
            return .postgres(try await TestPostgres.newDatabase())
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
            try await TestPostgres.run(url) { connection in
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

    static let logger = TestPostgres.logger
}

struct TestStoreError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
