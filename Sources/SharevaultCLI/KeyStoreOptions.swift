import ArgumentParser
import ShareVault

/// Where client halves' keys come from: the key store folder, the password for method PASSWORD, and a decrypt
/// command for ciphertexts of other formats (DESIGN section 5).
struct KeyStoreOptions: ParsableArguments {
    @Option(help: "The folder standing for the user's cloud storage, holding client backup keys.")
    var keyStore: String?

    @Option(help: "A file with the user's backup password, for method PASSWORD (or $SHAREVAULT_BACKUP_PASSWORD).")
    var passwordFile: String?

    @Option(
        help: ArgumentHelp(
            "A program that opens client ciphertexts sharevault cannot: run with no shell, once per ciphertext, given "
                + "{clientId, backupMethod, cipherText} as JSON on stdin, printing the plaintext on stdout.",
            valueName: "'PROGRAM ARG...'"))
    var clientDecryptCommand: String?

    @Option(help: "Seconds the decrypt command may take per ciphertext.")
    var clientDecryptTimeout: Int = 10

    /// Whether any source of client keys was given.
    var given: Bool { keyStore != nil || passwordFile != nil || clientDecryptCommand != nil }

    /// The stores, opening (never creating) the folder.
    func stores() throws -> BackupKeyStores {
        let password = try Secrets.read(file: passwordFile, environment: "SHAREVAULT_BACKUP_PASSWORD")
        guard (1...600).contains(clientDecryptTimeout) else {
            throw CommandFailure(status: .badInput, message: "error: --client-decrypt-timeout must be 1 to 600 seconds")
        }
        return BackupKeyStores(
            directory: try keyStore.map { try DirectoryKeyStore(directory: $0, create: false) },
            password: password.map { PasswordKeyStore(password: $0) },
            decryptCommand: try clientDecryptCommand.map {
                try ClientDecryptCommand(commandLine: $0, timeout: .seconds(clientDecryptTimeout))
            })
    }
}
