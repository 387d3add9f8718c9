import Foundation
import PostgresNIO
import ShareMath
import ShareVault

/// What arrives, on PostgreSQL: wallets `create` makes, custodian shares from the webhook, client ciphertexts and
/// the app's confirmations. The rules are SQLite's (SQLiteVaultStore+Intake.swift); each runs under the write lock.
extension PostgresVaultStore {
    package func createWallets(
        _ clientIds: [String], curves: [CurveID], batchSize: Int, at date: Date,
        make: ([String]) async throws -> [NewClient], audit: @escaping @Sendable (CreatedPair) -> AuditEntry
    ) async throws {
        let batches = clientIds.batches(of: batchSize).map(Array.init)
        // Every clash is refused up front, so a create that cannot succeed writes nothing.
        try await read { connection in
            for batch in batches { try await self.refuseExistingWallets(connection, batch, curves: curves) }
        }
        for batch in batches {
            let clients = try await make(batch)
            try await write { connection in
                try await self.refuseExistingWallets(connection, batch, curves: curves)
                try refuseSealsNotAccepted(clients, by: try await Self.keyMeta(connection, self.logger))
                for client in clients { try await self.insertClient(connection, client, at: date, audit: audit) }
            }
        }
    }

    private func refuseExistingWallets(_ connection: PostgresConnection, _ batch: [String], curves: [CurveID])
        async throws
    {
        let rows = try await connection.all(
            """
            SELECT c.clientId, w.curve FROM wallet w JOIN client c ON c.id = w.clientRowId
            WHERE c.clientId = ANY(\(batch))
            """, logger)
        try refuseWalletClashes(batch, curves: curves, existing: try rows.map { (try $0.text(0), try $0.text(1)) })
    }

    private func insertClient(
        _ connection: PostgresConnection, _ client: NewClient, at date: Date, audit: (CreatedPair) -> AuditEntry
    ) async throws {
        let at = VaultClock.format(date)
        let clientRow = try await clientRowId(connection, clientId: client.clientId, at: at)
        var ciphertextIds: [BackupMethod: Int64] = [:]
        for ciphertext in client.ciphertexts {
            let confirmedAt: String? = ciphertext.confirmed ? at : nil
            ciphertextIds[ciphertext.method] = try await connection.insert(
                """
                INSERT INTO clientCiphertext (clientRowId, method, cipherText, receivedAt, confirmedAt)
                VALUES (\(clientRow), \(ciphertext.method.name), \(ciphertext.cipherText), \(at), \(confirmedAt))
                RETURNING id
                """, logger)
        }
        for wallet in client.wallets {
            let walletId = try await walletRowId(
                connection, clientRow: clientRow, clientId: client.clientId, curve: wallet.curve,
                publicKey: wallet.publicKey, at: at)
            let signing = wallet.signing
            try await connection.query(
                """
                INSERT INTO signingPair (walletId, generation, status, deviceIdentifier, devicePublicShare,
                    custodianIdentifier, custodianPublicShare, createdAt)
                VALUES (\(walletId), \(signing.generation), \(signing.status.rawValue), \(Data(signing.deviceIdentifier)),
                    \(Data(signing.devicePublicShare)), \(Data(signing.custodianIdentifier)),
                    \(Data(signing.custodianPublicShare)), \(at))
                """, logger: logger)
            for backup in wallet.backups {
                let (pairId, replaced) = try await insertPair(
                    connection, walletId: walletId, method: backup.method, record: backup.custodian,
                    status: backup.status, clientCiphertextId: ciphertextIds[backup.method], at: at)
                let created = CreatedPair(
                    clientId: client.clientId, curve: wallet.curve, publicKey: wallet.publicKey,
                    method: backup.method, status: backup.status, pairId: pairId, replaced: replaced)
                try await appendAudit(connection, audit(created), at: at)
            }
        }
    }

    package func storeCustodianShares(_ deliveries: [CustodianShareDelivery]) async throws
        -> [Result<CustodianStoreOutcome, VaultError>]
    {
        try await write { connection in
            // Read once for the batch: the write lock keeps a rekey from beginning or ending until it commits.
            let sealingVersion = try await Self.keyMeta(connection, self.logger).sealingVersion
            var outcomes: [Result<CustodianStoreOutcome, VaultError>] = []
            for delivery in deliveries {
                if let version = delivery.record.keyVersion, version != sealingVersion {
                    outcomes.append(.failure(.sealedUnderOtherKeyVersion(sealed: version, vault: sealingVersion)))
                    continue
                }
                do {
                    outcomes.append(.success(try await self.storeCustodianShare(connection, delivery)))
                } catch let refusal as VaultError {
                    // Refusals are decided before a delivery writes anything, so the others' writes stand alone.
                    outcomes.append(.failure(refusal))
                }
            }
            return outcomes
        }
    }

    /// One webhook's write in few round trips, since every one is made holding the write lock: one query reads
    /// all it needs (a duplicate, the client's and wallet's rows, the live pair it replaces, the audit head, a new
    /// pair id), and one statement writes everything (the client and wallet when new, the pair, its share, the
    /// audit event and head), after retiring the replaced pair first (the one live pair's unique index is checked
    /// row by row). Whatever refuses the delivery (a `VaultError`) is thrown before its first write.
    private func storeCustodianShare(_ connection: PostgresConnection, _ delivery: CustodianShareDelivery)
        async throws -> CustodianStoreOutcome
    {
        let (clientId, curve, publicKey, method, record) = (
            delivery.clientId, delivery.curve, delivery.publicKey, delivery.method, delivery.record
        )
        let digests = ([record.shareDigest] + delivery.otherDigests).map { ByteBuffer(bytes: $0) }
        let at = VaultClock.format(delivery.at)
        // A share the vault already holds for this wallet and method, live or in history, compared by content:
        // a repeated or re-serialised delivery, or an older one replayed, stores nothing and changes nothing.
        guard
            let state = try await connection.first(
                """
                SELECT
                    (SELECT p.id FROM backupPair p JOIN custodianShare s ON s.pairId = p.id
                     WHERE p.walletId = w.id AND p.method = \(method.name)
                        AND s.shareDigest = ANY(\(digests))
                     ORDER BY p.isLive DESC, p.id DESC LIMIT 1),
                    c.id, w.id, w.publicKey,
                    (SELECT p.id FROM backupPair p WHERE p.walletId = w.id AND p.method = \(method.name) AND p.isLive),
                    (SELECT value FROM vaultMeta WHERE name = 'auditHead'), (SELECT MAX(id) FROM auditEvent),
                    nextval(pg_get_serial_sequence('backuppair', 'id')),
                    (SELECT value FROM vaultMeta WHERE name = 'keyVersion')
                FROM (SELECT 1) AS one
                LEFT JOIN client c ON c.clientId = \(clientId)
                LEFT JOIN wallet w ON w.clientRowId = c.id AND w.curve = \(curve.rawValue)
                """, self.logger)
        else { throw VaultError.rowUnreadable(table: "backupPair", rowId: 0, column: "id") }
        if let duplicate = try state.int64OrNil(0) { return .duplicate(pairId: duplicate) }
        let clientRow = try state.int64OrNil(1)
        let walletId = try state.int64OrNil(2)
        if walletId != nil, let stored = try state.bytesOrNil(3), stored != publicKey {
            throw VaultError.publicKeyMismatch(
                clientId: clientId, curve: curve, stored: Hex.encode(stored), received: Hex.encode(publicKey))
        }
        let replaced = try state.int64OrNil(4)
        let pairId = try state.int64(7)
        let entry = delivery.audit(pairId, replaced)
        let event = try AuditLog.next(
            after: try state.textOrNil(5), lastId: try state.int64OrNil(6),
            key: try currentAuditKey(version: try state.textOrNil(8)),
            storedKind: entry.kind.rawValue, clientId: entry.clientId, detail: entry.detail, at: at)
        if let replaced {
            try await connection.query(
                "UPDATE backupPair SET isLive = FALSE, replacedAt = \(at) WHERE id = \(replaced)",
                logger: self.logger)
        }
        let commitments = record.commitments.map { Data($0.flatMap { $0 }) }
        // Rows made by one CTE may refer to each other: the foreign keys are checked at the statement's end.
        try await connection.query(
            """
            WITH newClient AS (
                INSERT INTO client (clientId, createdAt) SELECT \(clientId), \(at) WHERE \(clientRow)::bigint IS NULL
                RETURNING id
            ), newWallet AS (
                INSERT INTO wallet (clientRowId, curve, publicKey, createdAt, address)
                SELECT COALESCE(\(clientRow)::bigint, (SELECT id FROM newClient)), \(curve.rawValue),
                    \(Data(publicKey)), \(at), \(try? WalletAddress.address(curve: curve, publicKey: publicKey))
                WHERE \(walletId)::bigint IS NULL
                RETURNING id
            ), pair AS (
                INSERT INTO backupPair (id, walletId, method, status, isLive, createdAt, updatedAt)
                SELECT \(pairId), COALESCE(\(walletId)::bigint, (SELECT id FROM newWallet)), \(method.name),
                    \(BackupStatus.storedCustodianBackupShare.rawValue), TRUE, \(at), \(at)
                RETURNING id
            ), share AS (
                INSERT INTO custodianShare (pairId, layout, threshold, identifier, publicShare, partnerIdentifier,
                    partnerPublicShare, backupSharePairId, commitments, sealedShare, shareDigest, receivedAt,
                    keyVersion)
                SELECT id, \(record.layout.rawValue), \(record.threshold), \(Data(record.identifier)),
                    \(Data(record.publicShare)), \(record.partnerIdentifier.map { Data($0) }),
                    \(record.partnerPublicShare.map { Data($0) }), \(record.backupSharePairId), \(commitments),
                    \(Data(record.sealedShare)), \(Data(record.shareDigest)), \(at), \(record.keyVersion)
                FROM pair
            ), retired AS (
                UPDATE backupPair SET replacedById = (SELECT id FROM pair) WHERE id = \(replaced)::bigint
            ), event AS (
                INSERT INTO auditEvent (id, at, kind, clientId, detail, previousHash, hash, mac)
                VALUES (\(event.id), \(event.at), \(event.kind), \(event.clientId), \(event.detail),
                    \(Data(event.previousHash)), \(Data(event.hash)), \(event.mac.map { Data($0) }))
            )
            INSERT INTO vaultMeta (name, value) VALUES ('auditHead', \(Hex.encode(event.hash))),
                ('auditCount', \(String(event.id)))
            ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
            """, logger: self.logger)
        return .stored(pairId: pairId, replaced: replaced)
    }

    package func storeClientBackup(
        clientId: String, method: BackupMethod, cipherText: String, at date: Date,
        audit: @escaping @Sendable (StoredCiphertext) -> AuditEntry
    ) async throws -> [PairIdentity] {
        let at = VaultClock.format(date)
        return try await write { connection in
            let (clientRow, pairs) = try await self.livePairsOfMethod(connection, clientId: clientId, method: method)
            let current = Set(pairs.compactMap(\.ciphertextId))
            if current.count == 1, let held = current.first, pairs.allSatisfy({ $0.ciphertextId != nil }),
                try await connection.first("SELECT cipherText FROM clientCiphertext WHERE id = \(held)", self.logger)?
                    .text(0) == cipherText
            {
                // The same upload again: nothing changes.
                return try await self.pairIdentities(connection, pairIds: pairs.map(\.id))
            }
            let ciphertextId = try await connection.insert(
                """
                INSERT INTO clientCiphertext (clientRowId, method, cipherText, receivedAt)
                VALUES (\(clientRow), \(method.name), \(cipherText), \(at)) RETURNING id
                """, self.logger)
            let pairIds = pairs.map(\.id)
            try await connection.query(
                """
                UPDATE backupPair SET clientCiphertextId = \(ciphertextId),
                    status = \(BackupStatus.storedClientBackupShareKey.rawValue), updatedAt = \(at)
                WHERE id = ANY(\(pairIds))
                """, logger: self.logger)
            // A ciphertext is replaced once no live pair holds it (an upload for one curve may leave the other's).
            for replaced in current.sorted() {
                try await connection.query(
                    """
                    UPDATE clientCiphertext SET replacedAt = \(at), replacedById = \(ciphertextId)
                    WHERE id = \(replaced) AND replacedAt IS NULL
                        AND NOT EXISTS (SELECT 1 FROM backupPair WHERE clientCiphertextId = \(replaced) AND isLive)
                    """, logger: self.logger)
            }
            let stored = StoredCiphertext(
                pairs: pairs.map { PairOnCurve(id: $0.id, curve: $0.curve) }, ciphertextId: ciphertextId,
                replacedCiphertextIds: current.sorted())
            try await self.appendAudit(connection, audit(stored), at: at)
            return try await self.pairIdentities(connection, pairIds: pairIds)
        }
    }

    package func confirmClientBackup(
        clientId: String, method: BackupMethod, at date: Date, audit: @escaping @Sendable ([PairOnCurve]) -> AuditEntry
    ) async throws -> [PairIdentity] {
        let at = VaultClock.format(date)
        return try await write { connection in
            let pairs = try await self.livePairsOfMethod(connection, clientId: clientId, method: method).pairs.filter {
                $0.ciphertextId != nil
            }
            guard !pairs.isEmpty else {
                throw VaultError.noClientBackup(clientId: clientId, method: method.description)
            }
            let ciphertextIds = Set(pairs.compactMap(\.ciphertextId)).sorted()
            let pairIds = pairs.map(\.id)
            try await connection.query(
                """
                UPDATE clientCiphertext SET confirmedAt = \(at) WHERE id = ANY(\(ciphertextIds)) AND confirmedAt IS NULL
                """, logger: self.logger)
            try await connection.query(
                """
                UPDATE backupPair SET status = \(BackupStatus.storedClientBackupShare.rawValue), updatedAt = \(at)
                WHERE id = ANY(\(pairIds))
                """, logger: self.logger)
            try await self.appendAudit(
                connection, audit(pairs.map { PairOnCurve(id: $0.id, curve: $0.curve) }), at: at)
            return try await self.pairIdentities(connection, pairIds: pairIds)
        }
    }

    /// The client's live pairs of a method, on every curve or only the method's own; refuses an unknown client
    /// or a method with no live pair.
    private func livePairsOfMethod(
        _ connection: PostgresConnection, clientId: String, method: BackupMethod
    ) async throws -> (clientRow: Int64, pairs: [(id: Int64, curve: CurveID, ciphertextId: Int64?)]) {
        let clientRow = try await existingClientRow(connection, clientId: clientId)
        let rows = try await connection.all(
            """
            SELECT p.id, w.curve, p.clientCiphertextId, w.id FROM backupPair p JOIN wallet w ON w.id = p.walletId
            WHERE w.clientRowId = \(clientRow) AND p.method = \(method.name) AND p.isLive
                AND (\(method.curve?.rawValue)::text IS NULL OR w.curve = \(method.curve?.rawValue))
            ORDER BY w.curve
            """, logger)
        let pairs = try rows.map { row in
            (
                id: try row.int64(0),
                curve: try StoredField(row: row, table: "wallet", id: try row.int64(3)).decode(
                    "curve", at: 1, CurveID.init(rawValue:)),
                ciphertextId: try row.int64OrNil(2)
            )
        }
        guard !pairs.isEmpty else { throw VaultError.noBackupPair(clientId: clientId, method: method.description) }
        return (clientRow, pairs)
    }

    /// The identities of pairs the transaction has just written, as the intake answers with them.
    func pairIdentities(_ connection: PostgresConnection, pairIds: [Int64]) async throws -> [PairIdentity] {
        var identities: [PairIdentity] = []
        for id in pairIds {
            guard
                let row = try await connection.first(
                    "SELECT \(unescaped: StoredRows.identityColumns) \(unescaped: StoredRows.pairJoins) WHERE p.id = \(id)",
                    logger)
            else { throw VaultError.rowUnreadable(table: "backupPair", rowId: id, column: "id") }
            identities.append(try StoredRows.identity(row).identity)
        }
        return identities
    }

    /// The client's row, if the vault knows the client.
    func clientRow(_ connection: PostgresConnection, clientId: String) async throws -> Int64? {
        try await connection.first("SELECT id FROM client WHERE clientId = \(clientId)", logger).map { try $0.int64(0) }
    }

    /// The client's row; an unknown client is refused.
    func existingClientRow(_ connection: PostgresConnection, clientId: String) async throws -> Int64 {
        guard let row = try await clientRow(connection, clientId: clientId) else {
            throw VaultError.unknownClient(clientId)
        }
        return row
    }

    /// The client's row, made if absent.
    private func clientRowId(_ connection: PostgresConnection, clientId: String, at: String) async throws -> Int64 {
        if let row = try await clientRow(connection, clientId: clientId) { return row }
        return try await connection.insert(
            "INSERT INTO client (clientId, createdAt) VALUES (\(clientId), \(at)) RETURNING id", logger)
    }

    /// The client's wallet on `curve`, made if absent; a different public key is a contradiction.
    private func walletRowId(
        _ connection: PostgresConnection, clientRow: Int64, clientId: String, curve: CurveID, publicKey: [UInt8],
        at: String
    ) async throws -> Int64 {
        if let row = try await connection.first(
            "SELECT id, publicKey FROM wallet WHERE clientRowId = \(clientRow) AND curve = \(curve.rawValue)", logger)
        {
            let stored = try row.bytes(1)
            guard stored == publicKey else {
                throw VaultError.publicKeyMismatch(
                    clientId: clientId, curve: curve, stored: Hex.encode(stored), received: Hex.encode(publicKey))
            }
            return try row.int64(0)
        }
        return try await connection.insert(
            """
            INSERT INTO wallet (clientRowId, curve, publicKey, createdAt, address)
            VALUES (\(clientRow), \(curve.rawValue), \(Data(publicKey)), \(at),
                \(try? WalletAddress.address(curve: curve, publicKey: publicKey))) RETURNING id
            """, logger)
    }

    /// Inserts a new live pair with its custodian share, retiring the previous live pair for the method.
    private func insertPair(
        _ connection: PostgresConnection, walletId: Int64, method: BackupMethod, record: CustodianShareRecord,
        status: BackupStatus, clientCiphertextId: Int64?, at: String
    ) async throws -> (pairId: Int64, replaced: Int64?) {
        let previous = try await connection.first(
            "SELECT id FROM backupPair WHERE walletId = \(walletId) AND method = \(method.name) AND isLive", logger
        ).map { try $0.int64(0) }
        if let previous {
            try await connection.query(
                "UPDATE backupPair SET isLive = FALSE, replacedAt = \(at) WHERE id = \(previous)", logger: logger)
        }
        let pairId = try await connection.insert(
            """
            INSERT INTO backupPair (walletId, method, status, isLive, createdAt, updatedAt, clientCiphertextId)
            VALUES (\(walletId), \(method.name), \(status.rawValue), TRUE, \(at), \(at), \(clientCiphertextId))
            RETURNING id
            """, logger)
        if let previous {
            try await connection.query(
                "UPDATE backupPair SET replacedById = \(pairId) WHERE id = \(previous)", logger: logger)
        }
        let commitments = record.commitments.map { Data($0.flatMap { $0 }) }
        try await connection.query(
            """
            INSERT INTO custodianShare (pairId, layout, threshold, identifier, publicShare, partnerIdentifier,
                partnerPublicShare, backupSharePairId, commitments, sealedShare, shareDigest, receivedAt, keyVersion)
            VALUES (\(pairId), \(record.layout.rawValue), \(record.threshold), \(Data(record.identifier)),
                \(Data(record.publicShare)), \(record.partnerIdentifier.map { Data($0) }),
                \(record.partnerPublicShare.map { Data($0) }), \(record.backupSharePairId), \(commitments),
                \(Data(record.sealedShare)), \(Data(record.shareDigest)), \(at), \(record.keyVersion))
            """, logger: logger)
        return (pairId, previous)
    }
}

extension PostgresConnection {
    /// Runs an `INSERT ... RETURNING id` and gives the id.
    func insert(_ query: PostgresQuery, _ logger: Logger) async throws -> Int64 {
        guard let row = try await first(query, logger) else {
            throw VaultError.rowUnreadable(table: "insert", rowId: 0, column: "id")
        }
        return try row.int64(0)
    }
}
