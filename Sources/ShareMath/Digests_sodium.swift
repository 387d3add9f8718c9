internal import CSodium

/// SHA-256 and SHA-512 (libsodium), fed piece by piece, with the digest in guarded memory when the input
/// holds a secret (nonce derivation hashes a secret share).
public enum Digest {
    /// Feeds pieces to a running hash.
    public typealias Feed = ((UnsafeRawBufferPointer) -> Void) -> Void

    public static func sha256(_ feed: Feed) -> SecureBytes {
        var state = crypto_hash_sha256_state()
        precondition(crypto_hash_sha256_init(&state) == 0, "crypto_hash_sha256_init failed")
        // libsodium's hash functions cannot fail (they return 0 always); checked all the same.
        feed { piece in
            let status = crypto_hash_sha256_update(
                &state, piece.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(piece.count))
            precondition(status == 0, "crypto_hash_sha256_update failed")
        }
        let digest = SecureBytes.filled(count: 32) {
            precondition(crypto_hash_sha256_final(&state, $0.uint8) == 0, "crypto_hash_sha256_final failed")
        }
        sodium_memzero(&state, MemoryLayout<crypto_hash_sha256_state>.size)
        return digest
    }

    public static func sha512(_ feed: Feed) -> SecureBytes {
        var state = crypto_hash_sha512_state()
        precondition(crypto_hash_sha512_init(&state) == 0, "crypto_hash_sha512_init failed")
        feed { piece in
            let status = crypto_hash_sha512_update(
                &state, piece.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(piece.count))
            precondition(status == 0, "crypto_hash_sha512_update failed")
        }
        let digest = SecureBytes.filled(count: 64) {
            precondition(crypto_hash_sha512_final(&state, $0.uint8) == 0, "crypto_hash_sha512_final failed")
        }
        sodium_memzero(&state, MemoryLayout<crypto_hash_sha512_state>.size)
        return digest
    }

    /// SHA-256 of public pieces.
    public static func sha256(_ pieces: [[UInt8]]) -> [UInt8] {
        sha256 { update in for piece in pieces { piece.withUnsafeBytes(update) } }.withUnsafeBytes { Array($0) }
    }

    /// SHA-512 of public pieces.
    public static func sha512(_ pieces: [[UInt8]]) -> [UInt8] {
        sha512 { update in for piece in pieces { piece.withUnsafeBytes(update) } }.withUnsafeBytes { Array($0) }
    }
}
