import Foundation
import ShareMath

extension Vault {
    /// The client's live custodian share strings, byte for byte as the webhook delivered them (`/backup/fetch`), in
    /// guarded memory.
    public func custodianShares(clientId: String) async throws -> [SecureBytes] {
        try ClientID.validate(clientId)
        let pairs = try await store.livePairs(after: 0, limit: Int.max, clientId: clientId)
        if pairs.isEmpty, try await store.clientDetail(clientId: clientId) == nil {
            throw VaultError.unknownClient(clientId)
        }
        return try pairs.map { pair in try openCustodianShare(pair) }
    }

    /// The client's stored ciphertext for a method (on any curve), for the app to recover with (nil when none is
    /// stored).
    public func clientCipherText(clientId: String, method: BackupMethod) async throws -> String? {
        try ClientID.validate(clientId)
        let pairs = try await store.livePairs(after: 0, limit: Int.max, clientId: clientId).filter {
            $0.identity.method.name == method.name && (method.curve == nil || $0.identity.curve == method.curve)
        }
        guard !pairs.isEmpty else {
            if try await store.clientDetail(clientId: clientId) == nil { throw VaultError.unknownClient(clientId) }
            throw VaultError.noBackupPair(clientId: clientId, method: method.description)
        }
        // One ciphertext serves the method's pairs on every curve; the newest is the live one.
        return pairs.filter { $0.cipherText != nil }.max {
            ($0.clientCiphertextId ?? 0) < ($1.clientCiphertextId ?? 0)
        }?.cipherText
    }
}
