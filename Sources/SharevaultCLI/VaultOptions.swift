import ArgumentParser
import Foundation
import Logging
import ShareMath
import ShareVault
import ShareVaultPostgres
import Synchronization

/// Flags every vault command shares: where the vault and its key are.
struct VaultOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Where the vault is: sqlite:PATH, or postgres://USER@HOST:PORT/DATABASE for a vault several machines share (default: $SHAREVAULT_STORE).",
            valueName: "url"))
    var store: String?

    @Option(
        help: "The vault file, a shorthand for --store sqlite:PATH (default: $SHAREVAULT_VAULT, else ./sharevault.db).")
    var vault: String?

    @Option(
        help:
            "The vault key file (default: the vault file's path with .key appended; a PostgreSQL vault needs it named)."
    )
    var vaultKey: String?

    @Option(help: "A file holding the passphrase that wraps the vault key (or $SHAREVAULT_PASSPHRASE).")
    var passphraseFile: String?

    @Option(
        name: .customLong("key-share"),
        help: ArgumentHelp(
            "An officer's key share file, for a vault whose key is split among officers (repeat for each officer; at least the quorum's threshold).",
            valueName: "file"))
    var keyShares: [String] = []

    @OptionGroup var officerSecrets: OfficerSecretOptions

    @Option(help: "A file holding the PostgreSQL password (or $PGPASSWORD); never put it in the URL.")
    var storePasswordFile: String?

    /// Where the vault is: `--store`, `--vault`, `$SHAREVAULT_STORE`, `$SHAREVAULT_VAULT`, else ./sharevault.db.
    func location() throws -> StoreLocation {
        let environment = ProcessInfo.processInfo.environment
        if store != nil, vault != nil {
            throw ValidationError("--store and --vault both name a vault; give one")
        }
        if let vault { return .sqlite(path: vault) }
        if let text = store ?? environment["SHAREVAULT_STORE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            return try StoreLocation(parsing: text, password: try Secrets.databasePassword(file: storePasswordFile))
        }
        return .sqlite(path: environment["SHAREVAULT_VAULT"] ?? "sharevault.db")
    }

    /// The vault key file: `--vault-key`, else beside a vault file; nil for a database (which then needs it named).
    func keyPath(for location: StoreLocation) -> String? {
        if let vaultKey { return vaultKey }
        if case .sqlite(let path) = location { return Vault.defaultKeyPath(forVault: path) }
        return nil
    }

    /// The passphrase from its file or the environment, if any.
    func passphrase() throws -> SecureBytes? {
        try Secrets.read(file: passphraseFile, environment: "SHAREVAULT_PASSPHRASE")
    }

    /// Opens the vault, with its key when the operation opens shares; read-only for commands that only read.
    func open(needsKey: Bool, readOnly: Bool = false) async throws -> Vault {
        let location = try location()
        return try await Vault.open(
            store: location, key: needsKey ? try keySource(for: location) : nil, readOnly: readOnly,
            logger: Logger(label: "sharevault"))
    }

    /// Where the key comes from: the officers' share files when given, else the key file.
    func keySource(for location: StoreLocation) throws -> VaultKeySource {
        if !keyShares.isEmpty {
            if vaultKey != nil || passphraseFile != nil {
                throw ValidationError(
                    "--key-share opens a vault split among officers; --vault-key and --passphrase-file a key file: give one"
                )
            }
            return .officerShares(keyShares, reader: try officerSecrets.reader())
        }
        guard let keyPath = keyPath(for: location) else { throw VaultError.vaultKeyNotNamed(store: "\(location)") }
        return .file(at: keyPath, passphrase: { try passphrase() })
    }
}

/// Secrets come from files or the environment, never from the command line.
enum Secrets {
    static func read(file: String?, environment name: String) throws -> SecureBytes? {
        if let file { return try read(file: file) }
        if let value = ProcessInfo.processInfo.environment[name], !value.isEmpty {
            return SecureBytes(copying: Array(value.utf8))
        }
        return nil
    }

    /// A secret from its file (mode 0600, at most 4 KiB), without the file's trailing newline.
    static func read(file: String) throws -> SecureBytes {
        trimmingNewline(try SecretFile.readBytes(at: file, limit: 4096))
    }

    /// A PostgreSQL password, from its file or `$PGPASSWORD`, if any. (PostgresNIO takes it as a `String`, so it
    /// cannot stay in guarded memory as the vault's secrets do; it never reaches argv, a log or an error.)
    static func databasePassword(file: String?) throws -> String? {
        try read(file: file, environment: "PGPASSWORD").map { secret in
            secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// A passphrase file's trailing newline is not part of the passphrase.
    private static func trimmingNewline(_ bytes: SecureBytes) -> SecureBytes {
        let trailing = bytes.withUnsafeBytes { buffer in
            var count = 0
            while count < buffer.count,
                buffer[buffer.count - 1 - count] == 0x0a || buffer[buffer.count - 1 - count] == 0x0d
            {
                count += 1
            }
            return count
        }
        guard trailing > 0, trailing < bytes.count else { return bytes }
        return bytes.withUnsafeBytes {
            SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<($0.count - trailing)]))
        }
    }
}

/// Shows an operation's progress on stderr, only when it is a terminal, at most a few times a second.
final class ProgressLine: Sendable {
    private let label: String
    /// When the line was last drawn.
    private let lastShown = Mutex(ContinuousClock.now - .seconds(1))

    init(_ label: String) { self.label = label }

    /// The handler to pass to library calls; nil when stderr is not a terminal.
    var handler: ProgressHandler? {
        guard Terminal.showsProgress else { return nil }
        return { [self] step, completed, total in show(step, completed, total) }
    }

    private func show(_ step: ProgressStep, _ completed: Int, _ total: Int) {
        let now = ContinuousClock.now
        let due = lastShown.withLock { lastShown in
            guard step == .done || now - lastShown > .milliseconds(100) else { return false }
            lastShown = now
            return true
        }
        guard due else { return }
        let line = "\r\(label): \(step.rawValue) \(completed)/\(total)\u{1B}[K" + (step == .done ? "\n" : "")
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// The secrets that open officers' share files: passphrases and X25519 secret keys, from files, each used by the
/// share files that need one in the order they are given.
struct OfficerSecretOptions: ParsableArguments {
    @Option(
        name: .customLong("key-share-passphrase-file"),
        help: ArgumentHelp(
            "A file holding the passphrase of a passphrase-wrapped officer share (repeat, in the order of those shares).",
            valueName: "file"))
    var passphraseFiles: [String] = []

    @Option(
        name: .customLong("officer-secret-key"),
        help: ArgumentHelp(
            "A file holding an officer's X25519 secret key (64 hex digits), for a share sealed to it (repeat, in the order of those shares).",
            valueName: "file"))
    var secretKeyFiles: [String] = []

    /// A reader that hands the share files their secrets in order; a share that needs one more than were given
    /// is refused by name.
    func reader() throws -> OfficerShareReader {
        let passphrases = Mutex(passphraseFiles[...])
        let secretKeys = Mutex(secretKeyFiles[...])
        return OfficerShareReader(
            passphrase: { _ in
                guard let file = passphrases.withLock({ $0.popFirst() }) else { return nil }
                return try Secrets.read(file: file)
            },
            secretKey: { _ in
                guard let file = secretKeys.withLock({ $0.popFirst() }) else { return nil }
                return try Secrets.read(file: file).withUnsafeBytes { bytes in
                    try Hex.decodeSecret(ascii: bytes)
                }
            })
    }
}
