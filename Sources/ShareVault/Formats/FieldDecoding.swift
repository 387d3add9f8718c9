import Foundation
import ShareMath

/// Decodes hex fields of JSON documents into curve values, naming the field in every error.
enum FieldDecoding {
    static func scalar<C: Curve>(_ hex: String?, field: String) throws(DocumentError) -> Scalar<C> {
        guard let hex else { throw .missingField(field) }
        do {
            return try Scalar<C>(decoding: Hex.decode(hex))
        } catch {
            throw .invalidField(field: field, reason: error)
        }
    }

    /// A secret scalar: decoded from hex held in guarded memory straight into guarded memory.
    static func secretScalar<C: Curve>(_ hex: SecureBytes?, field: String) throws(DocumentError) -> Scalar<C> {
        guard let hex else { throw .missingField(field) }
        do {
            let bytes = try hex.withUnsafeBytes { (ascii) throws(ShareMathError) in
                try Hex.decodeSecret(ascii: ascii.assumingMemoryBound(to: UInt8.self))
            }
            return try bytes.withUnsafeBytes { (buffer) throws(ShareMathError) in try Scalar<C>(decoding: buffer) }
        } catch {
            throw .invalidField(field: field, reason: error)
        }
    }

    /// A point's encoding from hex, not yet decoded on a curve.
    static func encoding(_ hex: String?, field: String) throws(DocumentError) -> [UInt8] {
        guard let hex else { throw .missingField(field) }
        do {
            return try Hex.decode(hex)
        } catch {
            throw .invalidField(field: field, reason: error)
        }
    }

    /// Decodes (and so validates) a point's encoding on curve `C`.
    static func point<C: Curve>(_ encoding: [UInt8], field: String) throws(DocumentError) -> Point<C> {
        do {
            return try Point<C>(decoding: encoding)
        } catch {
            throw .invalidField(field: field, reason: error)
        }
    }
}

extension DocumentError {
    /// Maps Foundation's decoding errors to messages that name the field and never quote a value.
    public init(decoding error: DecodingError) {
        self.init(error)
    }

    init(_ error: DecodingError) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            self =
                context.codingPath.isEmpty
                ? .malformedJSON("the top level must be an object")
                : .wrongType(field: path(context), expected: Self.jsonTypeName(type))
        case .valueNotFound(let type, let context):
            self = .wrongType(field: path(context), expected: Self.jsonTypeName(type))
        case .keyNotFound(let key, _):
            self = .missingField(key.stringValue)
        case .dataCorrupted(let context):
            self =
                context.codingPath.isEmpty
                ? .malformedJSON("not valid JSON") : .wrongType(field: path(context), expected: "valid")
        @unknown default:
            self = .malformedJSON("not valid JSON")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Bool.Type: return "a boolean"
        // Array metatypes are not covariant (`[String].Type` is not `[Any].Type`): they are told by name.
        default: return String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
