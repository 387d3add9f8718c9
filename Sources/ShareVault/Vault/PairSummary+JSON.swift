import Foundation

extension PairSummary {
    /// The pair as one JSON object, byte for byte what `JSONEncoder` writes for it with sorted keys, slashes as
    /// they are and times as `VaultClock` text (absent fields left out): `list --json`'s line. Written by hand
    /// because a listing writes one per pair, and the encoder's generic machinery costs more than reading the row
    /// (the tests hold the two to the same bytes over random pairs).
    public var jsonObject: String { jsonObject(staleReasons: nil) }

    /// `jsonObject` with `staleReasons` among its fields (`list --stale`).
    public func jsonObject(staleReasons: [StaleReason]?) -> String {
        var out = JSONObjectWriter()
        out.field("address", string: address)
        out.field("clientId", string: clientId)
        out.field("completed", literal: completed ? "true" : "false")
        out.field("createdAt", string: VaultClock.format(createdAt))
        out.field("curve", string: curve.rawValue)
        if let generation { out.field("generation", literal: String(generation)) }
        if let lastDrilledAt { out.field("lastDrilledAt", string: VaultClock.format(lastDrilledAt)) }
        if let lastDrilledOutcome { out.field("lastDrilledOutcome", string: lastDrilledOutcome.description) }
        if let lastVerifiedAt { out.field("lastVerifiedAt", string: VaultClock.format(lastVerifiedAt)) }
        if let lastVerifiedOutcome { out.field("lastVerifiedOutcome", string: lastVerifiedOutcome.description) }
        out.field("live", literal: live ? "true" : "false")
        out.field("method", string: method.description)
        out.field("pairId", literal: String(pairId))
        out.field("publicKey", string: publicKey)
        if let replacedAt { out.field("replacedAt", string: VaultClock.format(replacedAt)) }
        if let staleReasons { out.field("staleReasons", strings: staleReasons.map(\.rawValue)) }
        out.field("status", string: status.rawValue)
        out.field("updatedAt", string: VaultClock.format(updatedAt))
        return out.finish()
    }
}

/// A JSON object written field by field, in the order given (the caller's keys sorted), strings escaped as
/// Foundation's encoder escapes them with `.withoutEscapingSlashes`.
struct JSONObjectWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]

    mutating func field(_ key: String, string value: String) {
        name(key)
        quoted(value)
    }

    mutating func field(_ key: String, strings values: [String]) {
        name(key)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            quoted(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A number or `true`/`false`, as given.
    mutating func field(_ key: String, literal value: String) {
        name(key)
        bytes.append(contentsOf: value.utf8)
    }

    mutating func finish() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func name(_ key: String) {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        quoted(key)
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func quoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: Array("\\n".utf8))
            case 0x0D: bytes.append(contentsOf: Array("\\r".utf8))
            case 0x09: bytes.append(contentsOf: Array("\\t".utf8))
            case 0x08: bytes.append(contentsOf: Array("\\b".utf8))
            case 0x0C: bytes.append(contentsOf: Array("\\f".utf8))
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
