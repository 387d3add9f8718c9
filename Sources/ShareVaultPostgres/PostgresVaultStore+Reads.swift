import Foundation
import PostgresNIO
import ShareMath
import ShareVault

/// What verification, drills, recovery and the reports read and record, on PostgreSQL. The queries are
/// SQLite's (SQLiteVaultStore+Checks.swift and +Reports.swift) in PostgreSQL's words; the rows are read by the
/// same decoders (`StoredRows`).
extension PostgresVaultStore {
    package func livePairs(after pairId: Int64, limit: Int, clientId: String?) async throws -> [StoredPair] {
        try await read { connection in
            try await connection.all(
                """
                \(unescaped: StoredRows.storedPairSelect)
                WHERE p.isLive AND p.id > \(pairId) AND w.curve IN \(unescaped: StoredRows.knownCurves)
                    AND (\(clientId)::text IS NULL OR c.clientId = \(clientId))
                ORDER BY p.id LIMIT \(Int64(min(limit, Int(Int64.max))))
                """, self.logger
            ).map { try StoredRows.storedPair($0, at: 0) }
        }
    }

    package func livePair(clientId: String, method: BackupMethod) async throws -> StoredPair {
        try await read { connection in
            _ = try await self.existingClientRow(connection, clientId: clientId)
            let rows = try await connection.all(
                """
                \(unescaped: StoredRows.storedPairSelect)
                WHERE c.clientId = \(clientId) AND p.method = \(method.name) AND p.isLive
                    AND (\(method.curve?.rawValue)::text IS NULL OR w.curve = \(method.curve?.rawValue))
                """, self.logger)
            guard let row = rows.first else {
                throw VaultError.noBackupPair(clientId: clientId, method: method.description)
            }
            guard rows.count == 1 else { throw VaultError.ambiguousMethod(clientId: clientId, method: method.name) }
            return try StoredRows.storedPair(row, at: 0)
        }
    }

    package func livePair(id: Int64) async throws -> StoredPair? {
        try await read { connection in
            try await connection.first(
                "\(unescaped: StoredRows.storedPairSelect) WHERE p.id = \(id) AND p.isLive", self.logger
            ).map { try StoredRows.storedPair($0, at: 0) }
        }
    }

    package func walletsOfUnknownCurve(clientId: String?) async throws -> [Int64] {
        try await read { connection in
            try await connection.all(
                """
                SELECT w.id FROM wallet w JOIN client c ON c.id = w.clientRowId
                WHERE w.curve NOT IN \(unescaped: StoredRows.knownCurves)
                    AND (\(clientId)::text IS NULL OR c.clientId = \(clientId))
                ORDER BY w.id
                """, self.logger
            ).map { try $0.int64(0) }
        }
    }

    package func randomLivePairIds(count: Int) async throws -> [Int64] {
        try await read { connection in
            try await connection.all(
                "SELECT id FROM backupPair WHERE isLive ORDER BY random() LIMIT \(count)", self.logger
            ).map { try $0.int64(0) }
        }
    }

    package func recordVerifications(_ outcomes: [PairOutcome], at date: Date) async throws {
        guard !outcomes.isEmpty else { return }
        let at = VaultClock.format(date)
        try await write { connection in
            // One statement for the batch: the outcomes go over as two arrays, unnested side by side.
            try await connection.query(
                """
                UPDATE backupPair p SET lastVerifiedAt = \(at), lastVerifiedOutcome = o.outcome
                FROM unnest(\(outcomes.map(\.pairId)), \(outcomes.map(\.outcome.description))) AS o(id, outcome)
                WHERE p.id = o.id
                """, logger: self.logger)
        }
    }

    package func recordDrills(
        _ drills: [DrillOutcome], at date: Date, audit: @escaping @Sendable (DrillOutcome) -> AuditEntry
    ) async throws {
        guard !drills.isEmpty else { return }
        let at = VaultClock.format(date)
        try await write { connection in
            for drill in drills {
                let outcome = drill.outcome.description
                let startedAt = VaultClock.format(drill.startedAt)
                try await connection.query(
                    """
                    INSERT INTO drill (pairId, startedAt, durationMilliseconds, outcome, detail)
                    VALUES (\(drill.pairId), \(startedAt), \(drill.milliseconds), \(outcome),
                        \(drill.problem?.rawValue ?? ""))
                    """, logger: self.logger)
                try await connection.query(
                    """
                    UPDATE backupPair SET lastDrilledAt = \(startedAt), lastDrilledOutcome = \(outcome)
                    WHERE id = \(drill.pairId)
                    """, logger: self.logger)
                try await self.appendAudit(connection, audit(drill), at: at)
            }
        }
    }

    package func addSigningGeneration(
        for pair: StoredPair, record: SigningPairRecord, at date: Date,
        audit: @escaping @Sendable (_ generation: Int) -> AuditEntry
    ) async throws -> Int {
        let at = VaultClock.format(date)
        return try await write { connection in
            let current =
                try await connection.first(
                    "SELECT MAX(generation) FROM signingPair WHERE walletId = \(pair.walletId)", self.logger
                )?.intOrNil(0) ?? 0
            let generation = current + 1
            try await connection.query(
                """
                UPDATE signingPair SET status = \(SigningStatus.revoked.rawValue), revokedAt = \(at)
                WHERE walletId = \(pair.walletId) AND status = \(SigningStatus.active.rawValue)
                """, logger: self.logger)
            try await connection.query(
                """
                INSERT INTO signingPair (walletId, generation, status, deviceIdentifier, devicePublicShare,
                    custodianIdentifier, custodianPublicShare, createdAt)
                VALUES (\(pair.walletId), \(generation), \(SigningStatus.active.rawValue),
                    \(Data(record.deviceIdentifier)), \(Data(record.devicePublicShare)),
                    \(Data(record.custodianIdentifier)), \(Data(record.custodianPublicShare)), \(at))
                """, logger: self.logger)
            try await self.appendAudit(connection, audit(generation), at: at)
            return generation
        }
    }

    // MARK: Reports

    package func forEachLivePair(completed: Bool?, _ body: (PairSummary) throws -> Void) async throws {
        try await read { connection in
            let rows = try await connection.query(
                """
                \(unescaped: StoredRows.summarySelect) WHERE p.isLive
                    AND (\(completed)::boolean IS NULL OR (p.status = 'STORED_CLIENT_BACKUP_SHARE') = \(completed))
                ORDER BY c.clientId, w.curve, p.method
                """, logger: self.logger)
            for try await row in rows { try body(StoredRows.summary(row.makeRandomAccess())) }
        }
    }

    package func clientDetail(clientId: String) async throws -> ClientDetail? {
        try await read { connection in
            guard
                let client = try await connection.first(
                    "SELECT id, createdAt FROM client WHERE clientId = \(clientId)", self.logger)
            else { return nil }
            let clientRow = try client.int64(0)
            var wallets: [ClientDetail.Wallet] = []
            for row in try await connection.all(
                """
                SELECT \(unescaped: StoredRows.walletColumns) FROM wallet WHERE clientRowId = \(clientRow)
                ORDER BY curve
                """, self.logger)
            {
                let wallet = try StoredRows.wallet(row)
                let signing = try await connection.all(
                    """
                    SELECT \(unescaped: StoredRows.signingPairColumns) FROM signingPair WHERE walletId = \(wallet.id)
                    ORDER BY generation
                    """, self.logger
                ).map(StoredRows.signingPair)
                let backups = try await connection.all(
                    """
                    SELECT \(unescaped: StoredRows.summaryColumns), \(unescaped: StoredRows.storedPairColumns)
                    \(unescaped: StoredRows.pairJoins) \(unescaped: StoredRows.storedPairJoins)
                    WHERE w.id = \(wallet.id) ORDER BY p.method, p.isLive DESC, p.id DESC
                    """, self.logger
                ).map(StoredRows.backup)
                wallets.append(
                    ClientDetail.Wallet(
                        curve: wallet.curve, publicKey: Hex.encode(wallet.publicKey), createdAt: wallet.createdAt,
                        signingPairs: signing, backupPairs: backups))
            }
            let ciphertexts = try await connection.all(
                """
                SELECT \(unescaped: StoredRows.ciphertextColumns) FROM clientCiphertext
                WHERE clientRowId = \(clientRow) ORDER BY method, id DESC
                """, self.logger
            ).map(StoredRows.ciphertextSummary)
            return ClientDetail(
                clientId: clientId,
                createdAt: try StoredField(row: client, table: "client", id: clientRow).decode(
                    "createdAt", at: 1, VaultClock.parse),
                wallets: wallets, clientCiphertexts: ciphertexts)
        }
    }

    package func bookkeepingProblems(clientId: String?) async throws -> [BookkeepingProblem] {
        let queries = StoredRows.bookkeepingQueries(.postgres, scoped: clientId != nil)
        return try await read { connection in
            var problems: [BookkeepingProblem] = []
            for (kind, sql) in queries {
                var binds = PostgresBindings()
                if let clientId { binds.append(clientId) }
                for row in try await connection.all(PostgresQuery(unsafeSQL: sql, binds: binds), self.logger) {
                    problems.append(try StoredRows.bookkeepingProblem(row, kind))
                }
            }
            return problems
        }
    }

    package func activeSigningGenerations(after rowId: Int64, limit: Int, clientId: String?) async throws
        -> [ActiveSigningGeneration]
    {
        try await read { connection in
            try await connection.all(
                """
                SELECT \(unescaped: StoredRows.activeSigningColumns)
                FROM signingPair s JOIN wallet w ON w.id = s.walletId JOIN client c ON c.id = w.clientRowId
                WHERE s.status = 'active' AND s.id > \(rowId) AND (\(clientId)::text IS NULL OR c.clientId = \(clientId))
                ORDER BY s.id LIMIT \(limit)
                """, self.logger
            ).map(StoredRows.activeSigningGeneration)
        }
    }
}
