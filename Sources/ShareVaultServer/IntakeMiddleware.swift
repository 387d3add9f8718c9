import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ShareMath
import ShareVault
import Synchronization

/// The intake's request context: Hummingbird's basic one, its JSON written with sorted keys and slashes as they
/// are (a share string is answered byte for byte).
struct IntakeContext: RequestContext {
    var coreContext: CoreRequestContextStorage

    init(source: Source) {
        coreContext = .init(source: source)
    }

    var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// One log line per request: method, route template (never a body or a secret), status and duration; and the
/// same in the metrics, with a webhook's refusal counted by its reason.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: IntakeMetrics
    /// The custodian webhook's route template, whose refusals are the ingest's.
    let webhookRoute: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let clock = ContinuousClock()
        let start = clock.now
        var status = 500
        defer {
            // The router names the route once it has matched it, inside `next`.
            let (elapsed, route) = (clock.now - start, context.endpointPath ?? "unmatched")
            logger.info(
                "request",
                metadata: [
                    "method": "\(request.method)", "route": "\(route)", "status": "\(status)",
                    "ms": "\(String(format: "%.1f", elapsed / .milliseconds(1)))",
                ])
            metrics.requestFinished(route: route, method: request.method.rawValue, status: status, duration: elapsed)
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as HTTPResponseError {
            status = error.status.code
            if context.endpointPath == webhookRoute, request.method == .post {
                metrics.refused(reason: (error as? IntakeError)?.reason ?? "http-\(status)")
            }
            throw error
        }
    }
}

/// Turns what the library throws into the intake's answers (`IntakeError`), so that handlers just `try`.
struct ErrorAnswerMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPResponseError {
            throw error
        } catch {
            throw IntakeError(error)
        }
    }
}

/// Refuses a request whose credential is missing or wrong (401) before its body is read: the webhook's shared
/// secret in `X-Webhook-Secret`, or the app's bearer token. Compared in constant time.
struct CredentialMiddleware<Context: RequestContext>: RouterMiddleware {
    enum Credential {
        case webhookSecret
        case bearerToken
    }

    let credential: Credential
    let expected: SecureBytes

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let presented: Substring?
        switch credential {
        case .webhookSecret:
            presented = request.headers[.webhookSecret].map { $0[...] }
        case .bearerToken:
            presented = request.headers[.authorization].flatMap {
                $0.hasPrefix("Bearer ") ? $0.dropFirst("Bearer ".count) : nil
            }
        }
        guard let presented, !presented.isEmpty, SecureBytes(copying: Array(presented.utf8)) == expected else {
            throw IntakeError.unauthorized
        }
        return try await next(request, context)
    }
}

/// Reads the whole body before the handler runs, the one place the body limit is applied: past `limit` bytes 413,
/// not in within `timeout` 408 (and the connection closed). The handler finds the body buffered.
///
/// The collection and the timer race (`answer(within:)`), and the first to finish answers. The timeout does not
/// wait for the collection to notice its cancellation: a body stream that is waiting for bytes may only end when
/// the connection does, and a task group would wait for it that long.
struct BodyMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    let timeout: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var request = request
        let body = request.body
        let (limit, timeout) = (limit, timeout)
        let outcome = await answer(within: timeout) { try await body.collect(upTo: limit) }
        guard let outcome else { throw IntakeError.bodyTimeout }
        do {
            request.body = RequestBody(buffer: try outcome.get())
        } catch is NIOTooManyBytesError {
            throw IntakeError.tooLarge(limit)
        }
        return try await next(request, context)
    }
}

/// At most `limit` requests do vault work at once, so that a flood queues no unbounded work: one beyond the limit
/// is answered 503 at once.
struct WorkLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    let running = RunningCount()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard running.enter(limit: limit) else { throw IntakeError.busy }
        defer { running.leave() }
        return try await next(request, context)
    }
}

/// How many requests are doing vault work.
final class RunningCount: Sendable {
    private let count = Mutex(0)

    /// Takes a place if fewer than `limit` run; false when full.
    func enter(limit: Int) -> Bool {
        count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}

extension HTTPField.Name {
    static let webhookSecret: HTTPField.Name = {
        guard let name = HTTPField.Name("X-Webhook-Secret") else { preconditionFailure("a valid field name") }
        return name
    }()
}
