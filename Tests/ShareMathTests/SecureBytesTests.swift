import ShareMath
import Testing

/// Secrets never print: not through description, debugDescription, String(reflecting:) or dump.
@Suite("Secrets are redacted")
struct SecureBytesTests {
    /// Every rendering of `value` that Swift offers.
    private func renderings(_ value: some Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(describing: value), String(reflecting: value), dumped]
    }

    /// Forms in which `bytes` could leak into text: hex (either case), decimal lists, single bytes.
    private func leaks(of bytes: [UInt8], in text: String) -> Bool {
        let hex = Hex.encode(bytes)
        let forms = [
            hex, hex.uppercased(), String(hex.prefix(8)),
            "\(bytes)", bytes.prefix(3).map(String.init).joined(separator: ", "),
            bytes.prefix(3).map { "0x" + String($0, radix: 16) }.joined(separator: ", "),
        ]
        return forms.contains { text.contains($0) }
    }

    /// Bytes that cannot appear in ordinary text by chance: three-digit decimals and distinctive hex.
    private let secretBytes: [UInt8] = (0..<32).map { UInt8(200 + $0 % 50) }

    @Test("SecureBytes renders as its length and 'redacted' only")
    func secureBytesRedacted() {
        let secret = SecureBytes(copying: secretBytes)
        for text in renderings(secret) {
            #expect(!leaks(of: secretBytes, in: text), "\(text)")
            #expect(text.contains("redacted"))
        }
        #expect(secret.description == "SecureBytes(32 bytes, redacted)")
        #expect(secret.debugDescription == secret.description)
        #expect(Mirror(reflecting: secret).children.isEmpty)

        let random = SecureBytes.random(count: 32)
        let randomBytes = random.withUnsafeBytes { Array($0) }
        for text in renderings(random) {
            #expect(!leaks(of: randomBytes, in: text), "\(text)")
        }
    }

    @Test("SecureBytes compares by content and length")
    func secureBytesEquality() {
        let secret = SecureBytes(copying: secretBytes)
        #expect(secret == SecureBytes(copying: secretBytes))
        var changed = secretBytes
        changed[31] ^= 1
        #expect(secret != SecureBytes(copying: changed))
        changed = secretBytes
        changed[0] ^= 0x80
        #expect(secret != SecureBytes(copying: changed))
        #expect(secret != SecureBytes(copying: secretBytes.dropLast()))
        #expect(secret.count == 32)
        #expect(!secret.isZero)
        #expect(SecureBytes(copying: [0, 0, 0]).isZero)
        #expect(secret.withUnsafeBytes { Array($0) } == secretBytes)
        #expect(SecureBytes.random(count: 32) != SecureBytes.random(count: 32))
    }

    @Test("scalars and shares render redacted", arguments: CurveID.allCases)
    func scalarsAndSharesRedacted(curve: CurveID) throws {
        try scalarsAndSharesRedacted(curve.type)
    }

    private func scalarsAndSharesRedacted<C: Curve>(_: C.Type) throws {
        var bytes = secretBytes
        if C.id == .ed25519 { bytes[31] &= 0x0f }  // below L
        let secret = try Scalar<C>(decoding: bytes)
        let secretEncoding = secret.encodedBytes
        for text in renderings(secret) {
            #expect(!leaks(of: secretEncoding, in: text), "\(text)")
            #expect(text.contains("redacted"), "\(text)")
        }
        #expect(secret.description == "Scalar<\(C.id)>(redacted)")

        let dealing = try Dealing<C>.split(secret: secret, threshold: 2, count: 3)
        for share in dealing.shares {
            let valueEncoding = share.value.encodedBytes
            for text in renderings(share) + renderings(dealing) {
                #expect(!leaks(of: valueEncoding, in: text), "\(text)")
                #expect(!leaks(of: secretEncoding, in: text), "\(text)")
            }
            #expect(share.description == "Share(redacted)")
        }
        // Public material does print: a point shows its encoding.
        #expect(dealing.publicKey.description == Hex.encode(dealing.publicKey.encoded))
    }

    @Test("errors say what was wrong without echoing input")
    func errorDescriptions() {
        #expect(ShareMathError.wrongLength(expected: 32, actual: 31).description.contains("expected 32 bytes, got 31"))
        #expect(ShareMathError.inconsistentShares("why").description.contains("why"))
        #expect(ShareMathError.invalidThreshold(threshold: 1, count: 3).description.contains("1 of 3"))
    }
}
