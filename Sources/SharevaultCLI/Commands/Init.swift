import ArgumentParser
import ShareVault
import ShareVaultPostgres

extension SharevaultCommand {
    /// `sharevault init`: a new vault and its key file.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a vault and its vault key file (both mode 0600).",
            discussion: """
                The key file goes next to a vault file (VAULT.key) unless --vault-key names another place; a vault \
                on PostgreSQL (--store postgres://USER@HOST:PORT/DATABASE, an existing database) needs --vault-key. With \
                --passphrase-file (or $SHAREVAULT_PASSPHRASE) the key is wrapped by the passphrase with Argon2id. \
                An existing vault or key file is never overwritten.

                With --key-shares N --key-threshold T --officer-dir DIR the vault key is instead derived from a fresh \
                secret split T-of-N among officers (Shamir's scheme with Feldman commitments, which the vault keeps): \
                one share file per officer in DIR (NAME.share, mode 0600), each optionally wrapped by its officer's \
                passphrase (--officer-passphrase-file, one per officer) or sealed to its officer's X25519 public key \
                (--officer-recipient). No key file is written; commands that need the key then take --key-share FILE \
                for at least T officers.
                """
        )

        @OptionGroup var vault: VaultOptions
        @OptionGroup var officers: OfficerDealOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Split the vault key among this many officers (needs --key-threshold and --officer-dir).")
        var keyShares: Int?

        @Option(help: "How many officers' shares unlock the vault key.")
        var keyThreshold: Int?

        func run() async throws {
            let location = try vault.location()
            if keyShares != nil || keyThreshold != nil || officers.isUsed {
                try await createSplit(at: location)
                return
            }
            let keyPath = vault.keyPath(for: location)
            let created = try await Vault.create(store: location, keyPath: keyPath, passphrase: try vault.passphrase())
            guard let keyPath else { preconditionFailure("a vault is made only once its key file is named") }
            if output.json {
                try Terminal.printJSON(["vault": created.path, "vaultKey": keyPath])
            } else {
                print("created vault \(created.path)")
                print("vault key     \(keyPath) (keep it safe: it opens every custodian share in the vault)")
            }
        }

        /// A vault whose key is split among officers.
        private func createSplit(at location: StoreLocation) async throws {
            guard let keyShares, let keyThreshold else {
                throw ValidationError("--key-shares N and --key-threshold T go together")
            }
            if vault.vaultKey != nil || vault.passphraseFile != nil || !vault.keyShares.isEmpty {
                throw ValidationError(
                    "a vault split among officers has no key file and takes no shares yet: drop --vault-key, --passphrase-file and --key-share"
                )
            }
            let deal = try officers.deal(count: keyShares, flag: "--key-shares")
            let created = try await Vault.create(
                store: location,
                newKey: .officers(
                    threshold: keyThreshold, officers: deal.officers, directory: deal.directory, wraps: deal.wraps))
            let files = deal.officers.map { OfficerShareFiles.path(for: $0, in: deal.directory) }
            if output.json {
                try Terminal.printJSON(
                    InitSplitReport(
                        vault: created.path, keyQuorum: "\(keyThreshold)-of-\(keyShares)", officerFiles: files))
            } else {
                print("created vault \(created.path)")
                print("vault key     split \(keyThreshold)-of-\(keyShares) among officers; one file each:")
                for (name, file) in zip(deal.officers, files) { print("  \(name): \(file)") }
                print("hand each officer their file, then remove it from this machine")
            }
        }
    }

    struct InitSplitReport: Encodable {
        let vault: String
        let keyQuorum: String
        let officerFiles: [String]
    }
}
