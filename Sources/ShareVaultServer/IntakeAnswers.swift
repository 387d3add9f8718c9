import Hummingbird
import NIOCore
import ShareMath
import ShareVault

/// `POST {root}/backup`: what became of the delivery.
struct WebhookAnswer: ResponseEncodable {
    /// `stored`, `replaced` or `duplicate`.
    let status: IngestOutcome
    let clientId: String
    /// The method as sent, without the curve.
    let backupMethod: BackupMethod
}

/// `GET /healthz` and `GET /readyz`: `{"status": "alive" | "ready" | "not ready", "reason": ...}`.
struct HealthAnswer: ResponseEncodable {
    let status: String
    let reason: String?
}

/// `POST {root}/backup/fetch`: `{"backupShares": [...]}`, the client's live custodian shares byte for byte as
/// received. The shares are secrets: the answer is laid out in guarded memory and copied only into NIO's buffer.
struct FetchAnswer: ResponseGenerator {
    let backupShares: [SecureBytes]

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = SecretJSON.object([("backupShares", .array(backupShares.map { .secretString($0) }))]).encoded()
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: body.withUnsafeBytes { ByteBuffer(bytes: $0) }))
    }
}

/// `GET /clients/{clientId}/backup`: the stored client ciphertext.
struct CipherTextAnswer: ResponseEncodable {
    let cipherText: String
}

/// What an upload or a confirmation did: the method's pairs (one per curve) and their common status.
struct ClientBackupAnswer: ResponseEncodable {
    struct Pair: Encodable {
        let curve: CurveID
        let status: BackupStatus
    }

    /// The pairs' status (an upload or confirmation moves every pair of the method alike).
    let status: BackupStatus?
    let backupMethod: BackupMethod?
    let pairs: [Pair]

    init(_ summaries: [PairIdentity]) {
        status = summaries.first?.status
        backupMethod = summaries.first?.method
        pairs = summaries.map { Pair(curve: $0.curve, status: $0.status) }
    }
}
