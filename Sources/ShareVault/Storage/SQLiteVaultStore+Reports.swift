import Foundation
import GRDB
import ShareMath

/// What `list`, `inspect`, `audit` and the public level of `verify` read.
extension SQLiteVaultStore {
    /// The identities of pairs the transaction has just written, as the intake answers with them (no report
    /// column is read: a damaged one never fails an upload).
    func pairIdentities(_ db: Database, pairIds: [Int64]) throws -> [PairIdentity] {
        try pairIds.map { id in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: "SELECT \(StoredRows.identityColumns) \(StoredRows.pairJoins) WHERE p.id = ?"),
                    arguments: [id])
            else { throw VaultError.rowUnreadable(table: "backupPair", rowId: id, column: "id") }
            return try StoredRows.identity(row).identity
        }
    }

    package func forEachLivePair(completed: Bool?, _ body: (PairSummary) throws -> Void) async throws {
        try syncRead { db in
            var sql = StoredRows.summarySelect + " WHERE p.isLive"
            if let completed {
                sql +=
                    completed
                    ? " AND p.status = 'STORED_CLIENT_BACKUP_SHARE'" : " AND p.status <> 'STORED_CLIENT_BACKUP_SHARE'"
            }
            sql += " ORDER BY c.clientId, w.curve, p.method"
            let cursor = try Row.fetchCursor(db, sql: sql)
            while let row = try cursor.next() { try body(StoredRows.summary(row)) }
        }
    }

    package func clientDetail(clientId: String) async throws -> ClientDetail? {
        try await read { db in
            guard
                let client = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT id, createdAt FROM client WHERE clientId = ?"),
                    arguments: [clientId])
            else { return nil }
            let clientRow = try client.int64(0)
            var wallets: [ClientDetail.Wallet] = []
            for row in try Row.fetchAll(
                db, sql: "SELECT \(StoredRows.walletColumns) FROM wallet WHERE clientRowId = ? ORDER BY curve",
                arguments: [clientRow])
            {
                let wallet = try StoredRows.wallet(row)
                let signing = try Row.fetchAll(
                    db,
                    sql:
                        "SELECT \(StoredRows.signingPairColumns) FROM signingPair WHERE walletId = ? ORDER BY generation",
                    arguments: [wallet.id]
                ).map(StoredRows.signingPair)
                let backups = try Row.fetchAll(
                    db,
                    sql: "SELECT \(StoredRows.summaryColumns), \(StoredRows.storedPairColumns) \(StoredRows.pairJoins) "
                        + "\(StoredRows.storedPairJoins) WHERE w.id = ? ORDER BY p.method, p.isLive DESC, p.id DESC",
                    arguments: [wallet.id]
                ).map(StoredRows.backup)
                wallets.append(
                    ClientDetail.Wallet(
                        curve: wallet.curve, publicKey: Hex.encode(wallet.publicKey), createdAt: wallet.createdAt,
                        signingPairs: signing, backupPairs: backups))
            }
            let ciphertexts = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(StoredRows.ciphertextColumns) FROM clientCiphertext
                    WHERE clientRowId = ? ORDER BY method, id DESC
                    """,
                arguments: [clientRow]
            ).map(StoredRows.ciphertextSummary)
            return ClientDetail(
                clientId: clientId,
                createdAt: try StoredField(row: client, table: "client", id: clientRow).decode(
                    "createdAt", at: 1, VaultClock.parse),
                wallets: wallets, clientCiphertexts: ciphertexts)
        }
    }

    package func forEachAuditEvent(_ body: (AuditEvent) throws -> Void) async throws {
        try syncRead { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT \(StoredRows.auditEventColumns) FROM auditEvent ORDER BY id")
            while let row = try cursor.next() { try body(StoredRows.auditEvent(row)) }
        }
    }

    package func bookkeepingProblems(clientId: String?) async throws -> [BookkeepingProblem] {
        try await read { db in
            let arguments: StatementArguments = clientId.map { [$0] } ?? []
            let queries = StoredRows.bookkeepingQueries(.sqlite, scoped: clientId != nil)
            var problems: [BookkeepingProblem] = []
            for (kind, sql) in queries {
                for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
                    problems.append(try StoredRows.bookkeepingProblem(row, kind))
                }
            }
            return problems
        }
    }

    package func activeSigningGenerations(after rowId: Int64, limit: Int, clientId: String?) async throws
        -> [ActiveSigningGeneration]
    {
        try await read { db in
            var arguments: StatementArguments = [rowId]
            if let clientId { arguments += [clientId] }
            arguments += [limit]
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(StoredRows.activeSigningColumns)
                    FROM signingPair s JOIN wallet w ON w.id = s.walletId JOIN client c ON c.id = w.clientRowId
                    WHERE s.status = 'active' AND s.id > ?\(clientId == nil ? "" : " AND c.clientId = ?")
                    ORDER BY s.id LIMIT ?
                    """, arguments: arguments)
            var generations: [ActiveSigningGeneration] = []
            while let row = try cursor.next() { generations.append(try StoredRows.activeSigningGeneration(row)) }
            return generations
        }
    }

    package func verifyAuditLog(expecting head: AuditHead?) async throws -> AuditVerification {
        let keys = keyring?.auditKeys
        return try await read { db in try AuditLog.verify(db, keys: keys, expected: head) }
    }
}
