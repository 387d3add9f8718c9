import Foundation
import ShareMath

/// A backup pair's status; only the last is completed.
public enum BackupStatus: String, Sendable, Codable, CaseIterable {
    case storedCustodianBackupShare = "STORED_CUSTODIAN_BACKUP_SHARE"
    case storedClientBackupShareKey = "STORED_CLIENT_BACKUP_SHARE_KEY"
    case storedClientBackupShare = "STORED_CLIENT_BACKUP_SHARE"

    public var isCompleted: Bool { self == .storedClientBackupShare }
}

/// The stored form of a custodian backup share: public material in the clear, the share sealed.
public struct CustodianShareRecord: Sendable {
    public var layout: ShareLayout
    public var threshold: Int
    public var identifier: [UInt8]
    public var publicShare: [UInt8]
    public var partnerIdentifier: [UInt8]?
    public var commitments: [[UInt8]]?
    /// The webhook's share string, byte for byte, sealed under the vault key.
    public var sealedShare: [UInt8]
    /// Keyed BLAKE2b of the share string: finds a repeated delivery without opening anything.
    public var shareDigest: [UInt8]
}

/// A signing pair's public material.
public struct SigningPairRecord: Sendable, Encodable {
    public var generation: Int
    public var status: String
    public var deviceIdentifier: [UInt8]
    public var devicePublicShare: [UInt8]
    public var custodianIdentifier: [UInt8]
    public var custodianPublicShare: [UInt8]
    public var createdAt: String
}

/// A wallet made by `create`, with its pairs, ready to insert.
public struct NewWallet: Sendable {
    public var clientId: String
    public var curve: CurveID
    public var publicKey: [UInt8]
    public var signing: SigningPairRecord
    public var backups: [NewBackup]
}

/// A backup pair made by `create`.
public struct NewBackup: Sendable {
    public var method: String
    public var custodian: CustodianShareRecord
    public var cipherText: String?
    public var status: BackupStatus
}

/// One backup pair as `list` shows it: public material only.
public struct PairSummary: Sendable, Encodable {
    public var pairId: Int64
    public var clientId: String
    public var curve: CurveID
    public var publicKey: String
    public var method: String
    public var status: BackupStatus
    public var completed: Bool
    public var live: Bool
    public var createdAt: String
    public var updatedAt: String
    public var replacedAt: String?
    public var generation: Int?
    public var lastVerifiedAt: String?
    public var lastVerifiedOutcome: String?
    public var lastDrilledAt: String?
    public var lastDrilledOutcome: String?
}

/// What storing a custodian share did.
public enum CustodianStoreOutcome: Sendable, Equatable {
    /// A new live pair; `replaced` is the pair it replaced, if any.
    case stored(pairId: Int64, replaced: Int64?)
    /// The same share was already the live one: nothing changed.
    case duplicate(pairId: Int64)
}

/// Everything public about one client, for `inspect`.
public struct ClientDetail: Sendable, Encodable {
    public struct Wallet: Sendable, Encodable {
        public var curve: CurveID
        public var publicKey: String
        public var createdAt: String
        public var signingPairs: [SigningPairRecord]
        public var backupPairs: [Backup]
    }

    public struct Backup: Sendable, Encodable {
        public var summary: PairSummary
        public var layout: ShareLayout
        public var custodianIdentifier: String
        public var custodianPublicShare: String
        public var clientIdentifier: String?
        public var hasClientBackup: Bool
        public var clientKeySource: String?
    }

    public var clientId: String
    public var createdAt: String
    public var wallets: [Wallet]
}

/// A live pair with everything its checks need: public material, the sealed custodian share and the
/// client ciphertext.
public struct StoredPair: Sendable {
    public var summary: PairSummary
    public var walletId: Int64
    public var publicKey: [UInt8]
    public var custodian: CustodianShareRecord
    public var cipherText: String?
}

/// One pair's check outcome, as recorded.
public struct PairOutcome: Sendable {
    public var pairId: Int64
    /// `passed`, or the first failure's reason.
    public var outcome: String

    public init(pairId: Int64, outcome: String) {
        self.pairId = pairId
        self.outcome = outcome
    }
}
