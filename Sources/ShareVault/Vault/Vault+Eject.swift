import Foundation
import ShareMath

/// A private key exported from a pair, in the chain's usual form.
public struct EjectedKey: Sendable {
    public let clientId: String
    public let curve: CurveID
    public let publicKey: String
    public let address: String
    /// secp256k1: 32-byte big-endian hex; ed25519: the 32-byte little-endian scalar in base58. A secret.
    public let privateKey: String
}

extension Vault {
    /// Leaves MPC: interpolates the pair at 0 to the private key, checks it against the wallet's public key,
    /// and returns it for printing. Always audited (the event names the wallet, never the key).
    public func eject(clientId: String, method: BackupMethod, keyStores: BackupKeyStores) async throws -> EjectedKey {
        let pair = try await store.livePair(clientId: clientId, method: method)
        let (secretText, address): (String, String)
        switch pair.identity.curve {
        case .secp256k1:
            let key = try privateKey(pair, on: Secp256k1.self, keyStores: keyStores)
            secretText = key.withEncoding { Hex.encode($0) }
            address = try WalletAddress.address(curve: .secp256k1, publicKey: pair.publicKey)
        case .ed25519:
            let key = try privateKey(pair, on: Ed25519.self, keyStores: keyStores)
            secretText = key.withEncoding { Base58.encode($0) }
            address = try WalletAddress.address(curve: .ed25519, publicKey: pair.publicKey)
        }
        try await store.appendAudit(
            AuditEntry(
                kind: .eject, clientId: clientId,
                detail: [
                    "curve": pair.identity.curve.rawValue, "method": pair.identity.method.name,
                    "pairId": String(pair.identity.pairId), "publicKey": Hex.encode(pair.publicKey),
                ]), at: Date())
        logger.warning("private key exported", metadata: ["client": "\(clientId)", "curve": "\(pair.identity.curve)"])
        return EjectedKey(
            clientId: clientId, curve: pair.identity.curve, publicKey: Hex.encode(pair.publicKey), address: address,
            privateKey: secretText)
    }

    private func privateKey<C: Curve>(_ pair: StoredPair, on curve: C.Type, keyStores: BackupKeyStores) throws
        -> Scalar<C>
    {
        let opened = try openPair(pair, on: C.self, keyStores: keyStores)
        let key = try Shamir<C>.combine(opened.shares, threshold: 2)
        guard C.baseMultiply(key) == opened.publicKey else { throw PairProblem.pairDoesNotInterpolate }
        return key
    }
}
