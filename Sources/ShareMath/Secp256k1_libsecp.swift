internal import CSecp256k1
internal import CSodium

/// secp256k1 (EVM chains, Bitcoin, Tron) on libsecp256k1.
///
/// libsecp256k1's public API has no zero scalar and no point at infinity; this backend represents both
/// explicitly (an all-zero scalar, an empty point) so the generic math stays total. Random values hit
/// them only with negligible probability, and decoding refuses them.
public enum Secp256k1: Curve {
    public static let id = CurveID.secp256k1
    public static let scalarLength = 32
    public static let pointLength = 33

    /// The group order n minus 2, big-endian: the exponent for inversion by Fermat's little theorem.
    private static let orderMinusTwo: [UInt8] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
        0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x3f,
    ]

    // MARK: Field

    public static func add(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Scalar<Self> {
        if a.isZero { return copy(b) }
        if b.isZero { return copy(a) }
        return mutatedCopy(of: a) { out in
            b.withEncoding { tweak in
                // Fails only when the sum is zero, which the copy then becomes.
                if secp256k1_ec_seckey_tweak_add(context, out, tweak.uint8) != 1 {
                    sodium_memzero(out, 32)
                }
            }
        }
    }

    public static func subtract(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Scalar<Self> {
        add(a, negate(b))
    }

    public static func multiply(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Scalar<Self> {
        if a.isZero || b.isZero { return Scalar(bytes: SecureBytes(zeroedCount: 32)) }
        return mutatedCopy(of: a) { out in
            b.withEncoding { tweak in
                let ok = secp256k1_ec_seckey_tweak_mul(context, out, tweak.uint8)
                precondition(ok == 1, "secp256k1_ec_seckey_tweak_mul failed on valid nonzero scalars")
            }
        }
    }

    /// `-a mod n`.
    public static func negate(_ a: Scalar<Self>) -> Scalar<Self> {
        if a.isZero { return copy(a) }
        return mutatedCopy(of: a) { out in
            let ok = secp256k1_ec_seckey_negate(context, out)
            precondition(ok == 1, "secp256k1_ec_seckey_negate failed on a valid scalar")
        }
    }

    /// `a^(n-2) mod n` by square-and-multiply in one guarded buffer (the inputs are public identifiers
    /// in practice, but the ladder does not branch on `a`).
    public static func inverse(_ a: Scalar<Self>) -> Scalar<Self> {
        precondition(!a.isZero, "inverse of zero")
        let result = element(1)
        let scratch = SecureBytes(zeroedCount: 32)
        result.bytes.withUnsafeMutableBytes { accumulator in
            scratch.withUnsafeMutableBytes { square in
                a.withEncoding { base in
                    for byte in orderMinusTwo {
                        for bit in (0..<8).reversed() {
                            square.copyMemory(from: UnsafeRawBufferPointer(accumulator))
                            // A product of nonzero scalars modulo a prime is nonzero: libsecp256k1 never refuses.
                            var status = secp256k1_ec_seckey_tweak_mul(context, accumulator.uint8, square.uint8)
                            if (byte >> UInt8(bit)) & 1 == 1 {
                                status &= secp256k1_ec_seckey_tweak_mul(context, accumulator.uint8, base.uint8)
                            }
                            precondition(status == 1, "libsecp256k1 refused a product of nonzero scalars")
                        }
                    }
                }
            }
        }
        return result
    }

    public static func isEqual(_ a: Scalar<Self>, _ b: Scalar<Self>) -> Bool { a.bytes == b.bytes }
    public static func isZero(_ a: Scalar<Self>) -> Bool { a.bytes.isZero }

    public static func element(_ value: UInt64) -> Scalar<Self> {
        let bytes = SecureBytes.filled(count: 32) { buffer in
            for index in 0..<8 { buffer[31 - index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
        }
        return Scalar(bytes: bytes)
    }

    public static func random() -> Scalar<Self> {
        while true {
            let candidate = SecureBytes.random(count: 32)
            let valid = candidate.withUnsafeBytes { secp256k1_ec_seckey_verify(context, $0.uint8) == 1 }
            if valid { return Scalar(bytes: candidate) }
        }
    }

    /// `2^256 - n`, big-endian: adding it modulo 2^256 subtracts n once, and it is also `2^256 mod n`.
    private static let orderComplement: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x45, 0x51, 0x23, 0x19, 0x50, 0xb7, 0x5f, 0xc4, 0x40, 0x2d, 0xa1, 0x73, 0x2f, 0xc9, 0xbe, 0xbf,
    ]

    /// A big-endian integer of up to 64 bytes reduced modulo n (hash_to_field and BIP-340 challenges),
    /// computed in guarded memory: `hi·2^256 + lo ≡ hi·(2^256 - n) + (lo mod n)`.
    public static func reduce(bigEndian wide: SecureBytes) -> Scalar<Self> {
        precondition(wide.count <= 64, "reduce takes at most 64 bytes")
        let padded = SecureBytes.filled(count: 64) { out in
            wide.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: out[(64 - $0.count)...]).copyMemory(from: $0)
            }
        }
        let low = SecureBytes.filled(count: 32) { out in
            padded.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[32...])) }
            let belowOrder = out.isAllZero || secp256k1_ec_seckey_verify(context, out.uint8) == 1
            if !belowOrder {  // lo - n ≡ lo + (2^256 - n) mod 2^256
                var carry: UInt16 = 0
                for index in (0..<32).reversed() {
                    let sum = UInt16(out[index]) + UInt16(orderComplement[index]) + carry
                    out[index] = UInt8(truncatingIfNeeded: sum)
                    carry = sum >> 8
                }
            }
        }
        let high = SecureBytes.filled(count: 32) { out in
            padded.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<32])) }
        }
        let lowScalar = Scalar<Self>(bytes: low)
        if high.isZero { return lowScalar }
        // hi < 2^256 may itself exceed n: reduce it once more the same way (it is below 2^256, so one step).
        let highScalar = reduce(bigEndian: high)
        let complement = Scalar<Self>(bytes: SecureBytes(copying: orderComplement))
        return add(lowScalar, multiply(highScalar, complement))
    }

    /// Whether a point's y coordinate is even (BIP-340's rule for keys and nonces).
    public static func hasEvenY(_ point: Point<Self>) -> Bool { encodePoint(point).first == 0x02 }

    /// The 32-byte x coordinate (BIP-340's x-only form).
    public static func xOnly(_ point: Point<Self>) -> [UInt8] { Array(encodePoint(point).dropFirst()) }

    /// Verifies a BIP-340 signature with libsecp256k1's `secp256k1_schnorrsig_verify`.
    public static func verifySchnorr(signature: [UInt8], message: [UInt8], publicKey: Point<Self>) -> Bool {
        guard signature.count == 64, !publicKey.isIdentity else { return false }
        var xonly = secp256k1_xonly_pubkey()
        guard secp256k1_xonly_pubkey_parse(context, &xonly, xOnly(publicKey)) == 1 else { return false }
        return secp256k1_schnorrsig_verify(context, signature, message, message.count, &xonly) == 1
    }

    // MARK: Encodings

    public static func decodeScalar(_ encoded: some Collection<UInt8>) throws(ShareMathError) -> Scalar<Self> {
        guard encoded.count == 32 else { throw .wrongLength(expected: 32, actual: encoded.count) }
        let bytes = SecureBytes(copying: encoded)
        if bytes.isZero { throw .zeroScalar }
        let valid = bytes.withUnsafeBytes { secp256k1_ec_seckey_verify(context, $0.uint8) == 1 }
        guard valid else { throw .scalarOutOfRange }
        return Scalar(bytes: bytes)
    }

    public static func decodePoint(_ encoded: some Collection<UInt8>) throws(ShareMathError) -> Point<Self> {
        let input = Array(encoded)
        if input == [0x00] { throw .identityPoint }
        guard input.count == 33 else { throw .wrongLength(expected: 33, actual: input.count) }
        guard input[0] == 0x02 || input[0] == 0x03 else { throw .nonCanonicalPoint }
        if let raw = ValidatedPoints.secp256k1.lookup(input) { return Point(raw: raw) }
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(context, &key, input, 33) == 1 else { throw .pointNotOnCurve }
        let decoded = point(key)
        ValidatedPoints.secp256k1.remember(input, raw: decoded.raw)
        return decoded
    }

    public static func encodePoint(_ point: Point<Self>) -> [UInt8] {
        guard var key = pubkey(point) else { return [0x00] }
        var output = [UInt8](repeating: 0, count: 33)
        var length = 33
        let status = secp256k1_ec_pubkey_serialize(
            context, &output, &length, &key, UInt32(SECP256K1_EC_COMPRESSED))
        precondition(status == 1 && length == 33, "libsecp256k1 refused to serialise a point")
        return output
    }

    /// The 65-byte uncompressed SEC1 encoding `04 || X || Y` (Ethereum addresses hash `X || Y`).
    public static func uncompressedEncoding(_ point: Point<Self>) -> [UInt8]? {
        guard var key = pubkey(point) else { return nil }
        var output = [UInt8](repeating: 0, count: 65)
        var length = 65
        let status = secp256k1_ec_pubkey_serialize(
            context, &output, &length, &key, UInt32(SECP256K1_EC_UNCOMPRESSED))
        precondition(status == 1 && length == 65, "libsecp256k1 refused to serialise a point")
        return output
    }

    /// Decodes affine coordinates (32-byte big-endian each), as Portal's share JSON gives them.
    public static func decodePoint(x: [UInt8], y: [UInt8]) throws(ShareMathError) -> Point<Self> {
        guard x.count == 32 else { throw .wrongLength(expected: 32, actual: x.count) }
        guard y.count == 32 else { throw .wrongLength(expected: 32, actual: y.count) }
        var key = secp256k1_pubkey()
        let input = [0x04] + x + y
        guard secp256k1_ec_pubkey_parse(context, &key, input, 65) == 1 else { throw .pointNotOnCurve }
        return point(key)
    }

    // MARK: Group

    public static let identity = Point<Self>(raw: [])

    public static func baseMultiply(_ s: Scalar<Self>) -> Point<Self> {
        if s.isZero { return identity }
        var key = secp256k1_pubkey()
        let ok = s.withEncoding { secp256k1_ec_pubkey_create(context, &key, $0.uint8) }
        precondition(ok == 1, "secp256k1_ec_pubkey_create failed on a valid scalar")
        return point(key)
    }

    public static func multiply(_ p: Point<Self>, _ s: Scalar<Self>) -> Point<Self> {
        guard var key = pubkey(p), !s.isZero else { return identity }
        let ok = s.withEncoding { secp256k1_ec_pubkey_tweak_mul(context, &key, $0.uint8) }
        precondition(ok == 1, "secp256k1_ec_pubkey_tweak_mul failed on valid inputs")
        return point(key)
    }

    public static func add(_ p: Point<Self>, _ q: Point<Self>) -> Point<Self> {
        sum([p, q])
    }

    /// `p + (−q)`: `secp256k1_ec_pubkey_negate`, then one combine.
    public static func subtract(_ p: Point<Self>, _ q: Point<Self>) -> Point<Self> {
        guard var negated = pubkey(q) else { return p }
        let ok = secp256k1_ec_pubkey_negate(context, &negated)
        precondition(ok == 1, "secp256k1_ec_pubkey_negate failed on a valid point")
        return add(p, point(negated))
    }

    /// One `secp256k1_ec_pubkey_combine` for all the points at once.
    public static func sum(_ points: [Point<Self>]) -> Point<Self> {
        var keys = points.compactMap(pubkey)
        if keys.isEmpty { return identity }
        if keys.count == 1 { return point(keys[0]) }
        var result = secp256k1_pubkey()
        let ok = keys.withUnsafeMutableBufferPointer { buffer in
            var pointers: [UnsafePointer<secp256k1_pubkey>?] = (0..<buffer.count).map { index in
                buffer.baseAddress.map { UnsafePointer($0 + index) }
            }
            return secp256k1_ec_pubkey_combine(context, &result, &pointers, buffer.count)
        }
        // combine fails only when the sum is the point at infinity.
        return ok == 1 ? point(result) : identity
    }

    public static func isEqual(_ p: Point<Self>, _ q: Point<Self>) -> Bool {
        switch (pubkey(p), pubkey(q)) {
        case (nil, nil): return true
        case (var a?, var b?): return secp256k1_ec_pubkey_cmp(context, &a, &b) == 0
        default: return false
        }
    }

    // MARK: Backend

    /// One context for the process, randomised once; libsecp256k1 allows concurrent use of a const context.
    nonisolated(unsafe) private static let context: OpaquePointer = {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("libsecp256k1 could not allocate its context")
        }
        let seed = SecureBytes.random(count: 32)
        let randomized = seed.withUnsafeBytes { secp256k1_context_randomize(context, $0.uint8) }
        precondition(randomized == 1, "libsecp256k1 refused to randomise its context")
        return context
    }()

    private static func copy(_ a: Scalar<Self>) -> Scalar<Self> {
        mutatedCopy(of: a) { _ in }
    }

    private static func mutatedCopy(
        of a: Scalar<Self>, _ body: (UnsafeMutablePointer<UInt8>) -> Void
    ) -> Scalar<Self> {
        let bytes = SecureBytes.filled(count: 32) { buffer in
            a.withEncoding { buffer.copyMemory(from: $0) }
            body(buffer.uint8)
        }
        return Scalar(bytes: bytes)
    }

    private static func point(_ key: secp256k1_pubkey) -> Point<Self> {
        withUnsafeBytes(of: key) { Point(raw: Array($0)) }
    }

    private static func pubkey(_ point: Point<Self>) -> secp256k1_pubkey? {
        guard point.raw.count == MemoryLayout<secp256k1_pubkey>.size else { return nil }
        var key = secp256k1_pubkey()
        withUnsafeMutableBytes(of: &key) { $0.copyBytes(from: point.raw) }
        return key
    }
}

extension UnsafeRawBufferPointer {
    /// The buffer as a C `unsigned char *`, for the fixed-size keys, scalars and points passed to libsecp256k1
    /// and libsodium (whose headers declare these pointers non-null). Only an empty buffer has no address, and
    /// none of those is ever empty (`SecureBytes` never is).
    package var uint8: UnsafePointer<UInt8> {
        guard let address = baseAddress else { preconditionFailure("an empty buffer passed where C needs bytes") }
        return address.assumingMemoryBound(to: UInt8.self)
    }

    /// The buffer as a C `char *`; see `uint8`.
    package var cChars: UnsafePointer<CChar> { UnsafeRawPointer(uint8).assumingMemoryBound(to: CChar.self) }
}

extension UnsafeMutableRawBufferPointer {
    /// The buffer as a C `unsigned char *`; see `UnsafeRawBufferPointer.uint8`.
    package var uint8: UnsafeMutablePointer<UInt8> {
        guard let address = baseAddress else { preconditionFailure("an empty buffer passed where C needs bytes") }
        return address.assumingMemoryBound(to: UInt8.self)
    }

    var isAllZero: Bool { allSatisfy { $0 == 0 } }
}
