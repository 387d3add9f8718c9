import Foundation
import Logging
import ShareMath

/// A vault: one store (a SQLite file, or a PostgreSQL database several machines share) holding both halves of
/// every backup pair, and the operations on it.
///
/// The CLI and the server are thin shells over these calls. Operations that open custodian shares
/// need the vault key; the others run on public material alone.
public final class Vault: Sendable {
    public let path: String
    /// Where the vault's rows live; package-wide for the bench and tests, not part of the library's API.
    package let store: any VaultStore
    /// The vault keys this process holds (the current version's, and a rekey's new one while it runs); nil when
    /// the vault was opened without its key.
    package let keyring: VaultKeyring?
    package let logger: Logger
    /// Weights of the identifier pairs seen so far, shared by every check on this vault.
    let lineWeights = LineWeightCache()
    /// Custodian shares on their way to the store: those that arrive together share one durable commit.
    package let custodianIntake: GroupCommit<CustodianShareDelivery, CustodianStoreOutcome>

    package init(
        path: String, store: any VaultStore, keyring: VaultKeyring?, logger: Logger, maximumIntakeBatch: Int = 128
    ) {
        self.path = path
        self.store = store
        self.keyring = keyring
        self.logger = logger
        self.custodianIntake = GroupCommit(maximumBatch: maximumIntakeBatch, commit: store.storeCustodianShares)
    }

    /// The same vault (store, keys, logger) with custodian deliveries grouped at most `maximum` to a commit; 1
    /// gives a commit per delivery, as before group commit, for the bench's comparison.
    package func withIntakeBatches(ofAtMost maximum: Int) -> Vault {
        Vault(path: path, store: store, keyring: keyring, logger: logger, maximumIntakeBatch: maximum)
    }

    /// Where a vault's key file is by default: `VAULT.key`.
    public static func defaultKeyPath(forVault path: String) -> String { VaultKeyFile.defaultPath(forVault: path) }

    /// Makes a new vault and its key file (both mode 0600; the key wrapped when a passphrase is given).
    public static func create(
        at path: String, keyPath: String? = nil, passphrase: SecureBytes? = nil,
        logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        try await create(
            at: path, newKey: .file(at: keyPath ?? defaultKeyPath(forVault: path), passphrase: passphrase),
            logger: logger)
    }

    /// Makes a new vault file and its key, as `newKey` makes it (a key file, or officers' share files).
    public static func create(
        at path: String, newKey: NewVaultKey, logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        if FileManager.default.fileExists(atPath: path) { throw VaultError.vaultExists(path: path) }
        return try await create(
            at: path, newKey: newKey, logger: logger,
            makeStore: { keyring in try SQLiteVaultStore(path: path, create: true, unlock: { _ in keyring }) },
            discard: { unlink(path) })
    }

    /// Makes the vault key as `newKey` says, then the store `makeStore` makes with it, and records the vault's
    /// key state and first audit event. Nothing is left half-made: if the store cannot be made or set up, the
    /// key's files go, and `discard` removes what the store had made.
    package static func create(
        at location: String, newKey: NewVaultKey, logger: Logger,
        makeStore: (VaultKeyring) async throws -> any VaultStore, discard: () -> Void
    ) async throws -> Vault {
        let made = try newKey.make()
        do {
            let keyring = VaultKeyring(newVaultKey: made.key, label: made.label)
            let store = try await makeStore(keyring)
            try await store.setUp(
                at: Date(), event: .initialized(made.auditDetail), metadata: ["keyQuorum": made.quorumRecord])
            logger.info("created vault", metadata: ["vault": "\(location)"])
            return Vault(path: location, store: store, keyring: keyring, logger: logger)
        } catch {
            made.remove()
            discard()
            throw error
        }
    }

    /// Opens an existing vault; loads and checks the vault key only when `needsKey`. With `readOnly` (commands
    /// that only read) the vault is opened read-only and never migrated or written. Audit events are sealed only
    /// when the vault is opened with its key; a vault whose audit chain is yet to be keyed needs the key to be
    /// opened for writing.
    public static func open(
        at path: String, keyPath: String? = nil, needsKey: Bool, readOnly: Bool = false,
        passphrase: @escaping () throws -> SecureBytes? = { nil }, logger: Logger = Logger(label: "sharevault")
    ) throws -> Vault {
        try open(
            at: path,
            key: needsKey ? .file(at: keyPath ?? defaultKeyPath(forVault: path), passphrase: passphrase) : nil,
            readOnly: readOnly, logger: logger)
    }

    /// Opens an existing vault with the key `key` gives (nil: without the key), as `open(at:keyPath:...)` does.
    public static func open(
        at path: String, key: VaultKeySource?, readOnly: Bool = false, logger: Logger = Logger(label: "sharevault")
    ) throws -> Vault {
        // The store hands over the vault's key state once it knows the file is a vault; the keyring refuses a
        // key that is not the vault's current one before anything is written with it.
        let store = try SQLiteVaultStore(path: path, create: false, readOnly: readOnly) { meta in
            try key?.unlock(meta)
        }
        return Vault(path: path, store: store, keyring: store.keyring, logger: logger)
    }

    /// Writes the write-ahead log back into the vault file, as closing the last connection does: a timed run
    /// (the bench's) then starts where a fresh `sharevault` process would.
    package func checkpoint() throws {
        try (store as? SQLiteVaultStore)?.checkpoint()
    }

    /// The keyring; a programmer error to ask for it on a vault opened without its key.
    var keys: VaultKeyring {
        guard let keyring else { preconditionFailure("this operation needs the vault opened with its key") }
        return keyring
    }

    /// Takes the vault's key state as it now is: joins a rekey another process began, or moves to the version a
    /// rekey ended with. Returns the key state it read (nil for a vault opened without its key, which reads
    /// none). Throws `keyringStale` when the vault moved to a key this process cannot reach.
    @discardableResult
    package func refreshKeys() async throws -> VaultKeyMeta? {
        guard let keyring else { return nil }
        let meta = try await store.keyMeta()
        try keyring.reload(meta)
        return meta
    }
}

/// The steps an operation reports while it works (DESIGN section 2); the CLI shows them on a terminal.
public enum ProgressStep: String, Sendable {
    case readingShare, generatingShare, parsingShare, encryptingShare, decryptingShare, storingShare, done
}

/// Receives progress: the step, and how many items of how many are done.
public typealias ProgressHandler = @Sendable (ProgressStep, _ completed: Int, _ total: Int) -> Void
