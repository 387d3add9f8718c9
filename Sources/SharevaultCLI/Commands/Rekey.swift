import ArgumentParser
import Foundation
import ShareVault
import ShareVaultPostgres

extension SharevaultCommand {
    /// `sharevault rekey`: every custodian share moved to a new vault key, resumable, audited.
    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every custodian share under a new vault key, then retire the current one.",
            discussion: """
                Open the vault with its current key (--vault-key, or --key-share for an officers' quorum) and name \
                the new key: --new-vault-key FILE writes a new key file (wrapped with --new-passphrase-file), or \
                --new-key-shares N --new-key-threshold T --officer-dir DIR deals a new officers' quorum. The rekey \
                records the new key in the vault sealed under the current one, so every process that holds the \
                current key (a running `sharevault serve`) reads both and seals new shares under the new one: the \
                intake keeps running. Shares, live and in history, are re-sealed in batches, each a transaction; \
                stopped at any point, `sharevault rekey` with the current key and no new key takes it up where it \
                stood. It ends (no sooner than --settle seconds after it began, so that every running intake holds \
                the new key) once no share is left under the old key: the new key is current, the old one retired. \
                An audit event records the start and the end. A rekey to a key file does not end while that file \
                is gone. Exit status 0 when it ends, 2 for bad usage (no new key named and none in progress, a new \
                key file that exists), 3 for a key that is not the vault's current one, a rekey already in \
                progress to another key, or a new key file gone.
                """
        )

        @OptionGroup var vault: VaultOptions
        @OptionGroup var newKey: NewKeyOptions
        @OptionGroup var output: OutputOptions

        @Option(
            help: "Hold the end until this many seconds after the rekey began, for running intakes to take the new key."
        )
        var settle: Double = 10

        @Option(help: "Shares re-sealed per transaction.")
        var batchSize: Int = Vault.rekeyBatchSize

        func validate() throws {
            guard settle >= 0, settle <= 3600 else { throw ValidationError("--settle must be 0 to 3600 seconds") }
            guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 100000") }
        }

        func run() async throws {
            let opened = try await vault.open(needsKey: true)
            let report = try await opened.rekey(
                to: try newKey.makeNewKey(), batchSize: batchSize, settle: .milliseconds(Int(settle * 1000)),
                progress: ProgressLine("rekey").handler)
            if output.json {
                try Terminal.printJSON(report)
            } else {
                print(
                    "rekey \(report.resumed ? "resumed and " : "")finished: key version \(report.fromVersion) -> "
                        + "\(report.toVersion), \(report.resealed) custodian shares re-sealed by this run in "
                        + String(format: "%.1f s", report.seconds))
                print("the old key is retired: keep the new one safe, and destroy the old one once backups of it are")
            }
        }
    }
}

/// Where a rekey's new key goes: a key file, or (with the officers' options) a new quorum.
struct NewKeyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A new vault key file to write (never replacing one).", valueName: "file"))
    var newVaultKey: String?

    @Option(help: "A file holding the passphrase that wraps the new vault key.")
    var newPassphraseFile: String?

    @Option(help: "Split the new vault key among this many officers (with --new-key-threshold and --officer-dir).")
    var newKeyShares: Int?

    @Option(help: "How many officers' shares unlock the new vault key.")
    var newKeyThreshold: Int?

    @OptionGroup var officers: OfficerDealOptions

    /// The new key as the options name it; nil when none is named (a rekey in progress is taken up).
    func makeNewKey() throws -> NewVaultKey? {
        if newKeyShares != nil || newKeyThreshold != nil || officers.isUsed {
            guard newVaultKey == nil, newPassphraseFile == nil else {
                throw ValidationError("give --new-vault-key or --new-key-shares, not both")
            }
            guard let newKeyShares, let newKeyThreshold else {
                throw ValidationError("--new-key-shares N and --new-key-threshold T go together")
            }
            let deal = try officers.deal(count: newKeyShares, flag: "--new-key-shares")
            return .officers(
                threshold: newKeyThreshold, officers: deal.officers, directory: deal.directory, wraps: deal.wraps)
        }
        guard let newVaultKey else {
            if newPassphraseFile != nil { throw ValidationError("--new-passphrase-file needs --new-vault-key") }
            return nil
        }
        return .file(
            at: newVaultKey,
            passphrase: try Secrets.read(file: newPassphraseFile, environment: "SHAREVAULT_NEW_PASSPHRASE"))
    }
}
