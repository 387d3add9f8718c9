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
                is gone or no longer holds the new key, and a rekey to officers not while fewer than the threshold \
                of their files are whole share files of the new dealing.

                --abort abandons the rekey in progress instead: every process seals under the current key again at \
                once, shares already sealed under the new key are moved back (in batches; stopped, run it again), \
                and the new key's files are removed when they are shown to hold it (a wrapped key file is kept, and \
                named). The vault stays at its current key and the abandoned version is never used again (the next \
                rekey moves past it); audit events record the abort's start and end. A rekey stopped by a damaged \
                share can always be aborted.

                Exit status 0 when the rekey (or the abort) ends, 2 for bad usage (no new key named and none in \
                progress, a new key file that exists, --abort with a new key or with no rekey in progress), 3 for a \
                key that is not the vault's current one, a rekey already in progress to another key or being \
                aborted, or a new key file gone.
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

        @Flag(help: "Abandon the rekey in progress: shares go back under the current key, the new key's files go.")
        var abort = false

        func validate() throws {
            guard settle >= 0, settle <= 3600 else { throw ValidationError("--settle must be 0 to 3600 seconds") }
            guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 100000") }
            if abort, newKey.isUsed { throw ValidationError("--abort takes no new key") }
        }

        func run() async throws {
            let opened = try await vault.open(needsKey: true)
            if abort {
                let report = try await opened.abortRekey(batchSize: batchSize, progress: ProgressLine("abort").handler)
                if output.json {
                    try Terminal.printJSON(report)
                } else {
                    print(
                        "rekey to key version \(report.abandonedVersion) \(report.resumed ? "abort resumed and " : "")"
                            + "aborted: the vault stays at key version \(report.keyVersion), \(report.resealed) "
                            + "custodian shares moved back by this run in " + String(format: "%.1f s", report.seconds))
                    for file in report.removedFiles { print("removed \(file)") }
                    for file in report.keptFiles {
                        print(
                            "kept \(file): wrapped, replaced or unreadable, so not shown to be the abandoned key's; "
                                + "destroy it yourself if it is")
                    }
                }
                return
            }
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

    /// Whether any new-key option was given.
    var isUsed: Bool {
        newVaultKey != nil || newPassphraseFile != nil || newKeyShares != nil || newKeyThreshold != nil
            || officers.isUsed
    }

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
