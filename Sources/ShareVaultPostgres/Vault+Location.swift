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
            return try await create(store: location, newKey: .file(at: keyPath, passphrase: passphrase), logger: logger)
        }
    }

    /// Makes a new vault at `store` with the key `newKey` makes (a key file, or officers' share files).
    public static func create(
        store location: StoreLocation, newKey: NewVaultKey, logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        switch location {
        case .sqlite(let path):
            return try await create(at: path, newKey: newKey, logger: logger)
        case .postgres(let url):
            // A database is the operator's: what a failed set-up left in it is theirs to drop.
            return try await create(
                at: url.description, newKey: newKey, logger: logger,
                makeStore: { keyring in
                    try await PostgresVaultStore.open(url, create: true, unlock: { _ in keyring })
                },
                discard: {})
        }
    }

    /// Opens the vault at `store`, as `open(at:...)` opens a file (a PostgreSQL vault's key file must be named
    /// when the key is needed).
    public static func open(
        store location: StoreLocation, keyPath: String? = nil, needsKey: Bool, readOnly: Bool = false,
        passphrase: @escaping () throws -> SecureBytes? = { nil }, logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        var source: VaultKeySource?
        if needsKey {
            switch location {
            case .sqlite(let path):
                source = .file(at: keyPath ?? defaultKeyPath(forVault: path), passphrase: passphrase)
            case .postgres(let url):
                guard let keyPath else { throw VaultError.vaultKeyNotNamed(store: url.description) }
                source = .file(at: keyPath, passphrase: passphrase)
            }
        }
        return try await open(store: location, key: source, readOnly: readOnly, logger: logger)
    }

    /// Opens the vault at `store` with the key `key` gives (nil: without the key).
    public static func open(
        store location: StoreLocation, key: VaultKeySource?, readOnly: Bool = false,
        logger: Logger = Logger(label: "sharevault")
    ) async throws -> Vault {
        switch location {
        case .sqlite(let path):
            return try open(at: path, key: key, readOnly: readOnly, logger: logger)
        case .postgres(let url):
            let store = try await PostgresVaultStore.open(url, create: false, readOnly: readOnly) { meta in
                try key?.unlock(meta)
            }
            return Vault(path: url.description, store: store, keyring: store.keyring, logger: logger)
        }
    }
}
