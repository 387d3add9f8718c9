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

    /// The document as one line of JSON, fields in the documented order. It contains the secret share:
    /// this is an explicit export path.
    public func exportJSON() -> String {
        let shareHex = share.value.withEncoding { Hex.encode($0) }
        let identifierHex = share.identifier.withEncoding { Hex.encode($0) }
        let commitmentList = commitments.points.map { "\"\(Hex.encode($0.encoded))\"" }.joined(separator: ",")
        return "{\"format\":\"\(Self.format)\",\"version\":\(Self.version),\"curve\":\"\(C.id)\","
            + "\"threshold\":\(threshold),\"identifier\":\"\(identifierHex)\",\"share\":\"\(shareHex)\","
            + "\"publicShare\":\"\(Hex.encode(publicShare.encoded))\",\"publicKey\":\"\(Hex.encode(publicKey.encoded))\","
            + "\"commitments\":[\(commitmentList)]}"
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

    public func exportJSON() -> String {
        switch self {
        case .secp256k1(let document): return document.exportJSON()
        case .ed25519(let document): return document.exportJSON()
        }
    }
}

extension AnyShareDocument {
    /// The largest share-document file read (255 commitments take about 17 KB).
    public static let maximumFileSize = 1 << 20

    /// Reads a file's worth of documents: one JSON object, a JSON array of them, or JSON lines.
    public static func decodeAll(_ data: Data) throws(DocumentError) -> [AnyShareDocument] {
        guard data.count <= maximumFileSize else { throw .tooLarge(limit: maximumFileSize, actual: data.count) }
        let text = String(String(decoding: data, as: UTF8.self).trimmingASCIIWhitespace)
        guard !text.isEmpty else { throw .empty }
        if text.hasPrefix("[") {
            let raws = try RawShareDocument.decode([RawShareDocument].self, from: Data(text.utf8))
            guard !raws.isEmpty else { throw .empty }
            return try raws.map { (raw) throws(DocumentError) in try raw.validated() }
        }
        let lines = text.split(whereSeparator: \.isNewline).map { String($0.trimmingASCIIWhitespace) }
        if lines.count > 1, lines.allSatisfy({ $0.hasPrefix("{") && $0.hasSuffix("}") }) {
            return try lines.map { (line) throws(DocumentError) in
                try RawShareDocument.decode(RawShareDocument.self, from: Data(line.utf8)).validated()
            }
        }
        return [try RawShareDocument.decode(RawShareDocument.self, from: Data(text.utf8)).validated()]
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

/// The document's JSON before validation; every field optional so that absence is reported by name.
struct RawShareDocument: Decodable {
    var format: String?
    var version: Int?
    var curve: String?
    var threshold: Int?
    var identifier: String?
    var share: String?
    var publicShare: String?
    var publicKey: String?
    var commitments: [String]?

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(DocumentError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw DocumentError(error)
        } catch {
            throw .malformedJSON("unreadable")
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
