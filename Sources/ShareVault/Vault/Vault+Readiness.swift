import Foundation
import Synchronization

/// Whether a vault can take deliveries now (the intake's `/readyz`).
public enum VaultReadiness: Sendable, Equatable {
    case ready
    /// Why not, in words for an operator: never a secret.
    case notReady(reason: String)
}

extension Vault {
    /// Ready when the vault key is loaded, the store answers a read within `timeout`, and the vault's key is one
    /// this process holds. The read is the vault's key state, which the probe takes (a rekey begun is joined, one
    /// ended moves this process to the new key). It is not awaited past the timeout: a PostgreSQL pool whose
    /// server is gone may keep retrying its connections, and the probe answers anyway.
    public func readiness(within timeout: Duration) async -> VaultReadiness {
        guard let keyring else { return .notReady(reason: "the vault key is not loaded") }
        let stale = VaultReadiness.notReady(
            reason: "the vault was rekeyed to a key this process does not hold: restart it with the new key")
        if keyring.isStale { return stale }
        switch await answer(within: timeout, { try await self.refreshKeys() }) {
        case .success?: return .ready
        case .failure(VaultError.keyringStale)?: return stale
        case .failure(let error)?: return .notReady(reason: "the store did not answer: \(error)")
        case nil: return .notReady(reason: "the store did not answer within \(timeout)")
        }
    }
}

/// `body`'s result, or nil when it has not finished within `timeout`; the intake's readiness probe, its metrics'
/// store read and its body timeout. The loser of the race is cancelled but not awaited: a late `body` (a PostgreSQL
/// pool waiting for a connection to a server that is gone, a body stream waiting for bytes that may only end with
/// the connection) is told to stop, and the answer does not wait for it to notice.
package func answer<T: Sendable>(
    within timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    await withCheckedContinuation { continuation in
        let first = FirstAnswer<Result<T, any Error>?>(continuation)
        let work = Task {
            do {
                first.give(.success(try await body()))
            } catch {
                first.give(.failure(error))
            }
        }
        first.startTimer {
            try? await Task.sleep(for: timeout)
            if first.give(nil) { work.cancel() }
        }
    }
}

/// A continuation resumed by the first of two racers to answer (the other's answer is dropped), and the timer
/// that is one of them, cancelled when the other answers first.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private let state: Mutex<(waiting: CheckedContinuation<Value, Never>?, timer: Task<Void, Never>?)>

    init(_ continuation: CheckedContinuation<Value, Never>) {
        state = Mutex((continuation, nil))
    }

    /// Answers `value` unless an answer has been given; true for the first. The timer goes with the answer.
    @discardableResult
    func give(_ value: Value) -> Bool {
        let (waiting, timer) = state.withLock { state in
            defer { state = (nil, nil) }
            return state
        }
        guard let waiting else { return false }
        waiting.resume(returning: value)
        timer?.cancel()
        return true
    }

    /// Starts the timer; one started after the answer has been given is cancelled at once.
    func startTimer(_ body: @escaping @Sendable () async -> Void) {
        let timer = Task(operation: body)
        let answered = state.withLock { state in
            if state.waiting != nil { state.timer = timer }
            return state.waiting == nil
        }
        if answered { timer.cancel() }
    }
}
