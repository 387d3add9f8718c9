/// Why sealed data could not be opened or a key could not be derived.
public enum SealingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Authentication failed: a wrong key, tampered bytes, or a ciphertext moved to another record.
    case authenticationFailed
    /// Too short to hold a nonce and a tag.
    case truncated
    /// Argon2id could not run with the requested cost (out of memory).
    case keyDerivationFailed
    /// The recipient's X25519 public key is unusable: of small order (all zero, say), so that what is sealed to
    /// it would be sealed under a key anyone can compute.
    case unusableRecipientKey

    public var description: String {
        switch self {
        case .authenticationFailed:
            return "decryption failed: wrong key, tampered ciphertext, or a ciphertext that belongs to another record"
        case .truncated: return "ciphertext is truncated"
        case .keyDerivationFailed: return "Argon2id key derivation failed (not enough memory?)"
        case .unusableRecipientKey:
            return "the X25519 public key is of small order (all zero or a low-order point): refused"
        }
    }
}
