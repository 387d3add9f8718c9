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
        VaultKeySource(label: path) { meta in
            // A vault whose key is split among officers has no key file to give.
            if let quorum = try? KeyQuorum.current(meta) { throw VaultError.keyIsSplit(threshold: quorum.threshold) }
            return try VaultKeyFile.load(at: path, passphrase: passphrase)
        }
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
                key: key, label: path, quorumRecord: nil, auditDetail: [:], files: [absolute(path)],
                remove: { unlink(path) })
        }
    }
}

/// A vault key just made, with the files that hold it and what the vault records of it.
package struct MadeVaultKey: Sendable {
    package let key: SecureBytes
    package let label: String
    /// The officers' quorum record the vault keeps (public), when the key is split among officers.
    package let quorumRecord: String?
    /// Public detail for the audit event that records it.
    package let auditDetail: [String: String]
    /// The files that hold the new key (its key file, or the officers' share files), as absolute paths.
    package let files: [String]
    /// Removes the files made, when what they were made for failed.
    package let remove: @Sendable () -> Void

    package init(
        key: SecureBytes, label: String, quorumRecord: String?, auditDetail: [String: String],
        files: [String], remove: @escaping @Sendable () -> Void
    ) {
        self.files = files
        self.key = key
        self.label = label
        self.quorumRecord = quorumRecord
        self.auditDetail = auditDetail
        self.remove = remove
    }
}

/// Reading officers' share files: the passphrase or X25519 secret key each asks for, by its path.
public struct OfficerShareReader {
    package let passphrase: (String) throws -> SecureBytes?
    package let secretKey: (String) throws -> SecureBytes?

    /// `passphrase(path)` is asked only for a passphrase-wrapped file, `secretKey(path)` only for one sealed to an
    /// officer's X25519 key.
    public init(
        passphrase: @escaping (String) throws -> SecureBytes?, secretKey: @escaping (String) throws -> SecureBytes?
    ) {
        self.passphrase = passphrase
        self.secretKey = secretKey
    }

    /// Reads each file (its errors name it).
    package func read(_ paths: [String]) throws -> [OfficerShare] {
        try paths.map(read)
    }

    /// Reads one file (its errors name it).
    package func read(_ path: String) throws -> OfficerShare {
        try OfficerShareFile.read(at: path, passphrase: { try passphrase(path) }, secretKey: { try secretKey(path) })
    }

    /// Reads one share file's contents from elsewhere (pasted on standard input), named `label` in errors.
    package func read(contents: SecureBytes, label: String) throws -> OfficerShare {
        try OfficerShareFile.read(
            contents: contents, path: label, passphrase: { try passphrase(label) },
            secretKey: { try secretKey(label) })
    }
}

extension VaultKeySource {
    /// Officers' share files, of which the vault's quorum (its public record in the vault) needs its threshold:
    /// each is checked against the quorum's commitments before use, so a wrong or corrupted file is named.
    public static func officerShares(_ paths: [String], reader: OfficerShareReader) -> VaultKeySource {
        VaultKeySource(label: paths.count == 1 ? paths[0] : "the officers' key shares") { meta in
            try KeyQuorum.current(meta).unlock(try reader.read(paths))
        }
    }

    /// Officers' shares already read (so that a command needing them twice asks each passphrase once).
    package static func officerShares(_ shares: [OfficerShare]) -> VaultKeySource {
        VaultKeySource(label: shares.count == 1 ? shares[0].label : "the officers' key shares") { meta in
            try KeyQuorum.current(meta).unlock(shares)
        }
    }
}

extension KeyQuorum {
    /// The vault's quorum record; a vault whose key is a key file has none.
    package static func current(_ meta: VaultKeyMeta) throws -> KeyQuorum {
        guard let stored = meta.keyQuorum else { throw VaultError.keyNotSplit }
        return try KeyQuorum(stored: stored)
    }
}

extension NewVaultKey {
    /// A fresh secret split `threshold`-of-`officers.count`, one share file per officer in `directory`
    /// (`NAME.share`, mode 0600, never replacing a file), each wrapped as `wraps` says (one per officer, or none
    /// for shares in the clear); the vault key is derived from the secret and the quorum's public record is kept
    /// in the vault.
    package static func officers(
        threshold: Int, officers: [String], directory: String, wraps: [OfficerShareWrap]? = nil
    ) -> NewVaultKey {
        NewVaultKey {
            let (quorum, shares, key) = try KeyQuorum.deal(threshold: threshold, officers: officers)
            let paths = try OfficerShareFiles.write(shares, quorum: quorum, directory: directory, wraps: wraps)
            return MadeVaultKey(
                key: key, label: "the officers' key shares in \(directory)",
                quorumRecord: quorum.storedText,
                auditDetail: [
                    "keyQuorum": "\(threshold)-of-\(officers.count)", "officers": officers.joined(separator: ","),
                    "quorumFingerprint": quorum.fingerprint,
                ],
                files: paths.map(absolute), remove: { for path in paths { unlink(path) } })
        }
    }
}

/// Officers' share files written together: all of them, or (a failure midway) none.
package enum OfficerShareFiles {
    /// Where officer `name`'s file goes in `directory`.
    package static func path(for name: String, in directory: String) -> String {
        (directory as NSString).appendingPathComponent("\(name).share")
    }

    /// Writes one file per share; returns their paths. A failure removes the files already written.
    package static func write(
        _ shares: [OfficerShare], quorum: KeyQuorum, directory: String, wraps: [OfficerShareWrap]?
    ) throws -> [String] {
        precondition(wraps.map { $0.count == shares.count } ?? true, "one wrap per officer")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VaultError.fileUnwritable(path: directory, reason: "no such directory")
        }
        var written: [String] = []
        do {
            for (index, share) in shares.enumerated() {
                let path = path(for: share.officer, in: directory)
                try OfficerShareFile.write(share, quorum: quorum, wrap: wraps?[index] ?? .none, to: path)
                written.append(path)
            }
        } catch {
            for path in written { unlink(path) }
            throw error
        }
        return written
    }
}

/// `path` made absolute against the working directory, so that a resumed rekey run from elsewhere finds it.
func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
}
