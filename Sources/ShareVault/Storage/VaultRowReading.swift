import Foundation
import ShareMath

/// How the stores read their rows: the columns each read selects, in order, and the decoders over `StoredRow`,
/// written once for SQLite and PostgreSQL . Rows are read by position:
/// the verification path reads every live pair, and only what the checks use.
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
        backupSharePairId, commitments, sealedShare, shareDigest, cipherText, clientCiphertextId, keyVersion

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

/// A pair summary's columns, in select order: rows are read by position, named here once.
enum SummaryColumn: Int, CaseIterable {
    case id, walletId, clientId, curve, publicKey, method, status, isLive, createdAt, updatedAt, replacedAt,
        lastVerifiedAt, lastVerifiedOutcome, lastDrilledAt, lastDrilledOutcome, generation, address

    var expression: String {
        switch self {
        case .walletId: return "w.id"
        case .clientId: return "c.clientId"
        case .curve, .publicKey, .address: return "w.\(self)"
        case .generation:
            return
                "(SELECT MAX(generation) FROM signingPair sp WHERE sp.walletId = w.id AND sp.status = 'active') AS generation"
        default: return "p.\(self)"
        }
    }
}

/// The SQL each engine speaks where the two differ.
package enum SQLDialect {
    case sqlite, postgres

    /// The first statement parameter.
    package var firstParameter: String { self == .sqlite ? "?" : "$1" }

    /// A text field of a JSON object stored as text.
    package func jsonText(_ column: String, _ field: String) -> String {
        self == .sqlite ? "json_extract(\(column), '$.\(field)')" : "(\(column)::jsonb ->> '\(field)')"
    }
}

/// The select lists and decoders the stores share.
package enum StoredRows {

    package static let identityColumns = IdentityColumn.allCases.map(\.expression).joined(separator: ", ")
    /// The identity's and the stored pair's columns, for `storedPair(_:at:)`.
    package static let storedPairColumns =
        identityColumns + ", " + StoredPairColumn.allCases.map(\.expression).joined(separator: ", ")
    /// The custodian share and the client ciphertext, joined to a pair.
    package static let storedPairJoins =
        "JOIN custodianShare s ON s.pairId = p.id LEFT JOIN clientCiphertext cc ON cc.id = p.clientCiphertextId"
    package static let storedPairSelect = "SELECT \(storedPairColumns) \(pairJoins) \(storedPairJoins)"

    /// The identity columns read from `offset` on.
    package static func identity(_ row: some StoredRow, at offset: Int = 0) throws -> (
        identity: PairIdentity, walletId: Int64
    ) {
        func column(_ column: IdentityColumn) -> Int { offset + column.rawValue }
        let id = try row.int64(column(.id))
        let walletId = try row.int64(column(.walletId))
        return (
            PairIdentity(
                pairId: id, clientId: try row.text(column(.clientId)),
                curve: try StoredField(row: row, table: "wallet", id: walletId).decode(
                    "curve", at: column(.curve), CurveID.init(rawValue:)),
                method: BackupMethod(name: try row.text(column(.method)), curve: nil),
                status: try StoredField(row: row, table: "backupPair", id: id).decode(
                    "status", at: column(.status), BackupStatus.init(rawValue:))),
            walletId
        )
    }

    /// A rekey's view of a custodian share: `pairId, clientId, curve, method, keyVersion, sealedShare, publicKey`,
    /// in that order (`sealedCustodianShareSelect`).
    package static func sealedCustodianShare(_ row: some StoredRow) throws -> SealedCustodianShare {
        let pairId = try row.int64(0)
        return SealedCustodianShare(
            pairId: pairId, clientId: try row.text(1),
            curve: try StoredField(row: row, table: "custodianShare", id: pairId).decode(
                "curve", at: 2, CurveID.init(rawValue:)),
            method: BackupMethod(name: try row.text(3), curve: nil), keyVersion: try row.intOrNil(4),
            sealedShare: try row.bytes(5), publicKey: try row.bytes(6))
    }

    /// The shares sealed below a version (the first parameter; a share sealed before versions is below every
    /// version a rekey moves to) with pair ids above the second, in id order, the third their limit.
    package static let sealedCustodianShareSelect = """
        SELECT s.pairId, c.clientId, w.curve, p.method, s.keyVersion, s.sealedShare, w.publicKey
        FROM custodianShare s JOIN backupPair p ON p.id = s.pairId JOIN wallet w ON w.id = p.walletId
        JOIN client c ON c.id = w.clientRowId
        """

    /// The curves this build reads, as an SQL list.
    package static let knownCurves = "(" + CurveID.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"

    /// A stored pair from `storedPairColumns`, read from `offset` on.
    package static func storedPair(_ row: some StoredRow, at offset: Int) throws -> StoredPair {
        func column(_ column: StoredPairColumn) -> Int { offset + IdentityColumn.allCases.count + column.rawValue }
        let (identity, walletId) = try identity(row, at: offset)
        let pointLength = identity.curve == .secp256k1 ? 33 : 32
        let commitments = try row.bytesOrNil(column(.commitments)).map { bytes in
            stride(from: 0, to: bytes.count, by: pointLength).map {
                Array(bytes[$0..<min($0 + pointLength, bytes.count)])
            }
        }
        return StoredPair(
            identity: identity, walletId: walletId, publicKey: try row.bytes(column(.publicKey)),
            custodian: CustodianShareRecord(
                layout: try StoredField(row: row, table: "custodianShare", id: identity.pairId).decode(
                    "layout", at: column(.layout), ShareLayout.init(rawValue:)),
                threshold: try row.int(column(.threshold)),
                identifier: try row.bytes(column(.identifier)),
                publicShare: try row.bytes(column(.custodianPublicShare)),
                partnerIdentifier: try row.bytesOrNil(column(.partnerIdentifier)),
                partnerPublicShare: try row.bytesOrNil(column(.partnerPublicShare)),
                backupSharePairId: try row.textOrNil(column(.backupSharePairId)),
                commitments: commitments, sealedShare: try row.bytes(column(.sealedShare)),
                shareDigest: try row.bytes(column(.shareDigest)),
                keyVersion: try row.int64OrNil(column(.keyVersion)).map { Int($0) }),
            cipherText: try row.textOrNil(column(.cipherText)),
            clientCiphertextId: try row.int64OrNil(column(.clientCiphertextId)))
    }

    package static let summaryColumns = SummaryColumn.allCases.map(\.expression).joined(separator: ", ")
    package static let pairJoins =
        "FROM backupPair p JOIN wallet w ON w.id = p.walletId JOIN client c ON c.id = w.clientRowId"
    package static let summarySelect = "SELECT \(summaryColumns) \(pairJoins)"

    package static func summary(_ row: some StoredRow) throws -> PairSummary {
        func column(_ column: SummaryColumn) -> Int { column.rawValue }
        let field = StoredField(row: row, table: "backupPair", id: try row.int64(column(.id)))
        let status = try field.decode("status", at: column(.status), BackupStatus.init(rawValue:))
        let curve = try StoredField(row: row, table: "wallet", id: try row.int64(column(.walletId))).decode(
            "curve", at: column(.curve), CurveID.init(rawValue:))
        let publicKey = try row.bytes(column(.publicKey))
        return PairSummary(
            pairId: field.id, clientId: try row.text(column(.clientId)), curve: curve,
            publicKey: Hex.encode(publicKey),
            // Stored when the wallet was made; computed for a wallet an older release made (on PostgreSQL).
            address: try row.textOrNil(column(.address))
                ?? (try? WalletAddress.address(curve: curve, publicKey: publicKey)) ?? "",
            method: BackupMethod(name: try row.text(column(.method)), curve: nil), status: status,
            completed: status.isCompleted, live: try row.bool(column(.isLive)),
            createdAt: try field.decode("createdAt", at: column(.createdAt), VaultClock.parse),
            updatedAt: try field.decode("updatedAt", at: column(.updatedAt), VaultClock.parse),
            replacedAt: try field.decodeIfPresent("replacedAt", at: column(.replacedAt), VaultClock.parse),
            generation: try row.intOrNil(column(.generation)),
            lastVerifiedAt: try field.decodeIfPresent("lastVerifiedAt", at: column(.lastVerifiedAt), VaultClock.parse),
            lastVerifiedOutcome: try field.decodeIfPresent(
                "lastVerifiedOutcome", at: column(.lastVerifiedOutcome), CheckOutcome.init(recorded:)),
            lastDrilledAt: try field.decodeIfPresent("lastDrilledAt", at: column(.lastDrilledAt), VaultClock.parse),
            lastDrilledOutcome: try field.decodeIfPresent(
                "lastDrilledOutcome", at: column(.lastDrilledOutcome), CheckOutcome.init(recorded:)))
    }

    /// A wallet's columns, for `inspect`.
    package static let walletColumns = "id, curve, publicKey, createdAt"

    /// A wallet's own fields from `walletColumns`: its row, curve, key and time.
    package static func wallet(_ row: some StoredRow) throws -> (
        id: Int64, curve: CurveID, publicKey: [UInt8], createdAt: Date
    ) {
        let field = StoredField(row: row, table: "wallet", id: try row.int64(0))
        return (
            field.id, try field.decode("curve", at: 1, CurveID.init(rawValue:)), try row.bytes(2),
            try field.decode("createdAt", at: 3, VaultClock.parse)
        )
    }

    /// A signing pair's columns, for `inspect`.
    package static let signingPairColumns =
        "id, generation, status, deviceIdentifier, devicePublicShare, custodianIdentifier, custodianPublicShare, createdAt"

    package static func signingPair(_ row: some StoredRow) throws -> SigningPairRecord {
        let field = StoredField(row: row, table: "signingPair", id: try row.int64(0))
        return SigningPairRecord(
            generation: try row.int(1), status: try field.decode("status", at: 2, SigningStatus.init(rawValue:)),
            deviceIdentifier: try row.bytes(3), devicePublicShare: try row.bytes(4),
            custodianIdentifier: try row.bytes(5), custodianPublicShare: try row.bytes(6),
            createdAt: try field.decode("createdAt", at: 7, VaultClock.parse))
    }

    /// A client ciphertext's columns, for `inspect` (its text is read to tell its format and length, never shown).
    package static let ciphertextColumns = "id, method, cipherText, receivedAt, confirmedAt, replacedAt, replacedById"

    package static func ciphertextSummary(_ row: some StoredRow) throws -> ClientCiphertextSummary {
        let field = StoredField(row: row, table: "clientCiphertext", id: try row.int64(0))
        let text = try row.text(2)
        let ours = (try? ClientBackupCiphertext.readIfClaimed(text)) ?? nil
        let replacedAt = try field.decodeIfPresent("replacedAt", at: 5, VaultClock.parse)
        return ClientCiphertextSummary(
            id: field.id, method: BackupMethod(name: try row.text(1), curve: nil), length: text.utf8.count,
            format: ours == nil ? .opaque : .sharevault, keySource: ours.map(\.keySource.name),
            receivedAt: try field.decode("receivedAt", at: 3, VaultClock.parse),
            confirmedAt: try field.decodeIfPresent("confirmedAt", at: 4, VaultClock.parse), live: replacedAt == nil,
            replacedAt: replacedAt, replacedById: try row.int64OrNil(6))
    }

    /// An audit event's columns, in chain order.
    package static let auditEventColumns = "id, at, kind, clientId, detail, previousHash, hash, mac"

    package static func auditEvent(_ row: some StoredRow) throws -> AuditEvent {
        AuditEvent(
            id: try row.int64(0), at: try row.text(1), kind: try row.text(2), clientId: try row.textOrNil(3),
            detail: try row.text(4), previousHash: try row.bytes(5), hash: try row.bytes(6), mac: try row.bytesOrNil(7))
    }

    /// An active signing generation's columns with its wallet's, for the public level's interpolation check.
    package static let activeSigningColumns = """
        s.id, c.clientId, w.curve, w.publicKey, s.generation, s.deviceIdentifier, s.devicePublicShare,
        s.custodianIdentifier, s.custodianPublicShare, w.address
        """

    package static func activeSigningGeneration(_ row: some StoredRow) throws -> ActiveSigningGeneration {
        // A wallet of an unknown curve is reported as such by the bookkeeping queries; it still moves the stream on.
        ActiveSigningGeneration(
            rowId: try row.int64(0), clientId: try row.text(1), curve: CurveID(rawValue: try row.text(2)),
            publicKey: try row.bytes(3), generation: try row.int(4), deviceIdentifier: try row.bytes(5),
            devicePublicShare: try row.bytes(6), custodianIdentifier: try row.bytes(7),
            custodianPublicShare: try row.bytes(8), storedAddress: try row.textOrNil(9))
    }

    /// A bookkeeping query's row: client, curve, method and pair, the last three as far as the finding has them.
    package static func bookkeepingProblem(
        _ row: some StoredRow, _ kind: BookkeepingProblem.Kind
    ) throws -> BookkeepingProblem {
        BookkeepingProblem(
            clientId: try row.text(0), curve: try row.text(1), method: try row.textOrNil(2),
            pairId: try row.int64OrNil(3), problem: kind)
    }

    /// A backup pair as `inspect` shows it, from `summaryColumns` followed by `storedPairColumns`.
    package static func backup(_ row: some StoredRow) throws -> ClientDetail.Backup {
        let pair = try storedPair(row, at: SummaryColumn.allCases.count)
        return ClientDetail.Backup(
            summary: try summary(row), layout: pair.custodian.layout,
            backupSharePairId: pair.custodian.backupSharePairId,
            custodianIdentifier: Hex.encode(pair.custodian.identifier),
            custodianPublicShare: Hex.encode(pair.custodian.publicShare),
            clientIdentifier: pair.custodian.partnerIdentifier.map { Hex.encode($0) },
            clientPublicShare: pair.custodian.partnerPublicShare.map { Hex.encode($0) },
            hasClientBackup: pair.cipherText != nil, clientCiphertextId: pair.clientCiphertextId)
    }

    /// The bookkeeping findings' queries (`VaultStore.bookkeepingProblems`), each naming its finding and reading
    /// its tables once. Each selects client, curve, method and pair (NULL where the finding has none); with
    /// `scoped`, one client's only, the client id the query's one parameter.
    package static func bookkeepingQueries(_ dialect: SQLDialect, scoped: Bool) -> [(BookkeepingProblem.Kind, String)] {
        let scope = scoped ? " AND c.clientId = \(dialect.firstParameter)" : ""
        let joins = "FROM backupPair p JOIN wallet w ON w.id = p.walletId JOIN client c ON c.id = w.clientRowId"
        let recordedPairId = "CAST(\(dialect.jsonText("e.detail", "pairId")) AS BIGINT)"
        return [
            (
                .unknownCurve,
                """
                SELECT c.clientId, w.curve, NULL, CAST(NULL AS BIGINT) FROM wallet w JOIN client c ON c.id = w.clientRowId
                WHERE w.curve NOT IN \(knownCurves)\(scope)
                """
            ),
            (
                .walletWithoutBackup,
                """
                SELECT c.clientId, w.curve, NULL, CAST(NULL AS BIGINT) FROM wallet w JOIN client c ON c.id = w.clientRowId
                LEFT JOIN (SELECT DISTINCT walletId FROM backupPair) b ON b.walletId = w.id
                WHERE b.walletId IS NULL\(scope)
                """
            ),
            (
                .noLivePair,
                """
                SELECT c.clientId, w.curve, p.method, MAX(p.id) \(joins)
                WHERE TRUE\(scope) GROUP BY p.walletId, p.method, c.clientId, w.curve
                HAVING MAX(CASE WHEN p.isLive THEN 1 ELSE 0 END) = 0
                """
            ),
            // Every pair the audit log records as made is still there (a deleted live pair, say).
            (
                .recordedPairMissing,
                """
                SELECT c.clientId, \(dialect.jsonText("e.detail", "curve")), \(dialect.jsonText("e.detail", "method")),
                    \(recordedPairId)
                FROM auditEvent e JOIN client c ON c.clientId = e.clientId
                WHERE e.kind IN ('create', 'ingest-custodian', 'replace') AND NOT EXISTS (
                    SELECT 1 FROM backupPair p WHERE p.id = \(recordedPairId))\(scope)
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
                SELECT c.clientId, w.curve, NULL, CAST(NULL AS BIGINT) FROM signingPair s JOIN wallet w ON w.id = s.walletId
                JOIN client c ON c.id = w.clientRowId WHERE s.status = 'active'\(scope)
                GROUP BY s.walletId, c.clientId, w.curve HAVING COUNT(*) > 1
                """
            ),
        ]
    }
}
