import Foundation
import ShareMath

/// What ingesting a custodian share did, in public terms.
public struct CustodianIngestReport: Sendable, Encodable {
    public let clientId: String
    public let curve: CurveID
    public let method: String
    public let layout: ShareLayout
    public let publicKey: String
    public let pairId: Int64
    /// `stored`, `replaced` (an older live pair went to history) or `duplicate` (nothing changed).
    public let outcome: String
    public let replacedPairId: Int64?
}

extension Vault {
    /// Takes a webhook body `{clientId, share, backupMethod}`: checks what it can without secrets, seals
    /// the share string under the vault key and stores it as the live pair for the client and method.
    ///
    /// - Throws: `DocumentError` or `VaultError` for a body that is malformed or contradicts the vault;
    ///   nothing is written then.
    public func ingestCustodian(_ body: Data, progress: ProgressHandler? = nil) throws -> CustodianIngestReport {
        progress?(.readingShare, 0, 1)
        let webhook = try WebhookBody.parse(body)
        progress?(.parsingShare, 0, 1)
        switch webhook.backupMethod.curve ?? .secp256k1 {
        case .secp256k1: return try ingestCustodian(webhook, on: Secp256k1.self, progress: progress)
        case .ed25519: return try ingestCustodian(webhook, on: Ed25519.self, progress: progress)
        }
    }

    private func ingestCustodian<C: Curve>(
        _ webhook: WebhookBody, on curve: C.Type, progress: ProgressHandler?
    ) throws -> CustodianIngestReport {
        let parsed = try ShareParser.parse(Data(webhook.share.utf8), as: C.self)
        if let commitments = parsed.commitments {
            guard commitments.publicKey == parsed.publicKey, commitments.verify(parsed.share) else {
                throw VaultError.contradiction("the share does not verify against its own commitments")
            }
        }
        progress?(.encryptingShare, 0, 1)
        let record = custodianRecord(
            parsed, shareText: webhook.share, clientId: webhook.clientId, method: webhook.backupMethod)
        progress?(.storingShare, 0, 1)
        let outcome = try store.storeCustodianShare(
            clientId: webhook.clientId, curve: C.id, publicKey: parsed.publicKey.encoded,
            method: webhook.backupMethod.name, record: record, at: VaultClock.now())
        progress?(.done, 1, 1)
        let report: CustodianIngestReport
        switch outcome {
        case .stored(let pairId, let replaced):
            report = CustodianIngestReport(
                clientId: webhook.clientId, curve: C.id, method: webhook.backupMethod.description, layout: parsed.layout,
                publicKey: Hex.encode(parsed.publicKey.encoded), pairId: pairId,
                outcome: replaced == nil ? "stored" : "replaced", replacedPairId: replaced)
        case .duplicate(let pairId):
            report = CustodianIngestReport(
                clientId: webhook.clientId, curve: C.id, method: webhook.backupMethod.description, layout: parsed.layout,
                publicKey: Hex.encode(parsed.publicKey.encoded), pairId: pairId, outcome: "duplicate",
                replacedPairId: nil)
        }
        logger.info(
            "custodian share ingested",
            metadata: ["client": "\(webhook.clientId)", "method": "\(webhook.backupMethod)", "outcome": "\(report.outcome)"])
        return report
    }

    /// The stored form: public material in the clear, the original share string sealed and digested.
    func custodianRecord<C: Curve>(
        _ parsed: ParsedShare<C>, shareText: String, clientId: String, method: BackupMethod
    ) -> CustodianShareRecord {
        let plaintext = SecureBytes(copying: Array(shareText.utf8))
        let sealed = XChaCha20Poly1305.seal(
            plaintext, key: key, associatedData: Self.custodianAssociatedData(clientId: clientId, method: method))
        let digest = key.withUnsafeBytes { keyBytes in
            plaintext.withUnsafeBytes { Blake2b.hash([Array($0)], key: Array(keyBytes)) }
        }
        return CustodianShareRecord(
            layout: parsed.layout, threshold: parsed.threshold, identifier: parsed.share.identifier.encodedPublicly,
            publicShare: parsed.publicShare.encoded, partnerIdentifier: parsed.partnerIdentifier?.encodedPublicly,
            commitments: parsed.commitments?.points.map(\.encoded), sealedShare: sealed, shareDigest: digest)
    }

    /// Binds a sealed custodian share to its client and method (the method with its curve).
    static func custodianAssociatedData(clientId: String, method: BackupMethod) -> [UInt8] {
        Array("sharevault custodian share v1\u{0}\(clientId)\u{0}\(method)".utf8)
    }

    /// Takes the client's encrypted backup share (base64 `cipherText`, or `{"cipherText": ...}`): its header is
    /// checked, and the pair moves to STORED_CLIENT_BACKUP_SHARE_KEY.
    public func ingestClient(clientId: String, method: String, body: Data) throws -> PairSummary {
        try ClientID.validate(clientId)
        let parsedMethod = try BackupMethod(parsing: method)
        guard body.count <= ClientBackupCiphertext.maximumTextLength + 1024 else {
            throw DocumentError.tooLarge(limit: ClientBackupCiphertext.maximumTextLength, actual: body.count)
        }
        let text = String(String(decoding: body, as: UTF8.self).trimmingASCIIWhitespace)
        let cipherText: String
        if text.hasPrefix("{") {
            struct Upload: Decodable { var cipherText: String? }
            guard let value = try RawShareDocument.decode(Upload.self, from: Data(text.utf8)).cipherText else {
                throw DocumentError.missingField("cipherText")
            }
            cipherText = value
        } else {
            guard !text.isEmpty else { throw DocumentError.empty }
            cipherText = text
        }
        let parsed = try ClientBackupCiphertext(text: cipherText)
        if parsedMethod.usesPassword, case .storedKey = parsed.keySource {
            throw VaultError.contradiction("method PASSWORD needs a password-encrypted client backup")
        }
        return try store.storeClientBackup(
            clientId: clientId, method: parsedMethod, cipherText: parsed.text, at: VaultClock.now())
    }

    /// The app's notice that the client backup share is stored: the pair becomes completed.
    public func confirm(clientId: String, method: String) throws -> PairSummary {
        try ClientID.validate(clientId)
        return try store.confirmClientBackup(
            clientId: clientId, method: try BackupMethod(parsing: method), at: VaultClock.now())
    }
}

extension Scalar {
    /// The encoding of a scalar that is public by its role (an identifier).
    var encodedPublicly: [UInt8] { withEncoding { Array($0) } }
}
