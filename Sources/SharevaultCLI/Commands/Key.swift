import ArgumentParser
import Foundation
import ShareVault
import ShareVaultPostgres

extension SharevaultCommand {
    /// `sharevault key`: the officers' ceremonies on a vault whose key is split among them.
    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Officers' key shares: prove each one works, or give the officers new shares of the same key.",
            discussion: """
                The officers' ceremony, step by step. (1) The operator and the officers meet; each officer who \
                wraps their share brings a passphrase file or an X25519 public key file (64 hex digits). (2) \
                `sharevault init --key-shares 5 --key-threshold 3 --officer-dir officers/ --officer alice ... \
                --officer-passphrase-file alice.pass ...` splits a fresh secret 3-of-5 (Shamir, with Feldman \
                commitments the vault keeps) and writes one file per officer, officers/NAME.share, mode 0600; the \
                vault key is derived from the secret and no key file is written. (3) Each officer takes their file \
                away; the operator removes the directory. (4) Each officer proves their share alone with `sharevault \
                key verify-shares --key-share alice.share --key-share-passphrase-file alice.pass`; run it with every \
                officer's file to prove all five work, and that together they unlock the vault's key. Each run is \
                audited. (5) Any three unlock the key where it is needed: `sharevault verify --custodian --all \
                --key-share alice.share --key-share bob.share --key-share carol.share` (with their passphrase \
                files), or `sharevault serve --key-shares-from-stdin`. Two exit 3 saying one more is needed; a \
                corrupted or foreign file is named. (6) An officer leaves or joins: `sharevault key reshare` gives \
                the new set new shares of the same key, and the old files are refused from then on. (7) To change \
                the key itself: `sharevault rekey --new-key-shares N --new-key-threshold T --officer-dir DIR`.
                """,
            subcommands: [Status.self, VerifyShares.self, Reshare.self])
    }
}

extension SharevaultCommand.Key {
    /// `sharevault key status`: the vault's key state, and where its custodian shares stand.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the vault's key state: its key version and key, retired versions, a rekey in progress.",
            discussion: """
                Reads only public rows and needs no key: the current key version and whether its key is a key file \
                or an officers' quorum (T-of-N, the officers, the quorum's fingerprint), the versions retired by \
                rekeys, a rekey in progress (to which version, since when, to which key, whether it is being \
                aborted) and how many custodian shares, live and in history, each key version seals, which shows \
                how far a rekey or an abort has gone. Exit status 0.
                """)

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let status = try await vault.open(needsKey: false).keyStatus()
            if output.json {
                try Terminal.printJSON(status)
                return
            }
            print("key version \(status.keyVersion): \(Self.describe(status.key))")
            if !status.retiredVersions.isEmpty {
                print("retired key versions: \(status.retiredVersions.map(String.init).joined(separator: ", "))")
            }
            if !status.abandonedVersions.isEmpty {
                print(
                    "abandoned key versions (aborted rekeys, never used again): "
                        + status.abandonedVersions.map(String.init).joined(separator: ", "))
            }
            let shares = status.sharesByKeyVersion.map { "\($0.shares) under version \($0.keyVersion)" }
            print("custodian shares: \(shares.isEmpty ? "none" : shares.joined(separator: ", "))")
            guard let rekey = status.rekey else {
                print("no rekey in progress")
                return
            }
            let left = status.sharesByKeyVersion.filter { $0.keyVersion != rekey.toVersion }.reduce(0) {
                $0 + $1.shares
            }
            if rekey.aborting {
                print(
                    "the rekey to key version \(rekey.toVersion) (begun \(rekey.startedAt)) is being aborted: "
                        + "\(status.sharesNotUnderCurrentVersion) shares still to move back; "
                        + "`sharevault rekey --abort` finishes it")
            } else {
                print(
                    "rekey to key version \(rekey.toVersion) in progress since \(rekey.startedAt), to "
                        + "\(Self.describe(rekey.newKey)): \(left) shares still to move; `sharevault rekey` with the "
                        + "current key takes it up, `sharevault rekey --abort` abandons it")
            }
            for file in rekey.newKeyFiles { print("  new key file: \(file)") }
        }

        static func describe(_ key: VaultKeyDescription) -> String {
            guard let quorum = key.quorum else { return "a key file" }
            return "an officers' quorum \(quorum) (\((key.officers ?? []).joined(separator: ", "))), fingerprint "
                + (key.fingerprint ?? "?")
        }
    }

    /// `sharevault key verify-shares`: each officer's share checked on its own, and together when a quorum is here.
    struct VerifyShares: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-shares",
            abstract: "Prove that officers' key shares work: each on its own, and together when enough are given.",
            discussion: """
                Each --key-share file is opened (with its officer's --key-share-passphrase-file or \
                --officer-secret-key) and its value checked against the quorum's Feldman commitments, which the \
                vault keeps: a share that passes lies on the polynomial that hides the key, so it will count in \
                any quorum, and this needs no other officer. When at least the threshold pass, they are also \
                combined and the key they give is checked against the vault's. Who was checked, and how it went, is \
                recorded in the audit chain. Officers can run it one at a time; run it with every officer's share \
                to prove all N work, not just T of them. Exit status 0 when every share given passed (and the \
                combined key, when checked, is the vault's), 1 when one did not (each is named), 3 for a vault whose \
                key is not split among officers.
                """)

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !vault.keyShares.isEmpty else {
                throw ValidationError("give --key-share FILE for each share to check")
            }
            guard vault.vaultKey == nil, vault.passphraseFile == nil else {
                throw ValidationError("verify-shares checks officers' shares: drop --vault-key and --passphrase-file")
            }
        }

        func run() async throws {
            let opened = try await vault.open(needsKey: false)
            let result = try await opened.verifyKeyShares(vault.keyShares, reader: try vault.officerSecrets.reader())
            if output.json {
                try Terminal.printJSON(result)
            } else {
                print("key quorum \(result.quorum) (\(result.fingerprint)):")
                for share in result.shares {
                    let who = share.officer.map { "\($0) (share \(share.identifier ?? 0))" } ?? "?"
                    print("  \(share.file): \(who): \(share.problem.map { "FAILED: \($0)" } ?? "sound")")
                }
                switch result.unlockPassed {
                case true?: print("together they unlock the vault's key")
                case false?: print("together they do NOT unlock the vault's key")
                case nil: print("fewer sound shares than the threshold: the combined key was not checked")
                }
            }
            if !result.allPassed { throw CommandFailure(status: .problemFound, message: "") }
        }
    }

    /// `sharevault key reshare`: new shares of the same key for a new set of officers.
    struct Reshare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the officers new shares of the same vault key (replace, add or remove officers).",
            discussion: """
                At least the threshold of the current officers give their --key-share files; sharevault re-shares \
                their shares to --new-key-shares N officers with threshold --new-key-threshold T (the secret is \
                never formed) and writes the new files in --officer-dir. The vault keeps the new quorum's record, \
                so the old shares are refused from then on, and records the change in the audit chain. The key \
                itself does not change: custodian shares are not touched. Old share files are still shares of the \
                same secret (the threshold of them still forms the key away from sharevault): destroy them, and \
                to remove an officer you no longer trust, rekey instead.
                """)

        @OptionGroup var vault: VaultOptions
        @OptionGroup var officers: OfficerDealOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "How many officers get new shares.")
        var newKeyShares: Int

        @Option(help: "How many of the new shares unlock the key.")
        var newKeyThreshold: Int

        func run() async throws {
            let deal = try officers.deal(count: newKeyShares, flag: "key reshare")
            guard !vault.keyShares.isEmpty else {
                throw ValidationError("give the current officers' --key-share files (at least the threshold)")
            }
            let shares = try vault.officerSecrets.reader().read(vault.keyShares)
            let opened = try await Vault.open(
                store: try vault.location(), key: .officerShares(shares), logger: .init(label: "sharevault"))
            let report = try await opened.reshareKeys(
                shares, threshold: newKeyThreshold, officers: deal.officers, directory: deal.directory,
                wraps: deal.wraps)
            if output.json {
                try Terminal.printJSON(report)
            } else {
                print("re-shared the vault key: \(report.fromQuorum) -> \(report.toQuorum) (\(report.fingerprint))")
                for file in report.files { print("  \(file)") }
                print("the old share files are refused from now on: destroy them")
            }
        }
    }
}
