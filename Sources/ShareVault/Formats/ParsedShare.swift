import BigInt
import Foundation
import ShareMath

/// Which layout a share arrived in.
public enum ShareLayout: String, Sendable, Codable {
    /// The native share document (DESIGN section 4).
    case native
    /// Portal's custodian (CGGMP backup) JSON: decimal `x, y, clientBk, serverBk, share`.
    case portalCustodian = "portal-custodian"
    /// Portal's client `MpcShare` JSON: `share`, `pubkey {X, Y}`, `bks {client, server: {X, Rank}}`.
    case portalClient = "portal-client"
}

/// One share as its layout states it: shape checked, identifiers and the secret decoded, public points left as
/// their encodings. Checks that compare those encodings with ones they compute (deep verification) need no
/// more; `ParsedShare` decodes, and so validates, the points.
public struct ShareReading<C: Curve>: Sendable {
    public let layout: ShareLayout
    public let threshold: Int
    public let share: Share<C>
    /// The wallet's public key as the share states it, in the curve's encoding.
    public let publicKey: [UInt8]
    /// The field (or fields) the public key came from, for errors.
    let publicKeyField: String
    /// The public share as a native document states it.
    public let publicShare: [UInt8]?
    /// Feldman commitments' encodings, when the layout carries them (native documents).
    public let commitments: [[UInt8]]?
    /// The other holder's identifier in a 2-of-2 pair, when the layout names it (Portal's other `bk`).
    public let partnerIdentifier: Scalar<C>?

    /// The stated points decoded on `C`, each error naming its field.
    func decodedPoints() throws(DocumentError) -> (publicKey: Point<C>, publicShare: Point<C>?, commitments: Commitments<C>?) {
        let publicKey: Point<C> = try FieldDecoding.point(self.publicKey, field: publicKeyField)
        let publicShare: Point<C>? = try self.publicShare.map { (encoding) throws(DocumentError) in
            try FieldDecoding.point(encoding, field: "publicShare")
        }
        var points: [Point<C>] = []
        for (index, encoding) in (commitments ?? []).enumerated() {
            points.append(try FieldDecoding.point(encoding, field: "commitments[\(index)]"))
        }
        return (publicKey, publicShare, commitments.map { _ in Commitments(points: points) })
    }
}

/// One share of a pair, in whichever layout it came, reduced to what the math needs, its points validated.
public struct ParsedShare<C: Curve>: Sendable {
    public let layout: ShareLayout
    public let threshold: Int
    public let share: Share<C>
    public let publicKey: Point<C>
    /// The other holder's identifier in a 2-of-2 pair, when the layout names it (Portal's other `bk`).
    public let partnerIdentifier: Scalar<C>?
    /// Feldman commitments, when the layout carries them (native documents).
    public let commitments: Commitments<C>?
    /// The share's public share `s·G`.
    public var publicShare: Point<C> { C.baseMultiply(share.value) }

    public init(
        layout: ShareLayout, threshold: Int, share: Share<C>, publicKey: Point<C>, partnerIdentifier: Scalar<C>?,
        commitments: Commitments<C>?
    ) {
        self.layout = layout
        self.threshold = threshold
        self.share = share
        self.publicKey = publicKey
        self.partnerIdentifier = partnerIdentifier
        self.commitments = commitments
    }

    /// Decodes a reading's points; a stated public share must be a point too.
    init(reading: ShareReading<C>) throws(DocumentError) {
        let points = try reading.decodedPoints()
        self.init(
            layout: reading.layout, threshold: reading.threshold, share: reading.share, publicKey: points.publicKey,
            partnerIdentifier: reading.partnerIdentifier, commitments: points.commitments)
    }
}

/// Reads a share in any accepted layout: a native document, or Portal's JSON as it is (field names in
/// any case, unused fields ignored here and kept byte for byte by the caller).
public enum ShareParser {
    /// The largest share accepted.
    public static let maximumSize = 64 * 1024

    /// Reads and validates a share: every stated point is decoded on the curve.
    public static func parse<C: Curve>(_ data: Data, as curve: C.Type) throws(DocumentError) -> ParsedShare<C> {
        try ParsedShare(reading: read(data, as: curve))
    }

    /// Reads a share, leaving its points as encodings (see `ShareReading`).
    public static func read<C: Curve>(_ data: Data, as curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        guard data.count <= maximumSize else { throw .tooLarge(limit: maximumSize, actual: data.count) }
        // Native documents (the common case) are decoded once, by JSONDecoder; Portal's layouts, whose field
        // names vary in case, go through JSONSerialization.
        if let raw = try? JSONDecoder().decode(RawShareDocument.self, from: data), raw.format != nil {
            return try native(raw, as: curve)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let fields = object as? [String: Any] else {
            throw .malformedJSON("the share is not a JSON object")
        }
        let lowered = Dictionary(fields.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        if lowered["format"] != nil {
            return try native(RawShareDocument.decode(RawShareDocument.self, from: data), as: curve)
        }
        if lowered["bks"] != nil {
            return try portalClient(lowered, as: curve)
        }
        if lowered["clientbk"] != nil || lowered["serverbk"] != nil {
            return try portalCustodian(lowered, as: curve)
        }
        throw .malformedJSON("unrecognised share layout (neither a sharevault.share document nor Portal's share JSON)")
    }

    private static func native<C: Curve>(_ raw: RawShareDocument, as curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        let documentCurve = try raw.curveID()
        guard documentCurve == C.id else {
            throw .outOfRange(field: "curve", detail: "the share is on \(documentCurve), the method says \(C.id)")
        }
        let reading = try raw.reading(on: curve)
        guard reading.threshold == 2 else {
            throw .outOfRange(field: "threshold", detail: "a backup pair is 2-of-2, the share says \(reading.threshold)")
        }
        return reading
    }

    private static func portalCustodian<C: Curve>(
        _ fields: [String: Any], as curve: C.Type
    ) throws(DocumentError) -> ShareReading<C> {
        let publicKey: [UInt8] = try pointEncoding(x: fields["x"], y: fields["y"], fieldX: "x", fieldY: "y", on: curve)
        let identifier: Scalar<C> = try scalar(fields["serverbk"], field: "serverBk")
        let partner: Scalar<C> = try scalar(fields["clientbk"], field: "clientBk")
        let value: Scalar<C> = try secretScalar(fields["share"], field: "share")
        guard identifier != partner else { throw .outOfRange(field: "serverBk", detail: "equals clientBk") }
        return ShareReading(
            layout: .portalCustodian, threshold: 2, share: Share(identifier: identifier, value: value),
            publicKey: publicKey, publicKeyField: "x, y", publicShare: nil, commitments: nil, partnerIdentifier: partner)
    }

    private static func portalClient<C: Curve>(
        _ fields: [String: Any], as curve: C.Type
    ) throws(DocumentError) -> ShareReading<C> {
        guard let pubkey = lowercasedObject(fields["pubkey"]) else {
            throw fields["pubkey"] == nil ? .missingField("pubkey") : .wrongType(field: "pubkey", expected: "an object")
        }
        guard let bks = lowercasedObject(fields["bks"]) else { throw .wrongType(field: "bks", expected: "an object") }
        guard let client = lowercasedObject(bks["client"]) else {
            throw bks["client"] == nil ? .missingField("bks.client") : .wrongType(field: "bks.client", expected: "an object")
        }
        guard let server = lowercasedObject(bks["server"]) else {
            throw bks["server"] == nil ? .missingField("bks.server") : .wrongType(field: "bks.server", expected: "an object")
        }
        let publicKey: [UInt8] = try pointEncoding(
            x: pubkey["x"], y: pubkey["y"], fieldX: "pubkey.X", fieldY: "pubkey.Y", on: curve)
        let identifier: Scalar<C> = try scalar(client["x"], field: "bks.client.X")
        let partner: Scalar<C> = try scalar(server["x"], field: "bks.server.X")
        let value: Scalar<C> = try secretScalar(fields["share"], field: "share")
        guard identifier != partner else { throw .outOfRange(field: "bks.client.X", detail: "equals bks.server.X") }
        return ShareReading(
            layout: .portalClient, threshold: 2, share: Share(identifier: identifier, value: value),
            publicKey: publicKey, publicKeyField: "pubkey.X, pubkey.Y", publicShare: nil, commitments: nil,
            partnerIdentifier: partner)
    }

    private static func lowercasedObject(_ value: Any?) -> [String: Any]? {
        guard let object = value as? [String: Any] else { return nil }
        return Dictionary(object.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    private static func decimal(_ value: Any?, field: String) throws(DocumentError) -> String {
        guard let value else { throw .missingField(field) }
        guard let text = value as? String else { throw .wrongType(field: field, expected: "a decimal string") }
        return text
    }

    /// A public scalar (an identifier) from a decimal string, in the curve's encoding.
    private static func scalar<C: Curve>(_ value: Any?, field: String) throws(DocumentError) -> Scalar<C> {
        let text = try decimal(value, field: field)
        guard var bytes = DecimalInteger.bigEndian(text) else {
            throw .outOfRange(field: field, detail: "not a decimal integer below 2^256")
        }
        if C.id == .ed25519 { bytes.reverse() }
        do { return try Scalar<C>(decoding: bytes) } catch { throw .invalidField(field: field, reason: error) }
    }

    /// A secret scalar from a decimal string, converted in guarded memory.
    private static func secretScalar<C: Curve>(_ value: Any?, field: String) throws(DocumentError) -> Scalar<C> {
        let text = try decimal(value, field: field)
        guard let bigEndian = DecimalInteger.secretBigEndian(text) else {
            throw .outOfRange(field: field, detail: "not a decimal integer below 2^256")
        }
        let encoded = C.id == .ed25519
            ? SecureBytes.filled(count: 32) { out in
                bigEndian.withUnsafeBytes { for index in 0..<32 { out[index] = $0[31 - index] } }
            }
            : bigEndian
        do {
            return try encoded.withUnsafeBytes { (bytes) throws(ShareMathError) in try Scalar<C>(decoding: bytes) }
        } catch {
            throw .invalidField(field: field, reason: error)
        }
    }

    /// A point's encoding from decimal affine coordinates: on secp256k1 the point is decoded (cheap, no square
    /// root) and re-encoded; on ed25519 the curve equation is checked here, the subgroup when it is decoded.
    private static func pointEncoding<C: Curve>(
        x: Any?, y: Any?, fieldX: String, fieldY: String, on curve: C.Type
    ) throws(DocumentError) -> [UInt8] {
        guard let xBytes = DecimalInteger.bigEndian(try decimal(x, field: fieldX)) else {
            throw .outOfRange(field: fieldX, detail: "not a decimal integer below 2^256")
        }
        guard var yBytes = DecimalInteger.bigEndian(try decimal(y, field: fieldY)) else {
            throw .outOfRange(field: fieldY, detail: "not a decimal integer below 2^256")
        }
        do {
            switch C.id {
            case .secp256k1:
                return try Secp256k1.decodePoint(x: xBytes, y: yBytes).encoded
            case .ed25519:
                // The encoding keeps only x's parity, so check that (x, y) itself is on the curve.
                guard EdwardsCurveEquation.holds(x: xBytes, y: yBytes) else { throw ShareMathError.pointNotOnCurve }
                // RFC 8032: y little-endian, the top bit holding x's parity.
                guard yBytes[0] & 0x80 == 0 else { throw ShareMathError.nonCanonicalPoint }
                yBytes.reverse()
                yBytes[31] |= (xBytes[31] & 1) << 7
                return yBytes
            }
        } catch let error as ShareMathError {
            throw .invalidField(field: "\(fieldX), \(fieldY)", reason: error)
        } catch {
            throw .invalidField(field: "\(fieldX), \(fieldY)", reason: .pointNotOnCurve)
        }
    }
}

/// edwards25519's equation `-x² + y² = 1 + d·x²·y² (mod p)`, for coordinates given as public decimals.
enum EdwardsCurveEquation {
    static let p = BigInt(1) << 255 - 19
    /// `d = -121665/121666 mod p`.
    static let d = BigInt("37095705934669439343138083508754565189542113879843219016388785533085940283555", radix: 10)!

    static func holds(x: [UInt8], y: [UInt8]) -> Bool {
        let x = BigInt(BigUInt(Data(x)))
        let y = BigInt(BigUInt(Data(y)))
        guard x < p, y < p else { return false }
        let x2 = x * x % p
        let y2 = y * y % p
        let difference = (y2 - x2 - 1 - d * x2 % p * y2) % p
        return difference == 0
    }
}
