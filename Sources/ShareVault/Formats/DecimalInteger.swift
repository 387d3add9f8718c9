import ShareMath

/// Decimal big-integer strings, as Portal's share JSON writes scalars and coordinates.
package enum DecimalInteger {
    /// The value as `length` big-endian bytes; nil for non-digits, an empty string or a value too large.
    package static func bigEndian(_ text: String, length: Int = 32) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: length)
        let ok = bytes.withUnsafeMutableBytes { accumulate(text.utf8, into: $0) }
        return ok ? bytes : nil
    }

    /// The value as 32 big-endian bytes in guarded memory, for secret scalars. The digits (ASCII, for instance
    /// held in guarded memory themselves) are read where they lie, not copied.
    package static func secretBigEndian(digits: UnsafeRawBufferPointer) -> SecureBytes? {
        var ok = false
        let bytes = SecureBytes.filled(count: 32) { ok = accumulate(digits, into: $0) }
        return ok ? bytes : nil
    }

    /// Horner's rule in base 10 over a big-endian byte buffer; false on a bad digit or overflow.
    private static func accumulate(_ digits: some Collection<UInt8>, into buffer: UnsafeMutableRawBufferPointer) -> Bool
    {
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

extension DecimalInteger {
    /// The decimal digits of a big-endian unsigned integer held in guarded memory, written into guarded memory
    /// (schoolbook division by 10 on a guarded copy); "0" for zero. `bigEndian` is not empty.
    package static func secretDecimal(bigEndian: UnsafeRawBufferPointer) -> SecureBytes {
        // A byte is at most 2.41 decimal digits.
        let capacity = bigEndian.count * 241 / 100 + 2
        let quotient = SecureBytes(copying: bigEndian)
        var length = 0
        let reversed = SecureBytes.filled(count: capacity) { digits in
            quotient.withUnsafeMutableBytes { value in
                repeat {
                    var remainder: UInt32 = 0
                    for index in value.indices {
                        let current = remainder << 8 | UInt32(value[index])
                        value[index] = UInt8(current / 10)
                        remainder = current % 10
                    }
                    digits[length] = UInt8(ascii: "0") + UInt8(remainder)
                    length += 1
                } while value.contains { $0 != 0 }
            }
        }
        return reversed.withUnsafeBytes { digits in
            SecureBytes.filled(count: length) { out in
                for index in 0..<length { out[index] = digits[length - 1 - index] }
            }
        }
    }
}
