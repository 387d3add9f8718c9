import Foundation
import GRDB
import ShareMath

/// What `list`, `inspect`, `audit` and the public level of `verify` read.
extension SQLiteVaultStore {
    /// A pair summary's columns, in select order: rows are read by position, named here once.
    enum SummaryColumn: Int, CaseIterable {
        case id, walletId, clientId, curve, publicKey, method, status, isLive, createdAt, updatedAt, replacedAt,
            lastVerifiedAt, lastVerifiedOutcome, lastDrilledAt, lastDrilledOutcome, generation

        var expression: String {
            switch self {
            case .walletId: return "w.id"
            case .clientId: return "c.clientId"
            case .curve, .publicKey: return "w.\(self)"
            case .generation:
                return
                    "(SELECT MAX(generation) FROM signingPair sp WHERE sp.walletId = w.id AND sp.status = 'active') AS generation"
            default: return "p.\(self)"
            }
        }
    }

    static let summaryColumns = SummaryColumn.allCases.map(\.expression).joined(separator: ", ")
    static let pairJoins = "FROM backupPair p JOIN wallet w ON w.id = p.walletId JOIN client c ON c.id = w.clientRowId"
    static let summarySelect = "SELECT \(summaryColumns) \(pairJoins)"

    static func summary(_ row: Row) throws -> PairSummary {
        func column(_ column: SummaryColumn) -> Int { column.rawValue }
        let field = StoredField(row: row, table: "backupPair", id: row[column(.id)])
        let status = try field.decode("status", at: column(.status), BackupStatus.init(rawValue:))
        return PairSummary(
            pairId: field.id, clientId: row[column(.clientId)],
            curve: try StoredField(row: row, table: "wallet", id: row[column(.walletId)]).decode(
                "curve", at: column(.curve), CurveID.init(rawValue:)),
            publicKey: Hex.encode(row[column(.publicKey)] as Data),
            method: BackupMethod(name: row[column(.method)], curve: nil), status: status,
            completed: status.isCompleted, live: row[column(.isLive)],
            createdAt: try field.decode("createdAt", at: column(.createdAt), VaultClock.parse),
            updatedAt: try field.decode("updatedAt", at: column(.updatedAt), VaultClock.parse),
            replacedAt: try field.decodeIfPresent("replacedAt", at: column(.replacedAt), VaultClock.parse),
            generation: row[column(.generation)],
            lastVerifiedAt: try field.decodeIfPresent("lastVerifiedAt", at: column(.lastVerifiedAt), VaultClock.parse),
            lastVerifiedOutcome: try field.decodeIfPresent(
                "lastVerifiedOutcome", at: column(.lastVerifiedOutcome), CheckOutcome.init(recorded:)),
            lastDrilledAt: try field.decodeIfPresent("lastDrilledAt", at: column(.lastDrilledAt), VaultClock.parse),
            lastDrilledOutcome: try field.decodeIfPresent(
                "lastDrilledOutcome", at: column(.lastDrilledOutcome), CheckOutcome.init(recorded:)))
    }

    /// The identities of pairs the transaction has just written, as the intake answers with them (no report
    /// column is read: a damaged one never fails an upload).
    func pairIdentities(_ db: Database, pairIds: [Int64]) throws -> [PairIdentity] {
        try pairIds.map { id in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT \(Self.identityColumns) \(Self.pairJoins) WHERE p.id = ?"),
                    arguments: [id])
            else { throw VaultError.rowUnreadable(table: "backupPair", rowId: id, column: "id") }
            return try Self.identity(row).identity
        }
    }

    package func forEachLivePair(completed: Bool?, _ body: (PairSummary) throws -> Void) async throws {
        try syncRead { db in
            var sql = Self.summarySelect + " WHERE p.isLive"
            if let completed {
                sql +=
                    completed
                    ? " AND p.status = 'STORED_CLIENT_BACKUP_SHARE'" : " AND p.status <> 'STORED_CLIENT_BACKUP_SHARE'"
            }
            sql += " ORDER BY c.clientId, w.curve, p.method"
            let cursor = try Row.fetchCursor(db, sql: sql)
            while let row = try cursor.next() { try body(Self.summary(row)) }
        }
    }

    package func clientDetail(clientId: String) async throws -> ClientDetail? {
        try await read { db in
            guard
                let client = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT id, createdAt FROM client WHERE clientId = ?"),
                    arguments: [clientId])
            else { return nil }
            var wallets: [ClientDetail.Wallet] = []
            for wallet in try Row.fetchAll(
                db, sql: "SELECT id, curve, publicKey, createdAt FROM wallet WHERE clientRowId = ? ORDER BY curve",
                arguments: [client["id"] as Int64])
            {
                let walletId: Int64 = wallet["id"]
                let signing = try Row.fetchAll(
                    db, sql: "SELECT * FROM signingPair WHERE walletId = ? ORDER BY generation", arguments: [walletId]
                ).map { row in
                    let field = StoredField(row: row, table: "signingPair", id: row["id"])
                    return SigningPairRecord(
                        generation: row["generation"],
                        status: try field.decode("status", SigningStatus.init(rawValue:)),
                        deviceIdentifier: [UInt8](row["deviceIdentifier"] as Data),
                        devicePublicShare: [UInt8](row["devicePublicShare"] as Data),
                        custodianIdentifier: [UInt8](row["custodianIdentifier"] as Data),
                        custodianPublicShare: [UInt8](row["custodianPublicShare"] as Data),
                        createdAt: try field.decode("createdAt", VaultClock.parse))
                }
                let backups = try Row.fetchAll(
                    db,
                    sql: "SELECT \(Self.summaryColumns), \(Self.storedPairColumns) \(Self.pairJoins) "
                        + "\(Self.storedPairJoins) WHERE w.id = ? ORDER BY p.method, p.isLive DESC, p.id DESC",
                    arguments: [walletId]
                ).map { row in
                    let pair = try Self.storedPair(row, at: SummaryColumn.allCases.count)
                    return ClientDetail.Backup(
                        summary: try Self.summary(row), layout: pair.custodian.layout,
                        backupSharePairId: pair.custodian.backupSharePairId,
                        custodianIdentifier: Hex.encode(pair.custodian.identifier),
                        custodianPublicShare: Hex.encode(pair.custodian.publicShare),
                        clientIdentifier: pair.custodian.partnerIdentifier.map { Hex.encode($0) },
                        clientPublicShare: pair.custodian.partnerPublicShare.map { Hex.encode($0) },
                        hasClientBackup: pair.cipherText != nil, clientCiphertextId: pair.clientCiphertextId)
                }
                let field = StoredField(row: wallet, table: "wallet", id: walletId)
                wallets.append(
                    ClientDetail.Wallet(
                        curve: try field.decode("curve", CurveID.init(rawValue:)),
                        publicKey: Hex.encode(wallet["publicKey"] as Data),
                        createdAt: try field.decode("createdAt", VaultClock.parse),
                        signingPairs: signing, backupPairs: backups))
            }
            let ciphertexts = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, method, cipherText, receivedAt, confirmedAt, replacedAt, replacedById FROM clientCiphertext
                    WHERE clientRowId = ? ORDER BY method, id DESC
                    """,
                arguments: [client["id"] as Int64]
            ).map { row in
                let text: String = row["cipherText"]
                let ours = (try? ClientBackupCiphertext.readIfClaimed(text)) ?? nil
                let field = StoredField(row: row, table: "clientCiphertext", id: row["id"])
                let replacedAt = try field.decodeIfPresent("replacedAt", VaultClock.parse)
                return ClientCiphertextSummary(
                    id: field.id, method: BackupMethod(name: row["method"], curve: nil), length: text.utf8.count,
                    format: ours == nil ? .opaque : .sharevault, keySource: ours.map(\.keySource.name),
                    receivedAt: try field.decode("receivedAt", VaultClock.parse),
                    confirmedAt: try field.decodeIfPresent("confirmedAt", VaultClock.parse), live: replacedAt == nil,
                    replacedAt: replacedAt, replacedById: row["replacedById"])
            }
            return ClientDetail(
                clientId: clientId,
                createdAt: try StoredField(row: client, table: "client", id: client["id"]).decode(
                    "createdAt", VaultClock.parse),
                wallets: wallets, clientCiphertexts: ciphertexts)
        }
    }

    package func forEachAuditEvent(_ body: (AuditEvent) throws -> Void) async throws {
        try syncRead { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT id, at, kind, clientId, detail, previousHash, hash, mac FROM auditEvent ORDER BY id")
            while let row = try cursor.next() { try body(AuditLog.event(from: row)) }
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
                    WHERE w.curve NOT IN \(Self.knownCurves)\(scope)
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
                    problems.append(
                        BookkeepingProblem(
                            clientId: row[0], curve: row[1], method: row[2], pairId: row[3], problem: kind))
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
                    SELECT s.id, c.clientId, w.curve, w.publicKey, s.generation, s.deviceIdentifier,
                        s.devicePublicShare, s.custodianIdentifier, s.custodianPublicShare
                    FROM signingPair s JOIN wallet w ON w.id = s.walletId JOIN client c ON c.id = w.clientRowId
                    WHERE s.status = 'active' AND s.id > ?\(clientId == nil ? "" : " AND c.clientId = ?")
                    ORDER BY s.id LIMIT ?
                    """, arguments: arguments)
            var generations: [ActiveSigningGeneration] = []
            while let row = try cursor.next() {
                // A wallet of an unknown curve is reported as such by the bookkeeping queries; it still moves
                // the stream on.
                let curve = CurveID(rawValue: row[2])
                generations.append(
                    ActiveSigningGeneration(
                        rowId: row[0], clientId: row[1], curve: curve, publicKey: [UInt8](row[3] as Data),
                        generation: row[4], deviceIdentifier: [UInt8](row[5] as Data),
                        devicePublicShare: [UInt8](row[6] as Data), custodianIdentifier: [UInt8](row[7] as Data),
                        custodianPublicShare: [UInt8](row[8] as Data)))
            }
            return generations
        }
    }

    package func verifyAuditLog(expecting head: AuditHead?) async throws -> AuditVerification {
        let auditKey = self.auditKey
        return try await read { db in try AuditLog.verify(db, key: auditKey, expected: head) }
    }
}
