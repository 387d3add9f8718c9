import Foundation
import ShareMath

/// An encrypted client backup share, as the app uploads it (`cipherText`, base64).
///
/// Binary layout: `"SVCB"`, version `1`, key source (`0` a stored random key, `1` Argon2id from a password,
/// followed by a 16-byte salt and big-endian 64-bit opslimit and memlimit), then XChaCha20-Poly1305's
/// `nonce || ciphertext || tag`. The associated data binds client, method and this header, so a
/// ciphertext moved to another record fails to open.
public struct ClientBackupCiphertext: Sendable, Equatable {
    public static let magic = Array("SVCB".utf8)
    public static let version: UInt8 = 1
    /// The largest `cipherText` accepted, in base64 characters.
    public static let maximumTextLength = 64 * 1024

    public let keySource: KeySource
    /// `nonce || ciphertext || tag`.
    public let sealed: [UInt8]

    /// Where the key that opens a client backup comes from.
    public enum KeySource: Sendable, Equatable {
        /// A random key kept in the user's cloud storage (a backup key store).
        case storedKey
        /// A key derived from the user's password.
        case password(Argon2id)
    }

    public init(keySource: KeySource, sealed: [UInt8]) {
        self.keySource = keySource
        self.sealed = sealed
    }

    /// Encrypts a client backup share for `clientId` and `method`.
    public static func seal(
        _ plaintext: SecureBytes, key: SecureBytes, keySource: KeySource, clientId: String, method: BackupMethod
    ) -> ClientBackupCiphertext {
        let header = header(for: keySource)
        let sealed = XChaCha20Poly1305.seal(
            plaintext, key: key, associatedData: associatedData(header: header, clientId: clientId, method: method))
        return ClientBackupCiphertext(keySource: keySource, sealed: sealed)
    }

    /// Decrypts into guarded memory.
    public func open(key: SecureBytes, clientId: String, method: BackupMethod) throws(SealingError) -> SecureBytes {
        let header = Self.header(for: keySource)
        return try XChaCha20Poly1305.open(
            sealed, key: key, associatedData: Self.associatedData(header: header, clientId: clientId, method: method))
    }

    /// The base64 text the app uploads.
    public var text: String { Data(Self.header(for: keySource) + sealed).base64EncodedString() }

    /// Parses the base64 text and its header (no key needed).
    public init(text: String) throws(DocumentError) {
        guard text.utf8.count <= Self.maximumTextLength else {
            throw .tooLarge(limit: Self.maximumTextLength, actual: text.utf8.count)
        }
        let trimmed = String(text.trimmingASCIIWhitespace)
        guard !trimmed.isEmpty else { throw .empty }
        guard let data = Data(base64Encoded: trimmed) else {
            throw .wrongType(field: "cipherText", expected: "base64")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 6, Array(bytes[0..<4]) == Self.magic else {
            throw .outOfRange(field: "cipherText", detail: "not a sharevault client backup (bad magic)")
        }
        guard bytes[4] == Self.version else { throw .unsupportedVersion(Int(bytes[4]), supported: Int(Self.version)) }
        var offset = 6
        switch bytes[5] {
        case 0:
            keySource = .storedKey
        case 1:
            guard bytes.count >= offset + 32 else { throw .outOfRange(field: "cipherText", detail: "truncated header") }
            let salt = Array(bytes[offset..<(offset + 16)])
            let ops = bytes[(offset + 16)..<(offset + 24)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let mem = bytes[(offset + 24)..<(offset + 32)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let kdf = Argon2id(salt: salt, operationsLimit: ops, memoryLimit: mem)
            guard kdf.isWithinLimits else { throw .outOfRange(field: "cipherText", detail: "Argon2id cost out of range") }
            keySource = .password(kdf)
            offset += 32
        default:
            throw .outOfRange(field: "cipherText", detail: "unknown key source \(bytes[5])")
        }
        guard bytes.count - offset > XChaCha20Poly1305.nonceLength + XChaCha20Poly1305.tagLength else {
            throw .outOfRange(field: "cipherText", detail: "truncated ciphertext")
        }
        sealed = Array(bytes[offset...])
    }

    private static func header(for keySource: KeySource) -> [UInt8] {
        switch keySource {
        case .storedKey:
            return magic + [version, 0]
        case .password(let kdf):
            var header = magic + [version, 1] + kdf.salt
            withUnsafeBytes(of: kdf.operationsLimit.bigEndian) { header.append(contentsOf: $0) }
            withUnsafeBytes(of: kdf.memoryLimit.bigEndian) { header.append(contentsOf: $0) }
            return header
        }
    }

    private static func associatedData(header: [UInt8], clientId: String, method: BackupMethod) -> [UInt8] {
        Array("sharevault client backup v1\u{0}\(clientId)\u{0}\(method)\u{0}".utf8) + header
    }
}
