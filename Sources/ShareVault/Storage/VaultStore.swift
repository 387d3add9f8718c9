import Foundation
import ShareMath

/// What the vault's operations need from storage. Every call is one transaction: it all lands or nothing does.
/// Every call is `async`, so an engine that talks to a server (PostgreSQL) waits without holding a thread; GRDB
/// answers at once or on its own queues. The operations compose the audit events (`AuditEntry`, through the
/// `audit` closures, from what the store did); the store chains, seals and appends them in the same transaction.
/// `SQLiteVaultStore` implements it on GRDB.
package protocol VaultStore: Sendable {
    func metadata(_ name: String) async throws -> String?
    /// Records the vault key's check value (the store's keyring holds the key), the key's other public rows
    /// (`metadata`: an officers' quorum record) and the first audit event of a new vault, sealed.
    func setUp(at: Date, event: AuditEntry, metadata: [String: String?]) async throws
    /// The vault's key state: its `VaultKeyMeta.names` rows.
    func keyMeta() async throws -> VaultKeyMeta
    /// Changes the vault's key state in one transaction: when the state is still `expected` (another process's
    /// change in between is refused with `keyStateChanged`), and, with `requireAllSealedUnder`, when every custodian
    /// share (live or in history) is sealed under that version, sets the given rows (nil removes one) and appends
    /// `event`, sealed with the audit key of the version the change leaves current.
    func changeKeyState(
        _ values: [String: String?], expected: VaultKeyMeta, requireAllSealedUnder version: Int?, event: AuditEntry,
        at: Date
    ) async throws
    /// Up to `limit` custodian shares, live or in history, sealed under a key version other than `version` (a row
    /// from before versions was sealed under 1), with pair ids above `pairId`, in id order: a rekey's next batch
    /// (or an aborted rekey's, moving shares back).
    func custodianSharesSealed(otherThan version: Int, after pairId: Int64, limit: Int) async throws
        -> [SealedCustodianShare]
    /// Replaces seals in one transaction, each only if its row is still as it was read (sealed under the same
    /// version), and all only if the key state is still the one the batch was made for (its serial is
    /// `keyStateSerial`; else `keyStateChanged`: a rekey aborted, or an abort overtaken, meanwhile); returns how
    /// many were replaced.
    func resealCustodianShares(_ reseals: [CustodianReseal], keyStateSerial: Int) async throws -> Int
    /// How many custodian shares, live or in history, each key version seals (a row from before versions under 1).
    func custodianSharesByKeyVersion() async throws -> [Int: Int]
    /// How many custodian shares, live or in history, are sealed under a key version other than `version`.
    func countCustodianSharesSealed(otherThan version: Int) async throws -> Int
    /// Inserts clients made by `create` (wallets, pairs, ciphertexts, an audit event per pair), a transaction per
    /// batch of `batchSize` clients, so that other writers are not held off for the whole run. Every clash with
    /// an existing wallet is refused before anything is made or written (so a refused create never replaces a key
    /// that opens a stored backup); `make` then makes each batch with no lock held. A create that fails midway
    /// keeps the batches committed before it, each whole.
    func createWallets(
        _ clientIds: [String], curves: [CurveID], batchSize: Int, at: Date,
        make: ([String]) async throws -> [NewClient], audit: @escaping @Sendable (CreatedPair) -> AuditEntry
    ) async throws
    /// Stores custodian shares in one transaction, so that deliveries arriving together share one durable commit
    /// (group commit). Each is stored in order as if alone: as the live pair for its client and method, keeping
    /// any replaced pair in history, or refused when its public key contradicts the client's wallet on that curve.
    /// A share is a duplicate when its content digest, or one of `otherDigests`, matches a pair of the wallet
    /// and method: then nothing is written, no audit event either. A delivery sealed under another key version
    /// than the vault's sealing version (a rekey began or ended since it was sealed) is refused with
    /// `keyringStale`, to be sealed again.
    ///
    /// Returns each delivery's outcome in order. A refused delivery has written nothing and the others still land;
    /// an error thrown instead (the database failing) means that none of them did.
    func storeCustodianShares(_ deliveries: [CustodianShareDelivery]) async throws
        -> [Result<CustodianStoreOutcome, VaultError>]
    /// Stores the client's ciphertext for a method and attaches it to the client's live pairs of that method on
    /// every curve (only the method's curve when it names one); their status moves to
    /// STORED_CLIENT_BACKUP_SHARE_KEY and a ciphertext it replaces stays in history. The same ciphertext again
    /// changes nothing and appends no event.
    func storeClientBackup(
        clientId: String, method: BackupMethod, cipherText: String, at: Date,
        audit: @escaping @Sendable (StoredCiphertext) -> AuditEntry
    ) async throws -> [PairIdentity]
    /// The app's notice: the method's live pairs that have a ciphertext move to STORED_CLIENT_BACKUP_SHARE.
    func confirmClientBackup(
        clientId: String, method: BackupMethod, at: Date, audit: @escaping @Sendable ([PairOnCurve]) -> AuditEntry
    ) async throws -> [PairIdentity]
    /// Live pairs in a stable order, streamed.
    func forEachLivePair(completed: Bool?, _ body: (PairSummary) throws -> Void) async throws
    func clientDetail(clientId: String) async throws -> ClientDetail?
    func forEachAuditEvent(_ body: (AuditEvent) throws -> Void) async throws
    /// Walks the audit chain: its structure, and its MACs when the store has the audit key; with `head`, that the
    /// chain still holds the exported head's event unchanged.
    func verifyAuditLog(expecting head: AuditHead?) async throws -> AuditVerification
    /// What the vault's own bookkeeping contradicts, for the public level: a wallet of an unknown curve or with no
    /// backup pair, a method with no live pair, a live pair marked replaced, a replaced pair whose replacement is
    /// missing or not later, more than one active signing generation. One client's only, when given.
    func bookkeepingProblems(clientId: String?) async throws -> [BookkeepingProblem]
    /// Up to `limit` wallets' active signing generations (of a known curve) after the signing pair `rowId`, in
    /// order (for streaming in bounded memory); one client's only, when given.
    func activeSigningGenerations(after rowId: Int64, limit: Int, clientId: String?) async throws
        -> [ActiveSigningGeneration]
    /// The rows of wallets (one client's, when given) whose curve this build does not read.
    func walletsOfUnknownCurve(clientId: String?) async throws -> [Int64]
    /// Counts for summaries: clients, wallets, live pairs.
    func counts() async throws -> (clients: Int, wallets: Int, livePairs: Int)
    /// Live pairs by their status as stored (for the intake's metrics): one aggregate query, not a walk.
    func livePairsByStatus() async throws -> [String: Int]

    /// Up to `limit` live pairs with ids above `pairId`, in id order (for streaming in bounded memory).
    func livePairs(after pairId: Int64, limit: Int, clientId: String?) async throws -> [StoredPair]
    /// The live pair for a client and method (the method's curve may be left out when only one matches).
    func livePair(clientId: String, method: BackupMethod) async throws -> StoredPair
    /// The ids of `count` live pairs picked at random.
    func randomLivePairIds(count: Int) async throws -> [Int64]
    func livePair(id: Int64) async throws -> StoredPair?
    /// Records verification outcomes on their pairs (the run's audit event is the operation's, appended once).
    func recordVerifications(_ outcomes: [PairOutcome], at: Date) async throws
    /// Records drills in one transaction: a row each, the pairs' last-drilled fields and an audit event each.
    func recordDrills(
        _ drills: [DrillOutcome], at: Date, audit: @escaping @Sendable (DrillOutcome) -> AuditEntry
    ) async throws
    /// Adds the next signing generation for the pair's wallet, revoking the older ones, with an audit event;
    /// returns the new generation.
    func addSigningGeneration(
        for pair: StoredPair, record: SigningPairRecord, at: Date,
        audit: @escaping @Sendable (_ generation: Int) -> AuditEntry
    ) async throws -> Int
    /// Appends an audit event on its own (eject, a verify run's summary), sealed with the audit key of `keyring`
    /// when given (officers who formed the key to check their shares, in a vault opened without it), else with the
    /// store's own.
    func appendAudit(_ event: AuditEntry, at: Date, sealedWith keyring: VaultKeyring?) async throws
}

extension VaultStore {
    /// Appends an audit event on its own, sealed as the store's own keyring seals (unsealed without one).
    func appendAudit(_ event: AuditEntry, at date: Date) async throws {
        try await appendAudit(event, at: date, sealedWith: nil)
    }
}

/// Refuses a `create` batch in which a client already has a wallet on one of `curves`, `existing` holding the
/// batch's clients' wallets as stored (client id, curve): the first clash in the batch's order is named.
package func refuseWalletClashes(
    _ clientIds: [String], curves: [CurveID], existing: [(clientId: String, curve: String)]
) throws {
    let taken = Set(existing.map { "\($0.clientId) \($0.curve)" })
    for clientId in clientIds {
        if let curve = curves.first(where: { taken.contains("\(clientId) \($0.rawValue)") }) {
            throw VaultError.walletExists(clientId: clientId, curve: curve)
        }
    }
}

/// A custodian share as a rekey reads it: where it is, what its seal binds, and the seal.
package struct SealedCustodianShare: Sendable {
    package let pairId: Int64
    package let clientId: String
    package let curve: CurveID
    /// The method without its curve.
    package let method: BackupMethod
    package let keyVersion: Int?
    package let sealedShare: [UInt8]
    /// The wallet's public key as stored (its canonical encoding), which the share's content digest covers.
    package let publicKey: [UInt8]

    package init(
        pairId: Int64, clientId: String, curve: CurveID, method: BackupMethod, keyVersion: Int?, sealedShare: [UInt8],
        publicKey: [UInt8]
    ) {
        self.publicKey = publicKey
        self.pairId = pairId
        self.clientId = clientId
        self.curve = curve
        self.method = method
        self.keyVersion = keyVersion
        self.sealedShare = sealedShare
    }
}

/// A custodian share sealed anew: the row, the version it was read under, and its new seal and digest.
package struct CustodianReseal: Sendable {
    package let pairId: Int64
    package let previousVersion: Int?
    package let keyVersion: Int
    package let sealedShare: [UInt8]
    package let shareDigest: [UInt8]

    package init(pairId: Int64, previousVersion: Int?, keyVersion: Int, sealedShare: [UInt8], shareDigest: [UInt8]) {
        self.pairId = pairId
        self.previousVersion = previousVersion
        self.keyVersion = keyVersion
        self.sealedShare = sealedShare
        self.shareDigest = shareDigest
    }
}

/// Refuses a `create` batch sealed under a key version the vault does not take now (a rekey ended, or was
/// aborted, while it was made): its rows would be sealed under a retired or abandoned key.
package func refuseSealsNotAccepted(_ clients: [NewClient], by meta: VaultKeyMeta) throws {
    for client in clients {
        for wallet in client.wallets {
            for backup in wallet.backups where !meta.acceptsSeal(version: backup.custodian.keyVersion ?? 1) {
                throw VaultError.sealedUnderOtherKeyVersion(
                    sealed: backup.custodian.keyVersion ?? 1, vault: meta.sealingVersion)
            }
        }
    }
}

/// A custodian share to store, as the intake checked and sealed it.
package struct CustodianShareDelivery: Sendable {
    package let clientId: String
    package let curve: CurveID
    package let publicKey: [UInt8]
    /// The method without its curve (the curve is `curve`).
    package let method: BackupMethod
    package let record: CustodianShareRecord
    /// The other digests a copy the vault holds may carry: the content digest under the keyring's other
    /// versions, and the first release's digest of the share's bytes (which rows it wrote still carry).
    package let otherDigests: [[UInt8]]
    package let at: Date
    /// The audit event for the pair stored and the one it replaced.
    package let audit: @Sendable (_ pairId: Int64, _ replaced: Int64?) -> AuditEntry

    package init(
        clientId: String, curve: CurveID, publicKey: [UInt8], method: BackupMethod, record: CustodianShareRecord,
        otherDigests: [[UInt8]], at: Date,
        audit: @escaping @Sendable (_ pairId: Int64, _ replaced: Int64?) -> AuditEntry
    ) {
        self.clientId = clientId
        self.curve = curve
        self.publicKey = publicKey
        self.method = method
        self.record = record
        self.otherDigests = otherDigests
        self.at = at
        self.audit = audit
    }
}

/// A pair `create` made, for its audit event.
package struct CreatedPair: Sendable {
    package let clientId: String
    package let curve: CurveID
    package let publicKey: [UInt8]
    package let method: BackupMethod
    package let status: BackupStatus
    package let pairId: Int64
    package let replaced: Int64?

    package init(
        clientId: String, curve: CurveID, publicKey: [UInt8], method: BackupMethod, status: BackupStatus,
        pairId: Int64, replaced: Int64?
    ) {
        self.clientId = clientId
        self.curve = curve
        self.publicKey = publicKey
        self.method = method
        self.status = status
        self.pairId = pairId
        self.replaced = replaced
    }
}

/// A live pair by id and curve: what a client upload or confirmation touched, in curve order.
package struct PairOnCurve: Sendable, Equatable {
    package let id: Int64
    package let curve: CurveID

    package init(id: Int64, curve: CurveID) {
        self.id = id
        self.curve = curve
    }
}

/// What storing a client ciphertext did, for its audit event.
package struct StoredCiphertext: Sendable {
    /// The live pairs it now serves, in curve order.
    package let pairs: [PairOnCurve]
    package let ciphertextId: Int64
    /// The ciphertexts those pairs held before, in id order.
    package let replacedCiphertextIds: [Int64]

    package init(pairs: [PairOnCurve], ciphertextId: Int64, replacedCiphertextIds: [Int64]) {
        self.pairs = pairs
        self.ciphertextId = ciphertextId
        self.replacedCiphertextIds = replacedCiphertextIds
    }
}

extension SigningPairRecord {
    enum CodingKeys: String, CodingKey {
        case generation, status, deviceIdentifier, devicePublicShare, custodianIdentifier, custodianPublicShare,
            createdAt
    }

    /// Public material as lowercase hex.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(generation, forKey: .generation)
        try container.encode(status, forKey: .status)
        try container.encode(Hex.encode(deviceIdentifier), forKey: .deviceIdentifier)
        try container.encode(Hex.encode(devicePublicShare), forKey: .devicePublicShare)
        try container.encode(Hex.encode(custodianIdentifier), forKey: .custodianIdentifier)
        try container.encode(Hex.encode(custodianPublicShare), forKey: .custodianPublicShare)
        try container.encode(createdAt, forKey: .createdAt)
    }
}

/// Timestamps as the vault stores them and reports show them: ISO 8601, UTC, milliseconds
/// (`2026-11-30T07:10:52.123Z`). Operations and public types carry `Date`; this is the text at the edges.
///
/// Every row a listing reads holds up to five of them, so years 1600 to 9999 are written and read with integer
/// arithmetic on the Gregorian calendar (Foundation's formatter costs microseconds a call); anything else goes
/// through Foundation (which, before October 1582, counts Julian dates). Both give the same text for the same millisecond (the tests compare them over random dates).
package enum VaultClock {
    /// The one layout, for writing and for reading.
    private static let style = Date.ISO8601FormatStyle().year().month().day().dateSeparator(.dash)
        .time(includingFractionalSeconds: true).timeSeparator(.colon).timeZone(separator: .omitted)

    private static let millisecondsPerDay: Int64 = 86_400_000
    /// The milliseconds of 1600-01-01 and of 10000-01-01, from 1970: the years the integer path handles.
    private static let fastRange: Range<Int64> = -11_676_096_000_000..<253_402_300_800_000

    /// The date to the nearest millisecond.
    package static func format(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.isFinite, fastRange.contains(Int64(exactly: milliseconds) ?? .min) else {
            return foundationFormat(milliseconds)
        }
        return format(milliseconds: Int64(milliseconds))
    }

    /// Foundation's formatter truncates, and a time read back from its text may lie a hair below the millisecond
    /// it names (12.040 read as 12.03999...): the text is formatted from the rounded millisecond plus a fifth of
    /// one, so that reading and writing again gives the same text.
    static func foundationFormat(_ milliseconds: Double) -> String {
        Date(timeIntervalSince1970: (milliseconds + 0.2) / 1000).formatted(style)
    }

    /// Reads text `format` wrote, and only that: Foundation's reader also takes other offsets and even trailing
    /// text (`+01:00x`), so what it reads must format back to the same text.
    package static func parse(_ text: String) -> Date? {
        if let milliseconds = fastParse(text) { return Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
        guard
            let date = try? Date(text, strategy: style),
            format(date) == text
        else { return nil }
        return date
    }

    private static func format(milliseconds: Int64) -> String {
        let days = milliseconds >= 0 ? milliseconds / millisecondsPerDay : (milliseconds + 1) / millisecondsPerDay - 1
        let ofDay = milliseconds - days * millisecondsPerDay
        let (year, month, day) = civil(fromDays: days)
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int64, at offset: Int, digits: Int) {
            var value = value
            for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                bytes[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(year, at: 0, digits: 4)
        put(month, at: 5, digits: 2)
        put(day, at: 8, digits: 2)
        put(ofDay / 3_600_000, at: 11, digits: 2)
        put(ofDay / 60_000 % 60, at: 14, digits: 2)
        put(ofDay / 1000 % 60, at: 17, digits: 2)
        put(ofDay % 1000, at: 20, digits: 3)
        for (offset, separator) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")] {
            bytes[offset] = UInt8(ascii: Unicode.Scalar(separator)!)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The milliseconds from 1970 of text in exactly the vault's layout with a year from 1600 and a real date and
    /// time; nil for anything else (which the slow path then judges).
    private static func fastParse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes -> Int64? in
            guard bytes.count == 24 else { return nil }
            for (offset, separator) in [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z")]
            where bytes[offset] != UInt8(ascii: Unicode.Scalar(separator)!) {
                return nil
            }
            func number(_ offset: Int, _ digits: Int) -> Int64? {
                var value: Int64 = 0
                for index in offset..<offset + digits {
                    let digit = bytes[index] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                let millisecond = number(20, 3), year >= 1600, (1...12).contains(month),
                (1...daysIn(month: month, year: year)).contains(day), hour < 24, minute < 60, second < 60
            else { return nil }
            return days(year: year, month: month, day: day) * millisecondsPerDay + hour * 3_600_000 + minute * 60_000
                + second * 1000 + millisecond
        }
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (`civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
