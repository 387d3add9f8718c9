import Foundation
import Synchronization

/// Whether a vault can take deliveries now (the intake's `/readyz`).
public enum VaultReadiness: Sendable, Equatable {
    case ready
    /// Why not, in words for an operator: never a secret.
    case notReady(reason: String)
}

extension Vault {
    /// Ready when the vault key is loaded and the store answers a read within `timeout`. The read is not awaited
    /// past the timeout: a PostgreSQL pool whose server is gone may keep retrying its connections, and the probe
    /// answers anyway.
    public func readiness(within timeout: Duration) async -> VaultReadiness {
        guard vaultKey != nil else { return .notReady(reason: "the vault key is not loaded") }
        let store = store
        let answer = OneAnswer<VaultReadiness>()
        return await withCheckedContinuation { continuation in
            answer.set(continuation)
            Task {
                do {
                    _ = try await store.metadata("auditCount")
                    answer.give(.ready)
                } catch {
                    answer.give(.notReady(reason: "the store did not answer: \(error)"))
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                answer.give(.notReady(reason: "the store did not answer within \(timeout)"))
            }
        }
    }
}

/// A continuation resumed by whichever of several racers answers first; the others' answers are dropped.
private final class OneAnswer<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func give(_ value: Value) {
        continuation.withLock { continuation in
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}
