import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import ShareMath
import ShareVault

/// The intake's routes, each a thin call into the vault's operations. Credentials, the body, the work limit and
/// error answers are the middleware's (see `IntakeServer.application`): a handler reads its buffered body, calls
/// the vault and returns a typed answer.
struct IntakeHandlers: Sendable {
    let vault: Vault
    let metrics: IntakeMetrics
    /// How long `/readyz` waits for the store before it answers 503.
    let readinessTimeout: Duration

    // MARK: The custodian webhook

    /// `POST {root}/backup` with `{clientId, share, backupMethod}`: stores the custodian backup share.
    func webhookBackup(_ request: Request, context: IntakeContext) async throws -> WebhookAnswer {
        let body = try await Self.body(request)
        let report = try await vault.ingestCustodian(body)
        metrics.ingested(report.outcome)
        return WebhookAnswer(status: report.outcome, clientId: report.clientId, backupMethod: report.method)
    }

    /// `POST {root}/backup/fetch` with `{clientId}`: `{"backupShares": [...]}`, byte for byte as received.
    func webhookFetch(_ request: Request, context: IntakeContext) async throws -> FetchAnswer {
        let object = try Self.strictObject(try await Self.body(request))
        guard let clientId = try Self.optionalString(object, "clientId") else {
            throw DocumentError.missingField("clientId")
        }
        return FetchAnswer(backupShares: try await vault.custodianShares(clientId: clientId))
    }

    // MARK: Health

    /// `GET /healthz`: the process answers.
    func alive(_ request: Request, context: IntakeContext) async throws -> HealthAnswer {
        HealthAnswer(status: "alive", reason: nil)
    }

    /// `GET /readyz`: 200 when the vault key is loaded and the store answers a read within the timeout; 503 with
    /// the reason otherwise (a load balancer then sends the webhooks elsewhere).
    func ready(_ request: Request, context: IntakeContext) async throws -> Response {
        let answer: HealthAnswer
        let status: HTTPResponse.Status
        switch await vault.readiness(within: readinessTimeout) {
        case .ready:
            (answer, status) = (HealthAnswer(status: "ready", reason: nil), .ok)
        case .notReady(let reason):
            (answer, status) = (HealthAnswer(status: "not ready", reason: reason), .serviceUnavailable)
        }
        var response = try context.responseEncoder.encode(answer, from: request, context: context)
        response.status = status
        return response
    }

    // MARK: The app's routes

    /// `POST /clients/{clientId}/backup` with `{cipherText, backupMethod}`.
    func uploadClientBackup(_ request: Request, context: IntakeContext) async throws -> ClientBackupAnswer {
        let clientId = Self.clientId(context)
        let object = try Self.strictObject(try await Self.body(request))
        guard let methodText = try Self.optionalString(object, "backupMethod") else {
            throw DocumentError.missingField("backupMethod")
        }
        let method = try BackupMethod(parsing: methodText)
        guard let cipherText = try Self.optionalString(object, "cipherText") else {
            throw DocumentError.missingField("cipherText")
        }
        return ClientBackupAnswer(
            try await vault.ingestClient(clientId: clientId, method: method, cipherText: cipherText))
    }

    /// `GET /clients/{clientId}/backup?backupMethod=M`: `{cipherText}`, for the app to recover.
    func fetchClientBackup(_ request: Request, context: IntakeContext) async throws -> CipherTextAnswer {
        let clientId = Self.clientId(context)
        guard let methodText = request.uri.queryParameters.get("backupMethod") else {
            throw DocumentError.missingField("backupMethod")
        }
        let method = try BackupMethod(parsing: String(methodText))
        guard let cipherText = try await vault.clientCipherText(clientId: clientId, method: method) else {
            throw VaultError.noClientBackup(clientId: clientId, method: method.description)
        }
        return CipherTextAnswer(cipherText: cipherText)
    }

    /// `POST /clients/{clientId}/backup/confirm` with `{backupMethod}`.
    func confirmClientBackup(_ request: Request, context: IntakeContext) async throws -> ClientBackupAnswer {
        let clientId = Self.clientId(context)
        let object = try Self.strictObject(try await Self.body(request))
        guard let methodText = try Self.optionalString(object, "backupMethod") else {
            throw DocumentError.missingField("backupMethod")
        }
        let method = try BackupMethod(parsing: methodText)
        return ClientBackupAnswer(try await vault.confirm(clientId: clientId, method: method))
    }

    // MARK: Reading requests

    /// The body `BodyMiddleware` has already read, whole and within the limit.
    static func body(_ request: Request) async throws -> Data {
        Data(buffer: try await request.body.collect(upTo: .max))
    }

    /// The `{clientId}` path segment, percent-decoded (`a%3Ab` is client `a:b`); a segment that does not decode
    /// is passed on as it is, for the client-id check to refuse.
    static func clientId(_ context: some RequestContext) -> String {
        let raw = context.parameters.get("clientId") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// Reads a route's body strictly (a key given twice, or in two cases, is refused, as for the webhook).
    static func strictObject(_ body: Data) throws -> JSONValue {
        guard !body.isEmpty else { throw DocumentError.empty }
        let value = try StrictJSON.parse(body)
        guard value.isObject else { throw DocumentError.malformedJSON("the body must be an object") }
        return value
    }

    static func optionalString(_ object: JSONValue, _ field: String) throws -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw DocumentError.wrongType(field: field, expected: "a string")
        }
    }
}
