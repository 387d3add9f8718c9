import BigInt
import Foundation
import ShareMath

/// Writes shares in Portal's exact layouts (DESIGN section 4), for `create --layout portal`: test wallets whose
/// custodian half is Portal's flat custodian JSON and whose client half is Portal's `MpcShare`.
///
/// The Paillier and Pedersen values are random numbers of the real sizes (1024-bit `p`, `q`; 2048-bit `n`), not
/// real primes or moduli: sharevault never uses them, only keeps them sealed, and treats them as secrets.
package enum PortalShareWriter {
    /// What both halves of one Portal pair state.
    package struct Pair<C: Curve> {
        package let clientId: String
        package let backupSharePairId: String
        package let signingSharePairId: String
        package let publicKey: Point<C>
        package let client: Share<C>
        package let custodian: Share<C>
        /// `ssid`: base64 of 32 random bytes, shared by both halves.
        package let ssid = Data(SecureBytes.random(count: 32).withUnsafeBytes { Array($0) }).base64EncodedString()

        package init(
            clientId: String, backupSharePairId: String, signingSharePairId: String, publicKey: Point<C>,
            client: Share<C>, custodian: Share<C>
        ) {
            self.clientId = clientId
            self.backupSharePairId = backupSharePairId
            self.signingSharePairId = signingSharePairId
            self.publicKey = publicKey
            self.client = client
            self.custodian = custodian
        }
    }

    /// The custodian's half: the webhook's `share` string, written in guarded memory.
    package static func custodianJSON<C: Curve>(_ pair: Pair<C>) -> SecureBytes {
        let key = coordinates(pair.publicKey)
        let server = coordinates(C.baseMultiply(pair.custodian.value))
        let client = coordinates(C.baseMultiply(pair.client.value))
        let yClient = coordinates(C.baseMultiply(Scalar<C>.random()))
        let yServer = coordinates(C.baseMultiply(Scalar<C>.random()))
        let fields: [String: SecretJSON] = [
            "backupSharePairId": .string(pair.backupSharePairId), "clientId": .string(pair.clientId),
            "clientBk": .string(decimal(pair.client.identifier)),
            "serverBk": .string(decimal(pair.custodian.identifier)),
            "clientPartialPubKey_x": .string(client.x), "clientPartialPubKey_y": .string(client.y),
            "serverPartialPubKey_x": .string(server.x), "serverPartialPubKey_y": .string(server.y),
            "pailler_p": .secretString(randomSecretDecimal(bits: 1024)),
            "pailler_q": .secretString(randomSecretDecimal(bits: 1024)),
            "pedersenClient_n": .string(randomDecimal(bits: 2048)),
            "pedersenClient_s": .string(randomDecimal(bits: 2040)),
            "pedersenClient_t": .string(randomDecimal(bits: 2040)),
            "pedersenServer_n": .string(randomDecimal(bits: 2048)),
            "pedersenServer_s": .string(randomDecimal(bits: 2040)),
            "pedersenServer_t": .string(randomDecimal(bits: 2040)),
            "share": .secretString(secretDecimal(pair.custodian.value)), "ssid": .string(pair.ssid),
            "x": .string(key.x), "y": .string(key.y), "yClient_x": .string(yClient.x), "yClient_y": .string(yClient.y),
            "yServer_x": .string(yServer.x), "yServer_y": .string(yServer.y),
        ]
        return sortedObject(fields).encoded()
    }

    /// The client's half: Portal's `MpcShare`, written in guarded memory.
    package static func clientJSON<C: Curve>(_ pair: Pair<C>) -> SecureBytes {
        func point(_ value: (x: String, y: String)) -> SecretJSON {
            sortedObject(["X": .string(value.x), "Y": .string(value.y)])
        }
        func pedersen() -> SecretJSON {
            sortedObject([
                "n": .string(randomDecimal(bits: 2048)), "s": .string(randomDecimal(bits: 2040)),
                "t": .string(randomDecimal(bits: 2040)),
            ])
        }
        let fields: [String: SecretJSON] = [
            "clientId": .string(pair.clientId), "backupSharePairId": .string(pair.backupSharePairId),
            "signingSharePairId": .string(pair.signingSharePairId),
            "share": .secretString(secretDecimal(pair.client.value)), "ssid": .string(pair.ssid),
            "pubkey": point(coordinates(pair.publicKey)),
            "partialPubkey": sortedObject([
                "client": point(coordinates(C.baseMultiply(pair.client.value))),
                "server": point(coordinates(C.baseMultiply(pair.custodian.value))),
            ]),
            "allY": sortedObject([
                "client": point(coordinates(C.baseMultiply(Scalar<C>.random()))),
                "server": point(coordinates(C.baseMultiply(Scalar<C>.random()))),
            ]),
            "p": .secretString(randomSecretDecimal(bits: 1024)), "q": .secretString(randomSecretDecimal(bits: 1024)),
            "pederson": sortedObject(["client": pedersen(), "server": pedersen()]),
            "bks": sortedObject([
                "client": sortedObject(["X": .string(decimal(pair.client.identifier)), "Rank": .integer(0)]),
                "server": sortedObject(["X": .string(decimal(pair.custodian.identifier)), "Rank": .integer(0)]),
            ]),
        ]
        return sortedObject(fields).encoded()
    }

    /// Portal's two-curve client plaintext: `{"SECP256K1": {"id", "share"}, "ED25519": {...}}`, each inner share
    /// written as a string, in guarded memory.
    package static func plaintext(_ entries: [(curve: CurveID, id: String, share: SecureBytes)]) -> SecureBytes {
        var fields: [String: SecretJSON] = [:]
        for entry in entries {
            fields[ClientPlaintext.wrapperKey(entry.curve)] = .object([
                ("id", .string(entry.id)), ("share", .secretString(entry.share)),
            ])
        }
        return sortedObject(fields).encoded()
    }

    /// An id shaped like Portal's (a 25-character cuid).
    package static func pairId() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "cl" + String((0..<23).map { _ in alphabet[Int.random(in: alphabet.indices)] })
    }

    /// An object with its members in key order, as Portal's JSON is written here.
    private static func sortedObject(_ fields: [String: SecretJSON]) -> SecretJSON {
        .object(fields.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
    }

    /// A public scalar (an identifier) as the decimal of its integer value.
    static func decimal<C: Curve>(_ scalar: Scalar<C>) -> String {
        scalar.withEncoding { bytes in
            let bigEndian = C.id == .ed25519 ? Array(bytes.reversed()) : Array(bytes)
            return BigUInt(Data(bigEndian)).description
        }
    }

    /// A secret scalar as the decimal of its integer value, in guarded memory.
    static func secretDecimal<C: Curve>(_ scalar: Scalar<C>) -> SecureBytes {
        let encoding = scalar.secretEncoding
        let bigEndian =
            C.id == .ed25519
            ? SecureBytes.filled(count: encoding.count) { out in
                encoding.withUnsafeBytes { for index in out.indices { out[index] = $0[$0.count - 1 - index] } }
            }
            : encoding
        return bigEndian.withUnsafeBytes { DecimalInteger.secretDecimal(bigEndian: $0) }
    }

    /// A random public number of `bits` bits (top and bottom bits set), in decimal.
    private static func randomDecimal(bits: Int) -> String {
        var bytes = SecureBytes.random(count: bits / 8).withUnsafeBytes { Array($0) }
        bytes[0] |= 0x80
        bytes[bytes.count - 1] |= 1
        return BigUInt(Data(bytes)).description
    }

    /// A random secret number of `bits` bits (top and bottom bits set, like a prime), in decimal, in guarded memory.
    private static func randomSecretDecimal(bits: Int) -> SecureBytes {
        let bytes = SecureBytes.random(count: bits / 8)
        bytes.withUnsafeMutableBytes { bytes in
            bytes[0] |= 0x80
            bytes[bytes.count - 1] |= 1
        }
        return bytes.withUnsafeBytes { DecimalInteger.secretDecimal(bigEndian: $0) }
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
