import ArgumentParser
import ShareVault

/// Where client backup keys come from: the key store folder, and the password for method PASSWORD.
struct KeyStoreOptions: ParsableArguments {
    @Option(help: "The folder standing for the user's cloud storage, holding client backup keys.")
    var keyStore: String?

    @Option(help: "A file with the user's backup password, for method PASSWORD (or $SHAREVAULT_BACKUP_PASSWORD).")
    var passwordFile: String?

    /// The stores, opening (never creating) the folder.
    func stores() throws -> BackupKeyStores {
        let password = try Secrets.read(file: passwordFile, environment: "SHAREVAULT_BACKUP_PASSWORD")
        return BackupKeyStores(
            directory: try keyStore.map { try DirectoryKeyStore(directory: $0, create: false) },
            password: password.map { PasswordKeyStore(password: $0) })
    }
}
