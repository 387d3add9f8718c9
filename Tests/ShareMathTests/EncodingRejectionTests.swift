import ShareMath
import Testing

/// One encoding that must be refused, and the exact reason.
struct RejectionCase: Sendable, CustomTestStringConvertible {
    let name: String
    let hex: String
    let expected: ShareMathError

    init(_ name: String, _ hex: String, _ expected: ShareMathError) {
        self.name = name
        self.hex = hex
        self.expected = expected
    }

    var bytes: [UInt8] { try! Hex.decode(hex) }
    var testDescription: String { name }
}

/// `count` copies of a hex byte.
private func repeated(_ byte: String, _ count: Int) -> String { String(repeating: byte, count: count) }

/// The published constants the cases are built from.
private enum Constants {
    /// secp256k1's group order n, big-endian (SEC 2, section 2.4.1).
    static let secp256k1Order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    /// secp256k1's field prime p, big-endian.
    static let secp256k1Prime = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"
    /// x and y of secp256k1's generator G (SEC 2, section 2.4.1).
    static let secp256k1GX = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
    static let secp256k1GY = "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
    /// ed25519's group order L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032).
    static let ed25519Order = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
    /// L + 1 and L - 1, little-endian.
    static let ed25519OrderPlusOne = "eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
    static let ed25519OrderMinusOne = "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
    /// ed25519's base point B (RFC 8032, section 5.1: y = 4/5).
    static let ed25519Base = "5866666666666666666666666666666666666666666666666666666666666666"
    /// 7·B, the prime-order point the mixed-order cases below are built on. Computed offline with a
    /// pure-Python transcription of RFC 8032's point arithmetic (section 6); the test `sevenB` re-derives it
    /// with `Ed25519.baseMultiply`.
    static let ed25519SevenB = "b862409fb5c4c4123df2abf7462b88f041ad36dd6864ce872fd5472be363c5b1"
}

@Suite("Decoding refuses every invalid class, with the exact error")
struct EncodingRejectionTests {
    // MARK: Scalars

    static let secp256k1Scalars: [RejectionCase] = [
        RejectionCase("empty", "", .wrongLength(expected: 32, actual: 0)),
        RejectionCase("31 bytes", repeated("01", 31), .wrongLength(expected: 32, actual: 31)),
        RejectionCase("33 bytes", repeated("01", 33), .wrongLength(expected: 32, actual: 33)),
        RejectionCase("64 bytes", repeated("01", 64), .wrongLength(expected: 32, actual: 64)),
        RejectionCase("zero", repeated("00", 32), .zeroScalar),
        RejectionCase("the group order n", Constants.secp256k1Order, .scalarOutOfRange),
        RejectionCase("n + 1", "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364142", .scalarOutOfRange),
        RejectionCase("the field prime p (> n)", Constants.secp256k1Prime, .scalarOutOfRange),
        RejectionCase("all 0xff", repeated("ff", 32), .scalarOutOfRange),
    ]

    static let ed25519Scalars: [RejectionCase] = [
        RejectionCase("empty", "", .wrongLength(expected: 32, actual: 0)),
        RejectionCase("31 bytes", repeated("01", 31), .wrongLength(expected: 32, actual: 31)),
        RejectionCase("33 bytes", repeated("01", 33), .wrongLength(expected: 32, actual: 33)),
        RejectionCase("64 bytes (unreduced hash width)", repeated("01", 64), .wrongLength(expected: 32, actual: 64)),
        RejectionCase("zero", repeated("00", 32), .zeroScalar),
        RejectionCase("the group order L", Constants.ed25519Order, .scalarOutOfRange),
        RejectionCase("L + 1", Constants.ed25519OrderPlusOne, .scalarOutOfRange),
        RejectionCase("2^253", repeated("00", 31) + "20", .scalarOutOfRange),
        RejectionCase("2^255", repeated("00", 31) + "80", .scalarOutOfRange),
        RejectionCase("all 0xff", repeated("ff", 32), .scalarOutOfRange),
    ]

    @Test("secp256k1 scalars", arguments: secp256k1Scalars)
    func secp256k1Scalar(_ rejection: RejectionCase) {
        #expect(throws: rejection.expected) { try Scalar<Secp256k1>(decoding: rejection.bytes) }
    }

    @Test("ed25519 scalars", arguments: ed25519Scalars)
    func ed25519Scalar(_ rejection: RejectionCase) {
        #expect(throws: rejection.expected) { try Scalar<Ed25519>(decoding: rejection.bytes) }
    }

    @Test("the valid neighbours of the refused scalars decode: 1, order - 1, and (ed25519) 2^252")
    func scalarBoundaries() throws {
        #expect(try Scalar<Secp256k1>(decoding: Hex.decode(repeated("00", 31) + "01")) == Secp256k1.element(1))
        #expect(
            try Scalar<Secp256k1>(
                decoding: Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140"))
                == Secp256k1.minusOne)
        #expect(try Scalar<Ed25519>(decoding: Hex.decode("01" + repeated("00", 31))) == Ed25519.element(1))
        #expect(try Scalar<Ed25519>(decoding: Hex.decode(Constants.ed25519OrderMinusOne)) == Ed25519.minusOne)
        // 2^252 < L: the largest power of two that is a valid ed25519 scalar.
        let twoTo252 = try Scalar<Ed25519>(decoding: Hex.decode(repeated("00", 31) + "10"))
        #expect(twoTo252.encodedBytes.last == 0x10)
    }

    // MARK: secp256k1 points

    static let secp256k1Points: [RejectionCase] = [
        RejectionCase("empty", "", .wrongLength(expected: 33, actual: 0)),
        RejectionCase("32 bytes (x only)", Constants.secp256k1GX, .wrongLength(expected: 33, actual: 32)),
        RejectionCase("34 bytes", "02" + Constants.secp256k1GX + "00", .wrongLength(expected: 33, actual: 34)),
        RejectionCase(
            "65-byte uncompressed G", "04" + Constants.secp256k1GX + Constants.secp256k1GY,
            .wrongLength(expected: 33, actual: 65)),
        RejectionCase("the identity 00", "00", .identityPoint),
        RejectionCase("prefix 0x04 with 33 bytes", "04" + Constants.secp256k1GX, .nonCanonicalPoint),
        RejectionCase("prefix 0x05", "05" + Constants.secp256k1GX, .nonCanonicalPoint),
        RejectionCase("prefix 0x06 (hybrid)", "06" + Constants.secp256k1GX, .nonCanonicalPoint),
        RejectionCase("prefix 0x00 with 33 bytes", "00" + Constants.secp256k1GX, .nonCanonicalPoint),
        RejectionCase("prefix 0xff", "ff" + Constants.secp256k1GX, .nonCanonicalPoint),
        // x^3 + 7 is not a square mod p for x = 0 and x = 5 (checked offline with Euler's criterion), so no
        // y exists; x = 1 (a control in `secp256k1Controls`) has one.
        RejectionCase("x = 0: no y", "02" + repeated("00", 32), .pointNotOnCurve),
        RejectionCase("x = 0 odd: no y", "03" + repeated("00", 32), .pointNotOnCurve),
        RejectionCase("x = 5: no y", "02" + repeated("00", 31) + "05", .pointNotOnCurve),
        // x >= p is not a field element: libsecp256k1 refuses it outright, even when x - p would be a
        // valid x (x - p = 1 here), and the backend reports it as naming no point.
        RejectionCase("x = p", "02" + Constants.secp256k1Prime, .pointNotOnCurve),
        RejectionCase(
            "x = p + 1", "02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30", .pointNotOnCurve),
    ]

    @Test("secp256k1 points", arguments: secp256k1Points)
    func secp256k1Point(_ rejection: RejectionCase) {
        #expect(throws: rejection.expected) { try Point<Secp256k1>(decoding: rejection.bytes) }
    }

    @Test("secp256k1 controls: G, -G and x = 1 decode")
    func secp256k1Controls() throws {
        #expect(
            try Point<Secp256k1>(decoding: Hex.decode("02" + Constants.secp256k1GX))
                == Secp256k1.baseMultiply(Secp256k1.element(1)))
        #expect(
            try Point<Secp256k1>(decoding: Hex.decode("03" + Constants.secp256k1GX))
                == Secp256k1.baseMultiply(Secp256k1.minusOne))
        _ = try Point<Secp256k1>(decoding: Hex.decode("02" + repeated("00", 31) + "01"))
        #expect(Secp256k1.identity.encoded == [0x00])
    }

    @Test("secp256k1 affine coordinates: wrong lengths, off the curve, x or y >= p")
    func secp256k1Coordinates() throws {
        let x = try Hex.decode(Constants.secp256k1GX)
        let y = try Hex.decode(Constants.secp256k1GY)
        #expect(try Secp256k1.decodePoint(x: x, y: y) == Secp256k1.baseMultiply(Secp256k1.element(1)))
        #expect(throws: ShareMathError.wrongLength(expected: 32, actual: 31)) {
            try Secp256k1.decodePoint(x: Array(x.dropFirst()), y: y)
        }
        #expect(throws: ShareMathError.wrongLength(expected: 32, actual: 33)) {
            try Secp256k1.decodePoint(x: x, y: [0] + y)
        }
        #expect(throws: ShareMathError.wrongLength(expected: 32, actual: 0)) { try Secp256k1.decodePoint(x: x, y: []) }
        var offCurve = y
        offCurve[31] ^= 1
        #expect(throws: ShareMathError.pointNotOnCurve) { try Secp256k1.decodePoint(x: x, y: offCurve) }
        #expect(throws: ShareMathError.pointNotOnCurve) {
            try Secp256k1.decodePoint(x: Hex.decode(Constants.secp256k1Prime), y: y)
        }
        #expect(throws: ShareMathError.pointNotOnCurve) {
            try Secp256k1.decodePoint(x: [UInt8](repeating: 0, count: 32), y: [UInt8](repeating: 0, count: 32))
        }
    }

    // MARK: ed25519 points

    static let ed25519Points: [RejectionCase] = [
        RejectionCase("empty", "", .wrongLength(expected: 32, actual: 0)),
        RejectionCase("31 bytes", String(Constants.ed25519Base.dropLast(2)), .wrongLength(expected: 32, actual: 31)),
        RejectionCase("33 bytes", Constants.ed25519Base + "00", .wrongLength(expected: 32, actual: 33)),
        RejectionCase(
            "64 bytes", Constants.ed25519Base + Constants.ed25519Base, .wrongLength(expected: 32, actual: 64)),
        // (y^2 - 1) / (d·y^2 + 1) is not a square mod p for y = 2 (checked offline), so no x exists.
        RejectionCase("y = 2: no x", "02" + repeated("00", 31), .pointNotOnCurve),
        RejectionCase("y = 2, sign bit set: no x", "02" + repeated("00", 30) + "80", .pointNotOnCurve),
        // y = p + 2 is non-canonical too, but it reduces to y = 2, which is not on the curve at all.
        RejectionCase("y = p + 2: no x", "ef" + repeated("ff", 30) + "7f", .pointNotOnCurve),
        // y >= p: libsodium reduces y mod p and finds a point, whose canonical encoding differs.
        RejectionCase("y = p (canonically y = 0)", "ed" + repeated("ff", 30) + "7f", .nonCanonicalPoint),
        RejectionCase("y = p + 1 (canonically the identity)", "ee" + repeated("ff", 30) + "7f", .nonCanonicalPoint),
        RejectionCase("y = p + 3", "f0" + repeated("ff", 30) + "7f", .nonCanonicalPoint),
        RejectionCase("y = p + 18 = 2^255 - 1", repeated("ff", 31) + "7f", .nonCanonicalPoint),
        RejectionCase("y = p, sign bit set", "ed" + repeated("ff", 31), .nonCanonicalPoint),
        RejectionCase("y = p + 1, sign bit set", "ee" + repeated("ff", 31), .nonCanonicalPoint),
        // x = 0 has no negative: the sign bit must be clear for y = 1 and y = -1.
        RejectionCase("y = 1 with x = -0", "01" + repeated("00", 30) + "80", .nonCanonicalPoint),
        RejectionCase("y = -1 with x = -0", "ec" + repeated("ff", 31), .nonCanonicalPoint),
        // The eight points of small order, canonically encoded (the identity first).
        RejectionCase("the identity 01 00..00", "01" + repeated("00", 31), .identityPoint),
        RejectionCase("order 2: y = -1", "ec" + repeated("ff", 30) + "7f", .identityPoint),
        RejectionCase("order 4: y = 0, x even", repeated("00", 32), .identityPoint),
        RejectionCase("order 4: y = 0, x odd", repeated("00", 31) + "80", .identityPoint),
        RejectionCase(
            "order 8 (1)", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", .identityPoint),
        RejectionCase(
            "order 8 (2)", "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", .identityPoint),
        RejectionCase(
            "order 8 (3)", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", .identityPoint),
        RejectionCase(
            "order 8 (4)", "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", .identityPoint),
        // 7·B + T for each of the seven nonzero small-order points T, i.e. k·T8 for k = 1...7 with T8 the
        // order-8 point 26e8..05 above: on the curve, canonical, of order 8·L or 4·L or 2·L. Computed offline
        // in pure Python with RFC 8032's formulas; libsodium's crypto_core_ed25519_add accepts each and
        // re-encodes it unchanged, and crypto_core_ed25519_is_valid_point refuses each.
        RejectionCase(
            "7·B + T8", "16b981d0b88cdf3ab9fa87190822fe4905b475efda3aec7c34abfa92c19320f4",
            .pointNotInPrimeOrderSubgroup),
        RejectionCase(
            "7·B + 2·T8 (order-4 torsion)", "16030e0ff1d6226b8ad6ff918b288668c1c3e5e45269487f85479bb4a9fb11af",
            .pointNotInPrimeOrderSubgroup),
        RejectionCase(
            "7·B + 3·T8", "e9b2fe981587efae6478f48ba1fa60cec6126d0e26dde72a0a24f640dcd783e5",
            .pointNotInPrimeOrderSubgroup),
        RejectionCase(
            "7·B + 4·T8 (order-2 torsion)", "359dbf604a3b3bedc20d5408b9d4770fbe52c922979b3178d02ab8d41c9c3a4e",
            .pointNotInPrimeOrderSubgroup),
        RejectionCase(
            "7·B + 5·T8", "d7467e2f477320c5460578e6f7dd01b6fa4b8a1025c51383cb54056d3e6cdf0b",
            .pointNotInPrimeOrderSubgroup),
        RejectionCase(
            "7·B + 6·T8", "d7fcf1f00e29dd947529006e74d779973e3c1a1bad96b7807ab8644b5604ee50",
            .pointNotInPrimeOrderSubgroup),
        RejectionCase(
            "7·B + 7·T8", "044d0167ea7810519b870b745e059f3139ed92f1d92218d5f5db09bf23287c1a",
            .pointNotInPrimeOrderSubgroup),
    ]

    @Test("ed25519 points", arguments: ed25519Points)
    func ed25519Point(_ rejection: RejectionCase) {
        #expect(throws: rejection.expected) { try Point<Ed25519>(decoding: rejection.bytes) }
    }

    @Test("ed25519 controls: B and 7·B decode, and 7·B is what the mixed-order cases were built on")
    func ed25519Controls() throws {
        let base = try Point<Ed25519>(decoding: Hex.decode(Constants.ed25519Base))
        #expect(base == Ed25519.baseMultiply(Ed25519.element(1)))
        let sevenB = Ed25519.baseMultiply(Ed25519.element(7))
        #expect(Hex.encode(sevenB.encoded) == Constants.ed25519SevenB)
        #expect(try Point<Ed25519>(decoding: Hex.decode(Constants.ed25519SevenB)) == sevenB)
        #expect(Ed25519.identity.encoded == [0x01] + [UInt8](repeating: 0, count: 31))
    }

    // MARK: Hex

    static let invalidHex: [String] = [
        "0", "abc", "zz", "0g", "g0", " 0", "0 ", "0x00", "-1", "é", "0\n", "\u{0}0", "00 11",
    ]

    @Test("Hex.decode refuses odd lengths and non-hex characters", arguments: invalidHex)
    func hexRejected(_ text: String) {
        #expect(throws: ShareMathError.invalidHex) { try Hex.decode(text) }
        #expect(throws: ShareMathError.invalidHex) { try Hex.decodeSecret(text) }
    }

    @Test("Hex.decodeSecret refuses the empty string; Hex.decode gives no bytes for it")
    func hexEmpty() throws {
        #expect(throws: ShareMathError.invalidHex) { try Hex.decodeSecret("") }
        #expect(try Hex.decode("") == [])
        #expect(try Hex.decode("00fFaA") == [0x00, 0xff, 0xaa])
        #expect(Hex.encode([0x00, 0xff, 0xaa, 0x0f]) == "00ffaa0f")
    }
}
