internal import CSodium
import ShareMath

/// libsodium sealed boxes: anonymous encryption to a recipient's X25519 public key (recover --seal-to).
package enum SealedBox {
    package static let publicKeyLength = 32
    /// How many bytes a sealed box adds to its plaintext (an ephemeral public key and a tag).
    package static var overhead: Int { crypto_box_sealbytes() }

    /// Seals `plaintext` to `recipient`. libsodium refuses a recipient key of small order (the shared secret
    /// would be all zero); that refusal is an error here, never an output of zeros.
    package static func seal(_ plaintext: SecureBytes, to recipient: [UInt8]) throws(SealingError) -> [UInt8] {
        guard recipient.count == publicKeyLength else { throw .unusableRecipientKey }
        var output = [UInt8](repeating: 0, count: plaintext.count + crypto_box_sealbytes())
        let status = plaintext.withUnsafeBytes { message in
            crypto_box_seal(&output, message.uint8, UInt64(message.count), recipient)
        }
        guard status == 0 else { throw .unusableRecipientKey }
        return output
    }

    /// Checks that `recipient` can be sealed to, before anything is sealed or written.
    package static func validate(recipient: [UInt8]) throws(SealingError) {
        _ = try seal(SecureBytes(copying: [0]), to: recipient)
    }

    /// Opens a sealed box with the recipient's key pair (used by tests and by an operator's own tooling).
    package static func open(_ sealed: [UInt8], publicKey: [UInt8], secretKey: SecureBytes) throws(SealingError)
        -> SecureBytes
    {
        guard sealed.count > crypto_box_sealbytes() else { throw .truncated }
        var status: Int32 = -1
        let plaintext = SecureBytes.filled(count: sealed.count - crypto_box_sealbytes()) { out in
            secretKey.withUnsafeBytes { secret in
                status = crypto_box_seal_open(out.uint8, sealed, UInt64(sealed.count), publicKey, secret.uint8)
            }
        }
        guard status == 0 else { throw .authenticationFailed }
        return plaintext
    }

    /// A fresh X25519 key pair.
    package static func keyPair() -> (publicKey: [UInt8], secretKey: SecureBytes) {
        var publicKey = [UInt8](repeating: 0, count: publicKeyLength)
        let secretKey = SecureBytes.filled(count: 32) {
            precondition(crypto_box_keypair(&publicKey, $0.uint8) == 0, "crypto_box_keypair failed")
        }
        return (publicKey, secretKey)
    }
}
