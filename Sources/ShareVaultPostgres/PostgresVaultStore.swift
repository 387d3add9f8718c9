import Foundation
import Logging
import NIOCore
import PostgresNIO
import ShareMath
import ShareVault

/// The vault on PostgreSQL through PostgresNIO, for several machines on one database: the same `VaultStore` as
/// SQLite's, with its own named migrations (PostgresVaultSchema.swift).
///
/// Every write is one transaction that first takes one transaction-scoped advisory lock
/// (`pg_advisory_xact_lock`), so writers on every process and machine take turns as SQLite's writers do: the
/// audit chain never forks (each append reads the head the previous commit left), a racing delivery of the same
/// share finds the first one's row, and the client's and wallet's rows are made once. The unique constraints
/// (one live pair per wallet and method, one wallet per client and curve) hold the promises even without it.
/// Commits are durable (`synchronous_commit = on`, set on every connection): a returned write, and so a 2xx
/// from the intake, survives a crash of the server.
package final class PostgresVaultStore: VaultStore {
    let client: PostgresClient
    /// Runs the client's connection pool until `close()`.
    private let runner: Task<Void, Never>
    /// Seals the audit events this store appends (with the current key version's audit key); nil when the vault
    /// was opened without its key.
    package let keyring: VaultKeyring?
    /// Where the vault is, as errors name it (never the password).
    let location: String
    let logger: Logger

    /// The advisory lock every write takes first (a constant of this program: "sharevlt").
    static let writeLock: Int64 = 0x7368_6172_6576_6c74

    private init(client: PostgresClient, runner: Task<Void, Never>, keyring: VaultKeyring?, location: String) {
        self.client = client
        self.runner = runner
        self.keyring = keyring
        self.location = location
        self.logger = Logger(label: "sharevault.postgres")
    }

    /// Connects to the database at `url`: with `create`, makes the vault's tables there (refusing a database that
    /// already holds a vault); otherwise opens the vault there, migrating it to this release's schema unless
    /// `readOnly`, and refusing a database that holds no vault, a newer vault, or a vault of another key.
    /// `unlock` is handed the vault's key state and gives the keyring, or nil to open without it.
    package static func open(
        _ url: PostgresURL, create: Bool, readOnly: Bool = false,
        unlock: (VaultKeyMeta) throws -> VaultKeyring? = { _ in nil }
    ) async throws -> PostgresVaultStore {
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        // Durable commits whatever the server's default; the process named in pg_stat_activity for operators.
        configuration.options.additionalStartupParameters = [
            ("synchronous_commit", "on"), ("application_name", "sharevault \(getpid())"),
        ]
        configuration.options.maximumConnections = 8
        let location = url.description
        // One connection first, so that a server that cannot be reached, or refuses the user or the database, is
        // an error at once (the pool would retry for ever).
        do {
            var probe = PostgresConnection.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: .disable)
            probe.options.connectTimeout = .seconds(10)
            try await PostgresConnection.connect(configuration: probe, id: 0, logger: Logger(label: "sharevault"))
                .close()
        } catch {
            throw Self.vaultError(error, location: location)
        }
        let client = PostgresClient(configuration: configuration)
        let runner = Task { await client.run() }
        do {
            let existing = try await PostgresVaultSchema.inspect(client, location: location)
            let keyring: VaultKeyring?
            if create {
                guard !existing.holdsVault else { throw VaultError.vaultExists(path: location) }
                keyring = try unlock(VaultKeyMeta())
            } else {
                guard existing.holdsVault else { throw VaultError.vaultMissing(path: location) }
                if existing.newer { throw VaultError.newerFormat(path: location) }
                if readOnly, !existing.isCurrent { throw VaultError.vaultNeedsUpgrade(path: location) }
                keyring = try unlock(existing.keyMeta)
            }
            let store = PostgresVaultStore(client: client, runner: runner, keyring: keyring, location: location)
            if !readOnly { try await store.migrate() }
            return store
        } catch {
            runner.cancel()
            throw Self.vaultError(error, location: location)
        }
    }

    /// Closes the connection pool.
    package func close() {
        runner.cancel()
    }

    deinit { runner.cancel() }

    /// Applies the migrations this database lacks, under the write lock.
    private func migrate() async throws {
        try await write { connection in
            try await PostgresVaultSchema.migrate(connection, logger: self.logger)
        }
    }

    // MARK: Transactions

    /// A database error as the vault reports it: the server's message, never the query's values.
    static func vaultError(_ error: any Error, location: String) -> any Error {
        switch error {
        case let error as PostgresTransactionError:
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                return vaultError(inner, location: location)
            }
            return VaultError.vaultUnreadable(path: location, reason: "the transaction failed")
        case let error as PSQLError:
            let reason =
                error.serverInfo?[.message].map { "PostgreSQL: \($0)" }
                ?? "cannot reach PostgreSQL (\(error.underlying.map { "\($0)" } ?? "\(error.code)"))"
            return VaultError.vaultUnreadable(path: location, reason: reason)
        default:
            return error
        }
    }

    /// One write transaction, holding the write lock from its start.
    @discardableResult
    func write<T>(_ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.writeLock))", logger: logger)
                return try await body(connection)
            }
        } catch {
            throw Self.vaultError(error, location: location)
        }
    }

    /// One read: a transaction that sees one snapshot of the database (repeatable read) and writes nothing.
    @discardableResult
    func read<T>(_ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                return try await body(connection)
            }
        } catch {
            throw Self.vaultError(error, location: location)
        }
    }

    // MARK: Metadata

    package func metadata(_ name: String) async throws -> String? {
        try await read { connection in
            try await connection.first("SELECT value FROM vaultMeta WHERE name = \(name)", logger).map {
                try $0.text(0)
            }
        }
    }

    package func setUp(at date: Date, event: AuditEntry, metadata extra: [String: String?]) async throws {
        let at = VaultClock.format(date)
        guard let keyring else { preconditionFailure("a vault is set up with its key") }
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO vaultMeta (name, value) VALUES ('keyCheck', \(keyring.currentCheckValue)),
                    ('createdAt', \(at)), ('formatVersion', '1')
                """, logger: logger)
            try await Self.setMetadata(connection, extra, self.logger)
            try await self.appendAudit(connection, event, at: at)
        }
    }

    package func counts() async throws -> (clients: Int, wallets: Int, livePairs: Int) {
        try await read { connection in
            let row = try await connection.first(
                """
                SELECT (SELECT COUNT(*) FROM client), (SELECT COUNT(*) FROM wallet),
                    (SELECT COUNT(*) FROM backupPair WHERE isLive)
                """, logger)
            guard let row else { return (0, 0, 0) }
            return (try row.int(0), try row.int(1), try row.int(2))
        }
    }

    package func livePairsByStatus() async throws -> [String: Int] {
        try await read { connection in
            var counts: [String: Int] = [:]
            for row in try await connection.all(
                "SELECT status, COUNT(*) FROM backupPair WHERE isLive GROUP BY status", logger)
            {
                counts[try row.text(0)] = try row.int(1)
            }
            return counts
        }
    }

    // MARK: The audit chain

    /// Appends one event inside the caller's transaction (which holds the write lock, so no other append can
    /// read the same head).
    func appendAudit(
        _ connection: PostgresConnection, _ entry: AuditEntry, at: String, sealedWith keyring: VaultKeyring? = nil
    ) async throws {
        let chain = try await connection.first(
            """
            SELECT (SELECT value FROM vaultMeta WHERE name = 'auditHead'), (SELECT MAX(id) FROM auditEvent),
                (SELECT value FROM vaultMeta WHERE name = 'keyVersion')
            """, logger)
        let event = try AuditLog.next(
            after: try chain?.textOrNil(0), lastId: try chain?.int64OrNil(1),
            key: try currentAuditKey(version: try chain?.textOrNil(2), keyring: keyring),
            storedKind: entry.kind.rawValue, clientId: entry.clientId, detail: entry.detail, at: at)
        try await connection.query(
            """
            INSERT INTO auditEvent (id, at, kind, clientId, detail, previousHash, hash, mac)
            VALUES (\(event.id), \(event.at), \(event.kind), \(event.clientId), \(event.detail),
                \(Data(event.previousHash)), \(Data(event.hash)), \(event.mac.map { Data($0) }))
            """, logger: logger)
        try await connection.query(
            """
            INSERT INTO vaultMeta (name, value) VALUES ('auditHead', \(Hex.encode(event.hash))),
                ('auditCount', \(String(event.id)))
            ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
            """, logger: logger)
    }

    package func appendAudit(_ event: AuditEntry, at date: Date, sealedWith keyring: VaultKeyring?) async throws {
        let at = VaultClock.format(date)
        try await write { connection in try await self.appendAudit(connection, event, at: at, sealedWith: keyring) }
    }

    package func forEachAuditEvent(_ body: (AuditEvent) throws -> Void) async throws {
        try await read { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: StoredRows.auditEventColumns) FROM auditEvent ORDER BY id", logger: logger)
            for try await row in rows { try body(StoredRows.auditEvent(row.makeRandomAccess())) }
        }
    }

    package func verifyAuditLog(expecting head: AuditHead?) async throws -> AuditVerification {
        try await read { connection in
            var walk = AuditChainWalk(keys: self.keyring?.auditKeys, expected: head, requireSealed: true)
            let rows = try await connection.query(
                "SELECT \(unescaped: StoredRows.auditEventColumns) FROM auditEvent ORDER BY id", logger: logger)
            for try await row in rows {
                if let broken = walk.add(try StoredRows.auditEvent(row.makeRandomAccess())) { return broken }
            }
            return walk.finish(
                recordedHead: try await connection.first(
                    "SELECT value FROM vaultMeta WHERE name = 'auditHead'", logger
                )?.textOrNil(0),
                recordedCount: try await connection.first(
                    "SELECT value FROM vaultMeta WHERE name = 'auditCount'", logger
                )?.textOrNil(0),
                recordedKeyVersion: try await connection.first(
                    "SELECT value FROM vaultMeta WHERE name = 'keyVersion'", logger
                )?.textOrNil(0))
        }
    }
}

extension PostgresConnection {
    /// Every row of a query, for random access by position.
    func all(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRandomAccessRow] {
        var rows: [PostgresRandomAccessRow] = []
        for try await row in try await self.query(query, logger: logger) { rows.append(row.makeRandomAccess()) }
        return rows
    }

    /// The first row of a query, if any.
    func first(_ query: PostgresQuery, _ logger: Logger) async throws -> PostgresRandomAccessRow? {
        try await all(query, logger).first
    }
}

/// PostgreSQL's rows: BIGINT and INTEGER, TEXT, BYTEA and BOOLEAN columns.
extension PostgresRandomAccessRow: StoredRow {
    package func int64(_ index: Int) throws -> Int64 { try self[index].decode(Int64.self) }
    package func int64OrNil(_ index: Int) throws -> Int64? { try self[index].decode(Int64?.self) }
    package func text(_ index: Int) throws -> String { try self[index].decode(String.self) }
    package func textOrNil(_ index: Int) throws -> String? { try self[index].decode(String?.self) }
    package func bytes(_ index: Int) throws -> [UInt8] { try bytesOrNil(index) ?? [] }
    package func bytesOrNil(_ index: Int) throws -> [UInt8]? {
        try self[index].decode(ByteBuffer?.self).map { Array($0.readableBytesView) }
    }
    package func bool(_ index: Int) throws -> Bool { try self[index].decode(Bool.self) }
    package func boolOrNil(_ index: Int) throws -> Bool? { try self[index].decode(Bool?.self) }
}
