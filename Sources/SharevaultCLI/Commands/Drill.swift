import ArgumentParser
import ShareVault

extension SharevaultCommand {
    /// `sharevault drill`: recovery drills, proved by a signature.
    struct Drill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recover pairs in memory and prove each with a threshold signature the curve's verifier accepts.",
            discussion: """
                Each pair is re-shared in memory and the new shares jointly sign a fresh random challenge (FROST: \
                BIP-340 on secp256k1, verified by libsecp256k1; Ed25519 on ed25519, verified by libsodium) under \
                the wallet's key. Only the drill's result (time, outcome, duration) is kept, in the vault and the \
                audit log. Exits 1 when any drill failed.
                """
        )

        @Option(help: "Drill this client's pairs.")
        var clientId: String?

        @Option(help: "Drill N pairs picked at random (a nightly job).")
        var sample: Int?

        @Flag(help: "Drill every live pair.")
        var all = false

        @OptionGroup var keys: KeyStoreOptions
        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            let chosen = [clientId != nil, sample != nil, all].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("give exactly one of --client-id, --sample N or --all") }
            if let sample, sample < 1 { throw ValidationError("--sample must be at least 1") }
            guard keys.given else {
                throw ValidationError(
                    "drill needs --key-store DIR, --password-file F or --client-decrypt-command 'PROGRAM ARG...'")
            }
        }

        func run() async throws {
            let selection: DrillSelection = clientId.map { .client($0) } ?? sample.map { .sample($0) } ?? .all
            let summary = try await vault.open(needsKey: true).drill(
                selection, keyStores: try keys.stores(), progress: ProgressLine("drill").handler)
            if output.json {
                try Terminal.printJSON(summary)
            } else {
                for outcome in summary.outcomes.prefix(50) {
                    let result = outcome.problem.map { "FAILED: \($0.rawValue)" } ?? "passed"
                    print(
                        "\(outcome.clientId) \(outcome.curve) \(outcome.method): \(result) (\(outcome.milliseconds) ms)"
                    )
                }
                print("drills: \(summary.drilled) drilled, \(summary.passed) passed, \(summary.failed) failed")
                for (reason, count) in summary.failedByReason.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    print("  \(reason.rawValue): \(count)")
                }
            }
            if !summary.allPassed { throw CommandFailure(status: .problemFound, message: "") }
        }
    }
}
