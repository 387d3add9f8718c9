import Foundation
import ShareMath

/// What is wrong with a document (a share document, a webhook body, a key file): exit status 2 material.
///
/// Messages name the field and the problem, never a secret value.
public enum DocumentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not JSON of the expected shape.
    case malformedJSON(String)
    /// The document is larger than the limit for its kind.
    case tooLarge(limit: Int, actual: Int)
    /// The document is empty.
    case empty
    /// The `format` tag is not the one expected.
    case wrongFormat(expected: String, actual: String)
    /// The format version is one this build does not read.
    case unsupportedVersion(Int, supported: Int)
    /// The curve name is not one of the supported curves.
    case unknownCurve(String)
    /// A required field is absent.
    case missingField(String)
    /// A field has the wrong JSON type.
    case wrongType(field: String, expected: String)
    /// A field's value does not decode (bad hex, out of range, not on the curve, ...).
    case invalidField(field: String, reason: ShareMathError)
    /// A field's value is outside what the format allows.
    case outOfRange(field: String, detail: String)
    /// An object names a key twice, or in two letter cases: which one is meant cannot be told.
    case ambiguousField(String)

    public var description: String {
        switch self {
        case .malformedJSON(let detail):
            return "malformed JSON: \(detail)"
        case .tooLarge(let limit, let actual):
            return "document too large: \(actual) bytes (limit \(limit))"
        case .empty:
            return "empty document"
        case .wrongFormat(let expected, let actual):
            return "not a \(expected) document (format is \"\(actual.prefix(40))\")"
        case .unsupportedVersion(let version, let supported):
            return "unsupported format version \(version) (this build reads version \(supported))"
        case .unknownCurve(let name):
            return "unknown curve \"\(name.prefix(40))\" (expected secp256k1 or ed25519)"
        case .missingField(let field):
            return "missing field \"\(field)\""
        case .wrongType(let field, let expected):
            return "field \"\(field)\" must be \(expected)"
        case .invalidField(let field, let reason):
            return "field \"\(field)\": \(reason)"
        case .outOfRange(let field, let detail):
            return "field \"\(field)\": \(detail)"
        case .ambiguousField(let field):
            return "field \"\(field.prefix(80))\" given twice (keys must be unique, ignoring case)"
        }
    }
}

extension Data {
    /// Runs a document reader over the bytes where they lie (a document that holds a secret is not copied), keeping
    /// the reader's typed error, which `Data.withUnsafeBytes` would erase.
    func withDocumentBytes<R>(_ read: (UnsafeRawBufferPointer) throws(DocumentError) -> R) throws(DocumentError) -> R {
        let result = withUnsafeBytes { bytes in Result { () throws(DocumentError) in try read(bytes) } }
        return try result.get()
    }
}
