internal import CSodium

/// ed25519 (Solana, Stellar) on libsodium's `crypto_core_ed25519_*` and `crypto_scalarmult_ed25519_*_noclamp`.
///
/// Points are kept as their 32-byte RFC 8032 encodings, which is what libsodium's functions take.
public enum Ed25519: Curve {
    public static let id = CurveID.ed25519
    public static let scalarLength = 32
    public static let pointLength = 32

    /// The neutral element's encoding: y = 1, x = 0.
    private static let identityEncoding: [UInt8] = [0x01] + [UInt8](repeating: 0, count: 31)

    // MARK: Field

    public static func add(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Scalar<Self> {
        combine(a, b, crypto_core_ed25519_scalar_add)
    }

    public static func subtract(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Scalar<Self> {
        combine(a, b, crypto_core_ed25519_scalar_sub)
    }

    public static func multiply(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Scalar<Self> {
        combine(a, b, crypto_core_ed25519_scalar_mul)
    }

    public static func inverse(_ a: Scalar<Self>) -> Scalar<Self> {
        precondition(!a.isZero, "inverse of zero")
        let bytes = SecureBytes.filled(count: 32) { out in
            a.withEncoding { _ = crypto_core_ed25519_scalar_invert(out.uint8, $0.uint8) }
        }
        return Scalar(bytes: bytes)
    }

    public static func isEqual(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Bool { a.bytes == b.bytes }
    public static func isZero(_ a: Scalar<Self>) -> Bool { a.bytes.isZero }

    public static func element(_ value: UInt64) -> Scalar<Self> {
        let bytes = SecureBytes.filled(count: 32) { buffer in
            for index in 0..<8 { buffer[index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        return Scalar(bytes: bytes)
    }

    public static func random() -> Scalar<Self> {
        Scalar(bytes: SecureBytes.filled(count: 32) { crypto_core_ed25519_scalar_random($0.uint8) })
    }

    /// The secret scalar of an RFC 8032 private key (seed): SHA-512, clamped, reduced mod L (section 5.1.5).
    public static func secretScalar(fromSeed seed: SecureBytes) throws(ShareMathError) -> Scalar<Self> {
        guard seed.count == 32 else { throw .wrongLength(expected: 32, actual: seed.count) }
        let wide = SecureBytes.filled(count: 64) { digest in
            seed.withUnsafeBytes { _ = crypto_hash_sha512(digest.uint8, $0.uint8, 32) }
            digest[0] &= 248
            digest[31] &= 127
            digest[31] |= 64
            for index in 32..<64 { digest[index] = 0 }
        }
        let scalar = Scalar<Self>(
            bytes: SecureBytes.filled(count: 32) { out in
                wide.withUnsafeBytes { crypto_core_ed25519_scalar_reduce(out.uint8, $0.uint8) }
            })
        if scalar.isZero { throw .zeroScalar }
        return scalar
    }

    /// A 64-byte little-endian integer (a SHA-512 digest) reduced modulo L, in guarded memory.
    public static func reduce(wide: SecureBytes) -> Scalar<Self> {
        precondition(wide.count == 64, "reduce takes 64 bytes")
        return Scalar(
            bytes: SecureBytes.filled(count: 32) { out in
                wide.withUnsafeBytes { crypto_core_ed25519_scalar_reduce(out.uint8, $0.uint8) }
            })
    }

    /// Verifies an Ed25519 signature with libsodium's `crypto_sign_verify_detached`.
    public static func verifySignature(signature: [UInt8], message: [UInt8], publicKey: Point<Self>) -> Bool {
        guard signature.count == 64 else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), publicKey.raw) == 0
    }

    // MARK: Encodings

    public static func decodeScalar(_ encoded: some Collection<UInt8>) throws(ShareMathError) -> Scalar<Self> {
        guard encoded.count == 32 else { throw .wrongLength(expected: 32, actual: encoded.count) }
        let bytes = SecureBytes(copying: encoded)
        if bytes.isZero { throw .zeroScalar }
        // Canonical means below L: reducing the value (widened to 64 bytes) must leave it unchanged.
        let wide = SecureBytes.filled(count: 64) { buffer in
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
        let reduced = SecureBytes.filled(count: 32) { out in
            wide.withUnsafeBytes { crypto_core_ed25519_scalar_reduce(out.uint8, $0.uint8) }
        }
        guard reduced == bytes else { throw .scalarOutOfRange }
        return Scalar(bytes: bytes)
    }

    public static func decodePoint(_ encoded: some Collection<UInt8>) throws(ShareMathError) -> Point<Self> {
        let input = Array(encoded)
        guard input.count == 32 else { throw .wrongLength(expected: 32, actual: input.count) }
        if let raw = ValidatedPoints.ed25519.lookup(input) { return Point(raw: raw) }
        if crypto_core_ed25519_is_valid_point(input) == 1 {
            ValidatedPoints.ed25519.remember(input, raw: input)
            return Point(raw: input)
        }
        // Rejected: say why. Adding the identity decodes the point and re-encodes it canonically.
        var canonical = [UInt8](repeating: 0, count: 32)
        guard crypto_core_ed25519_add(&canonical, input, identityEncoding) == 0 else { throw .pointNotOnCurve }
        guard canonical == input else { throw .nonCanonicalPoint }
        var multiple = canonical
        for _ in 0..<3 {  // 8·P: the identity exactly when P has small order.
            let doubled = multiple
            _ = crypto_core_ed25519_add(&multiple, doubled, doubled)
        }
        if multiple == identityEncoding { throw .identityPoint }
        throw .pointNotInPrimeOrderSubgroup
    }

    public static func encodePoint(_ point: Point<Self>) -> [UInt8] { point.raw }

    // MARK: Group

    public static let identity = Point<Self>(raw: identityEncoding)

    public static func baseMultiply(_ s: Scalar<Self>) -> Point<Self> {
        if s.isZero { return identity }
        var out = [UInt8](repeating: 0, count: 32)
        let status = s.withEncoding { crypto_scalarmult_ed25519_base_noclamp(&out, $0.uint8) }
        precondition(status == 0, "crypto_scalarmult_ed25519_base_noclamp failed on a nonzero scalar")
        return Point(raw: out)
    }

    public static func multiply(_ p: Point<Self>, _ s: Scalar<Self>) -> Point<Self> {
        if s.isZero || p.raw == identityEncoding { return identity }
        // Small multipliers (identifiers 1...8 in Horner's rule) by additions: libsodium's variable-base
        // multiplication also runs a subgroup check, ten times the cost of these few additions. A random
        // secret scalar is this small with probability 2^-250, so the branch tells nothing.
        if let small = s.withEncoding({ bytes in
            bytes[1...].allSatisfy { $0 == 0 } && bytes[0] <= 8 ? Int(bytes[0]) : nil
        }) {
            var result = identity
            var addend = p
            var remaining = small
            while remaining > 0 {
                if remaining & 1 == 1 { result = add(result, addend) }
                remaining >>= 1
                if remaining > 0 { addend = add(addend, addend) }
            }
            return result
        }
        var out = [UInt8](repeating: 0, count: 32)
        let status = s.withEncoding { crypto_scalarmult_ed25519_noclamp(&out, $0.uint8, p.raw) }
        precondition(status == 0, "crypto_scalarmult_ed25519_noclamp failed on a prime-order point")
        return Point(raw: out)
    }

    public static func add(_ p: Point<Self>, _ q: Point<Self>) -> Point<Self> {
        var out = [UInt8](repeating: 0, count: 32)
        let status = crypto_core_ed25519_add(&out, p.raw, q.raw)
        precondition(status == 0, "crypto_core_ed25519_add failed on valid points")
        return Point(raw: out)
    }

    public static func subtract(_ p: Point<Self>, _ q: Point<Self>) -> Point<Self> {
        var out = [UInt8](repeating: 0, count: 32)
        let status = crypto_core_ed25519_sub(&out, p.raw, q.raw)
        precondition(status == 0, "crypto_core_ed25519_sub failed on valid points")
        return Point(raw: out)
    }

    public static func isEqual(_ p: Point<Self>, _ q: Point<Self>) -> Bool { p.raw == q.raw }

    // MARK: Backend

    private static func combine(
        _ a: Scalar<Self>, _ b: Scalar<Self>,
        _ operation: (UnsafeMutablePointer<UInt8>, UnsafePointer<UInt8>, UnsafePointer<UInt8>) -> Void
    ) -> Scalar<Self> {
        let bytes = SecureBytes.filled(count: 32) { out in
            a.withEncoding { x in b.withEncoding { y in operation(out.uint8, x.uint8, y.uint8) } }
        }
        return Scalar(bytes: bytes)
    }
}
