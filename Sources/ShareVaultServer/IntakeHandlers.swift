import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import ShareMath
import ShareVault
import Synchronization

/// The intake's routes, each a thin call into the vault's operations.
struct IntakeHandlers: Sendable {
    let vault: Vault
    let configuration: IntakeConfiguration
    /// Vault jobs running now, against `configuration.maximumBlockingWork`.
    let blockingWork = BlockingWorkLimit()

    // MARK: The custodian webhook

    /// `POST {root}/backup` with `{clientId, share, backupMethod}`: stores the custodian backup share.
    func webhookBackup(_ request: Request, context: some RequestContext) async throws -> Response {
        let vault = self.vault
        return try await handle(request, authorized: webhookAuthorized(request)) { body in
            let report = try await Self.blocking { try vault.ingestCustodian(body) }
            return .json(.ok, ["status": report.outcome, "clientId": report.clientId, "backupMethod": report.method])
        }
    }

    /// `POST {root}/backup/fetch` with `{clientId}`: `{"backupShares": [...]}`, byte for byte as received.
    func webhookFetch(_ request: Request, context: some RequestContext) async throws -> Response {
        let vault = self.vault
        return try await handle(request, authorized: webhookAuthorized(request)) { body in
            let fetch = try Self.decode(FetchRequest.self, body)
            guard let clientId = fetch.clientId else { throw DocumentError.missingField("clientId") }
            let shares = try await vault.custodianShareStrings(clientId: clientId)
            return .jsonObject(.ok, ["backupShares": shares])
        }
    }

    // MARK: The app's routes

    /// `POST /clients/{clientId}/backup` with `{cipherText, backupMethod}`.
    func uploadClientBackup(_ request: Request, context: some RequestContext) async throws -> Response {
        let clientId = Self.clientId(context)
        let vault = self.vault
        return try await handle(request, authorized: bearerMatches(request)) { body in
            let upload = try Self.decode(AppUpload.self, body)
            guard let method = upload.backupMethod else { throw DocumentError.missingField("backupMethod") }
            guard let cipherText = upload.cipherText else { throw DocumentError.missingField("cipherText") }
            let pairs = try await Self.blocking {
                try vault.ingestClient(clientId: clientId, method: method, cipherText: cipherText)
            }
            return .jsonObject(.ok, ClientBackupAnswer(pairs))
        }
    }

    /// `GET /clients/{clientId}/backup?backupMethod=M`: `{cipherText}`, for the app to recover.
    func fetchClientBackup(_ request: Request, context: some RequestContext) async throws -> Response {
        guard bearerMatches(request) else { return .unauthorized }
        let clientId = Self.clientId(context)
        let method = request.uri.queryParameters.get("backupMethod")
        let vault = self.vault
        return try await respond {
            guard let method else { throw DocumentError.missingField("backupMethod") }
            guard let cipherText = try await vault.clientCipherText(clientId: clientId, method: method) else {
                throw VaultError.noClientBackup(clientId: clientId, method: method)
            }
            return .json(.ok, ["cipherText": cipherText])
        }
    }

    /// `POST /clients/{clientId}/backup/confirm` with `{backupMethod}`.
    func confirmClientBackup(_ request: Request, context: some RequestContext) async throws -> Response {
        let clientId = Self.clientId(context)
        let vault = self.vault
        return try await handle(request, authorized: bearerMatches(request)) { body in
            let upload = try Self.decode(AppUpload.self, body)
            guard let method = upload.backupMethod else { throw DocumentError.missingField("backupMethod") }
            let pairs = try await Self.blocking { try vault.confirm(clientId: clientId, method: method) }
            return .jsonObject(.ok, ClientBackupAnswer(pairs))
        }
    }

    /// What an upload or a confirmation did: the method's pairs (one per curve) and their common status.
    struct ClientBackupAnswer: Encodable {
        struct Pair: Encodable {
            var curve: String
            var status: String
        }

        var status: String
        var backupMethod: String
        var pairs: [Pair]

        init(_ summaries: [PairSummary]) {
            status = summaries.first?.status.rawValue ?? ""
            backupMethod = summaries.first?.method ?? ""
            pairs = summaries.map { Pair(curve: $0.curve.rawValue, status: $0.status.rawValue) }
        }
    }

    /// The `{clientId}` path segment, percent-decoded (`a%3Ab` is client `a:b`); a segment that does not decode
    /// is passed on as it is, for the client-id check to refuse.
    static func clientId(_ context: some RequestContext) -> String {
        let raw = context.parameters.get("clientId") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    struct FetchRequest {
        var clientId: String?
    }

    struct AppUpload {
        var cipherText: String?
        var backupMethod: String?
    }

    /// Reads a route's body strictly (a key given twice, or in two cases, is refused, as for the webhook).
    static func decode(_ type: FetchRequest.Type, _ body: Data) throws -> FetchRequest {
        let object = try strictObject(body)
        return FetchRequest(clientId: try optionalString(object, "clientId"))
    }

    static func decode(_ type: AppUpload.Type, _ body: Data) throws -> AppUpload {
        let object = try strictObject(body)
        return AppUpload(
            cipherText: try optionalString(object, "cipherText"),
            backupMethod: try optionalString(object, "backupMethod"))
    }

    private static func strictObject(_ body: Data) throws -> JSONValue {
        guard !body.isEmpty else { throw DocumentError.empty }
        let value = try StrictJSON.parse(body)
        guard value.isObject else { throw DocumentError.malformedJSON("the body must be an object") }
        return value
    }

    private static func optionalString(_ object: JSONValue, _ field: String) throws -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw DocumentError.wrongType(field: field, expected: "a string")
        }
    }

    // MARK: Plumbing

    /// Refuses missing credentials (401), collects the body (413 past the limit), and runs `work` on it.
    func handle(
        _ request: Request, authorized: Bool, work: @escaping @Sendable (Data) async throws -> Response
    ) async throws -> Response {
        guard authorized else { return .unauthorized }
        var request = request
        let collected: Data?
        do {
            collected = try await collect(&request)
        } catch is BodyTimeout {
            return .bodyTimeout
        }
        guard let body = collected else { return .tooLarge(configuration.maximumBodySize) }
        return try await respond { try await work(body) }
    }

    func webhookAuthorized(_ request: Request) -> Bool {
        secretMatches(request.headers[.webhookSecret], configuration.webhookSecret)
    }

    /// The body, or nil when it is over the limit; throws `BodyTimeout` when it is not in within the body timeout.
    ///
    /// The collection and the timer race, and the first to finish answers. The timeout does not wait for the
    /// collection to notice its cancellation: a body stream that is waiting for bytes may only end when the
    /// connection does, and a task group would wait for it that long.
    func collect(_ request: inout Request) async throws -> Data? {
        let limit = configuration.maximumBodySize
        let timeout = configuration.bodyTimeout
        let body = request.body
        let race = FirstToFinish()
        let outcome: Result<ByteBuffer, any Error>? = await withCheckedContinuation { continuation in
            let collecting = Task {
                let result: Result<ByteBuffer, any Error>
                do {
                    result = .success(try await body.collect(upTo: limit))
                } catch {
                    result = .failure(error)
                }
                if race.claim() {
                    race.cancelTimer()
                    continuation.resume(returning: result)
                }
            }
            race.startTimer {
                try? await Task.sleep(for: timeout)
                if race.claim() {
                    collecting.cancel()
                    continuation.resume(returning: nil)
                }
            }
        }
        guard let outcome else { throw BodyTimeout() }
        do {
            return Data(buffer: try outcome.get())
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    /// Compares a presented secret with the expected one in constant time (`sodium_memcmp`).
    func secretMatches(_ presented: String?, _ expected: SecureBytes) -> Bool {
        guard let presented, !presented.isEmpty else { return false }
        return SecureBytes(copying: Array(presented.utf8)) == expected
    }

    func bearerMatches(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        return secretMatches(String(header.dropFirst("Bearer ".count)), configuration.apiToken)
    }

    /// Runs vault work, at most `maximumBlockingWork` jobs at once (beyond that: 503 at once), and maps its
    /// errors to HTTP answers.
    func respond(_ work: @escaping @Sendable () async throws -> Response) async throws -> Response {
        guard blockingWork.acquire(limit: configuration.maximumBlockingWork) else { return .busy }
        defer { blockingWork.release() }
        do {
            return try await work()
        } catch {
            return IntakeError.response(for: error)
        }
    }

    /// Runs a blocking vault call (a durable SQLite commit) on NIO's thread pool, the one Hummingbird uses for
    /// blocking work, so that no event loop and no task thread waits on the disk.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}

/// A body that did not arrive within the body timeout.
struct BodyTimeout: Error {}

/// A body's collection racing its timer: the first to finish answers, and a collection that finishes first stops
/// the timer.
private final class FirstToFinish: Sendable {
    private let finished = Mutex(false)
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// True for the first caller only.
    func claim() -> Bool {
        finished.withLock { finished in
            defer { finished = true }
            return !finished
        }
    }

    func startTimer(_ body: @escaping @Sendable () async -> Void) {
        timer.withLock { $0 = Task(operation: body) }
    }

    func cancelTimer() {
        timer.withLock { $0?.cancel() }
    }
}

/// How many vault jobs are running, so that a flood queues no unbounded work: a job beyond the limit is refused.
final class BlockingWorkLimit: Sendable {
    private let running = Mutex(0)

    /// Takes a place if fewer than `limit` jobs run; false when full.
    func acquire(limit: Int) -> Bool {
        running.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { running.withLock { $0 -= 1 } }
}

extension HTTPField.Name {
    static let webhookSecret = HTTPField.Name("X-Webhook-Secret")!
}

extension Response {
    static var unauthorized: Response { .json(.unauthorized, ["error": "missing or wrong credentials"]) }

    /// The vault's work pool is full: try again shortly.
    static var busy: Response {
        var response = Response.json(.serviceUnavailable, ["error": "the intake is busy; try again"])
        response.headers[.retryAfter] = "1"
        return response
    }

    /// The body did not arrive in time; the connection is closed.
    static var bodyTimeout: Response {
        var response = Response.json(.requestTimeout, ["error": "the body did not arrive in time"])
        response.headers[.connection] = "close"
        return response
    }

    static func tooLarge(_ limit: Int) -> Response {
        .json(.contentTooLarge, ["error": "body larger than \(limit) bytes"])
    }

    /// A JSON object of strings.
    static func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        jsonObject(status, fields)
    }

    static func jsonObject(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
