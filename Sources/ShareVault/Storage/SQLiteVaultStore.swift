import Foundation
import GRDB
import ShareMath

/// The vault on SQLite through GRDB: WAL, foreign keys, a busy timeout so the CLI and the server can
/// share one file, and immediate write transactions.
package final class SQLiteVaultStore: VaultStore {
    let writer: any DatabaseWriter
    /// Seals the audit events this store appends; nil when the vault was opened without its key.
    let auditKey: AuditKey?

    /// Opens (or, with `create`, makes: mode 0600, never over an existing file) the vault at `path`.
    ///
    /// An existing file is first looked at read-only: one that is not a vault (another program's database, an
    /// empty file) or a vault of a newer format is refused with nothing written, and so is an `auditKey` whose
    /// vault key is not this vault's. With `readOnly` the vault is opened read-only and never migrated, so a vault
    /// an older release wrote must first be opened by a command that writes (with the vault key, to seal its
    /// audit chain). `unlock` gives the audit key, or nil to open without it; it is asked only once the file is
    /// known to be a vault. With the key, the events this store appends are sealed.
    package init(
        path: String, create: Bool, readOnly: Bool = false, unlock: () throws -> AuditKey? = { nil }
    ) throws {
        let manager = FileManager.default
        var auditKey: AuditKey?
        if create {
            auditKey = try unlock()
            self.auditKey = auditKey
            guard !manager.fileExists(atPath: path) else { throw VaultError.vaultExists(path: path) }
            try [UInt8]().withUnsafeBytes { empty in
                try PrivateFile.create(at: path, contents: empty, alreadyExists: .vaultExists(path: path))
            }
        } else {
            guard manager.fileExists(atPath: path) else { throw VaultError.vaultMissing(path: path) }
            let existing = try Self.inspectExisting(path: path)
            if readOnly, !existing.isCurrent { throw VaultError.vaultNeedsUpgrade(path: path) }
            auditKey = try unlock()
            if let auditKey, existing.keyCheck != auditKey.vaultKeyCheck {
                throw VaultError.keyDoesNotMatchVault(path: auditKey.keyFile)
            }
            self.auditKey = auditKey
            if readOnly {
                var configuration = Configuration()
                configuration.readonly = true
                configuration.busyMode = .timeout(10)
                configuration.label = "sharevault (read-only)"
                do {
                    writer = try DatabaseQueue(path: path, configuration: configuration)
                } catch let error as DatabaseError {
                    throw Self.vaultError(error, path: path)
                }
                return
            }
            if existing.needsKeyToUpgrade, auditKey == nil { throw VaultError.vaultNeedsKeyToUpgrade(path: path) }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.label = "sharevault"
        // Durable commits: a returned write (and a 2xx from the intake) survives a power cut.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try VaultSchema.migrator(auditKey: auditKey, at: VaultClock.format(Date())).migrate(pool)
            writer = pool
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: path)
        } catch VaultError.vaultNeedsKeyToUpgrade {
            // Another process added events between the look and the migration.
            throw VaultError.vaultNeedsKeyToUpgrade(path: path)
        }
    }

    /// What a read-only look at an existing file found.
    private struct ExistingVault {
        /// The schema has every migration (false: an older release's, to be migrated by a writing open).
        var isCurrent: Bool
        /// The audit chain is yet to be keyed and has events to seal.
        var needsKeyToUpgrade: Bool
        /// The vault key's check value.
        var keyCheck: String?
    }

    /// Looks at an existing file read-only: throws when it is not a vault or is a vault of a newer format.
    private static func inspectExisting(path: String) throws -> ExistingVault {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try queue.read { db in
                guard try db.tableExists("vaultMeta"),
                    try String.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE name = 'formatVersion'") != nil
                else { throw VaultError.notAVault(path: path) }
                let migrator = VaultSchema.migrator
                guard try !migrator.hasBeenSuperseded(db) else { throw VaultError.newerFormat(path: path) }
                let keyed = try migrator.appliedIdentifiers(db).contains(VaultSchema.keyedAuditChain)
                return ExistingVault(
                    isCurrent: try migrator.hasCompletedMigrations(db),
                    needsKeyToUpgrade: try !keyed && db.tableExists("auditEvent")
                        && (Int.fetchOne(db, sql: "SELECT COUNT(*) FROM auditEvent") ?? 0) > 0,
                    keyCheck: try String.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE name = 'keyCheck'"))
            }
        } catch let error as DatabaseError {
            // SQLITE_NOTADB and friends: not a database at all.
            if error.resultCode == .SQLITE_NOTADB { throw VaultError.notAVault(path: path) }
            throw vaultError(error, path: path)
        }
    }

    static func vaultError(_ error: DatabaseError, path: String) -> VaultError {
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .vaultLocked(path: path)
        default: return .vaultUnreadable(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    /// Runs `body` in one immediate transaction.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in try Self.inImmediateTransaction(db, body) }
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    /// `body` in an immediate transaction (the write lock taken at its start), committed when it returns.
    private static func inImmediateTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inTransaction(.immediate) {
            result = try body(db)
            return .commit
        }
        // inTransaction runs the body or throws: a commit without a result cannot happen.
        guard let result else { preconditionFailure("a transaction committed without running its body") }
        return result
    }

    /// Copies the write-ahead log into the database and empties it, as closing the last connection does.
    func checkpoint() throws {
        do {
            _ = try writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    /// Runs `body` in one immediate transaction, awaited: GRDB runs it on its writer's queue, so no task's thread
    /// waits on the disk or the lock.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.writeWithoutTransaction { db in try Self.inImmediateTransaction(db, body) }
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    /// `read`, awaited: GRDB runs `body` on one of its reader queues.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch let error as DatabaseError {
            throw Self.vaultError(error, path: writer.path)
        }
    }

    // MARK: Metadata

    package func metadata(_ name: String) throws -> String? {
        try read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT value FROM vaultMeta WHERE name = ?"), arguments: [name])
        }
    }

    package func setUp(at date: Date) throws {
        let at = VaultClock.format(date)
        guard let auditKey else { preconditionFailure("a vault is set up with its key") }
        return try write { db in
            try db.cachedStatement(
                sql:
                    "INSERT INTO vaultMeta (name, value) VALUES ('keyCheck', ?), ('createdAt', ?), ('formatVersion', '1')"
            ).execute(
                arguments: [auditKey.vaultKeyCheck, at])
            try AuditLog.append(
                db, key: auditKey, kind: .initialized, clientId: nil, detail: ["formatVersion": "1"], at: at)
        }
    }

    package func counts() throws -> (clients: Int, wallets: Int, livePairs: Int) {
        try read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM client") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wallet") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM backupPair WHERE isLive") ?? 0
            )
        }
    }

    // MARK: Writing

    package func createWallets(
        _ clientIds: [String], curves: [CurveID], batchSize: Int, at date: Date,
        make: ([String]) async throws -> [NewClient]
    ) async throws {
        let at = VaultClock.format(date)
        let batches = stride(from: 0, to: clientIds.count, by: batchSize).map {
            Array(clientIds[$0..<min($0 + batchSize, clientIds.count)])
        }
        func jobs(_ batch: [String]) -> [(clientId: String, curve: CurveID)] {
            batch.flatMap { id in curves.map { (clientId: id, curve: $0) } }
        }
        // Every clash is refused up front, so a create that cannot succeed writes nothing.
        let allJobs = batches.map(jobs)
        try await read { db in for jobs in allJobs { try Self.refuseExistingWallets(db, jobs) } }
        // Then each batch is made with no lock held and committed in a transaction of its own, so the intake and
        // other commands go on writing between batches.
        for (batch, jobs) in zip(batches, allJobs) {
            let clients = try await make(batch)
            try await write { db in
                try Self.refuseExistingWallets(db, jobs)
                for client in clients { try self.insertClient(db, client, at: at) }
            }
        }
    }

    private static func refuseExistingWallets(_ db: Database, _ batch: [(clientId: String, curve: CurveID)]) throws {
        let ids = Array(Set(batch.map(\.clientId)))
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let existing = try Row.fetchAll(
            db,
            sql:
                "SELECT c.clientId, w.curve FROM wallet w JOIN client c ON c.id = w.clientRowId WHERE c.clientId IN (\(placeholders))",
            arguments: StatementArguments(ids))
        let taken = Set(existing.map { "\($0["clientId"] as String) \($0["curve"] as String)" })
        if let clash = batch.first(where: { taken.contains("\($0.clientId) \($0.curve.rawValue)") }) {
            throw VaultError.walletExists(clientId: clash.clientId, curve: clash.curve)
        }
    }

    private func insertClient(_ db: Database, _ client: NewClient, at: String) throws {
        let clientRow = try clientRowId(db, clientId: client.clientId, at: at)
        var ciphertextIds: [BackupMethod: Int64] = [:]
        for ciphertext in client.ciphertexts {
            try db.cachedStatement(
                sql:
                    "INSERT INTO clientCiphertext (clientRowId, method, cipherText, receivedAt, confirmedAt) VALUES (?, ?, ?, ?, ?)"
            ).execute(arguments: [
                clientRow, ciphertext.method.name, ciphertext.cipherText, at, ciphertext.confirmed ? at : nil,
            ])
            ciphertextIds[ciphertext.method] = db.lastInsertedRowID
        }
        for wallet in client.wallets {
            let walletId = try walletRowId(
                db, clientRow: clientRow, clientId: client.clientId, curve: wallet.curve, publicKey: wallet.publicKey,
                at: at)
            let signing = wallet.signing
            try db.cachedStatement(
                sql: """
                    INSERT INTO signingPair (walletId, generation, status, deviceIdentifier, devicePublicShare,
                        custodianIdentifier, custodianPublicShare, createdAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(
                arguments: [
                    walletId, signing.generation, signing.status.rawValue, Data(signing.deviceIdentifier),
                    Data(signing.devicePublicShare), Data(signing.custodianIdentifier),
                    Data(signing.custodianPublicShare), at,
                ])
            for backup in wallet.backups {
                let (pairId, replaced) = try insertPair(
                    db, walletId: walletId, method: backup.method, record: backup.custodian, status: backup.status,
                    at: at)
                if let ciphertextId = ciphertextIds[backup.method] {
                    try db.cachedStatement(sql: "UPDATE backupPair SET clientCiphertextId = ? WHERE id = ?").execute(
                        arguments: [ciphertextId, pairId])
                }
                var detail = [
                    "curve": wallet.curve.rawValue, "method": backup.method.name, "pairId": String(pairId),
                    "publicKey": Hex.encode(wallet.publicKey), "status": backup.status.rawValue,
                ]
                if let replaced { detail["replacedPairId"] = String(replaced) }
                try AuditLog.append(
                    db, key: auditKey, kind: .create, clientId: client.clientId, detail: detail, at: at)
            }
        }
    }

    package func storeCustodianShare(
        clientId: String, curve: CurveID, publicKey: [UInt8], method: BackupMethod, record: CustodianShareRecord,
        legacyDigest: [UInt8], at date: Date
    ) throws -> CustodianStoreOutcome {
        let at = VaultClock.format(date)
        return try write { db in
            // A share the vault already holds for this wallet and method, live or in history, compared by content:
            // a repeated or re-serialised delivery, or an older one replayed, stores nothing and changes nothing.
            if let existing = try Int64.fetchOne(
                db,
                sql: """
                    SELECT p.id FROM backupPair p
                    JOIN wallet w ON w.id = p.walletId JOIN client c ON c.id = w.clientRowId
                    JOIN custodianShare s ON s.pairId = p.id
                    WHERE c.clientId = ? AND w.curve = ? AND p.method = ? AND s.shareDigest IN (?, ?)
                    ORDER BY p.isLive DESC, p.id DESC LIMIT 1
                    """,
                arguments: [clientId, curve.rawValue, method.name, Data(record.shareDigest), Data(legacyDigest)])
            {
                return .duplicate(pairId: existing)
            }
            let clientRow = try clientRowId(db, clientId: clientId, at: at)
            let walletId = try walletRowId(
                db, clientRow: clientRow, clientId: clientId, curve: curve, publicKey: publicKey, at: at)
            let (pairId, replaced) = try insertPair(
                db, walletId: walletId, method: method, record: record, status: .storedCustodianBackupShare, at: at)
            var detail = [
                "curve": curve.rawValue, "method": method.name, "pairId": String(pairId),
                "layout": record.layout.rawValue,
                "publicKey": Hex.encode(publicKey),
            ]
            if let replaced { detail["replacedPairId"] = String(replaced) }
            try AuditLog.append(
                db, key: auditKey, kind: replaced == nil ? .ingestCustodian : .replace, clientId: clientId,
                detail: detail, at: at)
            return .stored(pairId: pairId, replaced: replaced)
        }
    }

    package func storeClientBackup(clientId: String, method: BackupMethod, cipherText: String, at date: Date) throws
        -> [PairSummary]
    {
        let at = VaultClock.format(date)
        return try write { db in
            let (clientRow, pairs) = try livePairsOfMethod(db, clientId: clientId, method: method)
            let current = Set(pairs.compactMap(\.ciphertextId))
            if current.count == 1, let held = current.first, pairs.allSatisfy({ $0.ciphertextId != nil }),
                try String.fetchOne(
                    db.cachedStatement(sql: "SELECT cipherText FROM clientCiphertext WHERE id = ?"),
                    arguments: [held])
                    == cipherText
            {
                // The same upload again: nothing changes.
                return try pairSummaries(db, pairIds: pairs.map(\.id))
            }
            try db.cachedStatement(
                sql: "INSERT INTO clientCiphertext (clientRowId, method, cipherText, receivedAt) VALUES (?, ?, ?, ?)"
            ).execute(arguments: [clientRow, method.name, cipherText, at])
            let ciphertextId = db.lastInsertedRowID
            let attach = try db.cachedStatement(
                sql: "UPDATE backupPair SET clientCiphertextId = ?, status = ?, updatedAt = ? WHERE id = ?")
            for pair in pairs {
                try attach.execute(arguments: [
                    ciphertextId, BackupStatus.storedClientBackupShareKey.rawValue, at, pair.id,
                ])
            }
            // A ciphertext is replaced once no live pair holds it (an upload for one curve may leave the other's).
            let retire = try db.cachedStatement(
                sql: """
                    UPDATE clientCiphertext SET replacedAt = ?, replacedById = ?
                    WHERE id = ? AND replacedAt IS NULL
                        AND NOT EXISTS (SELECT 1 FROM backupPair WHERE clientCiphertextId = ? AND isLive)
                    """)
            for replaced in current.sorted() { try retire.execute(arguments: [at, ciphertextId, replaced, replaced]) }
            var detail = [
                "method": method.name, "curves": pairs.map(\.curve.rawValue).joined(separator: ","),
                "pairIds": pairs.map { String($0.id) }.joined(separator: ","), "ciphertextId": String(ciphertextId),
                "length": String(cipherText.utf8.count),
            ]
            if !current.isEmpty {
                detail["replacedCiphertextIds"] = current.sorted().map(String.init).joined(separator: ",")
            }
            try AuditLog.append(db, key: auditKey, kind: .ingestClient, clientId: clientId, detail: detail, at: at)
            return try pairSummaries(db, pairIds: pairs.map(\.id))
        }
    }

    package func confirmClientBackup(clientId: String, method: BackupMethod, at date: Date) throws -> [PairSummary] {
        let at = VaultClock.format(date)
        return try write { db in
            let pairs = try livePairsOfMethod(db, clientId: clientId, method: method).pairs.filter {
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
                db, key: auditKey, kind: .confirm, clientId: clientId,
                detail: [
                    "method": method.name, "curves": pairs.map(\.curve.rawValue).joined(separator: ","),
                    "pairIds": pairs.map { String($0.id) }.joined(separator: ","),
                ], at: at)
            return try pairSummaries(db, pairIds: pairs.map(\.id))
        }
    }

    /// The client's live pairs of a method, on every curve or only the method's own; refuses an unknown client
    /// or a method with no live pair.
    private func livePairsOfMethod(
        _ db: Database, clientId: String, method: BackupMethod
    ) throws -> (clientRow: Int64, pairs: [(id: Int64, curve: CurveID, ciphertextId: Int64?)]) {
        guard
            let clientRow = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM client WHERE clientId = ?"), arguments: [clientId])
        else { throw VaultError.unknownClient(clientId) }
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
                curve: try StoredField(row: row, table: "wallet", id: row[3]).decode(
                    "curve", at: 1, CurveID.init(rawValue:)),
                ciphertextId: row[2] as Int64?
            )
        }
        guard !pairs.isEmpty else { throw VaultError.noBackupPair(clientId: clientId, method: method.description) }
        return (clientRow, pairs)
    }

    private func clientRowId(_ db: Database, clientId: String, at: String) throws -> Int64 {
        if let id = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM client WHERE clientId = ?"), arguments: [clientId])
        {
            return id
        }
        try db.cachedStatement(sql: "INSERT INTO client (clientId, createdAt) VALUES (?, ?)").execute(
            arguments: [clientId, at])
        return db.lastInsertedRowID
    }

    /// The client's wallet on `curve`, made if absent; a different public key is a contradiction.
    private func walletRowId(
        _ db: Database, clientRow: Int64, clientId: String, curve: CurveID, publicKey: [UInt8], at: String
    ) throws -> Int64 {
        if let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT id, publicKey FROM wallet WHERE clientRowId = ? AND curve = ?"),
            arguments: [clientRow, curve.rawValue])
        {
            guard (row["publicKey"] as Data) == Data(publicKey) else {
                throw VaultError.publicKeyMismatch(
                    clientId: clientId, curve: curve, stored: Hex.encode(row["publicKey"] as Data),
                    received: Hex.encode(publicKey))
            }
            return row["id"]
        }
        try db.cachedStatement(sql: "INSERT INTO wallet (clientRowId, curve, publicKey, createdAt) VALUES (?, ?, ?, ?)")
            .execute(
                arguments: [clientRow, curve.rawValue, Data(publicKey), at])
        return db.lastInsertedRowID
    }

    /// Inserts a new live pair with its custodian share, retiring the previous live pair for the method.
    private func insertPair(
        _ db: Database, walletId: Int64, method: BackupMethod, record: CustodianShareRecord, status: BackupStatus,
        at: String
    ) throws -> (pairId: Int64, replaced: Int64?) {
        let previous = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT id FROM backupPair WHERE walletId = ? AND method = ? AND isLive"),
            arguments: [walletId, method.name])
        if let previous {
            try db.cachedStatement(sql: "UPDATE backupPair SET isLive = 0, replacedAt = ? WHERE id = ?").execute(
                arguments: [at, previous])
        }
        try db.cachedStatement(
            sql:
                "INSERT INTO backupPair (walletId, method, status, isLive, createdAt, updatedAt) VALUES (?, ?, ?, 1, ?, ?)"
        ).execute(
            arguments: [walletId, method.name, status.rawValue, at, at])
        let pairId = db.lastInsertedRowID
        if let previous {
            try db.cachedStatement(sql: "UPDATE backupPair SET replacedById = ? WHERE id = ?").execute(
                arguments: [pairId, previous])
        }
        try db.cachedStatement(
            sql: """
                INSERT INTO custodianShare (pairId, layout, threshold, identifier, publicShare, partnerIdentifier,
                    partnerPublicShare, backupSharePairId, commitments, sealedShare, shareDigest, receivedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                pairId, record.layout.rawValue, record.threshold, Data(record.identifier), Data(record.publicShare),
                record.partnerIdentifier.map { Data($0) }, record.partnerPublicShare.map { Data($0) },
                record.backupSharePairId, record.commitments.map { Data($0.joined()) },
                Data(record.sealedShare), Data(record.shareDigest), at,
            ])
        return (pairId, previous)
    }

    /// The live pair for a client and method; the method's curve may be left out when only one matches.
    private func livePairId(_ db: Database, clientId: String, method: BackupMethod) throws -> Int64 {
        guard
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM client WHERE clientId = ?"), arguments: [clientId]) != nil
        else {
            throw VaultError.unknownClient(clientId)
        }
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

    // MARK: Pairs for checks

    /// A stored pair's columns, in select order after the summary's (rows are read by position).
    enum StoredPairColumn: Int, CaseIterable {
        case walletId, layout, threshold, identifier, custodianPublicShare, partnerIdentifier, partnerPublicShare,
            backupSharePairId, commitments, sealedShare, shareDigest, cipherText, clientCiphertextId

        var expression: String {
            switch self {
            case .walletId: return "w.id"
            case .custodianPublicShare: return "s.publicShare"
            case .cipherText: return "cc.cipherText"
            case .clientCiphertextId: return "p.clientCiphertextId"
            default: return "s.\(self)"
            }
        }
    }

    /// `summarySelect`'s columns and joins, plus the custodian share and the client ciphertext.
    static let storedPairSelect = """
        SELECT \(summaryColumns), \(StoredPairColumn.allCases.map(\.expression).joined(separator: ", "))
        \(pairJoins)
        JOIN custodianShare s ON s.pairId = p.id LEFT JOIN clientCiphertext cc ON cc.id = p.clientCiphertextId
        """

    /// The curves this build reads, as an SQL list.
    static let knownCurves = "(" + CurveID.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    static func storedPair(_ row: Row) throws -> StoredPair {
        func column(_ column: StoredPairColumn) -> Int { SummaryColumn.allCases.count + column.rawValue }
        func bytes(_ index: Int) -> [UInt8] { (row[index] as Data?).map { [UInt8]($0) } ?? [] }
        let summary = try summary(row)
        let pointLength = summary.curve == .secp256k1 ? 33 : 32
        let commitments = (row[column(.commitments)] as Data?).map { data in
            let bytes = [UInt8](data)
            return stride(from: 0, to: bytes.count, by: pointLength).map {
                Array(bytes[$0..<min($0 + pointLength, bytes.count)])
            }
        }
        return StoredPair(
            summary: summary, walletId: row[column(.walletId)], publicKey: bytes(SummaryColumn.publicKey.rawValue),
            custodian: CustodianShareRecord(
                layout: try StoredField(row: row, table: "custodianShare", id: summary.pairId).decode(
                    "layout", at: column(.layout), ShareLayout.init(rawValue:)),
                threshold: row[column(.threshold)],
                identifier: bytes(column(.identifier)), publicShare: bytes(column(.custodianPublicShare)),
                partnerIdentifier: (row[column(.partnerIdentifier)] as Data?).map { [UInt8]($0) },
                partnerPublicShare: (row[column(.partnerPublicShare)] as Data?).map { [UInt8]($0) },
                backupSharePairId: row[column(.backupSharePairId)],
                commitments: commitments, sealedShare: bytes(column(.sealedShare)),
                shareDigest: bytes(column(.shareDigest))),
            cipherText: row[column(.cipherText)], clientCiphertextId: row[column(.clientCiphertextId)])
    }

    package func livePairs(after pairId: Int64, limit: Int, clientId: String?) async throws -> [StoredPair] {
        try await read { db in
            // A wallet of a curve this build does not know is the bookkeeping check's to report, not a pair to read.
            var sql = Self.storedPairSelect + " WHERE p.isLive AND p.id > ? AND w.curve IN \(Self.knownCurves)"
            var arguments: StatementArguments = [pairId]
            if let clientId {
                sql += " AND c.clientId = ?"
                arguments += [clientId]
            }
            sql += " ORDER BY p.id LIMIT ?"
            arguments += [limit]
            // Decoded from the cursor's rows in place: no row is copied first.
            return try Array(Row.fetchCursor(db, sql: sql, arguments: arguments).map(Self.storedPair))
        }
    }

    package func livePair(clientId: String, method: BackupMethod) throws -> StoredPair {
        try read { db in
            let id = try livePairId(db, clientId: clientId, method: method)
            guard let row = try Row.fetchOne(db, sql: Self.storedPairSelect + " WHERE p.id = ?", arguments: [id]) else {
                throw VaultError.noBackupPair(clientId: clientId, method: method.description)
            }
            return try Self.storedPair(row)
        }
    }

    package func livePair(id: Int64) throws -> StoredPair? {
        try read { db in
            try Row.fetchOne(db, sql: Self.storedPairSelect + " WHERE p.id = ? AND p.isLive", arguments: [id]).map(
                Self.storedPair)
        }
    }

    package func randomLivePairIds(count: Int) throws -> [Int64] {
        try read { db in
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

    package func recordDrills(_ drills: [DrillOutcome], at date: Date) async throws {
        let at = VaultClock.format(date)
        guard !drills.isEmpty else { return }
        return try await write { db in
            let insert = try db.cachedStatement(
                sql:
                    "INSERT INTO drill (pairId, startedAt, durationMilliseconds, outcome, detail) VALUES (?, ?, ?, ?, ?)"
            )
            let update = try db.cachedStatement(
                sql: "UPDATE backupPair SET lastDrilledAt = ?, lastDrilledOutcome = ? WHERE id = ?")
            for drill in drills {
                let outcome = drill.outcome.description
                let startedAt = VaultClock.format(drill.startedAt)
                try insert.execute(arguments: [
                    drill.pairId, startedAt, drill.milliseconds, outcome, drill.problem?.rawValue ?? "",
                ])
                try update.execute(arguments: [startedAt, outcome, drill.pairId])
                try AuditLog.append(
                    db, key: self.auditKey, kind: .drill, clientId: drill.clientId,
                    detail: [
                        "curve": drill.curve.rawValue, "method": drill.method.name, "pairId": String(drill.pairId),
                        "outcome": outcome, "milliseconds": String(drill.milliseconds),
                    ], at: at)
            }
        }
    }

    package func addSigningGeneration(for pair: StoredPair, record: SigningPairRecord, at date: Date) throws -> Int {
        let at = VaultClock.format(date)
        return try write { db in
            let current =
                try Int.fetchOne(
                    db, sql: "SELECT MAX(generation) FROM signingPair WHERE walletId = ?", arguments: [pair.walletId])
                ?? 0
            let generation = current + 1
            try db.execute(
                sql:
                    "UPDATE signingPair SET status = 'revoked', revokedAt = ? WHERE walletId = ? AND status = 'active'",
                arguments: [at, pair.walletId])
            try db.execute(
                sql: """
                    INSERT INTO signingPair (walletId, generation, status, deviceIdentifier, devicePublicShare,
                        custodianIdentifier, custodianPublicShare, createdAt)
                    VALUES (?, ?, 'active', ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    pair.walletId, generation, Data(record.deviceIdentifier), Data(record.devicePublicShare),
                    Data(record.custodianIdentifier), Data(record.custodianPublicShare), at,
                ])
            try AuditLog.append(
                db, key: auditKey, kind: .recover, clientId: pair.summary.clientId,
                detail: [
                    "curve": pair.summary.curve.rawValue, "method": pair.summary.method.name,
                    "pairId": String(pair.summary.pairId), "generation": String(generation),
                    "revokedThrough": String(current), "publicKey": Hex.encode(pair.publicKey),
                ], at: at)
            return generation
        }
    }

    package func appendAudit(kind: AuditKind, clientId: String?, detail: [String: String], at date: Date) throws {
        let at = VaultClock.format(date)
        return try write { db in
            try AuditLog.append(db, key: auditKey, kind: kind, clientId: clientId, detail: detail, at: at)
        }
    }

    // MARK: Reading

    /// The columns `summary(_:)` reads, and the joins that give them.
    /// A pair summary's columns, in select order: rows are read by position, named here once.
    enum SummaryColumn: Int, CaseIterable {
        case id, clientId, curve, publicKey, method, status, isLive, createdAt, updatedAt, replacedAt, lastVerifiedAt,
            lastVerifiedOutcome, lastDrilledAt, lastDrilledOutcome, generation

        var expression: String {
            switch self {
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
            curve: try field.decode("curve", at: column(.curve), CurveID.init(rawValue:)),
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

    /// The summaries of pairs the transaction has just read or written.
    private func pairSummaries(_ db: Database, pairIds: [Int64]) throws -> [PairSummary] {
        try pairIds.map { id in
            guard let row = try Row.fetchOne(db, sql: Self.summarySelect + " WHERE p.id = ?", arguments: [id]) else {
                throw VaultError.rowUnreadable(table: "backupPair", rowId: id, column: "id")
            }
            return try Self.summary(row)
        }
    }

    package func forEachLivePair(completed: Bool?, _ body: (PairSummary) throws -> Void) throws {
        try read { db in
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

    package func clientDetail(clientId: String) throws -> ClientDetail? {
        try read { db in
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
                    db, sql: Self.storedPairSelect + " WHERE w.id = ? ORDER BY p.method, p.isLive DESC, p.id DESC",
                    arguments: [walletId]
                ).map { row in
                    let pair = try Self.storedPair(row)
                    return ClientDetail.Backup(
                        summary: pair.summary, layout: pair.custodian.layout,
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

    package func forEachAuditEvent(_ body: (AuditEvent) throws -> Void) throws {
        try read { db in
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT id, at, kind, clientId, detail, previousHash, hash, mac FROM auditEvent ORDER BY id")
            while let row = try cursor.next() { try body(AuditLog.event(from: row)) }
        }
    }

    package func bookkeepingProblems(clientId: String?) throws -> [BookkeepingProblem] {
        try read { db in
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
                    WHERE w.curve NOT IN ('secp256k1', 'ed25519')\(scope)
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
