import Foundation
import Logging
import ShareMath
import ShareVault

/// Opening a vault by where it is: a SQLite file or a PostgreSQL database.
extension Vault {
    /// Makes a new vault at `store` and its key file (mode 0600; wrapped when a passphrase is given). A SQLite
    /// vault's key sits beside it by default; a PostgreSQL vault's key file must be named (`keyPath`).
    public static func create(
        store location: StoreLocation, keyPath: String? = nil, passphrase: SecureBytes? = nil,
        logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        switch location {
        case .sqlite(let path):
            return try await create(at: path, keyPath: keyPath, passphrase: passphrase, logger: logger)
        case .postgres(let url):
            guard let keyPath else { throw VaultError.vaultKeyNotNamed(store: url.description) }
            // A database is the operator's: what a failed set-up left in it is theirs to drop.
            return try await create(
                at: url.description, keyPath: keyPath, passphrase: passphrase, logger: logger,
                makeStore: { auditKey in try await PostgresVaultStore.open(url, create: true, unlock: { auditKey }) },
                discard: {})
        }
    }

    /// Opens the vault at `store`, as `open(at:...)` opens a file (a PostgreSQL vault's key file must be named
    /// when the key is needed).
    public static func open(
        store location: StoreLocation, keyPath: String? = nil, needsKey: Bool, readOnly: Bool = false,
        passphrase: () throws -> SecureBytes? = { nil }, logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        switch location {
        case .sqlite(let path):
            return try open(
                at: path, keyPath: keyPath, needsKey: needsKey, readOnly: readOnly, passphrase: passphrase,
                logger: logger)
        case .postgres(let url):
            if needsKey, keyPath == nil { throw VaultError.vaultKeyNotNamed(store: url.description) }
            var key: SecureBytes?
            let store = try await PostgresVaultStore.open(url, create: false, readOnly: readOnly) {
                guard needsKey, let keyPath else { return nil }
                let loaded = try VaultKeyFile.load(at: keyPath, passphrase: passphrase)
                key = loaded
                return AuditKey(vaultKey: loaded, keyFile: keyPath)
            }
            return Vault(
                path: url.description, store: store, vaultKey: key, auditKey: store.auditKey, logger: logger)
        }
    }
}
