import Logging
import ServiceLifecycle
import ShareVault

/// Takes the vault's key state every few seconds, so that a running intake joins a rekey another process began
/// (it then reads both key versions and seals under the new one) and moves to the new key when the rekey ends,
/// even when no delivery arrives meanwhile. `rekey` holds its end for longer than this interval (`--settle`).
struct KeyStateWatch: Service {
    let vault: Vault
    let logger: Logger
    /// How often the key state is read.
    static let interval = Duration.seconds(2)

    func run() async throws {
        // Stops at the graceful shutdown, as the listeners do.
        try await cancelWhenGracefulShutdown { await watch() }
    }

    private func watch() async {
        var reported = false
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: Self.interval)
            } catch {
                return
            }
            do {
                try await vault.refreshKeys()
                reported = false
            } catch {
                // Said once per spell: a store that is down is /readyz's to report, a key out of reach too.
                if !reported { logger.error("cannot take the vault's key state", metadata: ["error": "\(error)"]) }
                reported = true
            }
        }
    }
}
