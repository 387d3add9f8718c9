internal import CSodium
import ShareMath

/// BLAKE2b-256 (libsodium `crypto_generichash`), for the audit chain, share digests and key-store file names.
///
/// Each part is prefixed with its length so that boundaries cannot shift. The parts are fed to libsodium one by
/// one, never concatenated, so a secret part (a share's scalar) is read in place and not copied; the key stays in
/// guarded memory, and the hashing state derived from it is wiped when the hash is done. (The state is ordinary
/// heap memory: a guarded allocation per hash would cost four system calls, and the audit chain hashes twice per
/// event.)
package struct Blake2b: ~Copyable {
    /// The `crypto_generichash_state` (it holds key material when keyed).
    private let state: UnsafeMutableRawPointer

    /// Starts a hash, keyed when `key` is given (16 to 64 bytes).
    package init(key: SecureBytes? = nil) {
        Sodium.ensureInitialized()
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        let status: Int32
        if let key {
            status = key.withUnsafeBytes { key in
                crypto_generichash_init(OpaquePointer(state), key.baseAddress, key.count, 32)
            }
        } else {
            status = crypto_generichash_init(OpaquePointer(state), nil, 0, 32)
        }
        precondition(status == 0, "crypto_generichash_init refused its parameters")
    }

    deinit {
        sodium_memzero(state, crypto_generichash_statebytes())
        state.deallocate()
    }

    /// Feeds one part: its length, then its bytes.
    package mutating func update(_ part: UnsafeRawBufferPointer) {
        // BLAKE2b's update cannot fail (libsodium returns 0 always); checked all the same.
        withUnsafeBytes(of: UInt64(part.count).bigEndian) { length in
            let status = crypto_generichash_update(OpaquePointer(state), length.uint8, 8)
            precondition(status == 0, "crypto_generichash_update failed")
        }
        if part.count > 0 {
            let status = crypto_generichash_update(OpaquePointer(state), part.uint8, UInt64(part.count))
            precondition(status == 0, "crypto_generichash_update failed")
        }
    }

    /// Feeds one public part.
    package mutating func update(_ part: [UInt8]) {
        part.withUnsafeBytes { update($0) }
    }

    /// Feeds one secret part, read where it lies.
    package mutating func update(secret part: SecureBytes) {
        part.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest.
    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let status = crypto_generichash_final(OpaquePointer(state), &out, 32)
        precondition(status == 0, "crypto_generichash_final failed")
        return out
    }

    /// The 32-byte digest written straight into guarded memory, for a digest that is itself a key.
    package consuming func finalizeSecret() -> SecureBytes {
        let state = self.state
        return SecureBytes.filled(count: 32) { out in
            let status = crypto_generichash_final(OpaquePointer(state), out.uint8, 32)
            precondition(status == 0, "crypto_generichash_final failed")
        }
    }

    /// The digest of public parts, keyed when `key` is given.
    package static func hash(_ parts: [[UInt8]], key: SecureBytes? = nil) -> [UInt8] {
        var hasher = Blake2b(key: key)
        for part in parts { hasher.update(part) }
        return hasher.finalize()
    }
}
