import Foundation
import ShareMath

/// Where client backup keys live: the user's cloud storage, stood in for by a folder or a password.
/// The vault never holds these keys.
public protocol BackupKeyStore: Sendable {
    /// A key for a new client backup, and how the ciphertext will say to find it again.
    func makeKey(clientId: String, method: BackupMethod) throws -> (
        key: SecureBytes, source: ClientBackupCiphertext.KeySource
    )
    /// The key that opens an existing client backup.
    func key(clientId: String, method: BackupMethod, source: ClientBackupCiphertext.KeySource) throws -> SecureBytes
    /// Removes a key this process just made with `makeKey` whose backup was never stored (a refused batch).
    func discardKey(clientId: String, method: BackupMethod)
}

/// A folder of key files, one per client and method, named by a hash of the client id; it works with
/// any synced folder (a mounted Google Drive, an iCloud folder). Files are mode 0600.
public struct DirectoryKeyStore: BackupKeyStore {
    public let directory: String

    /// Opens an existing folder, or creates it (mode 0700) when `create` is set.
    public init(directory: String, create: Bool) throws {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard create else { throw VaultError.keyStoreMissing(path: directory) }
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } else if !isDirectory.boolValue {
            throw VaultError.keyStoreMissing(path: directory)
        }
        var trimmed = Substring(directory)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        self.directory = String(trimmed)
    }

    /// `<hash of client id and method>.key` for a method without a curve (one key per client and method, as
    /// version 2 ciphertexts use it); `<hash of client id>-<method-curve>.key` for the first release's keys.
    public func path(clientId: String, method: BackupMethod) -> String {
        guard method.curve != nil else {
            let digest = Blake2b.hash([
                Array("sharevault key store v2".utf8), Array(clientId.utf8), [0], Array(method.name.utf8),
            ])
            return directory + "/" + Hex.encode(digest.prefix(20)) + ".key"
        }
        let digest = Blake2b.hash([Array("sharevault key store v1".utf8), Array(clientId.utf8)])
        return directory + "/" + Hex.encode(digest.prefix(16)) + "-" + method.description.lowercased() + ".key"
    }

    public func makeKey(clientId: String, method: BackupMethod) throws -> (
        key: SecureBytes, source: ClientBackupCiphertext.KeySource
    ) {
        let key = SecureBytes.random(count: 32)
        let target = path(clientId: clientId, method: method)
        // Created exclusively: a key file that exists may open a backup another vault holds, so it is never replaced.
        try key.withUnsafeBytes { bytes in
            try PrivateFile.create(at: target, contents: bytes, alreadyExists: .keyFileExists(path: target))
        }
        return (key, .storedKey)
    }

    public func discardKey(clientId: String, method: BackupMethod) {
        unlink(path(clientId: clientId, method: method))
    }

    public func key(clientId: String, method: BackupMethod, source: ClientBackupCiphertext.KeySource) throws
        -> SecureBytes
    {
        let target = path(clientId: clientId, method: method)
        switch Result(catching: { () throws(SecretFileError) in try SecretFile.readBytes(at: target, limit: 32) }) {
        case .success(let key):
            guard key.count == 32 else {
                throw VaultError.keyFileMalformed(path: target, reason: "a backup key is 32 bytes")
            }
            return key
        case .failure(.missing):
            throw VaultError.backupKeyMissing(clientId: clientId, method: method.description)
        case .failure(let error):
            throw error
        }
    }
}

/// Keys derived from the user's password with Argon2id (method `PASSWORD`); salt and cost travel in the
/// ciphertext's header.
public struct PasswordKeyStore: BackupKeyStore {
    private let password: SecureBytes

    public init(password: SecureBytes) {
        self.password = password
    }

    public func makeKey(clientId: String, method: BackupMethod) throws -> (
        key: SecureBytes, source: ClientBackupCiphertext.KeySource
    ) {
        let kdf = Argon2id.fresh()
        return (try kdf.deriveKey(from: password), .password(kdf))
    }

    /// A password-derived key is kept nowhere: nothing to discard.
    public func discardKey(clientId: String, method: BackupMethod) {}

    public func key(clientId: String, method: BackupMethod, source: ClientBackupCiphertext.KeySource) throws
        -> SecureBytes
    {
        guard case .password(let kdf) = source else {
            throw VaultError.notPasswordEncrypted
        }
        return try kdf.deriveKey(from: password)
    }
}
