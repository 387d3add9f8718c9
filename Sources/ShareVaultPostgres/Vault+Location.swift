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
            if FileManager.default.fileExists(atPath: keyPath) { throw VaultError.keyFileExists(path: keyPath) }
            let key = try VaultKeyFile.create(at: keyPath, passphrase: passphrase)
            do {
                let auditKey = AuditKey(vaultKey: key, keyFile: keyPath)
                let store = try await PostgresVaultStore.open(url, create: true, unlock: { auditKey })
                try await store.setUp(at: Date(), event: .initialized)
                logger.info("created vault", metadata: ["vault": "\(url)"])
                return Vault(path: url.description, store: store, vaultKey: key, auditKey: auditKey, logger: logger)
            } catch {
                // No key without its vault.
                unlink(keyPath)
                throw error
            }
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
