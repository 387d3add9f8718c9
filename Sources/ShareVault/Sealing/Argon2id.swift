internal import CSodium
import ShareMath

/// Argon2id (libsodium `crypto_pwhash`): keys from passwords and passphrases.
public struct Argon2id: Sendable, Equatable, Codable {
    public static let saltLength = 16

    public let salt: [UInt8]
    public let operationsLimit: UInt64
    public let memoryLimit: UInt64

    public init(salt: [UInt8], operationsLimit: UInt64, memoryLimit: UInt64) {
        self.salt = salt
        self.operationsLimit = operationsLimit
        self.memoryLimit = memoryLimit
    }

    /// Fresh parameters: a random salt and libsodium's interactive cost.
    public static func fresh() -> Argon2id {
        var salt = [UInt8](repeating: 0, count: saltLength)
        randombytes_buf(&salt, saltLength)
        return Argon2id(
            salt: salt, operationsLimit: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE),
            memoryLimit: UInt64(crypto_pwhash_MEMLIMIT_INTERACTIVE))
    }

    /// The most passes a stored header may ask for: libsodium's "moderate" cost (3), plus one.
    public static let maximumOperations: UInt64 = 4
    /// The most memory a stored header may ask for: libsodium's "moderate" cost, 256 MiB.
    public static let maximumMemory: UInt64 = 256 << 20

    /// Whether the costs are within what libsodium accepts and what this tool will spend. A header from outside
    /// (an uploaded ciphertext, a key file) asking for more is refused, not obeyed: two 100-byte uploads must
    /// not make a verification spend half a minute and gigabytes.
    public var isWithinLimits: Bool {
        salt.count == Self.saltLength
            && operationsLimit >= UInt64(crypto_pwhash_OPSLIMIT_MIN) && operationsLimit <= Self.maximumOperations
            && memoryLimit >= UInt64(crypto_pwhash_MEMLIMIT_MIN) && memoryLimit <= Self.maximumMemory
    }

    /// Derives a 32-byte key from `password` into guarded memory.
    public func deriveKey(from password: SecureBytes) throws(SealingError) -> SecureBytes {
        guard isWithinLimits else { throw .keyDerivationFailed }
        var status: Int32 = -1
        let key = SecureBytes.filled(count: 32) { out in
            password.withUnsafeBytes { passwordBytes in
                status = crypto_pwhash(
                    out.uint8, 32, passwordBytes.cChars,
                    UInt64(passwordBytes.count), salt, operationsLimit, Int(memoryLimit),
                    crypto_pwhash_ALG_ARGON2ID13)
            }
        }
        guard status == 0 else { throw .keyDerivationFailed }
        return key
    }
}
