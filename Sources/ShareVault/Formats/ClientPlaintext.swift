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
        try share(plaintext, as: curve, allowBase64: true)
    }

    private static func share<C: Curve>(
        _ plaintext: Data, as curve: C.Type, allowBase64: Bool
    ) throws(DocumentError) -> ShareReading<C> {
        guard plaintext.count <= ShareParser.maximumSize * 2 else {
            throw .tooLarge(limit: ShareParser.maximumSize * 2, actual: plaintext.count)
        }
        let first = plaintext.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard first == UInt8(ascii: "{") else {
            guard allowBase64, let decoded = unpaddedBase64(plaintext) else {
                throw .malformedJSON("the client plaintext is neither JSON nor base64 of JSON")
            }
            return try share(decoded, as: curve, allowBase64: false)
        }
        let value = try StrictJSON.parse(plaintext)
        let wrapped = CurveID.allCases.contains { value[wrapperKey($0)] != nil }
        guard wrapped else { return try ShareParser.read(value, data: plaintext, as: curve) }
        guard let entry = value[wrapperKey(C.id)] else { throw .missingField(wrapperKey(C.id)) }
        guard case .string(let inner)? = entry["share"] else {
            throw entry["share"] == nil
                ? .missingField("\(wrapperKey(C.id)).share")
                : .wrongType(field: "\(wrapperKey(C.id)).share", expected: "a string")
        }
        return try share(Data(inner.utf8), as: curve, allowBase64: true)
    }

    /// Standard base64 with or without its `=` padding; nil for anything else.
    static func unpaddedBase64(_ data: Data) -> Data? {
        var text = String(decoding: data, as: UTF8.self).trimmingASCIIWhitespace
        guard !text.isEmpty, !text.hasSuffix("=") || text.count % 4 == 0 else { return nil }
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: String(text))
    }
}
