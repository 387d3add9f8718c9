import BigInt
import Foundation
import ShareMath

/// Which layout a share arrived in.
public enum ShareLayout: String, Sendable, Codable {
    /// The native share document (DESIGN section 4).
    case native
    /// Portal's custodian backup share: flat JSON of decimal strings (`x, y, clientBk, serverBk, share`,
    /// the partial public keys, Paillier and Pedersen values), DESIGN section 4.
    case portalCustodian = "portal-custodian"
    /// Portal's client `MpcShare` JSON: `share`, `pubkey {X, Y}`, `partialPubkey`, `bks {client, server: {X, Rank}}`.
    case portalClient = "portal-client"
}

/// One share as its layout states it: shape checked, identifiers and the secret decoded, public points left as
/// their encodings. Checks that compare those encodings with ones they compute (deep verification) need no
/// more; `ParsedShare` decodes, and so validates, the points.
package struct ShareReading<C: Curve>: Sendable {
    package let layout: ShareLayout
    package let threshold: Int
    package let share: Share<C>
    /// The wallet's public key as the share states it, in the curve's encoding.
    package let publicKey: [UInt8]
    /// The field (or fields) the public key came from, for errors.
    let publicKeyField: String
    /// The public share as the share states it (native `publicShare`, Portal's own partial public key).
    package let publicShare: [UInt8]?
    /// The field (or fields) the public share came from, for errors.
    let publicShareField: String
    /// Feldman commitments' encodings, when the layout carries them (native documents).
    package let commitments: [[UInt8]]?
    /// The other holder's identifier in a 2-of-2 pair, when the layout names it (Portal's other `bk`).
    package let partnerIdentifier: Scalar<C>?
    /// The other holder's public share, when the layout states it (Portal's other partial public key).
    package let partnerPublicShare: [UInt8]?
    /// The field (or fields) the partner's public share came from, for errors.
    let partnerPublicShareField: String
    /// Portal's `backupSharePairId`, when the share names one.
    package let backupSharePairId: String?

    init(
        layout: ShareLayout, threshold: Int, share: Share<C>, publicKey: [UInt8], publicKeyField: String,
        publicShare: [UInt8]?, publicShareField: String = "publicShare", commitments: [[UInt8]]?,
        partnerIdentifier: Scalar<C>?, partnerPublicShare: [UInt8]? = nil, partnerPublicShareField: String = "",
        backupSharePairId: String? = nil
    ) {
        self.layout = layout
        self.threshold = threshold
        self.share = share
        self.publicKey = publicKey
        self.publicKeyField = publicKeyField
        self.publicShare = publicShare
        self.publicShareField = publicShareField
        self.commitments = commitments
        self.partnerIdentifier = partnerIdentifier
        self.partnerPublicShare = partnerPublicShare
        self.partnerPublicShareField = partnerPublicShareField
        self.backupSharePairId = backupSharePairId
    }

    /// The stated points decoded on `C`, each error naming its field.
    func decodedPoints() throws(DocumentError) -> (
        publicKey: Point<C>, publicShare: Point<C>?, commitments: Commitments<C>?
    ) {
        let publicKey: Point<C> = try FieldDecoding.point(self.publicKey, field: publicKeyField)
        let publicShare: Point<C>? = try self.publicShare.map { (encoding) throws(DocumentError) in
            try FieldDecoding.point(encoding, field: publicShareField)
        }
        var points: [Point<C>] = []
        for (index, encoding) in (commitments ?? []).enumerated() {
            points.append(try FieldDecoding.point(encoding, field: "commitments[\(index)]"))
        }
        return (publicKey, publicShare, commitments.map { _ in Commitments(points: points) })
    }
}

/// One share of a pair, in whichever layout it came, reduced to what the math needs, its points validated.
package struct ParsedShare<C: Curve>: Sendable {
    /// The partner's public share as stated (Portal's other partial public key), validated.
    package let partnerPublicShare: Point<C>?
    /// Portal's `backupSharePairId`, when the share names one.
    package let backupSharePairId: String?
    package let layout: ShareLayout
    package let threshold: Int
    package let share: Share<C>
    package let publicKey: Point<C>
    /// The other holder's identifier in a 2-of-2 pair, when the layout names it (Portal's other `bk`).
    package let partnerIdentifier: Scalar<C>?
    /// Feldman commitments, when the layout carries them (native documents).
    package let commitments: Commitments<C>?
    /// The share's public share `s·G`.
    package var publicShare: Point<C> { C.baseMultiply(share.value) }

    package init(
        layout: ShareLayout, threshold: Int, share: Share<C>, publicKey: Point<C>, partnerIdentifier: Scalar<C>?,
        commitments: Commitments<C>?, partnerPublicShare: Point<C>? = nil, backupSharePairId: String? = nil
    ) {
        self.partnerPublicShare = partnerPublicShare
        self.backupSharePairId = backupSharePairId
        self.layout = layout
        self.threshold = threshold
        self.share = share
        self.publicKey = publicKey
        self.partnerIdentifier = partnerIdentifier
        self.commitments = commitments
    }

    /// Decodes a reading's points and checks that every stated one agrees with the share: its public share is
    /// `share·G`, its commitments give the key and the share, and a stated partner public share interpolates
    /// with it to the key. Errors name the field.
    package init(reading: ShareReading<C>) throws(DocumentError) {
        let points = try reading.decodedPoints()
        let partner: Point<C>? = try reading.partnerPublicShare.map { (encoding) throws(DocumentError) in
            try FieldDecoding.point(encoding, field: reading.partnerPublicShareField)
        }
        self.init(
            layout: reading.layout, threshold: reading.threshold, share: reading.share, publicKey: points.publicKey,
            partnerIdentifier: reading.partnerIdentifier, commitments: points.commitments, partnerPublicShare: partner,
            backupSharePairId: reading.backupSharePairId)
        let own = publicShare
        if let stated = points.publicShare, stated != own {
            throw .outOfRange(field: reading.publicShareField, detail: "does not match share·G")
        }
        if let commitments, commitments.publicKey != publicKey || commitments.publicShare(at: share.identifier) != own {
            throw .outOfRange(field: "commitments", detail: "the share does not verify against its own commitments")
        }
        if let partner, let partnerIdentifier = reading.partnerIdentifier {
            let key = Lagrange<C>.interpolateAtZero(publicShares: [
                (share.identifier, own), (partnerIdentifier, partner),
            ])
            guard key == publicKey else {
                throw .outOfRange(
                    field: reading.partnerPublicShareField,
                    detail: "the partial public keys do not interpolate to the public key (\(reading.publicKeyField))")
            }
        }
    }
}

/// Reads a share in any accepted layout: a native document, Portal's custodian backup share or Portal's
/// `MpcShare` (field names in any case, each at most once; unused fields ignored here and kept byte for
/// byte by the caller).
package enum ShareParser {
    /// The largest share accepted.
    package static let maximumSize = 64 * 1024

    /// Reads and validates a share: every stated point is decoded on the curve and checked against the share.
    package static func parse<C: Curve>(_ data: Data, as curve: C.Type) throws(DocumentError) -> ParsedShare<C> {
        try ParsedShare(reading: read(data, as: curve))
    }

    /// Reads a share, leaving its points as encodings (see `ShareReading`).
    package static func read<C: Curve>(_ data: Data, as curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        try data.withDocumentBytes { (bytes) throws(DocumentError) in try read(bytes: bytes, as: curve) }
    }

    /// Reads a share held in guarded memory (an opened custodian share), where it lies.
    package static func read<C: Curve>(_ secret: SecureBytes, as curve: C.Type) throws(DocumentError)
        -> ShareReading<C>
    {
        try secret.withUnsafeBytes { (bytes) throws(DocumentError) in try read(bytes: bytes, as: curve) }
    }

    /// Reads a share from bytes in place: its secrets go from there into guarded memory and nowhere else.
    static func read<C: Curve>(bytes: UnsafeRawBufferPointer, as curve: C.Type) throws(DocumentError)
        -> ShareReading<C>
    {
        guard bytes.count <= maximumSize else { throw .tooLarge(limit: maximumSize, actual: bytes.count) }
        return try read(StrictJSON.parse(bytes: bytes), as: curve)
    }

    /// Reads a share already parsed by `StrictJSON`.
    static func read<C: Curve>(_ value: JSONValue, as curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        switch try layout(of: value) {
        case .native: return try native(RawShareDocument(value), as: curve)
        case .portalClient: return try PortalShares.client(value, as: curve)
        case .portalCustodian: return try PortalShares.custodian(value, as: curve)
        }
    }

    /// Which layout a parsed share is in.
    static func layout(of value: JSONValue) throws(DocumentError) -> ShareLayout {
        guard value.isObject else { throw .malformedJSON("the share is not a JSON object") }
        if value["format"] != nil { return .native }
        if value["bks"] != nil { return .portalClient }
        if value["clientBk"] != nil || value["serverBk"] != nil { return .portalCustodian }
        throw .malformedJSON("unrecognised share layout (neither a sharevault.share document nor Portal's share JSON)")
    }

    /// The layout and curve of a share from outside, read strictly (a key given twice is refused). The curve is
    /// the native document's `curve`, or the curve Portal's public key lies on; `stated` (a webhook's method
    /// suffix) decides only when the point lies on neither, so that the parse can say what is wrong with it.
    package static func layoutAndCurve(of data: Data, stated: CurveID?) throws(DocumentError) -> (ShareLayout, CurveID)
    {
        let inspected = try inspect(data, stated: stated)
        return (inspected.layout, inspected.curve)
    }

    /// A share from outside, read once strictly: its parsed JSON, layout and curve, and for a native document
    /// its decoded fields, so that `read(_:as:)` reads it on its curve without parsing it again.
    package struct InspectedShare {
        let value: JSONValue
        package let layout: ShareLayout
        package let curve: CurveID
        let native: RawShareDocument?
    }

    /// What `layoutAndCurve` finds, with the parsed share kept for `read(_:as:)`.
    package static func inspect(_ data: Data, stated: CurveID?) throws(DocumentError) -> InspectedShare {
        try data.withDocumentBytes { (bytes) throws(DocumentError) in try inspect(bytes: bytes, stated: stated) }
    }

    /// `inspect` on a share held in guarded memory (a webhook's `share`).
    package static func inspect(_ secret: SecureBytes, stated: CurveID?) throws(DocumentError) -> InspectedShare {
        try secret.withUnsafeBytes { (bytes) throws(DocumentError) in try inspect(bytes: bytes, stated: stated) }
    }

    private static func inspect(bytes: UnsafeRawBufferPointer, stated: CurveID?) throws(DocumentError)
        -> InspectedShare
    {
        guard bytes.count <= maximumSize else { throw .tooLarge(limit: maximumSize, actual: bytes.count) }
        let value: JSONValue
        do {
            value = try StrictJSON.parse(bytes: bytes)
        } catch .malformedJSON {
            throw .malformedJSON("the share is not a JSON object")
        }
        let layout = try layout(of: value)
        switch layout {
        case .native:
            let raw = try RawShareDocument(value)
            return InspectedShare(value: value, layout: layout, curve: try raw.curveID(), native: raw)
        case .portalCustodian:
            let curve = try PortalShares.curve(x: value["x"], y: value["y"], field: "x, y", stated: stated)
            return InspectedShare(value: value, layout: layout, curve: curve, native: nil)
        case .portalClient:
            let pubkey = value["pubkey"] ?? value["partialPubkey"]?["server"] ?? value["partialPublicKey"]?["server"]
            let curve = try PortalShares.curve(x: pubkey?["X"], y: pubkey?["Y"], field: "pubkey", stated: stated)
            return InspectedShare(value: value, layout: layout, curve: curve, native: nil)
        }
    }

    /// Reads an inspected share on curve `C`, from what `inspect` parsed.
    package static func read<C: Curve>(_ inspected: InspectedShare, as curve: C.Type) throws(DocumentError)
        -> ShareReading<C>
    {
        if let raw = inspected.native { return try native(raw, as: curve) }
        return inspected.layout == .portalClient
            ? try PortalShares.client(inspected.value, as: curve)
            : try PortalShares.custodian(inspected.value, as: curve)
    }

    private static func native<C: Curve>(_ raw: RawShareDocument, as curve: C.Type) throws(DocumentError)
        -> ShareReading<C>
    {
        let documentCurve = try raw.curveID()
        guard documentCurve == C.id else {
            throw .outOfRange(field: "curve", detail: "the share is on \(documentCurve), the method says \(C.id)")
        }
        let reading = try raw.reading(on: curve)
        guard reading.threshold == 2 else {
            throw .outOfRange(
                field: "threshold", detail: "a backup pair is 2-of-2, the share says \(reading.threshold)")
        }
        return reading
    }
}

/// edwards25519's equation `-x² + y² = 1 + d·x²·y² (mod p)`, for coordinates given as public decimals.
enum EdwardsCurveEquation {
    static let p = BigInt(1) << 255 - 19
    /// `d = -121665/121666 mod p` (RFC 8032, section 5.1), computed from its definition: 121666⁻¹ is
    /// 121666^(p−2) by Fermat's little theorem.
    static let d = (p - 121665) * BigInt(121666).power(p - 2, modulus: p) % p

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
