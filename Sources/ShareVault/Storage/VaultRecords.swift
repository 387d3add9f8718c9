import Foundation
import GRDB
import ShareMath

/// A backup pair's status; only the last is completed.
public enum BackupStatus: String, Sendable, Codable, CaseIterable {
    case storedCustodianBackupShare = "STORED_CUSTODIAN_BACKUP_SHARE"
    case storedClientBackupShareKey = "STORED_CLIENT_BACKUP_SHARE_KEY"
    case storedClientBackupShare = "STORED_CLIENT_BACKUP_SHARE"

    public var isCompleted: Bool { self == .storedClientBackupShare }
}

/// The stored form of a custodian backup share: public material in the clear, the share sealed.
package struct CustodianShareRecord: Sendable {
    package var layout: ShareLayout
    package var threshold: Int
    package var identifier: [UInt8]
    package var publicShare: [UInt8]
    package var partnerIdentifier: [UInt8]?
    /// The other holder's public share, when the layout states it (Portal's client partial public key).
    package var partnerPublicShare: [UInt8]?
    /// Portal's `backupSharePairId`, when the share names one.
    package var backupSharePairId: String?
    package var commitments: [[UInt8]]?
    /// The webhook's share string, byte for byte, sealed under the vault key.
    package var sealedShare: [UInt8]
    /// Keyed BLAKE2b of the share's content (curve, identifier, scalar, key): finds a share the vault already
    /// holds, however it was serialised, without opening anything.
    package var shareDigest: [UInt8]
    /// The vault key version `sealedShare` and `shareDigest` were made under; nil for a share stored before key
    /// versions (version 1, sealed with the first format's associated data).
    package var keyVersion: Int?
}

/// Whether a signing generation is the wallet's current one.
public enum SigningStatus: String, Sendable, Codable {
    /// The generation the device signs with now; one per wallet.
    case active
    /// An older generation, superseded by a recovery.
    case revoked
}

/// A signing pair's public material.
public struct SigningPairRecord: Sendable, Encodable {
    public var generation: Int
    public var status: SigningStatus
    public var deviceIdentifier: [UInt8]
    public var devicePublicShare: [UInt8]
    public var custodianIdentifier: [UInt8]
    public var custodianPublicShare: [UInt8]
    public var createdAt: Date
}

/// A client made by `create`: its wallets, and one client ciphertext per method serving every curve.
package struct NewClient: Sendable {
    package var clientId: String
    package var wallets: [NewWallet]
    package var ciphertexts: [NewCiphertext]
}

/// A wallet made by `create`, with its pairs, ready to insert.
package struct NewWallet: Sendable {
    package var curve: CurveID
    package var publicKey: [UInt8]
    package var signing: SigningPairRecord
    package var backups: [NewBackup]
}

/// A backup pair made by `create`; its client half is the client's ciphertext for the same method.
package struct NewBackup: Sendable {
    package var method: BackupMethod
    package var custodian: CustodianShareRecord
    package var status: BackupStatus
}

/// A client ciphertext made by `create`, confirmed or not.
package struct NewCiphertext: Sendable {
    package var method: BackupMethod
    package var cipherText: String
    package var confirmed: Bool
}

/// One client ciphertext as `inspect` shows it: where it came from and when, never its text.
public struct ClientCiphertextSummary: Sendable, Encodable {
    /// Which format a stored client ciphertext is in.
    public enum Format: String, Sendable, Encodable {
        /// sharevault's own, whose header was read.
        case sharevault
        /// Another format (Portal's, say), stored as sent.
        case opaque
    }

    public var id: Int64
    /// The method, without a curve: one ciphertext serves the method on every curve.
    public var method: BackupMethod
    public var length: Int
    public var format: Format
    /// For `sharevault` ciphertexts, where the key comes from: `key-store` or `password`.
    public var keySource: String?
    public var receivedAt: Date
    public var confirmedAt: Date?
    public var live: Bool
    public var replacedAt: Date?
    public var replacedById: Int64?
}

/// One backup pair as `list` shows it: public material only.
public struct PairSummary: Sendable, Encodable {
    public var pairId: Int64
    public var clientId: String
    public var curve: CurveID
    public var publicKey: String
    /// The wallet's address (Ethereum's for secp256k1, Solana's for ed25519); empty if the key is not one.
    public var address: String
    /// The method, without a curve (the pair's curve is `curve`).
    public var method: BackupMethod
    public var status: BackupStatus
    public var completed: Bool
    public var live: Bool
    public var createdAt: Date
    public var updatedAt: Date
    public var replacedAt: Date?
    public var generation: Int?
    public var lastVerifiedAt: Date?
    public var lastVerifiedOutcome: CheckOutcome?
    public var lastDrilledAt: Date?
    public var lastDrilledOutcome: CheckOutcome?
}

/// What a pair's last verification or drill found; recorded as `passed` or the first problem's reason.
public enum CheckOutcome: Sendable, Equatable, Encodable, CustomStringConvertible {
    case passed
    case failed(PairProblem)

    /// Reads a recorded outcome; nil for text this build does not know.
    package init?(recorded text: String) {
        if text == "passed" {
            self = .passed
        } else if let problem = PairProblem(rawValue: text) {
            self = .failed(problem)
        } else {
            return nil
        }
    }

    /// As recorded and reported: `passed`, or the problem's reason.
    public var description: String {
        switch self {
        case .passed: return "passed"
        case .failed(let problem): return problem.rawValue
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// What storing a custodian share did.
package enum CustodianStoreOutcome: Sendable, Equatable {
    /// A new live pair; `replaced` is the pair it replaced, if any.
    case stored(pairId: Int64, replaced: Int64?)
    /// The vault already holds this share (live, or in history: the pair named): nothing changed.
    case duplicate(pairId: Int64)
}

/// Everything public about one client, for `inspect`.
public struct ClientDetail: Sendable, Encodable {
    public struct Wallet: Sendable, Encodable {
        public var curve: CurveID
        public var publicKey: String
        public var createdAt: Date
        public var signingPairs: [SigningPairRecord]
        public var backupPairs: [Backup]

        package init(
            curve: CurveID, publicKey: String, createdAt: Date, signingPairs: [SigningPairRecord], backupPairs: [Backup]
        ) {
            self.curve = curve
            self.publicKey = publicKey
            self.createdAt = createdAt
            self.signingPairs = signingPairs
            self.backupPairs = backupPairs
        }
    }

    public struct Backup: Sendable, Encodable {
        public var summary: PairSummary
        public var layout: ShareLayout
        public var backupSharePairId: String?
        public var custodianIdentifier: String
        public var custodianPublicShare: String
        public var clientIdentifier: String?
        public var clientPublicShare: String?
        public var hasClientBackup: Bool
        /// The client ciphertext this pair's client half is in (see `ClientDetail.clientCiphertexts`).
        public var clientCiphertextId: Int64?
    }

    public var clientId: String
    public var createdAt: Date
    public var wallets: [Wallet]
    /// Every client ciphertext the client uploaded, live and replaced, newest first per method.
    public var clientCiphertexts: [ClientCiphertextSummary]

    package init(clientId: String, createdAt: Date, wallets: [Wallet], clientCiphertexts: [ClientCiphertextSummary]) {
        self.clientId = clientId
        self.createdAt = createdAt
        self.wallets = wallets
        self.clientCiphertexts = clientCiphertexts
    }
}

/// A backup pair as checks, recoveries and the intake name it: whose, on which curve, for which method, and how
/// far its backup has come.
public struct PairIdentity: Sendable, Encodable, Equatable {
    public var pairId: Int64
    public var clientId: String
    public var curve: CurveID
    /// The method, without a curve (see `curve`).
    public var method: BackupMethod
    public var status: BackupStatus
    /// Whether both halves are stored and confirmed.
    public var completed: Bool { status.isCompleted }

    enum CodingKeys: String, CodingKey {
        case pairId, clientId, curve, method, status, completed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pairId, forKey: .pairId)
        try container.encode(clientId, forKey: .clientId)
        try container.encode(curve, forKey: .curve)
        try container.encode(method, forKey: .method)
        try container.encode(status, forKey: .status)
        try container.encode(completed, forKey: .completed)
    }
}

/// A live pair with everything its checks need: public material, the sealed custodian share and the
/// client ciphertext.
package struct StoredPair: Sendable {
    package var identity: PairIdentity
    package var walletId: Int64
    package var publicKey: [UInt8]
    package var custodian: CustodianShareRecord
    /// The client ciphertext holding this pair's client half (shared by the method's pairs on every curve).
    package var cipherText: String?
    package var clientCiphertextId: Int64?
}

/// Something the vault's own records contradict (a deleted live pair, an old pair made live again, a row
/// edited outside the tool), found by the public level of `verify`.
public struct BookkeepingProblem: Sendable, Encodable, Equatable {
    public enum Kind: String, Sendable, Encodable {
        case unknownCurve = "unknown-curve"
        case walletWithoutBackup = "wallet-without-backup-pair"
        case noLivePair = "method-without-live-pair"
        case recordedPairMissing = "recorded-pair-missing"
        case livePairMarkedReplaced = "live-pair-marked-replaced"
        case replacementMissing = "replacement-missing"
        case severalActiveSigningGenerations = "several-active-signing-generations"
        /// A live pair older than another pair of its wallet and method: an old pair made live again.
        case olderPairLive = "older-pair-live"
        /// The active signing generation's two public shares do not interpolate to the wallet's key.
        case signingGenerationDoesNotInterpolate = "signing-generation-does-not-interpolate"
        /// The address stored with the wallet is not its key's: listings and the report would show it.
        case storedAddressWrong = "stored-address-wrong"
    }

    public var clientId: String
    /// As stored (an unknown curve is shown as it is).
    public var curve: String
    public var method: String?
    public var pairId: Int64?
    public var problem: Kind
}

/// A wallet's active signing generation, public material only, for the public level.
package struct ActiveSigningGeneration: Sendable {
    /// The signing pair's row, where the next batch starts after.
    package var rowId: Int64
    package var clientId: String
    /// Nil for a curve this build does not know (the bookkeeping check reports it).
    package var curve: CurveID?
    package var publicKey: [UInt8]
    package var generation: Int
    package var deviceIdentifier: [UInt8]
    package var devicePublicShare: [UInt8]
    package var custodianIdentifier: [UInt8]
    package var custodianPublicShare: [UInt8]
    /// The wallet's address as stored when it was made (nil for a wallet an older release made on PostgreSQL).
    package var storedAddress: String?
}

/// One pair's check outcome, as recorded.
package struct PairOutcome: Sendable {
    package var pairId: Int64
    package var outcome: CheckOutcome

    package init(pairId: Int64, outcome: CheckOutcome) {
        self.pairId = pairId
        self.outcome = outcome
    }
}

/// One row's stored text values, read into types: a value this build does not read is an error naming the
/// table, row and column (an edit outside the tool, or a newer sharevault's value), never a default.
package struct StoredField<Stored: StoredRow> {
    let row: Stored
    let table: String
    package let id: Int64

    package init(row: Stored, table: String, id: Int64) {
        self.row = row
        self.table = table
        self.id = id
    }

    /// The text at `index` (the column named `column`), read by `read`.
    package func decode<Value>(_ column: String, at index: Int, _ read: (String) -> Value?) throws -> Value {
        guard let value = try decodeIfPresent(column, at: index, read) else { throw unreadable(column) }
        return value
    }

    /// As `decode`, with NULL read as nil.
    package func decodeIfPresent<Value>(_ column: String, at index: Int, _ read: (String) -> Value?) throws -> Value? {
        guard let text = try row.textOrNil(index) else { return nil }
        guard let value = read(text) else { throw unreadable(column) }
        return value
    }

    private func unreadable(_ column: String) -> VaultError {
        .rowUnreadable(table: table, rowId: id, column: column)
    }
}
