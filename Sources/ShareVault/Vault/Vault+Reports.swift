import Foundation
import ShareMath

extension Vault {
    /// Streams live pairs (optionally only completed or incomplete ones) without loading the vault.
    public func forEachPair(completed: Bool? = nil, _ body: (PairSummary) throws -> Void) async throws {
        try await store.forEachLivePair(completed: completed, body)
    }

    /// One client in full, public material only.
    public func inspect(clientId: String) async throws -> ClientDetail {
        guard let detail = try await store.clientDetail(clientId: clientId) else {
            throw VaultError.unknownClient(clientId)
        }
        return detail
    }

    /// Streams the audit log in order.
    public func forEachAuditEvent(_ body: (AuditEvent) throws -> Void) async throws {
        try await store.forEachAuditEvent(body)
    }

    /// Checks the audit chain and names the first bad link: its structure, and its MACs when the vault was opened
    /// with its key. With `head` (an exported head, which needs the key), the chain must still hold the head's
    /// event unchanged: a vault rolled back to an older copy, cut short or rewritten fails.
    public func verifyAuditLog(expecting head: AuditHead? = nil) async throws -> AuditVerification {
        if let head {
            // A head exported before a rekey carries the MAC of an older version's audit key.
            let macs = keys.auditKeys.values.map { $0.headMAC(events: head.events, hash: head.hash) }
            guard macs.contains(where: { AuditKey.matches(head.mac, $0) }) else {
                throw VaultError.auditHeadNotFromThisVault
            }
        }
        return try await store.verifyAuditLog(expecting: head)
    }

    /// The chain's head, with a MAC under the vault's audit key, to keep off the machine; nil (with the
    /// verification that failed) when the chain does not hold, since a head would vouch for a broken chain.
    public func exportAuditHead() async throws -> (head: AuditHead?, verification: AuditVerification) {
        let verification = try await store.verifyAuditLog(expecting: nil)
        guard verification.isIntact else { return (nil, verification) }
        // The head is sealed with the audit key of the version the chain ends under, as the vault records it.
        let auditKey = try keys.auditKey(version: verification.keyVersion)
        return (AuditHead(events: Int64(verification.events), hash: verification.headHash, key: auditKey), verification)
    }
}
