import Foundation
import ShareMath

/// The native share document (DESIGN section 4): one Shamir share with everything needed to check it.
///
/// `{"format":"sharevault.share","version":1,"curve":..,"threshold":..,"identifier":..,"share":..,
/// "publicShare":..,"publicKey":..,"commitments":[..]}`, encodings as in RFC 9591, hex lowercase.
public struct ShareDocument<C: Curve>: Sendable {
    public static var format: String { "sharevault.share" }
    public static var version: Int { 1 }

    public let threshold: Int
    public let share: Share<C>
    /// The public share as the document states it (checked against `share` by `problems()`).
    public let publicShare: Point<C>
    /// The public key as the document states it (checked against the commitments by `problems()`).
    public let publicKey: Point<C>
    public let commitments: Commitments<C>

    public init(
        threshold: Int, share: Share<C>, publicShare: Point<C>, publicKey: Point<C>, commitments: Commitments<C>
    ) {
        self.threshold = threshold
        self.share = share
        self.publicShare = publicShare
        self.publicKey = publicKey
        self.commitments = commitments
    }

    /// One document per share of a dealing.
    public static func documents(for dealing: Dealing<C>) -> [ShareDocument<C>] {
        dealing.shares.map { share in
            ShareDocument(
                threshold: dealing.threshold, share: share, publicShare: C.baseMultiply(share.value),
                publicKey: dealing.publicKey, commitments: dealing.commitments)
        }
    }

    /// Every way the document contradicts itself; empty when it is sound. Needs no secret beyond the share.
    public func problems() -> [ShareProblem] {
        var found: [ShareProblem] = []
        if commitments.publicKey != publicKey { found.append(.publicKeyNotCommitted) }
        if C.baseMultiply(share.value) != publicShare { found.append(.publicShareMismatch) }
        if !commitments.verify(share) { found.append(.notOnCommittedPolynomial) }
        return found
    }

    /// The document as one line of JSON, fields in the documented order, written in guarded memory. It contains
    /// the secret share: this is an explicit export path.
    public func exportJSON() -> SecureBytes {
        let fields: [(key: String, value: SecretJSON)] = [
            ("format", .string(Self.format)), ("version", .integer(Self.version)), ("curve", .string(C.id.rawValue)),
            ("threshold", .integer(threshold)),
            ("identifier", .string(share.identifier.withEncoding { Hex.encode($0) })),
            ("share", .secretString(share.value.withEncoding { Hex.encodeSecret($0) })),
            ("publicShare", .string(Hex.encode(publicShare.encoded))),
            ("publicKey", .string(Hex.encode(publicKey.encoded))),
            ("commitments", .array(commitments.points.map { .string(Hex.encode($0.encoded)) })),
        ]
        return SecretJSON.object(fields).encoded()
    }
}

/// A way a share document can contradict itself.
public enum ShareProblem: String, Sendable, Equatable, CustomStringConvertible {
    /// `publicKey` is not the first commitment.
    case publicKeyNotCommitted = "public-key-not-committed"
    /// `publicShare` is not `share·G`.
    case publicShareMismatch = "public-share-mismatch"
    /// The share does not lie on the committed polynomial (Feldman check failed).
    case notOnCommittedPolynomial = "commitment-check-failed"

    public var description: String {
        switch self {
        case .publicKeyNotCommitted: return "public key is not the first commitment"
        case .publicShareMismatch: return "public share does not match the share"
        case .notOnCommittedPolynomial: return "share does not verify against its commitments"
        }
    }
}

/// A share document on either curve, as read from a file before the curve is known.
public enum AnyShareDocument: Sendable {
    case secp256k1(ShareDocument<Secp256k1>)
    case ed25519(ShareDocument<Ed25519>)

    public var curve: CurveID {
        switch self {
        case .secp256k1: return .secp256k1
        case .ed25519: return .ed25519
        }
    }

    /// The document if it is on curve `C`.
    public func on<C: Curve>(_ curve: C.Type) -> ShareDocument<C>? {
        switch self {
        case .secp256k1(let document): return document as? ShareDocument<C>
        case .ed25519(let document): return document as? ShareDocument<C>
        }
    }

    public func exportJSON() -> SecureBytes {
        switch self {
        case .secp256k1(let document): return document.exportJSON()
        case .ed25519(let document): return document.exportJSON()
        }
    }
}

extension AnyShareDocument {
    /// The largest share-document file read (255 commitments take about 17 KB).
    public static let maximumFileSize = 1 << 20

    /// Reads a file's worth of documents: one JSON object, a JSON array of them, or JSON lines. The bytes are read
    /// where they lie (they hold secrets); each `share` goes straight into guarded memory.
    public static func decodeAll(_ data: Data) throws(DocumentError) -> [AnyShareDocument] {
        guard data.count <= maximumFileSize else { throw .tooLarge(limit: maximumFileSize, actual: data.count) }
        return try data.withDocumentBytes { (bytes) throws(DocumentError) in try decodeAll(bytes: bytes) }
    }

    private static func decodeAll(bytes: UnsafeRawBufferPointer) throws(DocumentError) -> [AnyShareDocument] {
        let text = bytes.trimmingASCIIWhitespace(0..<bytes.count)
        guard !text.isEmpty else { throw .empty }
        if bytes[text.lowerBound] == UInt8(ascii: "[") {
            guard case .array(let elements) = try StrictJSON.parse(bytes: UnsafeRawBufferPointer(rebasing: bytes[text]))
            else { throw .malformedJSON("not valid JSON") }
            guard !elements.isEmpty else { throw .empty }
            return try elements.enumerated().map { (index, element) throws(DocumentError) in
                try RawShareDocument(element, path: "[\(index)]").validated()
            }
        }
        var lines: [Range<Int>] = []
        var lineStart = text.lowerBound
        for index in text where bytes[index] == 0x0A || bytes[index] == 0x0D {
            let line = bytes.trimmingASCIIWhitespace(lineStart..<index)
            if !line.isEmpty { lines.append(line) }
            lineStart = index + 1
        }
        let last = bytes.trimmingASCIIWhitespace(lineStart..<text.upperBound)
        if !last.isEmpty { lines.append(last) }
        let eachAnObject = lines.allSatisfy {
            bytes[$0.lowerBound] == UInt8(ascii: "{") && bytes[$0.upperBound - 1] == UInt8(ascii: "}")
        }
        let documents = lines.count > 1 && eachAnObject ? lines : [text]
        return try documents.map { (range) throws(DocumentError) in
            try RawShareDocument(StrictJSON.parse(bytes: UnsafeRawBufferPointer(rebasing: bytes[range]))).validated()
        }
    }

    /// Reads exactly one document.
    public static func decode(_ data: Data) throws(DocumentError) -> AnyShareDocument {
        let documents = try decodeAll(data)
        guard documents.count == 1 else {
            throw .malformedJSON("expected one share document, found \(documents.count)")
        }
        return documents[0]
    }
}

/// The document's fields read from `StrictJSON` before validation; every field optional so that absence is
/// reported by name. Field names are matched in any letter case (`StrictJSON` has refused a name given twice).
struct RawShareDocument {
    var format: String?
    var version: Int?
    var curve: String?
    var threshold: Int?
    var identifier: String?
    /// The secret scalar's hex, in guarded memory.
    var share: SecureBytes?
    var publicShare: String?
    var publicKey: String?
    var commitments: [String]?

    /// Reads the fields of a parsed document; `path` prefixes field names in errors (an array element's index).
    init(_ value: JSONValue, path: String = "") throws(DocumentError) {
        guard value.isObject else {
            throw path.isEmpty
                ? .malformedJSON("the top level must be an object") : .wrongType(field: path, expected: "an object")
        }
        func name(_ field: String) -> String { path.isEmpty ? field : "\(path).\(field)" }
        func string(_ field: String) throws(DocumentError) -> String? {
            switch value[field] {
            case nil, .null?: return nil
            case .string(let text)?: return text
            default: throw .wrongType(field: name(field), expected: "a string")
            }
        }
        func integer(_ field: String) throws(DocumentError) -> Int? {
            switch value[field] {
            case nil, .null?: return nil
            case .number(let text)?:
                // A whole number however written (`2`, `2.0`, `2e0`), as JSONDecoder read it.
                if let number = Int(text) { return number }
                guard let value = Double(text), value.rounded() == value, abs(value) < 1e9 else {
                    throw .wrongType(field: name(field), expected: "an integer")
                }
                return Int(value)
            default: throw .wrongType(field: name(field), expected: "an integer")
            }
        }
        format = try string("format")
        version = try integer("version")
        curve = try string("curve")
        threshold = try integer("threshold")
        identifier = try string("identifier")
        switch value["share"] {
        case nil, .null?: share = nil
        case .secretString(let bytes)?: share = bytes
        case .string?: throw .invalidField(field: name("share"), reason: .invalidHex)
        default: throw .wrongType(field: name("share"), expected: "a string")
        }
        publicShare = try string("publicShare")
        publicKey = try string("publicKey")
        switch value["commitments"] {
        case nil, .null?: commitments = nil
        case .array(let elements)?:
            var texts: [String] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    throw .wrongType(field: name("commitments[\(index)]"), expected: "a string")
                }
                texts.append(text)
            }
            commitments = texts
        default: throw .wrongType(field: name("commitments"), expected: "an array")
        }
    }

    func validated() throws(DocumentError) -> AnyShareDocument {
        switch try curveID() {
        case .secp256k1: return .secp256k1(try ShareDocument(reading: reading(on: Secp256k1.self)))
        case .ed25519: return .ed25519(try ShareDocument(reading: reading(on: Ed25519.self)))
        }
    }

    /// The curve the document says it is on, once its format and version are known to be ours.
    func curveID() throws(DocumentError) -> CurveID {
        guard let format else { throw .missingField("format") }
        let expectedFormat = ShareDocument<Secp256k1>.format
        guard format == expectedFormat else { throw .wrongFormat(expected: expectedFormat, actual: format) }
        guard let version else { throw .missingField("version") }
        let supported = ShareDocument<Secp256k1>.version
        guard version == supported else { throw .unsupportedVersion(version, supported: supported) }
        guard let curveName = curve else { throw .missingField("curve") }
        guard let curveID = CurveID(rawValue: curveName) else { throw .unknownCurve(curveName) }
        return curveID
    }

    /// The fields of a document on curve `C`, shape checked and decoded, its points still encodings.
    func reading<C: Curve>(on curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        guard let threshold else { throw .missingField("threshold") }
        guard (2...Shamir<C>.maximumCount).contains(threshold) else {
            throw .outOfRange(field: "threshold", detail: "\(threshold) is not between 2 and 255")
        }
        guard let commitments else { throw .missingField("commitments") }
        guard commitments.count == threshold else {
            throw .outOfRange(
                field: "commitments", detail: "\(commitments.count) commitments for threshold \(threshold)")
        }
        let identifier: Scalar<C> = try FieldDecoding.scalar(self.identifier, field: "identifier")
        let value: Scalar<C> = try FieldDecoding.secretScalar(share, field: "share")
        let publicShare = try FieldDecoding.encoding(self.publicShare, field: "publicShare")
        let publicKey = try FieldDecoding.encoding(self.publicKey, field: "publicKey")
        var encodings: [[UInt8]] = []
        for (index, commitment) in commitments.enumerated() {
            encodings.append(try FieldDecoding.encoding(commitment, field: "commitments[\(index)]"))
        }
        return ShareReading(
            layout: .native, threshold: threshold, share: Share(identifier: identifier, value: value),
            publicKey: publicKey, publicKeyField: "publicKey", publicShare: publicShare, commitments: encodings,
            partnerIdentifier: nil)
    }
}

extension ShareDocument {
    /// Decodes a read document's points, naming the field of any that is not a point of `C`'s group.
    init(reading: ShareReading<C>) throws(DocumentError) {
        let points = try reading.decodedPoints()
        guard let publicShare = points.publicShare, let commitments = points.commitments else {
            throw .missingField(points.publicShare == nil ? "publicShare" : "commitments")
        }
        self.init(
            threshold: reading.threshold, share: reading.share, publicShare: publicShare, publicKey: points.publicKey,
            commitments: commitments)
    }
}
