import Foundation
import ShareMath

/// sharevault's own client backup ciphertext, as `create` makes it (`cipherText`, base64). Ciphertexts of other
/// formats (Portal's device encrypts with a closed library) are stored opaque and opened by a decrypt command.
///
/// Binary layout: `"SVCB"`, version (`2`; `1` as the first release wrote), key source (`0` a stored random key, `1` Argon2id from a password,
/// followed by a 16-byte salt and big-endian 64-bit opslimit and memlimit), then XChaCha20-Poly1305's
/// `nonce || ciphertext || tag`. The associated data binds client, method and this header, so a
/// ciphertext moved to another record fails to open. Version 2 binds the method's name alone, as one
/// ciphertext serves every curve of a method; version 1 bound the method with its curve.
public struct ClientBackupCiphertext: Sendable, Equatable {
    public static let magic = Array("SVCB".utf8)
    /// The version `seal` writes.
    public static let currentVersion: UInt8 = 2
    static let supportedVersions: ClosedRange<UInt8> = 1...2
    /// The largest `cipherText` accepted, in base64 characters.
    public static let maximumTextLength = 64 * 1024

    public let version: UInt8
    public let keySource: KeySource
    /// `nonce || ciphertext || tag`.
    public let sealed: [UInt8]

    /// Where the key that opens a client backup comes from.
    public enum KeySource: Sendable, Equatable {
        /// A random key kept in the user's cloud storage (a backup key store).
        case storedKey
        /// A key derived from the user's password.
        case password(Argon2id)

        /// `key-store` or `password`, as `inspect` shows it.
        public var name: String {
            switch self {
            case .storedKey: return "key-store"
            case .password: return "password"
            }
        }
    }

    public init(version: UInt8 = currentVersion, keySource: KeySource, sealed: [UInt8]) {
        self.version = version
        self.keySource = keySource
        self.sealed = sealed
    }

    /// Encrypts a client backup for `clientId` and `method` (its name: one ciphertext serves every curve).
    public static func seal(
        _ plaintext: SecureBytes, key: SecureBytes, keySource: KeySource, clientId: String, method: BackupMethod
    ) -> ClientBackupCiphertext {
        let unsealed = ClientBackupCiphertext(keySource: keySource, sealed: [])
        let sealed = XChaCha20Poly1305.seal(
            plaintext, key: key, associatedData: unsealed.associatedData(clientId: clientId, method: method))
        return ClientBackupCiphertext(keySource: keySource, sealed: sealed)
    }

    /// Decrypts into guarded memory. `method` is the pair's, with its curve (which version 1 binds).
    public func open(key: SecureBytes, clientId: String, method: BackupMethod) throws(SealingError) -> SecureBytes {
        try XChaCha20Poly1305.open(sealed, key: key, associatedData: associatedData(clientId: clientId, method: method))
    }

    /// The method as this version binds it and as the key store files its key: the name alone from version 2.
    public func keyMethod(_ method: BackupMethod) -> BackupMethod { version == 1 ? method : method.withoutCurve }

    /// The base64 text the app uploads.
    public var text: String { Data(header + sealed).base64EncodedString() }

    /// Whether `text` claims to be in this format (base64 of `"SVCB"`): such a text must then parse, while a
    /// text of any other format is stored as it came.
    public static func claimsFormat(_ text: String) -> Bool { text.trimmingASCIIWhitespace.hasPrefix("U1ZDQ") }

    /// The parsed ciphertext when `text` claims this format; nil for a text of any other format (opaque). A text
    /// that claims the format but does not parse as it is an error.
    public static func readIfClaimed(_ text: String) throws(DocumentError) -> ClientBackupCiphertext? {
        claimsFormat(text) ? try ClientBackupCiphertext(text: text) : nil
    }

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
        guard Self.supportedVersions.contains(bytes[4]) else {
            throw .unsupportedVersion(Int(bytes[4]), supported: Int(Self.currentVersion))
        }
        version = bytes[4]
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
            guard kdf.isWithinLimits else {
                throw .outOfRange(field: "cipherText", detail: "Argon2id cost out of range")
            }
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

    private var header: [UInt8] {
        switch keySource {
        case .storedKey:
            return Self.magic + [version, 0]
        case .password(let kdf):
            var header = Self.magic + [version, 1] + kdf.salt
            withUnsafeBytes(of: kdf.operationsLimit.bigEndian) { header.append(contentsOf: $0) }
            withUnsafeBytes(of: kdf.memoryLimit.bigEndian) { header.append(contentsOf: $0) }
            return header
        }
    }

    private func associatedData(clientId: String, method: BackupMethod) -> [UInt8] {
        Array("sharevault client backup v\(version)\u{0}\(clientId)\u{0}\(keyMethod(method))\u{0}".utf8) + header
    }
}
