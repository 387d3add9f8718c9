import Foundation
import ShareMath

/// Where an existing vault's key comes from: a key file (optionally passphrase-wrapped), or officers' share
/// files of which a quorum unlocks it. The source is handed the vault's recorded key state (an officers' quorum
/// needs its public record) and gives the key, which the keyring then checks against the vault.
public struct VaultKeySource {
    /// What errors name: the key file's path, or the officers' files.
    public let label: String
    let load: (VaultKeyMeta) throws -> SecureBytes

    package init(label: String, load: @escaping (VaultKeyMeta) throws -> SecureBytes) {
        self.label = label
        self.load = load
    }

    /// A key file, asking `passphrase` only when it is wrapped.
    public static func file(at path: String, passphrase: @escaping () throws -> SecureBytes?) -> VaultKeySource {
        VaultKeySource(label: path) { _ in try VaultKeyFile.load(at: path, passphrase: passphrase) }
    }

    /// The keyring this source's key unlocks, given the vault's key state.
    package func unlock(_ meta: VaultKeyMeta) throws -> VaultKeyring {
        try VaultKeyring(unlocking: try load(meta), label: label, meta: meta)
    }
}

/// How a new vault's key (or a rekey's new key) is made: a key file, or a secret split among officers.
public struct NewVaultKey: Sendable {
    let make: @Sendable () throws -> MadeVaultKey

    package init(make: @escaping @Sendable () throws -> MadeVaultKey) { self.make = make }

    /// A fresh random key in a new key file at `path` (never replacing one), wrapped when a passphrase is given.
    public static func file(at path: String, passphrase: SecureBytes?) -> NewVaultKey {
        NewVaultKey {
            if FileManager.default.fileExists(atPath: path) { throw VaultError.keyFileExists(path: path) }
            let key = try VaultKeyFile.create(at: path, passphrase: passphrase)
            return MadeVaultKey(
                key: key, label: path, metadata: ["keyQuorum": nil], auditDetail: [:],
                remove: { unlink(path) })
        }
    }
}

/// A vault key just made, with the files that hold it and what the vault records of it.
package struct MadeVaultKey: Sendable {
    package let key: SecureBytes
    package let label: String
    /// The public `vaultMeta` rows that go with it (an officers' quorum record; nil removes a row).
    package let metadata: [String: String?]
    /// Public detail for the audit event that records it.
    package let auditDetail: [String: String]
    /// Removes the files made, when what they were made for failed.
    package let remove: @Sendable () -> Void

    package init(
        key: SecureBytes, label: String, metadata: [String: String?], auditDetail: [String: String],
        remove: @escaping @Sendable () -> Void
    ) {
        self.key = key
        self.label = label
        self.metadata = metadata
        self.auditDetail = auditDetail
        self.remove = remove
    }
}
