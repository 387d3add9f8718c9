import Foundation
import GRDB
import ShareMath

/// Live pairs with everything their checks need, and what verification, drills and recovery record.
extension SQLiteVaultStore {
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
}
