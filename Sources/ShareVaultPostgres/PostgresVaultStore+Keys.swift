import Foundation
import Logging
import NIOCore
import PostgresNIO
import ShareMath
import ShareVault

/// The vault key's state and a rekey's batches, on PostgreSQL: SQLite's rules (SQLiteVaultStore+Keys.swift), each
/// write under the write lock.
extension PostgresVaultStore {
    /// The key state's rows, read on `connection` (inside the caller's transaction when it has one).
    static func keyMeta(_ connection: PostgresConnection, _ logger: Logger) async throws -> VaultKeyMeta {
        var values: [String: String] = [:]
        for row in try await connection.all(
            "SELECT name, value FROM vaultMeta WHERE name = ANY(\(VaultKeyMeta.names))", logger)
        {
            values[try row.text(0)] = try row.text(1)
        }
        return VaultKeyMeta(values)
    }

    /// Sets `vaultMeta` rows (nil removes one) inside the caller's transaction.
    static func setMetadata(_ connection: PostgresConnection, _ values: [String: String?], _ logger: Logger)
        async throws
    {
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            if let value {
                try await connection.query(
                    """
                    INSERT INTO vaultMeta (name, value) VALUES (\(name), \(value))
                    ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
                    """, logger: logger)
            } else {
                try await connection.query("DELETE FROM vaultMeta WHERE name = \(name)", logger: logger)
            }
        }
    }

    /// The audit key of the key version recorded as `version` (nil: 1), from `keyring` or else the store's own;
    /// nil without either.
    func currentAuditKey(version: String?, keyring: VaultKeyring? = nil) throws -> AuditKey? {
        guard let keyring = keyring ?? self.keyring else { return nil }
        return try keyring.auditKey(version: VaultKeyMeta.version(version))
    }

    package func keyMeta() async throws -> VaultKeyMeta {
        try await read { connection in try await Self.keyMeta(connection, self.logger) }
    }

    package func changeKeyState(
        _ values: [String: String?], expected: VaultKeyMeta, requireAllSealedUnder version: Int?, event: AuditEntry,
        at date: Date
    ) async throws {
        let at = VaultClock.format(date)
        try await write { connection in
            guard try await Self.keyMeta(connection, self.logger) == expected else {
                throw VaultError.keyStateChanged
            }
            if let version {
                let remaining = try await self.countSealed(connection, otherThan: version)
                if remaining > 0 { throw VaultError.rekeyIncomplete(remaining: remaining) }
            }
            try await Self.setMetadata(connection, values, self.logger)
            try await self.appendAudit(connection, event, at: at)
        }
    }

    private func countSealed(_ connection: PostgresConnection, otherThan version: Int) async throws -> Int {
        // A share sealed before versions (NULL) was sealed under version 1. Ranges and a NULL test, which the index
        // on (keyVersion, pairId) serves.
        try await connection.first(
            """
            SELECT COUNT(*) FROM custodianShare
            WHERE keyVersion < \(version) OR keyVersion > \(version) OR (keyVersion IS NULL AND \(version) <> 1)
            """, logger)?
            .int(0) ?? 0
    }

    package func custodianSharesByKeyVersion() async throws -> [Int: Int] {
        try await read { connection in
            var counts: [Int: Int] = [:]
            for row in try await connection.all(
                "SELECT COALESCE(keyVersion, 1), COUNT(*) FROM custodianShare GROUP BY 1", self.logger)
            {
                counts[try row.int(0)] = try row.int(1)
            }
            return counts
        }
    }

    package func countCustodianSharesSealed(otherThan version: Int) async throws -> Int {
        try await read { connection in try await self.countSealed(connection, otherThan: version) }
    }

    package func custodianSharesSealed(otherThan version: Int, after pairId: Int64, limit: Int) async throws
        -> [SealedCustodianShare]
    {
        try await read { connection in
            try await connection.all(
                """
                \(unescaped: StoredRows.sealedCustodianShareSelect)
                WHERE s.pairId > \(pairId)
                    AND (s.keyVersion < \(version) OR s.keyVersion > \(version)
                        OR (s.keyVersion IS NULL AND \(version) <> 1))
                ORDER BY s.pairId LIMIT \(limit)
                """, self.logger
            ).map { try StoredRows.sealedCustodianShare($0) }
        }
    }

    package func resealCustodianShares(_ reseals: [CustodianReseal], keyStateSerial: Int) async throws -> Int {
        guard !reseals.isEmpty else { return 0 }
        // One statement for the batch: each row replaced only if still sealed under the version it was read with.
        let pairIds = reseals.map(\.pairId)
        let previous = reseals.map { $0.previousVersion.map(Int64.init) ?? -1 }
        let versions = reseals.map { Int64($0.keyVersion) }
        let sealed = reseals.map { ByteBuffer(bytes: $0.sealedShare) }
        let digests = reseals.map { ByteBuffer(bytes: $0.shareDigest) }
        return try await write { connection in
            guard try await Self.keyMeta(connection, self.logger).serial == keyStateSerial else {
                throw VaultError.keyStateChanged
            }
            return try await connection.first(
                """
                WITH input AS (
                    SELECT * FROM unnest(\(pairIds)::bigint[], \(previous)::bigint[], \(versions)::bigint[],
                        \(sealed)::bytea[], \(digests)::bytea[]) AS t(pairId, previous, version, sealed, digest)
                ), changed AS (
                    UPDATE custodianShare s SET sealedShare = input.sealed, shareDigest = input.digest,
                        keyVersion = input.version
                    FROM input WHERE s.pairId = input.pairId AND COALESCE(s.keyVersion, -1) = input.previous
                    RETURNING 1
                )
                SELECT COUNT(*) FROM changed
                """, self.logger)?.int(0) ?? 0
        }
    }
}
