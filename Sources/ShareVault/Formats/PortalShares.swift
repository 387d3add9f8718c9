import BigInt
import Foundation
import ShareMath

/// Portal's two share layouts (DESIGN section 4), read from `StrictJSON` values: every number a decimal
/// string, points as affine coordinates, field names in any case (each at most once).
///
/// - The custodian backup share (the webhook's `share`) is flat: `x, y` (the wallet's key), `clientBk`,
///   `serverBk` (the identifiers), `share` (the custodian's scalar), `serverPartialPubKey_x/_y` (`share·G`),
///   `clientPartialPubKey_x/_y` (the client's public share), and Paillier, Pedersen and `ssid` values this
///   toolkit never uses but keeps, sealed, byte for byte.
/// - The client share is Portal's `MpcShare`: `share`, `pubkey {X, Y}`, `partialPubkey {client, server}`
///   (`partialPublicKey` in the Kotlin SDK), `bks {client {X, Rank}, server {X, Rank}}`, and more.
enum PortalShares {
    static func custodian<C: Curve>(_ fields: JSONValue, as curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        let publicKey = try pointEncoding(x: fields["x"], y: fields["y"], fieldX: "x", fieldY: "y", on: curve)
        let identifier: Scalar<C> = try scalar(fields["serverBk"], field: "serverBk")
        let partner: Scalar<C> = try scalar(fields["clientBk"], field: "clientBk")
        let value: Scalar<C> = try secretScalar(fields["share"], field: "share")
        guard identifier != partner else { throw .outOfRange(field: "serverBk", detail: "equals clientBk") }
        let server = try flatPoint(fields, "serverPartialPubKey", on: curve)
        let client = try flatPoint(fields, "clientPartialPubKey", on: curve)
        return ShareReading(
            layout: .portalCustodian, threshold: 2, share: Share(identifier: identifier, value: value),
            publicKey: publicKey, publicKeyField: "x, y", publicShare: server,
            publicShareField: "serverPartialPubKey_x, serverPartialPubKey_y", commitments: nil,
            partnerIdentifier: partner, partnerPublicShare: client,
            partnerPublicShareField: "clientPartialPubKey_x, clientPartialPubKey_y",
            backupSharePairId: try optionalString(fields["backupSharePairId"], field: "backupSharePairId"))
    }

    static func client<C: Curve>(_ fields: JSONValue, as curve: C.Type) throws(DocumentError) -> ShareReading<C> {
        let bks = try object(fields["bks"], field: "bks")
        let clientBk = try object(bks["client"], field: "bks.client")
        let serverBk = try object(bks["server"], field: "bks.server")
        try requireRankZero(clientBk["Rank"], field: "bks.client.Rank")
        try requireRankZero(serverBk["Rank"], field: "bks.server.Rank")
        let identifier: Scalar<C> = try scalar(clientBk["X"], field: "bks.client.X")
        let partner: Scalar<C> = try scalar(serverBk["X"], field: "bks.server.X")
        let value: Scalar<C> = try secretScalar(fields["share"], field: "share")
        guard identifier != partner else { throw .outOfRange(field: "bks.client.X", detail: "equals bks.server.X") }

        // The SDKs spell the partial public keys `partialPubkey` (Swift) or `partialPublicKey` (Kotlin); the web
        // SDK's `partialPubKey` is an array of unstated order, so it is not read.
        let partialName = fields["partialPubkey"] != nil ? "partialPubkey" : "partialPublicKey"
        var own: [UInt8]?
        var other: [UInt8]?
        if let partial = fields[partialName] {
            let client = try object(partial["client"], field: "\(partialName).client")
            let server = try object(partial["server"], field: "\(partialName).server")
            own = try pointEncoding(
                x: client["X"], y: client["Y"], fieldX: "\(partialName).client.X", fieldY: "\(partialName).client.Y",
                on: curve)
            other = try pointEncoding(
                x: server["X"], y: server["Y"], fieldX: "\(partialName).server.X", fieldY: "\(partialName).server.Y",
                on: curve)
        }
        let publicKey: [UInt8]
        if let pubkey = fields["pubkey"] {
            let point = try object(pubkey, field: "pubkey")
            publicKey = try pointEncoding(
                x: point["X"], y: point["Y"], fieldX: "pubkey.X", fieldY: "pubkey.Y", on: curve)
        } else if let own, let other {
            // Some protocol versions leave `pubkey` out; the partial keys give it.
            let ownPoint: Point<C> = try FieldDecoding.point(own, field: "\(partialName).client")
            let otherPoint: Point<C> = try FieldDecoding.point(other, field: "\(partialName).server")
            publicKey =
                Lagrange<C>.interpolateAtZero(publicShares: [(identifier, ownPoint), (partner, otherPoint)]).encoded
        } else {
            throw .missingField("pubkey")
        }
        return ShareReading(
            layout: .portalClient, threshold: 2, share: Share(identifier: identifier, value: value),
            publicKey: publicKey, publicKeyField: "pubkey.X, pubkey.Y", publicShare: own,
            publicShareField: "\(partialName).client.X, \(partialName).client.Y", commitments: nil,
            partnerIdentifier: partner, partnerPublicShare: other,
            partnerPublicShareField: "\(partialName).server.X, \(partialName).server.Y",
            backupSharePairId: try optionalString(fields["backupSharePairId"], field: "backupSharePairId"))
    }

    /// A point the custodian layout gives flat, as `NAME_x` and `NAME_y`.
    private static func flatPoint<C: Curve>(
        _ fields: JSONValue, _ name: String, on curve: C.Type
    ) throws(DocumentError) -> [UInt8] {
        try pointEncoding(
            x: fields["\(name)_x"], y: fields["\(name)_y"], fieldX: "\(name)_x", fieldY: "\(name)_y", on: curve)
    }

    /// Portal's `Rank` must be 0: a nonzero rank is a Birkhoff share, which Lagrange interpolation gets wrong.
    private static func requireRankZero(_ value: JSONValue?, field: String) throws(DocumentError) {
        guard let value else { return }
        let text: String
        switch value {
        case .number(let number), .string(let number): text = number
        default: throw .wrongType(field: field, expected: "an integer")
        }
        guard text == "0" else {
            guard text.allSatisfy(\.isNumber) else { throw .wrongType(field: field, expected: "an integer") }
            throw .outOfRange(
                field: field,
                detail: "rank \(text.prefix(20)) is a Birkhoff share, which Lagrange interpolation "
                    + "cannot recombine; only rank 0 is supported")
        }
    }

    private static func object(_ value: JSONValue?, field: String) throws(DocumentError) -> JSONValue {
        guard let value else { throw .missingField(field) }
        guard value.isObject else { throw .wrongType(field: field, expected: "an object") }
        return value
    }

    private static func optionalString(_ value: JSONValue?, field: String) throws(DocumentError) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text.isEmpty ? nil : text
        default: throw .wrongType(field: field, expected: "a string")
        }
    }

    /// A decimal integer's digits, from a string (Portal's form) or a plain JSON integer.
    private static func decimal(_ value: JSONValue?, field: String) throws(DocumentError) -> String {
        switch value {
        case nil: throw .missingField(field)
        case .string(let text)?: return text
        case .number(let text)? where text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }): return text
        default: throw .wrongType(field: field, expected: "a decimal string")
        }
    }

    /// A public scalar (an identifier) from a decimal string, in the curve's encoding.
    private static func scalar<C: Curve>(_ value: JSONValue?, field: String) throws(DocumentError) -> Scalar<C> {
        let text = try decimal(value, field: field)
        guard var bytes = DecimalInteger.bigEndian(text) else {
            throw .outOfRange(field: field, detail: "not a decimal integer below 2^256")
        }
        if C.id == .ed25519 { bytes.reverse() }
        do { return try Scalar<C>(decoding: bytes) } catch { throw .invalidField(field: field, reason: error) }
    }

    /// A secret scalar from a decimal string (or plain integer), which `StrictJSON` read into guarded memory;
    /// converted there.
    private static func secretScalar<C: Curve>(_ value: JSONValue?, field: String) throws(DocumentError) -> Scalar<C> {
        let digits: SecureBytes
        switch value {
        case nil: throw .missingField(field)
        case .secretString(let bytes)?, .secretNumber(let bytes)?: digits = bytes
        case .string("")?: throw .outOfRange(field: field, detail: "not a decimal integer below 2^256")
        default: throw .wrongType(field: field, expected: "a decimal string")
        }
        guard let bigEndian = digits.withUnsafeBytes({ DecimalInteger.secretBigEndian(digits: $0) }) else {
            throw .outOfRange(field: field, detail: "not a decimal integer below 2^256")
        }
        let encoded =
            C.id == .ed25519
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

    /// The curve a point given as decimal coordinates lies on; `stated` when it lies on neither (the parse on
    /// that curve then names the problem), else an error naming `field`.
    static func curve(x: JSONValue?, y: JSONValue?, field: String, stated: CurveID?) throws(DocumentError) -> CurveID {
        let xText = try decimal(x, field: field == "x, y" ? "x" : "\(field).X")
        let yText = try decimal(y, field: field == "x, y" ? "y" : "\(field).Y")
        if let xBytes = DecimalInteger.bigEndian(xText), let yBytes = DecimalInteger.bigEndian(yText) {
            if Secp256k1CurveEquation.holds(x: xBytes, y: yBytes) { return .secp256k1 }
            if EdwardsCurveEquation.holds(x: xBytes, y: yBytes) { return .ed25519 }
        }
        if let stated { return stated }
        throw .outOfRange(field: field, detail: "the point is not on the curve (neither secp256k1 nor ed25519)")
    }

    /// A point's encoding from decimal affine coordinates: on secp256k1 the point is decoded (cheap, no square
    /// root) and re-encoded; on ed25519 the curve equation is checked here, the subgroup when it is decoded.
    private static func pointEncoding<C: Curve>(
        x: JSONValue?, y: JSONValue?, fieldX: String, fieldY: String, on curve: C.Type
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
                // Decoding checks the subgroup, so a small-order point is named here, by its fields.
                _ = try Point<C>(decoding: yBytes)
                return yBytes
            }
        } catch let error as ShareMathError {
            throw .invalidField(field: "\(fieldX), \(fieldY)", reason: error)
        } catch {
            throw .invalidField(field: "\(fieldX), \(fieldY)", reason: .pointNotOnCurve)
        }
    }
}

/// secp256k1's equation `y² = x³ + 7 (mod p)`, for coordinates given as public decimals.
enum Secp256k1CurveEquation {
    static let p = (BigInt(1) << 256) - (BigInt(1) << 32) - 977

    static func holds(x: [UInt8], y: [UInt8]) -> Bool {
        let x = BigInt(BigUInt(Data(x)))
        let y = BigInt(BigUInt(Data(y)))
        guard x < p, y < p else { return false }
        return (y * y - x * x * x - 7) % p == 0
    }
}
