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
        try withContiguous(text.utf8) { (ascii) throws(ShareMathError) in
            try [UInt8](unsafeUninitializedCapacity: ascii.count / 2) { (buffer, initialized) throws(ShareMathError) in
                try decode(ascii, into: UnsafeMutableRawBufferPointer(buffer))
                initialized = buffer.count
            }
        }
    }

    /// Lowercase hex of secret bytes, written straight into guarded memory (for documents that export a secret).
    public static func encodeSecret(_ bytes: UnsafeRawBufferPointer) -> SecureBytes {
        SecureBytes.filled(count: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digits[Int(byte >> 4)]
                out[2 * index + 1] = digits[Int(byte & 0x0f)]
            }
        }
    }

    /// Decodes hex straight into guarded memory, for secrets read from files (no plain copy is made).
    public static func decodeSecret(_ text: some StringProtocol) throws(ShareMathError) -> SecureBytes {
        try decodeSecret(ascii: text.utf8)
    }

    /// Decodes hex held as ASCII bytes (for instance in guarded memory) straight into guarded memory.
    public static func decodeSecret(ascii: some Collection<UInt8>) throws(ShareMathError) -> SecureBytes {
        try withContiguous(ascii) { (ascii) throws(ShareMathError) in
            guard ascii.count > 0, ascii.count % 2 == 0 else { throw .invalidHex }
            let secret = SecureBytes(zeroedCount: ascii.count / 2)
            try secret.withUnsafeMutableBytes { (buffer) throws(ShareMathError) in try decode(ascii, into: buffer) }
            return secret
        }
    }

    /// Runs `body` over `bytes`, in place when they are stored contiguously (a native string's UTF-8 is).
    private static func withContiguous<R>(
        _ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws(ShareMathError) -> R
    ) throws(ShareMathError) -> R {
        if let result = bytes.withContiguousStorageIfAvailable({ (buffer) -> Result<R, ShareMathError> in
            Result { () throws(ShareMathError) in try body(buffer) }
        }) {
            return try result.get()
        }
        return try Array(bytes).withUnsafeBufferPointer { (buffer) throws(ShareMathError) in try body(buffer) }
    }

    /// Decodes `ascii` (of even length) into `out`, which holds exactly half as many bytes.
    private static func decode(_ ascii: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer)
        throws(ShareMathError)
    {
        guard ascii.count % 2 == 0, out.count == ascii.count / 2 else { throw .invalidHex }
        for index in 0..<out.count {
            guard let high = nibble(ascii[2 * index]), let low = nibble(ascii[2 * index + 1]) else { throw .invalidHex }
            out[index] = high << 4 | low
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
