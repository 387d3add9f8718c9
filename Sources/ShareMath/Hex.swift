/// Lowercase hex, the toolkit's text form for public encodings.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex (either case); refuses odd lengths and non-hex characters.
    public static func decode(_ text: some StringProtocol) throws(ShareMathError) -> [UInt8] {
        var out: [UInt8] = []
        try decode(text.utf8) { out.append($0) }
        return out
    }

    /// Decodes hex straight into guarded memory, for secrets read from files (no plain copy is made).
    public static func decodeSecret(_ text: some StringProtocol) throws(ShareMathError) -> SecureBytes {
        try decodeSecret(ascii: text.utf8)
    }

    /// Decodes hex held as ASCII bytes (for instance in guarded memory) straight into guarded memory.
    public static func decodeSecret(ascii: some Collection<UInt8>) throws(ShareMathError) -> SecureBytes {
        let length = ascii.count
        guard length > 0, length % 2 == 0 else { throw .invalidHex }
        let secret = SecureBytes(zeroedCount: length / 2)
        try secret.withUnsafeMutableBytes { (buffer) throws(ShareMathError) in
            var offset = 0
            try decode(ascii) { byte in
                buffer[offset] = byte
                offset += 1
            }
        }
        return secret
    }

    private static func decode(_ ascii: some Collection<UInt8>, into sink: (UInt8) -> Void) throws(ShareMathError) {
        guard ascii.count % 2 == 0 else { throw .invalidHex }
        var characters = ascii.makeIterator()
        while let first = characters.next(), let second = characters.next() {
            guard let high = nibble(first), let low = nibble(second) else { throw .invalidHex }
            sink(high << 4 | low)
        }
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
