import Foundation
import GRDB
import ShareMath

/// What arrives: wallets `create` makes, custodian shares from the webhook, client ciphertexts and the app's
/// confirmations.
extension SQLiteVaultStore {
    package func createWallets(
        _ clientIds: [String], curves: [CurveID], batchSize: Int, at date: Date,
        make: ([String]) async throws -> [NewClient], audit: @escaping @Sendable (CreatedPair) -> AuditEntry
    ) async throws {
        let batches = clientIds.batches(of: batchSize).map(Array.init)
        // Every clash is refused up front, so a create that cannot succeed writes nothing.
        try await read { db in for batch in batches { try Self.refuseExistingWallets(db, batch, curves: curves) } }
        // Then each batch is made with no lock held and committed in a transaction of its own, so the intake and
        // other commands go on writing between batches.
        for batch in batches {
            let clients = try await make(batch)
            try await write { db in
                try Self.refuseExistingWallets(db, batch, curves: curves)
                try refuseSealsNotAccepted(clients, by: try Self.keyMeta(db))
                for client in clients { try self.insertClient(db, client, at: date, audit: audit) }
            }
        }
    }

    static func refuseExistingWallets(_ db: Database, _ batch: [String], curves: [CurveID]) throws {
        let placeholders = Array(repeating: "?", count: batch.count).joined(separator: ",")
        let existing = try Row.fetchAll(
            db,
            sql:
                "SELECT c.clientId, w.curve FROM wallet w JOIN client c ON c.id = w.clientRowId WHERE c.clientId IN (\(placeholders))",
            arguments: StatementArguments(batch))
        try refuseWalletClashes(batch, curves: curves, existing: try existing.map { (try $0.text(0), try $0.text(1)) })
    }

    func insertClient(
        _ db: Database, _ client: NewClient, at date: Date, audit: (CreatedPair) -> AuditEntry
    ) throws {
        let at = VaultClock.format(date)
        let clientRow = try clientRowId(db, clientId: client.clientId, at: date)
        var ciphertextIds: [BackupMethod: Int64] = [:]
        for ciphertext in client.ciphertexts {
            var row = ClientCiphertextRow(
                clientRowId: clientRow, method: ciphertext.method.name, cipherText: ciphertext.cipherText,
                receivedAt: date, confirmedAt: ciphertext.confirmed ? date : nil)
            try row.insert(db)
            ciphertextIds[ciphertext.method] = row.id
        }
        for wallet in client.wallets {
            let walletId = try walletRowId(
                db, clientRow: clientRow, clientId: client.clientId, curve: wallet.curve, publicKey: wallet.publicKey,
                at: date)
            var signing = SigningPairRow(walletId: walletId, record: wallet.signing)
            signing.createdAt = date
            try signing.insert(db)
            for backup in wallet.backups {
                let (pairId, replaced) = try insertPair(
                    db, walletId: walletId, method: backup.method, record: backup.custodian, status: backup.status,
                    clientCiphertextId: ciphertextIds[backup.method], at: date)
                let created = CreatedPair(
                    clientId: client.clientId, curve: wallet.curve, publicKey: wallet.publicKey,
                    method: backup.method, status: backup.status, pairId: pairId, replaced: replaced)
                try AuditLog.append(db, key: try AuditLog.currentKey(db, keyring), audit(created), at: at)
            }
        }
    }

    package func storeCustodianShares(_ deliveries: [CustodianShareDelivery]) async throws
        -> [Result<CustodianStoreOutcome, VaultError>]
    {
        try await write { db in
            // Read once for the batch: the write lock keeps a rekey from beginning or ending until it commits.
            let sealingVersion = try Self.keyMeta(db).sealingVersion
            return try deliveries.map { delivery in
                if let version = delivery.record.keyVersion, version != sealingVersion {
                    return .failure(.sealedUnderOtherKeyVersion(sealed: version, vault: sealingVersion))
                }
                // Each in a savepoint of its own: a refusal rolls back what it had begun (a new client's row)
                // and leaves the others' writes in the transaction.
                var outcome: Result<CustodianStoreOutcome, VaultError>!
                try db.inSavepoint {
                    do {
                        outcome = .success(try self.storeCustodianShare(db, delivery))
                        return .commit
                    } catch let refusal as VaultError {
                        outcome = .failure(refusal)
                        return .rollback
                    }
                }
                return outcome
            }
        }
    }

    private func storeCustodianShare(_ db: Database, _ delivery: CustodianShareDelivery) throws
        -> CustodianStoreOutcome
    {
        let (clientId, curve, method, record) = (delivery.clientId, delivery.curve, delivery.method, delivery.record)
        // A share the vault already holds for this wallet and method, live or in history, compared by content:
        // a repeated or re-serialised delivery, or an older one replayed, stores nothing and changes nothing.
        let digests = Array(repeating: "?", count: 1 + delivery.otherDigests.count).joined(separator: ", ")
        if let existing = try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT p.id FROM backupPair p
                    JOIN wallet w ON w.id = p.walletId JOIN client c ON c.id = w.clientRowId
                    JOIN custodianShare s ON s.pairId = p.id
                    WHERE c.clientId = ? AND w.curve = ? AND p.method = ? AND s.shareDigest IN (\(digests))
                    ORDER BY p.isLive DESC, p.id DESC LIMIT 1
                    """),
            arguments: StatementArguments(
                [clientId, curve.rawValue, method.name] as [any DatabaseValueConvertible]
                    + ([record.shareDigest] + delivery.otherDigests).map { Data($0) as any DatabaseValueConvertible }))
        {
            return .duplicate(pairId: existing)
        }
        let clientRow = try clientRowId(db, clientId: clientId, at: delivery.at)
        let walletId = try walletRowId(
            db, clientRow: clientRow, clientId: clientId, curve: curve, publicKey: delivery.publicKey, at: delivery.at)
        let (pairId, replaced) = try insertPair(
            db, walletId: walletId, method: method, record: record, status: .storedCustodianBackupShare,
            clientCiphertextId: nil, at: delivery.at)
        try AuditLog.append(
            db, key: try AuditLog.currentKey(db, keyring), delivery.audit(pairId, replaced),
            at: VaultClock.format(delivery.at))
        return .stored(pairId: pairId, replaced: replaced)
    }

    package func storeClientBackup(
        clientId: String, method: BackupMethod, cipherText: String, at date: Date,
        audit: @escaping @Sendable (StoredCiphertext) -> AuditEntry
    ) async throws -> [PairIdentity] {
        let at = VaultClock.format(date)
        return try await write { db in
            let (clientRow, pairs) = try self.livePairsOfMethod(db, clientId: clientId, method: method)
            let current = Set(pairs.compactMap(\.ciphertextId))
            if current.count == 1, let held = current.first, pairs.allSatisfy({ $0.ciphertextId != nil }),
                try String.fetchOne(
                    db.cachedStatement(sql: "SELECT cipherText FROM clientCiphertext WHERE id = ?"),
                    arguments: [held])
                    == cipherText
            {
                // The same upload again: nothing changes.
                return try self.pairIdentities(db, pairIds: pairs.map(\.id))
            }
            var upload = ClientCiphertextRow(
                clientRowId: clientRow, method: method.name, cipherText: cipherText, receivedAt: date)
            try upload.insert(db)
            let ciphertextId = db.lastInsertedRowID
            try BackupPairRow.filter(keys: pairs.map(\.id)).updateAll(
                db, BackupPairRow.Columns.clientCiphertextId.set(to: ciphertextId),
                BackupPairRow.Columns.status.set(to: BackupStatus.storedClientBackupShareKey.rawValue),
                BackupPairRow.Columns.updatedAt.set(to: at))
            // A ciphertext is replaced once no live pair holds it (an upload for one curve may leave the other's).
            let retire = try db.cachedStatement(
                sql: """
                    UPDATE clientCiphertext SET replacedAt = ?, replacedById = ?
                    WHERE id = ? AND replacedAt IS NULL
                        AND NOT EXISTS (SELECT 1 FROM backupPair WHERE clientCiphertextId = ? AND isLive)
                    """)
            for replaced in current.sorted() { try retire.execute(arguments: [at, ciphertextId, replaced, replaced]) }
            let stored = StoredCiphertext(
                pairs: pairs.map { PairOnCurve(id: $0.id, curve: $0.curve) }, ciphertextId: ciphertextId,
                replacedCiphertextIds: current.sorted())
            try AuditLog.append(db, key: try AuditLog.currentKey(db, self.keyring), audit(stored), at: at)
            return try self.pairIdentities(db, pairIds: pairs.map(\.id))
        }
    }

    package func confirmClientBackup(
        clientId: String, method: BackupMethod, at date: Date, audit: @escaping @Sendable ([PairOnCurve]) -> AuditEntry
    ) async throws -> [PairIdentity] {
        let at = VaultClock.format(date)
        return try await write { db in
            let pairs = try self.livePairsOfMethod(db, clientId: clientId, method: method).pairs.filter {
                $0.ciphertextId != nil
            }
            guard !pairs.isEmpty else {
                throw VaultError.noClientBackup(clientId: clientId, method: method.description)
            }
            let confirmCiphertext = try db.cachedStatement(
                sql: "UPDATE clientCiphertext SET confirmedAt = ? WHERE id = ? AND confirmedAt IS NULL")
            for id in Set(pairs.compactMap(\.ciphertextId)).sorted() {
                try confirmCiphertext.execute(arguments: [at, id])
            }
            let complete = try db.cachedStatement(sql: "UPDATE backupPair SET status = ?, updatedAt = ? WHERE id = ?")
            for pair in pairs {
                try complete.execute(arguments: [BackupStatus.storedClientBackupShare.rawValue, at, pair.id])
            }
            try AuditLog.append(
                db, key: try AuditLog.currentKey(db, self.keyring),
                audit(pairs.map { PairOnCurve(id: $0.id, curve: $0.curve) }), at: at)
            return try self.pairIdentities(db, pairIds: pairs.map(\.id))
        }
    }

    /// The client's live pairs of a method, on every curve or only the method's own; refuses an unknown client
    /// or a method with no live pair.
    func livePairsOfMethod(
        _ db: Database, clientId: String, method: BackupMethod
    ) throws -> (clientRow: Int64, pairs: [(id: Int64, curve: CurveID, ciphertextId: Int64?)]) {
        let clientRow = try existingClientRow(db, clientId: clientId)
        var sql = """
            SELECT p.id, w.curve, p.clientCiphertextId, w.id FROM backupPair p JOIN wallet w ON w.id = p.walletId
            WHERE w.clientRowId = ? AND p.method = ? AND p.isLive
            """
        var arguments: StatementArguments = [clientRow, method.name]
        if let curve = method.curve {
            sql += " AND w.curve = ?"
            arguments += [curve.rawValue]
        }
        let pairs = try Row.fetchAll(db, sql: sql + " ORDER BY w.curve", arguments: arguments).map { row in
            (
                id: row[0] as Int64,
                curve: try StoredField(row: row, table: "wallet", id: try row.int64(3)).decode(
                    "curve", at: 1, CurveID.init(rawValue:)),
                ciphertextId: row[2] as Int64?
            )
        }
        guard !pairs.isEmpty else { throw VaultError.noBackupPair(clientId: clientId, method: method.description) }
        return (clientRow, pairs)
    }

    /// The client's row, made if absent. The lookups on this path (every webhook and created client) are cached
    /// statements reading only the ids they need: the query interface prepares its SQL anew on each call and a
    /// record decodes every column (times parsed), which cost the intake a third of its rate.
    func clientRowId(_ db: Database, clientId: String, at date: Date) throws -> Int64 {
        if let id = try clientRow(db, clientId: clientId) { return id }
        var row = ClientRow(clientId: clientId, createdAt: date)
        try row.insert(db)
        return db.lastInsertedRowID
    }

    /// The client's wallet on `curve`, made if absent; a different public key is a contradiction.
    func walletRowId(
        _ db: Database, clientRow: Int64, clientId: String, curve: CurveID, publicKey: [UInt8], at date: Date
    ) throws -> Int64 {
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, publicKey FROM wallet WHERE clientRowId = ? AND curve = ?"),
            arguments: [clientRow, curve.rawValue])
        {
            let stored: Data = row["publicKey"]
            guard stored == Data(publicKey) else {
                throw VaultError.publicKeyMismatch(
                    clientId: clientId, curve: curve, stored: Hex.encode(stored), received: Hex.encode(publicKey))
            }
            return row["id"]
        }
        var row = WalletRow(
            clientRowId: clientRow, curve: curve, publicKey: Data(publicKey), createdAt: date,
            address: try? WalletAddress.address(curve: curve, publicKey: publicKey))
        try row.insert(db)
        return db.lastInsertedRowID
    }

    /// Inserts a new live pair with its custodian share, retiring the previous live pair for the method.
    func insertPair(
        _ db: Database, walletId: Int64, method: BackupMethod, record: CustodianShareRecord, status: BackupStatus,
        clientCiphertextId: Int64?, at date: Date
    ) throws -> (pairId: Int64, replaced: Int64?) {
        let at = VaultClock.format(date)
        let previous = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM backupPair WHERE walletId = ? AND method = ? AND isLive"),
            arguments: [walletId, method.name])
        if let previous {
            try BackupPairRow.filter(key: previous).updateAll(
                db, BackupPairRow.Columns.isLive.set(to: false), BackupPairRow.Columns.replacedAt.set(to: at))
        }
        var pair = BackupPairRow(
            walletId: walletId, method: method.name, status: status, isLive: true, createdAt: date, updatedAt: date,
            clientCiphertextId: clientCiphertextId)
        try pair.insert(db)
        let pairId = db.lastInsertedRowID
        if let previous {
            try BackupPairRow.filter(key: previous).updateAll(db, BackupPairRow.Columns.replacedById.set(to: pairId))
        }
        try CustodianShareRow(pairId: pairId, record: record, receivedAt: date).insert(db)
        return (pairId, previous)
    }

    /// The live pair for a client and method; the method's curve may be left out when only one matches.
    func livePairId(_ db: Database, clientId: String, method: BackupMethod) throws -> Int64 {
        _ = try existingClientRow(db, clientId: clientId)
        var sql = """
            SELECT p.id FROM backupPair p JOIN wallet w ON w.id = p.walletId JOIN client c ON c.id = w.clientRowId
            WHERE c.clientId = ? AND p.method = ? AND p.isLive
            """
        var arguments: StatementArguments = [clientId, method.name]
        if let curve = method.curve {
            sql += " AND w.curve = ?"
            arguments += [curve.rawValue]
        }
        let ids = try Int64.fetchAll(db, sql: sql, arguments: arguments)
        guard !ids.isEmpty else { throw VaultError.noBackupPair(clientId: clientId, method: method.description) }
        guard ids.count == 1 else { throw VaultError.ambiguousMethod(clientId: clientId, method: method.name) }
        return ids[0]
    }

    /// The client's row, if the vault knows the client.
    func clientRow(_ db: Database, clientId: String) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM client WHERE clientId = ?"), arguments: [clientId])
    }

    /// The client's row; an unknown client is refused.
    func existingClientRow(_ db: Database, clientId: String) throws -> Int64 {
        guard let row = try clientRow(db, clientId: clientId) else { throw VaultError.unknownClient(clientId) }
        return row
    }
}
