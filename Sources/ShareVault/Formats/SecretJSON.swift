import ShareMath

/// A JSON document to write whose secret parts never leave guarded memory: `encoded()` lays the whole text out
/// in one `SecureBytes`, copying public parts from their strings and secret parts from guarded memory.
///
/// Strings are escaped as RFC 8259 requires (quote, backslash, control characters) and no more, so a share
/// written inside another document's string (Portal's client plaintext) reads back byte for byte.
package indirect enum SecretJSON {
    /// Members in the order written.
    case object([(key: String, value: SecretJSON)])
    case array([SecretJSON])
    /// A public string.
    case string(String)
    case integer(Int)
    /// A secret written as a JSON string: its bytes, UTF-8 text in guarded memory.
    case secretString(SecureBytes)
    /// A secret written as a bare JSON number: its digits in guarded memory.
    case secretNumber(SecureBytes)

    /// The document's text, in guarded memory.
    package func encoded() -> SecureBytes {
        var count = 0
        write { count += $0.count }
        return SecureBytes.filled(count: count) { out in
            var written = 0
            write { piece in
                UnsafeMutableRawBufferPointer(rebasing: out[written..<written + piece.count]).copyMemory(from: piece)
                written += piece.count
            }
        }
    }

    /// Hands the text to `emit` piece by piece (each valid only during the call).
    private func write(_ emit: (UnsafeRawBufferPointer) -> Void) {
        func text(_ string: String) {
            var string = string
            string.withUTF8 { emit(UnsafeRawBufferPointer($0)) }
        }
        switch self {
        case .object(let members):
            text("{")
            for (index, member) in members.enumerated() {
                if index > 0 { text(",") }
                var key = member.key
                key.withUTF8 { Self.writeEscaped(UnsafeRawBufferPointer($0), emit) }
                text(":")
                member.value.write(emit)
            }
            text("}")
        case .array(let elements):
            text("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { text(",") }
                element.write(emit)
            }
            text("]")
        case .string(var string): string.withUTF8 { Self.writeEscaped(UnsafeRawBufferPointer($0), emit) }
        case .integer(let value): text(String(value))
        case .secretString(let bytes): bytes.withUnsafeBytes { Self.writeEscaped($0, emit) }
        case .secretNumber(let digits): digits.withUnsafeBytes { emit($0) }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `bytes` as a quoted JSON string: runs of plain bytes straight from where they lie, each escape from the
    /// stack.
    private static func writeEscaped(_ bytes: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) -> Void) {
        let quote: UInt8 = 0x22
        withUnsafeBytes(of: quote) { emit($0) }
        var runStart = 0
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte == quote || byte == 0x5C || byte < 0x20 else { continue }
            if index > runStart { emit(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
            let hex = hexDigits
            var escape: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
                byte < 0x20
                ? (
                    0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)],
                    hex[Int(byte & 15)]
                )
                : (0x5C, byte, 0, 0, 0, 0)
            withUnsafeBytes(of: &escape) { emit(UnsafeRawBufferPointer(rebasing: $0[0..<(byte < 0x20 ? 6 : 2)])) }
            runStart = index + 1
        }
        if bytes.count > runStart { emit(UnsafeRawBufferPointer(rebasing: bytes[runStart..<bytes.count])) }
        withUnsafeBytes(of: quote) { emit($0) }
    }
}

extension Scalar {
    /// The scalar's encoding (the curve's own byte order), copied into guarded memory.
    var secretEncoding: SecureBytes { withEncoding { SecureBytes(copying: $0) } }
}
