import ShareMath

extension CurveID {
    /// The curve's type, so a test written once over `C: Curve` can run on every curve with
    /// `@Test(arguments: CurveID.allCases)`.
    var type: any Curve.Type {
        switch self {
        case .secp256k1: Secp256k1.self
        case .ed25519: Ed25519.self
        }
    }
}

extension Curve {
    /// A scalar built from four generated words: their 32 bytes in the curve's byte order (big-endian for
    /// secp256k1, little-endian for ed25519), with ed25519's top four bits cleared so the value is below
    /// the group order `L > 2^252`. Throws only for zero or (secp256k1, probability 2^-128) values >= n.
    static func scalar(words: [UInt64]) throws(ShareMathError) -> Scalar<Self> {
        precondition(words.count == 4)
        var bytes = words.flatMap { word in (0..<8).reversed().map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        if id == .ed25519 {
            bytes.reverse()
            bytes[31] &= 0x0f
        }
        return try Scalar(decoding: bytes)
    }

    /// `0 - 1`, the largest scalar: the group order minus one.
    static var minusOne: Scalar<Self> { subtract(element(0), element(1)) }
}

extension Scalar {
    /// The canonical encoding, through the package-visible export path.
    var encodedBytes: [UInt8] { withEncoding { Array($0) } }
}
