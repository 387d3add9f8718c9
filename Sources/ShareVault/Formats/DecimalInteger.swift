import ShareMath

/// Decimal big-integer strings, as Portal's share JSON writes scalars and coordinates.
package enum DecimalInteger {
    /// The value as `length` big-endian bytes; nil for non-digits, an empty string or a value too large.
    package static func bigEndian(_ text: String, length: Int = 32) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: length)
        let ok = bytes.withUnsafeMutableBytes { accumulate(text.utf8, into: $0) }
        return ok ? bytes : nil
    }

    /// The value as 32 big-endian bytes in guarded memory, for secret scalars. The digits are read where they lie,
    /// not copied.
    package static func secretBigEndian(_ text: String) -> SecureBytes? {
        var ok = false
        let bytes = SecureBytes.filled(count: 32) { ok = accumulate(text.utf8, into: $0) }
        return ok ? bytes : nil
    }

    /// Horner's rule in base 10 over a big-endian byte buffer; false on a bad digit or overflow.
    private static func accumulate(_ digits: String.UTF8View, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard !digits.isEmpty, digits.count <= 100 else { return false }
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return false }
            var carry = UInt32(digit - UInt8(ascii: "0"))
            for index in stride(from: buffer.count - 1, through: 0, by: -1) {
                let value = UInt32(buffer[index]) * 10 + carry
                buffer[index] = UInt8(truncatingIfNeeded: value)
                carry = value >> 8
            }
            if carry != 0 { return false }
        }
        return true
    }
}
