import Foundation

/// The custodian backup webhook's body: `{clientId, share, backupMethod}`.
///
/// `share` is the share's JSON as a string, kept byte for byte so that `/backup/fetch` returns exactly it.
public struct WebhookBody: Sendable {
    /// The largest body accepted.
    public static let maximumSize = 64 * 1024

    public let clientId: String
    /// The share string exactly as received (a secret).
    public let share: String
    public let backupMethod: BackupMethod

    public init(clientId: String, share: String, backupMethod: BackupMethod) {
        self.clientId = clientId
        self.share = share
        self.backupMethod = backupMethod
    }

    private struct Raw: Decodable {
        var clientId: String?
        var share: String?
        var backupMethod: String?
    }

    /// Parses and checks a body; the method must name its curve (`GDRIVE-SECP256K1`) or defaults to secp256k1.
    public static func parse(_ data: Data) throws -> WebhookBody {
        guard data.count <= maximumSize else { throw DocumentError.tooLarge(limit: maximumSize, actual: data.count) }
        guard !data.isEmpty else { throw DocumentError.empty }
        let raw = try RawShareDocument.decode(Raw.self, from: data)
        guard let clientId = raw.clientId else { throw DocumentError.missingField("clientId") }
        guard let share = raw.share else { throw DocumentError.missingField("share") }
        guard let method = raw.backupMethod else { throw DocumentError.missingField("backupMethod") }
        try ClientID.validate(clientId)
        let parsed = try BackupMethod(parsing: method)
        return WebhookBody(clientId: clientId, share: share, backupMethod: parsed.curve == nil ? parsed.on(.secp256k1) : parsed)
    }
}
