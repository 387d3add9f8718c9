import Foundation
import GRDB
import ShareMath

/// The vault on SQLite through GRDB. It is handed its database: a pool on a vault file (`init(path:...)`, in
/// SQLiteVaultFile.swift: WAL, foreign keys, durable commits, a busy timeout so the CLI and the server can share
/// the file), a read-only queue, or an in-memory queue in tests (`inMemory(keyring:)`). Every call is one
/// transaction: GRDB's `write` (an immediate transaction, the write lock taken at its start) or `read`.
package final class SQLiteVaultStore: VaultStore {
    let writer: any DatabaseWriter
    /// Seals the audit events this store appends (with the current key version's audit key); nil when the vault
    /// was opened without its key.
    package let keyring: VaultKeyring?

    /// A store on `writer`, whose schema is already migrated (or, read-only, current).
    package init(writer: any DatabaseWriter, keyring: VaultKeyring?) {
        self.writer = writer
        self.keyring = keyring
    }

    /// A store on a fresh in-memory database with the current schema: for tests.
    package static func inMemory(keyring: VaultKeyring?) throws -> SQLiteVaultStore {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue = try DatabaseQueue(configuration: configuration)
        try VaultSchema.migrator(auditKey: try keyring?.auditKey(version: 1), at: VaultClock.format(Date())).migrate(
            queue)
        return SQLiteVaultStore(writer: queue, keyring: keyring)
    }

    /// A database error as the vault reports it: locked, or unreadable with SQLite's reason.
    static func vaultError(_ error: DatabaseError, path: String) -> VaultError {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .vaultLocked(path: path)
        default: return .vaultUnreadable(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    /// GRDB's `write`, awaited: it runs on the writer's queue, so no task's thread waits on the disk or the lock.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    /// GRDB's `read`, awaited: it runs on one of the reader queues.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    /// GRDB's `read` on the caller's thread, with its errors reported as the vault's: for streaming rows into a
    /// caller's closure, which GRDB's awaited `read` cannot take (it must be `Sendable`).
    func syncRead<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    /// Copies the write-ahead log into the database and empties it, as closing the last connection does.
    func checkpoint() throws {
        do {
            _ = try writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    // MARK: Metadata

    package func metadata(_ name: String) async throws -> String? {
        try await read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = ?"), arguments: [name])
        }
    }

    package func setUp(at date: Date, event: AuditEntry, metadata extra: [String: String?]) async throws {
        let at = VaultClock.format(date)
        guard let keyring else { preconditionFailure("a vault is set up with its key") }
        return try await write { db in
            try db.cachedStatement(
                sql:
                    "INSERT INTO vaultMeta (name, value) VALUES ('keyCheck', ?), ('createdAt', ?), ('formatVersion', '1')"
            ).execute(
                arguments: [keyring.currentCheckValue, at])
            try Self.setMetadata(db, extra)
            try AuditLog.append(db, key: try AuditLog.currentKey(db, keyring), event, at: at)
        }
    }

    package func counts() async throws -> (clients: Int, wallets: Int, livePairs: Int) {
        try await read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wallet") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM backupPair WHERE isLive") ?? 0
            )
        }
    }

    package func livePairsByStatus() async throws -> [String: Int] {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) FROM backupPair WHERE isLive GROUP BY status")
            {
                counts[try row.text(0)] = try row.int(1)
            }
            return counts
        }
    }
}
