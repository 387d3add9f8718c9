import Foundation
import ShareMath

/// The custodian backup webhook's body: `{clientId, share, backupMethod}` (DESIGN section 1).
///
/// Read strictly (a key given twice, or in two letter cases, is refused) and liberally: `backupMethod` may be
/// absent (older deliveries; stored as `UNKNOWN`) and may be any printable method name; other fields (Portal
/// may add `backupSharePairId`) are ignored.
package struct WebhookBody: Sendable {
    /// The largest body accepted.
    package static let maximumSize = 64 * 1024

    package let clientId: String
    /// The share string exactly as received (escapes resolved), in guarded memory: it is a secret.
    package let share: SecureBytes
    /// The method as sent, its curve named only when the method names one.
    package let backupMethod: BackupMethod

    package init(clientId: String, share: SecureBytes, backupMethod: BackupMethod) {
        self.clientId = clientId
        self.share = share
        self.backupMethod = backupMethod
    }

    /// A body as the provider sends it (for the demo, the bench and tests), in guarded memory: the share is a
    /// secret until it is handed to the transport.
    package static func encoded(clientId: String, share: SecureBytes, backupMethod: String) -> SecureBytes {
        SecretJSON.object([
            ("backupMethod", .string(backupMethod)), ("clientId", .string(clientId)), ("share", .secretString(share)),
        ]).encoded()
    }

    /// Parses and checks a body.
    package static func parse(_ data: Data) throws -> WebhookBody {
        guard data.count <= maximumSize else { throw DocumentError.tooLarge(limit: maximumSize, actual: data.count) }
        guard !data.isEmpty else { throw DocumentError.empty }
        let body = try StrictJSON.parse(data)
        guard body.isObject else { throw DocumentError.malformedJSON("the body must be an object") }
        let clientId = try string(body["clientId"], field: "clientId")
        let share: SecureBytes
        switch body["share"] {
        case nil: throw DocumentError.missingField("share")
        case .secretString(let bytes)?: share = bytes
        case .string?: throw DocumentError.malformedJSON("the share is not a JSON object")  // "" is never secret
        default: throw DocumentError.wrongType(field: "share", expected: "a string")
        }
        try ClientID.validate(clientId)
        let method: BackupMethod
        switch body["backupMethod"] {
        case nil, .null?: method = .unknown
        case .string(let text)?: method = try BackupMethod(parsing: text)
        default: throw DocumentError.wrongType(field: "backupMethod", expected: "a string")
        }
        return WebhookBody(clientId: clientId, share: share, backupMethod: method)
    }

    private static func string(_ value: JSONValue?, field: String) throws(DocumentError) -> String {
        guard let value else { throw .missingField(field) }
        guard case .string(let text) = value else { throw .wrongType(field: field, expected: "a string") }
        return text
    }
}
