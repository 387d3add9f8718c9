import Logging
import ServiceLifecycle
import ShareVault

/// Takes the vault's key state every few seconds, so that a running intake joins a rekey another process began
/// (it then reads both key versions and seals under the new one) and moves to the new key when the rekey ends,
/// even when no delivery and no readiness probe (which takes it too) arrives meanwhile. `rekey` holds its end
/// for longer than this interval (`--settle`, 10 s by default). While deliveries are stored it reads nothing: each
/// one stored proves the process seals under the vault's version (the store refuses any other, and the intake
/// then takes the key state itself).
struct KeyStateWatch: Service {
    let vault: Vault
    let logger: Logger
    /// How often the key state is read.
    static let interval = Duration.seconds(5)

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
            if let keyring = vault.keyring, keyring.sinceConfirmed < Self.interval { continue }
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
