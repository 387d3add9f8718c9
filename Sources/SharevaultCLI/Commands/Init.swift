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
                """
        )

        @OptionGroup var vault: VaultOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let location = try vault.location()
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
    }
}
