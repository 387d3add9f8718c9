internal import CSodium
import ShareMath

/// XChaCha20-Poly1305 (libsodium's IETF construction) with a random 24-byte nonce prepended.
///
/// Associated data binds a ciphertext to the record it belongs to, so one moved elsewhere fails to open.
package enum XChaCha20Poly1305 {
    package static let keyLength = 32
    package static let nonceLength = 24
    package static let tagLength = 16

    /// `nonce || ciphertext || tag`.
    package static func seal(
        _ plaintext: SecureBytes, key: SecureBytes, associatedData: [UInt8]
    ) -> [UInt8] {
        precondition(key.count == keyLength, "XChaCha20-Poly1305 keys are 32 bytes")
        var output = [UInt8](repeating: 0, count: nonceLength + plaintext.count + tagLength)
        output.withUnsafeMutableBufferPointer { out in
            randombytes_buf(out.baseAddress!, nonceLength)
            plaintext.withUnsafeBytes { message in
                key.withUnsafeBytes { keyBytes in
                    var written: UInt64 = 0
                    _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        out.baseAddress! + nonceLength, &written, message.uint8, UInt64(message.count),
                        associatedData, UInt64(associatedData.count), nil, out.baseAddress!, keyBytes.uint8)
                }
            }
        }
        return output
    }

    /// Opens `nonce || ciphertext || tag` into guarded memory.
    package static func open(
        _ sealed: some Collection<UInt8>, key: SecureBytes, associatedData: [UInt8]
    ) throws(SealingError) -> SecureBytes {
        precondition(key.count == keyLength, "XChaCha20-Poly1305 keys are 32 bytes")
        let input = Array(sealed)
        guard input.count > nonceLength + tagLength else { throw .truncated }
        let length = input.count - nonceLength - tagLength
        var status: Int32 = -1
        let plaintext = SecureBytes.filled(count: length) { out in
            input.withUnsafeBufferPointer { sealedBytes in
                key.withUnsafeBytes { keyBytes in
                    var written: UInt64 = 0
                    status = crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.uint8, &written, nil, sealedBytes.baseAddress! + nonceLength,
                        UInt64(length + tagLength), associatedData, UInt64(associatedData.count),
                        sealedBytes.baseAddress!, keyBytes.uint8)
                }
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }
}

extension UnsafeRawBufferPointer {
    /// The buffer as a C `unsigned char *`.
    var uint8: UnsafePointer<UInt8> { baseAddress!.assumingMemoryBound(to: UInt8.self) }
}

extension UnsafeMutableRawBufferPointer {
    /// The buffer as a C `unsigned char *`.
    var uint8: UnsafeMutablePointer<UInt8> { baseAddress!.assumingMemoryBound(to: UInt8.self) }
}
