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
        switch await answer(within: timeout, { try await store.metadata("auditCount") }) {
        case .success?: return .ready
        case .failure(let error)?: return .notReady(reason: "the store did not answer: \(error)")
        case nil: return .notReady(reason: "the store did not answer within \(timeout)")
        }
    }
}

/// `body`'s result, or nil when it has not finished within `timeout`. The loser of the race is cancelled: a late
/// `body` (a PostgreSQL pool waiting for a connection to a server that is gone ends its wait when cancelled) is not
/// awaited, only told to stop, so probes do not pile up behind an unreachable store.
package func answer<T: Sendable>(
    within timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async -> Result<T, any Error>? {
    let first = OneAnswer<Result<T, any Error>?>()
    return await withCheckedContinuation { continuation in
        first.set(continuation)
        let work = Task {
            do {
                first.give(.success(try await body()))
            } catch {
                first.give(.failure(error))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            first.give(nil)
            work.cancel()
        }
        first.onAnswer { timer.cancel() }
    }
}

/// A continuation resumed by whichever of several racers answers first; the others' answers are dropped.
private final class OneAnswer<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    private let answered = Mutex<(done: Bool, then: [@Sendable () -> Void])>((false, []))

    func give(_ value: Value) {
        let given = continuation.withLock { continuation -> Bool in
            guard let waiting = continuation else { return false }
            waiting.resume(returning: value)
            continuation = nil
            return true
        }
        guard given else { return }
        for action in answered.withLock({ state -> [@Sendable () -> Void] in
            state.done = true
            defer { state.then = [] }
            return state.then
        }) {
            action()
        }
    }

    /// Runs `action` once an answer has been given (at once if one has).
    func onAnswer(_ action: @escaping @Sendable () -> Void) {
        let now = answered.withLock { state -> Bool in
            if state.done { return true }
            state.then.append(action)
            return false
        }
        if now { action() }
    }
}
