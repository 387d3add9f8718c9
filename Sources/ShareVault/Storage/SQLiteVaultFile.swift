import Foundation
import GRDB
import ShareMath

/// Opening a vault file: what is there is looked at read-only first, and only a vault of this format or an older
/// one is opened (an older one migrated, with the vault key when its audit chain is to be sealed).
extension SQLiteVaultStore {
    /// Opens (or, with `create`, makes: mode 0600, never over an existing file) the vault at `path`.
    ///
    /// An existing file is first looked at read-only: one that is not a vault (another program's database, an
    /// empty file) or a vault of a newer format is refused with nothing written. With `readOnly` the vault is
    /// opened read-only and never migrated, so a vault an older release wrote must first be opened by a command
    /// that writes (with the vault key, to seal its audit chain). `unlock` is handed the vault's recorded key
    /// state and gives the keyring (which refuses a key that is not this vault's), or nil to open without it; it
    /// is asked only once the file is known to be a vault. With the key, the events this store appends are sealed.
    package convenience init(
        path: String, create: Bool, readOnly: Bool = false,
        unlock: (VaultKeyMeta) throws -> VaultKeyring? = { _ in nil }
    ) throws {
        let manager = FileManager.default
        let keyring: VaultKeyring?
        if create {
            keyring = try unlock(VaultKeyMeta())
            guard !manager.fileExists(atPath: path) else { throw VaultError.vaultExists(path: path) }
            try [UInt8]().withUnsafeBytes { empty in
                try PrivateFile.create(at: path, contents: empty, alreadyExists: .vaultExists(path: path))
            }
        } else {
            guard manager.fileExists(atPath: path) else { throw VaultError.vaultMissing(path: path) }
            let existing = try Self.inspectExisting(path: path)
            if readOnly, !existing.isCurrent { throw VaultError.vaultNeedsUpgrade(path: path) }
            keyring = try unlock(existing.keyMeta)
            if readOnly {
                self.init(writer: try Self.readOnlyQueue(path: path), keyring: keyring)
                return
            }
            if existing.needsKeyToUpgrade, keyring == nil { throw VaultError.vaultNeedsKeyToUpgrade(path: path) }
        }
        self.init(
            writer: try Self.migratedPool(path: path, auditKey: try keyring?.auditKey(version: 1)), keyring: keyring)
    }

    /// A read-only connection: never migrated, never written.
    private static func readOnlyQueue(path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        configuration.label = "sharevault (read-only)"
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw vaultError(error, path: path)
        }
    }

    /// The vault file's pool, its schema migrated to this release's.
    private static func migratedPool(path: String, auditKey: AuditKey?) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.label = "sharevault"
        // Durable commits: a returned write (and a 2xx from the intake) survives a power cut.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try VaultSchema.migrator(auditKey: auditKey, at: VaultClock.format(Date())).migrate(pool)
            return pool
        } catch let error as DatabaseError {
            throw vaultError(error, path: path)
        } catch VaultError.vaultNeedsKeyToUpgrade {
            // Another process added events between the look and the migration.
            throw VaultError.vaultNeedsKeyToUpgrade(path: path)
        }
    }

    /// What a read-only look at an existing file found.
    private struct ExistingVault {
        /// The schema has every migration (false: an older release's, to be migrated by a writing open).
        var isCurrent: Bool
        /// The audit chain is yet to be keyed and has events to seal.
        var needsKeyToUpgrade: Bool
        /// The vault's key state.
        var keyMeta: VaultKeyMeta
    }

    /// Looks at an existing file read-only: throws when it is not a vault or is a vault of a newer format.
    private static func inspectExisting(path: String) throws -> ExistingVault {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try queue.read { db in
                guard try db.tableExists("vaultMeta"),
                    try String.fetchOne(db, sql: "SELECT value FROM vaultMeta WHERE name = 'formatVersion'") != nil
                else { throw VaultError.notAVault(path: path) }
                let migrator = VaultSchema.migrator
                guard try !migrator.hasBeenSuperseded(db) else { throw VaultError.newerFormat(path: path) }
                let keyed = try migrator.appliedIdentifiers(db).contains(VaultSchema.keyedAuditChain)
                return ExistingVault(
                    isCurrent: try migrator.hasCompletedMigrations(db),
                    needsKeyToUpgrade: try !keyed && db.tableExists("auditEvent")
                        && (Int.fetchOne(db, sql: "SELECT COUNT(*) FROM auditEvent") ?? 0) > 0,
                    keyMeta: try SQLiteVaultStore.keyMeta(db))
            }
        } catch let error as DatabaseError {
            // SQLITE_NOTADB and friends: not a database at all.
            if error.resultCode == .SQLITE_NOTADB { throw VaultError.notAVault(path: path) }
            throw vaultError(error, path: path)
        }
    }
}
