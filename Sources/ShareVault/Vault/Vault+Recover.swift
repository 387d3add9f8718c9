import Foundation
import ShareMath

/// A recovery worked out in memory and checked, not yet recorded: the new signing pair's two share
/// documents (secrets: written out by the caller, then `commitRecovery`).
public struct PreparedRecovery: Sendable {
    let pair: StoredPair
    /// The pair the recovery is made from.
    public var identity: PairIdentity { pair.identity }
    public let deviceShare: AnyShareDocument
    public let custodianShare: AnyShareDocument
    let record: SigningPairRecord
}

/// A recorded recovery.
public struct RecoveryReport: Sendable, Encodable {
    public let clientId: String
    public let curve: CurveID
    /// The method on the wallet's curve (`GDRIVE-SECP256K1`).
    public let method: BackupMethod
    public let publicKey: String
    public let generation: Int
}

extension Vault {
    /// Re-shares a backup pair into a new signing pair (same identifiers, fresh shares) without forming the
    /// key; the new public shares are checked to interpolate to the wallet's key before anything is returned.
    public func prepareRecovery(
        clientId: String, method: BackupMethod, keyStores: BackupKeyStores, progress: ProgressHandler? = nil
    ) async throws -> PreparedRecovery {
        progress?(.readingShare, 0, 1)
        let pair = try await store.livePair(clientId: clientId, method: method)
        switch pair.identity.curve {
        case .secp256k1: return try prepareRecovery(pair, on: Secp256k1.self, keyStores: keyStores, progress: progress)
        case .ed25519: return try prepareRecovery(pair, on: Ed25519.self, keyStores: keyStores, progress: progress)
        }
    }

    private func prepareRecovery<C: Curve>(
        _ pair: StoredPair, on curve: C.Type, keyStores: BackupKeyStores, progress: ProgressHandler?
    ) throws -> PreparedRecovery {
        progress?(.decryptingShare, 0, 1)
        let opened = try openPair(pair, on: C.self, keyStores: keyStores)
        progress?(.generatingShare, 0, 1)
        let dealing = try reshare(opened)
        let documents = ShareDocument.documents(for: dealing)
        let record = SigningPairRecord(
            generation: 0, status: .active, deviceIdentifier: documents[0].share.identifier.encodedPublicly,
            devicePublicShare: documents[0].publicShare.encoded,
            custodianIdentifier: documents[1].share.identifier.encodedPublicly,
            custodianPublicShare: documents[1].publicShare.encoded, createdAt: Date())
        return PreparedRecovery(
            pair: pair, deviceShare: Self.wrap(documents[0]), custodianShare: Self.wrap(documents[1]), record: record)
    }

    /// The pair re-shared 2-of-2 to the same identifiers (the client's becomes the device's), checked.
    func reshare<C: Curve>(_ opened: OpenedPair<C>) throws -> Dealing<C> {
        let dealing = try Dealing<C>.reshare(
            opened.shares, threshold: 2, publicKey: opened.publicKey,
            to: [opened.client.share.identifier, opened.custodian.share.identifier], newThreshold: 2)
        let interpolated = Lagrange<C>.interpolateAtZero(
            publicShares: dealing.shares.map { ($0.identifier, C.baseMultiply($0.value)) })
        guard interpolated == opened.publicKey, dealing.shares.allSatisfy(dealing.commitments.verify) else {
            throw PairProblem.pairDoesNotInterpolate
        }
        return dealing
    }

    static func wrap<C: Curve>(_ document: ShareDocument<C>) -> AnyShareDocument {
        if let typed = document as? ShareDocument<Secp256k1> { return .secp256k1(typed) }
        if let typed = document as? ShareDocument<Ed25519> { return .ed25519(typed) }
        preconditionFailure("a share document on a curve other than secp256k1 and ed25519")
    }

    /// Records the prepared signing pair as the wallet's next generation and revokes the older ones, in one
    /// transaction. The backup pair stays valid.
    public func commitRecovery(
        _ prepared: PreparedRecovery, progress: ProgressHandler? = nil
    ) async throws -> RecoveryReport {
        progress?(.storingShare, 0, 1)
        let pair = prepared.pair
        let generation = try await store.addSigningGeneration(for: pair, record: prepared.record, at: Date()) {
            AuditEntry.recovered(pair, generation: $0)
        }
        progress?(.done, 1, 1)
        logger.info(
            "recovered", metadata: ["client": "\(prepared.pair.identity.clientId)", "generation": "\(generation)"])
        return RecoveryReport(
            clientId: prepared.pair.identity.clientId, curve: prepared.pair.identity.curve,
            method: prepared.pair.identity.method.on(prepared.pair.identity.curve),
            publicKey: Hex.encode(prepared.pair.publicKey), generation: generation)
    }
}
