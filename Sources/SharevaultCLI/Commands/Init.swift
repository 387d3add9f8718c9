import ArgumentParser
import ShareVault

extension SharevaultCommand {
    /// `sharevault init`: a new vault and its key file.
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a vault and its vault key file (both mode 0600).",
            discussion: """
                The key file goes next to the vault (VAULT.key) unless --vault-key names another place. With \
                --passphrase-file (or $SHAREVAULT_PASSPHRASE) the key is wrapped by the passphrase with Argon2id. \
                An existing vault or key file is never overwritten.
                """
        )

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let created = try await Vault.create(
                at: vault.vaultPath, keyPath: vault.vaultKey, passphrase: try vault.passphrase())
            let keyPath = vault.vaultKey ?? Vault.defaultKeyPath(forVault: vault.vaultPath)
            if output.json {
                try Terminal.printJSON(["vault": created.path, "vaultKey": keyPath])
            } else {
                print("created vault \(created.path)")
                print("vault key     \(keyPath) (keep it safe: it opens every custodian share in the vault)")
            }
        }
    }
}
