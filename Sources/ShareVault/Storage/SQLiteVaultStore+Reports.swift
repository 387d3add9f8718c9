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
            let scope = clientId == nil ? "" : " AND c.clientId = ?"
            let arguments: StatementArguments = clientId.map { [$0] } ?? []
            let joins = "FROM backupPair p JOIN wallet w ON w.id = p.walletId JOIN client c ON c.id = w.clientRowId"
            // Each query names its finding. Each reads its tables once (backupPair has no index by wallet alone, so
            // a correlated subquery on it would scan it per wallet).
            let queries: [(BookkeepingProblem.Kind, String)] = [
                (
                    .unknownCurve,
                    """
                    SELECT c.clientId, w.curve, NULL, NULL FROM wallet w JOIN client c ON c.id = w.clientRowId
                    WHERE w.curve NOT IN \(StoredRows.knownCurves)\(scope)
                    """
                ),
                (
                    .walletWithoutBackup,
                    """
                    SELECT c.clientId, w.curve, NULL, NULL FROM wallet w JOIN client c ON c.id = w.clientRowId
                    LEFT JOIN (SELECT DISTINCT walletId FROM backupPair) b ON b.walletId = w.id
                    WHERE b.walletId IS NULL\(scope)
                    """
                ),
                (
                    .noLivePair,
                    """
                    SELECT c.clientId, w.curve, p.method, MAX(p.id) \(joins)
                    WHERE 1\(scope) GROUP BY p.walletId, p.method HAVING SUM(p.isLive) = 0
                    """
                ),
                // Every pair the audit log records as made is still there (a deleted live pair, say).
                (
                    .recordedPairMissing,
                    """
                    SELECT c.clientId, json_extract(e.detail, '$.curve'), json_extract(e.detail, '$.method'),
                        CAST(json_extract(e.detail, '$.pairId') AS INTEGER)
                    FROM auditEvent e JOIN client c ON c.clientId = e.clientId
                    WHERE e.kind IN ('create', 'ingest-custodian', 'replace') AND NOT EXISTS (
                        SELECT 1 FROM backupPair p WHERE p.id = CAST(json_extract(e.detail, '$.pairId') AS INTEGER))\(scope)
                    """
                ),
                (
                    .livePairMarkedReplaced,
                    """
                    SELECT c.clientId, w.curve, p.method, p.id \(joins)
                    WHERE p.isLive AND (p.replacedAt IS NOT NULL OR p.replacedById IS NOT NULL)\(scope)
                    """
                ),
                (
                    .replacementMissing,
                    """
                    SELECT c.clientId, w.curve, p.method, p.id \(joins)
                    WHERE NOT p.isLive AND NOT EXISTS (
                        SELECT 1 FROM backupPair r WHERE r.id = p.replacedById AND r.id > p.id
                            AND r.walletId = p.walletId AND r.method = p.method)\(scope)
                    """
                ),
                // The live pair is its wallet and method's newest: an older one made live again is not.
                (
                    .olderPairLive,
                    """
                    SELECT c.clientId, w.curve, g.method, g.liveId FROM (
                        SELECT walletId, method, MAX(id) AS newest, MAX(CASE WHEN isLive THEN id END) AS liveId
                        FROM backupPair GROUP BY walletId, method
                    ) g JOIN wallet w ON w.id = g.walletId JOIN client c ON c.id = w.clientRowId
                    WHERE g.liveId IS NOT NULL AND g.liveId <> g.newest\(scope)
                    """
                ),
                (
                    .severalActiveSigningGenerations,
                    """
                    SELECT c.clientId, w.curve, NULL, NULL FROM signingPair s JOIN wallet w ON w.id = s.walletId
                    JOIN client c ON c.id = w.clientRowId WHERE s.status = 'active'\(scope)
                    GROUP BY s.walletId HAVING COUNT(*) > 1
                    """
                ),
            ]
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
        let auditKey = self.auditKey
        return try await read { db in try AuditLog.verify(db, key: auditKey, expected: head) }
    }
}
