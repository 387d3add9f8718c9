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
