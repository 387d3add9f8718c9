import ArgumentParser
import Foundation
import ShareVault

extension SharevaultCommand {
    /// `sharevault verify`: nightly backup verification.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify backup pairs: structurally with no secret, or --deep with both halves opened.",
            discussion: """
                Structural checks: the pair is completed; identifiers, public shares and commitments decode and \
                agree with the wallet's key; the client ciphertext's header parses; the audit chain holds. With \
                --deep --key-store DIR (and --password-file for PASSWORD pairs) the custodian share is opened \
                with the vault key and the client share with its key, and the halves are checked against their \
                public material and, together, against the wallet's public key. Runs on every core and streams, \
                records each pair's last verified, and exits 1 when anything failed.
                """
        )

        @Option(help: "Verify only this client's pairs.")
        var clientId: String?

        @Flag(help: "Verify every live pair (the default when no --client-id is given).")
        var all = false

        @Flag(help: "Open both halves (needs the vault key and --key-store).")
        var deep = false

        @OptionGroup var keys: KeyStoreOptions
        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if all && clientId != nil { throw ValidationError("give --client-id or --all, not both") }
            if deep && keys.keyStore == nil && keys.passwordFile == nil {
                throw ValidationError("--deep needs --key-store DIR (and --password-file for PASSWORD pairs)")
            }
        }

        func run() async throws {
            let opened = try vault.open(needsKey: deep)
            let summary = try opened.verify(
                clientId: clientId, keyStores: deep ? try keys.stores() : nil, progress: ProgressLine("verify").handler)
            if output.json {
                try Terminal.printJSON(summary)
            } else {
                for failure in summary.failures.prefix(50) {
                    print("FAILED \(failure.clientId) \(failure.curve) \(failure.method) (pair \(failure.pairId)): "
                        + failure.problems.joined(separator: ", "))
                }
                if summary.failures.count > 50 { print("... and \(summary.failed - 50) more failures") }
                print("\(summary.deep ? "deep" : "structural") verification: \(summary.checked) checked, "
                    + "\(summary.passed) passed, \(summary.failed) failed")
                for (reason, count) in summary.failedByReason.sorted(by: { $0.key < $1.key }) {
                    print("  \(reason): \(count)")
                }
                print(summary.auditChainIntact ? "audit chain intact" : "audit chain BROKEN: \(summary.auditChainProblem ?? "")")
            }
            if !summary.allPassed { throw CommandFailure(status: .problemFound, message: "") }
        }
    }
}
