import BigInt
import Foundation
import ShareMath

/// Writes shares in Portal's exact layouts (DESIGN section 4), for `create --layout portal`: test wallets whose
/// custodian half is Portal's flat custodian JSON and whose client half is Portal's `MpcShare`.
///
/// The Paillier and Pedersen values are random numbers of the real sizes (1024-bit `p`, `q`; 2048-bit `n`), not
/// real primes or moduli: sharevault never uses them, only keeps them sealed, and treats them as secrets.
enum PortalShareWriter {
    /// What both halves of one Portal pair state.
    struct Pair<C: Curve> {
        let clientId: String
        let backupSharePairId: String
        let signingSharePairId: String
        let publicKey: Point<C>
        let client: Share<C>
        let custodian: Share<C>
        /// `ssid`: base64 of 32 random bytes, shared by both halves.
        let ssid = Data(SecureBytes.random(count: 32).withUnsafeBytes { Array($0) }).base64EncodedString()
    }

    /// The custodian's half: the webhook's `share` string.
    static func custodianJSON<C: Curve>(_ pair: Pair<C>) -> String {
        let key = coordinates(pair.publicKey)
        let server = coordinates(C.baseMultiply(pair.custodian.value))
        let client = coordinates(C.baseMultiply(pair.client.value))
        let yClient = coordinates(C.baseMultiply(Scalar<C>.random()))
        let yServer = coordinates(C.baseMultiply(Scalar<C>.random()))
        let fields: [String: Any] = [
            "backupSharePairId": pair.backupSharePairId, "clientId": pair.clientId,
            "clientBk": decimal(pair.client.identifier), "serverBk": decimal(pair.custodian.identifier),
            "clientPartialPubKey_x": client.x, "clientPartialPubKey_y": client.y,
            "serverPartialPubKey_x": server.x, "serverPartialPubKey_y": server.y,
            "pailler_p": randomDecimal(bits: 1024), "pailler_q": randomDecimal(bits: 1024),
            "pedersenClient_n": randomDecimal(bits: 2048), "pedersenClient_s": randomDecimal(bits: 2040),
            "pedersenClient_t": randomDecimal(bits: 2040), "pedersenServer_n": randomDecimal(bits: 2048),
            "pedersenServer_s": randomDecimal(bits: 2040), "pedersenServer_t": randomDecimal(bits: 2040),
            "share": decimal(pair.custodian.value), "ssid": pair.ssid, "x": key.x, "y": key.y,
            "yClient_x": yClient.x, "yClient_y": yClient.y, "yServer_x": yServer.x, "yServer_y": yServer.y,
        ]
        return json(fields)
    }

    /// The client's half: Portal's `MpcShare`.
    static func clientJSON<C: Curve>(_ pair: Pair<C>) -> String {
        func point(_ value: (x: String, y: String)) -> [String: Any] { ["X": value.x, "Y": value.y] }
        func pedersen() -> [String: Any] {
            ["n": randomDecimal(bits: 2048), "s": randomDecimal(bits: 2040), "t": randomDecimal(bits: 2040)]
        }
        let fields: [String: Any] = [
            "clientId": pair.clientId, "backupSharePairId": pair.backupSharePairId,
            "signingSharePairId": pair.signingSharePairId, "share": decimal(pair.client.value), "ssid": pair.ssid,
            "pubkey": point(coordinates(pair.publicKey)),
            "partialPubkey": [
                "client": point(coordinates(C.baseMultiply(pair.client.value))),
                "server": point(coordinates(C.baseMultiply(pair.custodian.value))),
            ],
            "allY": [
                "client": point(coordinates(C.baseMultiply(Scalar<C>.random()))),
                "server": point(coordinates(C.baseMultiply(Scalar<C>.random()))),
            ],
            "p": randomDecimal(bits: 1024), "q": randomDecimal(bits: 1024),
            "pederson": ["client": pedersen(), "server": pedersen()],
            "bks": [
                "client": ["X": decimal(pair.client.identifier), "Rank": 0],
                "server": ["X": decimal(pair.custodian.identifier), "Rank": 0],
            ],
        ]
        return json(fields)
    }

    /// Portal's two-curve client plaintext: `{"SECP256K1": {"id", "share"}, "ED25519": {...}}`.
    static func plaintext(_ entries: [(curve: CurveID, id: String, share: String)]) -> String {
        var fields: [String: Any] = [:]
        for entry in entries {
            fields[ClientPlaintext.wrapperKey(entry.curve)] = ["id": entry.id, "share": entry.share]
        }
        return json(fields)
    }

    /// An id shaped like Portal's (a 25-character cuid).
    static func pairId() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "cl" + String((0..<23).map { _ in alphabet.randomElement()! })
    }

    private static func json(_ fields: [String: Any]) -> String {
        // Only strings, integers and nested objects of them: serialisation cannot fail.
        let data =
            (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A scalar as the decimal of its integer value.
    static func decimal<C: Curve>(_ scalar: Scalar<C>) -> String {
        scalar.withEncoding { bytes in
            let bigEndian = C.id == .ed25519 ? Array(bytes.reversed()) : Array(bytes)
            return BigUInt(Data(bigEndian)).description
        }
    }

    private static func randomDecimal(bits: Int) -> String {
        var bytes = SecureBytes.random(count: bits / 8).withUnsafeBytes { Array($0) }
        bytes[0] |= 0x80
        bytes[bytes.count - 1] |= 1
        return BigUInt(Data(bytes)).description
    }

    /// A point's affine coordinates as decimals: secp256k1's `(x, y)`, ed25519's Edwards `(x, y)`.
    static func coordinates<C: Curve>(_ point: Point<C>) -> (x: String, y: String) {
        let encoded = point.encoded
        switch C.id {
        case .secp256k1:
            let full = Secp256k1CurveEquation.uncompressed(encoded)
            return (BigUInt(Data(full.x)).description, BigUInt(Data(full.y)).description)
        case .ed25519:
            var yBytes = encoded
            let parity = yBytes[31] >> 7
            yBytes[31] &= 0x7f
            let y = BigInt(BigUInt(Data(yBytes.reversed())))
            let x = EdwardsCurveEquation.recoverX(y: y, parity: Int(parity))
            return (x.description, y.description)
        }
    }
}

extension Secp256k1CurveEquation {
    /// The affine coordinates of a compressed SEC1 encoding (a valid point's): `y = (x³ + 7)^((p+1)/4)`.
    static func uncompressed(_ encoded: [UInt8]) -> (x: [UInt8], y: [UInt8]) {
        let x = BigInt(BigUInt(Data(encoded.dropFirst())))
        var y = (x * x * x + 7).power((p + 1) / 4, modulus: p)
        if Int(y % 2) != Int(encoded[0] & 1) { y = p - y }
        func bytes(_ value: BigInt) -> [UInt8] {
            let raw = [UInt8](value.magnitude.serialize())
            return [UInt8](repeating: 0, count: 32 - raw.count) + raw
        }
        return (bytes(x), bytes(y))
    }
}

extension EdwardsCurveEquation {
    /// RFC 8032 section 5.1.3: `x` from `y` and its parity (for a valid point's encoding).
    static func recoverX(y: BigInt, parity: Int) -> BigInt {
        let y2 = y * y % p
        let u = (y2 - 1 + p) % p
        let v = (d * y2 + 1) % p
        let candidate = u * v.power(p - 2, modulus: p) % p
        var x = candidate.power((p + 3) / 8, modulus: p)
        if (x * x - candidate) % p != 0 {
            x = x * BigInt(2).power((p - 1) / 4, modulus: p) % p
        }
        if Int(x % 2) != parity { x = (p - x) % p }
        return x
    }
}
