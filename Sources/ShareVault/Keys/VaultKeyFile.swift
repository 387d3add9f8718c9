import Foundation
import ShareMath

/// The vault key: 32 random bytes in a file next to the vault (mode 0600), optionally wrapped by a
/// passphrase with Argon2id. It seals custodian backup shares at rest.
///
/// The file is text: a header line, then `key <hex>` or `argon2id <salt> <opslimit> <memlimit>` and
/// `sealed <hex>` (XChaCha20-Poly1305 of the key under the passphrase-derived key).
package enum VaultKeyFile {
    static let header = "sharevault vault key v1"
    static let wrapAssociatedData = Array("sharevault vault key wrap v1".utf8)

    /// `VAULT.key`: where a vault's key file lives unless `--vault-key` says otherwise.
    package static func defaultPath(forVault vaultPath: String) -> String { vaultPath + ".key" }

    /// Creates a new random key and its file (never replacing one), wrapped when a passphrase is given.
    package static func create(at path: String, passphrase: SecureBytes?) throws -> SecureBytes {
        let key = SecureBytes.random(count: 32)
        var text = header + "\n"
        if let passphrase {
            let kdf = Argon2id.fresh()
            let wrappingKey = try kdf.deriveKey(from: passphrase)
            let sealed = XChaCha20Poly1305.seal(key, key: wrappingKey, associatedData: wrapAssociatedData)
            text += "argon2id \(Hex.encode(kdf.salt)) \(kdf.operationsLimit) \(kdf.memoryLimit)\n"
            text += "sealed \(Hex.encode(sealed))\n"
            try Array(text.utf8).withUnsafeBytes { bytes in
                try PrivateFile.create(at: path, contents: bytes, alreadyExists: .keyFileExists(path: path))
            }
        } else {
            // The key's hex is assembled in guarded memory, never in a plain String.
            let prefix = Array((text + "key ").utf8)
            let contents = SecureBytes.filled(count: prefix.count + 64 + 1) { buffer in
                buffer.copyBytes(from: prefix)
                key.withUnsafeBytes { keyBytes in
                    let digits = Array("0123456789abcdef".utf8)
                    for (index, byte) in keyBytes.enumerated() {
                        buffer[prefix.count + 2 * index] = digits[Int(byte >> 4)]
                        buffer[prefix.count + 2 * index + 1] = digits[Int(byte & 0x0f)]
                    }
                }
                buffer[prefix.count + 64] = UInt8(ascii: "\n")
            }
            let failure: (any Error)? = contents.withUnsafeBytes { bytes in
                do {
                    try PrivateFile.create(at: path, contents: bytes, alreadyExists: .keyFileExists(path: path))
                    return nil
                } catch {
                    return error
                }
            }
            if let failure { throw failure }
        }
        return key
    }

    /// Loads the key, asking `passphrase` only when the file is wrapped.
    package static func load(at path: String, passphrase: () throws -> SecureBytes?) throws -> SecureBytes {
        try read(contents: try readKeyFile(at: path), path: path, passphrase: passphrase)
    }

    /// Reads a key file's contents (`path` only names it in errors), asking `passphrase` only when it is wrapped.
    package static func read(
        contents: SecureBytes, path: String, passphrase: () throws -> SecureBytes?
    ) throws -> SecureBytes {
        // The lines' ranges, not copies: the key's hex never leaves guarded memory. Only the header and the
        // wrapped form's public lines are copied out as plain text.
        let lines: [Range<Int>] = contents.withUnsafeBytes { bytes in
            var lines: [Range<Int>] = []
            var start = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == UInt8(ascii: "\n") {
                if index > start { lines.append(start..<index) }
                start = index + 1
            }
            return lines
        }
        func publicText(_ line: Range<Int>) -> String {
            contents.withUnsafeBytes { String(decoding: UnsafeRawBufferPointer(rebasing: $0[line]), as: UTF8.self) }
        }
        guard let first = lines.first, publicText(first) == header else {
            throw VaultError.keyFileMalformed(path: path, reason: "missing the \"\(header)\" header")
        }
        let keyPrefix = Array("key ".utf8)
        // A bare key's file: its lines are never copied out, whatever else the file holds.
        if lines.dropFirst().contains(where: { line in contents.withUnsafeBytes { $0[line].starts(with: keyPrefix) } })
        {
            guard lines.count == 2 else { throw VaultError.keyFileMalformed(path: path, reason: "unexpected lines") }
            let digits = (lines[1].lowerBound + keyPrefix.count)..<lines[1].upperBound
            let key: SecureBytes? = contents.withUnsafeBytes { bytes in
                guard digits.count == 64 else { return nil }
                return try? Hex.decodeSecret(ascii: UnsafeRawBufferPointer(rebasing: bytes[digits]))
            }
            guard let key else { throw VaultError.keyFileMalformed(path: path, reason: "the key is not 64 hex digits") }
            return key
        }
        guard lines.count == 3 else { throw VaultError.keyFileMalformed(path: path, reason: "unexpected lines") }
        let kdfFields = publicText(lines[1]).split(separator: " ")
        let sealedFields = publicText(lines[2]).split(separator: " ")
        guard kdfFields.count == 4, kdfFields[0] == "argon2id", sealedFields.count == 2, sealedFields[0] == "sealed",
            let salt = try? Hex.decode(kdfFields[1]), let ops = UInt64(kdfFields[2]), let mem = UInt64(kdfFields[3]),
            let sealed = try? Hex.decode(sealedFields[1])
        else {
            throw VaultError.keyFileMalformed(path: path, reason: "malformed wrapped key")
        }
        let kdf = Argon2id(salt: salt, operationsLimit: ops, memoryLimit: mem)
        guard kdf.isWithinLimits else {
            throw VaultError.keyFileMalformed(path: path, reason: "Argon2id cost out of range")
        }
        guard let secret = try passphrase() else { throw VaultError.passphraseRequired(path: path) }
        let wrappingKey = try kdf.deriveKey(from: secret)
        guard let key = try? XChaCha20Poly1305.open(sealed, key: wrappingKey, associatedData: wrapAssociatedData) else {
            throw VaultError.wrongPassphrase(path: path)
        }
        guard key.count == 32 else {
            throw VaultError.keyFileMalformed(path: path, reason: "wrapped key is not 32 bytes")
        }
        return key
    }

    private static func readKeyFile(at path: String) throws -> SecureBytes {
        switch Result(catching: { () throws(SecretFileError) in try SecretFile.readBytes(at: path, limit: 4096) }) {
        case .success(let contents): return contents
        case .failure(.missing): throw VaultError.keyFileMissing(path: path)
        case .failure(let error): throw error
        }
    }

    /// A public check value for the key (keyed BLAKE2b of a constant), stored in the vault to detect a
    /// key file that belongs to another vault.
    package static func checkValue(of key: SecureBytes) -> String {
        Hex.encode(Blake2b.hash([Array("sharevault vault key check v1".utf8)], key: key))
    }
}

/// Files that hold secrets or the vault: created with mode 0600 from the first byte, never replacing one.
package enum PrivateFile {
    /// Writes a new file that holds a secret (mode 0600, fsynced); an existing file is never replaced.
    package static func write(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { bytes in
            try create(at: path, contents: bytes, alreadyExists: .fileExists(path: path))
        }
    }

    /// Creates `path` exclusively with `contents`, fsynced; throws `alreadyExists` when the file is there. A file
    /// that could not be written whole is removed.
    package static func create(
        at path: String, contents: UnsafeRawBufferPointer, alreadyExists: VaultError
    ) throws(VaultError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { throw alreadyExists }
            throw .fileUnwritable(path: path, reason: String(cString: strerror(errno)))
        }
        let written = Glibc.write(descriptor, contents.baseAddress, contents.count)
        let reason =
            written < 0 ? String(cString: strerror(errno)) : "only \(written) of \(contents.count) bytes written"
        let synced = written == contents.count && fsync(descriptor) == 0
        let syncReason = String(cString: strerror(errno))
        close(descriptor)
        guard synced else {
            unlink(path)
            throw .fileUnwritable(path: path, reason: written == contents.count ? syncReason : reason)
        }
    }
}
