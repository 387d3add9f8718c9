import PropertyBased
import ShareMath
import Testing

/// Encodings round-trip on both curves, and hex round-trips.
@Suite("Encoding round trips")
struct EncodingPropertyTests {
    @Test(
        "scalars: decode(bytes) re-encodes to the same bytes; encode then decode is the identity",
        arguments: CurveID.allCases)
    func scalarRoundTrip(curve: CurveID) async throws {
        try await scalarRoundTrip(curve.type)
    }

    @Test(
        "points: encode then decode is the identity, and the encoding has the curve's length",
        arguments: CurveID.allCases)
    func pointRoundTrip(curve: CurveID) async {
        await pointRoundTrip(curve.type)
    }

    @Test("secp256k1 uncompressed: 04 || X || Y agrees with the compressed form, and X, Y decode back")
    func secp256k1Uncompressed() async {
        await propertyCheck(count: 60, input: ShareMathGen.scalarWords) { words in
            let point = Secp256k1.baseMultiply(try Secp256k1.scalar(words: words))
            let compressed = point.encoded
            let uncompressed = try #require(Secp256k1.uncompressedEncoding(point))
            #expect(uncompressed.count == 65)
            #expect(uncompressed[0] == 0x04)
            #expect(Array(uncompressed[1...32]) == Array(compressed[1...]))
            // The compressed prefix is 02 for even y, 03 for odd y.
            #expect(compressed[0] == 0x02 + (uncompressed[64] & 1))
            let decoded = try Secp256k1.decodePoint(x: Array(uncompressed[1...32]), y: Array(uncompressed[33...]))
            #expect(decoded == point)
        }
        #expect(Secp256k1.uncompressedEncoding(Secp256k1.identity) == nil)
    }

    @Test("hex: decode(encode(bytes)) == bytes, lowercase out, either case in")
    func hexRoundTrip() async {
        await propertyCheck(count: 100, input: Gen.uint8().array(of: 0...80)) { bytes in
            let text = Hex.encode(bytes)
            #expect(text.utf8.count == 2 * bytes.count)
            #expect(text == text.lowercased())
            #expect(try Hex.decode(text) == bytes)
            #expect(try Hex.decode(text.uppercased()) == bytes)
            if !bytes.isEmpty {
                let secret = try Hex.decodeSecret(text)
                #expect(secret == SecureBytes(copying: bytes))
                #expect(try Hex.decodeSecret(ascii: Array(text.utf8)) == secret)
                #expect(secret.withUnsafeBytes { SecureBytes(copying: $0) } == secret)
            }
        }
    }

    private func scalarRoundTrip<C: Curve>(_: C.Type) async throws {
        await propertyCheck(count: 100, input: ShareMathGen.scalarWords) { words in
            let scalar = try C.scalar(words: words)
            let bytes = scalar.encodedBytes
            #expect(bytes.count == C.scalarLength)
            let decoded = try Scalar<C>(decoding: bytes)
            #expect(decoded == scalar)
            #expect(decoded.encodedBytes == bytes)
            #expect(try Scalar<C>(decoding: Hex.decode(Hex.encode(bytes))) == scalar)
        }
        for _ in 0..<20 {
            let scalar = Scalar<C>.random()
            #expect(try Scalar<C>(decoding: scalar.encodedBytes) == scalar)
        }
        // The extremes: 1 and the order minus one.
        for scalar in [C.element(1), C.minusOne] {
            #expect(try Scalar<C>(decoding: scalar.encodedBytes) == scalar)
        }
    }

    private func pointRoundTrip<C: Curve>(_: C.Type) async {
        await propertyCheck(count: 60, input: ShareMathGen.scalarWords) { words in
            let point = C.baseMultiply(try C.scalar(words: words))
            let encoded = point.encoded
            #expect(encoded.count == C.pointLength)
            let decoded = try Point<C>(decoding: encoded)
            #expect(decoded == point)
            #expect(decoded.encoded == encoded)
            #expect(point.description == Hex.encode(encoded))
        }
    }
}
