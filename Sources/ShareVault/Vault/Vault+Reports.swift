import Foundation
import ShareMath

extension Vault {
    /// Streams live pairs (optionally only completed or incomplete ones) without loading the vault.
    public func forEachPair(completed: Bool? = nil, _ body: (PairSummary) throws -> Void) throws {
        try store.forEachLivePair(completed: completed, body)
    }

    /// One client in full, public material only.
    public func inspect(clientId: String) throws -> ClientDetail {
        guard let detail = try store.clientDetail(clientId: clientId) else { throw VaultError.unknownClient(clientId) }
        return detail
    }

    /// Streams the audit log in order.
    public func forEachAuditEvent(_ body: (AuditEvent) throws -> Void) throws {
        try store.forEachAuditEvent(body)
    }

    /// Checks the audit chain; names the first bad link.
    public func verifyAuditLog() throws -> AuditVerification {
        try store.verifyAuditLog()
    }
}
