import Foundation
import GRDB
import ShareMath

/// Live pairs with everything their checks need, and what verification, drills and recovery record.
extension SQLiteVaultStore {
    package func livePairs(after pairId: Int64, limit: Int, clientId: String?) async throws -> [StoredPair] {
        try await read { db in
            // A wallet of a curve this build does not know is the bookkeeping check's to report, not a pair to read.
            var sql =
                StoredRows.storedPairSelect + " WHERE p.isLive AND p.id > ? AND w.curve IN \(StoredRows.knownCurves)"
            var arguments: StatementArguments = [pairId]
            if let clientId {
                sql += " AND c.clientId = ?"
                arguments += [clientId]
            }
            sql += " ORDER BY p.id LIMIT ?"
            arguments += [limit]
            // Decoded from the cursor's rows in place: no row is copied first.
            return try Array(
                Row.fetchCursor(db, sql: sql, arguments: arguments).map { try StoredRows.storedPair($0, at: 0) })
        }
    }

    package func livePair(clientId: String, method: BackupMethod) async throws -> StoredPair {
        try await read { db in
            let id = try self.livePairId(db, clientId: clientId, method: method)
            guard let row = try Row.fetchOne(db, sql: StoredRows.storedPairSelect + " WHERE p.id = ?", arguments: [id])
            else {
                throw VaultError.noBackupPair(clientId: clientId, method: method.description)
            }
            return try StoredRows.storedPair(row, at: 0)
        }
    }

    package func livePair(id: Int64) async throws -> StoredPair? {
        try await read { db in
            try Row.fetchOne(db, sql: StoredRows.storedPairSelect + " WHERE p.id = ? AND p.isLive", arguments: [id]).map
            {
                try StoredRows.storedPair($0, at: 0)
            }
        }
    }

    package func walletsOfUnknownCurve(clientId: String?) async throws -> [Int64] {
        try await read { db in
            var sql = """
                SELECT w.id FROM wallet w JOIN client c ON c.id = w.clientRowId
                WHERE w.curve NOT IN \(StoredRows.knownCurves)
                """
            var arguments: StatementArguments = []
            if let clientId {
                sql += " AND c.clientId = ?"
                arguments += [clientId]
            }
            return try Int64.fetchAll(db, sql: sql + " ORDER BY w.id", arguments: arguments)
        }
    }

    package func randomLivePairIds(count: Int) async throws -> [Int64] {
        try await read { db in
            try Int64.fetchAll(
                db, sql: "SELECT id FROM backupPair WHERE isLive ORDER BY random() LIMIT ?", arguments: [count])
        }
    }

    package func recordVerifications(_ outcomes: [PairOutcome], at date: Date) async throws {
        let at = VaultClock.format(date)
        guard !outcomes.isEmpty else { return }
        return try await write { db in
            let statement = try db.cachedStatement(
                sql: "UPDATE backupPair SET lastVerifiedAt = ?, lastVerifiedOutcome = ? WHERE id = ?")
            for outcome in outcomes {
                try statement.execute(arguments: [at, outcome.outcome.description, outcome.pairId])
            }
        }
    }

    package func recordDrills(
        _ drills: [DrillOutcome], at date: Date, audit: @escaping @Sendable (DrillOutcome) -> AuditEntry
    ) async throws {
        let at = VaultClock.format(date)
        guard !drills.isEmpty else { return }
        return try await write { db in
            let update = try db.cachedStatement(
                sql: "UPDATE backupPair SET lastDrilledAt = ?, lastDrilledOutcome = ? WHERE id = ?")
            for drill in drills {
                let outcome = drill.outcome.description
                var row = DrillRow(
                    pairId: drill.pairId, startedAt: drill.startedAt, durationMilliseconds: drill.milliseconds,
                    outcome: outcome, detail: drill.problem?.rawValue ?? "")
                try row.insert(db)
                try update.execute(arguments: [VaultClock.format(drill.startedAt), outcome, drill.pairId])
                try AuditLog.append(db, key: try AuditLog.currentKey(db, self.keyring), audit(drill), at: at)
            }
        }
    }

    package func addSigningGeneration(
        for pair: StoredPair, record: SigningPairRecord, at date: Date,
        audit: @escaping @Sendable (_ generation: Int) -> AuditEntry
    ) async throws -> Int {
        let at = VaultClock.format(date)
        return try await write { db in
            let current =
                try Int.fetchOne(
                    db, sql: "SELECT MAX(generation) FROM signingPair WHERE walletId = ?", arguments: [pair.walletId])
                ?? 0
            let generation = current + 1
            try SigningPairRow.filter(SigningPairRow.Columns.walletId == pair.walletId)
                .filter(SigningPairRow.Columns.status == SigningStatus.active.rawValue)
                .updateAll(
                    db, SigningPairRow.Columns.status.set(to: SigningStatus.revoked.rawValue),
                    SigningPairRow.Columns.revokedAt.set(to: at))
            var row = SigningPairRow(walletId: pair.walletId, record: record)
            row.generation = generation
            row.status = .active
            row.createdAt = date
            try row.insert(db)
            try AuditLog.append(db, key: try AuditLog.currentKey(db, self.keyring), audit(generation), at: at)
            return generation
        }
    }

    package func appendAudit(_ event: AuditEntry, at date: Date, sealedWith keyring: VaultKeyring?) async throws {
        let at = VaultClock.format(date)
        try await write { db in
            try AuditLog.append(db, key: try AuditLog.currentKey(db, keyring ?? self.keyring), event, at: at)
        }
    }
}
