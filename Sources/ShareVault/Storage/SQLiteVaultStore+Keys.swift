import Foundation
import GRDB
import ShareMath

/// The vault key's state and a rekey's batches.
extension SQLiteVaultStore {
    /// The key state's rows, read inside the caller's transaction.
    static func keyMeta(_ db: Database) throws -> VaultKeyMeta {
        let names = VaultKeyMeta.names.map { "'\($0)'" }.joined(separator: ", ")
        var values: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, value FROM vaultMeta WHERE name IN (\(names))") {
            values[try row.text(0)] = try row.text(1)
        }
        return VaultKeyMeta(values)
    }

    /// Sets `vaultMeta` rows (nil removes one) inside the caller's transaction.
    static func setMetadata(_ db: Database, _ values: [String: String?]) throws {
        for (name, value) in values.sorted(by: { $0.key < $1.key }) {
            if let value {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO vaultMeta (name, value) VALUES (?, ?)", arguments: [name, value])
            } else {
                try db.execute(sql: "DELETE FROM vaultMeta WHERE name = ?", arguments: [name])
            }
        }
    }

    package func keyMeta() async throws -> VaultKeyMeta {
        try await read { db in try Self.keyMeta(db) }
    }

    package func changeKeyState(
        _ values: [String: String?], expected: VaultKeyMeta, requireAllSealedUnder version: Int?, event: AuditEntry,
        at date: Date
    ) async throws {
        let at = VaultClock.format(date)
        try await write { db in
            guard try Self.keyMeta(db) == expected else { throw VaultError.keyStateChanged }
            if let version {
                let remaining = try Self.countSealed(db, otherThan: version)
                if remaining > 0 { throw VaultError.rekeyIncomplete(remaining: remaining) }
            }
            try Self.setMetadata(db, values)
            try AuditLog.append(db, key: try AuditLog.currentKey(db, self.keyring), event, at: at)
        }
    }

    /// Rows sealed under a version other than the argument, given three times (a row from before versions, NULL,
    /// was sealed under 1): ranges and a NULL test, which the index on `(keyVersion, pairId)` serves.
    static let sealedOtherThan = "s.keyVersion < ? OR s.keyVersion > ? OR (s.keyVersion IS NULL AND ? <> 1)"

    static func countSealed(_ db: Database, otherThan version: Int) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM custodianShare s WHERE \(Self.sealedOtherThan)",
            arguments: [version, version, version]) ?? 0
    }

    package func custodianSharesByKeyVersion() async throws -> [Int: Int] {
        try await read { db in
            var counts: [Int: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT COALESCE(keyVersion, 1), COUNT(*) FROM custodianShare GROUP BY 1")
            {
                counts[try row.int(0)] = try row.int(1)
            }
            return counts
        }
    }

    package func countCustodianSharesSealed(otherThan version: Int) async throws -> Int {
        try await read { db in try Self.countSealed(db, otherThan: version) }
    }

    package func custodianSharesSealed(otherThan version: Int, after pairId: Int64, limit: Int) async throws
        -> [SealedCustodianShare]
    {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: StoredRows.sealedCustodianShareSelect
                    + " WHERE s.pairId > ? AND (\(Self.sealedOtherThan)) ORDER BY s.pairId LIMIT ?",
                arguments: [pairId, version, version, version, limit]
            ).map { row in try StoredRows.sealedCustodianShare(row) }
        }
    }

    package func resealCustodianShares(_ reseals: [CustodianReseal], keyStateSerial: Int) async throws -> Int {
        try await write { db in
            guard try Self.keyMeta(db).serial == keyStateSerial else { throw VaultError.keyStateChanged }
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE custodianShare SET sealedShare = ?, shareDigest = ?, keyVersion = ?
                    WHERE pairId = ? AND keyVersion IS ?
                    """)
            var replaced = 0
            for reseal in reseals {
                try statement.execute(arguments: [
                    Data(reseal.sealedShare), Data(reseal.shareDigest), reseal.keyVersion, reseal.pairId,
                    reseal.previousVersion,
                ])
                replaced += db.changesCount
            }
            return replaced
        }
    }
}
