import Foundation
import ShareMath

/// What ingesting a custodian share did, in public terms.
public struct CustodianIngestReport: Sendable, Encodable {
    public let clientId: String
    public let curve: CurveID
    /// The method as sent, without the curve (see `curve`).
    public let method: BackupMethod
    public let layout: ShareLayout
    public let publicKey: String
    /// Portal's `backupSharePairId`, when the share names one.
    public let backupSharePairId: String?
    public let pairId: Int64
    /// `stored`, `replaced` (an older live pair went to history) or `duplicate` (nothing changed).
    public let outcome: IngestOutcome
    public let replacedPairId: Int64?
}

/// What became of a custodian share delivered to the vault.
public enum IngestOutcome: String, Sendable, Codable {
    /// The first pair for the client and method.
    case stored
    /// A new live pair; the one it replaced stays in history.
    case replaced
    /// The vault already holds this share (live or in history): nothing changed.
    case duplicate
}

extension Vault {
    /// Takes a webhook body `{clientId, share, backupMethod}`: checks everything that can be checked without a
    /// user's secret (scalars in range, identifiers distinct, points on the curve and in its prime-order group,
    /// `share·G` against the stated public share, Portal's partial public keys against the key, native
    /// commitments, the key against the client's wallet), seals the share string under the vault key and stores
    /// it as the live pair for the client, method and curve. The curve comes from the share itself.
    ///
    /// - Throws: `DocumentError` or `VaultError` for a body that is malformed or contradicts the vault;
    ///   nothing is written then.
    public func ingestCustodian(_ body: Data, progress: ProgressHandler? = nil) async throws -> CustodianIngestReport {
        progress?(.readingShare, 0, 1)
        var prepared = try prepareCustodian(body)
        progress?(.storingShare, 0, 1)
        let outcome: CustodianStoreOutcome
        do {
            outcome = try await custodianIntake.submit(prepared.delivery)
        } catch VaultError.sealedUnderOtherKeyVersion {
            // A rekey began or ended since the share was sealed: take the vault's key state and seal it again.
            try await refreshKeys()
            prepared = try prepareCustodian(body)
            outcome = try await custodianIntake.submit(prepared.delivery)
        }
        keys.confirmed()
        let report = prepared.report(outcome)
        progress?(.done, 1, 1)
        logger.info(
            "custodian share ingested",
            metadata: ["client": "\(report.clientId)", "method": "\(report.method)", "outcome": "\(report.outcome)"])
        return report
    }

    /// Takes many webhook bodies (a stream's lines) as `ingestCustodian` takes one, in one durable commit: each is
    /// read, checked and sealed on every core, then all are stored in their order in one transaction, so that a
    /// later share for the same wallet and method replaces an earlier one, as delivered one by one. Each body's
    /// report or refusal, in order; a batch the database fails is stored one body at a time.
    public func ingestCustodian(batch bodies: [Data]) async -> [Result<CustodianIngestReport, any Error>] {
        var results = await ingestCustodianOnce(batch: bodies)
        // Deliveries sealed under a key version the vault left meanwhile (a rekey began or ended) are sealed again
        // under the vault's key state as it now is; the others landed as they were.
        let resealed = results.indices.filter {
            if case .failure(VaultError.sealedUnderOtherKeyVersion) = results[$0] { return true }
            return false
        }
        if results.contains(where: { (try? $0.get()) != nil }) { keys.confirmed() }
        guard !resealed.isEmpty else { return results }
        do {
            try await refreshKeys()
        } catch {
            for index in resealed { results[index] = .failure(error) }
            return results
        }
        for (index, result) in zip(resealed, await ingestCustodianOnce(batch: resealed.map { bodies[$0] })) {
            results[index] = result
        }
        return results
    }

    private func ingestCustodianOnce(batch bodies: [Data]) async -> [Result<CustodianIngestReport, any Error>] {
        let prepared =
            (try? await bodies.concurrentMap(parallelism: ProcessInfo.processInfo.activeProcessorCount) {
                body -> Result<PreparedCustodianShare, any Error> in
                Result { try self.prepareCustodian(body) }
            }) ?? []
        let ready = prepared.compactMap { try? $0.get() }
        let store = store
        var outcomes = await GroupCommit.outcomes(of: ready.map(\.delivery)) { deliveries in
            try await store.storeCustodianShares(deliveries)
        }.makeIterator()
        return prepared.map { preparation in
            preparation.flatMap { share in
                (outcomes.next() ?? .failure(VaultError.vaultUnreadable(path: path, reason: "no answer"))).map {
                    share.report($0)
                }
            }
        }
    }

    /// A webhook body read, checked and sealed, ready for the store: everything `ingestCustodian` does before it
    /// writes, which needs no lock and so runs for many deliveries at once.
    package struct PreparedCustodianShare: Sendable {
        package let delivery: CustodianShareDelivery
        let layout: ShareLayout
        let backupSharePairId: String?

        /// The report of what storing it did.
        package func report(_ outcome: CustodianStoreOutcome) -> CustodianIngestReport {
            let (pairId, outcomeName, replaced): (Int64, IngestOutcome, Int64?)
            switch outcome {
            case .stored(let id, let replacedId):
                (pairId, outcomeName, replaced) = (id, replacedId == nil ? .stored : .replaced, replacedId)
            case .duplicate(let id): (pairId, outcomeName, replaced) = (id, .duplicate, nil)
            }
            return CustodianIngestReport(
                clientId: delivery.clientId, curve: delivery.curve, method: delivery.method, layout: layout,
                publicKey: Hex.encode(delivery.publicKey), backupSharePairId: backupSharePairId, pairId: pairId,
                outcome: outcomeName, replacedPairId: replaced)
        }
    }

    /// Reads and checks a webhook body and seals its share; throws what `ingestCustodian` would refuse before
    /// writing.
    package func prepareCustodian(_ body: Data) throws -> PreparedCustodianShare {
        let webhook = try Self.readCustodianWebhook(body)
        switch webhook.share {
        case .secp256k1(let parsed): return prepareCustodian(webhook.body, parsed)
        case .ed25519(let parsed): return prepareCustodian(webhook.body, parsed)
        }
    }

    /// A custodian webhook read and checked, on the share's curve.
    package struct CustodianWebhook {
        package enum Share {
            case secp256k1(ParsedShare<Secp256k1>)
            case ed25519(ParsedShare<Ed25519>)
        }
        package let body: WebhookBody
        package let share: Share
    }

    /// What the intake does with a webhook body before anything is stored: reads the body, finds the share's
    /// layout and curve (which a method suffix must agree with), and reads and checks the share on that curve.
    /// The share is parsed once; its layout, curve and JSON serve every check.
    package static func readCustodianWebhook(_ body: Data) throws -> CustodianWebhook {
        let webhook = try WebhookBody.parse(body)
        let share = try ShareParser.inspect(webhook.share, stated: webhook.backupMethod.curve)
        if let stated = webhook.backupMethod.curve, stated != share.curve {
            throw DocumentError.outOfRange(
                field: share.layout == .native ? "curve" : "backupMethod",
                detail: "the share is on \(share.curve), the method says \(stated)")
        }
        // Reading checks every stated point against the share (see `ParsedShare.init(reading:)`).
        switch share.curve {
        case .secp256k1:
            return CustodianWebhook(
                body: webhook, share: .secp256k1(try ParsedShare(reading: ShareParser.read(share, as: Secp256k1.self))))
        case .ed25519:
            return CustodianWebhook(
                body: webhook, share: .ed25519(try ParsedShare(reading: ShareParser.read(share, as: Ed25519.self))))
        }
    }

    private func prepareCustodian<C: Curve>(_ webhook: WebhookBody, _ parsed: ParsedShare<C>)
        -> PreparedCustodianShare
    {
        let method = webhook.backupMethod.on(C.id)
        let record = custodianRecord(parsed, shareText: webhook.share, clientId: webhook.clientId, method: method)
        let (clientId, publicKey, layout) = (webhook.clientId, parsed.publicKey.encoded, parsed.layout)
        let delivery = CustodianShareDelivery(
            clientId: clientId, curve: C.id, publicKey: publicKey, method: method.withoutCurve, record: record,
            otherDigests: otherDigests(parsed, shareText: webhook.share), at: Date()
        ) { pairId, replaced in
            AuditEntry.custodianShareStored(
                clientId: clientId, curve: C.id, method: method.withoutCurve, layout: layout, publicKey: publicKey,
                pairId: pairId, replaced: replaced)
        }
        return PreparedCustodianShare(delivery: delivery, layout: layout, backupSharePairId: parsed.backupSharePairId)
    }

    /// The stored form: public material in the clear, the original share string sealed and digested under the
    /// keyring's sealing version.
    func custodianRecord<C: Curve>(
        _ parsed: ParsedShare<C>, shareText: SecureBytes, clientId: String, method: BackupMethod
    ) -> CustodianShareRecord {
        let (sealed, version, key) = keys.sealCustodianShare(shareText, clientId: clientId, method: method)
        return CustodianShareRecord(
            layout: parsed.layout, threshold: parsed.threshold, identifier: parsed.share.identifier.encodedPublicly,
            publicShare: parsed.publicShare.encoded, partnerIdentifier: parsed.partnerIdentifier?.encodedPublicly,
            partnerPublicShare: parsed.partnerPublicShare?.encoded, backupSharePairId: parsed.backupSharePairId,
            commitments: parsed.commitments?.points.map(\.encoded), sealedShare: sealed,
            shareDigest: Self.contentDigest(parsed, key: key), keyVersion: version)
    }

    /// The digests a copy of this share already in the vault may carry besides the sealing version's: its
    /// content digest under the keyring's other versions (a rekey runs), and the first release's digest of the
    /// share's bytes, which only rows sealed before key versions carry, made with version 1's key (held until the
    /// first rekey moves those rows, and their digests, to version 2).
    func otherDigests<C: Curve>(_ parsed: ParsedShare<C>, shareText: SecureBytes) -> [[UInt8]] {
        keys.digestKeys.dropFirst().map { Self.contentDigest(parsed, key: $0) }
            + (keys.key(version: 1).map { [Self.legacyDigest(shareText: shareText, key: $0)] } ?? [])
    }

    /// A share's content, keyed with the vault key: its curve, identifier, scalar and public key. A re-serialised
    /// copy (other whitespace, key order, case or encoding of the same numbers) has the same digest, so a share
    /// the vault already holds, live or in history, is found without opening anything.
    static func contentDigest<C: Curve>(_ parsed: ParsedShare<C>, key: SecureBytes) -> [UInt8] {
        contentDigest(parsed.share, publicKey: parsed.publicKey.encoded, key: key)
    }

    /// The content digest of a share and the key it is of, in its canonical encoding (see
    /// `contentDigest(_:key:)`).
    static func contentDigest<C: Curve>(_ share: Share<C>, publicKey: [UInt8], key: SecureBytes) -> [UInt8] {
        var hasher = Blake2b(key: key)
        hasher.update(Array("sharevault share content v1".utf8))
        hasher.update(Array(C.id.rawValue.utf8))
        hasher.update(share.identifier.encodedPublicly)
        share.value.withEncoding { hasher.update(UnsafeRawBufferPointer($0)) }
        hasher.update(publicKey)
        return hasher.finalize()
    }

    /// The digest the first release stored: keyed BLAKE2b of the share string's bytes. Rows it wrote keep it, so
    /// a delivery repeated after an upgrade is still known.
    static func legacyDigest(shareText: SecureBytes, key: SecureBytes) -> [UInt8] {
        var hasher = Blake2b(key: key)
        hasher.update(secret: shareText)
        return hasher.finalize()
    }

    /// Opens a stored custodian share with the key version that sealed it.
    package func openCustodianShare(_ pair: StoredPair) throws(SealingError) -> SecureBytes {
        try keys.openCustodianShare(
            pair.custodian.sealedShare, version: pair.custodian.keyVersion, clientId: pair.identity.clientId,
            method: pair.identity.method.on(pair.identity.curve))
    }

    /// Takes the client's encrypted backup (the `cipherText` as uploaded, or `{"cipherText": ...}`) for a method:
    /// one ciphertext serves the client's live pairs of that method on every curve (only the method's curve when
    /// it names one), which move to STORED_CLIENT_BACKUP_SHARE_KEY. Any non-empty printable-ASCII text up to the
    /// limit is stored byte for byte, whatever its format: Portal's is closed. Only a text in sharevault's own
    /// format must parse as one, and a PASSWORD backup must then be password-encrypted.
    public func ingestClient(clientId: String, method: BackupMethod, body: Data) async throws -> [PairIdentity] {
        try ClientID.validate(clientId)
        return try await ingestClient(clientId: clientId, method: method, cipherText: try Self.uploadedCipherText(body))
    }

    /// The ciphertext of an upload given as a body: `{"cipherText": ...}`, or the bare text (the line break a
    /// file ends with is not part of it).
    package static func uploadedCipherText(_ body: Data) throws(DocumentError) -> String {
        guard body.count <= ClientCiphertextText.maximumLength + 1024 else {
            throw .tooLarge(limit: ClientCiphertextText.maximumLength, actual: body.count)
        }
        let first = body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard first == UInt8(ascii: "{") else {
            return String(String(decoding: body, as: UTF8.self).trimmingASCIIWhitespace)
        }
        let upload = try StrictJSON.parse(body)
        switch upload["cipherText"] {
        case nil: throw .missingField("cipherText")
        case .string(let text)?: return text
        default: throw .wrongType(field: "cipherText", expected: "a string")
        }
    }

    /// Takes a client ciphertext given as its text, exactly as uploaded (the intake's `cipherText` field): a text
    /// that happens to look like JSON is a ciphertext like any other.
    public func ingestClient(clientId: String, method: BackupMethod, cipherText: String) async throws -> [PairIdentity]
    {
        try ClientID.validate(clientId)
        try ClientCiphertextText.validate(cipherText)
        if let parsed = try ClientBackupCiphertext.readIfClaimed(cipherText), method.usesPassword,
            case .storedKey = parsed.keySource
        {
            throw VaultError.notPasswordEncrypted
        }
        let length = cipherText.utf8.count
        return try await store.storeClientBackup(
            clientId: clientId, method: method, cipherText: cipherText, at: Date()
        ) { AuditEntry.clientCiphertextStored(clientId: clientId, method: method, length: length, $0) }
    }

    /// The app's notice that the client backup is stored: the method's pairs that have it become completed.
    public func confirm(clientId: String, method: BackupMethod) async throws -> [PairIdentity] {
        try ClientID.validate(clientId)
        return try await store.confirmClientBackup(clientId: clientId, method: method, at: Date()) {
            AuditEntry.confirmed(clientId: clientId, method: method, $0)
        }
    }
}

/// What the intake accepts as a client ciphertext: any non-empty printable ASCII up to the body limit.
package enum ClientCiphertextText {
    package static let maximumLength = 64 * 1024

    package static func validate(_ text: String) throws(DocumentError) {
        guard !text.isEmpty else { throw .empty }
        guard text.utf8.count <= maximumLength else { throw .tooLarge(limit: maximumLength, actual: text.utf8.count) }
        guard text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
            throw .outOfRange(field: "cipherText", detail: "not printable ASCII")
        }
    }
}

extension Scalar {
    /// The encoding of a scalar that is public by its role (an identifier).
    var encodedPublicly: [UInt8] { withEncoding { Array($0) } }
}
