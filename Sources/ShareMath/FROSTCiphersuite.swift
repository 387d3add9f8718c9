/// A FROST ciphersuite (RFC 9591 section 6): the curve, its hashes, and how a signature is finished,
/// encoded and checked by the curve's standard verifier.
public protocol FROSTCiphersuite: Sendable {
    associatedtype C: Curve

    static var contextString: String { get }
    /// H1: binding factors.
    static func h1(_ message: [UInt8]) -> Scalar<C>
    /// H3: nonces, from 32 random bytes and the signer's secret share (guarded input).
    static func h3(_ input: SecureBytes) -> Scalar<C>
    /// H4: the message digest in the binding factor input.
    static func h4(_ message: [UInt8]) -> [UInt8]
    /// H5: the commitment list digest in the binding factor input.
    static func h5(_ message: [UInt8]) -> [UInt8]
    /// The challenge `c` for group commitment `R`, public key `X` and the message.
    static func challenge(groupCommitment: Point<C>, publicKey: Point<C>, message: [UInt8]) -> Scalar<C>
    /// Whether a key or nonce point must be negated before use (BIP-340's even-Y rule); false in RFC 9591.
    static func mustNegate(_ point: Point<C>) -> Bool
    /// The signature's encoding.
    static func encodeSignature(groupCommitment: Point<C>, z: Scalar<C>) -> [UInt8]
    /// The curve's standard verifier for the encoded signature.
    static func verify(signature: [UInt8], message: [UInt8], publicKey: Point<C>) -> Bool
}

extension FROSTCiphersuite {
    public static func mustNegate(_ point: Point<C>) -> Bool { false }
}

/// FROST(Ed25519, SHA-512), RFC 9591 section 6.1: its signatures are plain Ed25519 signatures.
public enum FROSTEd25519SHA512: FROSTCiphersuite {
    public typealias C = Ed25519
    public static let contextString = "FROST-ED25519-SHA512-v1"

    static func hashToScalar(_ pieces: [[UInt8]]) -> Scalar<Ed25519> {
        Ed25519.reduce(wide: Digest.sha512 { update in for piece in pieces { piece.withUnsafeBytes(update) } })
    }

    public static func h1(_ message: [UInt8]) -> Scalar<Ed25519> {
        hashToScalar([Array((contextString + "rho").utf8), message])
    }

    public static func h3(_ input: SecureBytes) -> Scalar<Ed25519> {
        let prefix = Array((contextString + "nonce").utf8)
        return Ed25519.reduce(
            wide: Digest.sha512 { update in
                prefix.withUnsafeBytes(update)
                input.withUnsafeBytes(update)
            })
    }

    public static func h4(_ message: [UInt8]) -> [UInt8] {
        Digest.sha512([Array((contextString + "msg").utf8), message])
    }
    public static func h5(_ message: [UInt8]) -> [UInt8] {
        Digest.sha512([Array((contextString + "com").utf8), message])
    }

    /// H2 has no context string, so that the signature is an RFC 8032 signature.
    public static func challenge(groupCommitment: Point<Ed25519>, publicKey: Point<Ed25519>, message: [UInt8])
        -> Scalar<Ed25519>
    {
        hashToScalar([groupCommitment.encoded, publicKey.encoded, message])
    }

    public static func encodeSignature(groupCommitment: Point<Ed25519>, z: Scalar<Ed25519>) -> [UInt8] {
        groupCommitment.encoded + z.withEncoding { Array($0) }
    }

    public static func verify(signature: [UInt8], message: [UInt8], publicKey: Point<Ed25519>) -> Bool {
        Ed25519.verifySignature(signature: signature, message: message, publicKey: publicKey)
    }
}

/// FROST(secp256k1, SHA-256), RFC 9591 section 6.5: hash_to_field with expand_message_xmd (RFC 9380).
public enum FROSTSecp256k1SHA256: FROSTCiphersuite {
    public typealias C = Secp256k1
    public static let contextString = "FROST-secp256k1-SHA256-v1"

    /// The binding factor input is never empty (it starts with the group public key).
    public static func h1(_ message: [UInt8]) -> Scalar<Secp256k1> {
        hashToField(SecureBytes(copying: message), dst: contextString + "rho")
    }

    public static func h3(_ input: SecureBytes) -> Scalar<Secp256k1> {
        hashToField(input, dst: contextString + "nonce")
    }

    public static func h4(_ message: [UInt8]) -> [UInt8] {
        Digest.sha256([Array((contextString + "msg").utf8), message])
    }
    public static func h5(_ message: [UInt8]) -> [UInt8] {
        Digest.sha256([Array((contextString + "com").utf8), message])
    }

    public static func challenge(groupCommitment: Point<Secp256k1>, publicKey: Point<Secp256k1>, message: [UInt8])
        -> Scalar<Secp256k1>
    {
        let input = groupCommitment.encoded + publicKey.encoded + message
        return hashToField(SecureBytes(copying: input), dst: contextString + "chal")
    }

    public static func encodeSignature(groupCommitment: Point<Secp256k1>, z: Scalar<Secp256k1>) -> [UInt8] {
        groupCommitment.encoded + z.withEncoding { Array($0) }
    }

    /// `z·G == R + c·X`, checked with the group operations (RFC 9591 has no library verifier for this suite).
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: Point<Secp256k1>) -> Bool {
        guard signature.count == 65, let r = try? Point<Secp256k1>(decoding: signature[0..<33]),
            let z = try? Scalar<Secp256k1>(decoding: signature[33...])
        else { return false }
        let c = challenge(groupCommitment: r, publicKey: publicKey, message: message)
        return Secp256k1.baseMultiply(z) == r + publicKey * c
    }

    /// hash_to_field(msg, 1) with expand_message_xmd(SHA-256), 48 bytes reduced modulo n (RFC 9380 section 5).
    static func hashToField(_ message: SecureBytes, dst: String) -> Scalar<Secp256k1> {
        let dstPrime = Array(dst.utf8) + [UInt8(dst.utf8.count)]
        let length = 48
        let b0 = Digest.sha256 { update in
            [UInt8](repeating: 0, count: 64).withUnsafeBytes(update)
            message.withUnsafeBytes(update)
            [UInt8(length >> 8), UInt8(length & 0xff), 0].withUnsafeBytes(update)
            dstPrime.withUnsafeBytes(update)
        }
        let b1 = Digest.sha256 { update in
            b0.withUnsafeBytes(update)
            [UInt8(1)].withUnsafeBytes(update)
            dstPrime.withUnsafeBytes(update)
        }
        let mixed = SecureBytes.filled(count: 32) { out in
            b0.withUnsafeBytes { zero in b1.withUnsafeBytes { one in for i in 0..<32 { out[i] = zero[i] ^ one[i] } } }
        }
        let b2 = Digest.sha256 { update in
            mixed.withUnsafeBytes(update)
            [UInt8(2)].withUnsafeBytes(update)
            dstPrime.withUnsafeBytes(update)
        }
        let uniform = SecureBytes.filled(count: length) { out in
            b1.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<32]).copyMemory(from: $0) }
            b2.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: out[32..<48]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: $0[0..<16]))
            }
        }
        return Secp256k1.reduce(bigEndian: uniform)
    }
}

/// FROST's two rounds on secp256k1 with BIP-340's challenge and even-Y rules, so that libsecp256k1's
/// `secp256k1_schnorrsig_verify` accepts the signature under the x-only public key.
public enum FROSTSecp256k1BIP340: FROSTCiphersuite {
    public typealias C = Secp256k1
    public static let contextString = "FROST-secp256k1-SHA256-v1"

    public static func h1(_ message: [UInt8]) -> Scalar<Secp256k1> { FROSTSecp256k1SHA256.h1(message) }
    public static func h3(_ input: SecureBytes) -> Scalar<Secp256k1> { FROSTSecp256k1SHA256.h3(input) }
    public static func h4(_ message: [UInt8]) -> [UInt8] { FROSTSecp256k1SHA256.h4(message) }
    public static func h5(_ message: [UInt8]) -> [UInt8] { FROSTSecp256k1SHA256.h5(message) }

    /// `int(tagged_hash("BIP0340/challenge", R.x || P.x || m)) mod n`.
    public static func challenge(groupCommitment: Point<Secp256k1>, publicKey: Point<Secp256k1>, message: [UInt8])
        -> Scalar<Secp256k1>
    {
        let tag = Digest.sha256([Array("BIP0340/challenge".utf8)])
        let digest = Digest.sha256 { update in
            tag.withUnsafeBytes(update)
            tag.withUnsafeBytes(update)
            Secp256k1.xOnly(groupCommitment).withUnsafeBytes(update)
            Secp256k1.xOnly(publicKey).withUnsafeBytes(update)
            message.withUnsafeBytes(update)
        }
        return Secp256k1.reduce(bigEndian: digest)
    }

    public static func mustNegate(_ point: Point<Secp256k1>) -> Bool { !Secp256k1.hasEvenY(point) }

    public static func encodeSignature(groupCommitment: Point<Secp256k1>, z: Scalar<Secp256k1>) -> [UInt8] {
        Secp256k1.xOnly(groupCommitment) + z.withEncoding { Array($0) }
    }

    public static func verify(signature: [UInt8], message: [UInt8], publicKey: Point<Secp256k1>) -> Bool {
        Secp256k1.verifySchnorr(signature: signature, message: message, publicKey: publicKey)
    }
}
