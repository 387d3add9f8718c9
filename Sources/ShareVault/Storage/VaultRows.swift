import Foundation
import GRDB
import ShareMath

/// A row of one of the vault's tables as a GRDB record. Times are stored as `VaultClock` writes them (ISO 8601,
/// UTC, milliseconds), not in GRDB's default format, so rows written by records and by the first release's SQL
/// read alike; blobs are `Data`.
protocol VaultRowCoding: Codable, FetchableRecord, EncodableRecord {}

extension VaultRowCoding {
    static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .custom { VaultClock.format($0) }
    }

    static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .custom { value in String.fromDatabaseValue(value).flatMap(VaultClock.parse) }
    }
}

/// A row whose key is given (a custodian share's is its pair's id).
protocol VaultRow: VaultRowCoding, PersistableRecord {}

/// A row whose id SQLite assigns on insert: `insert` records it in `id`.
protocol VaultRowWithId: VaultRowCoding, MutablePersistableRecord {
    var id: Int64? { get set }
}

extension VaultRowWithId {
    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// `client`: one per client id.
struct ClientRow: VaultRowWithId {
    static let databaseTableName = "client"
    var id: Int64?
    var clientId: String
    var createdAt: Date
}

/// `wallet`: one per client and curve.
struct WalletRow: VaultRowWithId {
    static let databaseTableName = "wallet"
    var id: Int64?
    var clientRowId: Int64
    var curve: CurveID
    var publicKey: Data
    var createdAt: Date
    /// Its address (Ethereum's or Solana's), computed once when the wallet is made.
    var address: String?
}

/// `signingPair`: a wallet's signing generations, public material only.
struct SigningPairRow: VaultRowWithId {
    static let databaseTableName = "signingPair"
    var id: Int64?
    var walletId: Int64
    var generation: Int
    var status: SigningStatus
    var deviceIdentifier: Data
    var devicePublicShare: Data
    var custodianIdentifier: Data
    var custodianPublicShare: Data
    var createdAt: Date
    var revokedAt: Date?

    enum Columns {
        static let walletId = Column(CodingKeys.walletId)
        static let status = Column(CodingKeys.status)
        static let revokedAt = Column(CodingKeys.revokedAt)
    }

    init(walletId: Int64, record: SigningPairRecord) {
        self.walletId = walletId
        generation = record.generation
        status = record.status
        deviceIdentifier = Data(record.deviceIdentifier)
        devicePublicShare = Data(record.devicePublicShare)
        custodianIdentifier = Data(record.custodianIdentifier)
        custodianPublicShare = Data(record.custodianPublicShare)
        createdAt = record.createdAt
    }
}

/// `backupPair`: a custodian share's pair, live or in history. Only the columns a new pair is written with; the
/// last verification and drill are recorded by updates.
struct BackupPairRow: VaultRowWithId {
    static let databaseTableName = "backupPair"
    var id: Int64?
    var walletId: Int64
    /// The method's name, without a curve.
    var method: String
    var status: BackupStatus
    var isLive: Bool
    var createdAt: Date
    var updatedAt: Date
    var clientCiphertextId: Int64?

    enum Columns {
        static let status = Column(CodingKeys.status)
        static let isLive = Column(CodingKeys.isLive)
        static let updatedAt = Column(CodingKeys.updatedAt)
        static let clientCiphertextId = Column(CodingKeys.clientCiphertextId)
        static let replacedAt = Column("replacedAt")
        static let replacedById = Column("replacedById")
    }
}

/// `custodianShare`: a pair's custodian half, public material in the clear and the share sealed.
struct CustodianShareRow: VaultRow {
    static let databaseTableName = "custodianShare"
    var pairId: Int64
    var layout: ShareLayout
    var threshold: Int
    var identifier: Data
    var publicShare: Data
    var partnerIdentifier: Data?
    var partnerPublicShare: Data?
    var backupSharePairId: String?
    /// The commitments' encodings, one after another.
    var commitments: Data?
    var sealedShare: Data
    var shareDigest: Data
    var receivedAt: Date
    var keyVersion: Int?

    init(pairId: Int64, record: CustodianShareRecord, receivedAt: Date) {
        self.pairId = pairId
        layout = record.layout
        threshold = record.threshold
        identifier = Data(record.identifier)
        publicShare = Data(record.publicShare)
        partnerIdentifier = record.partnerIdentifier.map { Data($0) }
        partnerPublicShare = record.partnerPublicShare.map { Data($0) }
        backupSharePairId = record.backupSharePairId
        commitments = record.commitments.map { Data($0.joined()) }
        sealedShare = Data(record.sealedShare)
        shareDigest = Data(record.shareDigest)
        self.receivedAt = receivedAt
        keyVersion = record.keyVersion
    }
}

/// `clientCiphertext`: one upload of a client's ciphertext for a method, serving the method on every curve.
struct ClientCiphertextRow: VaultRowWithId {
    static let databaseTableName = "clientCiphertext"
    var id: Int64?
    var clientRowId: Int64
    /// The method's name, without a curve.
    var method: String
    var cipherText: String
    var receivedAt: Date
    var confirmedAt: Date?
}

/// `drill`: one drill of a pair.
struct DrillRow: VaultRowWithId {
    static let databaseTableName = "drill"
    var id: Int64?
    var pairId: Int64
    var startedAt: Date
    var durationMilliseconds: Int
    /// `passed`, or the problem's reason.
    var outcome: String
    var detail: String
}
