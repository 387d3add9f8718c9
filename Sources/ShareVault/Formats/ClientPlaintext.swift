internal import CSodium
import Foundation
import ShareMath

/// What a client ciphertext opens to, in any of the forms DESIGN section 4 lists: Portal's two-curve plaintext
/// `{"SECP256K1": {"id", "share": "<MpcShare JSON>"}, "ED25519": {...}}`, a bare `MpcShare` (JSON, or the
/// unpadded standard base64 the Enclave API hands out), or a native share document.
package enum ClientPlaintext {
    /// The wrapper's key for a curve.
    static func wrapperKey(_ curve: CurveID) -> String { curve.rawValue.uppercased() }

    /// The client's share on curve `C`, read from a plaintext.
    package static func share<C: Curve>(_ plaintext: Data, as curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        try plaintext.withDocumentBytes { (bytes) throws(DocumentError) in
            try share(bytes: bytes, as: curve, allowBase64: true)
        }
    }

    /// The client's share on curve `C`, read from an opened plaintext where it lies.
    package static func share<C: Curve>(_ plaintext: SecureBytes, as curve: C.Type) throws(DocumentError)
        -> ShareReading<C>
    {
        try plaintext.withUnsafeBytes { (bytes) throws(DocumentError) in
            try share(bytes: bytes, as: curve, allowBase64: true)
        }
    }

    /// Reads in place; every layer (base64, the two-curve wrapper's inner string) is decoded into guarded memory.
    private static func share<C: Curve>(
        bytes plaintext: UnsafeRawBufferPointer, as curve: C.Type, allowBase64: Bool
    ) throws(DocumentError) -> ShareReading<C> {
        guard plaintext.count <= ShareParser.maximumSize * 2 else {
            throw .tooLarge(limit: ShareParser.maximumSize * 2, actual: plaintext.count)
        }
        let first = plaintext.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard first == UInt8(ascii: "{") else {
            guard allowBase64, let decoded = unpaddedBase64(plaintext) else {
                throw .malformedJSON("the client plaintext is neither JSON nor base64 of JSON")
            }
            return try decoded.withUnsafeBytes { (decoded) throws(DocumentError) in
                try share(bytes: decoded, as: curve, allowBase64: false)
            }
        }
        let value = try StrictJSON.parse(bytes: plaintext)
        let wrapped = CurveID.allCases.contains { value[wrapperKey($0)] != nil }
        guard wrapped else { return try ShareParser.read(value, as: curve) }
        guard let entry = value[wrapperKey(C.id)] else { throw .missingField(wrapperKey(C.id)) }
        guard case .secretString(let inner)? = entry["share"] else {
            throw entry["share"] == nil
                ? .missingField("\(wrapperKey(C.id)).share")
                : .wrongType(field: "\(wrapperKey(C.id)).share", expected: "a string")
        }
        return try inner.withUnsafeBytes { (inner) throws(DocumentError) in
            try share(bytes: inner, as: curve, allowBase64: true)
        }
    }

    /// Standard base64 with or without its `=` padding, decoded by libsodium straight into guarded memory (the
    /// plaintext is a secret); nil for anything else.
    static func unpaddedBase64(_ bytes: UnsafeRawBufferPointer) -> SecureBytes? {
        let trimmed = bytes.trimmingASCIIWhitespace(0..<bytes.count)
        let start = trimmed.lowerBound
        var end = trimmed.upperBound
        var padding = 0
        while end > start, bytes[end - 1] == UInt8(ascii: "=") {
            end -= 1
            padding += 1
        }
        // Padding, when present, must complete the last group.
        guard end > start, padding == 0 || (end - start + padding) % 4 == 0, padding <= 2 else { return nil }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        let capacity = text.count * 3 / 4 + 1
        var decodedCount = 0
        var consumed: UnsafePointer<CChar>?
        let buffer = SecureBytes.filled(count: capacity) { out in
            let status = text.withMemoryRebound(to: CChar.self) { text in
                sodium_base642bin(
                    out.uint8, capacity, text.baseAddress, text.count, nil, &decodedCount, &consumed,
                    sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
            }
            if status != 0 { decodedCount = 0 }
        }
        guard decodedCount > 0, consumed == text.cChars + text.count
        else {
            return nil
        }
        return buffer.withUnsafeBytes {
            SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<decodedCount]))
        }
    }
}
