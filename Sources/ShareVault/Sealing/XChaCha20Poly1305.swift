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
        var status: Int32 = -1
        output.withUnsafeMutableBytes { out in
            let nonce = UnsafeMutableRawBufferPointer(rebasing: out[..<nonceLength]).uint8
            let box = UnsafeMutableRawBufferPointer(rebasing: out[nonceLength...]).uint8
            randombytes_buf(nonce, nonceLength)
            plaintext.withUnsafeBytes { message in
                key.withUnsafeBytes { keyBytes in
                    var written: UInt64 = 0
                    status = crypto_aead_xchacha20poly1305_ietf_encrypt(
                        box, &written, message.uint8, UInt64(message.count), associatedData,
                        UInt64(associatedData.count), nil, nonce, keyBytes.uint8)
                }
            }
        }
        // libsodium refuses only messages longer than 2^38 bytes, which no share or key comes near.
        precondition(status == 0, "XChaCha20-Poly1305 refused to seal")
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
            input.withUnsafeBytes { sealedBytes in
                let nonce = UnsafeRawBufferPointer(rebasing: sealedBytes[..<nonceLength]).uint8
                let box = UnsafeRawBufferPointer(rebasing: sealedBytes[nonceLength...]).uint8
                key.withUnsafeBytes { keyBytes in
                    var written: UInt64 = 0
                    status = crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.uint8, &written, nil, box, UInt64(length + tagLength), associatedData,
                        UInt64(associatedData.count), nonce, keyBytes.uint8)
                }
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }
}
