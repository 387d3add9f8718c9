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
    let vaultKey: SecureBytes?
    /// Derived from the vault key: seals audit events and exported heads.
    let vaultAuditKey: AuditKey?
    package let logger: Logger
    /// Weights of the identifier pairs seen so far, shared by every check on this vault.
    let lineWeights = LineWeightCache()
    /// Custodian shares on their way to the store: those that arrive together share one durable commit.
    package let custodianIntake: GroupCommit<CustodianShareDelivery, CustodianStoreOutcome>

    package init(
        path: String, store: any VaultStore, vaultKey: SecureBytes?, auditKey: AuditKey?, logger: Logger,
        maximumIntakeBatch: Int = 128
    ) {
        self.path = path
        self.store = store
        self.vaultKey = vaultKey
        self.vaultAuditKey = auditKey
        self.logger = logger
        self.custodianIntake = GroupCommit(maximumBatch: maximumIntakeBatch, commit: store.storeCustodianShares)
    }

    /// The same vault (store, key, logger) with custodian deliveries grouped at most `maximum` to a commit; 1 gives
    /// a commit per delivery, as before group commit, for the bench's comparison.
    package func withIntakeBatches(ofAtMost maximum: Int) -> Vault {
        Vault(
            path: path, store: store, vaultKey: vaultKey, auditKey: vaultAuditKey, logger: logger,
            maximumIntakeBatch: maximum)
    }

    /// Where a vault's key file is by default: `VAULT.key`.
    public static func defaultKeyPath(forVault path: String) -> String { VaultKeyFile.defaultPath(forVault: path) }

    /// Makes a new vault and its key file (both mode 0600; the key wrapped when a passphrase is given).
    public static func create(
        at path: String, keyPath: String? = nil, passphrase: SecureBytes? = nil,
        logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        if FileManager.default.fileExists(atPath: path) { throw VaultError.vaultExists(path: path) }
        return try await create(
            at: path, keyPath: keyPath ?? defaultKeyPath(forVault: path), passphrase: passphrase, logger: logger,
            makeStore: { auditKey in try SQLiteVaultStore(path: path, create: true, unlock: { auditKey }) },
            discard: { unlink(path) })
    }

    /// Makes a vault key file at `keyPath`, then the store `makeStore` makes with it, and records the vault's
    /// first audit event. Nothing is left half-made: if the store cannot be made or set up, the key file goes,
    /// and `discard` removes what the store had made.
    package static func create(
        at location: String, keyPath: String, passphrase: SecureBytes?, logger: Logger,
        makeStore: (AuditKey) async throws -> any VaultStore, discard: () -> Void
    ) async throws -> Vault {
        if FileManager.default.fileExists(atPath: keyPath) { throw VaultError.keyFileExists(path: keyPath) }
        let key = try VaultKeyFile.create(at: keyPath, passphrase: passphrase)
        do {
            let auditKey = AuditKey(vaultKey: key, keyFile: keyPath)
            let store = try await makeStore(auditKey)
            try await store.setUp(at: Date(), event: .initialized)
            logger.info("created vault", metadata: ["vault": "\(location)"])
            return Vault(path: location, store: store, vaultKey: key, auditKey: auditKey, logger: logger)
        } catch {
            unlink(keyPath)
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
        passphrase: () throws -> SecureBytes? = { nil }, logger: Logger = Logger(label: "sharevault")
    ) throws -> Vault {
        // The store asks for the key once it knows the file is a vault, and checks that the key is the vault's
        // before it writes anything with it.
        var key: SecureBytes?
        let store = try SQLiteVaultStore(path: path, create: false, readOnly: readOnly) {
            guard needsKey else { return nil }
            let keyPath = keyPath ?? defaultKeyPath(forVault: path)
            let loaded = try VaultKeyFile.load(at: keyPath, passphrase: passphrase)
            key = loaded
            return AuditKey(vaultKey: loaded, keyFile: keyPath)
        }
        return Vault(path: path, store: store, vaultKey: key, auditKey: store.auditKey, logger: logger)
    }

    /// Writes the write-ahead log back into the vault file, as closing the last connection does: a timed run
    /// (the bench's) then starts where a fresh `sharevault` process would.
    package func checkpoint() throws {
        try (store as? SQLiteVaultStore)?.checkpoint()
    }

    /// The vault key; a programmer error to ask for it on a vault opened without it.
    var key: SecureBytes {
        guard let vaultKey else { preconditionFailure("this operation needs the vault opened with its key") }
        return vaultKey
    }

    /// The audit key; a programmer error to ask for it on a vault opened without its key.
    var auditKey: AuditKey {
        guard let vaultAuditKey else { preconditionFailure("this operation needs the vault opened with its key") }
        return vaultAuditKey
    }
}

/// The steps an operation reports while it works (DESIGN section 2); the CLI shows them on a terminal.
public enum ProgressStep: String, Sendable {
    case readingShare, generatingShare, parsingShare, encryptingShare, decryptingShare, storingShare, done
}

/// Receives progress: the step, and how many items of how many are done.
public typealias ProgressHandler = @Sendable (ProgressStep, _ completed: Int, _ total: Int) -> Void
