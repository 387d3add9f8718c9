import Foundation
import GRDB
import ShareMath

/// Live pairs with everything their checks need, and what verification, drills and recovery record.
extension SQLiteVaultStore {
    /// A pair's identity columns, in select order. This path reads every live pair of a verification, so rows
    /// are read by position, and only what the checks use: no report column (times, last outcomes) is read, so
    /// none of them can hold a check, a recovery or the intake up.
    enum IdentityColumn: Int, CaseIterable {
        case id, walletId, clientId, curve, method, status

        var expression: String {
            switch self {
            case .id: return "p.id"
            case .walletId: return "w.id"
            case .clientId: return "c.clientId"
            case .curve: return "w.curve"
            case .method: return "p.method"
            case .status: return "p.status"
            }
        }
    }

    /// A stored pair's columns, in select order after the identity's.
    enum StoredPairColumn: Int, CaseIterable {
        case publicKey, layout, threshold, identifier, custodianPublicShare, partnerIdentifier, partnerPublicShare,
            backupSharePairId, commitments, sealedShare, shareDigest, cipherText, clientCiphertextId

        var expression: String {
            switch self {
            case .publicKey: return "w.publicKey"
            case .custodianPublicShare: return "s.publicShare"
            case .cipherText: return "cc.cipherText"
            case .clientCiphertextId: return "p.clientCiphertextId"
            default: return "s.\(self)"
            }
        }
    }

    static let identityColumns = IdentityColumn.allCases.map(\.expression).joined(separator: ", ")
    /// The identity's and the stored pair's columns, for `storedPair(_:at:)`.
    static let storedPairColumns =
        identityColumns + ", " + StoredPairColumn.allCases.map(\.expression).joined(separator: ", ")
    /// The custodian share and the client ciphertext, joined to a pair.
    static let storedPairJoins =
        "JOIN custodianShare s ON s.pairId = p.id LEFT JOIN clientCiphertext cc ON cc.id = p.clientCiphertextId"
    static let storedPairSelect = "SELECT \(storedPairColumns) \(pairJoins) \(storedPairJoins)"

    /// The identity columns read from `offset` on.
    static func identity(_ row: Row, at offset: Int = 0) throws -> (identity: PairIdentity, walletId: Int64) {
        func column(_ column: IdentityColumn) -> Int { offset + column.rawValue }
        let id: Int64 = row[column(.id)]
        let walletId: Int64 = row[column(.walletId)]
        return (
            PairIdentity(
                pairId: id, clientId: row[column(.clientId)],
                curve: try StoredField(row: row, table: "wallet", id: walletId).decode(
                    "curve", at: column(.curve), CurveID.init(rawValue:)),
                method: BackupMethod(name: row[column(.method)], curve: nil),
                status: try StoredField(row: row, table: "backupPair", id: id).decode(
                    "status", at: column(.status), BackupStatus.init(rawValue:))),
            walletId
        )
    }

    /// The curves this build reads, as an SQL list.
    static let knownCurves = "(" + CurveID.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// A stored pair from `storedPairColumns`, read from `offset` on.
    static func storedPair(_ row: Row, at offset: Int) throws -> StoredPair {
        func column(_ column: StoredPairColumn) -> Int { offset + IdentityColumn.allCases.count + column.rawValue }
        func bytes(_ index: Int) -> [UInt8] { (row[index] as Data?).map { [UInt8]($0) } ?? [] }
        let (identity, walletId) = try identity(row, at: offset)
        let pointLength = identity.curve == .secp256k1 ? 33 : 32
        let commitments = (row[column(.commitments)] as Data?).map { data in
            let bytes = [UInt8](data)
            return stride(from: 0, to: bytes.count, by: pointLength).map {
                Array(bytes[$0..<min($0 + pointLength, bytes.count)])
            }
        }
        return StoredPair(
            identity: identity, walletId: walletId, publicKey: bytes(column(.publicKey)),
            custodian: CustodianShareRecord(
                layout: try StoredField(row: row, table: "custodianShare", id: identity.pairId).decode(
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
            return try Array(Row.fetchCursor(db, sql: sql, arguments: arguments).map { try Self.storedPair($0, at: 0) })
        }
    }

    package func livePair(clientId: String, method: BackupMethod) async throws -> StoredPair {
        try await read { db in
            let id = try self.livePairId(db, clientId: clientId, method: method)
            guard let row = try Row.fetchOne(db, sql: Self.storedPairSelect + " WHERE p.id = ?", arguments: [id]) else {
                throw VaultError.noBackupPair(clientId: clientId, method: method.description)
            }
            return try Self.storedPair(row, at: 0)
        }
    }

    package func livePair(id: Int64) async throws -> StoredPair? {
        try await read { db in
            try Row.fetchOne(db, sql: Self.storedPairSelect + " WHERE p.id = ? AND p.isLive", arguments: [id]).map {
                try Self.storedPair($0, at: 0)
            }
        }
    }

    package func walletsOfUnknownCurve(clientId: String?) async throws -> [Int64] {
        try await read { db in
            var sql = """
                SELECT w.id FROM wallet w JOIN client c ON c.id = w.clientRowId
                WHERE w.curve NOT IN \(Self.knownCurves)
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
                try AuditLog.append(db, key: self.auditKey, audit(drill), at: at)
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
            try AuditLog.append(db, key: self.auditKey, audit(generation), at: at)
            return generation
        }
    }

    package func appendAudit(_ event: AuditEntry, at date: Date) async throws {
        let at = VaultClock.format(date)
        try await write { db in try AuditLog.append(db, key: self.auditKey, event, at: at) }
    }
}
