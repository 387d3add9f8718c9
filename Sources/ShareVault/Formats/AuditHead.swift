import Foundation
import ShareMath

/// An exported audit head (`audit --head`): the chain's event count and hash when it was exported, with a MAC
/// under the vault's audit key. Kept off the machine, it later proves that the vault was neither rolled back to
/// an older copy nor cut short, nor its history rewritten up to that point (`audit --verify --expect-head`).
///
/// It holds nothing secret. The document is one line of JSON:
/// `{"format":"sharevault audit head v1","events":12,"hash":"<64 hex>","mac":"<64 hex>"}`.
public struct AuditHead: Sendable, Equatable {
    /// How many events the chain held.
    public let events: Int64
    /// The chain's hash through its last event.
    public let hash: [UInt8]
    /// The MAC of `events` and `hash` under the audit key.
    public let mac: [UInt8]

    static let format = "sharevault audit head v1"
    /// A head file is a line of about 200 bytes; anything much larger is not one.
    public static let maximumSize = 4096

    init(events: Int64, hash: [UInt8], key: AuditKey) {
        self.events = events
        self.hash = hash
        mac = key.headMAC(events: events, hash: hash)
    }

    /// The document, with a trailing newline.
    public var document: String {
        "{\"format\":\"\(Self.format)\",\"events\":\(events),\"hash\":\"\(Hex.encode(hash))\",\"mac\":\"\(Hex.encode(mac))\"}\n"
    }

    /// Reads a head document strictly: the four fields, no others, a count of at least 1, 32-byte hex digests.
    public init(document data: Data) throws(DocumentError) {
        guard !data.isEmpty else { throw .empty }
        guard data.count <= Self.maximumSize else { throw .tooLarge(limit: Self.maximumSize, actual: data.count) }
        let value = try StrictJSON.parse(data)
        guard case .object(let members) = value else { throw .malformedJSON("an audit head is a JSON object") }
        for member in members where !["format", "events", "hash", "mac"].contains(member.key) {
            throw .outOfRange(field: String(member.key.prefix(40)), detail: "not a field of an audit head")
        }
        guard case .string(let format)? = value["format"] else {
            throw value["format"] == nil ? .missingField("format") : .wrongType(field: "format", expected: "a string")
        }
        guard format == Self.format else { throw .wrongFormat(expected: Self.format, actual: format) }
        guard case .number(let count)? = value["events"] else {
            throw value["events"] == nil ? .missingField("events") : .wrongType(field: "events", expected: "a number")
        }
        guard let events = Int64(count), events >= 1 else {
            throw .outOfRange(field: "events", detail: "a whole number of events, at least 1")
        }
        self.events = events
        hash = try Self.digest(value, field: "hash")
        mac = try Self.digest(value, field: "mac")
    }

    private static func digest(_ value: JSONValue, field: String) throws(DocumentError) -> [UInt8] {
        guard case .string(let text)? = value[field] else {
            throw value[field] == nil ? .missingField(field) : .wrongType(field: field, expected: "a string")
        }
        guard text.utf8.count == 64, let bytes = try? Hex.decode(text) else {
            throw .outOfRange(field: field, detail: "64 hex digits")
        }
        return bytes
    }
}
